#pragma once
// How `images` shows the image store: docker's REPOSITORY TAG IMAGE ID CREATED SIZE.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mydocker/image/image.hpp"

namespace mydocker {

// `images` (docker's tabwriter: each cell padded by 3, a column at least 10 wide), `-q` (short
// ids) or `--format json` (one object per line, image_row_json's), at time `now`; `no_trunc`:
// the ids whole ("sha256:" and 64 digits), as docker's --no-trunc; `digests`: docker's DIGEST
// column after TAG (--digests).
std::string format_images(const std::vector<ImageInfo>& images, bool quiet, bool json, double now,
                          bool no_trunc = false, bool digests = false);

// One image as `images --format` templates see it: docker's ID, Repository, Tag, Digest,
// CreatedSince, CreatedAt, Size, VirtualSize, SharedSize, UniqueSize, Containers. Digest: the
// image's digest in the row's repository ("<none>" without one, or unless `digests`: docker
// shows it for --digests or a template naming .Digest).
nlohmann::json image_row_json(const ImageInfo& image, double now, bool no_trunc = false,
                              bool digests = true);

// The digest ("sha256:...") the image has in the row's repository, "<none>" when it has none.
std::string repository_digest(const ImageInfo& image);

// `image inspect`: docker's shape (Id, RepoTags, RepoDigests, Created, Config, Architecture, Os,
// Size, RootFS.Layers, History's length in Metadata...) from the image's record and config.
nlohmann::json image_inspect_json(const ImageInfo& image, const std::vector<ImageReference>& tags,
                                  const std::string& config);

// `history`: docker's IMAGE CREATED CREATED BY SIZE COMMENT, newest first, one row per entry of
// the config's history (the image's id on the top one, <missing> below, as docker shows a
// pulled image); `layer_sizes` bottom first, matched to the entries that are not empty_layer.
std::string format_history(const ImageInfo& image, const std::string& config,
                           const std::vector<int64_t>& layer_sizes, bool no_trunc, double now);

}  // namespace mydocker
