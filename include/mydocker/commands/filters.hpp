#pragma once
// docker's --filter KEY=VALUE for ps, images and volumes: the same key given twice matches
// either value, different keys must all match.

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "mydocker/commands/containers.hpp"
#include "mydocker/image/image.hpp"
#include "mydocker/store/volumes.hpp"

namespace mydocker {

class Filters {
 public:
  // Each "KEY=VALUE" (KEY one of `keys`). Throws Error naming --filter and the value.
  static Filters parse(const std::vector<std::string>& args, const std::vector<std::string>& keys);
  bool empty() const { return by_key_.empty(); }
  bool has(const std::string& key) const { return by_key_.count(key) != 0; }
  const std::vector<std::string>& values(const std::string& key) const;
  // No filter on `key`, or one of its values for which `match` holds.
  bool accepts(const std::string& key, const std::function<bool(const std::string&)>& match) const;
  // Whether `match` holds for every value given for `key` (docker's rule for label=: each
  // label given must be there).
  bool accepts_all(const std::string& key,
                   const std::function<bool(const std::string&)>& match) const;

 private:
  std::map<std::string, std::vector<std::string>> by_key_;
};

// "KEY" or "KEY=VALUE" against a set of labels.
bool label_matches(const std::map<std::string, std::string>& labels, const std::string& filter);

// ps: the containers (every one, newest first) that pass `f`; then the `last` newest (-n; -1:
// all); without -a, -n or a status/exited filter, only the running ones (docker's rules).
// Keys: id, name, status, exited, label, ancestor, before, since, health, network. Throws Error.
std::vector<ContainerView> filter_containers(std::vector<ContainerView> newest_first,
                                             const Filters& f, bool all, int last);
inline const std::vector<std::string> kPsFilterKeys = {
    "id", "name", "status", "exited", "label", "ancestor", "before", "since", "health", "network"};

// images: the rows that pass `f` (keys: dangling, reference, before, since, label); `labels_of`
// gives an image's Labels (read only when a label filter asks). Throws Error.
std::vector<ImageInfo> filter_images(
    std::vector<ImageInfo> rows, const Filters& f,
    const std::function<std::map<std::string, std::string>(const ImageInfo&)>& labels_of);
inline const std::vector<std::string> kImageFilterKeys = {"dangling", "reference", "before",
                                                          "since", "label"};

// volume ls: the volumes that pass `f` (keys: name, a substring; dangling=true|false|1|0, used
// by no container in `used`; label=KEY[=VALUE], each one given; driver, "local").
// volume prune: label=, label!=KEY[=VALUE] (without it). Throws Error.
std::vector<Volume> filter_volumes(std::vector<Volume> volumes, const Filters& f,
                                   const std::set<std::string>& used);
inline const std::vector<std::string> kVolumeFilterKeys = {"dangling", "driver", "label", "name"};
inline const std::vector<std::string> kVolumePruneFilterKeys = {"label", "label!"};

}  // namespace mydocker
