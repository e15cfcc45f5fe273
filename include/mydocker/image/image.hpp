#pragma once
// Images: layers stored once (image/content.hpp), an image config and a manifest per image,
// names (tags) for them, under a data root (/var/lib/mydocker unless the caller picks another).
//
//   <data>/blobs/sha256/<hex>       configs, manifests and layer tars (content.hpp)
//   <data>/layers/<diffid>/diff/    each layer unpacked once, shared by every image that has it
//   <data>/images/<id>/image.json   {"id", "created", "size", "source", "layers": [diff ids,
//                                   bottom first], "manifest": digest, "repo_digests": [...]}
//   <data>/images/<id>/init/        what every run mounts over (/proc, /sys, /dev, /etc/hosts...)
//                                   when no layer has it: the top, read-only layer of each run,
//                                   made once per image (docker's "-init" layer)
//   <data>/tags/<repository>:<tag>  a symlink to <id>; "library/busybox:1.36" is the link
//                                   busybox:1.36 in the directory tags/library
//   <data>/images.lock              flock: shared while blobs and layers are added (import, load,
//                                   pull, commit), exclusive while unreferenced ones are removed
//
// <id> is docker's image id: the sha256 of the image's config (the config blob). A container's
// root is an overlay of init and the image's layers (top first) below its own upper directory.
// An image record is written in images/.tmp-<random> and renamed to <id>: readers see all of
// it or nothing. A tag is a symlink made under a temporary name and renamed over the old one:
// of two imports of one name the later takes it, and the image that had it stays, untagged
// ("<none>"), as in docker. A layer or blob goes when no image refers to it any more (rmi,
// prune: collect_garbage()).

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mydocker {

struct ImageInfo {
  std::string id;          // 64 hex digits
  std::string repository;  // "<none>" for an image without tags
  std::string tag;         // "<none>" for an image without tags
  std::string created;     // RFC 3339, UTC
  int64_t size = 0;        // bytes of the rootfs's files (directories not counted, hard links once)
  std::string source;      // what it came from, as the caller named it (a file, "-", a container)
  std::vector<std::string> layers;        // diff ids ("sha256:..."), bottom first
  std::string manifest;                   // the digest of its manifest blob
  std::vector<std::string> repo_digests;  // "name@sha256:..." of the registries it came from
};

// "name[:tag]" split into docker's parts; the tag defaults to "latest".
struct ImageReference {
  std::string repository;
  std::string tag;
  std::string text() const { return repository + ":" + tag; }
};
// docker's rules: a repository is components of lowercase letters and digits joined by '.',
// '_', '__' or dashes, separated by '/' (255 characters at most, not a 64-hex id); a tag is
// [A-Za-z0-9_.-], 128 at most, not starting with '.' or '-'. Throws Error naming `reference`:
// invalid reference format "UPPER": repository name must be lowercase
ImageReference parse_image_reference(const std::string& reference);

// docker's full name of `r`: "busybox" -> "docker.io/library/busybox:latest" (what OCI
// archives' io.containerd.image.name holds).
std::string full_reference(const ImageReference& r);
// The familiar form of a name as archives and registries spell it ("docker.io/library/x:1" ->
// x:1, "docker.io/u/x" -> u/x:latest); nullopt when it is no valid name (a digest, a bare tag
// with a ':' in front...).
std::optional<ImageReference> familiar_reference(std::string text);

// What `run`'s first word can be, by docker's reference grammar: no reference at all (an
// absolute or ./ path, upper case, a space...); a bare name that may be an image or a command
// (`busybox`, `library/busybox`); or something only an image can be: a name with a tag
// (`busybox:1.36`), a digest (`busybox@sha256:<64 hex>`) or a registry (`quay.io/x`,
// `localhost:5000/x`, `localhost/x`). Never throws (`run` asks it of every first word).
enum class ReferenceKind { kNotAReference, kName, kImageOnly };
ReferenceKind reference_kind(std::string_view word);

class ContentStore;

// What a commit writes besides its layer (docker's): the container's configuration as the new
// image's "config" (Cmd, Entrypoint, Env...; null: the base image's, unchanged), its author
// (-a) and the history entry's comment (-m).
struct CommitConfig {
  nlohmann::json config;
  std::string author, comment;
};

class ImageStore {
 public:
  explicit ImageStore(std::string data_root);

  // Reads a tar stream (plain or compressed, see extract_tar) from `fd` into a one-layer image
  // tagged `reference` (docker's `import`); `source` is recorded as given. The same content
  // twice is the same image: its config is a function of the layer only. Throws Error: a bad
  // reference (before anything is read), a bad or unsafe archive (nothing of it is left).
  ImageInfo import_tar(int fd, const std::string& reference, const std::string& source) const;
  // A new image: the image `base_id` with one more layer, the overlay upper directory `upper`
  // (its whiteouts become OCI ones), tagged `reference` ("" for none). `created_by` goes to the
  // image's history.
  // `archive` writes the layer's tar of `upper` to the descriptor (default: write_tar here;
  // commit's walks the container's files in a confined child, see commands/copy.hpp).
  using LayerArchiver = std::function<void(const std::string& upper, int fd)>;
  ImageInfo commit_layer(const std::string& upper, const std::string& base_id,
                         const std::string& reference, const std::string& source,
                         const std::string& created_by, const CommitConfig& meta = {},
                         const LayerArchiver& archive = {}) const;
  // Registers the image whose config blob is `config_digest` and manifest blob
  // `manifest_digest` (both stored, every layer of the config's rootfs.diff_ids unpacked),
  // and gives it `names`. Used by load and pull. Returns the image (with its first name).
  ImageInfo add_image(const std::string& config_digest, const std::string& manifest_digest,
                      const std::vector<ImageReference>& names, const std::string& source,
                      const std::string& repo_digest = "") const;

  // One entry per tag (an untagged image once, as "<none>"), newest first.
  std::vector<ImageInfo> list() const;
  // name[:tag] (a name wins), a full id or a unique prefix of one ("sha256:" allowed in front).
  // Throws Error: "No such image: x", or an ambiguous prefix. An image found by id comes with
  // its first tag, or "<none>".
  ImageInfo resolve(const std::string& ref) const;
  // The same without an error: nullopt when nothing (or more than one image) matches. `run`
  // asks this of every command's first word, so it must not throw: a static binary's first
  // exception costs about 2.5 ms (libgcc sorts every unwind table entry then).
  std::optional<ImageInfo> lookup(const std::string& ref) const;
  // Every name of the image `id`, sorted.
  std::vector<ImageReference> tags_of(const std::string& id) const;
  // `tag SOURCE TARGET`: `target` names the image `source` resolves to.
  void tag(const std::string& source, const std::string& target) const;
  // `rmi`, with docker's rules. By name: the tag goes; the image too when that was its last tag.
  // By id: the image and all its tags go (tags in more than one repository need `force`).
  // Deleting an image that in_use(id) says a container uses needs `force`. Returns docker's
  // lines: "Untagged: busybox:latest", "Deleted: sha256:<id>", and the layers that went with
  // it. Throws Error "conflict: ...".
  std::vector<std::string> remove(const std::string& ref, bool force,
                                  const std::function<bool(const std::string& id)>& in_use);

  // The overlay lowerdirs of a run of `image`, top first: init, then its layers.
  std::vector<std::string> lowerdirs(const ImageInfo& image) const;
  // The image's config (the OCI/docker image config JSON), as text.
  std::string config(const ImageInfo& image) const;
  ContentStore content() const;
  const std::string& data_root() const { return data_root_; }

  // Blobs and layers that no image refers to, removed (under the exclusive lock, when no load
  // holds the shared one: it never waits); returns what went: "layer sha256:..." and
  // "blob sha256:..." lines for `prune`/`rmi`.
  std::vector<std::string> collect_garbage() const;
  // The shared (adding) or exclusive (removing) hold on images.lock; released on close.
  int lock(bool exclusive) const;

  // What an import or rmi killed half-way left: images/.tmp-* and layers/.tmp-* directories
  // that no live process holds, and tags/.tmp-* links older than a minute. `prune` removes
  // them with remove_tree (which removes a link, never what it points to).
  std::vector<std::string> abandoned() const;

 private:
  struct Found {
    std::string id;
    bool by_name = false;
    ImageReference name;
  };
  Found find(const std::string& ref) const;
  // nullopt with `why` set instead of an error.
  std::optional<Found> try_find(const std::string& ref, std::string& why) const;
  ImageInfo info_for(const Found& found) const;
  ImageInfo read_info(const std::string& id) const;
  // Every image record that can be read (one being removed is skipped).
  std::vector<ImageInfo> records() const;
  // Every tag with the id it points to, sorted by name.
  std::vector<std::pair<ImageReference, std::string>> tags() const;
  void tag(const std::string& id, const ImageReference& name) const;
  bool untag(const std::string& id, const ImageReference& name) const;
  void delete_image(const std::string& id) const;
  // The layer blob `blob` (stored) as the one layer of a new image (import, commit).
  ImageInfo one_more_layer(const std::string& blob, const std::string& base_id,
                           const std::string& reference, const std::string& source,
                           const std::string& created_by, const CommitConfig& meta = {}) const;

  std::string data_root_, images_, tags_;
};

// The OCI name of this machine's architecture (amd64, arm64, ...).
std::string host_architecture();

}  // namespace mydocker
