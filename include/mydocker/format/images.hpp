#pragma once
// How `images` shows the image store: docker's REPOSITORY TAG IMAGE ID CREATED SIZE.

#include <string>
#include <vector>

#include "mydocker/image/image.hpp"

namespace mydocker {

// `images` (docker's tabwriter: each cell padded by 3, a column at least 10 wide), `-q` (short
// ids) or `--format json` (one object per line), at time `now`.
std::string format_images(const std::vector<ImageInfo>& images, bool quiet, bool json, double now);

}  // namespace mydocker
