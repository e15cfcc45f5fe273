#include "mydocker/util/namespaces.hpp"

#include <sys/stat.h>

namespace mydocker {

bool is_own_namespace(const std::string& path, const char* name) {
  struct stat theirs {
  }, mine{};
  return ::stat(path.c_str(), &theirs) == 0 &&
         ::stat((std::string("/proc/self/ns/") + name).c_str(), &mine) == 0 &&
         theirs.st_dev == mine.st_dev && theirs.st_ino == mine.st_ino;
}

}  // namespace mydocker
