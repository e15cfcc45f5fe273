#include "mydocker/util/fs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "mydocker/util/fd.hpp"
#include "mydocker/util/trace.hpp"

namespace mydocker {
namespace {

std::string describe(const std::string& op, const std::string& path, const std::string& value) {
  if (op == "write") return "write \"" + value + "\" to " + path;
  return op + " " + path;
}

int open_retry(const std::string& path, int flags) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

}  // namespace

FsError::FsError(int err, const std::string& op, const std::string& path, const std::string& value)
    : SysError(err, describe(op, path, value)), path_(path), value_(value) {}

std::optional<std::string> Fs::read_if_exists(const std::string& path) const {
  // ENODEV: a file of a cgroup that was just removed (rmdir while we read it) is gone too.
  UniqueFd fd(open_retry(path, O_RDONLY));
  if (!fd) {
    if (errno == ENOENT || errno == ENODEV) return std::nullopt;
    throw FsError(errno, "read", path);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENODEV) return std::nullopt;
      throw FsError(errno, "read", path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string Fs::read(const std::string& path) const {
  auto content = read_if_exists(path);
  if (!content) throw FsError(ENOENT, "read", path);
  return *content;
}

namespace {

// One write(2) of `value` to `fd` (the kernel takes a cgroup value in one write).
void write_value(int fd, const std::string& path, std::string_view value) {
  ssize_t n;
  do {
    n = ::write(fd, value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw FsError(errno, "write", path, std::string(value));
  if (static_cast<size_t>(n) != value.size())
    throw FsError(EIO, "write (short)", path, std::string(value));
}

}  // namespace

// The trace's lines are built only when they are printed: every cgroup file a run writes
// passes here.
void Fs::write(const std::string& path, std::string_view value) const {
  if (trace::enabled()) trace::emit("echo " + trace::quote(value) + " > " + trace::quote(path));
  if (dry_run_) return;
  remember(path);
  UniqueFd fd(open_retry(path, O_WRONLY | O_TRUNC));  // as `echo V > file`
  if (!fd) throw FsError(errno, "write", path, std::string(value));
  write_value(fd.get(), path, value);
}

void Fs::write_each(const std::string& path, const std::vector<std::string>& values) const {
  if (values.empty()) return;
  if (trace::enabled())
    for (const auto& v : values)
      trace::emit("echo " + trace::quote(v) + " > " + trace::quote(path));
  if (dry_run_) return;
  remember(path);
  UniqueFd fd(open_retry(path, O_WRONLY | O_TRUNC));
  if (!fd) throw FsError(errno, "write", path, values.front());
  for (const auto& v : values) write_value(fd.get(), path, v);
}

void Fs::write_verified(const std::string& path, std::string_view value,
                        std::string_view expect) const {
  if (trace::enabled()) trace::emit("echo " + trace::quote(value) + " > " + trace::quote(path));
  if (dry_run_) return;
  remember(path);
  if (expect.empty()) expect = value;
  // One open for both (cgroupfs files that take a value can be read back through the same
  // descriptor, from offset 0): two system calls fewer per limit.
  UniqueFd fd(open_retry(path, O_RDWR | O_TRUNC));
  if (!fd) throw FsError(errno, "write", path, std::string(value));
  write_value(fd.get(), path, value);
  ssize_t n;
  char buf[256];
  do {
    n = ::pread(fd.get(), buf, sizeof buf, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw FsError(errno, "read", path);
  const std::string got(static_cast<size_t>(n) < sizeof buf
                            ? trim(std::string_view(buf, static_cast<size_t>(n)))
                            : trim(read(path)));  // longer than a value: read it whole
  if (got != expect)
    throw Error("the kernel did not take \"" + std::string(value) + "\" for " + path +
                ": it reads \"" + got + "\"" +
                (expect != value ? " (expected \"" + std::string(expect) + "\")" : ""));
}

void Fs::remember(const std::string& path) const {
  if (!journal_) return;
  try {
    if (auto held = read_if_exists(path)) journal_->before_.emplace_back(path, std::move(*held));
  } catch (const FsError&) {  // a file that cannot be read (write-only): nothing to take back
  }
}

WriteJournal::WriteJournal(const Fs& fs) : fs_(fs), outer_(std::exchange(fs.journal_, this)) {}

WriteJournal::~WriteJournal() {
  fs_.journal_ = outer_;
  if (outer_)  // the outer one takes back these writes too, if it must
    outer_->before_.insert(outer_->before_.end(), before_.begin(), before_.end());
}

std::vector<std::string> WriteJournal::undo() noexcept {
  std::vector<std::string> failed;
  WriteJournal* const open = std::exchange(fs_.journal_, nullptr);  // not these writes
  for (auto it = before_.rbegin(); it != before_.rend(); ++it) {
    try {
      const auto lines = split(it->second, "\n");
      if (lines.size() > 1)
        fs_.write_each(it->first, lines);
      else
        fs_.write(it->first, trim(it->second));
    } catch (const std::exception& e) {
      failed.push_back(e.what());
    }
  }
  before_.clear();
  fs_.journal_ = open;
  return failed;
}

bool Fs::make_dir(const std::string& path) const {
  if (dry_run_) {
    if (exists(path)) return false;
    trace::emit("mkdir " + trace::quote(path));
    return true;
  }
  if (trace::enabled()) trace::emit("mkdir " + trace::quote(path));
  int rc;
  do {
    rc = ::mkdir(path.c_str(), 0755);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    if (errno == EEXIST) return false;
    throw FsError(errno, "mkdir", path);
  }
  on_dir_created(path);
  return true;
}

int Fs::remove_dir(const std::string& path) const {
  if (trace::enabled()) trace::emit("rmdir " + trace::quote(path));
  if (dry_run_) return 0;
  on_dir_removing(path);
  int rc;
  do {
    rc = ::rmdir(path.c_str());
  } while (rc != 0 && errno == EINTR);
  if (rc == 0 || errno == ENOENT) return 0;
  return errno;
}

bool Fs::exists(const std::string& path) const {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string path_join(std::string_view a, std::string_view b) {
  std::string out(a);
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  while (!b.empty() && b.front() == '/') b.remove_prefix(1);
  while (!b.empty() && b.back() == '/') b.remove_suffix(1);
  if (b.empty()) return out;
  if (out.empty()) return std::string(b);
  if (out.back() != '/') out += '/';
  out += b;
  return out;
}

std::string absolute_path(const std::string& path) {
  if (path.empty() || path.front() == '/') return path.empty() ? path : clean_path(path);
  char cwd[4096];
  if (!::getcwd(cwd, sizeof cwd)) return path;
  return clean_path(std::string(cwd) + "/" + path);
}

std::string clean_path(std::string_view path) {
  const bool absolute = !path.empty() && path.front() == '/';
  std::vector<std::string> parts;
  for (auto& part : split(path, "/")) {
    if (part == ".") continue;
    if (part == ".." && !parts.empty() && parts.back() != "..")
      parts.pop_back();
    else if (part != ".." || !absolute)  // above the root is the root
      parts.push_back(std::move(part));
  }
  std::string out = absolute ? "/" : "";
  for (const auto& part : parts) out += (out.empty() || out == "/" ? "" : "/") + part;
  return out.empty() ? "." : out;
}

std::vector<std::string> split(std::string_view text, std::string_view separators) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    const size_t end = std::min(text.find_first_of(separators, i), text.size());
    if (end > i) out.emplace_back(text.substr(i, end - i));
    i = end + 1;
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.back() == '\n' || s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

}  // namespace mydocker
