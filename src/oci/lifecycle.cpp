// oci start, state, kill, delete, pause/resume, ps, update, run: the container's life after
// create, each worked out from its state directory and the kernel.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "mydocker/cgroup/manager.hpp"
#include "mydocker/oci/hooks.hpp"
#include "mydocker/oci/runtime.hpp"
#include "mydocker/oci/spec.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/files.hpp"
#include "mydocker/util/fs.hpp"

namespace mydocker::oci {

using nlohmann::json;

namespace {

std::unique_ptr<CgroupManager> cgroups_of(const Container& ct, const json& st) {
  const CgroupRecord r = ct.cgroups(st);
  if (r.empty()) return nullptr;
  static const Fs fs;  // the manager keeps a reference
  return open_cgroup_manager(fs, r, st.value("cgroup_leaf", ct.id()));
}

void warn(const std::string& what) {
  std::fprintf(stderr, "mydocker: warning: %s\n", what.c_str());
}

// A create killed before it made its cgroups planned them only: left alone, they may be another
// container's (the same cgroupsPath), or empty ones it made just before the kill.
void warn_unclaimed(const Container& ct, const json& st) {
  std::string left;
  for (const auto& dir : ct.cgroups(st).unmade)
    if (::access(dir.c_str(), F_OK) == 0) left += (left.empty() ? "" : ", ") + dir;
  if (!left.empty())
    warn("container " + ct.id() + "'s create was killed before it claimed its cgroups; left " +
         "alone (another container's, or empty leftovers to rmdir): " + left);
}

// Waits until the process behind `pidfd` has exited (up to `ms`); true when it has.
bool wait_exit(int pidfd, int ms) {
  pollfd p{pidfd, POLLIN, 0};
  for (;;) {
    const int n = ::poll(&p, 1, ms);
    if (n < 0 && errno == EINTR) continue;
    return n > 0;
  }
}

}  // namespace

void start(const std::string& root, const std::string& id) {
  Container ct(root, id);
  UniqueFd lock = lock_container(root, id);
  json st = ct.load();
  const Status s = ct.status(st);
  if (s.name == "stopped") throw Error("cannot start a container that has stopped");
  if (s.name != "created")
    throw Error("cannot start container " + id + ": it is " + s.name + ", not created");
  UniqueFd init = ct.init_pidfd(st);
  UniqueFd fifo(::open(ct.fifo().c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fifo) throw SysError(errno, "open " + ct.fifo());
  // Ours alone from here (a second `start` finds it running), and the lock is not held while
  // the init runs the startContainer hooks: a `delete --force` or `kill` of a container stuck
  // there (a hook that hangs, an init stopped with SIGSTOP) goes ahead.
  ::unlink(ct.fifo().c_str());
  lock.reset();
  // The init's write of one byte, or its death (a failed startContainer hook, a delete).
  pollfd p[2] = {{fifo.get(), POLLIN, 0}, {init.get(), POLLIN, 0}};
  while (::poll(p, 2, -1) < 0)
    if (errno != EINTR) throw SysError(errno, "poll the exec FIFO");
  char b = 0;
  if (!(p[0].revents & POLLIN) || ::read(fifo.get(), &b, 1) != 1)
    throw Error("container " + id + " exited before it could start (see its stderr)");
  lock = lock_container(root, id);  // throws when a delete came meanwhile
  st["status"] = "running";
  ct.save(st);
  lock.reset();
  const std::string state_text = ct.spec_state(st).dump();
  if (auto why =
          run_hooks(hooks_from_json(st.value("hooks", json::object()).value("poststart", json())),
                    "poststart", state_text))
    warn(*why);  // runtime-spec: a failing poststart hook is logged, the container runs on
}

json state(const std::string& root, const std::string& id) {
  Container ct(root, id);
  return ct.spec_state(ct.load());
}

void kill(const std::string& root, const std::string& id, int signal, bool all) {
  Container ct(root, id);
  json st = ct.load();
  const Status s = ct.status(st);
  if (s.name == "stopped" || s.name == "creating")
    throw Error("container " + id + " is not running");
  if (all) {
    auto cg = cgroups_of(ct, st);
    if (!cg) throw Error("container " + id + " has no cgroup to find its processes in");
    for (pid_t pid : cg->pids()) ::kill(pid, signal);
    if (s.name == "paused" && (signal == SIGKILL || signal == SIGTERM)) cg->freeze(false);
    return;
  }
  UniqueFd init = ct.init_pidfd(st);
  if (!init || ::syscall(SYS_pidfd_send_signal, init.get(), signal, nullptr, 0) != 0)
    throw Error("container " + id + " is not running");
  // A frozen process dies of SIGKILL only once thawed (v1): runc thaws a paused container it
  // kills, and the shims wait for that exit (podman's kill timed out, ctr's task stayed PAUSED).
  if (s.name == "paused" && signal == SIGKILL)
    if (auto cg = cgroups_of(ct, st)) cg->freeze(false);
}

void remove(const std::string& root, const std::string& id, bool force) {
  Container ct(root, id);
  // runc: --force of a container that does not exist (any more) is not an error; the shim
  // deletes twice.
  if (force && !ct.exists()) return;
  UniqueFd lock = lock_container(root, id);
  json st;
  try {
    st = ct.load();
  } catch (const Error&) {
    if (!force) throw;
    // A state.json damaged (a delete interrupted half-way, a full disk): what it named cannot
    // be found any more; --force removes what is left of the record, and says so.
    warn("the state of container " + id +
         " is damaged: its processes and cgroups, if any are left, cannot be found from it");
    st = json{{"id", id}, {"status", "creating"}};
  }
  const Status s = ct.status(st);
  if ((s.name == "running" || s.name == "paused") && !force)
    throw Error("cannot delete container " + id + " that is not stopped: " + s.name +
                " (delete --force kills it)");
  auto cg = cgroups_of(ct, st);
  warn_unclaimed(ct, st);
  if (UniqueFd init = ct.init_pidfd(st)) {
    ::syscall(SYS_pidfd_send_signal, init.get(), SIGKILL, nullptr, 0);
    if (s.name == "paused" && cg) cg->freeze(false);  // a frozen process dies once thawed
    if (!wait_exit(init.get(), 10000)) throw Error("container " + id + " did not die on SIGKILL");
  }
  std::vector<std::string> problems;
  if (cg) {
    // What is left (a container sharing the host's pid namespace may leave processes).
    try {
      cg->freeze(false);
      (void)cg->kill_all();
    } catch (const std::exception& e) {
      problems.push_back(e.what());
    }
    for (auto& p : cg->destroy()) problems.push_back(p);
    remove_empty_parents(root);
  }
  const std::string state_text = ct.spec_state(st).dump();
  if (st.contains("hooks"))
    if (auto why = run_hooks(hooks_from_json(st["hooks"].value("poststop", json())), "poststop",
                             state_text))
      warn(*why);  // runtime-spec: logged, the deletion goes on
  remove_tree(ct.dir());
  ::unlink((root + "/" + id + ".lock").c_str());
  if (!problems.empty()) {
    std::string all;
    for (auto& p : problems) all += (all.empty() ? "" : "; ") + p;
    throw Error("container " + id + " deleted, but: " + all);
  }
}

void pause(const std::string& root, const std::string& id, bool frozen) {
  Container ct(root, id);
  UniqueFd lock = lock_container(root, id);
  json st = ct.load();
  const Status s = ct.status(st);
  if (frozen && s.name != "running" && s.name != "created")  // runc freezes a created one too
    throw Error("container " + id + " is not running: " + s.name);
  if (!frozen && s.name != "paused") throw Error("container " + id + " is not paused: " + s.name);
  auto cg = cgroups_of(ct, st);
  if (!cg) throw Error("container " + id + " has no cgroup to freeze");
  cg->freeze(frozen);
}

std::vector<pid_t> processes(const std::string& root, const std::string& id) {
  Container ct(root, id);
  json st = ct.load();
  if (ct.status(st).name == "stopped") return {};
  auto cg = cgroups_of(ct, st);
  return cg ? cg->pids() : std::vector<pid_t>{};
}

void update(const std::string& root, const std::string& id, const json& resources) {
  Container ct(root, id);
  UniqueFd lock = lock_container(root, id);
  json st = ct.load();
  if (ct.status(st).name == "stopped") throw Error("container " + id + " is not running");
  // At create -1 is "no limit"; here it would ask to lift one, which the cgroup managers do not
  // do (docker's own update cannot either): refused rather than ignored.
  if (resources.contains("memory") && resources["memory"].is_object() &&
      resources["memory"].value("limit", json(0)) == json(-1))
    throw Error("update: memory.limit -1: lifting a memory limit is not supported (give a size)");
  Resources r = parse_resources(resources, "resources");
  auto cg = cgroups_of(ct, st);
  if (!cg) throw Error("container " + id + " has no cgroups");
  cg->update(r);
}

namespace {

// runc's types.Stats (what `runc events` prints), from what the cgroup managers read.
json stats_json(const Stats& s) {
  json d = {{"hugetlb", json::object()}, {"intel_rdt", json::object()}};
  if (s.cpu)
    d["cpu"] = {
        {"usage",
         {{"total", s.cpu->usage_ns}, {"kernel", s.cpu->system_ns}, {"user", s.cpu->user_ns}}},
        {"throttling",
         {{"periods", s.cpu->nr_periods},
          {"throttled_periods", s.cpu->nr_throttled},
          {"throttled_time", s.cpu->throttled_ns}}}};
  if (s.memory) {
    json usage = {
        {"usage", s.memory->usage}, {"max", s.memory->peak}, {"failcnt", s.memory->failcnt}};
    if (s.memory->limit) usage["limit"] = *s.memory->limit;
    d["memory"] = {{"cache", s.memory->cache},
                   {"usage", usage},
                   {"swap", {{"usage", s.memory->swap}}},
                   {"raw", {{"rss", s.memory->rss}, {"inactive_file", s.memory->inactive_file}}}};
  }
  if (s.pids) {
    d["pids"] = {{"current", s.pids->current}};
    if (s.pids->limit) d["pids"]["limit"] = *s.pids->limit;
  }
  if (s.io) {
    json bytes = json::array(), ios = json::array();
    for (const auto& dev : *s.io)
      for (auto [op, b, n] : {std::tuple{"Read", dev.read_bytes, dev.read_ios},
                              {"Write", dev.write_bytes, dev.write_ios}}) {
        bytes.push_back({{"major", dev.major}, {"minor", dev.minor}, {"op", op}, {"value", b}});
        ios.push_back({{"major", dev.major}, {"minor", dev.minor}, {"op", op}, {"value", n}});
      }
    d["blkio"] = {{"ioServiceBytesRecursive", bytes}, {"ioServicedRecursive", ios}};
  }
  return d;
}

}  // namespace

void events(const std::string& root, const std::string& id, bool once, int interval_ms,
            const std::function<void(const json&)>& emit) {
  Container ct(root, id);
  json st = ct.load();
  const Status s = ct.status(st);
  UniqueFd init = ct.init_pidfd(st);
  if (s.name == "stopped" || s.name == "creating" || !init)
    throw Error("container " + id + " is not running");
  auto cg = cgroups_of(ct, st);
  if (!cg) throw Error("container " + id + " has no cgroups");
  auto stats = [&] { emit({{"type", "stats"}, {"id", id}, {"data", stats_json(cg->stats())}}); };
  if (once) return stats();
  // Until the init is gone: stats every interval, and an "oom" event as the kernel reports it.
  UniqueFd oom = cg->oom_watch();
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  auto ms_of = [](const timespec& t) { return t.tv_sec * 1000LL + t.tv_nsec / 1000000; };
  long long next = ms_of(now) + interval_ms;
  for (;;) {
    pollfd p[2] = {{init.get(), POLLIN, 0}, {oom ? oom.get() : -1, POLLIN, 0}};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const int n = ::poll(p, 2, static_cast<int>(std::max(0LL, next - ms_of(now))));
    if (n < 0 && errno != EINTR) throw_errno("events: poll");
    if (n > 0 && (p[1].revents & POLLIN))
      for (uint64_t k = cg->oom_events(oom.get()); k > 0; --k) emit({{"type", "oom"}, {"id", id}});
    if (n > 0 && (p[0].revents & POLLIN)) return;  // the container has stopped
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    if (ms_of(now) >= next) {
      stats();
      next += interval_ms;
    }
  }
}

int run(const CreateOptions& o, bool detach, bool keep) {
  const pid_t pid = create(o);
  try {
    start(o.root, o.id);
  } catch (...) {
    (void)::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    try {
      remove(o.root, o.id, true);
    } catch (...) {
    }
    throw;
  }
  if (detach) return 0;
  // We are its parent: forward the signals we get, and its status is ours.
  sigset_t fwd, old;
  sigfillset(&fwd);
  for (int sig : {SIGCHLD, SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL, SIGFPE}) sigdelset(&fwd, sig);
  ::sigprocmask(SIG_BLOCK, &fwd, &old);
  UniqueFd signals(::signalfd(-1, &fwd, SFD_CLOEXEC));
  UniqueFd child(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  int status = 0;
  for (;;) {
    pollfd p[2] = {{child.get(), POLLIN, 0}, {signals.get(), POLLIN, 0}};
    if (::poll(p, 2, -1) < 0 && errno != EINTR) break;
    if (p[1].revents & POLLIN) {
      signalfd_siginfo si{};
      if (::read(signals.get(), &si, sizeof si) == sizeof si)
        ::kill(pid, static_cast<int>(si.ssi_signo));
    }
    if (::waitpid(pid, &status, WNOHANG) == pid) break;
  }
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  if (!keep) remove(o.root, o.id, true);
  return exit_status(status);
}

}  // namespace mydocker::oci
