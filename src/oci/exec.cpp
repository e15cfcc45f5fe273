// oci exec: a process in a running container, described by a runtime-spec process object
// (--process FILE, as containerd and conmon pass it) or by the command line, the container's
// own process giving the defaults (env, user, capabilities, rlimits, no_new_privs), and its
// seccomp filter applied. The joining itself is shared with `mydocker exec` (runtime/join.hpp).

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "mydocker/oci/runtime.hpp"
#include "mydocker/oci/spec.hpp"
#include "mydocker/runtime/join.hpp"
#include "mydocker/spec/prepare.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/fs.hpp"

namespace mydocker::oci {

using nlohmann::json;

namespace {

void apply_flags(const ExecOptions& o, InitConfig& c) {
  for (const auto& e : o.env) set_env(c.env, e);
  if (!o.cwd.empty()) {
    if (o.cwd.front() != '/') throw Error("invalid value '" + o.cwd + "' for --cwd: not absolute");
    c.cwd = o.cwd;
  }
  if (!o.user.empty()) {
    const size_t colon = o.user.find(':');
    char* end = nullptr;
    const unsigned long uid = std::strtoul(o.user.c_str(), &end, 10);
    const bool ok_uid = end != o.user.c_str() && (*end == '\0' || *end == ':');
    unsigned long gid = 0;
    bool ok_gid = true;
    if (colon != std::string::npos) {
      const std::string g = o.user.substr(colon + 1);
      gid = std::strtoul(g.c_str(), &end, 10);
      ok_gid = !g.empty() && *end == '\0';
    }
    if (!ok_uid || !ok_gid) throw Error("invalid value '" + o.user + "' for --user: UID[:GID]");
    c.uid = static_cast<uint32_t>(uid);
    c.gid = static_cast<uint32_t>(gid);
  }
  for (const auto& cap : o.caps) {
    const std::string name = cap.rfind("CAP_", 0) == 0 ? cap : "CAP_" + cap;
    for (auto* set : {&c.capabilities, &c.cap_effective, &c.cap_permitted, &c.cap_inheritable})
      if (std::find(set->begin(), set->end(), name) == set->end()) set->push_back(name);
  }
  if (o.no_new_privs) c.no_new_privs = true;
}

InitConfig exec_config(const ExecOptions& o, const Container& ct, const json& st) {
  InitConfig c;
  bool terminal = false;
  if (!o.process_file.empty()) {
    json p = json::parse(Fs().read(o.process_file), nullptr, false);
    if (p.is_discarded()) throw Error(o.process_file + ": not valid JSON");
    try {
      parse_process(p, c, terminal, "process");
    } catch (const Error& e) {
      throw Error(std::string("--process ") + o.process_file + ": " + e.what());
    }
  } else {
    if (o.args.empty()) throw Error("oci exec: missing the command (or --process FILE)");
    parse_process(st.value("process", json::object()), c, terminal, "process");
    c.argv = o.args;
    terminal = o.tty;
  }
  apply_flags(o, c);
  c.oci = true;
  c.tty = terminal;
  c.interactive = true;
  c.preserve_fds = o.preserve_fds;
  c.detach_exec = o.detach;
  c.die_with_parent = !o.detach;
  if (auto bpf = Fs().read_if_exists(ct.dir() + "/seccomp.bpf")) c.seccomp_bpf = *bpf;
  c.seccomp_flags = st.value("seccomp_flags", 0u);
  if (c.tty && o.console_socket.empty())
    throw Error("process.terminal is true: --console-socket is needed to receive the terminal");
  return c;
}

// --pid-file, written by a process of ours that stays outside the container: the exec joins
// the container's user namespace, whose root cannot write into the client's directory (every
// podman and containerd exec into a user-namespaced container failed, its process left running).
class PidFileWriter {
 public:
  explicit PidFileWriter(const std::string& path) {
    if (path.empty()) return;
    pid_ = make_pipe();
    result_ = make_pipe();
    child_ = ::fork();
    if (child_ < 0) throw_errno("fork");
    if (child_ == 0) {
      pid_.write.reset();
      result_.read.reset();
      int32_t pid = -1;
      std::string failure;
      if (read_full(pid_.read.get(), &pid, sizeof pid) == sizeof pid && pid > 0) try {
          write_pid_file(path, pid);
        } catch (const std::exception& e) {
          failure = e.what();
        }
      (void)write_all(result_.write.get(), failure.data(), failure.size());
      ::_exit(failure.empty() ? 0 : 1);
    }
    pid_.read.reset();
    result_.write.reset();
  }
  ~PidFileWriter() {
    pid_.write.reset();  // EOF: the child writes nothing and ends
    if (child_ > 0) (void)::waitpid(child_, nullptr, 0);
  }
  PidFileWriter(const PidFileWriter&) = delete;
  PidFileWriter& operator=(const PidFileWriter&) = delete;

  void write(pid_t pid) {
    if (child_ <= 0) return;
    const int32_t p = pid;
    (void)write_all(pid_.write.get(), &p, sizeof p);
    pid_.write.reset();
    std::string failure(4096, '\0');
    const ssize_t n = read_full(result_.read.get(), failure.data(), failure.size());
    (void)::waitpid(child_, nullptr, 0);
    child_ = -1;
    if (n > 0) throw Error(failure.substr(0, static_cast<size_t>(n)));
  }

 private:
  Pipe pid_, result_;
  pid_t child_ = -1;
};

}  // namespace

int exec(const ExecOptions& o) {
  if (::geteuid() != 0) throw Error("mydocker oci exec needs root");
  Container ct(o.root, o.id);
  json st = ct.load();
  const Status s = ct.status(st);
  if (s.name != "running" && s.name != "created")
    throw Error("cannot exec in container " + o.id + ": it is " + s.name);
  InitConfig c = exec_config(o, ct, st);
  UniqueFd init = ct.init_pidfd(st);
  if (!init) throw Error("container " + o.id + " is not running");
  JoinIo io;
  io.attach_terminal = false;
  io.detach = o.detach;
  io.console_socket = o.console_socket;
  PidFileWriter pid_file(o.detach ? o.pid_file : "");
  const JoinResult r =
      run_in_container(s.pid, init.get(), ct.cgroups(st), st.value("cgroup_leaf", o.id), c, io);
  try {
    pid_file.write(r.pid);
  } catch (const Error&) {  // the client cannot track it: it must not run on untracked
    ::kill(r.pid, SIGKILL);
    throw;
  }
  return r.status;
}

}  // namespace mydocker::oci
