// seccomp: the default profile's decisions, parsing docker's format, and real filters loaded in
// forked children (never in this process: a filter cannot be removed and would hit the other
// tests). Filters load without root: libseccomp sets PR_SET_NO_NEW_PRIVS.

#include "mydocker/seccomp/seccomp.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mydocker/util/error.hpp"

namespace mydocker {
namespace {

using nlohmann::json;
using Strings = std::vector<std::string>;

// What a docker container keeps by default.
const Strings kDockerCaps = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE"};

Strings with(Strings caps, const std::string& cap) {
  caps.push_back(cap);
  return caps;
}

// "a b c" -> {"a", "b", "c"}
Strings words(const std::string& s) {
  Strings out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

bool contains(const Strings& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

const SeccompProfile& default_profile() {
  static const SeccompProfile p = parse_seccomp_profile(default_seccomp_profile());
  return p;
}

SeccompHost host_x86_64() { return SeccompHost{AUDIT_ARCH_X86_64, 6, 1}; }

// The applicable rules that name `name`.
std::vector<SeccompRule> rules_for(const std::string& name, const Strings& caps,
                                   const SeccompHost& host = native_seccomp_host()) {
  std::vector<SeccompRule> out;
  for (const auto& r : applicable_rules(default_profile(), caps, host))
    if (contains(r.names, name)) out.push_back(r);
  return out;
}

// No rule lets `name` through, with whatever arguments: the default action (EPERM) decides.
bool denied(const std::string& name, const Strings& caps) {
  auto rules = rules_for(name, caps);
  return std::none_of(rules.begin(), rules.end(),
                      [](const SeccompRule& r) { return r.action == SeccompAction::kAllow; });
}

// Parses `j`, expecting an Error whose message is exactly `message`.
void expect_parse_error(const json& j, const std::string& message) {
  try {
    (void)parse_seccomp_profile(j);
    ADD_FAILURE() << "no error for " << j.dump() << ", expected: " << message;
  } catch (const Error& e) {
    EXPECT_EQ(e.what(), message);
  }
}

json profile_with_rule(const json& rule) {
  return json{{"defaultAction", "SCMP_ACT_ERRNO"}, {"syscalls", json::array({rule})}};
}

// ---- the default profile ----

TEST(SeccompDefault, Parses) {
  const SeccompProfile& p = default_profile();
  EXPECT_EQ(p.default_action, SeccompAction::kErrno);
  EXPECT_EQ(p.default_errno_ret, 1u);
  ASSERT_FALSE(p.arch_map.empty());
  EXPECT_EQ(p.arch_map[0].arch, "SCMP_ARCH_X86_64");
  EXPECT_EQ(p.arch_map[0].sub_arches, (Strings{"SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  EXPECT_GT(p.syscalls.size(), 20u);
}

TEST(SeccompDefault, AllowsWhatProgramsNeed) {
  Strings allowed = allowed_syscalls(default_profile(), kDockerCaps);
  for (const char* name :
       {"read", "write", "openat", "close", "mmap", "execve", "exit_group", "futex", "rt_sigaction",
        "socket", "wait4", "getpid", "getrandom", "chroot"})
    EXPECT_TRUE(contains(allowed, name)) << name;
  EXPECT_GT(allowed.size(), 250u);
}

TEST(SeccompDefault, DeniesDangerousCallsWithoutTheirCapabilities) {
  const Strings dangerous = words(
      "mount umount2 pivot_root swapon swapoff reboot kexec_load kexec_file_load init_module "
      "finit_module delete_module iopl ioperm acct add_key keyctl request_key bpf "
      "perf_event_open kcmp pidfd_getfd open_by_handle_at "
      "name_to_handle_at settimeofday clock_settime adjtimex syslog unshare setns userfaultfd "
      "quotactl nfsservctl uselib io_uring_setup");
  for (const auto& name : dangerous) EXPECT_TRUE(denied(name, kDockerCaps)) << name;
  // docker's rule since kernel 4.8 (older kernels let ptrace bypass seccomp): strace and gdb work
  // in a default container.
  for (const char* name : {"ptrace", "process_vm_readv", "process_vm_writev"})
    EXPECT_FALSE(denied(name, kDockerCaps)) << name;
}

TEST(SeccompDefault, NeverAllowsTheKeyringKexecOrSwapWhateverTheCapabilities) {
  Strings all = kDockerCaps;
  for (const char* c : {"CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_PTRACE", "CAP_SYS_MODULE",
                        "CAP_SYS_RAWIO", "CAP_SYS_TIME", "CAP_SYSLOG", "CAP_DAC_READ_SEARCH"})
    all.push_back(c);
  for (const char* name : {"add_key", "keyctl", "request_key", "kexec_load", "kexec_file_load",
                           "swapon", "swapoff", "pivot_root", "userfaultfd", "uselib"})
    EXPECT_TRUE(denied(name, all)) << name;
}

TEST(SeccompDefault, CapabilitiesUnlockTheirCalls) {
  const Strings admin = with(kDockerCaps, "CAP_SYS_ADMIN");
  Strings allowed = allowed_syscalls(default_profile(), admin);
  for (const char* name :
       {"mount", "umount2", "unshare", "setns", "clone", "clone3", "sethostname"})
    EXPECT_TRUE(contains(allowed, name)) << name;
  EXPECT_TRUE(
      contains(allowed_syscalls(default_profile(), with(kDockerCaps, "CAP_SYS_PTRACE")), "ptrace"));
  EXPECT_TRUE(contains(allowed_syscalls(default_profile(), with(kDockerCaps, "CAP_SYS_TIME")),
                       "settimeofday"));
  EXPECT_TRUE(contains(allowed_syscalls(default_profile(), with(kDockerCaps, "CAP_SYS_MODULE")),
                       "finit_module"));
  // Spelled as the user might: lower case, without CAP_.
  EXPECT_TRUE(contains(allowed_syscalls(default_profile(), {"sys_admin"}), "mount"));
  EXPECT_FALSE(contains(allowed_syscalls(default_profile(), {}), "chroot"));
}

TEST(SeccompDefault, CloneOnlyWithoutNamespaceFlags) {
  auto rules = rules_for("clone", kDockerCaps, host_x86_64());
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].action, SeccompAction::kAllow);
  ASSERT_EQ(rules[0].args.size(), 1u);
  const SeccompArg& a = rules[0].args[0];
  EXPECT_EQ(a.index, 0u);
  EXPECT_EQ(a.op, SeccompOp::kMaskedEq);
  EXPECT_EQ(a.value, uint64_t{CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
                              CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP});
  EXPECT_EQ(a.value, 0x7E020000u);
  EXPECT_EQ(a.value_two, 0u);
  EXPECT_FALSE(contains(allowed_syscalls(default_profile(), kDockerCaps), "clone"));

  // On s390 the flags are the second argument.
  auto s390 = rules_for("clone", kDockerCaps, SeccompHost{AUDIT_ARCH_S390X, 6, 1});
  ASSERT_EQ(s390.size(), 1u);
  ASSERT_EQ(s390[0].args.size(), 1u);
  EXPECT_EQ(s390[0].args[0].index, 1u);

  // With CAP_SYS_ADMIN: no condition.
  auto admin = rules_for("clone", with(kDockerCaps, "CAP_SYS_ADMIN"), host_x86_64());
  ASSERT_EQ(admin.size(), 1u);
  EXPECT_TRUE(admin[0].args.empty());
}

TEST(SeccompDefault, Clone3FailsWithEnosysUnlessSysAdmin) {
  auto rules = rules_for("clone3", kDockerCaps);
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].action, SeccompAction::kErrno);
  EXPECT_EQ(rules[0].errno_ret, uint32_t{ENOSYS});

  auto admin = rules_for("clone3", with(kDockerCaps, "CAP_SYS_ADMIN"));
  ASSERT_EQ(admin.size(), 1u);
  EXPECT_EQ(admin[0].action, SeccompAction::kAllow);
}

TEST(SeccompDefault, PersonalityOnlyForHarmlessPersonas) {
  std::vector<uint64_t> values;
  for (const auto& r : rules_for("personality", kDockerCaps)) {
    ASSERT_EQ(r.args.size(), 1u);
    EXPECT_EQ(r.args[0].op, SeccompOp::kEq);
    values.push_back(r.args[0].value);
  }
  EXPECT_EQ(values, (std::vector<uint64_t>{0x0, 0x8, 0x20000, 0x20008, 0xffffffff}));
}

TEST(SeccompDefault, ArchSpecificCallsOnlyOnTheirArch) {
  auto on = [](uint32_t arch, const std::string& name) {
    auto rules = applicable_rules(default_profile(), kDockerCaps, SeccompHost{arch, 6, 1});
    return std::any_of(rules.begin(), rules.end(),
                       [&](const SeccompRule& r) { return contains(r.names, name); });
  };
  // Names libseccomp does not know are dropped at parse time, so look at the rule's scope.
  EXPECT_TRUE(on(AUDIT_ARCH_X86_64, "arch_prctl"));
  EXPECT_FALSE(on(AUDIT_ARCH_AARCH64, "arch_prctl"));
  EXPECT_TRUE(on(AUDIT_ARCH_I386, "modify_ldt"));
}

TEST(SeccompDefault, CoversTheSubArchitectures) {
  auto arches = seccomp_arches(default_profile(), host_x86_64());
  ASSERT_EQ(arches.size(), 3u);
  EXPECT_EQ(arches[0], uint32_t{AUDIT_ARCH_X86_64});
  EXPECT_EQ(arches[1], uint32_t{AUDIT_ARCH_I386});
  EXPECT_EQ(arches[2], uint32_t{AUDIT_ARCH_X86_64 & ~__AUDIT_ARCH_64BIT});  // x32
  EXPECT_EQ(seccomp_arches(default_profile(), SeccompHost{AUDIT_ARCH_PPC64LE, 6, 1}).size(), 1u);
}

TEST(SeccompDefault, Describes) {
  std::string d = describe_seccomp(default_profile());
  EXPECT_EQ(d.rfind("seccomp: default ERRNO(1), ", 0), 0u) << d;
  EXPECT_NE(d.find(" syscalls allowed, "), std::string::npos) << d;
  EXPECT_NE(d.find(" conditional rules"), std::string::npos) << d;
}

// ---- parsing ----

TEST(SeccompParse, ReadsEveryField) {
  json j = json::parse(R"({
    "defaultAction": "SCMP_ACT_KILL_PROCESS",
    "flags": ["SECCOMP_FILTER_FLAG_LOG"],
    "archMap": [{"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
    "syscalls": [
      {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "comment": "io"},
      {"name": "dup2", "action": "SCMP_ACT_ERRNO", "errnoRet": 95,
       "args": [{"index": 1, "value": 7, "valueTwo": 3, "op": "SCMP_CMP_MASKED_EQ"}],
       "includes": {"caps": ["CAP_SYS_ADMIN"], "minKernel": "5.10"},
       "excludes": {"arches": ["s390x"]}}
    ]})");
  SeccompProfile p = parse_seccomp_profile(j);
  EXPECT_EQ(p.default_action, SeccompAction::kKillProcess);
  EXPECT_EQ(p.flags, Strings{"SECCOMP_FILTER_FLAG_LOG"});
  ASSERT_EQ(p.syscalls.size(), 2u);
  EXPECT_EQ(p.syscalls[0].names, (Strings{"read", "write"}));
  EXPECT_EQ(p.syscalls[0].comment, "io");
  const SeccompRule& r = p.syscalls[1];
  EXPECT_EQ(r.index, 1u);
  EXPECT_EQ(r.names, Strings{"dup2"});
  EXPECT_EQ(r.action, SeccompAction::kErrno);
  EXPECT_EQ(r.errno_ret, 95u);
  ASSERT_EQ(r.args.size(), 1u);
  EXPECT_EQ(r.args[0].index, 1u);
  EXPECT_EQ(r.args[0].value, 7u);
  EXPECT_EQ(r.args[0].value_two, 3u);
  EXPECT_EQ(r.args[0].op, SeccompOp::kMaskedEq);
  EXPECT_EQ(r.includes.caps, Strings{"CAP_SYS_ADMIN"});
  EXPECT_EQ(r.includes.min_kernel, std::make_pair(5, 10));
  EXPECT_EQ(r.excludes.arches, Strings{"s390x"});
}

TEST(SeccompParse, EveryActionAndOperator) {
  for (const char* a :
       {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
        "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG"})
    EXPECT_NO_THROW(
        (void)parse_seccomp_profile(profile_with_rule({{"names", {"read"}}, {"action", a}})))
        << a;
  for (const char* op : {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE",
                         "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"})
    EXPECT_NO_THROW((void)parse_seccomp_profile(
        profile_with_rule({{"names", {"read"}},
                           {"action", "SCMP_ACT_ALLOW"},
                           {"args", {{{"index", 0}, {"value", 1}, {"op", op}}}}})))
        << op;
}

TEST(SeccompParse, UnknownActionsAndOperatorsNameTheField) {
  expect_parse_error(profile_with_rule({{"names", {"read"}}, {"action", "SCMP_ACT_FOO"}}),
                     "seccomp profile: syscalls[0].action: unknown action SCMP_ACT_FOO");
  expect_parse_error({{"defaultAction", "ALLOW"}},
                     "seccomp profile: defaultAction: unknown action ALLOW");
  expect_parse_error(
      profile_with_rule({{"names", {"read"}},
                         {"action", "SCMP_ACT_ALLOW"},
                         {"args", {{{"index", 0}, {"value", 1}, {"op", "SCMP_CMP_FOO"}}}}}),
      "seccomp profile: syscalls[0].args[0].op: unknown operator SCMP_CMP_FOO");
  expect_parse_error({{"defaultAction", "SCMP_ACT_ERRNO"}, {"flags", {"SECCOMP_FILTER_FLAG_X"}}},
                     "seccomp profile: flags: unknown flag SECCOMP_FILTER_FLAG_X");
  expect_parse_error(
      {{"defaultAction", "SCMP_ACT_ERRNO"}, {"archMap", {{{"architecture", "SCMP_ARCH_VAX"}}}}},
      "seccomp profile: archMap[0].architecture: unknown architecture SCMP_ARCH_VAX");
}

TEST(SeccompParse, MissingFields) {
  expect_parse_error(json::object(), "seccomp profile: defaultAction: missing");
  expect_parse_error(profile_with_rule({{"action", "SCMP_ACT_ALLOW"}}),
                     "seccomp profile: syscalls[0].names: missing (a rule needs at least one "
                     "syscall name)");
  expect_parse_error(profile_with_rule({{"names", json::array()}, {"action", "SCMP_ACT_ALLOW"}}),
                     "seccomp profile: syscalls[0].names: missing (a rule needs at least one "
                     "syscall name)");
  expect_parse_error(profile_with_rule({{"names", {"read"}}}),
                     "seccomp profile: syscalls[0].action: missing");
  expect_parse_error(
      profile_with_rule(
          {{"names", {"read"}}, {"action", "SCMP_ACT_ALLOW"}, {"args", {{{"index", 0}}}}}),
      "seccomp profile: syscalls[0].args[0].op: missing");
  expect_parse_error(
      profile_with_rule({{"names", {"read"}}, {"name", "write"}, {"action", "SCMP_ACT_ALLOW"}}),
      "seccomp profile: syscalls[0]: use \"name\" or \"names\", not both");
}

TEST(SeccompParse, WrongTypes) {
  expect_parse_error(json::array(), "seccomp profile: (top level): expected an object, got array");
  expect_parse_error({{"defaultAction", 1}},
                     "seccomp profile: defaultAction: expected a string, got number");
  expect_parse_error({{"defaultAction", "SCMP_ACT_ERRNO"}, {"syscalls", "read"}},
                     "seccomp profile: syscalls: expected an array, got string");
  expect_parse_error(
      profile_with_rule({{"names", "read"}, {"action", "SCMP_ACT_ALLOW"}}),
      "seccomp profile: syscalls[0].names: expected an array of strings, got string");
  expect_parse_error(profile_with_rule({{"names", {"read", 3}}, {"action", "SCMP_ACT_ALLOW"}}),
                     "seccomp profile: syscalls[0].names[1]: expected a string, got number");
  expect_parse_error(
      profile_with_rule({{"names", {"read"}},
                         {"action", "SCMP_ACT_ALLOW"},
                         {"args", {{{"index", "0"}, {"value", 1}, {"op", "SCMP_CMP_EQ"}}}}}),
      "seccomp profile: syscalls[0].args[0].index: expected a non-negative integer, got \"0\"");
  expect_parse_error(
      profile_with_rule({{"names", {"read"}},
                         {"action", "SCMP_ACT_ALLOW"},
                         {"args", {{{"index", 6}, {"value", 1}, {"op", "SCMP_CMP_EQ"}}}}}),
      "seccomp profile: syscalls[0].args[0].index: 6 is out of range (at most 5)");
  expect_parse_error(
      profile_with_rule({{"names", {"read"}},
                         {"action", "SCMP_ACT_ALLOW"},
                         {"args", {{{"index", 0}, {"value", -1}, {"op", "SCMP_CMP_EQ"}}}}}),
      "seccomp profile: syscalls[0].args[0].value: expected a non-negative integer, got -1");
  expect_parse_error(
      profile_with_rule({{"names", {"read"}}, {"action", "SCMP_ACT_ALLOW"}, {"errnoRet", 1}}),
      "seccomp profile: syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take a "
      "return value");
  expect_parse_error(
      profile_with_rule({{"names", {"read"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1.5}}),
      "seccomp profile: syscalls[0].errnoRet: expected a non-negative integer, got 1.5");
  expect_parse_error(profile_with_rule({{"names", {"read"}},
                                        {"action", "SCMP_ACT_ALLOW"},
                                        {"includes", {{"minKernel", "five"}}}}),
                     "seccomp profile: syscalls[0].includes.minKernel: expected a kernel version "
                     "\"MAJOR.MINOR\", got \"five\"");
  expect_parse_error(
      profile_with_rule({{"names", {"read"}}, {"action", "SCMP_ACT_ALLOW"}, {"excludes", {1}}}),
      "seccomp profile: syscalls[0].excludes: expected an object, got array");
}

TEST(SeccompParse, NullsAreAbsent) {
  // docker writes "args": null, "includes": {} and "comment": "" freely.
  SeccompProfile p = parse_seccomp_profile(profile_with_rule({{"names", {"read"}},
                                                              {"action", "SCMP_ACT_ALLOW"},
                                                              {"args", nullptr},
                                                              {"includes", json::object()}}));
  ASSERT_EQ(p.syscalls.size(), 1u);
  EXPECT_TRUE(p.syscalls[0].args.empty());
}

TEST(SeccompParse, UnknownSyscallNamesAreSkipped) {
  SeccompProfile p = parse_seccomp_profile(profile_with_rule(
      {{"names", {"read", "no_such_syscall", "write"}}, {"action", "SCMP_ACT_ALLOW"}}));
  ASSERT_EQ(p.syscalls.size(), 1u);
  EXPECT_EQ(p.syscalls[0].names, (Strings{"read", "write"}));
  EXPECT_EQ(p.skipped_names, Strings{"no_such_syscall"});
  EXPECT_EQ(describe_seccomp(p),
            "seccomp: default ERRNO(1), 2 syscalls allowed, 0 conditional rules "
            "(1 name unknown to libseccomp skipped)");
  // Names of another architecture are known (libseccomp adds them where they exist).
  SeccompProfile x86 = parse_seccomp_profile(
      profile_with_rule({{"names", {"mmap2", "socketcall"}}, {"action", "SCMP_ACT_ALLOW"}}));
  EXPECT_EQ(x86.syscalls[0].names, (Strings{"mmap2", "socketcall"}));
}

TEST(SeccompParse, IncludesAndExcludesByKernelVersion) {
  SeccompProfile p = parse_seccomp_profile(json::parse(R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "syscalls": [
      {"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "5.10"}},
      {"names": ["write"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "5.10"}}
    ]})"));
  auto names = [&](int major, int minor) {
    Strings out;
    for (const auto& r : applicable_rules(p, {}, SeccompHost{AUDIT_ARCH_X86_64, major, minor}))
      out.push_back(r.names[0]);
    return out;
  };
  EXPECT_EQ(names(5, 4), Strings{"write"});
  EXPECT_EQ(names(5, 10), Strings{"read"});
  EXPECT_EQ(names(6, 1), Strings{"read"});
}

// ---- files ----

class SeccompFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("mydocker-seccomp-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(SeccompFile, LoadsDockerFormat) {
  std::string path = write("default.json", default_seccomp_profile().dump(2));
  SeccompProfile p = load_seccomp_profile_file(path);
  EXPECT_EQ(p.syscalls.size(), default_profile().syscalls.size());
  EXPECT_EQ(describe_seccomp(p), describe_seccomp(default_profile()));
}

TEST_F(SeccompFile, ErrorsNameTheFile) {
  std::string missing = (dir_ / "missing.json").string();
  try {
    (void)load_seccomp_profile_file(missing);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "seccomp profile: read " + missing + ": No such file or directory");
  }
  std::string bad = write("bad.json", "{\"defaultAction\": ");
  try {
    (void)load_seccomp_profile_file(bad);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("seccomp profile " + bad + ": invalid JSON: ", 0), 0u)
        << e.what();
  }
  std::string wrong = write("wrong.json", R"({"defaultAction": "SCMP_ACT_NOPE"})");
  try {
    (void)load_seccomp_profile_file(wrong);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "seccomp profile " + wrong + ": defaultAction: unknown action SCMP_ACT_NOPE");
  }
}

// ---- real filters, in forked children ----

struct ProbeResult {
  long rc;
  int err;
};

struct ChildOutcome {
  std::string error;  // apply_seccomp's message when it failed
  std::vector<ProbeResult> results;
  int status = 0;  // waitpid's
};

// A probe runs in the filtered child: it returns the syscall's result, errno tells the rest.
using Probe = std::function<long()>;

void write_all(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    size -= static_cast<size_t>(n);
  }
}

// As root, the child gets a mount namespace of its own first, so that even a broken filter
// could not mount over the host's /tmp.
void isolate_mounts() {
  if (::unshare(CLONE_NEWNS) == 0) ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
}

// Forks a child that runs `load`, then the probes, and reports back through a pipe.
ChildOutcome run_in_child(const std::function<void()>& load, const std::vector<Probe>& probes) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::close(fds[0]);
    isolate_mounts();
    try {
      load();
    } catch (const std::exception& e) {
      write_all(fds[1], "E", 1);
      write_all(fds[1], e.what(), std::strlen(e.what()));
      ::_exit(1);
    }
    write_all(fds[1], "R", 1);
    for (const auto& probe : probes) {
      errno = 0;
      long rc = probe();
      ProbeResult r{rc, errno};
      write_all(fds[1], &r, sizeof r);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string data;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  ChildOutcome out;
  while (::waitpid(pid, &out.status, 0) < 0 && errno == EINTR) {
  }
  if (!data.empty() && data[0] == 'E') out.error = data.substr(1);
  if (!data.empty() && data[0] == 'R') {
    for (size_t off = 1; off + sizeof(ProbeResult) <= data.size(); off += sizeof(ProbeResult)) {
      ProbeResult r;
      std::memcpy(&r, data.data() + off, sizeof r);
      out.results.push_back(r);
    }
  }
  return out;
}

ChildOutcome run_filtered(const SeccompProfile& p, const Strings& caps,
                          const std::vector<Probe>& probes) {
  return run_in_child([&] { apply_seccomp(p, caps); }, probes);
}

// fork(): the child exits at once; 0 when it was created and reaped.
long fork_and_reap() {
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) ::_exit(0);
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

// A shell and a few programs, run under the filter (it is inherited): their exit status.
long run_programs() {
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c",
            "ls / >/dev/null && id >/dev/null && date >/dev/null && cat /proc/self/status "
            "| grep -q '^Seccomp:.*2' && (sleep 0 & wait)",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A raw clone asking for a new UTS namespace. Should it succeed, the child leaves at once.
long clone_new_uts() {
  long rc = ::syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, nullptr, nullptr, nullptr, 0);
  if (rc == 0) ::_exit(0);
  if (rc > 0) {
    int err = errno;
    ::waitpid(static_cast<pid_t>(rc), nullptr, 0);
    errno = err;
  }
  return rc;
}

// kexec_load with more segments than the kernel takes (KEXEC_SEGMENT_MAX is 16): without the
// filter, root would get EINVAL and nothing loaded or unloaded; with it, EPERM.
long kexec_load_too_many_segments() { return ::syscall(SYS_kexec_load, 0, 1000, nullptr, 0); }

long start_a_thread() {
  try {
    std::thread t([] {});
    t.join();
    return 0;
  } catch (const std::exception&) {
    return -1;
  }
}

::testing::AssertionResult failed_with(const ProbeResult& r, int err) {
  if (r.rc == -1 && r.err == err) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "rc " << r.rc << " errno " << r.err << " (" << std::strerror(r.err)
         << "), expected errno " << err << " (" << std::strerror(err) << ")";
}

TEST(SeccompFilter, DefaultProfileInAContainerWithDockersCapabilities) {
  ChildOutcome out = run_filtered(
      default_profile(), kDockerCaps,
      {
          [] { return static_cast<long>(::getpid()); },
          [] { return static_cast<long>(::mount("none", "/tmp", "tmpfs", 0, nullptr)); },
          [] { return static_cast<long>(::unshare(CLONE_NEWUSER)); },
          [] { return ::syscall(SYS_clone3, nullptr, 0); },
          fork_and_reap,
          kexec_load_too_many_segments,
          [] { return static_cast<long>(::personality(0xffffffff)); },
          clone_new_uts,
          [] { return static_cast<long>(::setns(-1, 0)); },
          [] { return ::syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -1, 0); },
          start_a_thread,  // pthread_create: clone3 gets ENOSYS, glibc falls back to clone
          run_programs,
      });
  ASSERT_EQ(out.error, "");
  ASSERT_TRUE(WIFEXITED(out.status) && WEXITSTATUS(out.status) == 0) << "status " << out.status;
  ASSERT_EQ(out.results.size(), 12u);
  EXPECT_GT(out.results[0].rc, 0) << "getpid";
  EXPECT_TRUE(failed_with(out.results[1], EPERM)) << "mount tmpfs";
  EXPECT_TRUE(failed_with(out.results[2], EPERM)) << "unshare(CLONE_NEWUSER)";
  EXPECT_TRUE(failed_with(out.results[3], ENOSYS)) << "clone3";
  EXPECT_EQ(out.results[4].rc, 0) << "fork: errno " << out.results[4].err;
  EXPECT_TRUE(failed_with(out.results[5], EPERM)) << "kexec_load";
  EXPECT_GE(out.results[6].rc, 0) << "personality(0xffffffff): errno " << out.results[6].err;
  EXPECT_TRUE(failed_with(out.results[7], EPERM)) << "clone(CLONE_NEWUTS)";
  EXPECT_TRUE(failed_with(out.results[8], EPERM)) << "setns";
  EXPECT_TRUE(failed_with(out.results[9], EPERM)) << "keyctl";
  EXPECT_EQ(out.results[10].rc, 0) << "std::thread";
  EXPECT_EQ(out.results[11].rc, 0) << "sh -c 'ls; id; date; grep; sleep &'";
}

TEST(SeccompFilter, SysAdminLiftsTheNamespaceRules) {
  ChildOutcome out = run_filtered(default_profile(), with(kDockerCaps, "CAP_SYS_ADMIN"),
                                  {
                                      [] { return ::syscall(SYS_clone3, nullptr, 0); },
                                      [] { return static_cast<long>(::setns(-1, 0)); },
                                  });
  ASSERT_EQ(out.error, "");
  ASSERT_EQ(out.results.size(), 2u);
  // The kernel itself answers now: a zero-sized clone_args is EINVAL, fd -1 is EBADF.
  EXPECT_TRUE(failed_with(out.results[0], EINVAL)) << "clone3";
  EXPECT_TRUE(failed_with(out.results[1], EBADF)) << "setns";
}

TEST(SeccompFilter, ArgumentConditionsAndErrnoRet) {
  SeccompProfile p = parse_seccomp_profile(json::parse(R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [
      {"names": ["dup2"], "action": "SCMP_ACT_ERRNO", "errnoRet": 95,
       "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"},
                {"index": 1, "value": 500, "op": "SCMP_CMP_GE"}]},
      {"names": ["getpriority"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42,
       "args": [{"index": 1, "value": 1, "op": "SCMP_CMP_EQ"},
                {"index": 1, "value": 2, "op": "SCMP_CMP_EQ"}]},
      {"names": ["no_such_syscall"], "action": "SCMP_ACT_KILL"}
    ]})"));
  ChildOutcome out = run_filtered(p, {},
                                  {
                                      [] { return static_cast<long>(::dup2(0, 600)); },
                                      [] { return static_cast<long>(::dup2(1, 600)); },
                                      [] { return static_cast<long>(::dup2(0, 100)); },
                                      [] { return ::syscall(SYS_getpriority, PRIO_PROCESS, 1); },
                                      [] { return ::syscall(SYS_getpriority, PRIO_PROCESS, 2); },
                                      [] { return ::syscall(SYS_getpriority, PRIO_PROCESS, 0); },
                                  });
  ASSERT_EQ(out.error, "");
  ASSERT_EQ(out.results.size(), 6u);
  EXPECT_TRUE(failed_with(out.results[0], 95)) << "dup2(0, 600): both conditions hold";
  EXPECT_EQ(out.results[1].rc, 600) << "dup2(1, 600)";
  EXPECT_EQ(out.results[2].rc, 100) << "dup2(0, 100)";
  // Two conditions on one argument: either one (runc's rule-per-condition).
  EXPECT_TRUE(failed_with(out.results[3], 42)) << "getpriority(pid 1)";
  EXPECT_TRUE(failed_with(out.results[4], 42)) << "getpriority(pid 2)";
  EXPECT_GE(out.results[5].rc, 0) << "getpriority(self)";
}

