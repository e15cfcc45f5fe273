#pragma once
// Image archives: `load` reads docker save archives (manifest.json, the old <id>/layer.tar
// layout and the new blobs/ one) and OCI image layouts (oci-layout, index.json, nested indexes)
// as a tar, plain or compressed (gzip, zstd, xz, bzip2); `save` writes an OCI image layout that
// also carries docker's manifest.json, so docker, podman and skopeo all read it.
//
// Everything in an archive is hostile until checked: its files are read inside the unpacked
// archive only (openat2 RESOLVE_IN_ROOT: "../../etc/shadow" or a symlink out finds nothing),
// every digest is "sha256:<64 hex>" and is checked against the bytes (manifest, config, each
// layer's compressed and uncompressed digest), sizes too. Nothing of a failed load stays: the
// archive is unpacked in images/.tmp-<random> (held locked, so `prune` removes it only once
// its loader died), and the blobs and layers it added are removed before the error.

#include <string>
#include <vector>

#include "mydocker/image/image.hpp"

namespace mydocker {

// What a load stored: each image with the names the archive gave it.
struct LoadedImage {
  std::string id;
  std::vector<ImageReference> names;
};

// Reads an archive from `fd` into the store.
std::vector<LoadedImage> load_archive(const ImageStore& images, int fd, const std::string& source);
// The same from an OCI image layout directory (what `pull` downloads); blobs it lacks must be
// in the store already. `repo_digest` ("name@sha256:...") is recorded on each image.
std::vector<LoadedImage> load_layout(const ImageStore& images, const std::string& dir,
                                     const std::string& source, const std::string& repo_digest);

// Writes the images `refs` name as an OCI image layout archive (uncompressed tar) to `fd`.
void save_archive(const ImageStore& images, const std::vector<std::string>& refs, int fd);
// Writes one image as an OCI image layout directory `dir` (blobs hard-linked from the store):
// what `push` uploads. Returns its manifest's digest.
std::string save_layout(const ImageStore& images, const ImageInfo& image, const std::string& dir);

}  // namespace mydocker
