// import, images, rmi, export, commit.

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "mydocker/cli/commands.hpp"
#include "mydocker/cli/print.hpp"
#include "mydocker/cli/progress.hpp"
#include "mydocker/commands/commands.hpp"
#include "mydocker/commands/containers.hpp"
#include "mydocker/commands/filters.hpp"
#include "mydocker/commands/registry.hpp"
#include "mydocker/format/images.hpp"
#include "mydocker/format/template.hpp"
#include "mydocker/format/text.hpp"
#include "mydocker/image/archive.hpp"
#include "mydocker/image/content.hpp"
#include "mydocker/image/image.hpp"
#include "mydocker/spec/prepare.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/fs.hpp"

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
  const ImageStore images(cl.data_root);
  ImageInfo info = images.import_tar(fd.get(), cl.args[1], file);
  out() << "sha256:" << info.id << "\n";
  // docker's order: the tag, then the import.
  record_image_event(cl.state_root, images, "tag", info, parse_image_reference(cl.args[1]).text());
  record_image_event(cl.state_root, images, "import", info, "sha256:" + info.id);
  return 0;
}

void images_options(CLI::App& images, CommandLine& cl, Scratch& s) {
  // One value at most: a second one is "unexpected argument" (CLI11 words a vector's count).
  images.add_option_function<std::string>(
      "repository", [&cl](const std::string& v) { cl.args = {v}; },
      "REPOSITORY[:TAG]: only that repository's images (docker's reference filter)");
  images.add_flag("-q,--quiet", cl.ps.quiet, "Only ids");
  images.add_flag("--digests", cl.digests, "A DIGEST column: the image's digest in its repository");
  images.add_flag("--no-trunc", cl.ps.no_trunc, "Whole ids (sha256:...)");
  images.add_option("-f,--filter", cl.ps.filters,
                    "KEY=VALUE: dangling=true|false, reference=PATTERN, before, since, label");
  images.add_flag("-a,--all", s.latest,
                  "Accepted for docker's sake: there are no intermediate "
                  "images, every image is listed");
  images.add_option("--format", cl.format,
                    "json, table, or a Go template: '{{.Repository}}:{{.Tag}}', 'table {{.ID}}'");
}

// docker's `images REPOSITORY[:TAG]`: a reference filter (path.Match on the name, or on NAME:TAG
// when a tag is given), next to the --filter ones.
void images_finish(CLI::App&, CommandLine& cl, Scratch&, const RunArgs&) {
  if (!cl.args.empty()) cl.ps.filters.push_back("reference=" + cl.args.front());
  (void)Filters::parse(cl.ps.filters, kImageFilterKeys);
}

int run_images(const CommandLine& cl) {
  const ImageStore store(cl.data_root);
  const auto list =
      filter_images(store.list(), Filters::parse(cl.ps.filters, kImageFilterKeys),
                    [&](const ImageInfo& i) { return image_defaults(store.config(i), {}).labels; });
  if (!cl.format.empty() && cl.format != "json" && cl.format != "table" && !cl.ps.quiet) {
    std::vector<nlohmann::json> items;
    for (const auto& i : list) items.push_back(image_row_json(i, now_seconds(), cl.ps.no_trunc));
    out() << tmpl::Template::parse(cl.format).render(items, {{"ID", "IMAGE ID"},
                                                             {"CreatedSince", "CREATED"},
                                                             {"CreatedAt", "CREATED AT"},
                                                             {"VirtualSize", "SIZE"},
                                                             {"SharedSize", "SHARED SIZE"},
                                                             {"UniqueSize", "UNIQUE SIZE"}});
    return 0;
  }
  out() << format_images(list, cl.ps.quiet, cl.format == "json", now_seconds(), cl.ps.no_trunc,
                         cl.digests);
  return 0;
}

void rmi_options(CLI::App& rmi, CommandLine& cl, Scratch&) {
  rmi.add_flag("-f,--force", cl.force, "Even when a container uses it");
  rmi.add_option("image", cl.args)->required();
}

