#include "mydocker/commands/volumes.hpp"

#include <unistd.h>

#include "mydocker/commands/containers.hpp"
#include "mydocker/store/events.hpp"
#include "mydocker/util/error.hpp"

namespace mydocker {

std::vector<std::string> prune_volumes(const Store& store, const std::string& data_root, bool all,
                                       const Filters& f) {
  if (::geteuid() != 0) throw Error("mydocker volume prune needs root");
  const auto used = containers_use(store).volumes;
  const VolumeStore volumes(data_root);
  std::vector<std::string> out;
  for (const auto& v : filter_volumes(volumes.list(), f, used)) {
    if (used.count(v.name) || (!all && !v.anonymous)) continue;
    volumes.remove(
        v.name, [](const std::string&) { return false; }, true);
    record_event(store.root(), volume_event("destroy", v.name));
    out.push_back(v.name);
  }
  return out;
}

void remove_anonymous_volumes(const Store& store, const nlohmann::json& config,
                              const std::string& data_root) {
  const VolumeStore volumes(data_root);
  for (const auto& v : config.value("anonymous_volumes", std::vector<std::string>{}))
    if (volumes.find(v)) {
      volumes.remove(
          v, [](const std::string&) { return false; }, true);
      record_event(store.root(), volume_event("destroy", v));
    }
}

}  // namespace mydocker
