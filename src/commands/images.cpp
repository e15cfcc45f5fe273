// import, images, rmi, export, commit.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <functional>

#include "mydocker/commands/commands.hpp"
#include "mydocker/commands/containers.hpp"
#include "mydocker/commands/copy.hpp"
#include "mydocker/image/image.hpp"
#include "mydocker/image/tar.hpp"
#include "mydocker/spec/prepare.hpp"
#include "mydocker/store/events.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/id.hpp"

namespace mydocker {

std::vector<std::string> prune_images(const Store& store, const std::string& data_root, bool all) {
  if (::geteuid() != 0) throw Error("mydocker prune needs root");
  const auto used = containers_use(store).images;
  ImageStore images(data_root);
  std::vector<std::string> out;
  std::set<std::string> done;
  for (const auto& i : images.list()) {
    if (used.count(i.id) || (!all && i.repository != "<none>")) continue;
    if (!done.insert(i.id).second) continue;
    const auto labels = image_labels(images, i);
    const auto lines = images.remove(i.id, true, [](const std::string&) { return false; });
    record_removal_events(store.root(), i, labels, lines);
    out.insert(out.end(), lines.begin(), lines.end());
  }
  return out;
}

std::map<std::string, std::string> image_labels(const ImageStore& images, const ImageInfo& info) {
  try {
    return image_defaults(images.config(info), {}).labels;
  } catch (const std::exception&) {
    return {};
  }
}

void record_image_event(const std::string& state_root, const ImageStore& images,
                        const std::string& action, const ImageInfo& info, const std::string& name) {
  record_event(state_root,
               image_event(action, "sha256:" + info.id, name, image_labels(images, info)));
}

void record_transfer_event(const std::string& state_root, const ImageStore& images,
                           const std::string& action, const std::string& reference) {
  std::string actor = reference, name = reference.substr(0, reference.find('@'));
  if (const auto r = familiar_reference(reference)) {  // busybox -> busybox:latest
    actor = r->text();
    name = r->repository;
  }
  std::map<std::string, std::string> labels;
  if (const auto info = images.lookup(reference)) labels = image_labels(images, *info);
  record_event(state_root, image_event(action, actor, name, labels));
}

void record_removal_events(const std::string& state_root, const ImageInfo& info,
                           const std::map<std::string, std::string>& labels,
                           const std::vector<std::string>& lines) {
  const std::string id = "sha256:" + info.id;
  for (const auto& line : lines) {
    if (line.rfind("Untagged: ", 0) == 0)
      record_event(state_root, image_event("untag", id, line.substr(10), labels));
    else if (line == "Deleted: " + id)  // not its layers'
      record_event(state_root, image_event("delete", id, id, labels));
  }
}

void export_container(const Store& store, const std::string& data_root, const std::string& ref,
                      int fd) {
  in_container_layers(store, data_root, ref, [fd] { write_tar("/", fd); });
}

ImageInfo commit_container(const Store& store, const std::string& data_root, const std::string& ref,
                           const std::string& reference) {
  if (!reference.empty()) parse_image_reference(reference);  // bad names fail before any work
  if (::geteuid() != 0) throw Error("commit needs root (it reads the container's files)");
  const ContainerDir dir = store.open(ref);
  const auto config = dir.config();
  const std::string files = config.value("files_dir", "");
  const std::string image = config.value("image", "");
  if (files.empty() || image.empty())
    throw Error("container " + short_id(dir.id()) +
                " has no image (it ran on the host's files, or --rootfs): nothing to commit on");
  // Its own layer only (docker's commit): the upper directory, whiteouts and all, on top of
  // the image's layers, which are shared, not copied.
  std::string created_by = "mydocker commit " + short_id(dir.id());
  return ImageStore(data_root).commit_layer(files + "/upper", image, reference, "container " + ref,
                                            created_by);
}

}  // namespace mydocker
