// Classic BPF: the interpreter, and compact() turning libseccomp's program into a smaller one
// with the same result for every input (checked here by brute force, independently of
// same_results). The kernel side (the compacted default filter loaded for real) is
// SeccompFilter.CompiledBpfLoadsWithoutLibseccomp in seccomp_test.cpp.

#include "mydocker/seccomp/bpf.hpp"

#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "mydocker/seccomp/seccomp.hpp"

namespace mydocker {
namespace {

using bpf::Program;
using bpf::SyscallData;

const std::vector<std::string> kDockerCaps = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE"};

Program program(const std::string& bytes) {
  Program p(bytes.size() / sizeof(sock_filter));
  std::memcpy(p.data(), bytes.data(), p.size() * sizeof(sock_filter));
  return p;
}

Program libseccomps(const SeccompProfile& p, const std::vector<std::string>& caps) {
  return program(compile_seccomp_bpf(p, caps, /*compact=*/false));
}

const SeccompProfile& default_profile() {
  static const SeccompProfile p = parse_seccomp_profile(default_seccomp_profile());
  return p;
}

// Every number up to 1100 and from the x32 bit up, on x86_64, x86 and an unknown architecture,
// with no arguments, each argument word set to interesting values, and random ones.
::testing::AssertionResult agree_everywhere(const Program& a, const Program& b) {
  std::vector<uint32_t> numbers;
  for (uint32_t n = 0; n < 1100; ++n) numbers.push_back(n);
  for (uint32_t n = 0x40000000; n < 0x40000000 + 1100; ++n) numbers.push_back(n);
  for (uint32_t n : {0x3fffffffu, 0x7fffffffu, 0x80000000u, 0xfffffffeu, 0xffffffffu})
    numbers.push_back(n);
  const uint64_t interesting[] = {0,
                                  1,
                                  8,
                                  0x20000,
                                  0xffffffff,
                                  uint64_t{1} << 32,
                                  ~uint64_t{0},
                                  CLONE_NEWNS,
                                  CLONE_NEWUSER,
                                  CLONE_NEWNET | CLONE_THREAD,
                                  0x7E020000,
                                  40 /* AF_VSOCK */};
  std::mt19937_64 rng(7);
  for (uint32_t arch : {uint32_t{AUDIT_ARCH_X86_64}, uint32_t{AUDIT_ARCH_I386}, 0x1234u})
    for (uint32_t nr : numbers) {
      std::vector<SyscallData> inputs{SyscallData{nr, arch, 0, {}}};
      for (int i = 0; i < 6; ++i)
        for (uint64_t v : interesting) {
          SyscallData d{nr, arch, 0, {}};
          d.args[i] = v;
          inputs.push_back(d);
        }
      for (int k = 0; k < 4; ++k) {
        SyscallData d{nr, arch, rng(), {}};
        for (auto& arg : d.args) arg = rng();
        inputs.push_back(d);
      }
      for (const auto& d : inputs) {
        const auto x = bpf::run(a, d), y = bpf::run(b, d);
        if (!x || x != y)
          return ::testing::AssertionFailure()
                 << "arch 0x" << std::hex << arch << " nr 0x" << nr << " arg0 0x" << d.args[0]
                 << ": 0x" << x.value_or(0xdead) << " against 0x" << y.value_or(0xdead);
      }
    }
  return ::testing::AssertionSuccess();
}

// `j` with an allow rule for the default profile's plain allowlist but `except`.
nlohmann::json with_allowlist(nlohmann::json j, const std::set<std::string>& except) {
  nlohmann::json plain = nlohmann::json::array();
  for (const auto& name : allowed_syscalls(default_profile(), kDockerCaps))
    if (!except.count(name)) plain.push_back(name);
  j["syscalls"].push_back({{"names", plain}, {"action", "SCMP_ACT_ALLOW"}});
  return j;
}

// libseccomp's program for `j`, compacted: smaller, and the same everywhere.
std::optional<Program> compacted_and_checked(const nlohmann::json& j) {
  const Program raw = libseccomps(parse_seccomp_profile(j), {});
  auto small = bpf::compact(raw);
  EXPECT_TRUE(small) << raw.size() << " instructions";
  if (!small) return std::nullopt;
  EXPECT_LT(small->size(), raw.size());
  EXPECT_TRUE(agree_everywhere(raw, *small));
  EXPECT_TRUE(bpf::same_results(raw, *small));
  return small;
}

TEST(BpfCompact, DefaultProfileSameDecisionsInAThirdOfTheInstructions) {
  for (const auto& caps : {kDockerCaps, std::vector<std::string>{}}) {
    const Program raw = libseccomps(default_profile(), caps);
    const auto small = bpf::compact(raw);
    ASSERT_TRUE(small) << "libseccomp's program is one compact() models";
    // A binary search over the ranges of numbers (about half), whose comparisons jump straight
    // to one shared copy of each outcome (about half of that again).
    EXPECT_LT(small->size() * 10, raw.size() * 3) << small->size() << " of " << raw.size();
    EXPECT_TRUE(agree_everywhere(raw, *small));
    EXPECT_TRUE(bpf::same_results(raw, *small));
  }
}

TEST(BpfCompact, CompileSeccompBpfReturnsTheCompactedProgram) {
  const Program raw = libseccomps(default_profile(), kDockerCaps);
  const Program used = program(compile_seccomp_bpf(default_profile(), kDockerCaps));
  EXPECT_LT(used.size(), raw.size());
  EXPECT_TRUE(agree_everywhere(raw, used));
}

TEST(BpfCompact, ArgumentConditionsAreKept) {
  // Conditions on arguments (equal, at least, masked, greater), several actions and errnos,
  // beside the default profile's plain allowlist (without the calls conditioned here).
  nlohmann::json j = nlohmann::json::parse(R"({
    "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
    "archMap": [{"architecture": "SCMP_ARCH_X86_64",
                 "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}],
    "syscalls": [
      {"names": ["dup2"], "action": "SCMP_ACT_ERRNO", "errnoRet": 95,
       "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"},
                {"index": 1, "value": 500, "op": "SCMP_CMP_GE"}]},
      {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
      {"names": ["personality"], "action": "SCMP_ACT_KILL_PROCESS",
       "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_GT"}]},
      {"names": ["getppid", "mount", "reboot"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}
    ]})");
  const auto small =
      compacted_and_checked(with_allowlist(j, {"dup2", "clone", "personality", "getppid"}));
  ASSERT_TRUE(small);
  // The conditions still decide: dup2(0, 600) and dup2(0, 100) on x86_64 (33).
  const SyscallData hit{33, AUDIT_ARCH_X86_64, 0, {0, 600}},
      miss{33, AUDIT_ARCH_X86_64, 0, {0, 100}};
  EXPECT_EQ(bpf::run(*small, hit), SECCOMP_RET_ERRNO | 95);
  EXPECT_EQ(bpf::run(*small, miss), SECCOMP_RET_ERRNO | 38);
}

TEST(BpfCompact, SameResultsFindsOneChangedDecision) {
  const Program raw = libseccomps(default_profile(), kDockerCaps);
  auto small = *bpf::compact(raw);
  // Turn the first "allow" the program can return into "kill".
  for (auto& f : small)
    if (f.code == (BPF_RET | BPF_K) && f.k == SECCOMP_RET_ALLOW) {
      f.k = SECCOMP_RET_KILL_PROCESS;
      break;
    }
  EXPECT_FALSE(bpf::same_results(raw, small));
  EXPECT_FALSE(agree_everywhere(raw, small));
  // A constant deep in the copied argument checks: personality(0x20008) allowed no more.
  auto deep = *bpf::compact(raw);
  bool changed = false;
  for (auto& f : deep)
    if (f.code == (BPF_JMP | BPF_JEQ | BPF_K) && f.k == 0x20008) {
      f.k = 0x20009;
      changed = true;
    }
  ASSERT_TRUE(changed) << "docker's personality rule";
  EXPECT_FALSE(bpf::same_results(raw, deep));
}

// ld [4]; jeq 0xc000003e; ...: a tiny hand-written program with one twist each.
Program tiny(sock_filter twist) {
  return Program{
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
      twist,
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 100, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
}

TEST(BpfCompact, RefusesWhatItDoesNotModel) {
  // Modelled, but nothing to gain: a program that would not get smaller is kept.
  EXPECT_FALSE(bpf::compact(tiny(BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0))));
  // Arithmetic on the number, the X register, bit tests on the number, scratch memory: not
  // modelled.
  EXPECT_FALSE(bpf::compact(tiny(BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1))));
  EXPECT_FALSE(bpf::compact(tiny(BPF_STMT(BPF_MISC | BPF_TAX, 0))));
  EXPECT_FALSE(bpf::compact(tiny(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 4, 0, 0))));
  EXPECT_FALSE(bpf::compact(tiny(BPF_STMT(BPF_ST, 0))));
  // An architecture compared by order rather than equality.
  Program by_order = tiny(BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0));
  by_order[1] = BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 5, 1, 0);
  EXPECT_FALSE(bpf::compact(by_order));
  // A jump out of the program, in the prefix and past an argument load.
  Program out = tiny(BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 50));
  EXPECT_FALSE(bpf::compact(out));
  Program args_out{BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 16), BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 100)};
  EXPECT_FALSE(bpf::compact(args_out));
  Program off_end{BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 16)};
  EXPECT_FALSE(bpf::compact(off_end));
}

