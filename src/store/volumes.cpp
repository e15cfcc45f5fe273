#include "mydocker/store/volumes.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <fstream>

#include "mydocker/util/error.hpp"
#include "mydocker/util/files.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/time.hpp"

namespace mydocker {

void check_volume_name(const std::string& name, const std::string& flag) {
  const bool ok =
      name.size() >= 2 && name.size() <= 255 && std::isalnum(static_cast<unsigned char>(name[0])) &&
      std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
      });
  if (!ok)
    throw Error("invalid value '" + name + "' for " + flag +
                ": a volume's name is [a-zA-Z0-9][a-zA-Z0-9_.-]+ (a host path is absolute, or "
                "starts with ./ or ../)");
}

bool names_volume(const std::string& source) { return !source.empty() && source[0] != '/'; }

VolumeStore::VolumeStore(std::string data_root) : root_(std::move(data_root) + "/volumes") {}

namespace {

Volume from_record(const std::string& dir, const std::string& name) {
  Volume v;
  v.name = name;
  v.mountpoint = dir + "/_data";
  std::ifstream in(dir + "/volume.json");
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_object()) {
    v.created = j.value("CreatedAt", "");
    v.labels = j.value("Labels", std::map<std::string, std::string>{});
    v.anonymous = j.value("Anonymous", false);
  }
  return v;
}

}  // namespace

Volume VolumeStore::ensure(const std::string& name,
                           const std::map<std::string, std::string>& labels, bool anonymous,
                           bool* created) const {
  // 0700 (docker's /var/lib/docker/volumes is 0701 inside a 0710 root): only root reaches a
  // volume's files. A container's setuid file or device node in a volume must not be a host
  // user's way to root; no container needs the path (with --userns private the parent binds
  // volumes as detached trees). One made 0701 by an older mydocker is closed here.
  make_dirs(root_, 0700);
  if (struct stat st{}; ::stat(root_.c_str(), &st) == 0 && (st.st_mode & 077))
    ::chmod(root_.c_str(), 0700);
  const std::string d = dir(name);
  if (::mkdir(d.c_str(), 0700) != 0) {
    if (errno != EEXIST) throw SysError(errno, "cannot create the volume " + d);
    if (created) *created = false;
    // Made by another run a moment ago: its record may still be on its way.
    if (::access((d + "/_data").c_str(), F_OK) != 0) make_dirs(d + "/_data", 0755);
    return from_record(d, name);
  }
  make_dirs(d + "/_data", 0755);
  const nlohmann::json record = {
      {"Name", name}, {"CreatedAt", now_rfc3339()}, {"Labels", labels}, {"Anonymous", anonymous}};
  write_file_atomic(d + "/volume.json", record.dump() + "\n");
  if (created) *created = true;
  return from_record(d, name);
}

std::optional<Volume> VolumeStore::find(const std::string& name) const {
  if (name.find('/') != std::string::npos || ::access(dir(name).c_str(), F_OK) != 0)
    return std::nullopt;
  return from_record(dir(name), name);
}

std::vector<Volume> VolumeStore::list() const {
  std::vector<Volume> out;
  for (const auto& name : list_dir(root_))
    if (::access((dir(name) + "/_data").c_str(), F_OK) == 0)
      out.push_back(from_record(dir(name), name));
  std::sort(out.begin(), out.end(),
            [](const Volume& a, const Volume& b) { return a.name < b.name; });
  return out;
}

void VolumeStore::remove(const std::string& name,
                         const std::function<bool(const std::string&)>& in_use, bool force) const {
  if (!find(name)) throw Error("no such volume: " + name);
  if (in_use(name) && !force)
    throw Error("volume is in use: " + name + " (remove its containers first, or -f)");
  remove_tree(dir(name));
}

nlohmann::json VolumeStore::inspect_json(const Volume& v) const {
  return {{"Name", v.name},
          {"Driver", "local"},
          {"Mountpoint", v.mountpoint},
          {"CreatedAt", v.created},
          {"Labels", v.labels},
          {"Scope", "local"},
          {"Options", nlohmann::json::object()}};
}

}  // namespace mydocker
