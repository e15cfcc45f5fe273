// config.json's mounts: each option of runc's table, turned into mount(2) flags, a propagation
// change, recursive attributes (mount_setattr) and the filesystem's own data.

#include "mydocker/oci/mounts.hpp"

#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "fields.hpp"

namespace mydocker::oci {
namespace {

struct FlagWord {
  const char* word;
  unsigned long set, clear;
};
constexpr FlagWord kFlags[] = {{"ro", MS_RDONLY, 0},
                               {"rw", 0, MS_RDONLY},
                               {"nosuid", MS_NOSUID, 0},
                               {"suid", 0, MS_NOSUID},
                               {"nodev", MS_NODEV, 0},
                               {"dev", 0, MS_NODEV},
                               {"noexec", MS_NOEXEC, 0},
                               {"exec", 0, MS_NOEXEC},
                               {"sync", MS_SYNCHRONOUS, 0},
                               {"async", 0, MS_SYNCHRONOUS},
                               {"dirsync", MS_DIRSYNC, 0},
                               {"mand", MS_MANDLOCK, 0},
                               {"nomand", 0, MS_MANDLOCK},
                               {"noatime", MS_NOATIME, 0},
                               {"atime", 0, MS_NOATIME},
                               {"nodiratime", MS_NODIRATIME, 0},
                               {"diratime", 0, MS_NODIRATIME},
                               {"relatime", MS_RELATIME, 0},
                               {"norelatime", 0, MS_RELATIME},
                               {"strictatime", MS_STRICTATIME, 0},
                               {"nostrictatime", 0, MS_STRICTATIME},
                               {"silent", MS_SILENT, 0},
                               {"loud", 0, MS_SILENT},
                               {"bind", MS_BIND, 0},
                               {"rbind", MS_BIND | MS_REC, 0}};

struct PropagationWord {
  const char* word;
  unsigned long flags;
};
constexpr PropagationWord kPropagation[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC}};

struct AttrWord {
  const char* word;
  uint64_t set, clear;
};
constexpr AttrWord kRecursive[] = {{"rro", MOUNT_ATTR_RDONLY, 0},
                                   {"rrw", 0, MOUNT_ATTR_RDONLY},
                                   {"rnosuid", MOUNT_ATTR_NOSUID, 0},
                                   {"rsuid", 0, MOUNT_ATTR_NOSUID},
                                   {"rnodev", MOUNT_ATTR_NODEV, 0},
                                   {"rdev", 0, MOUNT_ATTR_NODEV},
                                   {"rnoexec", MOUNT_ATTR_NOEXEC, 0},
                                   {"rexec", 0, MOUNT_ATTR_NOEXEC},
                                   {"rnodiratime", MOUNT_ATTR_NODIRATIME, 0},
                                   {"rdiratime", 0, MOUNT_ATTR_NODIRATIME},
                                   {"rnoatime", MOUNT_ATTR_NOATIME, 0},
                                   {"rrelatime", MOUNT_ATTR_RELATIME, 0},
                                   {"rstrictatime", MOUNT_ATTR_STRICTATIME, 0}};

// Options that change how a mount is made, not what it is: refused by name.
constexpr const char* kRefused[] = {"idmap", "ridmap", "remount", "move"};

}  // namespace

void apply_mount_option(const std::string& word, OciMount& m, const std::string& field) {
  for (const auto& f : kFlags)
    if (word == f.word) {
      m.flags = (m.flags | f.set) & ~f.clear;
      return;
    }
  for (const auto& p : kPropagation)
    if (word == p.word) {
      m.propagation = p.flags;
      return;
    }
  for (const auto& a : kRecursive)
    if (word == a.word) {
      m.attr_set = (m.attr_set | a.set) & ~a.clear;
      m.attr_clr = (m.attr_clr | a.clear) & ~a.set;
      return;
    }
  if (word == "tmpcopyup" || word == "notmpcopyup") {  // runc's and crun's extension
    m.copy_up = word == "tmpcopyup";
    return;
  }
  for (const char* r : kRefused)
    if (word == r) fail(field, "the mount option \"" + word + "\" is not supported by mydocker");
  if (word.find('=') == std::string::npos && word.size() > 32)
    fail(field, "unknown mount option \"" + word + "\"");
  m.data += (m.data.empty() ? "" : ",") + word;  // the filesystem's: mode=755, size=64m...
}

OciMount parse_mount(const json& j, const std::string& field, const std::string& bundle) {
  Obj o(j, field, {"destination", "source", "type", "options", "uidMappings", "gidMappings"});
  o.unsupported("uidMappings", "idmapped mounts are not supported by mydocker");
  o.unsupported("gidMappings", "idmapped mounts are not supported by mydocker");
  OciMount m;
  m.target = o.absolute("destination");
  m.type = o.str("type");
  m.source = o.str("source");
  for (const auto& word : o.strings("options")) apply_mount_option(word, m, o.field("options"));
  const bool bind = (m.flags & MS_BIND) != 0 || m.type == "bind";
  if (bind) {
    m.type = "bind";
    m.flags |= MS_BIND;
    if (m.source.empty()) fail(o.field("source"), "missing for a bind mount");
    if (m.source.front() != '/') m.source = bundle + "/" + m.source;  // runc: from the bundle
    struct stat st {};
    if (::stat(m.source.c_str(), &st) != 0)
      fail(o.field("source"), "\"" + m.source + "\" does not exist");
    m.file = !S_ISDIR(st.st_mode);
  } else if (m.type.empty()) {
    fail(o.field("type"), "missing (only bind mounts may leave it out)");
  }
  if (m.copy_up && m.type != "tmpfs")
    fail(o.field("options"), "tmpcopyup applies to tmpfs mounts only, not " + m.type);
  for (char ch : m.target)
    if (static_cast<unsigned char>(ch) < 0x20) fail(o.field("destination"), "control character");
  return m;
}

}  // namespace mydocker::oci
