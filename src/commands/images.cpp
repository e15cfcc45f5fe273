// import, images, rmi, export, commit.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <functional>

#include "mydocker/cgroup/manager.hpp"
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
#include "mydocker/util/scope_guard.hpp"

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

namespace {

// Words split at blanks outside double quotes, the quotes taken off ("a=hello world" b=2).
std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> out;
  std::string word;
  bool quoted = false, any = false;
  for (const char c : text) {
    if (c == '"') {
      quoted = !quoted;
      any = true;
    } else if (!quoted && (c == ' ' || c == '\t')) {
      if (any) out.push_back(word);
      word.clear();
      any = false;
    } else {
      word += c;
      any = true;
    }
  }
  if (any) out.push_back(word);
  return out;
}

// "CMD ["a", "b"]" (JSON) or "CMD a b" (shell form: /bin/sh -c "a b"), as a Dockerfile has them.
nlohmann::json exec_form(const std::string& args, const std::string& instruction) {
  if (!args.empty() && args.front() == '[') {
    auto j = nlohmann::json::parse(args, nullptr, false);
    if (!j.is_array() ||
        !std::all_of(j.begin(), j.end(), [](const auto& x) { return x.is_string(); }))
      throw Error("invalid value '" + instruction + "' for --change: not a JSON array of strings");
    return j;
  }
  return nlohmann::json::array({"/bin/sh", "-c", args});
}

// "k=v k2=v2" (or the older "k v") as ENV and LABEL take them; values may be quoted.
std::vector<std::pair<std::string, std::string>> pairs(const std::string& args,
                                                       const std::string& instruction) {
  std::vector<std::pair<std::string, std::string>> out;
  const size_t eq = args.find('='), space = args.find(' ');
  if (eq == std::string::npos || (space != std::string::npos && space < eq)) {
    if (space == std::string::npos)
      throw Error("invalid value '" + instruction + "' for --change: expected KEY=VALUE");
    out.emplace_back(args.substr(0, space), args.substr(args.find_first_not_of(' ', space)));
    return out;
  }
  for (const auto& word : split_words(args)) {
    const size_t at = word.find('=');
    if (at == std::string::npos || at == 0)
      throw Error("invalid value '" + instruction + "' for --change: expected KEY=VALUE");
    out.emplace_back(word.substr(0, at), word.substr(at + 1));
  }
  return out;
}

// docker's commit: the container's configuration becomes the image's; what the image had and
// the container does not say (Volumes, OnBuild...) stays. Env without what the runtime adds
// (HOSTNAME; HOME unless the image or the run set it otherwise).
nlohmann::json committed_config(const nlohmann::json& container, nlohmann::json base) {
  if (!base.is_object()) base = nlohmann::json::object();
  const auto strings = [&](const char* key) {
    return container.value(key, std::vector<std::string>{});
  };
  const auto base_env = base.value("Env", std::vector<std::string>{});
  nlohmann::json env = nlohmann::json::array();
  for (const auto& e : strings("env")) {
    if (e.rfind("HOSTNAME=", 0) == 0) continue;
    const bool in_base = std::find(base_env.begin(), base_env.end(), e) != base_env.end();
    if (e.rfind("HOME=", 0) == 0 && !in_base && (e == "HOME=/root" || e == "HOME=/")) continue;
    env.push_back(e);
  }
  base["Env"] = env;
  base["Cmd"] = strings("cmd");
  const auto entrypoint = strings("entrypoint");
  base["Entrypoint"] = entrypoint.empty() ? nlohmann::json(nullptr) : nlohmann::json(entrypoint);
  base["WorkingDir"] = container.value("working_dir", "");
  base["User"] = container.value("user", "");
  base["Labels"] = container.value("labels", nlohmann::json::object());
  if (const std::string signal = container.value("stop_signal", ""); !signal.empty())
    base["StopSignal"] = signal;
  if (container.contains("healthcheck") && container["healthcheck"].is_object())
    base["Healthcheck"] = container["healthcheck"];
  if (container.contains("network") && container["network"].is_object())
    for (const auto& p : container["network"].value("ports", nlohmann::json::array()))
      base["ExposedPorts"][std::to_string(p.value("ContainerPort", 0)) + "/" +
                           p.value("Protocol", "tcp")] = nlohmann::json::object();
  return base;
}

}  // namespace

