#include "mydocker/commands/events.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <time.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <ctime>
#include <string_view>

#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"

namespace mydocker {
namespace {

constexpr int64_t kSecond = 1000000000;

// Reads a time's text from left to right.
struct Reader {
  std::string_view s;
  size_t i = 0;
  bool eat(char c) {
    if (i >= s.size() || s[i] != c) return false;
    ++i;
    return true;
  }
  bool digit() const { return i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); }
  // Exactly n digits.
  bool number(int n, int& out) {
    out = 0;
    for (int k = 0; k < n; ++k, ++i) {
      if (!digit()) return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  }
  // ".123" after the seconds: nanoseconds (digits past the ninth are dropped).
  bool fraction(int64_t& ns) {
    ns = 0;
    int64_t scale = kSecond;
    if (!digit()) return false;
    for (; digit(); ++i)
      if (scale > 1) ns += (s[i] - '0') * (scale /= 10);
    return true;
  }
  bool done() const { return i == s.size(); }
};

int days_in(int year, int month) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : days[month - 1];
}

// "T15", "T15:04", "T15:04:05", "T15:04:05.999" into `tm` and `frac`.
bool read_clock(Reader& r, std::tm& tm, int64_t& frac) {
  if (!r.number(2, tm.tm_hour)) return false;
  if (!r.eat(':')) return true;
  if (!r.number(2, tm.tm_min)) return false;
  if (!r.eat(':')) return true;
  if (!r.number(2, tm.tm_sec)) return false;
  return !r.eat('.') || r.fraction(frac);
}

// "Z" or "+07:00" / "-07:00": seconds east of UTC; nullopt (and true) for none: local time.
bool read_zone(Reader& r, std::optional<int>& offset) {
  if (r.eat('Z') || r.eat('z')) {
    offset = 0;
    return true;
  }
  const bool east = r.eat('+');
  if (!east && !r.eat('-')) return true;
  int hours = 0, minutes = 0;
  if (!r.number(2, hours) || !r.eat(':') || !r.number(2, minutes) || hours > 23 || minutes > 59)
    return false;
  offset = (east ? 1 : -1) * (hours * 3600 + minutes * 60);
  return true;
}

// 2006-01-02[T15[:04[:05[.999999999]]]][Z|+07:00]; nullopt when `text` is none of these.
std::optional<int64_t> parse_datetime(const std::string& text) {
  Reader r{text};
  std::tm tm{};
  int year = 0, month = 0;
  if (!r.number(4, year) || !r.eat('-') || !r.number(2, month) || !r.eat('-') ||
      !r.number(2, tm.tm_mday))
    return std::nullopt;
  int64_t frac = 0;
  if ((r.eat('T') || r.eat('t')) && !read_clock(r, tm, frac)) return std::nullopt;
  std::optional<int> offset;
  if (!read_zone(r, offset) || !r.done()) return std::nullopt;
  if (month < 1 || month > 12 || tm.tm_mday < 1 || tm.tm_mday > days_in(year, month) ||
      tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
    return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  time_t t;
  if (offset) {
    t = ::timegm(&tm) - *offset;
  } else {
    tm.tm_isdst = -1;  // the local zone's rules for that day
    t = std::mktime(&tm);
  }
  return static_cast<int64_t>(t) * kSecond + frac;
}

// 1136214245 or 1136214245.999999999.
std::optional<int64_t> parse_unix(const std::string& text) {
  Reader r{text};
  int64_t seconds = 0, frac = 0;
  if (!r.digit() || text.size() > 30) return std::nullopt;
  for (; r.digit() && seconds < INT64_MAX / kSecond / 10; ++r.i)
    seconds = seconds * 10 + (text[r.i] - '0');
  if (r.eat('.') && !r.fraction(frac)) return std::nullopt;
  if (!r.done()) return std::nullopt;
  return seconds * kSecond + frac;
}

// One "1.5h" of a duration, in nanoseconds; nullopt when it is none.
std::optional<long double> duration_part(std::string_view& s) {
  static const std::pair<std::string_view, long double> kUnits[] = {
      {"ns", 1},   {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
      {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9}};
  size_t i = 0;
  long double value = 0, scale = 1;
  bool any = false;
  for (; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i, any = true)
    value = value * 10 + (s[i] - '0');
  if (i < s.size() && s[i] == '.')
    for (++i; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i, any = true)
      value += (s[i] - '0') * (scale /= 10);
  size_t end = i;
  while (end < s.size() && !std::isdigit(static_cast<unsigned char>(s[end])) && s[end] != '.')
    ++end;
  const std::string_view unit = s.substr(i, end - i);
  s.remove_prefix(end);
  for (const auto& [name, ns] : kUnits)
    if (any && unit == name) return value * ns;
  return std::nullopt;
}

std::string attribute(const Event& e, const char* key) {
  auto it = e.attributes.find(key);
  return it == e.attributes.end() ? "" : it->second;
}

// docker's fuzzy match: the value, or a prefix of it.
bool starts(const std::string& text, const std::string& prefix) {
  return !text.empty() && text.compare(0, prefix.size(), prefix) == 0;
}

// container=, volume=, network=: events of that type whose actor's id or name starts so.
bool actor_matches(const Filters& f, const char* type, const Event& e) {
  if (!f.has(type)) return true;
  if (e.type != type) return false;
  const std::string name = attribute(e, "name");
  return f.accepts(type,
                   [&](const std::string& v) { return starts(e.actor, v) || starts(name, v); });
}

// "busybox:1.36" -> "busybox"; "localhost:5000/app" stays; a digest stays.
std::string strip_tag(const std::string& ref) {
  const size_t slash = ref.rfind('/');
  const size_t colon = ref.find(':', slash == std::string::npos ? 0 : slash);
  if (colon == std::string::npos || ref.find('@') != std::string::npos) return ref;
  return ref.substr(0, colon);
}

bool image_matches(const Filters& f, const Event& e) {
  if (!f.has("image")) return true;
  if (e.type != "container" && e.type != "image") return false;
  const std::string id = e.type == "image" ? e.actor : "";
  const std::string name = attribute(e, e.type == "image" ? "name" : "image");
  return f.accepts("image", [&](const std::string& v) {
    return (!id.empty() && (v == id || v == strip_tag(id))) ||
           (!name.empty() && (v == name || v == strip_tag(name)));
  });
}

}  // namespace

int64_t wall_clock_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * kSecond + ts.tv_nsec;
}

std::optional<int64_t> parse_go_duration(const std::string& text) {
  std::string_view s = text;
  const bool negative = !s.empty() && s.front() == '-';
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
  if (s == "0") return 0;
  if (s.empty()) return std::nullopt;
  long double total = 0;
  while (!s.empty()) {
    const auto part = duration_part(s);
    if (!part) return std::nullopt;
    total += *part;
  }
  if (total > static_cast<long double>(INT64_MAX)) return std::nullopt;
  const auto ns = static_cast<int64_t>(total + 0.5L);
  return negative ? -ns : ns;
}

int64_t parse_event_time(const std::string& text, const std::string& flag, int64_t now_ns) {
  if (text != "0")
    if (auto d = parse_go_duration(text)) return now_ns - *d;
  if (auto t = parse_datetime(text)) return *t;
  if (auto t = parse_unix(text)) return *t;
  throw Error("invalid value '" + text + "' for " + flag +
              ": not a time or a duration (2006-01-02T15:04:05Z, 2006-01-02T15:04:05.5+01:00, "
              "2006-01-02, unix seconds 1136214245.5, or 10m, 1h30m before now)");
}

Filters parse_event_filters(const std::vector<std::string>& args) {
  Filters f = Filters::parse(args, kEventFilterKeys);
  // docker's types (the others are swarm's and plugins': nothing of them happens here).
  static const std::vector<std::string> types = {"container", "image",  "volume", "network",
                                                 "daemon",    "plugin", "node",   "service",
                                                 "secret",    "config"};
  for (const auto& t : f.values("type"))
    if (std::find(types.begin(), types.end(), t) == types.end())
      throw Error("invalid value 'type=" + t +
                  "' for --filter: the types are container, image, volume and network");
  return f;
}

bool event_matches(const Filters& f, const Event& e) {
  const bool action = f.accepts("event", [&](const std::string& v) {
    return e.action == v || e.action.rfind(v + ": ", 0) == 0;  // exec_start: CMD
  });
  const bool labels =
      std::all_of(f.values("label").begin(), f.values("label").end(),
                  [&](const std::string& l) { return label_matches(e.attributes, l); });
  return action && labels && f.accepts("type", [&](const std::string& v) { return e.type == v; }) &&
         f.accepts("scope", [](const std::string& v) { return v == "local"; }) &&
         actor_matches(f, "container", e) && actor_matches(f, "volume", e) &&
         actor_matches(f, "network", e) && image_matches(f, e);
}

void watch_events(const std::string& state_root, const EventQuery& q, int64_t now_ns,
                  const std::function<void(const Event&)>& each, int stop_fd) {
  const Filters f = parse_event_filters(q.filters);
  const int64_t since = q.since.value_or(0), until = q.until.value_or(INT64_MAX);
  if (q.until && *q.until <= now_ns) {  // only the past
    for (const auto& e : read_events(state_root, since, until))
      if (event_matches(f, e)) each(e);
    return;
  }
  EventFollower follower(state_root, q.since || q.until);
  follower.run(
      [&](const Event& e) {
        if (e.time_ns >= since && e.time_ns <= until && event_matches(f, e)) each(e);
        return true;
      },
      q.until.value_or(0), stop_fd);
}

void stream_events(const std::string& state_root, const EventQuery& q,
                   const std::function<void(const Event&)>& each) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  // Blocked for good: the caller exits once the stream ends.
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) throw_errno("sigprocmask");
  UniqueFd stop(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!stop) throw_errno("signalfd");
  watch_events(state_root, q, wall_clock_ns(), each, stop.get());
}

}  // namespace mydocker
