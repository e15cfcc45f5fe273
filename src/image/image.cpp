#include "mydocker/image/image.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
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

#include "mydocker/image/content.hpp"
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

// What every run mounts over (its mount points), made once per image in its init directory
// when no layer has them (lowers: the image's layer directories, top first). A path is in the
// image when the topmost layer having it does not hide it (a 0:0 character device).
const struct stat* topmost(const std::vector<std::string>& lowers, const std::string& rel,
                           struct stat& st) {
  for (const auto& l : lowers)
    if (::lstat((l + rel).c_str(), &st) == 0)
      return S_ISCHR(st.st_mode) && st.st_rdev == 0 ? nullptr : &st;
  return nullptr;
}

void make_init_layer(const std::string& init, const std::vector<std::string>& lowers) {
  make_dirs(init, 0755);
  struct stat st {};
  for (const char* dir : {"/proc", "/sys", "/dev"})
    if (!topmost(lowers, dir, st)) make_dirs(init + dir, 0755);
  const struct stat* etc = topmost(lowers, "/etc", st);
  if (etc && !S_ISDIR(etc->st_mode)) return;  // a symlink or a file: leave it as it is
  if (!etc) make_dirs(init + "/etc", 0755);
  for (const char* file : {"/etc/hostname", "/etc/hosts", "/etc/resolv.conf"}) {
    if (topmost(lowers, file, st)) continue;  // a file or a symlink of the image's own
    make_dirs(init + "/etc", 0755);
    UniqueFd fd(
        ::open((init + file).c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd) throw SysError(errno, "create the mount point " + init + file);
  }
}

nlohmann::json info_json(const ImageInfo& i) {
  return {{"id", i.id},
          {"created", i.created},
          {"size", i.size},
          {"source", i.source},
          {"layers", i.layers},
          {"manifest", i.manifest},
          {"repo_digests", i.repo_digests}};
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

// docker's domain: components of [A-Za-z0-9] or [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9], joined by
// single dots ("..", ".x", "x." and "a-" are not hosts: a name is also a path in the store).
bool valid_host(std::string_view host) {
  if (host.empty()) return false;
  size_t start = 0;
  for (;;) {
    const size_t end = std::min(host.find('.', start), host.size());
    const std::string_view part = host.substr(start, end - start);
    auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
    if (part.empty() || !alnum(part.front()) || !alnum(part.back()) ||
        !std::all_of(part.begin(), part.end(), [&](char c) { return alnum(c) || c == '-'; }))
      return false;
    if (end == host.size()) return true;
    start = end + 1;
  }
}

// Why `reference` breaks docker's rules, or "" when it does not (`out` then holds its parts).
std::string reference_problem(const std::string& reference, ImageReference& out) {
  if (reference.empty()) return "empty reference";
  if (reference.rfind("sha256:", 0) == 0) return "sha256:... is an image id, not a name";
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
  size_t start = 0;
  if (const size_t slash = repo.find('/'); slash != std::string::npos) {
    // A registry first (docker's rule: a '.' or a ':' in it, or "localhost"): host[:port].
    const std::string first = repo.substr(0, slash);
    if (first.find_first_of(".:") != std::string::npos || first == "localhost") {
      const size_t port = first.find(':');
      const std::string host = first.substr(0, port),
                        digits = port == std::string::npos ? "1" : first.substr(port + 1);
      if (!valid_host(host) || digits.empty() ||
          !std::all_of(digits.begin(), digits.end(), ::isdigit))
        return "the registry " + first + " is not host[:port]";
      start = slash + 1;
    }
  }
  for (; start <= repo.size();) {
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

std::string full_reference(const ImageReference& r) {
  const size_t slash = r.repository.find('/');
  const std::string first = r.repository.substr(0, slash);
  const bool has_domain = slash != std::string::npos &&
                          (first.find_first_of(".:") != std::string::npos || first == "localhost");
  if (has_domain) return r.text();
  return "docker.io/" + std::string(slash == std::string::npos ? "library/" : "") + r.text();
}

std::optional<ImageReference> familiar_reference(std::string text) {
  if (text.find('@') != std::string::npos) return std::nullopt;
  for (const char* prefix : {"docker.io/", "index.docker.io/", "registry-1.docker.io/"})
    if (text.rfind(prefix, 0) == 0) {
      text = text.substr(std::string(prefix).size());
      if (text.rfind("library/", 0) == 0 && text.find('/', 8) == std::string::npos)
        text = text.substr(8);
      break;
    }
  ImageReference out;
  if (!reference_problem(text, out).empty()) return std::nullopt;
  return out;
}

ImageReference parse_image_reference(const std::string& reference) {
  ImageReference out;
  const std::string why = reference_problem(reference, out);
  if (!why.empty()) throw Error("invalid reference format \"" + reference + "\": " + why);
  return out;
}

std::string host_architecture() {
  struct utsname u {};
  ::uname(&u);
  const std::string m = u.machine;
  if (m == "x86_64") return "amd64";
  if (m == "aarch64") return "arm64";
  if (m == "i686" || m == "i386") return "386";
  if (m.rfind("arm", 0) == 0) return "arm";
  return m;  // ppc64le, s390x, riscv64: the same names
}

ImageStore::ImageStore(std::string data_root)
    : data_root_(data_root), images_(data_root + "/images"), tags_(data_root + "/tags") {}

ContentStore ImageStore::content() const { return ContentStore(data_root_); }

int ImageStore::lock(bool exclusive) const {
  make_dirs(data_root_, 0700);
  const std::string path = data_root_ + "/images.lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) throw SysError(errno, "open " + path);
  while (::flock(fd.get(), exclusive ? LOCK_EX : LOCK_SH) != 0)
    if (errno != EINTR) throw SysError(errno, "lock " + path);
  return fd.release();
}

ImageInfo ImageStore::import_tar(int fd, const std::string& reference,
                                 const std::string& source) const {
  parse_image_reference(reference);
  try {
    UniqueFd held(lock(false));
    int64_t size = 0;
    const std::string blob = content().add_blob_stream(fd, size, "import");
    return one_more_layer(blob, "", reference, source, "mydocker import");
  } catch (...) {
    collect_garbage();  // what it stored and no image refers to (see load_archive)
    throw;
  }
}

ImageInfo ImageStore::commit_layer(const std::string& upper, const std::string& base_id,
                                   const std::string& reference, const std::string& source,
                                   const std::string& created_by, const CommitConfig& meta,
                                   const LayerArchiver& archive) const {
  if (!reference.empty()) parse_image_reference(reference);  // before the tree is archived
  if (read_info(base_id).layers.empty())
    throw Error("commit: image " + short_id(base_id) + " was imported by an older mydocker " +
                "(one tarball, no layers): import it again, then run and commit");
  try {
    UniqueFd held(lock(false));
    make_dirs(data_root_ + "/blobs/sha256", 0700);
    UniqueFd tar(
        ::open((data_root_ + "/blobs/sha256").c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
    if (!tar) throw SysError(errno, "commit: cannot create a file in " + data_root_);
    archive ? archive(upper, tar.get()) : write_tar(upper, tar.get(), true);
    const std::string blob = content().add_blob(tar.get(), "", -1, "commit");
    return one_more_layer(blob, base_id, reference, source, created_by, meta);
  } catch (...) {
    collect_garbage();
    throw;
  }
}

ImageInfo ImageStore::one_more_layer(const std::string& blob, const std::string& base_id,
                                     const std::string& reference, const std::string& source,
                                     const std::string& created_by,
                                     const CommitConfig& meta) const {
  ContentStore store = content();
  const std::string diff = store.add_layer(blob, "", base_id.empty() ? "import" : "commit");
  using nlohmann::json;
  json config = {{"architecture", host_architecture()},
                 {"os", "linux"},
                 {"config", json::object()},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}},
                 {"history", json::array()}};
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                   {"layers", json::array()}};
  json step = {{"created_by", created_by}};
  if (!base_id.empty()) {
    const ImageInfo base = read_info(base_id);
    config = json::parse(this->config(base));
    if (!base.manifest.empty())
      manifest["layers"] = json::parse(store.read_blob(base.manifest)).at("layers");
    config["created"] = step["created"] = now_rfc3339();  // an import's config has none (above)
  }
  if (!meta.config.is_null()) config["config"] = meta.config;
  if (!meta.author.empty()) config["author"] = meta.author;
  if (!meta.comment.empty()) step["comment"] = meta.comment;
  config["rootfs"]["diff_ids"].push_back(diff);
  config["history"].push_back(step);
  const std::string config_text = config.dump();
  const std::string config_digest = store.add_blob_bytes(config_text);
  manifest["config"] = {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                        {"digest", config_digest},
                        {"size", config_text.size()}};
  struct stat st {};
  ::stat(store.blob_path(blob).c_str(), &st);
  manifest["layers"].push_back({{"mediaType", layer_media_type(store.blob_path(blob))},
                                {"digest", blob},
                                {"size", st.st_size}});
  const std::string manifest_digest = store.add_blob_bytes(manifest.dump());
  std::vector<ImageReference> names;
  if (!reference.empty()) names.push_back(parse_image_reference(reference));
  return add_image(config_digest, manifest_digest, names, source);
}

ImageInfo ImageStore::add_image(const std::string& config_digest,
                                const std::string& manifest_digest,
                                const std::vector<ImageReference>& names, const std::string& source,
                                const std::string& repo_digest) const {
  const std::string id = digest_hex(config_digest, "image config");
  ContentStore store = content();
  ImageInfo info;
  if (exists(images_ + "/" + id + "/image.json")) {
    info = read_info(id);  // the same image, stored before: keep that one, add the names
  } else {
    const auto config = nlohmann::json::parse(store.read_blob(config_digest), nullptr, false);
    if (!config.is_object()) throw Error("image config " + config_digest + ": not JSON");
    info = {id, kNone, kNone, now_rfc3339(), 0, source, {}, manifest_digest, {}};
    if (config.contains("created") && config["created"].is_string())
      info.created = config["created"].get<std::string>();
    std::vector<std::string> lowers;
    for (const auto& d : config.value("rootfs", nlohmann::json::object())
                             .value("diff_ids", nlohmann::json::array())) {
      const std::string diff = d.is_string() ? d.get<std::string>() : "";
      if (!store.has_layer(diff))
        throw Error("image " + short_id(id) + ": layer " + diff + " missing");
      info.layers.push_back(diff);
      info.size += store.layer_size(diff);
      lowers.insert(lowers.begin(), store.layer_dir(diff));
    }
    if (info.layers.empty()) throw Error("image config " + config_digest + ": no layers");
    StagingDir staging(images_, "image " + short_id(id));
    make_init_layer(staging.path() + "/init", lowers);
    write_file(staging.path() + "/image.json", info_json(info).dump() + "\n", false);
    if (!staging.rename_to(images_ + "/" + id)) info = read_info(id);  // recorded meanwhile
  }
  if (!repo_digest.empty() && std::find(info.repo_digests.begin(), info.repo_digests.end(),
                                        repo_digest) == info.repo_digests.end()) {
    info.repo_digests.push_back(repo_digest);
    write_file_atomic(images_ + "/" + id + "/image.json", info_json(info).dump() + "\n", false);
  }
  for (const auto& name : names) tag(id, name);
  if (!names.empty()) {
    info.repository = names.front().repository;
    info.tag = names.front().tag;
  }
  return info;
}

std::vector<std::string> ImageStore::lowerdirs(const ImageInfo& image) const {
  const std::string dir = images_ + "/" + image.id;
  if (image.layers.empty()) return {dir + "/rootfs"};  // an image of the one-tarball layout
  // Each layer once (an image may repeat one, an empty layer most often: the topmost occurrence
  // gives the same tree, and overlayfs refuses a lower directory twice), through its short link
  // (l/<20 hex>): a page of mount options then holds over a hundred layers, not thirty-odd.
  std::vector<std::string> out{dir + "/init"};
  ContentStore store = content();
  std::set<std::string> seen;
  for (auto it = image.layers.rbegin(); it != image.layers.rend(); ++it)
    if (seen.insert(*it).second) out.push_back(store.layer_link(*it));
  return out;
}

std::string ImageStore::config(const ImageInfo& image) const {
  ContentStore store = content();
  const std::string digest = "sha256:" + image.id;
  return store.has_blob(digest) ? store.read_blob(digest) : "{}";
}

std::vector<ImageInfo> ImageStore::records() const {
  std::vector<ImageInfo> out;
  for (const auto& id : list_dir(images_)) {
    if (!is_container_id(id)) continue;
    try {
      out.push_back(read_info(id));
    } catch (const Error&) {
      // being removed
    }
  }
  return out;
}

std::vector<ImageInfo> ImageStore::list() const {
  std::map<std::string, std::vector<ImageReference>> names;
  for (const auto& [name, id] : tags()) names[id].push_back(name);
  std::vector<ImageInfo> out;
  for (ImageInfo info : records()) {
    const auto it = names.find(info.id);
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
  // Forced while a container uses it: the names go, the image stays (untagged) for as long as
  // a container's overlay needs its layers; `rmi` of its id removes it once none does.
  if (force && in_use && in_use(found.id)) return out;
  delete_image(found.id);
  out.push_back("Deleted: sha256:" + found.id);
  for (const auto& line : collect_garbage())
    if (line.rfind("layer ", 0) == 0) out.push_back("Deleted: " + line.substr(6));
  return out;
}

std::vector<std::string> ImageStore::collect_garbage() const {
  // Never waits: while a load or pull adds blobs (a shared hold), what it added is not yet
  // referenced, so nothing is collected; the next rmi or prune does it.
  make_dirs(data_root_, 0700);
  UniqueFd held(::open((data_root_ + "/images.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!held || ::flock(held.get(), LOCK_EX | LOCK_NB) != 0) return {};
  ContentStore store = content();
  std::set<std::string> blobs, layers;
  for (const auto& info : records()) {
    blobs.insert("sha256:" + info.id);
    layers.insert(info.layers.begin(), info.layers.end());
    if (info.manifest.empty()) continue;
    blobs.insert(info.manifest);
    try {
      const auto m = nlohmann::json::parse(store.read_blob(info.manifest));
      for (const auto& l : m.value("layers", nlohmann::json::array()))
        if (l.is_object()) blobs.insert(l.value("digest", ""));
    } catch (const std::exception&) {
      // an unreadable manifest keeps nothing more
    }
  }
  std::vector<std::string> out;
  for (const auto& l : store.layers())
    if (!layers.count(l)) {
      store.remove_layer(l);
      out.push_back("layer " + l);
    }
  for (const auto& b : store.blobs())
    if (!blobs.count(b)) {
      store.remove_blob(b);
      out.push_back("blob " + b);
    }
  return out;
}

namespace {

// Where a tag's link lives: tags/<repository>:<tag>, with a ':' in a directory (a registry's
// port: "localhost:5000/app") written "%3A", which no repository has. Without it the directory
// of "localhost:5000/app:1" and the link of "localhost:5000" (repository localhost, tag 5000)
// had one name, and whichever came second failed. Data roots of before keep their links at
// legacy_link until the tag is set again.
std::string tag_link(const std::string& tags, const ImageReference& name) {
  std::string repo = name.repository;
  const size_t slash = repo.rfind('/');
  for (size_t at; slash != std::string::npos && (at = repo.find(':')) < slash;)
    repo.replace(at, 1, "%3A");
  return tags + "/" + repo + ":" + name.tag;
}

std::string legacy_link(const std::string& tags, const ImageReference& name) {
  return tags + "/" + name.text();
}

}  // namespace

void ImageStore::tag(const std::string& source, const std::string& target) const {
  const ImageReference name = parse_image_reference(target);
  tag(find(source).id, name);
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
  if (!ref.starts_with("sha256:") && reference_problem(ref, name).empty()) {
    std::string id = read_link(tag_link(tags_, name));
    if (id.empty()) id = read_link(legacy_link(tags_, name));
    if (is_container_id(id) && exists(images_ + "/" + id)) return Found{id, true, name};
  }
  // NAME@sha256:... : the image pulled (or pushed) under that digest (its RepoDigests).
  if (const size_t at = ref.find('@'); at != std::string::npos && at > 0) {
    const auto repo = familiar_reference(ref.substr(0, at));
    const std::string wanted = (repo ? repo->repository : ref.substr(0, at)) + ref.substr(at);
    for (const auto& info : records())
      if (std::find(info.repo_digests.begin(), info.repo_digests.end(), wanted) !=
          info.repo_digests.end())
        return Found{info.id, false, {}};
    why = "No such image: " + ref;
    return std::nullopt;
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
  auto strings = [&](const char* key) {
    std::vector<std::string> out;
    for (const auto& v : j.value(key, nlohmann::json::array()))
      if (v.is_string()) out.push_back(v.get<std::string>());
    return out;
  };
  return ImageInfo{id,
                   kNone,
                   kNone,
                   j.value("created", ""),
                   j.value("size", int64_t{0}),
                   j.value("source", ""),
                   strings("layers"),
                   j.value("manifest", ""),
                   strings("repo_digests")};
}

std::vector<std::pair<ImageReference, std::string>> ImageStore::tags() const {
  std::vector<std::pair<ImageReference, std::string>> out;
  std::error_code ec;
  for (auto it = stdfs::recursive_directory_iterator(tags_, ec);
       !ec && it != stdfs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code link_ec;
    if (it->path().filename().string().starts_with(".") || !it->is_symlink(link_ec)) continue;
    std::string name = it->path().string().substr(tags_.size() + 1);
    for (size_t at; (at = name.find("%3A")) != std::string::npos;) name.replace(at, 3, ":");
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
  const std::string link = tag_link(tags_, name);
  if (const std::string legacy = legacy_link(tags_, name); legacy != link)
    ::unlink(legacy.c_str());  // an older data root's link of this name: one place from now on
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
  bool removed = false;
  for (const std::string& link : {tag_link(tags_, name), legacy_link(tags_, name)})
    removed = (read_link(link) == id && ::unlink(link.c_str()) == 0) || removed;
  return removed;
}

void ImageStore::delete_image(const std::string& id) const {
  // Out of sight in one step, then removed at leisure.
  const std::string doomed = images_ + "/" + kTmpPrefix + new_container_id();
  if (::rename((images_ + "/" + id).c_str(), doomed.c_str()) != 0)
    throw SysError(errno, "cannot remove image " + short_id(id));
  remove_tree(doomed);
}

std::vector<std::string> ImageStore::abandoned() const {
  std::vector<std::string> out = content().abandoned();
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
