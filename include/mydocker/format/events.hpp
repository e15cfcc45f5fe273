#pragma once
// How `events` prints an event: docker's line, its JSON message, or a --format template over
// docker's fields.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "mydocker/format/template.hpp"
#include "mydocker/store/events.hpp"

namespace mydocker {

// docker's line: the time in the local zone (RFC 3339, nine fraction digits), the type, the
// action, the actor and the attributes sorted by key, without its '\n':
// 2026-12-06T05:00:00.123456789Z container start 3f2a... (image=busybox, name=web)
std::string format_event(const Event& e);

// What templates see: docker's Status, ID, From (containers and images), Type, Action,
// Actor.ID, Actor.Attributes, Scope, Time (seconds) and TimeNano.
nlohmann::json event_template_data(const Event& e);

// --format: "" docker's line; "json" or "{{json .}}" the message as docker sends it (its
// fields in docker's order); otherwise a Go template, parsed once (throws Error when it does
// not parse).
class EventPrinter {
 public:
  explicit EventPrinter(const std::string& format);
  // The event's line, with its '\n'. Throws Error for a template that cannot be executed.
  std::string line(const Event& e) const;

 private:
  bool json_ = false;
  std::optional<tmpl::Template> template_;
};

}  // namespace mydocker
