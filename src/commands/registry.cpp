// pull and push: a registry's image through an OCI layout in the data root.

#include "mydocker/commands/registry.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "mydocker/image/archive.hpp"
#include "mydocker/image/content.hpp"
#include "mydocker/image/image.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/files.hpp"
#include "mydocker/util/id.hpp"
#include "mydocker/util/scope_guard.hpp"

namespace mydocker {
namespace {

// "busybox", "localhost:5000/x": the familiar repository of a registry reference.
std::string familiar_repository(const registry::Reference& ref) {
  const auto name = familiar_reference(ref.name());
  return name ? name->repository : ref.name();
}

}  // namespace

std::string registry_config_dir() {
  if (const char* dir = std::getenv("MYDOCKER_CONFIG"); dir && *dir) return dir;
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/root") + "/.mydocker";
}

void pull_image(const std::string& data_root, const std::string& reference,
                const registry::Options& o, const std::function<void(const std::string&)>& out) {
  const registry::Reference ref = registry::parse_reference(reference);
  const ImageStore images(data_root);
  const std::string repository = familiar_repository(ref);
  const std::string name = ref.tag.empty() ? "" : repository + ":" + ref.tag;
  const auto before = name.empty() ? std::nullopt : images.lookup(name);
  const ContentStore store = images.content();
  const StagingDir layout(data_root + "/images", "pull " + reference);
  if (!ref.tag.empty()) out(ref.tag + ": Pulling from " + ref.repository);
  // Held from the first "the store has it" to the load: no garbage collection in between.
  UniqueFd held(images.lock(false));
  const std::string digest = registry::pull(
      ref, layout.path(), o, [&](const std::string& d) { return store.has_blob(d); });
  const auto loaded =
      load_layout(images, layout.path(), "pull " + reference, repository + "@" + digest);
  if (!o.progress) out("Digest: " + digest);  // else registry::pull printed it
  const bool same = before && !loaded.empty() && before->id == loaded.front().id;
  out(std::string("Status: ") +
      (same ? "Image is up to date for " : "Downloaded newer image for ") +
      (name.empty() ? repository + "@" + digest : name));
  out(ref.full());
}

void push_image(const std::string& data_root, const std::string& reference,
                const registry::Options& o, const std::function<void(const std::string&)>& out) {
  const registry::Reference ref = registry::parse_reference(reference);
  if (ref.tag.empty()) throw Error("push " + reference + ": push a name:tag, not a digest");
  const ImageStore images(data_root);
  const std::string local = familiar_repository(ref) + ":" + ref.tag;
  const ImageInfo image = images.resolve(local);
  const StagingDir layout(data_root + "/images", "push " + reference);
  std::string manifest;
  {
    UniqueFd held(images.lock(false));  // no garbage collection while the blobs are linked
    manifest = save_layout(images, image, layout.path());
  }
  out("The push refers to repository [" + ref.name() + "]");
  // Blobs of an image pulled from (or pushed to) another repository of the same registry are
  // mounted from there, not uploaded again.
  auto mount_from = [&](const std::string&) {
    std::vector<std::string> repos;
    for (const auto& rd : image.repo_digests) {
      try {
        const auto other = registry::parse_reference(rd);
        if (other.registry == ref.registry && other.repository != ref.repository)
          repos.push_back(other.repository);
      } catch (const Error&) {
      }
    }
    return repos;
  };
  const std::string pushed = registry::push(layout.path(), manifest, ref, o, mount_from);
  struct stat st {};
  ::stat(images.content().blob_path(manifest).c_str(), &st);
  images.add_image("sha256:" + image.id, image.manifest, {}, image.source,
                   familiar_repository(ref) + "@" + pushed);
  out(ref.tag + ": digest: " + pushed + " size: " + std::to_string(st.st_size));
}

}  // namespace mydocker