int run_rmi(const CommandLine& cl) {
  const Store store(cl.state_root);
  // An image is in use while a container (running or stopped) was made from it.
  const auto used = containers_use(store).images;
  auto in_use = [&](const std::string& id) { return used.count(id) > 0; };
  ImageStore images(cl.data_root);
  int status = 0;
  for (const auto& ref : cl.args) {
    try {
      const auto before = images.lookup(ref);
      const auto labels =
          before ? image_labels(images, *before) : std::map<std::string, std::string>{};
      const auto lines = images.remove(ref, cl.force, in_use);
      for (const auto& line : lines) out() << line << "\n";
      if (before) record_removal_events(cl.state_root, *before, labels, lines);
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
  commit.add_option("container name", cl.args, "CONTAINER [NAME[:TAG]]")
      ->required()
      ->expected(1, 2);
  commit
      .add_option("-c,--change", cl.commit.changes,
                  "A Dockerfile instruction for the image: CMD, ENTRYPOINT, ENV, LABEL, EXPOSE, "
                  "USER, WORKDIR, VOLUME, STOPSIGNAL (repeatable)")
      ->allow_extra_args(false);
  commit.add_option("-m,--message", cl.commit.message, "The history entry's comment");
  commit.add_option("-a,--author", cl.commit.author, "The image's author");
  commit.add_flag("-p,--pause{true}", cl.commit.pause,
                  "Pause the container while its layer is read (default true; --pause=false "
                  "reads it as it runs)");
}

int run_commit(const CommandLine& cl) {
  ImageInfo info = commit_container(
      Store(cl.state_root), cl.data_root, cl.args[0], cl.args.size() > 1 ? cl.args[1] : "",
      {cl.commit.changes, cl.commit.message, cl.commit.author, cl.commit.pause});
  out() << "sha256:" << info.id << "\n";
  return 0;
}

void load_options(CLI::App& load, CommandLine& cl, Scratch&) {
  load.add_option("-i,--input", cl.output, "Read from FILE (a tar, plain or compressed)");
  load.add_flag("-q,--quiet", cl.ps.quiet,
                "Suppress the load's progress (docker's: the Loaded image lines stay)");
}

int run_load(const CommandLine& cl) {
  if (::geteuid() != 0) throw Error("mydocker load needs root (layers keep their files' owners)");
  UniqueFd in;
  if (!cl.output.empty()) {
    in.reset(::open(cl.output.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in) throw SysError(errno, "invalid value '" + cl.output + "' for -i: cannot open it");
  } else if (::isatty(STDIN_FILENO)) {
    throw Error("requested load from stdin, but stdin is a terminal: use -i FILE or a redirection");
  }
  const ImageStore images(cl.data_root);
  const auto loaded =
      load_archive(images, in ? in.get() : STDIN_FILENO, cl.output.empty() ? "-" : cl.output);
  for (const auto& image : loaded)
    if (const auto info = images.lookup(image.id))
      record_image_event(cl.state_root, images, "load", *info,
                         image.names.empty() ? "sha256:" + image.id : image.names.front().text());
  for (const auto& image : loaded) {  // -q too: docker's quiet load hides only its progress
    for (const auto& n : image.names) out() << "Loaded image: " << n.text() << "\n";
    if (image.names.empty()) out() << "Loaded image ID: sha256:" << image.id << "\n";
  }
  return 0;
}

void save_options(CLI::App& save, CommandLine& cl, Scratch&) {
  save.add_option("-o,--output", cl.output, "Write to FILE instead of stdout");
  save.add_option("image", cl.args, "Images to save")->required();
}

// save's events, once the archive is written: one per image, named as asked.
int saved(const CommandLine& cl) {
  const ImageStore images(cl.data_root);
  for (const auto& ref : cl.args)
    if (const auto info = images.lookup(ref))
      record_image_event(cl.state_root, images, "save", *info, ref);
  return 0;
}

int run_save(const CommandLine& cl) {
  UniqueFd to;
  struct stat st {};
  if (!cl.output.empty() && ::stat(cl.output.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    // A device, a fifo, a symlink's target that is no file (-o /dev/null): written into as it is.
    to.reset(::open(cl.output.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
    if (!to) throw SysError(errno, "invalid value '" + cl.output + "' for -o: cannot write it");
    save_archive(ImageStore(cl.data_root), cl.args, to.get());
    return saved(cl);
  }
  if (!cl.output.empty()) {
    // Written aside and renamed over it: a failed save leaves no half archive under the name.
    // (A symlink to a file: the file it points to is replaced.)
    const std::string tmp = cl.output + ".tmp-" + std::to_string(::getpid());
    to.reset(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!to) throw SysError(errno, "invalid value '" + cl.output + "' for -o: cannot write it");
    try {
      save_archive(ImageStore(cl.data_root), cl.args, to.get());
    } catch (...) {
      ::unlink(tmp.c_str());
      throw;
    }
    char real[PATH_MAX];
    const std::string target = ::realpath(cl.output.c_str(), real) ? real : cl.output;
    if (::rename(tmp.c_str(), target.c_str()) != 0) throw SysError(errno, "rename " + tmp);
    return saved(cl);
  }
  if (::isatty(STDOUT_FILENO))
    throw Error("cowardly refusing to save to a terminal: use -o FILE or a redirection");
  save_archive(ImageStore(cl.data_root), cl.args, STDOUT_FILENO);
  return saved(cl);
}

void tag_options(CLI::App& tag, CommandLine& cl, Scratch&) {
  tag.add_option("source target", cl.args, "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]")
      ->required()
      ->expected(2);
}

int run_tag(const CommandLine& cl) {
  const ImageStore images(cl.data_root);
  images.tag(cl.args[0], cl.args[1]);
  if (const auto info = images.lookup(cl.args[1]))
    record_image_event(cl.state_root, images, "tag", *info,
                       parse_image_reference(cl.args[1]).text());
  return 0;
}

void image_options(CLI::App& image, CommandLine& cl, Scratch&) {
  image.add_option("command", cl.args, "inspect IMAGE... | history IMAGE")->required();
  image.add_option("-f,--format", cl.format, "inspect: a Go template");
  image.add_flag("--no-trunc", cl.no_trunc, "history: do not shorten");
}

}  // namespace

nlohmann::json inspect_image(const std::string& data_root, const std::string& ref) {
  const ImageStore images(data_root);
  const ImageInfo info = images.resolve(ref);
  return image_inspect_json(info, images.tags_of(info.id), images.config(info));
}

namespace {

int image_inspect(const CommandLine& cl, const std::vector<std::string>& refs) {
  nlohmann::json all = nlohmann::json::array();
  int status = 0;
  for (const auto& ref : refs) {
    try {
      const auto j = inspect_image(cl.data_root, ref);
      if (cl.format.empty())
        all.push_back(j);
      else
        out() << tmpl::Template::parse(cl.format).execute(j) << "\n";
    } catch (const Error& e) {
      std::fprintf(stderr, "mydocker: %s\n", e.what());
      status = 1;
    }
  }
  if (cl.format.empty()) out() << all.dump(4) << "\n";
  return status;
}

int image_history(const CommandLine& cl, const std::string& ref) {
  const ImageStore images(cl.data_root);
  const ImageInfo info = images.resolve(ref);
  std::vector<int64_t> sizes;
  const ContentStore content = images.content();
  for (const auto& l : info.layers) sizes.push_back(content.layer_size(l));
  out() << format_history(info, images.config(info), sizes, cl.no_trunc, now_seconds());
  return 0;
}

int run_image(const CommandLine& cl) {
  const std::string& sub = cl.args.front();
  const std::vector<std::string> rest(cl.args.begin() + 1, cl.args.end());
  if (rest.empty() && (sub == "inspect" || sub == "history"))
    throw Error("mydocker image " + sub + ": missing the image");
  if (sub == "inspect") return image_inspect(cl, rest);
  if (sub == "history") return image_history(cl, rest.front());
  throw Error("unknown image command '" + sub + "': inspect or history (the others are " +
              "top-level commands: images, rmi, load, save, tag, import)");
}

void history_options(CLI::App& history, CommandLine& cl, Scratch&) {
  history.add_option("image", cl.args, "The image")->required()->expected(1);
  history.add_flag("--no-trunc", cl.no_trunc, "Do not shorten");
}

int run_history(const CommandLine& cl) { return image_history(cl, cl.args.front()); }

void registry_flags(CLI::App& app, CommandLine& cl) {
  app.add_option("--insecure-registry", cl.reg.insecure,
                 "HOST[:PORT] that may be reached over plain HTTP (also "
                 "$MYDOCKER_INSECURE_REGISTRIES, comma-separated; localhost always may)");
}

registry::Options registry_options(const CommandLine& cl) {
  registry::Options o;
  o.config_dir = registry_config_dir();
  o.insecure_registries = cl.reg.insecure;
  if (const char* env = std::getenv("MYDOCKER_INSECURE_REGISTRIES"))
    for (const auto& h : split(env, ",")) o.insecure_registries.push_back(h);
  o.architecture = host_architecture();
  if (!cl.reg.platform.empty()) {
    const auto parts = split(cl.reg.platform, "/");
    if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty())
      throw Error("invalid value '" + cl.reg.platform + "' for --platform: OS/ARCH[/VARIANT]");
    o.os = parts[0];
    o.architecture = parts[1];
    if (parts.size() == 3) o.variant = parts[2];
  }
  if (!cl.ps.quiet)
    o.progress = [](const std::string& line) {
      out() << line << "\n";
      std::fflush(stdout);
    };
  return o;
}

void pull_options(CLI::App& pull, CommandLine& cl, Scratch&) {
  pull.add_option("image", cl.args, "NAME[:TAG|@DIGEST]")->required()->expected(1);
  pull.add_option("--platform", cl.reg.platform, "OS/ARCH[/VARIANT] from a multi-platform image");
  pull.add_flag("-q,--quiet", cl.ps.quiet, "Print only the image's name");
  registry_flags(pull, cl);
}

// On a terminal (and without -q), a bar per layer redrawn in place; else plain lines.
std::function<void(const std::string&)> progress_output(const CommandLine& cl, registry::Options& o,
                                                        std::optional<ProgressBoard>& board) {
  if (cl.ps.quiet || !::isatty(STDOUT_FILENO))
    return [&cl](const std::string& line) {
      if (!cl.ps.quiet) out() << line << "\n";
    };
  std::fflush(stdout);
  board.emplace(stdout);
  o.progress = [&board](const std::string& line) { board->event(line); };
  o.bytes = [&board](const std::string& d, int64_t done, int64_t total) {
    board->bytes(d, done, total);
  };
  return o.progress;
}

int run_pull(const CommandLine& cl) {
  if (::geteuid() != 0) throw Error("mydocker pull needs root (layers keep their files' owners)");
  auto o = registry_options(cl);
  std::optional<ProgressBoard> board;
  const auto print = progress_output(cl, o, board);
  std::string last;
  pull_image(cl.data_root, cl.args.front(), o, [&](const std::string& line) {
    last = line;
    print(line);
  });
  record_transfer_event(cl.state_root, ImageStore(cl.data_root), "pull", cl.args.front());
  if (cl.ps.quiet) out() << last << "\n";
  return 0;
}

void push_options(CLI::App& push, CommandLine& cl, Scratch&) {
  push.add_option("image", cl.args, "NAME[:TAG]")->required()->expected(1);
  push.add_flag("-q,--quiet", cl.ps.quiet, "Print nothing but errors");
  registry_flags(push, cl);
}

int run_push(const CommandLine& cl) {
  auto o = registry_options(cl);
  std::optional<ProgressBoard> board;
  push_image(cl.data_root, cl.args.front(), o, progress_output(cl, o, board));
  record_transfer_event(cl.state_root, ImageStore(cl.data_root), "push", cl.args.front());
  return 0;
}

void login_options(CLI::App& login, CommandLine& cl, Scratch&) {
  login.add_option("server", cl.args, "The registry (default: docker.io)")->expected(0, 1);
  login.add_option("-u,--username", cl.reg.user, "Username");
  login.add_option("-p,--password", cl.reg.password, "Password (prefer --password-stdin)");
  login.add_flag("--password-stdin", cl.reg.password_stdin, "Read the password from stdin");
  registry_flags(login, cl);
}

int run_login(const CommandLine& cl) {
  const std::string server = cl.args.empty() ? "docker.io" : cl.args.front();
  std::string password = cl.reg.password;
  if (cl.reg.password_stdin) {
    if (!password.empty()) throw Error("--password and --password-stdin are mutually exclusive");
    std::getline(std::cin, password);
    while (!password.empty() && (password.back() == '\r' || password.back() == '\n'))
      password.pop_back();
  }
  if (cl.reg.user.empty() || password.empty())
    throw Error(
        "login needs -u USER and a password (-p, or --password-stdin): mydocker "
        "never prompts");
  if (!cl.reg.password_stdin)
    std::fprintf(stderr,
                 "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
  registry::login(server, cl.reg.user, password, registry_options(cl));
  out() << "Login Succeeded\n";
  return 0;
}

void logout_options(CLI::App& logout, CommandLine& cl, Scratch&) {
  logout.add_option("server", cl.args, "The registry (default: docker.io)")->expected(0, 1);
}

int run_logout(const CommandLine& cl) {
  const std::string server = cl.args.empty() ? "docker.io" : cl.args.front();
  const bool had = registry::logout(server, registry_options(cl));
  out() << (had ? "Removing login credentials for " + server : "Not logged in to " + server)
        << "\n";
  return 0;
}

}  // namespace

void pull_for_run(const CommandLine& cl) {
  if (cl.run.command.empty() || !cl.run.rootfs_dir.empty())
    throw Error("--pull " + cl.reg.pull + ": the first argument must name an image" +
                (cl.run.rootfs_dir.empty() ? "" : " (not with --rootfs)"));
  const std::string& ref = cl.run.command.front();
  check_platform(cl.run.platform);
  const bool present = ImageStore(cl.run.data_root).lookup(ref).has_value();
  if (cl.reg.pull == "never" && !present)
    throw Error("image '" + ref + "' not found and --pull never: `mydocker pull " + ref + "`");
  if (cl.reg.pull == "missing" && present) return;
  if (::geteuid() != 0) throw Error("mydocker run --pull needs root");
  if (!present) std::fprintf(stderr, "Unable to find image '%s' locally\n", ref.c_str());
  CommandLine c = cl;
  c.reg.platform = cl.run.platform;
  c.ps.quiet = true;
  auto o = registry_options(c);
  o.progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  pull_image(cl.run.data_root, ref, o, o.progress);
  record_transfer_event(cl.state_root, ImageStore(cl.run.data_root), "pull", ref);
}

std::vector<CommandDef> image_commands() {
  return {
      {"import", "Import a root filesystem tarball as an image: TARBALL|- NAME[:TAG]",
       import_options, nullptr, run_import},
      {"images", "List images", images_options, images_finish, run_images},
      {"rmi", "Remove images", rmi_options, nullptr, run_rmi},
      {"export", "Write a container's filesystem as a tar (stdout or -o)", export_options, nullptr,
       run_export},
      {"commit", "A container's own layer on its image, as a new image: CONTAINER [NAME[:TAG]]",
       commit_options, nullptr, run_commit},
      {"load", "Load images from a docker save archive or an OCI image layout (tar)", load_options,
       nullptr, run_load},
      {"save", "Save images as an OCI image layout archive (docker and podman load it)",
       save_options, nullptr, run_save},
      {"tag", "Name an image: SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]", tag_options, nullptr,
       run_tag},
      {"history", "Show the history of an image", history_options, nullptr, run_history},
      {"image", "Manage images: inspect IMAGE..., history IMAGE", image_options, nullptr,
       run_image},
      {"pull", "Download an image from a registry: NAME[:TAG|@DIGEST]", pull_options, nullptr,
       run_pull},
      {"push", "Upload an image to a registry: NAME[:TAG]", push_options, nullptr, run_push},
      {"login", "Store credentials for a registry (checked against it first)", login_options,
       nullptr, run_login},
      {"logout", "Remove the stored credentials of a registry", logout_options, nullptr,
       run_logout},
  };
}

}  // namespace mydocker::cli
