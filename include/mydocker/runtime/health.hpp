#pragma once
// docker's HEALTHCHECK: a probe command run in the container (through `mydocker exec`) every
// interval by a small process the supervisor forks; its results go to state.json (`ps` shows
// "(healthy)", `inspect` State.Health). --health-* flags over the image's Healthcheck.

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mydocker/spec/options.hpp"
#include "mydocker/store/store.hpp"

namespace mydocker {

struct HealthConfig {
  std::vector<std::string> test;  // ["CMD-SHELL", "curl -f localhost"] or ["CMD", "x", ...]
  double interval = 30, timeout = 30, start_period = 0;  // seconds
  int retries = 3;
};

// Go's durations as docker takes them: "30s", "1m30s", "500ms", "0.2s". nullopt if malformed.
std::optional<double> parse_duration(const std::string& text);

// The check a run gets: the flags over the image's (config.Healthcheck JSON, may be null);
// nullopt for none (--no-healthcheck, ["NONE"], nothing). Throws Error naming the flag.
std::optional<HealthConfig> health_config(const RunOptions& o, const nlohmann::json& image);
// docker's Config.Healthcheck shape (durations in nanoseconds), and back.
nlohmann::json health_json(const HealthConfig& h);
std::optional<HealthConfig> health_from_json(const nlohmann::json& j);

// Runs the checks while it lives: a child process (killed with us), started once the command
// runs. Nothing without a check.
class HealthChecker {
 public:
  HealthChecker(const ContainerDir& dir, const RunOptions& o, const std::optional<HealthConfig>& h,
                const sigset_t& original_mask);
  ~HealthChecker();
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

 private:
  pid_t pid_ = -1;
};

}  // namespace mydocker
