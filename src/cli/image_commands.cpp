// import, images, rmi, export, commit.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "mydocker/cli/commands.hpp"
#include "mydocker/cli/print.hpp"
#include "mydocker/format/images.hpp"
#include "mydocker/format/text.hpp"
#include "mydocker/image/image.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"

namespace mydocker::cli {
namespace {

void import_options(CLI::App& import, CommandLine& cl, Scratch&) {
  import.add_option("tarball name", cl.args)->required()->expected(2);
}

int run_import(const CommandLine& cl) {
  if (::geteuid() != 0) throw Error("mydocker import needs root (it keeps the files' owners)");
  const std::string& file = cl.args[0];
  UniqueFd fd(file == "-" ? ::dup(0) : ::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw SysError(errno, "cannot open " + file);
  ImageInfo info = ImageStore(cl.data_root).import_tar(fd.get(), cl.args[1], file);
  out() << "sha256:" << info.id << "\n";
  return 0;
}

void images_options(CLI::App& images, CommandLine& cl, Scratch&) {
  images.add_flag("-q,--quiet", cl.ps.quiet, "Only ids");
  images.add_option("--format", cl.format, "json")->check(CLI::IsMember({"json", "table"}));
}

int run_images(const CommandLine& cl) {
  out() << format_images(ImageStore(cl.data_root).list(), cl.ps.quiet, cl.format == "json",
                         now_seconds());
  return 0;
}

void rmi_options(CLI::App& rmi, CommandLine& cl, Scratch&) {
  rmi.add_flag("-f,--force", cl.force, "Even when a container uses it");
  rmi.add_option("image", cl.args)->required();
}

int run_rmi(const CommandLine& cl) {
  const Store store(cl.state_root);
  // An image is in use while a container (running or stopped) was made from it.
  auto in_use = [&](const std::string& id) {
    for (const auto& c : store.ids()) {
      try {
        if (ContainerDir(store.root(), c).config().value("image", "") == id) return true;
      } catch (const Error&) {
      }
    }
    return false;
  };
  ImageStore images(cl.data_root);
  int status = 0;
  for (const auto& ref : cl.args) {
    try {
      for (const auto& line : images.remove(ref, cl.force, in_use)) out() << line << "\n";
    } catch (const Error& e) {
      std::fprintf(stderr, "mydocker: %s\n", e.what());
      status = e.exit_code();
    }
  }
  return status;
}

void export_options(CLI::App& exprt, CommandLine& cl, Scratch&) {
  exprt.add_option("-o,--output", cl.output, "Write to FILE instead of stdout");
  exprt.add_option("container", cl.containers)->required()->expected(1);
}

int run_export(const CommandLine& cl) {
  UniqueFd out;
  if (!cl.output.empty()) {
    out.reset(::open(cl.output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!out) throw SysError(errno, "cannot write " + cl.output);
  } else if (::isatty(STDOUT_FILENO)) {
    throw Error("cowardly refusing to write a tar to a terminal: use -o FILE or a redirection");
  }
  export_container(Store(cl.state_root), cl.data_root, cl.containers.front(),
                   out ? out.get() : STDOUT_FILENO);
  return 0;
}

void commit_options(CLI::App& commit, CommandLine& cl, Scratch&) {
  commit.add_option("container name", cl.args)->required()->expected(2);
}

int run_commit(const CommandLine& cl) {
  ImageInfo info = commit_container(Store(cl.state_root), cl.data_root, cl.args[0], cl.args[1]);
  out() << "sha256:" << info.id << "\n";
  return 0;
}

}  // namespace

std::vector<CommandDef> image_commands() {
  return {
      {"import", "Import a root filesystem tarball as an image: TARBALL|- NAME[:TAG]",
       import_options, nullptr, run_import},
      {"images", "List images", images_options, nullptr, run_images},
      {"rmi", "Remove images", rmi_options, nullptr, run_rmi},
      {"export", "Write a container's filesystem as a tar (stdout or -o)", export_options, nullptr,
       run_export},
      {"commit", "A container's filesystem as a new image: CONTAINER NAME[:TAG]", commit_options,
       nullptr, run_commit},
  };
}

}  // namespace mydocker::cli
