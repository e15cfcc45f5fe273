#include "mydocker/commands/containers.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <set>
#include <sstream>
#include <thread>

#include "mydocker/cgroup/manager.hpp"
#include "mydocker/commands/commands.hpp"
#include "mydocker/commands/events.hpp"
#include "mydocker/image/image.hpp"
#include "mydocker/image/tar.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/id.hpp"
#include "mydocker/util/program.hpp"
#include "mydocker/util/time.hpp"
#include "mydocker/util/trace.hpp"

namespace mydocker {
namespace {

std::optional<ContainerView> read_view(const Store& store, const std::string& id) {
  ContainerDir dir(store.root(), id);
  ContainerView v;
  v.id = id;
  try {
    v.state = dir.status();  // one small file: what ps shows (see ContainerState)
    if (v.state.name.empty()) fill_summary(v.state, dir.config());  // a 0.2 record
  } catch (const Error&) {
    return std::nullopt;  // being removed
  }
  // Only a live state needs its supervisor asked; one that is gone is recorded dead, once.
  v.supervisor_alive = dir.running(v.state);
  if (v.state.live() && !v.supervisor_alive) v.state = settle_dead_supervisor(store, dir, v.state);
  v.log_path = dir.log_path();
  return v;
}

double boot_time(const Fs& fs) {
  auto stat = fs.read_if_exists("/proc/stat");
  if (!stat) return 0;
  auto pos = stat->find("\nbtime ");
  return pos == std::string::npos ? 0 : std::atof(stat->c_str() + pos + 7);
}

// /proc/PID/stat and status, or nullopt when the process is gone meanwhile.
std::optional<ProcessInfo> process_info(const Fs& fs, pid_t pid, double boot, long hz) {
  const std::string base = "/proc/" + std::to_string(pid);
  auto stat = fs.read_if_exists(base + "/stat");
  auto status = fs.read_if_exists(base + "/status");
  if (!stat || !status) return std::nullopt;
  // stat: pid (comm) state ppid ... utime(14) stime(15) ... starttime(22); comm may hold spaces
  std::istringstream f(stat->substr(stat->rfind(')') + 2));
  std::vector<std::string> v((std::istream_iterator<std::string>(f)), {});
  if (v.size() < 20) return std::nullopt;
  ProcessInfo p;
  p.pid = pid;
  p.ppid = static_cast<pid_t>(std::atol(v[1].c_str()));
  p.cpu_ticks = std::atol(v[11].c_str()) + std::atol(v[12].c_str());
  p.started_at = boot + std::atof(v[19].c_str()) / static_cast<double>(hz);
  if (auto pos = status->find("\nUid:\t"); pos != std::string::npos)
    p.uid = static_cast<uid_t>(std::atol(status->c_str() + pos + 6));
  p.cmd = fs.read_if_exists(base + "/cmdline").value_or("");
  std::replace(p.cmd.begin(), p.cmd.end(), '\0', ' ');
  // What the container wrote is shown, not obeyed: control characters (a terminal's escape
  // sequences, a newline faking a row) as '?', as ps shows them.
  for (char& c : p.cmd)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  while (!p.cmd.empty() && p.cmd.back() == ' ') p.cmd.pop_back();
  if (p.cmd.empty())
    p.cmd = "[" + stat->substr(stat->find('(') + 1, stat->rfind(')') - stat->find('(') - 1) + "]";
  return p;
}

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

std::vector<ContainerView> list_containers(const Store& store, bool all) {
  std::vector<ContainerView> out;
  for (const auto& id : store.ids()) {
    auto v = read_view(store, id);
    if (v && (all || v->live())) out.push_back(std::move(*v));
  }
  // RFC 3339 times in UTC with the same layout sort as text.
  std::sort(out.begin(), out.end(), [](const ContainerView& a, const ContainerView& b) {
    return a.state.created > b.state.created;
  });
  return out;
}

void measure_size(ContainerView& c, const Store& store, const std::string& data_root) {
  nlohmann::json config = c.config;
  if (config.is_null()) try {
      config = ContainerDir(store.root(), c.id).config();
    } catch (const Error&) {
      return;  // removed meanwhile
    }
  const std::string files = config.value("files_dir", "");
  if (files.empty()) return;  // the host's files: nothing of its own
  try {
    c.size_rw = tree_size(files + "/upper");
  } catch (const Error&) {
    return;
  }
  const std::string image = config.value("image", "");
  if (auto info = image.empty() ? std::nullopt : ImageStore(data_root).lookup(image))
    c.size_root_fs = c.size_rw + info->size;
}

ContainersUse containers_use(const Store& store) {
  ContainersUse out;
  for (const auto& id : store.ids()) {
    nlohmann::json config;
    try {
      config = ContainerDir(store.root(), id).config();
    } catch (const Error&) {
      continue;  // removed meanwhile
    }
    out.images.insert(config.value("image", ""));
    for (const char* key : {"volumes", "anonymous_volumes"})
      for (const auto& v : config.value(key, std::vector<std::string>{})) out.volumes.insert(v);
  }
  return out;
}

ContainerView view_container(const Store& store, const std::string& ref) {
  const ContainerDir dir = store.open(ref);
  ContainerView v;
  v.id = dir.id();
  v.config = dir.config();
  v.state = dir.state(v.config);  // config.json read once
  if (!v.state.extra_networks.empty()) v.config["extra_networks"] = dir.extra_networks();
  v.supervisor_alive = dir.supervisor_alive();
  if (v.state.live() && !v.supervisor_alive) v.state = settle_dead_supervisor(store, dir, v.state);
  v.log_path = dir.log_path();
  return v;
}

std::vector<ProcessInfo> container_processes(const Store& store, const std::string& ref) {
  const ContainerView v = view_container(store, ref);
  if (!v.live()) throw Error("container " + short_id(v.id) + " is not running");
  const Fs fs;
  const double boot = boot_time(fs);
  const long hz = ::sysconf(_SC_CLK_TCK);
  std::vector<ProcessInfo> out;
  for (pid_t pid : open_cgroup_manager(fs, v.state.cgroup, v.id)->pids())
    if (auto p = process_info(fs, pid, boot, hz)) out.push_back(std::move(*p));
  return out;
}

std::string container_ps(const Store& store, const std::string& ref,
                         const std::vector<std::string>& ps_args) {
  std::set<std::string> pids;
  for (const auto& p : container_processes(store, ref)) pids.insert(std::to_string(p.pid));
  std::vector<std::string> argv{"ps"};
  argv.insert(argv.end(), ps_args.begin(), ps_args.end());
  const ProgramResult ps = run_program("ps", argv);
  if (ps.status != 0)
    throw Error("ps " + trace::join(ps_args) + " failed (exit " + std::to_string(ps.status) + ")");
  std::istringstream in(ps.output);
  std::string header, line, out;
  std::getline(in, header);
  // docker's rule: the PID column of the header, and the rows whose PID is the container's.
  std::istringstream titles(header);
  size_t pid_at = 0;
  bool found = false;
  for (std::string t; titles >> t; ++pid_at)
    if (t == "PID") {
      found = true;
      break;
    }
  if (!found) throw Error("Couldn't find PID field in ps output (add -o pid)");
  out = header + "\n";
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string f;
    size_t i = 0;
    for (; i <= pid_at && fields >> f; ++i) {
    }
    if (i <= pid_at || f.empty() || f.find_first_not_of("0123456789") != std::string::npos)
      throw Error("unexpected PID '" + f + "' in ps output (a column with spaces, such as " +
                  "lstart, must come after pid)");
    if (pids.count(f)) out += line + "\n";
  }
  return out;
}

std::vector<StatsSample> sample_stats(const Store& store, const std::vector<std::string>& ids,
                                      bool stopped_too) {
  std::vector<StatsSample> out;
  const Fs fs;
  for (const auto& id : ids) {
    const ContainerDir dir(store.root(), id);
    ContainerState st;
    try {
      st = dir.state();
    } catch (const Error&) {
      continue;
    }
    if (!st.live() || !dir.supervisor_alive()) {
      if (stopped_too) out.push_back({id, store.name_of(id), Stats{}, steady_seconds(), {}, true});
      continue;
    }
    StatsSample sample{id, store.name_of(id), open_cgroup_manager(fs, st.cgroup, id)->stats(),
                       steady_seconds(), std::nullopt};
    if (st.network != "host")
      if (auto dev = fs.read_if_exists("/proc/" + std::to_string(st.pid) + "/net/dev"))
        sample.net = parse_net_dev(*dev);
    out.push_back(std::move(sample));
  }
  return out;
}

std::pair<uint64_t, uint64_t> parse_net_dev(const std::string& text) {
  std::pair<uint64_t, uint64_t> total{0, 0};
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;  // the two header lines
    const std::string name(trim(line.substr(0, colon)));
    if (name == "lo") continue;
    std::istringstream f(line.substr(colon + 1));
    std::vector<uint64_t> v;
    for (uint64_t n; v.size() < 9 && f >> n;) v.push_back(n);
    if (v.size() < 9) continue;
    total.first += v[0];   // receive bytes
    total.second += v[8];  // transmit bytes
  }
  return total;
}

