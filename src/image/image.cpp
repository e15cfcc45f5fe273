#include "mydocker/image/image.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <tuple>

#include "mydocker/image/tar.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/files.hpp"
#include "mydocker/util/fs.hpp"
#include "mydocker/util/id.hpp"
#include "mydocker/util/scope_guard.hpp"
#include "mydocker/util/time.hpp"

namespace mydocker {
namespace {

namespace stdfs = std::filesystem;

constexpr const char* kTmpPrefix = ".tmp-";
constexpr const char* kNone = "<none>";

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// What every run mounts over, made once in the image (as docker's layers carry them) rather
// than in each container's layer on disk, where it costs a dozen creations and removals a run.
// The image's id stays the digest of its tarball.
void add_mount_points(const std::string& rootfs) {
  struct stat st {};
  for (const char* dir : {"/proc", "/sys", "/dev", "/etc"})
    if (::lstat((rootfs + dir).c_str(), &st) != 0) ::mkdir((rootfs + dir).c_str(), 0755);
  for (const char* file : {"/etc/hostname", "/etc/hosts", "/etc/resolv.conf"}) {
    const std::string path = rootfs + file;
    if (::lstat(path.c_str(), &st) == 0) continue;  // a file or a symlink of the image's own
    UniqueFd fd(::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644));
  }
}

// docker's size of a layer: the bytes of its files and symlinks, each hard-linked inode once.
int64_t tree_size(const std::string& dir) {
  int64_t total = 0;
  std::set<std::pair<dev_t, ino_t>> linked;
  std::error_code ec;
  for (auto it = stdfs::recursive_directory_iterator(
           dir, stdfs::directory_options::skip_permission_denied, ec);
       !ec && it != stdfs::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0 || S_ISDIR(st.st_mode)) continue;
    if (st.st_nlink > 1 && !linked.insert({st.st_dev, st.st_ino}).second) continue;
    total += st.st_size;
  }
  return total;
}

nlohmann::json info_json(const ImageInfo& i) {
  return {{"id", i.id},     {"repository", i.repository}, {"tag", i.tag}, {"created", i.created},
          {"size", i.size}, {"source", i.source}};
}

// docker's [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. (By hand: `run` checks every command's first
// word, and building a std::regex costs more than the rest of the check.)
bool valid_tag(std::string_view t) {
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (t.empty() || t.size() > 128 || !word(t[0])) return false;
  return std::all_of(t.begin(), t.end(), [&](char c) { return word(c) || c == '.' || c == '-'; });
}

// docker's path component: [a-z0-9]+ joined by one '.', one '_', "__" or any number of '-'.
bool valid_component(std::string_view c) {
  auto alnum = [](char x) { return (x >= 'a' && x <= 'z') || (x >= '0' && x <= '9'); };
  size_t i = 0;
  for (;;) {
    const size_t start = i;
    while (i < c.size() && alnum(c[i])) ++i;
    if (i == start) return false;  // empty, or a separator without letters before it
    if (i == c.size()) return true;
    if (c[i] == '.') {
      ++i;
    } else if (c[i] == '_') {
      i += (i + 1 < c.size() && c[i + 1] == '_') ? 2 : 1;
    } else if (c[i] == '-') {
      while (i < c.size() && c[i] == '-') ++i;
    } else {
      return false;
    }
  }
}

