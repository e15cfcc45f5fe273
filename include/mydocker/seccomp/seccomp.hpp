#pragma once
// seccomp in docker's profile format (`docker run --security-opt seccomp=FILE`), built into a
// BPF filter with libseccomp.
//
// A profile is an allowlist: a default action (docker's: ERRNO(EPERM)) and rules for syscalls
// by name, each with an action, optional conditions on the arguments, and `includes`/`excludes`
// that make it apply only to containers that keep (or lack) some capabilities, on some
// architectures, from some kernel version. Names that libseccomp does not know on this host are
// skipped, as docker does: a profile written for a newer kernel still loads.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace mydocker {

enum class SeccompAction { kKill, kKillProcess, kKillThread, kTrap, kErrno, kTrace, kAllow, kLog };
enum class SeccompOp { kNe, kLt, kLe, kEq, kGe, kGt, kMaskedEq };

// One argument condition. For kMaskedEq, `value` is the mask and `value_two` the result:
// (arg & value) == value_two. Otherwise arg OP value.
struct SeccompArg {
  unsigned index = 0;  // 0..5
  uint64_t value = 0;
  uint64_t value_two = 0;
  SeccompOp op = SeccompOp::kEq;
};

// A rule's `includes` or `excludes`. Includes: every cap held, the native arch listed, the kernel
// at least min_kernel. Excludes: any cap held, the native arch listed, or the kernel at least
// min_kernel. Empty fields do not count.
struct SeccompScope {
  std::vector<std::string> caps;    // "CAP_SYS_ADMIN"
  std::vector<std::string> arches;  // docker's (Go's) names: "amd64", "x32", "arm64", "s390x"
  std::optional<std::pair<int, int>> min_kernel;  // "4.8" -> {4, 8}
};

struct SeccompRule {
  size_t index = 0;                // its place in the profile's syscalls[], for messages
  std::vector<std::string> names;  // only names libseccomp knows
  SeccompAction action = SeccompAction::kAllow;
  std::optional<uint32_t> errno_ret;  // ERRNO's errno / TRACE's message; unset: EPERM
  std::vector<SeccompArg> args;       // all must hold (see apply_seccomp for repeated indexes)
  SeccompScope includes;
  SeccompScope excludes;
  std::string comment;
};

struct SeccompArchMapEntry {
  std::string arch;                     // "SCMP_ARCH_X86_64"
  std::vector<std::string> sub_arches;  // "SCMP_ARCH_X86", "SCMP_ARCH_X32"
};

struct SeccompProfile {
  SeccompAction default_action = SeccompAction::kErrno;
  std::optional<uint32_t> default_errno_ret;  // unset: EPERM
  std::vector<std::string> architectures;     // docker's older flat list (not with arch_map)
  std::vector<SeccompArchMapEntry> arch_map;
  std::vector<std::string> flags;  // SECCOMP_FILTER_FLAG_LOG, _SPEC_ALLOW, _TSYNC
  std::vector<SeccompRule> syscalls;
  std::vector<std::string> skipped_names;  // syscall names libseccomp does not know here
};

// mydocker's default profile, as docker-format JSON: docker's policy (see seccomp_default.cpp).
nlohmann::json default_seccomp_profile();
// The same as text (to hash it for the filter cache without parsing it).
std::string_view default_seccomp_profile_text();
// A hash of that text, computed at build time (the filter cache's key).
uint64_t default_seccomp_profile_hash();

// Validates docker's format. Throws Error naming the field:
//   seccomp profile: syscalls[3].action: unknown action SCMP_ACT_FOO
SeccompProfile parse_seccomp_profile(const nlohmann::json& j);
// Reads and parses a docker-format JSON file; errors name the file.
SeccompProfile load_seccomp_profile_file(const std::string& path);

// Builds the filter for the native architecture (plus its sub-architectures from archMap, e.g.
// x86 and x32 on x86_64) with the rules that apply to a container keeping `capabilities`
// ("CAP_CHOWN", ...), and loads it into the calling thread. Throws Error with libseccomp's errno
// text.
//
// Call it last, right before execve: from here on every syscall is filtered, and the profile
// must allow what is left to do (execve, write to an error pipe, exit_group). Loading a filter
// needs PR_SET_NO_NEW_PRIVS (or CAP_SYS_ADMIN): the caller sets it first, and libseccomp also
// sets it itself (SCMP_FLTATR_CTL_NNP keeps its default), so this works without root. Only the
// calling thread is filtered: call it single-threaded.
void apply_seccomp(const SeccompProfile& p, const std::vector<std::string>& capabilities);

// The same filter compiled to BPF (struct sock_filter[], as bytes), for a parent to compile and
// an init to load with seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog) after PR_SET_NO_NEW_PRIVS,
// without libseccomp. The profile's "flags" are load-time flags, not part of the program: they
// apply only through apply_seccomp. The program is libseccomp's, made smaller by bpf::compact()
// (same results, a fraction of the load time); `compact` false keeps libseccomp's as it is.
// Throws Error.
std::string compile_seccomp_bpf(const SeccompProfile& p,
                                const std::vector<std::string>& capabilities, bool compact = true);

// For --trace: "seccomp: default ERRNO(1), 312 syscalls allowed, 4 conditional rules".
std::string describe_seccomp(const SeccompProfile& p);

// ---- what apply_seccomp decides, for tests and inspection ----

// Where a filter is built: the native architecture (libseccomp's token) and the kernel version.
struct SeccompHost {
  uint32_t arch = 0;
  int kernel_major = 0;
  int kernel_minor = 0;
};
SeccompHost native_seccomp_host();

// The rules whose includes/excludes let them apply to a container keeping `capabilities` on
// `host`, in profile order.
std::vector<SeccompRule> applicable_rules(const SeccompProfile& p,
                                          const std::vector<std::string>& capabilities,
                                          const SeccompHost& host);
// The names an applicable rule allows whatever the arguments (sorted, unique).
std::vector<std::string> allowed_syscalls(const SeccompProfile& p,
                                          const std::vector<std::string>& capabilities);
// The architectures the filter covers on `host`: the native one first, then its sub-arches.
std::vector<uint32_t> seccomp_arches(const SeccompProfile& p, const SeccompHost& host);

}  // namespace mydocker
