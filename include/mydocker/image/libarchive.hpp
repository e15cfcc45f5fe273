#pragma once
// libarchive's handles as owning pointers (tar.cpp, commands/copy.cpp).

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mydocker {

struct ArchiveReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct ArchiveWriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct ArchiveEntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
struct ArchiveResolverFree {
  void operator()(archive_entry_linkresolver* r) const { archive_entry_linkresolver_free(r); }
};
using ReadArchive = std::unique_ptr<archive, ArchiveReadFree>;
using WriteArchive = std::unique_ptr<archive, ArchiveWriteFree>;
using ArchiveEntry = std::unique_ptr<archive_entry, ArchiveEntryFree>;
using LinkResolver = std::unique_ptr<archive_entry_linkresolver, ArchiveResolverFree>;

// `path` as archive_read_disk names it below `dir`, relative to `dir` ("" for `dir` itself).
std::string relative_to(const std::string& dir, const std::string& path);

// The data of the current entry: from a disk reader into a tar writer (copy_to_tar), or from
// a tar reader onto a disk writer (extract_data, holes kept). Each returns the side that failed
// (its archive_error_string says why), nullptr when all of it went.
archive* copy_to_tar(archive* disk, archive* tar);
archive* extract_data(archive* tar, archive* disk);

// Keeps the extended attributes of `entry` whose name `keep` accepts; drops the others.
template <typename Keep>
void keep_xattrs(archive_entry* entry, Keep keep) {
  std::vector<std::pair<std::string, std::string>> kept;
  bool dropped = false;
  archive_entry_xattr_reset(entry);
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  while (archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK) {
    if (!name || !keep(std::string_view(name))) {
      dropped = true;
      continue;
    }
    kept.emplace_back(name, std::string(static_cast<const char*>(value), size));
  }
  if (!dropped) return;
  archive_entry_xattr_clear(entry);
  for (const auto& [n, v] : kept)
    archive_entry_xattr_add_entry(entry, n.c_str(), v.data(), v.size());
}

}  // namespace mydocker
