#include "mydocker/format/events.hpp"

#include <time.h>

#include <cstdio>

namespace mydocker {
namespace {

constexpr int64_t kSecond = 1000000000;

// Go's "2006-01-02T15:04:05.000000000Z07:00" in the local zone.
std::string local_time(int64_t ns) {
  const time_t seconds = static_cast<time_t>(ns / kSecond);
  std::tm tm{};
  ::localtime_r(&seconds, &tm);
  char buf[80];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  n += static_cast<size_t>(
      std::snprintf(buf + n, sizeof buf - n, ".%09lld", static_cast<long long>(ns % kSecond)));
  const long offset = tm.tm_gmtoff;
  if (offset == 0) {
    std::snprintf(buf + n, sizeof buf - n, "Z");
  } else {
    const long a = offset < 0 ? -offset : offset;
    std::snprintf(buf + n, sizeof buf - n, "%c%02ld:%02ld", offset < 0 ? '-' : '+', a / 3600,
                  a % 3600 / 60);
  }
  return buf;
}

bool old_fields(const Event& e) { return e.type == "container" || e.type == "image"; }

}  // namespace

std::string format_event(const Event& e) {
  std::string out = local_time(e.time_ns) + " " + e.type + " " + e.action + " " + e.actor;
  std::string attributes;
  for (const auto& [k, v] : e.attributes)  // a std::map: sorted by key
    attributes += (attributes.empty() ? "" : ", ") + k + "=" + v;
  if (!attributes.empty()) out += " (" + attributes + ")";
  return out;
}

nlohmann::json event_template_data(const Event& e) {
  auto image = e.attributes.find("image");
  const std::string from =
      e.type == "container" && image != e.attributes.end() ? image->second : "";
  return {{"Status", old_fields(e) ? e.action : ""},
          {"ID", old_fields(e) ? e.actor : ""},
          {"From", from},
          {"Type", e.type},
          {"Action", e.action},
          {"Actor", {{"ID", e.actor}, {"Attributes", e.attributes}}},
          {"Scope", "local"},
          {"Time", e.time_ns / kSecond},
          {"TimeNano", e.time_ns}};
}

EventPrinter::EventPrinter(const std::string& format) {
  if (format == "json" || format == "{{json .}}")
    json_ = true;
  else if (!format.empty())
    template_ = tmpl::Template::parse(format);
}

std::string EventPrinter::line(const Event& e) const {
  if (json_) return event_line(e);
  if (template_) return template_->execute(event_template_data(e)) + "\n";
  return format_event(e) + "\n";
}

}  // namespace mydocker
