#include "mydocker/runtime/events.hpp"

#include "mydocker/store/events.hpp"

namespace mydocker {
namespace {

Event network_of(const char* action, const net::Endpoint& e, const std::string& id) {
  return network_event(action, e.network.id, e.network.name, e.network.driver, id);
}

}  // namespace

void record_start(const RunOptions& o, const std::string& id, const ContainerState& st,
                  const net::Endpoint* e) noexcept {
  if (e) record_event(o.state_root, network_of("connect", *e, id));
  record_event(o.state_root, container_event("start", id, st));
}

void record_oom(const RunOptions& o, const ContainerDir& dir) noexcept {
  try {
    record_event(o.state_root, container_event("oom", dir.id(), dir.status()));
  } catch (const std::exception&) {
  }
}

void record_end(const RunOptions& o, const ContainerDir& dir, const Outcome& out,
                const net::Endpoint* e) noexcept {
  ContainerState st;  // its name now (renamed meanwhile?), image and labels
  try {
    st = dir.status();
  } catch (const std::exception&) {
  }
  if (out.stats.memory && out.stats.memory->oom_kills > 0 && out.oom_events == 0)
    record_event(o.state_root, container_event("oom", dir.id(), st));
  Event die = container_event("die", dir.id(), st);
  die.attributes["exitCode"] = std::to_string(out.failure ? out.failure->exit_code : out.status);
  die.attributes["execDuration"] = std::to_string(static_cast<long>(out.wall_seconds));
  record_event(o.state_root, die);
  if (e) record_event(o.state_root, network_of("disconnect", *e, dir.id()));
}

}  // namespace mydocker
