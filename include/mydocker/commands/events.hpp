#pragma once
// `events`: docker's time arguments, its filters, and its three ways to run: the past (--until
// before now), the past then the stream (--since, or --until later than now), or only what
// happens from now on (neither), over the file store/events.hpp keeps.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mydocker/commands/filters.hpp"
#include "mydocker/store/events.hpp"

namespace mydocker {

// docker's --since/--until values, as nanoseconds since the epoch: RFC 3339 with or without a
// fraction and a zone (2006-01-02T15:04:05.999999999Z07:00; without a zone it is local time,
// and the minutes and seconds may be left out: 2006-01-02T15), a date (2006-01-02, local
// midnight, or 2006-01-02Z07:00), unix seconds with an optional fraction (1136214245.5), or a
// Go duration before `now_ns` (10m, 1h30m, 90s; -10m is after). Throws Error naming `flag`.
int64_t parse_event_time(const std::string& text, const std::string& flag, int64_t now_ns);
// A Go duration ("1h30m", "1.5s", "-2m", "300ms"), in nanoseconds; nullopt when it is none.
std::optional<int64_t> parse_go_duration(const std::string& text);

// --filter KEY=VALUE keys. The same key twice: either value; different keys: all of them
// (label: all of its values, as docker's).
inline const std::vector<std::string> kEventFilterKeys = {"container", "event", "image", "label",
                                                          "network",   "scope", "type",  "volume"};
// The filters of `args`, their values checked (type). Throws Error naming --filter.
Filters parse_event_filters(const std::vector<std::string>& args);
// docker's rules (its daemon/events/filter.go): container, volume, network: the actor's id or
// name, or a prefix of either, for events of that type; event: the action, or its part before
// ": " (event=exec_start, event=health_status); image: a container's image or an image's
// reference or id, with or without its tag; label: KEY or KEY=VALUE among the attributes.
bool event_matches(const Filters& f, const Event& e);

struct EventQuery {
  std::optional<int64_t> since, until;  // ns since the epoch
  std::vector<std::string> filters;     // KEY=VALUE
};

// The events `q` selects, in order, to `each`: without since and until the ones that happen
// from now on, until `stop_fd` is readable; with an until before `now_ns` the past window only;
// otherwise the past from since, then the new ones until `until` (or stop_fd). Throws Error.
void watch_events(const std::string& state_root, const EventQuery& q, int64_t now_ns,
                  const std::function<void(const Event&)>& each, int stop_fd);
// watch_events until SIGINT or SIGTERM (blocked and read from a signalfd: the caller exits 0).
void stream_events(const std::string& state_root, const EventQuery& q,
                   const std::function<void(const Event&)>& each);

// Nanoseconds since the epoch, now.
int64_t wall_clock_ns();

}  // namespace mydocker