// Why `reference` breaks docker's rules, or "" when it does not (`out` then holds its parts).
std::string reference_problem(const std::string& reference, ImageReference& out) {
  if (reference.empty()) return "empty reference";
  out = {reference, "latest"};
  const size_t colon = reference.rfind(':');
  const size_t slash = reference.rfind('/');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    out.repository = reference.substr(0, colon);
    out.tag = reference.substr(colon + 1);
  }
  const std::string& repo = out.repository;
  if (out.tag.empty()) return "the tag after ':' is empty";
  if (!valid_tag(out.tag))
    return "a tag is [A-Za-z0-9_.-], at most 128, not starting with '.' or '-'";
  if (repo.empty()) return "the repository name is empty";
  if (std::any_of(repo.begin(), repo.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
    return "repository name must be lowercase";
  if (repo.size() > 255) return "repository name must not be longer than 255 characters";
  if (is_container_id(repo)) return "repository name cannot be a 64-digit hex id";
  for (size_t start = 0; start <= repo.size();) {
    size_t end = std::min(repo.find('/', start), repo.size());
    if (!valid_component(std::string_view(repo).substr(start, end - start)))
      return "repository name must be lowercase letters and digits joined by '.', '_', '__' or "
             "'-', in components separated by '/'";
    start = end + 1;
  }
  return "";
}

bool is_hex(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

}  // namespace

ReferenceKind reference_kind(std::string_view word) {
  using K = ReferenceKind;
  if (word.empty() || word.front() == '/' || word.front() == '.') return K::kNotAReference;
  bool only_image = false;
  if (const size_t at = word.find('@'); at != std::string_view::npos) {  // a digest
    const std::string_view digest = word.substr(at + 1);
    const size_t colon = digest.find(':');
    const std::string hex(colon == std::string_view::npos ? "" : digest.substr(colon + 1));
    if (colon == 0 || colon == std::string_view::npos || hex.size() < 32 || !is_hex(hex))
      return K::kNotAReference;
    word = word.substr(0, at);
    only_image = true;
  }
  const size_t slash = word.rfind('/');
  const size_t colon = word.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    if (!valid_tag(word.substr(colon + 1))) return K::kNotAReference;
    word = word.substr(0, colon);
    only_image = true;
  }
  auto parts = split(word, "/");
  if (parts.empty() ||
      std::count(word.begin(), word.end(), '/') + 1 != static_cast<long>(parts.size()))
    return K::kNotAReference;  // "a//b", "a/"
  const std::string& first = parts.front();
  if (parts.size() > 1 &&
      (first.find_first_of(".:") != std::string::npos || first == "localhost")) {
    // A registry: host[:port], letters (either case), digits, '-' and '.'.
    const size_t port = first.find(':');
    const std::string host = first.substr(0, port);
    if (host.empty() || !std::all_of(host.begin(), host.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
        }))
      return K::kNotAReference;
    if (port != std::string::npos) {
      const std::string digits = first.substr(port + 1);
      if (digits.empty() || !std::all_of(digits.begin(), digits.end(), ::isdigit))
        return K::kNotAReference;
    }
    parts.erase(parts.begin());
    only_image = true;
  }
  for (const auto& p : parts)
    if (!valid_component(p)) return K::kNotAReference;
  return only_image ? K::kImageOnly : K::kName;
}

ImageReference parse_image_reference(const std::string& reference) {
  ImageReference out;
  const std::string why = reference_problem(reference, out);
  if (!why.empty()) throw Error("invalid reference format \"" + reference + "\": " + why);
  return out;
}

ImageStore::ImageStore(std::string data_root)
    : images_(data_root + "/images"), tags_(data_root + "/tags") {}

