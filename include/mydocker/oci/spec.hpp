#pragma once
// An OCI bundle's config.json (runtime-spec 1.1), read into the same in-memory spec that
// `mydocker run`'s flags build: an InitConfig (process, filesystem, security) and Resources
// (cgroup limits), plus what only the OCI lifecycle needs (namespaces, id maps, hooks,
// annotations, the cgroups path).
//
// Everything the runtime-spec defines is either applied or refused with an error naming the
// field ("config.json: linux.intelRdt: not supported by mydocker"). Unknown fields are refused
// too (the runtime-spec asks runtimes to ignore them; a misspelt "readonly" would then silently
// give a writable root, so mydocker names them instead).

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mydocker/cgroup/resources.hpp"
#include "mydocker/init/protocol.hpp"

namespace mydocker::oci {

inline constexpr const char* kOciVersion = "1.1.0";

struct Namespace {
  int type = 0;      // CLONE_NEWPID...
  std::string path;  // "" = a new one
};

struct IdMapping {
  uint32_t container = 0, host = 0, size = 0;
  bool operator==(const IdMapping&) const = default;
};

struct Hooks {
  std::vector<OciHook> prestart, create_runtime, create_container, start_container, poststart,
      poststop;
};

struct Spec {
  std::string bundle;  // absolute
  std::string root;    // the root filesystem, absolute
  InitConfig init;
  Resources resources;
  bool has_resources = false;  // linux.resources present
  std::string cgroups_path;
  std::vector<Namespace> namespaces;
  std::vector<IdMapping> uid_mappings, gid_mappings;
  Hooks hooks;
  nlohmann::json annotations = nlohmann::json::object();
  nlohmann::json seccomp;  // linux.seccomp, as given (null: none)
  nlohmann::json process;  // config.json's process, as given (exec's defaults)
};

// CLONE_NEWPID for "pid" ... 0 when unknown.
int namespace_type(const std::string& name);
std::string namespace_name(int type);

// Reads <bundle>/config.json. Throws Error naming the file and the field.
Spec load_bundle(const std::string& bundle);
Spec parse_spec(const nlohmann::json& config, const std::string& bundle);
// A `process` object (config.json's, or exec --process FILE) into `c`. `terminal` gets
// process.terminal. Throws Error naming the field below `where`.
void parse_process(const nlohmann::json& process, InitConfig& c, bool& terminal,
                   const std::string& where = "process");
// linux.resources (also `update --resources`). Throws Error naming the field.
Resources parse_resources(const nlohmann::json& resources, const std::string& where);

// Hooks kept in a container's state (poststart, poststop), back from hooks_json's form.
std::vector<OciHook> hooks_from_json(const nlohmann::json& list);

// `spec`: runc's default config.json (rootless: a user namespace mapping the caller).
nlohmann::json default_spec(bool rootless, uid_t uid, gid_t gid);
// `features`: what this runtime supports, as the runtime-spec's features.md describes.
nlohmann::json features();

}  // namespace mydocker::oci
