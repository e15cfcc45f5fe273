#pragma once
// Device access rules: which device nodes a container may open (read, write) or create (mknod).
// A device node inside an image or a volume is the host's device, whoever made it: without
// these rules a container could write the host's disks through a node its image carries.
//
// The rules are a list applied in order, as cgroup v1's devices.deny / devices.allow files take
// them: docker's default set starts with "deny all" and then allows a few. On cgroup v1 each rule
// is one write into the container's devices cgroup; on cgroup v2 the same list becomes a
// BPF_PROG_TYPE_CGROUP_DEVICE program (device_filter.hpp) in which the last matching rule wins.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mydocker {

struct DeviceRule {
  bool allow = false;
  char type = 'a';             // 'a' (all: char and block), 'c' (char), 'b' (block)
  int64_t major = -1;          // -1 = any ('*')
  int64_t minor = -1;          // -1 = any ('*')
  std::string access = "rwm";  // a subset of "rwm": read, write, mknod

  // "c 1:3 rwm", as devices.allow and docker's --device-cgroup-rule spell it.
  std::string text() const;
  bool operator==(const DeviceRule&) const = default;
};

// "c 1:3 rwm", "b *:* m", "a" (all devices, all access): the --device-cgroup-rule syntax.
// nullopt with `why` set when malformed.
std::optional<DeviceRule> parse_device_rule(std::string_view text, std::string* why = nullptr);

// docker's default for a container that is not privileged: deny all, then allow mknod of any
// device (the node is useless without read/write) and read/write/mknod of null, zero, full,
// random, urandom, tty, console, ptmx and the PTYs of its own devpts (136:*).
std::vector<DeviceRule> default_device_rules();
// Its allows alone (all but the first "deny all"), which `oci create` appends to a bundle's own
// rules as runc does: mknod of any node ("c *:* m", "b *:* m"), then the default devices.
std::vector<DeviceRule> default_device_allows();
// --privileged: every device.
std::vector<DeviceRule> privileged_device_rules();

// Whether `rules` lets a process do `access` ("r", "w", "m" or a combination) on the device
// (type 'c' or 'b', major, minor). The same semantics as the kernel: for v1 the exception list
// it keeps, for v2 the program device_filter.hpp builds (last matching rule wins; an allow rule
// matches when it grants every bit asked for, a deny rule when it takes any). Used by the
// tests and by `inspect`.
bool device_allowed(const std::vector<DeviceRule>& rules, char type, int64_t major, int64_t minor,
                    std::string_view access);

}  // namespace mydocker
