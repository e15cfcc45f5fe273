#include "mydocker/commands/filters.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <map>
#include <regex>

#include "mydocker/util/error.hpp"
#include "mydocker/util/units.hpp"

namespace mydocker {

Filters Filters::parse(const std::vector<std::string>& args, const std::vector<std::string>& keys) {
  Filters f;
  for (const auto& a : args) {
    const size_t eq = a.find('=');
    if (eq == std::string::npos || eq == 0)
      throw Error("invalid value '" + a + "' for --filter: expected KEY=VALUE");
    const std::string key = a.substr(0, eq);
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      std::string known;
      for (const auto& k : keys) known += (known.empty() ? "" : ", ") + k;
      throw Error("invalid value '" + a + "' for --filter: invalid filter '" + key +
                  "' (filters: " + known + ")");
    }
    f.by_key_[key].push_back(a.substr(eq + 1));
  }
  return f;
}

const std::vector<std::string>& Filters::values(const std::string& key) const {
  static const std::vector<std::string> none;
  auto it = by_key_.find(key);
  return it == by_key_.end() ? none : it->second;
}

bool Filters::accepts(const std::string& key,
                      const std::function<bool(const std::string&)>& match) const {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return true;
  return std::any_of(it->second.begin(), it->second.end(), match);
}

bool Filters::accepts_all(const std::string& key,
                          const std::function<bool(const std::string&)>& match) const {
  const auto& given = values(key);
  return std::all_of(given.begin(), given.end(), match);
}

bool label_matches(const std::map<std::string, std::string>& labels, const std::string& filter) {
  const size_t eq = filter.find('=');
  auto it = labels.find(filter.substr(0, eq));
  return it != labels.end() && (eq == std::string::npos || it->second == filter.substr(eq + 1));
}

namespace {

std::string status_of(const ContainerView& c) { return c.dead() ? "dead" : c.state.status; }

// A container named by a before/since filter: its position in the list (newest first). As
// everywhere, a name wins over an id prefix ("a" is a name and the prefix of some ids), and a
// prefix must be unique.
size_t position_of(const std::vector<ContainerView>& list, const std::string& ref,
                   const char* key) {
  for (size_t i = 0; i < list.size(); ++i)
    if (list[i].state.name == ref || list[i].id == ref) return i;
  std::optional<size_t> found;
  for (size_t i = 0; i < list.size() && !ref.empty(); ++i) {
    if (list[i].id.rfind(ref, 0) != 0) continue;
    if (found)
      throw Error("invalid value '" + std::string(key) + "=" + ref +
                  "' for --filter: several containers' ids start with it");
    found = i;
  }
  if (found) return *found;
  throw Error("invalid value '" + std::string(key) + "=" + ref +
              "' for --filter: no such container");
}

// ancestor=NAME[:TAG], an id or its prefix (with or without "sha256:").
bool ancestor_matches(const ContainerState& st, std::string want) {
  if (st.image.empty() && st.image_id.empty()) return false;
  if (want.rfind("sha256:", 0) == 0) want = want.substr(7);
  if (!st.image_id.empty() && want.size() >= 4 && st.image_id.rfind(want, 0) == 0) return true;
  auto with_tag = [](const std::string& ref) {
    const size_t slash = ref.rfind('/');
    const size_t colon = ref.find(':', slash == std::string::npos ? 0 : slash);
    return colon == std::string::npos && ref.find('@') == std::string::npos ? ref + ":latest" : ref;
  };
  return !st.image.empty() && with_tag(st.image) == with_tag(want);
}

void check_values(const Filters& f) {
  static const std::vector<std::string> statuses = {"created", "restarting", "running", "removing",
                                                    "paused",  "exited",     "dead"};
  for (const auto& s : f.values("status"))
    if (std::find(statuses.begin(), statuses.end(), s) == statuses.end())
      throw Error("invalid value 'status=" + s +
                  "' for --filter: created, restarting, running, removing, paused, exited or "
                  "dead");
  for (const auto& e : f.values("exited"))
    if (!parse_int(e)) throw Error("invalid value 'exited=" + e + "' for --filter: a number");
  for (const auto& h : f.values("health"))
    if (h != "starting" && h != "healthy" && h != "unhealthy" && h != "none")
      throw Error("invalid value 'health=" + h +
                  "' for --filter: starting, healthy, unhealthy or none");
}

// docker's name filter: a regular expression searched in the name, with and without the slash
// docker's names start with ("^app$" is the exact name, "app" any name holding it). A pattern
// is compiled once per ps, however many containers there are.
bool name_matches(const std::string& pattern, const std::string& name) {
  static std::map<std::string, std::regex> compiled;
  auto it = compiled.find(pattern);
  if (it == compiled.end()) try {
      // Go's (RE2) case-insensitive prefix, which ECMAScript's grammar lacks.
      const bool icase = pattern.rfind("(?i)", 0) == 0;
      const auto flags =
          icase ? std::regex::ECMAScript | std::regex::icase : std::regex::ECMAScript;
      it = compiled.emplace(pattern, std::regex(icase ? pattern.substr(4) : pattern, flags)).first;
    } catch (const std::regex_error& e) {
      throw Error("invalid value 'name=" + pattern + "' for --filter: not a regular expression (" +
                  e.what() + ")");
    }
  return std::regex_search(name, it->second) || std::regex_search("/" + name, it->second);
}

bool passes(const ContainerView& c, const Filters& f) {
  const ContainerState& st = c.state;
  return f.accepts("id", [&](const std::string& v) {
    return c.id.rfind(v, 0) == 0;
  }) && f.accepts("name", [&](const std::string& v) {
    return name_matches(v, st.name);
  }) && f.accepts("status", [&](const std::string& v) {
    return status_of(c) == v;
  }) && f.accepts("exited", [&](const std::string& v) {
    return status_of(c) == "exited" && parse_int(v) == st.exit_code;
  }) && f.accepts_all("label", [&](const std::string& v) {
    return label_matches(st.labels, v);
  }) && f.accepts("ancestor", [&](const std::string& v) {
    return ancestor_matches(st, v);
  }) && f.accepts("health", [&](const std::string& v) {
    return st.health.is_object() ? st.health.value("Status", "") == v : v == "none";
  }) && f.accepts("network", [&](const std::string& v) {
    return st.network == v || std::find(st.extra_networks.begin(), st.extra_networks.end(), v) !=
                                  st.extra_networks.end();
  });
}

}  // namespace

