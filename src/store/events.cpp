#include "mydocker/store/events.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "mydocker/util/error.hpp"
#include "mydocker/util/files.hpp"
#include "mydocker/util/json_out.hpp"

namespace mydocker {
namespace {

int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// ---- the writer ----

// The events file this process appends to, open for the process's life.
struct Writer {
  std::string root;
  UniqueFd fd;
  pid_t pid = 0;  // the process that opened fd
  dev_t dev = 0;
  ino_t ino = 0;
};

Writer& writer() {
  static Writer w;
  return w;
}

// After a fork the fd is the parent's open file, and an flock belongs to the open file: the
// child opens its own. A child that closed every fd (close_range) may have the number reused
// for another file by now: only a descriptor that still is the events file is closed.
void forget_inherited(Writer& w) {
  const pid_t pid = ::getpid();
  if (w.pid == pid) return;
  struct stat st {};
  if (w.fd && ::fstat(w.fd.get(), &st) == 0 && st.st_dev == w.dev && st.st_ino == w.ino)
    w.fd.reset();
  else
    (void)w.fd.release();
  w.pid = pid;
}

bool open_events(Writer& w, const std::string& root) {
  const std::string path = events_path(root);
  const int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC;
  w.fd.reset(::open(path.c_str(), flags, 0600));
  if (!w.fd && errno == ENOENT) {
    try {
      make_dirs(root, 0700);
    } catch (const Error& e) {
      spdlog::debug("events: {}", e.what());
      return false;
    }
    w.fd.reset(::open(path.c_str(), flags, 0600));
  }
  struct stat st {};
  if (!w.fd || ::fstat(w.fd.get(), &st) != 0) {
    spdlog::debug("events: cannot open {}: {}", path, errno_text(errno));
    w.fd.reset();
    return false;
  }
  w.root = root;
  w.dev = st.st_dev;
  w.ino = st.st_ino;
  return true;
}

void lock(int fd, int how) {
  while (::flock(fd, how) != 0 && errno == EINTR) {
  }
}

// Renames the file to events.1 under its exclusive flock (no writer is between its check and
// its write then), if the path still names the file `fd` is: another process may have rotated
// it while we waited for the lock.
void rotate(const std::string& path, int fd, dev_t dev, ino_t ino) {
  lock(fd, LOCK_EX);
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && st.st_dev == dev && st.st_ino == ino &&
      st.st_size > kEventsFileLimit && ::rename(path.c_str(), (path + ".1").c_str()) != 0)
    spdlog::debug("events: cannot rename {}: {}", path, errno_text(errno));
  lock(fd, LOCK_UN);
}

// One write of the line, under the shared flock, once the path is seen to name our file still.
// False when it does not (rotated, removed): the caller opens it again.
bool append(const Writer& w, const std::string& path, std::string_view line) {
  lock(w.fd.get(), LOCK_SH);
  struct stat st {};
  const bool named = ::stat(path.c_str(), &st) == 0;
  if ((!named && errno == ENOENT) || (named && (st.st_dev != w.dev || st.st_ino != w.ino))) {
    lock(w.fd.get(), LOCK_UN);
    return false;
  }
  // Not named for another reason (exec, once in a container's user namespace, cannot look into
  // the state root any more): the fd is still the file.
  const ssize_t n = ::write(w.fd.get(), line.data(), line.size());
  const int err = errno;
  lock(w.fd.get(), LOCK_UN);
  if (n != static_cast<ssize_t>(line.size()))
    spdlog::debug("events: cannot write {}: {}", path, n < 0 ? errno_text(err) : "short write");
  else if (named && st.st_size + n > kEventsFileLimit)
    rotate(path, w.fd.get(), w.dev, w.ino);
  return true;
}

// ---- the line ----

// ---- the readers ----

bool same_file(int a, int b) {
  struct stat sa {
  }, sb{};
  return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

UniqueFd open_for_reading(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd && errno != ENOENT) throw SysError(errno, "cannot read " + path);
  return fd;
}

// Both generations, the current one first: a rotation in between makes events.1 the file
// already open as events (read once, then), and the older one it replaced is gone anyway.
struct Generations {
  UniqueFd old, cur;
};
Generations open_generations(const std::string& path) {
  Generations g;
  g.cur = open_for_reading(path);
  g.old = open_for_reading(path + ".1");
  if (g.cur && g.old && same_file(g.cur.get(), g.old.get())) g.old.reset();
  return g;
}

using LineFn = std::function<bool(std::string_view)>;

// Reads `fd` from where it is to its end, each complete line (without its '\n') to `each`; an
// unfinished last line waits in `partial`. False when `each` returned false.
bool drain_lines(int fd, std::string& partial, const LineFn& each) {
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError(errno, "cannot read the events");
    if (n == 0) return true;
    partial.append(buf, static_cast<size_t>(n));
    size_t start = 0, nl;
    while ((nl = partial.find('\n', start)) != std::string::npos) {
      const bool go_on = each(std::string_view(partial).substr(start, nl - start));
      start = nl + 1;
      if (!go_on) {
        partial.erase(0, start);
        return false;
      }
    }
    partial.erase(0, start);
  }
}

