#pragma once
// `cp` and `diff`, with docker's rules.
//
// cp moves a tar stream between two processes: the one that reads SRC writes the stream, the
// one that writes DEST extracts it (docker's own design: its daemon and client exchange tars).
// The container's side always runs in a child process chroot'ed into the container's
// filesystem, so every path of the container, and every symlink in it (`/etc -> /host/etc`,
// `up -> ../../..`), resolves inside the container's root, whatever its files hold:
//   - a running container (also paused, and one without an image): its root as its processes
//     see it, /proc/<pid>/root (its own mount namespace's tree: its overlay, volumes, tmpfs).
//     Writing there is what the container sees at once; a second overlay on the same upper
//     directory would be undefined behaviour for overlayfs while the first is mounted. With
//     --userns private the child also joins the container's user namespace, as its root.
//   - a stopped (or created) container of an image: a fresh overlay of its own layer over the
//     image's (read-only to read, read-write to write) in a private mount namespace, gone with
//     the child.
//   - a stopped container without an image (the host's files, --rootfs): refused.
// The host's side runs in the mydocker process; it never follows anything the container wrote
// (the extraction refuses `..`, absolute names and writes through symlinks, and device nodes
// of a container never reach the host's disk).

#include <functional>
#include <string>
#include <vector>

#include "mydocker/seccomp/confine.hpp"
#include "mydocker/store/store.hpp"

namespace mydocker {

// One argument of cp: CONTAINER:PATH, a local PATH, or "-" (a tar on stdin/stdout). As docker:
// an argument is local when it is absolute or the part before its first ':' starts with '.'.
struct CopyEndpoint {
  std::string container;  // "" for the local side
  std::string path;       // the container's paths are made absolute ("tmp/x" is "/tmp/x")
  bool stream = false;    // "-"
};
CopyEndpoint parse_copy_endpoint(const std::string& arg);

struct CopyRequest {
  CopyEndpoint src, dest;
  bool archive = false;  // -a: owners as in the source (default: the destination's root/caller)
  bool follow = false;   // -L: a symlink SRC is copied as what it points to
};
// Checks the pair: exactly one side in a container, "-" only on the local side, no empty path.
// Throws Error (125) naming the argument.
CopyRequest make_copy_request(const std::string& src, const std::string& dest, bool archive,
                              bool follow);

// ---- the path rules (docker's), pure ----

// The name of SRC's root entry in the stream: its last component; "." when SRC ends in "/."
// or is "/" (the directory's contents, as docker's `cp c:/dir/. -` streams "./a", "./b").
std::string copy_root_name(const std::string& src);

// Where the extracting side writes, for a stream whose root entry is `root` (a directory or
// not), to DEST as typed (a trailing '/' asks for a directory) in the state found there.
struct DestState {
  bool exists = false;
  bool is_dir = false;
};
struct ExtractPlan {
  std::string dir;        // the directory the entries are written in
  std::string rename_to;  // the root entry's new name; "" = its contents go straight into dir
};
// Throws Error with docker's messages ("cannot copy a directory to a file"...).
ExtractPlan plan_extract(const std::string& dest, const DestState& state, const std::string& root,
                         bool root_is_dir);
// `name` with its first component `from` replaced by `to` ("" drops it): "d/a" -> "x/a".
// Returns "" for the root entry itself when `to` is "".
std::string rebase_entry(const std::string& name, const std::string& from, const std::string& to);

// cp: copies as requested. Throws Error (125): "Could not find the file /x in container c".
void copy(const Store& store, const std::string& data_root, const CopyRequest& request);

// export: `fn` runs in a child process chroot'ed into a read-only overlay of the container's
// own layer over its image's (running or not: its filesystem without its volumes), as cp's
// stopped side. Throws Error: the child's, or a container without files of its own.
void in_container_layers(const Store& store, const std::string& data_root, const std::string& ref,
                         const std::function<void()>& fn);

// `fn` in a child process chroot'ed into `dir` and confined as cp's (see seccomp/confine.hpp):
// commit walks a container's layer so, which the container may change under the walk (a
// directory swapped for a symlink to the host's files).
void in_directory(const std::string& dir, Confinement confinement, const std::function<void()>& fn);

// ---- diff ----

struct Change {
  char kind;  // 'A' added, 'C' changed, 'D' deleted
  std::string path;
};
// docker's changes of an overlay upper directory against its lower directories (top first):
// depth first, siblings in byte order; a whiteout (0:0 character device) or an opaque
// directory is D; what a lower layer has is C (a directory only when its size, mode or mtime
// differ); the rest A; the parent of an A or D is C. Nothing is followed: names only.
std::vector<Change> overlay_changes(const std::string& upper,
                                    const std::vector<std::string>& lowers);
// diff: a container of an image (running or not). Throws Error otherwise.
std::vector<Change> diff_container(const Store& store, const std::string& data_root,
                                   const std::string& ref);

}  // namespace mydocker
