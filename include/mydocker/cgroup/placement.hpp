#pragma once
// Where a container's cgroup goes: `<parent>/<id>` in each hierarchy.
//
// The default parent is `mydocker` below the caller's own cgroup (runc's rule for relative
// paths), so containers stay accounted under the shell, service or CI job that started them.
// An absolute --cgroup-parent is taken from the hierarchy's root, a relative one from the
// caller's own cgroup; "." (the OCI runtime's, never a --cgroup-parent) is the caller's own
// cgroup itself.

#include <string>
#include <string_view>

namespace mydocker {

inline constexpr std::string_view kDefaultCgroupParent = "mydocker";

// The parent's path from the hierarchy's root, normalised ("/a/b"); "" means the default.
// Throws Error (via validate_cgroup_parent) for a bad parent.
std::string resolve_cgroup_parent(std::string_view own_path, std::string_view cgroup_parent);

// Throws Error("invalid --cgroup-parent ...") for "..", "." or control characters.
void validate_cgroup_parent(std::string_view cgroup_parent);

}  // namespace mydocker
