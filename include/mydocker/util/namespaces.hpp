#pragma once
// Namespace files (/proc/PID/ns/NAME, or a bind of one) compared with the caller's own.

#include <string>

namespace mydocker {

// True when the namespace at `path` is this process's own `name` namespace ("net", "uts",
// "user"...): the same inode as /proc/self/ns/NAME. False when either cannot be read.
bool is_own_namespace(const std::string& path, const char* name);

}  // namespace mydocker