TEST(BpfCompact, OneArchitectureWithASharedReturn) {
  // x86_64 alone, and a default action equal to the bad-architecture one: libseccomp shares
  // that "ret" between the architecture check and the syscall tree (A holds the architecture
  // on one path, the number on the other). A "ret" does not read A: still compacted.
  nlohmann::json j = nlohmann::json::parse(R"({
    "defaultAction": "SCMP_ACT_KILL_THREAD", "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                  "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]})");
  EXPECT_TRUE(compacted_and_checked(with_allowlist(j, {"personality"})));
}

TEST(BpfRun, InterpretsWhatSeccompAllows) {
  const SyscallData d{39, AUDIT_ARCH_X86_64, 0x1122334455667788, {0xaabbccdd00000007, 3}};
  EXPECT_EQ(bpf::run(tiny(BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0)), d), SECCOMP_RET_ALLOW);
  const SyscallData big{200, AUDIT_ARCH_X86_64, 0, {}};
  EXPECT_EQ(bpf::run(tiny(BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0)), big), SECCOMP_RET_ERRNO | 1);
  const SyscallData i386{200, AUDIT_ARCH_I386, 0, {}};
  EXPECT_EQ(bpf::run(tiny(BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0)), i386), SECCOMP_RET_KILL_PROCESS);
  // Words: the low and high halves of an argument and of the instruction pointer; X, memory,
  // arithmetic and "ret A".
  const Program words{
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 20),  // args[0] >> 32
      BPF_STMT(BPF_ST, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 16),  // args[0] low
      BPF_STMT(BPF_MISC | BPF_TAX, 0),
      BPF_STMT(BPF_LD | BPF_MEM, 3),
      BPF_STMT(BPF_ALU | BPF_ADD | BPF_X, 0),
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xffff),
      BPF_STMT(BPF_RET | BPF_A, 0),
  };
  EXPECT_EQ(bpf::run(words, d), (0xaabbccddu + 7u) & 0xffff);
  const Program ip{BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 12), BPF_STMT(BPF_RET | BPF_A, 0)};
  EXPECT_EQ(bpf::run(ip, d), 0x11223344u);
  // Off the end, a load outside seccomp_data, an unaligned load: the kernel refuses these.
  EXPECT_FALSE(bpf::run(Program{BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0)}, d));
  EXPECT_FALSE(
      bpf::run(Program{BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64), BPF_STMT(BPF_RET | BPF_A, 0)}, d));
  EXPECT_FALSE(
      bpf::run(Program{BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2), BPF_STMT(BPF_RET | BPF_A, 0)}, d));
}

}  // namespace
}  // namespace mydocker