TEST(SeccompFilter, CompiledBpfLoadsWithoutLibseccomp) {
  // As a parent compiles it and the init loads it: no_new_privs, then seccomp(2).
  std::string bpf = compile_seccomp_bpf(default_profile(), kDockerCaps);
  ASSERT_FALSE(bpf.empty());
  ASSERT_EQ(bpf.size() % sizeof(sock_filter), 0u);
  auto load = [&] {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) throw_errno("no_new_privs");
    sock_fprog prog{};
    prog.len = static_cast<unsigned short>(bpf.size() / sizeof(sock_filter));
    prog.filter = reinterpret_cast<sock_filter*>(bpf.data());
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) throw_errno("seccomp");
  };
  ChildOutcome out =
      run_in_child(load, {
                             [] { return static_cast<long>(::getpid()); },
                             [] { return static_cast<long>(::unshare(CLONE_NEWNS)); },
                             [] { return ::syscall(SYS_clone3, nullptr, 0); },
                             fork_and_reap,
                         });
  ASSERT_EQ(out.error, "");
  ASSERT_EQ(out.results.size(), 4u);
  EXPECT_GT(out.results[0].rc, 0) << "getpid";
  EXPECT_TRUE(failed_with(out.results[1], EPERM)) << "unshare";
  EXPECT_TRUE(failed_with(out.results[2], ENOSYS)) << "clone3";
  EXPECT_EQ(out.results[3].rc, 0) << "fork";
}

TEST(SeccompFilter, KillProcessEndsTheChildWithSigsys) {
  SeccompProfile p = parse_seccomp_profile(
      profile_with_rule({{"names", {"getppid"}}, {"action", "SCMP_ACT_KILL_PROCESS"}}));
  p.default_action = SeccompAction::kAllow;
  ChildOutcome out = run_filtered(p, {}, {[] { return static_cast<long>(::getppid()); }});
  ASSERT_EQ(out.error, "");
  EXPECT_TRUE(out.results.empty());
  ASSERT_TRUE(WIFSIGNALED(out.status)) << "status " << out.status;
  EXPECT_EQ(WTERMSIG(out.status), SIGSYS);
}

}  // namespace
}  // namespace mydocker
