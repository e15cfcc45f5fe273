#pragma once
// libarchive's handles as owning pointers (tar.cpp, commands/copy.cpp).

#include <archive.h>
#include <archive_entry.h>

#include <memory>

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

}  // namespace mydocker