ImageInfo ImageStore::import_tar(int fd, const std::string& reference, const std::string& source) {
  const ImageReference name = parse_image_reference(reference);
  make_dirs(images_, 0700);
  const std::string tmp = images_ + "/" + kTmpPrefix + new_container_id();
  ScopeGuard cleanup([&] { remove_tree(tmp); });
  if (::mkdir(tmp.c_str(), 0700) != 0) throw SysError(errno, "import: cannot create " + tmp);
  // Held until we return: `prune` leaves a locked .tmp- directory alone (see abandoned()).
  UniqueFd busy(::open(tmp.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!busy || ::flock(busy.get(), LOCK_EX) != 0 || ::mkdir((tmp + "/rootfs").c_str(), 0755) != 0)
    throw SysError(errno, "import: cannot create " + tmp);
  const std::string id = extract_tar(fd, tmp + "/rootfs");
  add_mount_points(tmp + "/rootfs");
  ImageInfo info{id, name.repository, name.tag, now_rfc3339(), tree_size(tmp + "/rootfs"), source};
  write_file(tmp + "/image.json", info_json(info).dump() + "\n", false);
  if (::rename(tmp.c_str(), (images_ + "/" + id).c_str()) == 0) {
    cleanup.dismiss();
  } else if (errno == EEXIST || errno == ENOTEMPTY) {
    info = read_info(id);  // the same content, imported before: keep that image
  } else {
    throw SysError(errno, "import: cannot rename " + tmp);
  }
  tag(id, name);
  info.repository = name.repository;
  info.tag = name.tag;
  return info;
}

ImageInfo ImageStore::commit(const std::string& dir, const std::string& reference,
                             const std::string& source) {
  parse_image_reference(reference);  // before the tree is archived
  make_dirs(images_, 0700);
  std::string path = images_ + "/" + kTmpPrefix + "commit-XXXXXX";
  UniqueFd tar(::mkostemp(path.data(), O_CLOEXEC));
  if (!tar) throw SysError(errno, "commit: cannot create a temp file in " + images_);
  ::unlink(path.c_str());
  write_tar(dir, tar.get());
  if (::lseek(tar.get(), 0, SEEK_SET) != 0) throw SysError(errno, "commit: cannot rewind " + path);
  return import_tar(tar.get(), reference, source);
}

std::vector<ImageInfo> ImageStore::list() const {
  std::map<std::string, std::vector<ImageReference>> names;
  for (const auto& [name, id] : tags()) names[id].push_back(name);
  std::vector<ImageInfo> out;
  for (const auto& id : list_dir(images_)) {
    if (!is_container_id(id)) continue;
    ImageInfo info;
    try {
      info = read_info(id);
    } catch (const Error&) {
      continue;  // being removed
    }
    const auto it = names.find(id);
    if (it == names.end()) {
      info.repository = info.tag = kNone;
      out.push_back(info);
      continue;
    }
    for (const auto& name : it->second) {
      info.repository = name.repository;
      info.tag = name.tag;
      out.push_back(info);
    }
  }
  std::sort(out.begin(), out.end(), [](const ImageInfo& a, const ImageInfo& b) {
    if (a.created != b.created) return a.created > b.created;  // RFC 3339 UTC sorts as text
    return std::tie(a.repository, a.tag) < std::tie(b.repository, b.tag);
  });
  return out;
}

ImageInfo ImageStore::resolve(const std::string& ref) const { return info_for(find(ref)); }

std::optional<ImageInfo> ImageStore::lookup(const std::string& ref) const {
  std::string why;
  auto found = try_find(ref, why);
  if (!found || !exists(images_ + "/" + found->id + "/image.json")) return std::nullopt;
  return info_for(*found);
}

ImageInfo ImageStore::info_for(const Found& found) const {
  ImageInfo info = read_info(found.id);
  ImageReference name = found.name;
  if (!found.by_name) {  // by id: its first tag (walking every tag, so only then)
    const auto names = tags_of(found.id);
    name = names.empty() ? ImageReference{kNone, kNone} : names.front();
  }
  info.repository = name.repository;
  info.tag = name.tag;
  return info;
}

std::vector<std::string> ImageStore::remove(
    const std::string& ref, bool force, const std::function<bool(const std::string& id)>& in_use) {
  const Found found = find(ref);
  const std::string short_ = short_id(found.id);
  const auto names = tags_of(found.id);
  if (found.by_name && names.size() > 1) {
    untag(found.id, found.name);
    return {"Untagged: " + found.name.text()};
  }
  const bool many_repositories = std::any_of(names.begin(), names.end(), [&](const auto& n) {
    return n.repository != names.front().repository;
  });
  if (!found.by_name && many_repositories && !force)
    throw Error("conflict: unable to delete " + short_ +
                " (must be forced) - image is referenced in multiple repositories");
  if (!force && in_use && in_use(found.id))
    throw Error(found.by_name ? "conflict: unable to remove repository reference \"" + ref +
                                    "\" (must force) - image " + short_ +
                                    " is used by a container (see `mydocker ps -a`)"
                              : "conflict: unable to delete " + short_ +
                                    " (must be forced) - image is used by a container (see "
                                    "`mydocker ps -a`)");
  std::vector<std::string> out;
  for (const auto& name : names)
    if (untag(found.id, name)) out.push_back("Untagged: " + name.text());
  delete_image(found.id);
  out.push_back("Deleted: sha256:" + found.id);
  return out;
}

std::string ImageStore::rootfs(const ImageInfo& image) const {
  return images_ + "/" + image.id + "/rootfs";
}

ImageStore::Found ImageStore::find(const std::string& ref) const {
  std::string why;
  auto found = try_find(ref, why);
  if (!found) throw Error(why);
  return *found;
}

std::optional<ImageStore::Found> ImageStore::try_find(const std::string& ref,
                                                      std::string& why) const {
  // A name first, as docker does; then an id or a prefix of one.
  ImageReference name;
  if (reference_problem(ref, name).empty()) {
    const std::string id = read_link(tags_ + "/" + name.text());
    if (is_container_id(id) && exists(images_ + "/" + id)) return Found{id, true, name};
  }
  const std::string prefix = ref.starts_with("sha256:") ? ref.substr(7) : ref;
  std::vector<std::string> matches;
  if (is_hex(prefix))
    for (const auto& id : list_dir(images_))
      if (is_container_id(id) && id.starts_with(prefix)) matches.push_back(id);
  if (matches.size() == 1) return Found{matches.front(), false, {}};
  why = matches.empty() ? "No such image: " + (ref.empty() ? "(empty)" : ref)
                        : "multiple images match the prefix " + ref + ": use more of the id";
  return std::nullopt;
}

ImageInfo ImageStore::read_info(const std::string& id) const {
  const std::string path = images_ + "/" + id + "/image.json";
  const auto text = Fs().read_if_exists(path);
  if (!text) throw Error("No such image: " + id);
  const auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object()) throw Error("cannot read " + path + ": not JSON");
  return ImageInfo{id,
                   j.value("repository", kNone),
                   j.value("tag", kNone),
                   j.value("created", ""),
                   j.value("size", int64_t{0}),
                   j.value("source", "")};
}

