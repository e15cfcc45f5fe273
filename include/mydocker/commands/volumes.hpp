#pragma once
// What the volume commands and rm -v do with the volume store (store/volumes.hpp).

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "mydocker/commands/filters.hpp"
#include "mydocker/store/store.hpp"
#include "mydocker/store/volumes.hpp"

namespace mydocker {

// `volume prune`: the anonymous volumes no container uses (`all`: every unused one). Returns
// their names; of those, only the ones that pass `f` (kVolumePruneFilterKeys). Each one removed is
// docker's volume "destroy" event (in `store`'s state root).
std::vector<std::string> prune_volumes(const Store& store, const std::string& data_root, bool all,
                                       const Filters& f = {});
// rm -v: a removed container's anonymous volumes (from its config.json), with their events.
void remove_anonymous_volumes(const Store& store, const nlohmann::json& config,
                              const std::string& data_root);

}  // namespace mydocker
