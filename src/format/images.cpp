#include "mydocker/format/images.hpp"

#include <nlohmann/json.hpp>

#include "mydocker/format/text.hpp"
#include "mydocker/store/state.hpp"
#include "mydocker/util/id.hpp"

namespace mydocker {

std::string format_images(const std::vector<ImageInfo>& images, bool quiet, bool json, double now) {
  std::string out;
  if (quiet) {
    for (const auto& i : images) out += short_id(i.id) + "\n";
    return out;
  }
  if (json) {
    for (const auto& i : images)
      out += nlohmann::json{{"ID", short_id(i.id)},
                            {"Repository", i.repository},
                            {"Tag", i.tag},
                            {"CreatedAt", i.created},
                            {"Size", human_size(i.size)}}
                 .dump() +
             "\n";
    return out;
  }
  std::vector<std::vector<std::string>> rows{{"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"}};
  for (const auto& i : images)
    rows.push_back({i.repository, i.tag, short_id(i.id),
                    human_duration(now - parse_rfc3339(i.created)) + " ago", human_size(i.size)});
  return format_columns(rows, 3, 10);
}

}  // namespace mydocker