std::vector<ContainerView> filter_containers(std::vector<ContainerView> list, const Filters& f,
                                             bool all, int last) {
  check_values(f);
  size_t newest = 0, oldest = list.size();  // [newest, oldest): what before/since leave
  for (const auto& ref : f.values("before"))
    newest = std::max(newest, position_of(list, ref, "before") + 1);
  for (const auto& ref : f.values("since"))
    oldest = std::min(oldest, position_of(list, ref, "since"));
  all = all || last >= 0 || f.has("status") || f.has("exited");
  std::vector<ContainerView> out;
  for (size_t i = newest; i < oldest && i < list.size(); ++i) {
    if (!all && !list[i].live()) continue;
    if (!passes(list[i], f)) continue;
    out.push_back(std::move(list[i]));
    if (last >= 0 && out.size() >= static_cast<size_t>(last)) break;
  }
  return out;
}

namespace {

// before=/since= an image: its creation time (docker compares those).
std::string created_of(const std::vector<ImageInfo>& rows, const std::string& ref,
                       const char* key) {
  for (const auto& r : rows) {
    const std::string tagged = r.repository + ":" + r.tag;
    if (tagged == ref || (r.tag == "latest" && r.repository == ref) ||
        (ref.size() >= 4 && (r.id.rfind(ref, 0) == 0 || ("sha256:" + r.id).rfind(ref, 0) == 0)))
      return r.created;
  }
  throw Error("invalid value '" + std::string(key) + "=" + ref + "' for --filter: no such image");
}

// reference=PATTERN: docker's path.Match on the name, or on NAME:TAG when it has a tag.
bool reference_matches(const ImageInfo& r, const std::string& pattern) {
  if (r.repository == "<none>") return false;
  const bool tagged =
      pattern.find(':', pattern.rfind('/') == std::string::npos ? 0 : pattern.rfind('/')) !=
      std::string::npos;
  const std::string name = tagged ? r.repository + ":" + r.tag : r.repository;
  return ::fnmatch(pattern.c_str(), name.c_str(), FNM_PATHNAME) == 0;
}

}  // namespace

std::vector<ImageInfo> filter_images(
    std::vector<ImageInfo> rows, const Filters& f,
    const std::function<std::map<std::string, std::string>(const ImageInfo&)>& labels_of) {
  for (const auto& d : f.values("dangling"))
    if (d != "true" && d != "false" && d != "1" && d != "0")
      throw Error("invalid value 'dangling=" + d + "' for --filter: true or false");
  std::string newest = "~", oldest;  // RFC 3339 texts compare as times
  for (const auto& ref : f.values("before"))
    newest = std::min(newest, created_of(rows, ref, "before"));
  for (const auto& ref : f.values("since"))
    oldest = std::max(oldest, created_of(rows, ref, "since"));
  std::vector<ImageInfo> out;
  for (auto& r : rows) {
    const bool dangling = r.repository == "<none>";
    if (!f.accepts("dangling",
                   [&](const std::string& v) { return dangling == (v == "true" || v == "1"); }) ||
        !f.accepts("reference", [&](const std::string& v) { return reference_matches(r, v); }) ||
        !(r.created < newest) || (!oldest.empty() && !(r.created > oldest)))
      continue;
    if (f.has("label")) {
      const auto labels = labels_of(r);
      if (!f.accepts_all("label", [&](const std::string& v) { return label_matches(labels, v); }))
        continue;
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<Volume> filter_volumes(std::vector<Volume> volumes, const Filters& f,
                                   const std::set<std::string>& used) {
  for (const auto& d : f.values("dangling"))
    if (d != "true" && d != "false" && d != "1" && d != "0")
      throw Error("invalid value 'dangling=" + d + "' for --filter: true, false, 1 or 0");
  std::vector<Volume> out;
  for (auto& v : volumes) {
    const bool dangling = used.count(v.name) == 0;
    auto has_label = [&](const std::string& l) { return label_matches(v.labels, l); };
    // docker's labels: every one given must be there (label!: none of them).
    const auto& without = f.values("label!");
    if (!f.accepts("name",
                   [&](const std::string& s) { return v.name.find(s) != std::string::npos; }) ||
        !f.accepts("dangling",
                   [&](const std::string& s) { return dangling == (s == "true" || s == "1"); }) ||
        !f.accepts("driver", [](const std::string& s) { return s == "local"; }) ||
        !f.accepts_all("label", has_label) ||
        std::any_of(without.begin(), without.end(), has_label))
      continue;
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace mydocker
