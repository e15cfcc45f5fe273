#pragma once
// cgroup v2 has no devices files: device access is decided by a BPF program of type
// BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup, which the kernel runs on every open and
// mknod of a device node by a process inside. runc and crun build one from the rule list; so do
// we, with raw bpf(2) calls (no libbpf):
//
//   r2 = ctx->access_type; r3 = r2 & 0xffff (1 block, 2 char); r4 = r2 >> 16 (1 mknod, 2 read,
//   4 write); r5 = ctx->major; r6 = ctx->minor
//   for each rule, last first:                        (the last matching rule wins)
//     if r3 != TYPE goto next                          (not for 'a')
//     allow: if r4 & ~ACCESS goto next                 (it must grant every bit asked for)
//     deny:  if !(r4 & ACCESS) goto next               (it takes any of them)
//     if r5 != MAJOR goto next; if r6 != MINOR goto next   (not for '*')
//     return ALLOW
//   next: ...
//   return 0                                           (nothing matched: denied)

#include <linux/bpf.h>

#include <string>
#include <vector>

#include "mydocker/cgroup/devices.hpp"
#include "mydocker/util/fs.hpp"

namespace mydocker::v2 {

std::vector<bpf_insn> device_filter_program(const std::vector<DeviceRule>& rules);

// Loads the program for `rules` and attaches it to the cgroup directory `dir`
// (BPF_F_ALLOW_MULTI), then detaches the programs that were attached to `dir` itself before
// (`update`): there is no moment without a filter. The attachment holds the program: it goes
// with the cgroup. Traced as a `bpftool cgroup attach` line; with a dry-run Fs, only traced.
// Throws Error with the verifier's log when the kernel refuses the program.
void attach_device_filter(const Fs& fs, const std::string& dir,
                          const std::vector<DeviceRule>& rules);

}  // namespace mydocker::v2
