#pragma once
// Images: root filesystems from tar streams (`import`, `commit`), kept under a data root
// (/var/lib/mydocker unless the caller picks another).
//
//   <data>/images/<id>/rootfs/      the image's files
//   <data>/images/<id>/image.json   {"id", "repository", "tag", "created", "size", "source"}:
//                                   how it was first imported
//   <data>/tags/<repository>:<tag>  a symlink to <id>; "library/busybox:1.36" is the link
//                                   busybox:1.36 in the directory tags/library
//
// <id> is the sha256 of the uncompressed tar stream, so importing one tarball twice gives one
// image (the second import only tags it). An image is extracted into <data>/images/.tmp-<random>
// (its id is known only at the end of the stream) and renamed to <id>: readers see all of it
// or nothing. A tag is a symlink made under a temporary name and renamed over the old one: of
// two imports of one name the later takes it, and the image that had it stays, untagged
// ("<none>"), as in docker.

#include <cstdint>
#include <functional>
#include <iosfwd>
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

// What `run`'s first word can be, by docker's reference grammar: no reference at all (an
// absolute or ./ path, upper case, a space...); a bare name that may be an image or a command
// (`busybox`, `library/busybox`); or something only an image can be: a name with a tag
// (`busybox:1.36`), a digest (`busybox@sha256:<64 hex>`) or a registry (`quay.io/x`,
// `localhost:5000/x`, `localhost/x`). Never throws (`run` asks it of every first word).
enum class ReferenceKind { kNotAReference, kName, kImageOnly };
ReferenceKind reference_kind(std::string_view word);

class ImageStore {
 public:
  explicit ImageStore(std::string data_root);

  // Reads a tar stream (plain or compressed, see extract_tar) from `fd` into a new image tagged
  // `reference`; `source` is recorded as given. Throws Error: a bad reference (before anything
  // is read), a bad or unsafe archive (nothing of it is left behind).
  ImageInfo import_tar(int fd, const std::string& reference, const std::string& source);
  // A new image of the tree under `dir` (a container's merged filesystem): write_tar into an
  // unlinked temp file, then import_tar of it, so the id is the digest of the content too.
  ImageInfo commit(const std::string& dir, const std::string& reference, const std::string& source);

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
  // `rmi`, with docker's rules. By name: the tag goes; the image too when that was its last tag.
  // By id: the image and all its tags go (tags in more than one repository need `force`).
  // Deleting an image that in_use(id) says a container uses needs `force`. Returns docker's
  // lines: "Untagged: busybox:latest", "Deleted: sha256:<id>". Throws Error "conflict: ...".
  std::vector<std::string> remove(const std::string& ref, bool force,
                                  const std::function<bool(const std::string& id)>& in_use);

  std::string rootfs(const ImageInfo& image) const;

  // What an import or rmi killed half-way left: its images/.tmp-* directory (an import holds a
  // lock on its own while it runs, so a live one is never listed) and tags/.tmp-* links older
  // than a minute (a tag is made and renamed in microseconds). `prune` removes them with
  // remove_tree (which removes a link, never what it points to).
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
  // Every tag with the id it points to, sorted by name.
  std::vector<std::pair<ImageReference, std::string>> tags() const;
  std::vector<ImageReference> tags_of(const std::string& id) const;
  void tag(const std::string& id, const ImageReference& name) const;
  bool untag(const std::string& id, const ImageReference& name) const;
  void delete_image(const std::string& id) const;

  std::string images_, tags_;
};

}  // namespace mydocker
