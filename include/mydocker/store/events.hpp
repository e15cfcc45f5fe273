#pragma once
// Lifecycle events (docker's `events`): what happened to containers, images, volumes and
// networks, one JSON line each in docker's message shape, appended to <state_root>/events.
//
//   <state_root>/events     the current file: every mydocker process appends to it
//   <state_root>/events.1   the generation before (one is kept): the file is renamed here
//                           once it passes kEventsFileLimit (by a line or so per process
//                           writing at that moment), so the two hold about 8 MiB at most
//
// A writer appends each line with one write(2) on an O_APPEND fd, which the kernel keeps whole
// against the other writers'. Writers hold a shared flock on the file around the write and a
// rotation holds the exclusive one around its rename: a line never lands in a file that has
// already been renamed to events.1, so a reader that finished the old file misses nothing.
// Recording is best effort and cheap (the fd stays open for the process's life, no fsync): a
// failure is logged at debug level and never fails the command.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mydocker/store/state.hpp"
#include "mydocker/util/fd.hpp"

namespace mydocker {

struct Event {
  std::string type;    // container, image, volume, network
  std::string action;  // create, start, die, "exec_start: sh -c ls", "health_status: healthy"...
  std::string actor;   // a container's full id, an image's id or reference, a volume's name...
  std::map<std::string, std::string> attributes;
  int64_t time_ns = 0;  // since the epoch (record_event sets it when 0)
};

// The file's size past which it is renamed to events.1.
inline constexpr int64_t kEventsFileLimit = 4 << 20;
std::string events_path(const std::string& state_root);

// docker's JSON message, one line with its '\n': {"status","id","from" (containers and images,
// as docker fills them),"Type","Action","Actor":{"ID","Attributes"},"scope":"local","time",
// "timeNano"}. Invalid UTF-8 is replaced, never a reason to lose the event.
std::string event_line(const Event& e);
// A line of the file back; nullopt for one that is not an event (cut short, damaged).
std::optional<Event> parse_event_line(std::string_view line);

// Appends `e` (its time set to now when 0) to <state_root>/events, making the state root (0700)
// if it is missing, and rotates the file once it passes kEventsFileLimit. Never throws. For
// single-threaded processes (mydocker is one); a forked child opens the file again.
void record_event(const std::string& state_root, Event e) noexcept;

// docker's events and attributes. A container's: its labels, then image (as the run named it,
// left out for a container of the host's files) and name.
Event container_event(std::string action, std::string id, const std::string& name,
                      const std::string& image, const std::map<std::string, std::string>& labels);
Event container_event(std::string action, std::string id, const ContainerState& st);
// An image's: its labels and `name`; the actor is its "sha256:<id>" or, for pull and push, the
// reference.
Event image_event(std::string action, std::string actor, std::string name,
                  const std::map<std::string, std::string>& labels = {});
// A volume's: driver=local.
Event volume_event(std::string action, std::string name);
// A network's (the actor is its id): name, type (its driver); connect and disconnect add the
// container.
Event network_event(std::string action, std::string id, const std::string& name,
                    const std::string& driver, const std::string& container = "");

// The events recorded with since_ns <= time <= until_ns, from events.1 then events, in the
// order they were written.
std::vector<Event> read_events(const std::string& state_root, int64_t since_ns, int64_t until_ns);

// Follows the file as it grows: asleep in poll(2) on an inotify watch of the state root (no
// polling sleeps), across rotations (the old file is read to its end before the new one).
class EventFollower {
 public:
  // `from_start`: what the files hold comes first (events.1, then events); otherwise only the
  // events appended from now on. Makes the state root when it is missing. Throws Error.
  EventFollower(std::string state_root, bool from_start);

  // Calls `each` for every event, in order, until it returns false, `deadline_ns` (wall
  // clock; 0 for none) has passed, or `stop_fd` (-1 for none) is readable. Throws Error.
  void run(const std::function<bool(const Event&)>& each, int64_t deadline_ns, int stop_fd);

 private:
  // Whether the path names another file than cur_ now (rotated, or made at last).
  bool moved() const;
  // Opens what the path names now, from its start.
  void open_current();

  std::string root_, path_;
  UniqueFd watch_;
  UniqueFd old_, cur_;  // events.1 (from_start, until it is read) and events
  std::string old_partial_, cur_partial_;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

}  // namespace mydocker