void apply_commit_change(nlohmann::json& c, const std::string& change) {
  const size_t space = change.find_first_of(" \t");
  std::string word = change.substr(0, space);
  for (auto& ch : word) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  const size_t from =
      space == std::string::npos ? change.size() : change.find_first_not_of(" \t", space);
  const std::string args = from == std::string::npos ? "" : change.substr(from);
  if (args.empty())
    throw Error("invalid value '" + change + "' for --change: " + word + " needs arguments");
  if (word == "CMD" || word == "ENTRYPOINT") {
    c[word == "CMD" ? "Cmd" : "Entrypoint"] = exec_form(args, change);
  } else if (word == "ENV" || word == "LABEL") {
    for (const auto& [k, v] : pairs(args, change)) {
      if (word == "LABEL") {
        c["Labels"][k] = v;
        continue;
      }
      auto& env = c["Env"];
      if (!env.is_array()) env = nlohmann::json::array();
      for (auto it = env.begin(); it != env.end();)
        it = it->get<std::string>().rfind(k + "=", 0) == 0 ? env.erase(it) : it + 1;
      env.push_back(k + "=" + v);
    }
  } else if (word == "EXPOSE") {
    for (auto port : split_words(args)) {
      if (port.find('/') == std::string::npos) port += "/tcp";
      c["ExposedPorts"][port] = nlohmann::json::object();
    }
  } else if (word == "VOLUME") {
    const auto paths =
        args.front() == '[' ? exec_form(args, change) : nlohmann::json(split_words(args));
    for (const auto& p : paths) c["Volumes"][p.get<std::string>()] = nlohmann::json::object();
  } else if (word == "USER" || word == "WORKDIR" || word == "STOPSIGNAL") {
    c[word == "USER" ? "User" : word == "WORKDIR" ? "WorkingDir" : "StopSignal"] = args;
  } else {
    throw Error("invalid value '" + change + "' for --change: " + word +
                " is not one of CMD, ENTRYPOINT, ENV, LABEL, EXPOSE, USER, WORKDIR, VOLUME, "
                "STOPSIGNAL");
  }
}

ImageInfo commit_container(const Store& store, const std::string& data_root, const std::string& ref,
                           const std::string& reference, const CommitOptions& options) {
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
  const ImageStore images(data_root);
  nlohmann::json base;
  if (const auto info = images.lookup(image))
    base = nlohmann::json::parse(images.config(*info), nullptr, false);
  CommitConfig meta{
      committed_config(config, base.is_object() ? base.value("config", nlohmann::json()) : nullptr),
      options.author, options.message};
  for (const auto& change : options.changes) apply_commit_change(meta.config, change);
  // docker's --pause (the default): a running container is frozen while its layer is read, so
  // that no file is torn and nothing is swapped under the walk. The walk itself runs chroot'ed
  // into the layer, confined as cp's child: a directory swapped for a symlink to the host's
  // files (with --pause=false) leads nowhere outside the layer.
  const Fs fs;  // the manager keeps a reference to it
  std::unique_ptr<CgroupManager> frozen;
  const ContainerState st = dir.state();
  if (options.pause && dir.running(st) && st.status == "running") {
    frozen = open_cgroup_manager(fs, st.cgroup, dir.id());
    frozen->freeze(true);
  }
  ScopeGuard thaw([&] {
    if (frozen) frozen->freeze(false);
  });
  return images.commit_layer(files + "/upper", image, reference, "container " + ref, created_by,
                             meta, [](const std::string& upper, int fd) {
                               in_directory(upper, Confinement::kLayer,
                                            [fd] { write_tar("/", fd, true); });
                             });
}

}  // namespace mydocker