// The events of the lines; damaged lines are skipped.
LineFn events_of(const std::function<bool(const Event&)>& each) {
  return [&each](std::string_view line) {
    const auto e = parse_event_line(line);
    return !e || each(*e);
  };
}

}  // namespace

std::string events_path(const std::string& state_root) { return state_root + "/events"; }

std::string event_line(const Event& e) {
  std::string out = "{";
  auto field = [&out](const char* key, std::string_view value) {
    out += '"';
    out += key;
    out += "\":";
    append_json_string(out, value, /*replace_invalid=*/true);
    out += ',';
  };
  if (e.type == "container" || e.type == "image") {  // docker's older fields
    field("status", e.action);
    field("id", e.actor);
    auto image = e.attributes.find("image");
    if (e.type == "container" && image != e.attributes.end() && !image->second.empty())
      field("from", image->second);
  }
  field("Type", e.type);
  field("Action", e.action);
  out += "\"Actor\":{";
  field("ID", e.actor);
  out += "\"Attributes\":{";
  for (const auto& [k, v] : e.attributes) {
    append_json_string(out, k, true);
    out += ':';
    append_json_string(out, v, true);
    out += ',';
  }
  if (out.back() == ',') out.pop_back();
  out += "}},\"scope\":\"local\",\"time\":" + std::to_string(e.time_ns / 1000000000) +
         ",\"timeNano\":" + std::to_string(e.time_ns) + "}\n";
  return out;
}

