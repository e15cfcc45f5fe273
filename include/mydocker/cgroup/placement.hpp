#pragma once
// Where a container's cgroup goes, in each hierarchy.
//
// cgroup v1, the default: `mydocker-<id>` right in the caller's own cgroup (runc's rule for
// relative paths: containers stay accounted under the shell, service or CI job that started
// them; named as docker's systemd driver names its `docker-<id>.scope`). One directory per
// hierarchy and nothing shared: a run makes and removes 8 directories, where a `mydocker`
// parent cost 16, each mkdir/rmdir of a cgroup 10-250 µs here.
// cgroup v2, the default: /mydocker/<id> (v2::default_placement says why it needs a parent).
// --cgroup-parent P: `<P>/<id>`, an absolute P from the hierarchy's root, a relative one from
// the caller's own cgroup; "." (the OCI runtime's, never a --cgroup-parent) is the caller's own
// cgroup itself.

#include <string>
#include <string_view>

namespace mydocker {

// v2's default parent (below the hierarchy's root; v1's before 2026-12-07, below the caller's).
inline constexpr std::string_view kDefaultCgroupParent = "mydocker";
// v1's default directory names: this, then the container's id.
inline constexpr std::string_view kDefaultCgroupPrefix = "mydocker-";

// The parent's path from the hierarchy's root, normalised ("/a/b"); "" (the default) and "."
// are the caller's own cgroup. Throws Error (via validate_cgroup_parent) for a bad parent.
std::string resolve_cgroup_parent(std::string_view own_path, std::string_view cgroup_parent);

// Throws Error("invalid --cgroup-parent ...") for "..", "." or control characters.
void validate_cgroup_parent(std::string_view cgroup_parent);

// v1's default directory name for container `id`: "mydocker-<id>".
std::string default_cgroup_name(std::string_view id);

// The container a directory named `name` in a default place belongs to: with `prefixed`
// "mydocker-<id>" (v1), else "<id>" (v2's /mydocker), gives the 64-hex id; anything else "".
std::string container_of_cgroup(std::string_view name, bool prefixed);

}  // namespace mydocker
