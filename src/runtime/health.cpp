#include "mydocker/runtime/health.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "mydocker/store/events.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/time.hpp"

namespace mydocker {

std::optional<double> parse_duration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  if (text == "0") return 0.0;
  double total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t used = 0;
    double n = 0;
    try {
      n = std::stod(text.substr(i), &used);
    } catch (const std::exception&) {
      return std::nullopt;
    }
    if (used == 0 || n < 0 || text[i] == '+' || text[i] == '-') return std::nullopt;
    i += used;
    size_t unit_end = i;
    while (unit_end < text.size() && std::isalpha(static_cast<unsigned char>(text[unit_end])))
      ++unit_end;
    const std::string unit = text.substr(i, unit_end - i);
    i = unit_end;
    static const std::pair<const char*, double> units[] = {
        {"ns", 1e-9}, {"us", 1e-6}, {"µs", 1e-6}, {"ms", 1e-3}, {"s", 1}, {"m", 60}, {"h", 3600}};
    bool known = false;
    for (const auto& [name, scale] : units)
      if (unit == name) {
        total += n * scale;
        known = true;
      }
    if (!known) return std::nullopt;
  }
  return total;
}

namespace {

double seconds_flag(const std::string& flag, const std::string& text, double fallback,
                    double minimum) {
  if (text.empty()) return fallback;
  const auto d = parse_duration(text);
  if (!d || (*d != 0 && *d < minimum))
    throw Error("invalid value '" + text + "' for " + flag +
                ": a duration of at least 1ms (30s, 1m30s, 500ms)");
  return *d == 0 ? fallback : *d;
}

}  // namespace

std::optional<HealthConfig> health_from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("Test") || !j["Test"].is_array() || j["Test"].empty())
    return std::nullopt;
  HealthConfig h;
  for (const auto& t : j["Test"])
    if (t.is_string()) h.test.push_back(t.get<std::string>());
  if (h.test.empty() || h.test.front() == "NONE") return std::nullopt;
  auto secs = [&](const char* key, double fallback) {
    return j.contains(key) && j[key].is_number() && j[key].get<double>() > 0
               ? j[key].get<double>() / 1e9
               : fallback;
  };
  h.interval = secs("Interval", 30);
  h.timeout = secs("Timeout", 30);
  h.start_period = secs("StartPeriod", 0);
  if (j.contains("Retries") && j["Retries"].is_number_integer() && j["Retries"].get<int>() > 0)
    h.retries = j["Retries"].get<int>();
  return h;
}

nlohmann::json health_json(const HealthConfig& h) {
  auto ns = [](double s) { return static_cast<int64_t>(std::llround(s * 1e9)); };
  return {{"Test", h.test},
          {"Interval", ns(h.interval)},
          {"Timeout", ns(h.timeout)},
          {"StartPeriod", ns(h.start_period)},
          {"Retries", h.retries}};
}

std::optional<HealthConfig> health_config(const RunOptions& o, const nlohmann::json& image) {
  if (o.no_healthcheck) {
    if (!o.health_cmd.empty())
      throw Error("conflicting options: --no-healthcheck and --health-cmd");
    return std::nullopt;
  }
  std::optional<HealthConfig> h = health_from_json(image);
  if (!o.health_cmd.empty()) {
    if (!h) h.emplace();
    h->test = {"CMD-SHELL", o.health_cmd};
  }
  HealthConfig d = h.value_or(HealthConfig{});
  d.interval = seconds_flag("--health-interval", o.health_interval, d.interval, 0.001);
  d.timeout = seconds_flag("--health-timeout", o.health_timeout, d.timeout, 0.001);
  d.start_period = seconds_flag("--health-start-period", o.health_start_period, d.start_period, 0);
  if (!o.health_retries.empty()) {
    const long n = std::strtol(o.health_retries.c_str(), nullptr, 10);
    if (n < 0 || std::to_string(n) != o.health_retries)
      throw Error("invalid value '" + o.health_retries + "' for --health-retries: 0 or more");
    if (n > 0) d.retries = static_cast<int>(n);
  }
  if (!h) return std::nullopt;  // tuning flags without a check: nothing to run (docker's rule)
  return d;
}

