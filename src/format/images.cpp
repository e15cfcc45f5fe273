#include "mydocker/format/images.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "mydocker/format/text.hpp"
#include "mydocker/store/state.hpp"
#include "mydocker/util/id.hpp"
#include "mydocker/util/time.hpp"

namespace mydocker {

namespace {
std::string id_text(const ImageInfo& i, bool no_trunc) {
  return no_trunc ? "sha256:" + i.id : short_id(i.id);
}
}  // namespace

std::string repository_digest(const ImageInfo& i) {
  for (const auto& rd : i.repo_digests) {
    const size_t at = rd.find('@');
    if (at != std::string::npos && rd.compare(0, at, i.repository) == 0 &&
        at == i.repository.size())
      return rd.substr(at + 1);
  }
  return "<none>";
}

nlohmann::json image_row_json(const ImageInfo& i, double now, bool no_trunc, bool digests) {
  return {{"ID", id_text(i, no_trunc)},
          {"Repository", i.repository},
          {"Tag", i.tag},
          {"Digest", digests ? repository_digest(i) : "<none>"},
          {"CreatedSince", human_duration(now - parse_rfc3339(i.created)) + " ago"},
          {"CreatedAt", docker_time_text(i.created)},
          {"Size", human_size(i.size)},
          {"VirtualSize", human_size(i.size)},
          // What docker prints for these unless `docker system df -v` computed them.
          {"SharedSize", "N/A"},
          {"UniqueSize", "N/A"},
          {"Containers", "N/A"}};
}

std::string format_images(const std::vector<ImageInfo>& images, bool quiet, bool json, double now,
                          bool no_trunc, bool digests) {
  std::string out;
  if (quiet) {
    for (const auto& i : images) out += id_text(i, no_trunc) + "\n";
    return out;
  }
  if (json) {  // docker's: the same fields as its templates see
    for (const auto& i : images) out += image_row_json(i, now, no_trunc, digests).dump() + "\n";
    return out;
  }
  std::vector<std::vector<std::string>> rows{{"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"}};
  for (const auto& i : images)
    rows.push_back({i.repository, i.tag, id_text(i, no_trunc),
                    human_duration(now - parse_rfc3339(i.created)) + " ago", human_size(i.size)});
  if (digests) {
    rows[0].insert(rows[0].begin() + 2, "DIGEST");
    for (size_t r = 1; r < rows.size(); ++r)
      rows[r].insert(rows[r].begin() + 2, repository_digest(images[r - 1]));
  }
  return format_columns(rows, 3, 10);
}

namespace {

// A config's field of the type it should have, whatever an archive put there.
std::string text(const nlohmann::json& j, const char* key, const std::string& fallback = "") {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>()
                                                                : fallback;
}

// "N units ago" for an RFC 3339 time, "N/A" for what is none.
std::string ago(const std::string& when, double now) {
  const double t = when.empty() ? 0 : parse_rfc3339(when);
  return t <= 0 || t > now + 86400 ? "N/A" : human_duration(now - t) + " ago";
}

}  // namespace

nlohmann::json image_inspect_json(const ImageInfo& image, const std::vector<ImageReference>& tags,
                                  const std::string& config) {
  using nlohmann::json;
  json c = json::parse(config, nullptr, false);
  if (!c.is_object()) c = json::object();
  json repo_tags = json::array();
  for (const auto& t : tags) repo_tags.push_back(t.text());
  json layers = json::array();
  for (const auto& l : image.layers) layers.push_back(l);
  const json conf = c.contains("config") && c["config"].is_object() ? c["config"] : json::object();
  return {
      {"Id", "sha256:" + image.id},
      {"RepoTags", repo_tags},
      {"RepoDigests", image.repo_digests},
      {"Parent", ""},
      {"Comment", text(c, "comment")},
      {"Created", text(c, "created", image.created)},
      {"Author", text(c, "author")},
      {"Config", conf},
      {"Architecture", text(c, "architecture")},
      {"Variant", text(c, "variant")},
      {"Os", text(c, "os")},
      {"Size", image.size},
      {"RootFS", {{"Type", "layers"}, {"Layers", layers}}},
      {"Metadata", {{"LastTagTime", image.created}}},
      {"Descriptor",
       {{"mediaType", "application/vnd.oci.image.manifest.v1+json"}, {"digest", image.manifest}}}};
}

std::string format_history(const ImageInfo& image, const std::string& config,
                           const std::vector<int64_t>& layer_sizes, bool no_trunc, double now) {
  using nlohmann::json;
  const json c = json::parse(config, nullptr, false);
  const json history = c.is_object() && c.contains("history") && c["history"].is_array()
                           ? c["history"]
                           : json::array();
  std::vector<std::vector<std::string>> rows;
  size_t layer = 0;
  for (const auto& h : history) {
    if (!h.is_object()) continue;
    const bool empty =
        h.contains("empty_layer") && h["empty_layer"].is_boolean() && h["empty_layer"].get<bool>();
    const int64_t size = empty || layer >= layer_sizes.size() ? 0 : layer_sizes[layer];
    if (!empty) ++layer;
    std::string by = text(h, "created_by");
    if (!no_trunc && by.size() > 45) by = by.substr(0, 44) + "…";
    rows.push_back(
        {"<missing>", ago(text(h, "created"), now), by, human_size(size), text(h, "comment")});
  }
  std::reverse(rows.begin(), rows.end());
  if (!rows.empty()) rows.front()[0] = no_trunc ? "sha256:" + image.id : short_id(image.id);
  rows.insert(rows.begin(), {"IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"});
  return format_columns(rows, 3, 10);
}

}  // namespace mydocker
