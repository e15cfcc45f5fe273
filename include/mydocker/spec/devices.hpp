#pragma once
// Device nodes a container gets in its /dev besides docker's usual ones: `--device
// HOST[:CONTAINER][:PERMS]` (docker's syntax), and with `--privileged` every node of the host's
// /dev. Each comes with the device rule that lets the container use it.

#include <cstdint>
#include <string>
#include <vector>

#include "mydocker/cgroup/devices.hpp"
#include "mydocker/init/protocol.hpp"

namespace mydocker {

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