uint64_t host_memory_bytes() {
  Fs fs;
  auto text = fs.read_if_exists("/proc/meminfo").value_or("");
  auto pos = text.find("MemTotal:");
  return pos == std::string::npos ? 0 : std::strtoull(text.c_str() + pos + 9, nullptr, 10) * 1024;
}

namespace {

std::string read_rest(int fd) {
  std::string text;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  return text;
}

// The log's current file, once it was rotated away from under `fd` (another inode).
bool rotated(int fd, const std::string& path) {
  struct stat a {
  }, b{};
  return ::fstat(fd, &a) == 0 && ::stat(path.c_str(), &b) == 0 && a.st_ino != b.st_ino;
}

// The log's current file; empty for a container that never started (docker shows nothing).
UniqueFd open_log(const ContainerDir& dir) {
  const auto config = dir.config();
  const std::string id = dir.id().substr(0, 12);
  if (!keeps_log(config))
    throw Error("container " + id +
                (config.value("auto_remove", false) && !config.value("detached", false)
                     ? " runs in the foreground with --rm: its output goes to the caller only, "
                       "not to a log"
                     : " runs with --log-driver none: no log is kept"));
  UniqueFd fd(::open(dir.log_path().c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd && errno == ENOENT && dir.status().status == "created") return fd;
  if (!fd && errno == ENOENT && !config.value("detached", false))  // by a mydocker from before
    throw Error("container " + id +
                " ran in the foreground: its output went to the terminal, not to a log");
  if (!fd) throw SysError(errno, "cannot read " + dir.log_path());
  return fd;
}

// The start time of the container's current run; "" when it does not run (or is gone).
std::string run_started(const ContainerDir& dir) {
  try {
    const ContainerState st = dir.status();
    return st.status == "running" || st.status == "paused" ? st.started_at : "";
  } catch (const Error&) {
    return "";
  }
}

// A log's files as read: the rotated ones (--log-opt max-file), oldest first, then the current
// one, open at `current`, up to its size now (the supervisor may be writing on).
struct LogSegment {
  UniqueFd owned;
  int fd;
  off_t size;
};
std::vector<LogSegment> log_segments(const ContainerDir& dir, int current) {
  std::vector<LogSegment> out;
  struct stat now {};
  ::fstat(current, &now);
  for (const auto& file : log_files(dir.log_path())) {
    if (file == dir.log_path()) break;
    UniqueFd older(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (!older || ::fstat(older.get(), &st) != 0) continue;
    // Rotated since we opened the current file: it is .1 now, read once (as the current one).
    if (st.st_dev == now.st_dev && st.st_ino == now.st_ino) continue;
    const int at = older.get();
    out.push_back({std::move(older), at, st.st_size});
  }
  out.push_back({UniqueFd(), current, now.st_size});
  return out;
}

// The last `window` bytes of the segments, in their order.
std::string last_bytes(const std::vector<LogSegment>& segments, off_t window) {
  std::string out;
  for (auto it = segments.rbegin(); it != segments.rend() && window > 0; ++it) {
    const off_t take = std::min(window, it->size);
    std::string part(static_cast<size_t>(take), '\0');
    const ssize_t n = ::pread(it->fd, part.data(), part.size(), it->size - take);
    part.resize(n > 0 ? static_cast<size_t>(n) : 0);
    out.insert(0, part);
    window -= take;
  }
  return out;
}

// The last `tail` entries (all without), read backwards in a window that grows fourfold from
// 64 KiB: `logs --tail 10` of a long log reads its end only. Only whole lines: the part after
// the last newline (a line being written) is left in `partial`, and the current file's offset
// moves to its end for -f.
std::vector<LogEntry> last_entries(const std::vector<LogSegment>& segments,
                                   std::optional<size_t> tail, std::string& partial) {
  off_t total = 0;
  for (const auto& s : segments) total += s.size;
  ::lseek(segments.back().fd, segments.back().size, SEEK_SET);
  for (off_t window = tail ? 64 * 1024 : total;; window *= 4) {
    const bool all = window >= total;
    std::string text = last_bytes(segments, all ? total : window);
    const size_t last = text.rfind('\n');
    if (!all && last == std::string::npos) continue;  // inside one long line: its start too
    partial = last == std::string::npos ? text : text.substr(last + 1);
    text.resize(last == std::string::npos ? 0 : last + 1);
    if (!all) text.erase(0, std::min(text.size(), text.find('\n') + 1));  // a cut line
    auto entries = parse_log(text);
    if (tail && entries.size() < *tail && !all) continue;  // not enough yet: a wider window
    if (tail && entries.size() > *tail)
      entries.erase(entries.begin(), entries.end() - static_cast<ptrdiff_t>(*tail));
    return entries;
  }
}

}  // namespace

void read_logs(const Store& store, const std::string& ref, const LogQuery& q,
               const std::function<void(const LogEntry&)>& each) {
  const ContainerDir dir = store.open(ref);
  UniqueFd fd = open_log(dir);
  if (!fd) return;  // never started: nothing yet
  auto in_range = [&](const LogEntry& e) {
    if (!q.since && !q.until) return true;
    const auto t = parse_rfc3339_ns(e.time);
    return t && (!q.since || *t >= *q.since) && (!q.until || *t <= *q.until);
  };
  std::string partial;
  for (const auto& e : last_entries(log_segments(dir, fd.get()), q.tail, partial))
    if (in_range(e)) each(e);
  // -f: what is appended until the run it found ends (docker's: a restart by the policy ends it
  // too, and a container that is not running gives what its log has), or `until` is past.
  auto past_until = [&] { return q.until && wall_clock_ns() > *q.until; };
  const std::string started = run_started(dir);
  auto run_over = [&] {
    return started.empty() || !dir.supervisor_alive() || run_started(dir) != started;
  };
  while (q.follow && !past_until()) {
    std::string more = read_rest(fd.get());
    if (more.empty() && rotated(fd.get(), dir.log_path())) {
      UniqueFd next(::open(dir.log_path().c_str(), O_RDONLY | O_CLOEXEC));
      if (next) fd = std::move(next);
      continue;
    }
    partial += more;
    const size_t nl = partial.rfind('\n');
    if (nl != std::string::npos) {
      for (const auto& e : parse_log(partial.substr(0, nl + 1)))
        if (in_range(e)) each(e);
      partial.erase(0, nl + 1);
    }
    if (more.empty() && run_over()) {
      for (const auto& e : parse_log(partial + read_rest(fd.get())))  // what came meanwhile
        if (in_range(e)) each(e);
      return;
    }
    if (more.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace mydocker