std::optional<Event> parse_event_line(std::string_view line) {
  const auto j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  Event e;
  try {
    e.type = j.value("Type", "");
    e.action = j.value("Action", "");
    if (j.contains("Actor") && j["Actor"].is_object()) {
      e.actor = j["Actor"].value("ID", "");
      const auto& actor = j["Actor"];
      if (actor.contains("Attributes") && actor["Attributes"].is_object())
        for (const auto& [k, v] : actor["Attributes"].items())
          if (v.is_string()) e.attributes[k] = v.get<std::string>();
    }
    e.time_ns = j.value("timeNano", int64_t{0});
    if (e.time_ns == 0) e.time_ns = j.value("time", int64_t{0}) * 1000000000;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  if (e.type.empty() || e.action.empty()) return std::nullopt;
  return e;
}

void record_event(const std::string& state_root, Event e) noexcept {
  try {
    if (e.time_ns == 0) e.time_ns = now_ns();
    const std::string line = event_line(e);
    const std::string path = events_path(state_root);
    Writer& w = writer();
    forget_inherited(w);
    for (int attempt = 0; attempt < 3; ++attempt) {
      if ((!w.fd || w.root != state_root) && !open_events(w, state_root)) return;
      if (append(w, path, line)) return;
      w.fd.reset();  // rotated or removed: the path's file now
    }
  } catch (const std::exception& ex) {
    spdlog::debug("events: {}", ex.what());
  }
}

Event container_event(std::string action, std::string id, const std::string& name,
                      const std::string& image, const std::map<std::string, std::string>& labels) {
  Event e{"container", std::move(action), std::move(id), labels, 0};
  if (!image.empty()) e.attributes["image"] = image;
  e.attributes["name"] = name;
  return e;
}

Event container_event(std::string action, std::string id, const ContainerState& st) {
  return container_event(std::move(action), std::move(id), st.name, st.image, st.labels);
}

Event image_event(std::string action, std::string actor, std::string name,
                  const std::map<std::string, std::string>& labels) {
  Event e{"image", std::move(action), std::move(actor), labels, 0};
  e.attributes["name"] = std::move(name);
  return e;
}

Event volume_event(std::string action, std::string name) {
  return Event{"volume", std::move(action), std::move(name), {{"driver", "local"}}, 0};
}

Event network_event(std::string action, std::string id, const std::string& name,
                    const std::string& driver, const std::string& container) {
  Event e{"network", std::move(action), std::move(id), {{"name", name}, {"type", driver}}, 0};
  if (!container.empty()) e.attributes["container"] = container;
  return e;
}

std::vector<Event> read_events(const std::string& state_root, int64_t since_ns, int64_t until_ns) {
  std::vector<Event> out;
  const std::function<bool(const Event&)> keep = [&](const Event& e) {
    if (e.time_ns >= since_ns && e.time_ns <= until_ns) out.push_back(e);
    return true;
  };
  Generations g = open_generations(events_path(state_root));
  std::string partial;
  for (const UniqueFd* fd : {&g.old, &g.cur}) {
    partial.clear();  // a line cut short at a file's end is no event
    if (*fd) (void)drain_lines(fd->get(), partial, events_of(keep));
  }
  return out;
}

// ---- the follower ----

EventFollower::EventFollower(std::string state_root, bool from_start)
    : root_(std::move(state_root)), path_(events_path(root_)) {
  make_dirs(root_, 0700);
  watch_.reset(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!watch_) throw SysError(errno, "inotify_init1");
  // Before the files are opened: whatever is written after them wakes us.
  const uint32_t mask = IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE;
  if (::inotify_add_watch(watch_.get(), root_.c_str(), mask) < 0)
    throw SysError(errno, "cannot watch " + root_);
  Generations g = open_generations(path_);
  cur_ = std::move(g.cur);
  if (from_start) old_ = std::move(g.old);
  struct stat st {};
  if (cur_ && ::fstat(cur_.get(), &st) == 0) {
    dev_ = st.st_dev;
    ino_ = st.st_ino;
  }
  if (cur_ && !from_start && ::lseek(cur_.get(), 0, SEEK_END) < 0)
    throw SysError(errno, "cannot seek in " + path_);
}

bool EventFollower::moved() const {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return cur_.valid();  // renamed away, or not made yet
  return !cur_ || st.st_dev != dev_ || st.st_ino != ino_;
}

void EventFollower::open_current() {
  cur_ = open_for_reading(path_);
  cur_partial_.clear();
  struct stat st {};
  if (cur_ && ::fstat(cur_.get(), &st) == 0) {
    dev_ = st.st_dev;
    ino_ = st.st_ino;
  }
}

void EventFollower::run(const std::function<bool(const Event&)>& each, int64_t deadline_ns,
                        int stop_fd) {
  const LineFn lines = events_of(each);
  if (old_ && !drain_lines(old_.get(), old_partial_, lines)) return;
  old_.reset();
  for (;;) {
    if (cur_ && !drain_lines(cur_.get(), cur_partial_, lines)) return;
    if (moved()) {
      // Renamed to events.1: nothing more is written to it (see the header), and what was
      // written since the last read is read now, before the new file.
      if (cur_ && !drain_lines(cur_.get(), cur_partial_, lines)) return;
      open_current();
      if (cur_) continue;
    }
    int timeout = -1;
    if (deadline_ns > 0) {
      const int64_t left = deadline_ns - now_ns();
      if (left <= 0) return;
      timeout = static_cast<int>(std::min<int64_t>((left + 999999) / 1000000, 1 << 30));
    }
    pollfd fds[2] = {{watch_.get(), POLLIN, 0}, {stop_fd, POLLIN, 0}};
    const int n = ::poll(fds, stop_fd >= 0 ? 2 : 1, timeout);
    if (n < 0 && errno != EINTR) throw SysError(errno, "poll");
    if (n > 0 && stop_fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP))) return;
    char buf[4096];
    while (::read(watch_.get(), buf, sizeof buf) > 0) {
    }
  }
}

}  // namespace mydocker
