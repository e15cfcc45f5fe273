#pragma once
// Device nodes a container gets in its /dev besides docker's usual ones: `--device
// HOST[:CONTAINER][:PERMS]` (docker's syntax), and with `--privileged` every node of the host's
// /dev. Each comes with the device rule that lets the container use it.

#include <cstdint>
#include <string>
#include <vector>

#include "mydocker/cgroup/devices.hpp"

namespace mydocker {

struct DeviceNode {
  std::string path;       // inside the container, absolute (/dev/xvdc)
  std::string host_path;  // where it came from (bound instead of mknod in a user namespace)
  char type = 'c';        // 'c' or 'b'
  uint32_t major = 0, minor = 0;
  uint32_t mode = 0660;  // permission bits, as on the host
  uint32_t uid = 0, gid = 0;
  bool operator==(const DeviceNode&) const = default;
};

struct DeviceRequest {
  std::vector<DeviceNode> nodes;
  std::vector<DeviceRule> rules;  // one allow per node, with the permissions asked for
};

// --device HOST[:CONTAINER][:PERMS]: HOST is a device node, or a directory whose device nodes
// are all taken (CONTAINER then names the directory they go to); PERMS a subset of rwm (default
// rwm). Throws Error naming --device and the value.
DeviceRequest parse_device_flag(const std::string& value);
// --device-cgroup-rule 'TYPE MAJOR:MINOR PERMS'. Throws Error naming the flag and the value.
DeviceRule parse_device_cgroup_rule(const std::string& value);
// --privileged: every char and block device under `dev` (the host's /dev), as docker gives a
// privileged container, except the ones mydocker makes itself (/dev/pts, /dev/shm, /dev/mqueue,
// the console and ptmx).
std::vector<DeviceNode> host_devices(const std::string& dev = "/dev");

}  // namespace mydocker
