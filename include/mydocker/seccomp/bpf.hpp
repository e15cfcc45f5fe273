#pragma once
// Classic BPF for seccomp: an interpreter (what the kernel computes for a system call) and a
// compactor that turns libseccomp's program into a smaller one with the same result for every
// input.
//
// Why: loading a filter costs the kernel time per instruction it verifies and compiles, and,
// since Linux 5.11, one emulation of the program per system call number and architecture (the
// seccomp action cache). libseccomp's program for docker's profile on x86_64 (x86_64, x86 and
// x32 sections) has about 1,200 instructions, almost all `jeq` leaves of a binary tree, one per
// allowed system call: loading it took 0.25-0.31 ms of every run's critical path. The same
// decisions as ranges of system call numbers take a few dozen instructions per architecture.

#include <linux/filter.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace mydocker::bpf {

using Program = std::vector<sock_filter>;

// struct seccomp_data, as the program sees it.
struct SyscallData {
  uint32_t nr = 0;
  uint32_t arch = 0;
  uint64_t instruction_pointer = 0;
  uint64_t args[6] = {};
};

// A program from its bytes (the sock_filter array a filter is stored and loaded as).
Program program_of(std::string_view bytes);

// What `prog` returns for `d` (SECCOMP_RET_* | data), or nullopt for a program the kernel
// would refuse (a jump out of it, an unknown instruction, a load outside seccomp_data).
std::optional<uint32_t> run(const Program& prog, const SyscallData& d);

// A program that returns what `prog` returns for every SyscallData, with each architecture's
// decisions on the system call number as a binary search over ranges; the parts that look at
// the arguments are copied as they are. nullopt when `prog` does something this does not
// model (scratch memory, the X register, arithmetic on the number): keep `prog` then.
std::optional<Program> compact(const Program& prog);

// Runs both programs on the inputs that tell them apart if anything does: each architecture
// `a` names and one it does not, every number either program compares with and its
// neighbours, and where `a` looks at the arguments, each argument word set to each constant
// either program uses past its argument loads, and its neighbours (and random ones). False if
// they differ, or if either is not a program compact() models. compile_seccomp_bpf checks
// compact()'s result this way before using it.
bool same_results(const Program& a, const Program& b);

}  // namespace mydocker::bpf
