#include "mydocker/image/archive.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "mydocker/image/content.hpp"
#include "mydocker/image/tar.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/files.hpp"
#include "mydocker/util/id.hpp"
#include "mydocker/util/scope_guard.hpp"

namespace mydocker {
namespace {

using json = nlohmann::json;

constexpr size_t kManifestLimit = 4u << 20;
constexpr size_t kConfigLimit = 16u << 20;
constexpr int kMaxIndexDepth = 4;
constexpr size_t kMaxDescriptors = 10000;  // manifests and indexes one archive may name
constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
constexpr const char* kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
constexpr const char* kOciConfig = "application/vnd.oci.image.config.v1+json";
constexpr const char* kNameAnnotation = "io.containerd.image.name";
constexpr const char* kRefAnnotation = "org.opencontainers.image.ref.name";

// A regular file of the unpacked archive, opened inside it: every symlink resolved as if the
// archive's root were "/", ".." stopping there. -1 when it is not there.
int open_inside(int root, const std::string& rel) {
  // O_PATH first: what is not a regular file (a device node, a fifo) is never opened.
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  UniqueFd path(openat2_retry(root, rel.c_str(), how));
  struct stat st {};
  if (!path || ::fstat(path.get(), &st) != 0 || !S_ISREG(st.st_mode)) return -1;
  return ::open(("/proc/self/fd/" + std::to_string(path.get())).c_str(), O_RDONLY | O_CLOEXEC);
}

std::string read_limited(int fd, size_t limit, const std::string& what) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw SysError(errno, "load: " + what);
  if (static_cast<size_t>(st.st_size) > limit)
    throw Error("load: " + what + " is larger than " + std::to_string(limit) + " bytes");
  std::string out(static_cast<size_t>(st.st_size), '\0');
  if (::pread(fd, out.data(), out.size(), 0) != static_cast<ssize_t>(out.size()))
    throw SysError(errno, "load: read " + what);
  return out;
}

json parse_json(const std::string& text, const std::string& what, bool array = false) {
  json j = parse_untrusted_json(text);
  if (array ? !j.is_array() : !j.is_object())
    throw Error("load: " + what + " is not a JSON " + (array ? "array" : "object"));
  return j;
}

std::string text_of(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

int64_t size_of(const json& desc) {
  return desc.contains("size") && desc["size"].is_number_integer() ? desc["size"].get<int64_t>()
                                                                   : -1;
}

bool is_index(const std::string& media) { return media == kOciIndex || media == kDockerList; }

// The names a descriptor of index.json gives its image: containerd's full name, or an OCI
// ref.name that is a whole name (one that is only a tag, "latest", names no repository).
std::vector<ImageReference> names_of(const json& desc) {
  const json a = desc.value("annotations", json::object());
  std::string name = text_of(a, kNameAnnotation);
  if (name.empty()) {
    name = text_of(a, kRefAnnotation);
    if (name.find_first_of(":/") == std::string::npos) return {};
  }
  if (auto r = familiar_reference(name)) return {*r};
  return {};
}

// The entries of an index this machine runs: linux and its architecture, and those that say
// no platform. Error naming what the index has when nothing fits.
std::vector<json> pick_platform(const json& list) {
  std::vector<json> out;
  std::string have;
  for (const auto& d : list) {
    if (!d.is_object()) continue;
    if (!d.contains("platform")) {
      out.push_back(d);
      continue;
    }
    const json& p = d["platform"];
    const std::string os = text_of(p, "os"), arch = text_of(p, "architecture");
    if (os == "linux" && arch == host_architecture()) out.push_back(d);
    if (os != "unknown") have += (have.empty() ? "" : ", ") + os + "/" + arch;
  }
  if (out.empty())
    throw Error("load: no image for linux/" + host_architecture() +
                " in the index (it has: " + (have.empty() ? "nothing" : have) + ")");
  return out;
}

class Loader {
 public:
  Loader(const ImageStore& images, int root, std::string source, std::string repo_digest)
      : images_(images),
        store_(images.data_root()),
        root_(root),
        source_(std::move(source)),
        repo_digest_(std::move(repo_digest)) {}

  // Everything is read and checked, every blob and layer stored, before any image is
  // recorded; what a failure leaves is unreferenced, for collect_garbage (never removed here:
  // another load may have found a layer this one added, and recorded an image on it).
  std::vector<LoadedImage> run() {
    if (UniqueFd f(open_inside(root_, "index.json")); f) {
      walk_index(parse_json(read_limited(f.get(), kManifestLimit, "index.json"), "index.json"), {},
                 0);
    } else if (UniqueFd m(open_inside(root_, "manifest.json")); m) {
      docker_manifest(m.get());
    } else {
      throw Error(
          "load: neither index.json (an OCI image layout) nor manifest.json (docker save) "
          "in the archive");
    }
    std::vector<LoadedImage> out;
    for (const auto& p : pending_) {
      images_.add_image(p.config, p.manifest, p.names, source_, repo_digest_);
      out.push_back({p.config.substr(7), p.names});
    }
    return out;
  }

 private:
  struct Pending {
    std::string config, manifest;
    std::vector<ImageReference> names;
  };

  // One image per config: an archive naming one image twice (or a thousand times, through
  // nested indexes that repeat a digest) gives it all the names, and is read once.
  bool seen(const std::string& digest) {
    if (++visited_ > kMaxDescriptors)
      throw Error("load: more than " + std::to_string(kMaxDescriptors) + " manifests and indexes");
    return !visited_digests_.insert(digest).second;
  }

  void add_pending(const std::string& config, const std::string& manifest,
                   const std::vector<ImageReference>& names) {
    for (auto& p : pending_)
      if (p.config == config) {
        for (const auto& n : names)
          if (std::none_of(p.names.begin(), p.names.end(),
                           [&](const auto& m) { return m.text() == n.text(); }))
            p.names.push_back(n);
        return;
      }
    pending_.push_back({config, manifest, names});
  }

  // A layer blob new to the store, for a layer the store has: its uncompressed bytes must be
  // that layer (save and push send the blob; the run uses the layer).
  void check_blob_is_layer(const std::string& blob, const std::string& diff_id) {
    UniqueFd fd(::open(store_.blob_path(blob).c_str(), O_RDONLY | O_CLOEXEC));
    std::string got;
    try {
      got = "sha256:" + uncompressed_sha256(fd.get());
    } catch (const Error& e) {
      throw Error("load: layer " + blob.substr(7, 12) + ": " + e.what());
    }
    if (got != diff_id)
      throw Error("load: layer " + blob.substr(7, 12) + ": diff id mismatch: the uncompressed " +
                  "layer is " + got + ", the image config says " + diff_id);
  }

  // The layer `diff_id` from the blob `desc` (or the store's): stored and unpacked once.
  void store_layer(const json& desc, const std::string& diff_id) {
    const std::string digest = text_of(desc, "digest");
    const bool had_blob = store_.has_blob(digest);
    if (had_blob && store_.has_layer(diff_id)) return;
    const std::string blob = store_blob(desc, "layer");
    if (store_.has_layer(diff_id)) {
      if (!had_blob) check_blob_is_layer(blob, diff_id);
      return;
    }
    add_layer(blob, diff_id);
  }

  // A blob of the layout (blobs/sha256/<hex>), checked against its descriptor, into the store;
  // one the store has already is not needed in the layout (a pull skips those). Its digest.
  std::string store_blob(const json& desc, const std::string& what) {
    const std::string digest = text_of(desc, "digest");
    const std::string hex = digest_hex(digest, "load: " + what);
    if (store_.has_blob(digest)) return digest;
    UniqueFd fd(open_inside(root_, "blobs/sha256/" + hex));
    if (!fd) throw Error("load: " + what + " " + digest + " is missing from the archive");
    return add_blob(fd.get(), digest, size_of(desc), what);
  }

  std::string add_blob(int fd, const std::string& expected, int64_t size, const std::string& what) {
    return store_.add_blob(fd, expected, size, "load: " + what);
  }

  void add_layer(const std::string& blob, const std::string& diff_id) {
    store_.add_layer(blob, diff_id, "load: layer " + blob.substr(7, 12));
  }

  json read_stored_json(const std::string& digest, size_t limit, const std::string& what) {
    return parse_json(store_.read_blob(digest, limit), what + " " + digest);
  }

  void walk_index(const json& index, const std::vector<ImageReference>& names, int depth) {
    if (depth > kMaxIndexDepth) throw Error("load: indexes nested deeper than 4");
    if (!index.contains("manifests") || !index["manifests"].is_array())
      throw Error("load: an index without a manifests list");
    for (const auto& d : pick_platform(index["manifests"])) {
      auto mine = names;
      for (const auto& n : names_of(d)) mine.push_back(n);
      const std::string media = text_of(d, "mediaType");
      if (seen(text_of(d, "digest"))) {
        if (!is_index(media)) repeat_names(d, mine);
        continue;
      }
      if (is_index(media)) {
        const std::string digest = store_blob(d, "index");
        walk_index(read_stored_json(digest, kManifestLimit, "index"), mine, depth + 1);
      } else if (media.empty() || media == kOciManifest || media == kDockerManifest) {
        image(d, mine);
      }  // else: not an image (an attestation, a signature): left out, as docker does
    }
  }

  void image(const json& desc, const std::vector<ImageReference>& names) {
    const std::string manifest = store_blob(desc, "manifest");
    const json m = read_stored_json(manifest, kManifestLimit, "manifest");
    if (!m.contains("config") || !m["config"].is_object() || !m.contains("layers") ||
        !m["layers"].is_array())
      throw Error("load: manifest " + manifest + " has no config or no layers");
    const std::string config = store_blob(m["config"], "config");
    const json c = read_stored_json(config, kConfigLimit, "config");
    const auto diff_ids = diff_ids_of(c, config);
    if (diff_ids.size() != m["layers"].size())
      throw Error("load: image " + config.substr(7, 12) + ": its manifest lists " +
                  std::to_string(m["layers"].size()) + " layers, its config " +
                  std::to_string(diff_ids.size()) + " diff ids");
    for (size_t i = 0; i < diff_ids.size(); ++i) store_layer(m["layers"][i], diff_ids[i]);
    manifests_[manifest] = config;
    add_pending(config, manifest, names);
  }

  // A manifest met again (another name for it): its names join its image's.
  void repeat_names(const json& desc, const std::vector<ImageReference>& names) {
    const auto it = manifests_.find(text_of(desc, "digest"));
    if (it != manifests_.end()) add_pending(it->second, text_of(desc, "digest"), names);
  }

  static std::vector<std::string> diff_ids_of(const json& c, const std::string& config) {
    std::vector<std::string> out;
    const json rootfs = c.value("rootfs", json::object());
    if (!rootfs.is_object() || !rootfs.contains("diff_ids") || !rootfs["diff_ids"].is_array())
      throw Error("load: config " + config + " has no rootfs.diff_ids");
    for (const auto& d : rootfs["diff_ids"]) {
      const std::string id = d.is_string() ? d.get<std::string>() : "";
      digest_hex(id, "load: config " + config.substr(7, 12) + ": diff id");
      out.push_back(id);
    }
    if (out.empty()) throw Error("load: config " + config + " has no layers");
    return out;
  }

  // "blobs/sha256/<hex>" or "<hex>.json" names its digest (checked); other names do not.
  static std::string digest_in_name(const std::string& rel) {
    std::string base = rel.substr(rel.rfind('/') + 1);
    if (base.size() == 69 && base.ends_with(".json")) base = base.substr(0, 64);
    return is_sha256_digest("sha256:" + base) ? "sha256:" + base : "";
  }

  UniqueFd open_named(const json& entry, const std::string& rel, const std::string& what) {
    UniqueFd fd(open_inside(root_, rel));
    if (rel.empty() || !fd)
      throw Error("load: " + what + " '" + rel.substr(0, 200) + "' of manifest.json entry " +
                  entry.dump().substr(0, 200) + " is missing from the archive");
    return fd;
  }

  // docker save's manifest.json: [{"Config": PATH, "RepoTags": [...], "Layers": [PATH...]}].
  void docker_manifest(int fd) {
    const json list =
        parse_json(read_limited(fd, kManifestLimit, "manifest.json"), "manifest.json", true);
    if (list.size() > kMaxDescriptors)
      throw Error("load: manifest.json lists more than " + std::to_string(kMaxDescriptors) +
                  " images");
    for (const auto& e : list) {
      if (!e.is_object()) throw Error("load: manifest.json: an entry is not an object");
      const std::string config_rel = text_of(e, "Config");
      UniqueFd cfd = open_named(e, config_rel, "config");
      const std::string config = add_blob(cfd.get(), digest_in_name(config_rel), -1, "config");
      const auto diff_ids = diff_ids_of(read_stored_json(config, kConfigLimit, "config"), config);
      const json layers = e.value("Layers", json::array());
      if (!layers.is_array() || layers.size() != diff_ids.size())
        throw Error("load: image " + config.substr(7, 12) + ": manifest.json lists " +
                    std::to_string(layers.is_array() ? layers.size() : 0) + " layers, its config " +
                    std::to_string(diff_ids.size()) + " diff ids");
      json manifest = {
          {"schemaVersion", 2}, {"mediaType", kOciManifest}, {"layers", json::array()}};
      for (size_t i = 0; i < diff_ids.size(); ++i) {
        const std::string rel = layers[i].is_string() ? layers[i].get<std::string>() : "";
        UniqueFd lfd = open_named(e, rel, "layer");
        const bool had = store_.has_layer(diff_ids[i]);
        bool fresh = false;
        const std::string blob =
            store_.add_blob(lfd.get(), digest_in_name(rel), -1, "load: layer " + rel, &fresh);
        if (had && fresh) check_blob_is_layer(blob, diff_ids[i]);
        if (!had) add_layer(blob, diff_ids[i]);
        manifest["layers"].push_back(descriptor(blob, layer_media_type(store_.blob_path(blob))));
      }
      manifest["config"] = descriptor(config, kOciConfig);
      const std::string digest = store_.add_blob_bytes(manifest.dump());
      std::vector<ImageReference> names;
      for (const auto& t : e.value("RepoTags", json::array()))
        if (auto r = familiar_reference(t.is_string() ? t.get<std::string>() : ""))
          names.push_back(*r);
      add_pending(config, digest, names);
    }
  }

  json descriptor(const std::string& digest, const std::string& media) const {
    struct stat st {};
    ::stat(store_.blob_path(digest).c_str(), &st);
    return {{"mediaType", media}, {"digest", digest}, {"size", st.st_size}};
  }

  const ImageStore& images_;
  ContentStore store_;
  int root_;
  std::string source_, repo_digest_;
  std::vector<Pending> pending_;
  std::set<std::string> visited_digests_;
  std::map<std::string, std::string> manifests_;  // manifest digest -> config digest
  size_t visited_ = 0;
};

// The images `refs` name, each once, with the names it is saved under.
struct SaveItem {
  ImageInfo info;
  std::vector<ImageReference> names;
};

std::vector<SaveItem> save_items(const ImageStore& images, const std::vector<std::string>& refs) {
  std::vector<SaveItem> out;
  for (const auto& ref : refs) {
    const ImageInfo info = images.resolve(ref);
    if (info.layers.empty() || info.manifest.empty())
      throw Error("save: image " + ref + " was imported by an older mydocker (one tarball, " +
                  "no layers): import it again");
    auto it =
        std::find_if(out.begin(), out.end(), [&](const auto& s) { return s.info.id == info.id; });
    if (it == out.end()) it = out.insert(out.end(), SaveItem{info, {}});
    const auto name = familiar_reference(ref);
    // A name given twice is saved once (docker's): one entry in index.json and RepoTags.
    const bool again = name && std::any_of(it->names.begin(), it->names.end(),
                                           [&](const auto& n) { return n.text() == name->text(); });
    if (name && !again && info.repository != "<none>" && name->repository == info.repository &&
        name->tag == info.tag)
      it->names.push_back(*name);
  }
  return out;
}

std::vector<std::string> blobs_of(const ContentStore& store, const ImageInfo& info) {
  std::vector<std::string> out{info.manifest, "sha256:" + info.id};
  const json m = json::parse(store.read_blob(info.manifest, kManifestLimit));
  for (const auto& l : m.at("layers")) out.push_back(l.at("digest").get<std::string>());
  return out;
}

json manifest_descriptor(const ContentStore& store, const ImageInfo& info) {
  const std::string text = store.read_blob(info.manifest, kManifestLimit);
  const json m = json::parse(text);
  return {{"mediaType", m.value("mediaType", kOciManifest)},
          {"digest", info.manifest},
          {"size", text.size()}};
}

// A failed load's blobs and layers go once its shared hold is released (collect_garbage only
// removes what no image refers to, and only when no other load is adding: else `prune` will).
template <typename F>
std::vector<LoadedImage> collecting_on_failure(const ImageStore& images, F&& load) {
  try {
    return load();
  } catch (...) {
    images.collect_garbage();
    throw;
  }
}

std::vector<LoadedImage> load_archive_held(const ImageStore& images, int fd,
                                           const std::string& source) {
  UniqueFd held(images.lock(false));
  const StagingDir staging(images.data_root() + "/images", "load");  // never pruned while we live
  try {
    extract_tar(fd, staging.path(), TarKind::kWrapping);
  } catch (const Error& e) {
    std::string why = e.what();
    if (why.rfind("import: ", 0) == 0) why = why.substr(8);
    throw Error("load: " + why);
  }
  UniqueFd root(::open(staging.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw SysError(errno, "load: open " + staging.path());
  return Loader(images, root.get(), source, "").run();
}

}  // namespace

std::vector<LoadedImage> load_archive(const ImageStore& images, int fd, const std::string& source) {
  return collecting_on_failure(images, [&] { return load_archive_held(images, fd, source); });
}

std::vector<LoadedImage> load_layout(const ImageStore& images, const std::string& dir,
                                     const std::string& source, const std::string& repo_digest) {
  return collecting_on_failure(images, [&] {
    UniqueFd held(images.lock(false));
    UniqueFd root(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw SysError(errno, "load: open " + dir);
    return Loader(images, root.get(), source, repo_digest).run();
  });
}

void save_archive(const ImageStore& images, const std::vector<std::string>& refs, int fd) {
  UniqueFd held(images.lock(false));  // no garbage collection under our feet
  const ContentStore store = images.content();
  const auto items = save_items(images, refs);
  TarWriter tar(fd);
  tar.add_bytes("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  tar.add_dir("blobs");
  tar.add_dir("blobs/sha256");
  json index = {{"schemaVersion", 2}, {"mediaType", kOciIndex}, {"manifests", json::array()}};
  json docker = json::array();
  std::set<std::string> written;
  for (const auto& item : items) {
    const auto blobs = blobs_of(store, item.info);
    for (const auto& b : blobs)
      if (written.insert(b).second) tar.add_file("blobs/sha256/" + b.substr(7), store.blob_path(b));
    const json desc = manifest_descriptor(store, item.info);
    json tags = json::array();
    for (const auto& n : item.names) {
      json named = desc;
      named["annotations"] = {{kNameAnnotation, full_reference(n)}, {kRefAnnotation, n.tag}};
      index["manifests"].push_back(named);
      tags.push_back(n.text());
    }
    if (item.names.empty()) index["manifests"].push_back(desc);
    json layers = json::array();
    for (size_t i = 2; i < blobs.size(); ++i)
      layers.push_back("blobs/sha256/" + blobs[i].substr(7));
    docker.push_back(
        {{"Config", "blobs/sha256/" + item.info.id}, {"RepoTags", tags}, {"Layers", layers}});
  }
  tar.add_bytes("index.json", index.dump());
  tar.add_bytes("manifest.json", docker.dump());
  tar.close();
}

std::string save_layout(const ImageStore& images, const ImageInfo& image, const std::string& dir) {
  if (image.layers.empty() || image.manifest.empty())
    throw Error("image " + short_id(image.id) +
                " was imported by an older mydocker: import it again");
  const ContentStore store = images.content();
  make_dirs(dir + "/blobs/sha256", 0700);
  for (const auto& b : blobs_of(store, image)) {
    const std::string to = dir + "/blobs/sha256/" + b.substr(7);
    if (::link(store.blob_path(b).c_str(), to.c_str()) != 0 && errno != EEXIST)
      throw SysError(errno, "link " + store.blob_path(b) + " to " + to);
  }
  write_file(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})", false);
  json index = {{"schemaVersion", 2},
                {"mediaType", kOciIndex},
                {"manifests", json::array({manifest_descriptor(store, image)})}};
  write_file(dir + "/index.json", index.dump(), false);
  return image.manifest;
}

}  // namespace mydocker
