// Which seccomp filter a run loads, compiled to BPF in the parent (the init only loads it).
//
// Compiling the default profile takes about 8 ms (libseccomp generating code for x86_64, x86
// and x32), four times a whole container start. The result only depends on the profile, the
// capabilities, the kernel and libseccomp, so it is kept in <data-root>/seccomp/<sha256>.bpf
// and the next run reads it back in microseconds.

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include <fstream>
#include <sstream>

#include "mydocker/image/tar.hpp"
#include "mydocker/seccomp/bpf.hpp"
#include "mydocker/seccomp/seccomp.hpp"
#include "mydocker/spec/prepare.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fs.hpp"

namespace mydocker {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error("invalid value 'seccomp=" + path + "' for --security-opt: " + errno_text(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Whether `prog` lets the native architecture's system call `nr` run (ALLOW or LOG), for zero
// arguments.
bool lets_run(const bpf::Program& prog, int nr) {
  bpf::SyscallData d;
  d.nr = static_cast<uint32_t>(nr);
  d.arch = seccomp_arch_native();
  const auto action = bpf::run(prog, d);
  if (!action) return true;  // not ours to judge: the kernel will say
  const uint32_t what = *action & SECCOMP_RET_ACTION_FULL;
  return what == SECCOMP_RET_ALLOW || what == SECCOMP_RET_LOG;
}

// A profile under which nothing can start (docker would run it and see the container fail
// with no word): the exec stub and the command need an exec and an exit.
void check_usable(const std::string& bpf, const std::string& file) {
  const bpf::Program prog = bpf::program_of(bpf);
  const char* missing =
      !lets_run(prog, SYS_execve) && !lets_run(prog, SYS_execveat)   ? "execve and execveat"
      : !lets_run(prog, SYS_exit_group) && !lets_run(prog, SYS_exit) ? "exit_group and exit"
                                                                     : nullptr;
  if (missing)
    throw Error("invalid value 'seccomp=" + file + "' for --security-opt: the profile denies " +
                missing + ", which every container needs (its command could not start or end)");
}

}  // namespace

SeccompFilter seccomp_filter_for(const RunOptions& o, const std::vector<std::string>& caps) {
  std::string file;
  for (const auto& opt : o.security_opts)
    if (opt.rfind("seccomp=", 0) == 0 || opt.rfind("seccomp:", 0) == 0) file = opt.substr(8);
  if (o.privileged || file == "unconfined") return {};
  // The cache key: the profile (the built-in one by its build-time hash, a file by its
  // content), the capabilities, the kernel and libseccomp.
  const std::string text = file.empty() ? std::string() : read_text(file);
  utsname u{};
  ::uname(&u);
  const scmp_version* v = seccomp_version();
  // "tree": compiled with libseccomp's binary-tree optimisation (see seccomp.cpp); "ranges":
  // then compacted (seccomp/bpf.hpp).
  std::string key_text = (file.empty() ? "default " + std::to_string(default_seccomp_profile_hash())
                                       : "file " + sha256_hex(text)) +
                         "\ntree ranges\n" + u.release + " " + u.machine + " libseccomp " +
                         std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                         std::to_string(v->micro);
  for (const auto& c : caps) key_text += "\n" + c;
  const std::string cached = o.data_root + "/seccomp/" + sha256_hex(key_text) + ".bpf";
  Fs fs;
  try {
    // Only a whole program: an empty file (a crash between the cache's creation and its
    // data reaching the disk) would mean "no filter at all"; a torn one the kernel refuses.
    if (auto bpf = fs.read_if_exists(cached);
        bpf && !bpf->empty() && bpf->size() % sizeof(sock_filter) == 0)
      return {std::move(*bpf), cached};
  } catch (const FsError&) {  // unreadable (not root: --dry-run): compile it instead
  }
  const auto json =
      nlohmann::json::parse(file.empty() ? default_seccomp_profile_text() : text, nullptr, false);
  if (json.is_discarded())
    throw Error("invalid value 'seccomp=" + file + "' for --security-opt: not JSON");
  SeccompProfile profile;
  try {
    profile = parse_seccomp_profile(json);
  } catch (const Error& e) {
    throw Error("--security-opt seccomp=" + (file.empty() ? "(default)" : file) + ": " + e.what());
  }
  std::string bpf = compile_seccomp_bpf(profile, caps);
  check_usable(bpf, file);
  if (o.dry_run) return {std::move(bpf), ""};  // a dry run makes nothing, not even the cache
  try {  // the cache is an optimisation: a read-only data root just compiles every time
    make_dirs(o.data_root + "/seccomp", 0700);
    write_file_atomic(cached, bpf, true);  // durable: written once, read by every run
    return {std::move(bpf), cached};
  } catch (const Error&) {
    return {std::move(bpf), ""};
  }
}

}  // namespace mydocker