namespace {

struct Probe {
  int exit_code = -1;
  std::string output;
};

// `mydocker exec CONTAINER <test>`, its output kept (at most 4 KiB, docker's), killed at the
// timeout.
Probe probe(const std::string& id, const RunOptions& o, const HealthConfig& h) {
  std::vector<std::string> argv{
      "/proc/self/exe", "--root", o.state_root, "--data-root", o.data_root, "exec", id};
  if (h.test.front() == "CMD-SHELL") argv.insert(argv.end(), {"/bin/sh", "-c"});
  argv.insert(argv.end(), h.test.begin() + 1, h.test.end());
  Pipe out = make_pipe();
  const pid_t pid = ::fork();
  if (pid < 0) return {-1, "fork: " + errno_text(errno)};
  if (pid == 0) {
    ::dup2(out.write.get(), 1);
    ::dup2(out.write.get(), 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  out.write.reset();
  Probe p;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long>(h.timeout * 1000));
  char buf[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    pollfd pfd{out.read.get(), POLLIN, 0};
    if (left <= 0 || ::poll(&pfd, 1, static_cast<int>(left)) == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      return {-1, "Health check exceeded timeout (" + std::to_string(h.timeout) + "s)"};
    }
    const ssize_t n = ::read(out.read.get(), buf, sizeof buf);
    if (n <= 0) break;
    if (p.output.size() < 4096) p.output.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  p.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (p.output.size() > 4096) p.output.resize(4096);
  return p;
}

// docker's rules: a success makes it healthy; a failure counts (outside the start period) and
// `retries` of them in a row make it unhealthy. The last 5 results are kept. A change of status
// is docker's event "health_status: healthy" (or unhealthy).
void record(const ContainerDir& dir, const RunOptions& o, const HealthConfig& h, const Probe& p,
            const std::string& start, bool in_start_period) {
  std::string before;
  const ContainerState now = dir.update([&](ContainerState& st) {
    if (!st.live()) return;
    auto& health = st.health;
    if (!health.is_object()) health = {{"Status", "starting"}, {"FailingStreak", 0}, {"Log", {}}};
    before = health.value("Status", "");
    if (p.exit_code == 0) {
      health["Status"] = "healthy";
      health["FailingStreak"] = 0;
    } else if (!(in_start_period && health["Status"] == "starting")) {
      health["FailingStreak"] = health.value("FailingStreak", 0) + 1;
      if (health["FailingStreak"].get<int>() >= h.retries) health["Status"] = "unhealthy";
    }
    auto& log = health["Log"];
    log.push_back({{"Start", start},
                   {"End", now_rfc3339()},
                   {"ExitCode", p.exit_code},
                   {"Output", p.output}});
    while (log.size() > 5) log.erase(log.begin());
  });
  const std::string status = now.health.is_object() ? now.health.value("Status", "") : "";
  if (!before.empty() && status != before)
    record_event(o.state_root, container_event("health_status: " + status, dir.id(), now));
}

}  // namespace

HealthChecker::HealthChecker(const ContainerDir& dir, const RunOptions& o,
                             const std::optional<HealthConfig>& h, const sigset_t& original_mask) {
  if (!h) return;
  dir.update([](ContainerState& st) {
    st.health = {{"Status", "starting"}, {"FailingStreak", 0}, {"Log", nlohmann::json::array()}};
  });
  pid_ = ::fork();
  if (pid_ != 0) return;  // we, or a fork that failed: no checks
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  // Nothing of the supervisor's: `run -d` waits for EOF on its ready pipe, the relay for its
  // container's pipes.
  ::syscall(SYS_close_range, 3U, ~0U, 0U);
  ::sigprocmask(SIG_SETMASK, &original_mask, nullptr);
  const auto began = std::chrono::steady_clock::now();
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long>(h->interval * 1000)));
    const std::string start = now_rfc3339();
    const bool in_start_period =
        std::chrono::steady_clock::now() - began < std::chrono::duration<double>(h->start_period);
    try {
      record(dir, o, *h, probe(dir.id(), o, *h), start, in_start_period);
    } catch (const std::exception&) {
      ::_exit(0);  // the container's record is gone
    }
  }
}

HealthChecker::~HealthChecker() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

}  // namespace mydocker
