#pragma once
// pull, push, login, logout: images between a registry (image/registry.hpp) and the image
// store, through an OCI image layout in images/.tmp-<random> (held locked while it is used, so
// a killed pull leaves only what `prune` removes; a layer becomes visible only complete).

#include <functional>
#include <string>
#include <vector>

#include "mydocker/image/registry.hpp"

namespace mydocker {

// Where credentials (config.json) and per-registry CAs (certs.d/) live: $MYDOCKER_CONFIG, else
// ~/.mydocker. Docker's ~/.docker is left alone: a login here does not change docker's.
std::string registry_config_dir();

// `pull`: the lines docker prints ("Digest: ...", "Status: ...", the full name) go to `out`.
void pull_image(const std::string& data_root, const std::string& reference,
                const registry::Options& o, const std::function<void(const std::string&)>& out);
// `push` of a local image by its name.
void push_image(const std::string& data_root, const std::string& reference,
                const registry::Options& o, const std::function<void(const std::string&)>& out);

}  // namespace mydocker
