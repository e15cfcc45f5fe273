#pragma once
// The commands that act on containers after `run`, with docker's names and semantics. They
// return data or act; what is printed is the format layer's (format/). Each throws Error
// (exit 125) for a missing, ambiguous or wrong container.

#include <iosfwd>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mydocker/cgroup/manager.hpp"
#include "mydocker/spec/options.hpp"
#include "mydocker/store/store.hpp"
#include "mydocker/util/signal_name.hpp"

namespace mydocker {

struct ImageInfo;
class ImageStore;

struct ExecOptions {
  std::string container;
  std::vector<std::string> command;
  bool interactive = false;
  bool tty = false;
  std::vector<std::string> env;        // KEY=VALUE
  std::vector<std::string> env_files;  // --env-file: before -e, as in run
  bool detach = false;                 // -d: started, not waited for; no stdio of ours
  std::string workdir;
  std::string user;         // -u USER[:GROUP]: the container's user by default
  bool privileged = false;  // every capability, no seccomp filter
};
// Runs a command in the container's namespaces and cgroups; returns its exit status.
int exec(const Store& store, const ExecOptions& o);

// A container whose supervisor was killed (kill -9 of `run -d`'s supervisor or of a foreground
// `mydocker run`) never had its end recorded: its state says running (or paused, restarting)
// while nobody holds its supervisor.lock. docker never reports success for a container it did
// not see exit, so the first mydocker that notices (ps, inspect, wait, stop, kill, rm, prune,
// start...) records it, once, under state.lock:
//   - status "dead" (ps: Dead; inspect: State.Dead), State.Error naming the killed supervisor;
//   - one that ran: exit code 137 (128 + SIGKILL: its init gets SIGKILL when its supervisor
//     dies, PR_SET_PDEATHSIG; containerd reports the same for a task whose shim died),
//     FinishedAt = now, one `die` event; what is left in its cgroups is killed, and thawed (a
//     paused one's processes stay frozen otherwise, never dying);
//   - one between two runs (restarting) keeps its last run's exit code and FinishedAt (its `die`
//     was recorded then).
// Its cgroups go with rm, prune or its next start. Returns the state (`st` when nothing was to
// settle). Best effort: never throws (a reader without the right to write sees it unchanged).
ContainerState settle_dead_supervisor(const Store& store, const ContainerDir& dir,
                                      const ContainerState& st) noexcept;

// stop -t N [-s SIG]: SIG (default: the container's stop signal, TERM unless it named one),
// then SIGKILL of the whole cgroup after N s (default: the container's --stop-timeout). Does
// nothing to a stopped container.
void stop(const Store& store, const std::string& ref, std::optional<int> timeout,
          const std::string& signal = "");
// kill -s SIG (default KILL).
void kill(const Store& store, const std::string& ref, const std::string& signal);
// rm [-f]: state and cgroups gone; -f stops it first.
void remove(const Store& store, const std::string& ref, bool force);
// rename: the new name recorded (Store::rename); on a user-defined network also in its lease,
// and its peers' /etc/hosts resolve the new name instead of the old (docker's embedded DNS
// answers the new name at once).
void rename(const Store& store, const std::string& ref, const std::string& name);
// wait: blocks until it stops; returns its exit code.
int wait(const Store& store, const std::string& ref);
void pause(const Store& store, const std::string& ref, bool paused);
// update: new limits for a container (runc update's semantics; a stopped one's are recorded for
// its next start), all or nothing; `restart`: update --restart, its new restart policy. Returns
// docker's warnings (a limit the host cannot take, dropped).
std::vector<std::string> update(const Store& store, const std::string& ref,
                                const RunOptions& limits,
                                const std::optional<std::string>& restart = std::nullopt);

// What a killed load, pull or commit left in the data root: its temporary directories, and
// layers and blobs no image refers to (removed lines). `prune` does it, and `image prune`.
std::vector<std::string> prune_image_leftovers(const std::string& data_root);

// prune: removes stopped containers and what crashed runs, imports and rmis left behind: the
// image store's temporary entries, and the layers under <data_root>/containers whose record in
// this state root is gone (see container_files_owner). Returns the lines to print and whether
// everything could be removed.
struct PruneReport {
  std::vector<std::string> removed;
  std::vector<std::string> live;
  std::vector<std::string> foreign;
  std::vector<std::string> problems;
};
// Before `start` of a container whose supervisor was killed while it ran (its container died
// with it): the cgroups that run left go (under the names this start makes), and a --rm one's
// volatile overlay marker (overlayfs refuses the layer until it goes). Throws Error.
void recover_killed_run(const ContainerDir& dir, const ContainerState& st,
                        const nlohmann::json& config);
PruneReport prune(const Store& store, const std::vector<ContainerCgroupPlace>& places,
                  const std::string& data_root);

// Records docker's event `action` (restart...) for the container `id`, with the name, image and
// labels of its state. Best effort: never throws.
void record_container_event(const Store& store, const std::string& id, const std::string& action);

// A bridged container's address goes back to its network's pool, and its name leaves its peers'
// /etc/hosts (rm, and start before it leases again). Best effort.
void release_address(const Store& store, const ContainerDir& dir);

// image/system prune: the images no container uses that have no tag (`all`: every one of them).
// Returns docker's lines (Untagged:, Deleted:), recorded as events too.
std::vector<std::string> prune_images(const Store& store, const std::string& data_root, bool all);

// docker's image events, in `state_root`. Best effort: they never throw.
// `action` (tag, import, load, save) of the image `info`: its labels and `name`; the actor is
// its "sha256:<id>".
void record_image_event(const std::string& state_root, const ImageStore& images,
                        const std::string& action, const ImageInfo& info, const std::string& name);
// pull and push: the actor is the reference as docker spells it ("busybox:latest"), the name
// its repository; the labels are those of the image the store has under it.
void record_transfer_event(const std::string& state_root, const ImageStore& images,
                           const std::string& action, const std::string& reference);
// rmi and prune's lines as events: "Untagged: X" an untag (name X), "Deleted: sha256:<id>" of
// the image a delete. `info` and `labels` as they were before the removal.
void record_removal_events(const std::string& state_root, const ImageInfo& info,
                           const std::map<std::string, std::string>& labels,
                           const std::vector<std::string>& lines);
// The image's labels (its config's); none when they cannot be read.
std::map<std::string, std::string> image_labels(const ImageStore& images, const ImageInfo& info);

// export: the container's filesystem (its image with its own layer on top) as a tar on `fd`.
void export_container(const Store& store, const std::string& data_root, const std::string& ref,
                      int fd);
// commit: the container's filesystem as a new image named `reference`, its configuration (Cmd,
// Entrypoint, Env, WorkingDir, User, Labels, ExposedPorts, StopSignal, Healthcheck) as the
// image's, as docker's; `changes` (-c) are Dockerfile instructions applied on top of it: CMD,
// ENTRYPOINT, ENV, LABEL, EXPOSE, USER, WORKDIR, VOLUME, STOPSIGNAL (Error for others).
struct CommitOptions {
  std::vector<std::string> changes;
  std::string message, author;
  bool pause = true;  // docker's -p/--pause: frozen while its layer is read
};
ImageInfo commit_container(const Store& store, const std::string& data_root, const std::string& ref,
                           const std::string& reference, const CommitOptions& options = {});
// One -c instruction applied to an image config's "config" object. Throws Error.
void apply_commit_change(nlohmann::json& config, const std::string& change);

}  // namespace mydocker
