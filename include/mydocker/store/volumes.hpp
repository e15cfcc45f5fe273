#pragma once
// Named volumes, as docker's "local" driver keeps them:
//
//   <data>/volumes/<name>/_data         what containers see (-v NAME:/path)
//   <data>/volumes/<name>/volume.json   its record: name, labels, creation time, anonymous
//
// A volume is made with mkdir (atomic: of two runs naming a new volume, one makes it and both
// use it) and outlives its containers until `volume rm` or `volume prune`.

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace mydocker {

struct Volume {
  std::string name;
  std::string mountpoint;  // <data>/volumes/<name>/_data
  std::string created;     // RFC 3339
  std::map<std::string, std::string> labels;
  bool anonymous = false;  // made for `-v /path` (no name): `rm -v` and `--rm` remove it
};

// docker's rule for a volume's name: [a-zA-Z0-9][a-zA-Z0-9_.-]+. Throws Error naming `flag`.
void check_volume_name(const std::string& name, const std::string& flag);
// "-v NAME:/path": the NAME part names a volume (not a host path).
bool names_volume(const std::string& source);

class VolumeStore {
 public:
  explicit VolumeStore(std::string data_root);
  // Creates it, or returns the one there is; `created` tells which. Throws Error.
  Volume ensure(const std::string& name, const std::map<std::string, std::string>& labels = {},
                bool anonymous = false, bool* created = nullptr) const;
  std::optional<Volume> find(const std::string& name) const;
  std::vector<Volume> list() const;
  // Refused while in_use(name) says a container (running or not) has it. Throws Error.
  void remove(const std::string& name, const std::function<bool(const std::string&)>& in_use,
              bool force) const;
  nlohmann::json inspect_json(const Volume& v) const;

 private:
  std::string dir(const std::string& name) const { return root_ + "/" + name; }
  std::string root_;
};

}  // namespace mydocker
