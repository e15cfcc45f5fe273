#pragma once
// config.json's mounts (runtime-spec config.md "Mounts", with runc's option table).

#include <nlohmann/json.hpp>
#include <string>

#include "mydocker/init/protocol.hpp"

namespace mydocker::oci {

// One option word into `m`: a mount flag, a propagation, a recursive attribute (rro...), or a
// word for the filesystem's data. Throws Error naming `field` for options mydocker refuses
// (idmap, tmpcopyup...).
void apply_mount_option(const std::string& word, OciMount& m, const std::string& field);
// One mounts[] entry; a relative bind source is taken from the bundle. Throws Error.
OciMount parse_mount(const nlohmann::json& j, const std::string& field, const std::string& bundle);

}  // namespace mydocker::oci