std::vector<std::pair<ImageReference, std::string>> ImageStore::tags() const {
  std::vector<std::pair<ImageReference, std::string>> out;
  std::error_code ec;
  for (auto it = stdfs::recursive_directory_iterator(tags_, ec);
       !ec && it != stdfs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code link_ec;
    if (it->path().filename().string().starts_with(".") || !it->is_symlink(link_ec)) continue;
    const std::string name = it->path().string().substr(tags_.size() + 1);
    const size_t colon = name.rfind(':');
    if (colon == std::string::npos) continue;
    out.push_back({{name.substr(0, colon), name.substr(colon + 1)}, read_link(it->path())});
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.first.text() < b.first.text(); });
  return out;
}

std::vector<ImageReference> ImageStore::tags_of(const std::string& id) const {
  std::vector<ImageReference> out;
  for (const auto& [name, target] : tags())
    if (target == id) out.push_back(name);
  return out;
}

void ImageStore::tag(const std::string& id, const ImageReference& name) const {
  const std::string link = tags_ + "/" + name.text();
  make_dirs(link.substr(0, link.rfind('/')), 0700);
  // Made aside and renamed over the old link: the tag moves in one step, the later import wins.
  const std::string tmp = tags_ + "/" + kTmpPrefix + new_container_id();
  if (::symlink(id.c_str(), tmp.c_str()) != 0)
    throw SysError(errno, "cannot tag image " + short_id(id) + " as " + name.text());
  if (::rename(tmp.c_str(), link.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw SysError(err, "cannot tag image " + short_id(id) + " as " + name.text());
  }
}

bool ImageStore::untag(const std::string& id, const ImageReference& name) const {
  const std::string link = tags_ + "/" + name.text();
  return read_link(link) == id && ::unlink(link.c_str()) == 0;
}

void ImageStore::delete_image(const std::string& id) const {
  // Out of sight in one step, then removed at leisure.
  const std::string doomed = images_ + "/" + kTmpPrefix + new_container_id();
  if (::rename((images_ + "/" + id).c_str(), doomed.c_str()) != 0)
    throw SysError(errno, "cannot remove image " + short_id(id));
  remove_tree(doomed);
}

std::vector<std::string> ImageStore::abandoned() const {
  std::vector<std::string> out;
  for (const auto& e : list_dir(images_))
    if (e.rfind(kTmpPrefix, 0) == 0 && !is_locked(images_ + "/" + e))
      out.push_back(images_ + "/" + e);
  const time_t minute_ago = ::time(nullptr) - 60;
  for (const auto& e : list_dir(tags_)) {
    const std::string path = tags_ + "/" + e;
    struct stat st {};
    if (e.rfind(kTmpPrefix, 0) == 0 && ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode) &&
        st.st_mtime < minute_ago)
      out.push_back(path);
  }
  return out;
}

}  // namespace mydocker
