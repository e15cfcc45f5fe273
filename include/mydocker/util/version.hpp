#pragma once
// mydocker's version: `mydocker --version`, `mydocker oci --version`.

namespace mydocker {

inline constexpr const char* kVersion = "0.3.0";

}  // namespace mydocker
