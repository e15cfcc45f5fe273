// cp, diff.

#include "mydocker/cli/commands.hpp"
#include "mydocker/cli/print.hpp"
#include "mydocker/commands/copy.hpp"
#include "mydocker/util/error.hpp"

namespace mydocker::cli {
namespace {

// cp's own flags. CommandLine has no place for them, and a command's handler only sees the
// CommandLine: they live here, reset each time the options are registered (once per parse).
struct CopyFlags {
  bool archive = false;
  bool follow = false;
};
CopyFlags& copy_flags() {
  static CopyFlags flags;
  return flags;
}

void cp_options(CLI::App& cp, CommandLine& cl, Scratch&) {
  CopyFlags& f = copy_flags();
  f = {};
  cp.add_flag("-a,--archive", f.archive,
              "Archive mode: keep the owners (uid/gid) of the source (default: the container's "
              "root when copying in, yours when copying out)");
  cp.add_flag("-L,--follow-link", f.follow, "Always follow a symbolic link in SRC_PATH");
  cp.add_option("src dest", cl.args,
                "CONTAINER:SRC_PATH DEST_PATH|-  or  SRC_PATH|- CONTAINER:DEST_PATH")
      ->required()
      ->expected(2);
}

void cp_finish(CLI::App&, CommandLine& cl, Scratch&, const RunArgs&) {
  // Checked here: a bad pair fails before anything is touched.
  (void)make_copy_request(cl.args[0], cl.args[1], copy_flags().archive, copy_flags().follow);
}

int run_cp(const CommandLine& cl) {
  const CopyRequest r =
      make_copy_request(cl.args[0], cl.args[1], copy_flags().archive, copy_flags().follow);
  copy(Store(cl.state_root), cl.data_root, r);
  return 0;
}

void diff_options(CLI::App& diff, CommandLine& cl, Scratch&) {
  diff.add_option("container", cl.containers)->required()->expected(1);
}

int run_diff(const CommandLine& cl) {
  for (const auto& c : diff_container(Store(cl.state_root), cl.data_root, cl.containers.front()))
    out() << c.kind << " " << c.path << "\n";
  return 0;
}

}  // namespace

std::vector<CommandDef> copy_commands() {
  return {
      {"cp",
       "Copy files between a container and the host: cp [-a] [-L] CONTAINER:SRC DEST|-, "
       "cp [-a] [-L] SRC|- CONTAINER:DEST",
       cp_options, cp_finish, run_cp},
      {"diff", "Show the files a container added (A), changed (C) and deleted (D) in its image",
       diff_options, nullptr, run_diff},
  };
}

}  // namespace mydocker::cli
