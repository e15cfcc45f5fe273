// Device rules: parsing, docker's defaults, the v1 writes (fake cgroupfs), and the cgroup v2 BPF
// program, run through a small interpreter of the instructions it uses and compared with the
// rules' own semantics (device_allowed) over every device class the rules name.

#include "mydocker/cgroup/devices.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <map>

#include "mydocker/cgroup/v1/devices.hpp"
#include "mydocker/cgroup/v2/device_filter.hpp"
#include "unit/fake_cgroupfs.hpp"

namespace mydocker {
namespace {

using test::FakeCgroupFs;
using test::TempDir;
using test::TraceCapture;

// ---- parsing ----

TEST(DeviceRule, ParsesDockersSyntax) {
  auto r = parse_device_rule("c 1:3 rwm");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (DeviceRule{true, 'c', 1, 3, "rwm"}));
  EXPECT_EQ(parse_device_rule("b 8:* r")->minor, -1);
  EXPECT_EQ(parse_device_rule("a *:* m")->type, 'a');
  EXPECT_EQ(parse_device_rule("a")->access, "rwm");
  EXPECT_EQ(parse_device_rule("c 136:* rw")->text(), "c 136:* rw");
}

TEST(DeviceRule, RejectsMalformedRulesWithAReason) {
  for (const char* bad : {"", "c", "c 1:3", "x 1:3 r", "c 1 r", "c a:3 r", "c 1:3 rx", "c 1:3 rr",
                          "c 1:3  r", "c 1:3 r extra", "cc 1:3 r", "c -1:3 r", "c 1:9999999 r"}) {
    std::string why;
    EXPECT_FALSE(parse_device_rule(bad, &why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
}

TEST(DeviceRule, DockersDefaultsDenyAllThenAllowTheUsualNodes) {
  const auto rules = default_device_rules();
  ASSERT_FALSE(rules.empty());
  EXPECT_EQ(rules.front(), (DeviceRule{false, 'a', -1, -1, "rwm"}));
  EXPECT_TRUE(device_allowed(rules, 'c', 1, 3, "rw"));      // null
  EXPECT_TRUE(device_allowed(rules, 'c', 1, 9, "r"));       // urandom
  EXPECT_TRUE(device_allowed(rules, 'c', 136, 4, "rw"));    // a pts
  EXPECT_TRUE(device_allowed(rules, 'c', 5, 2, "rw"));      // ptmx
  EXPECT_TRUE(device_allowed(rules, 'b', 8, 0, "m"));       // mknod only
  EXPECT_FALSE(device_allowed(rules, 'b', 8, 0, "r"));      // the host's disk
  EXPECT_FALSE(device_allowed(rules, 'c', 1, 11, "w"));     // kmsg
  EXPECT_FALSE(device_allowed(rules, 'c', 1, 1, "r"));      // mem
  EXPECT_FALSE(device_allowed(rules, 'c', 10, 200, "rw"));  // tun: not in docker's list
  EXPECT_TRUE(device_allowed(privileged_device_rules(), 'b', 8, 0, "rwm"));
}

TEST(DeviceRule, AllowNeedsEveryBitAndDenyTakesAny) {
  std::vector<DeviceRule> rules = {{false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "r"}};
  EXPECT_TRUE(device_allowed(rules, 'c', 1, 3, "r"));
  EXPECT_FALSE(device_allowed(rules, 'c', 1, 3, "rw"));
  rules.push_back({false, 'c', 1, 3, "w"});
  rules.push_back({true, 'c', 1, -1, "rwm"});
  rules.push_back({false, 'c', 1, 5, "w"});
  EXPECT_TRUE(device_allowed(rules, 'c', 1, 3, "rw"));  // the later allow wins
  EXPECT_FALSE(device_allowed(rules, 'c', 1, 5, "rw"));
  EXPECT_TRUE(device_allowed(rules, 'c', 1, 5, "r"));
}

// ---- cgroup v1: one write per rule, in order ----

TEST(V1Devices, WritesDenyThenAllowsInOrder) {
  TempDir tmp;
  FakeCgroupFs fs(tmp.path());
  const std::string dir = tmp.path() + "/devices/x";
  std::filesystem::create_directories(dir);
  test::put_file(dir + "/devices.allow", "");
  test::put_file(dir + "/devices.deny", "");
  Resources r;
  r.devices = default_device_rules();
  r.devices.push_back({true, 'b', 7, 0, "r"});
  TraceCapture capture;
  v1::Devices().set(fs, dir, r);
  const auto lines = capture.lines();
  ASSERT_EQ(lines.size(), r.devices.size());
  EXPECT_EQ(lines.front(), "+ echo 'a *:* rwm' > " + dir + "/devices.deny");
  EXPECT_EQ(lines[3], "+ echo 'c 1:3 rwm' > " + dir + "/devices.allow");
  EXPECT_EQ(lines.back(), "+ echo 'b 7:0 r' > " + dir + "/devices.allow");
  EXPECT_TRUE(v1::Devices().needed(r));
  EXPECT_FALSE(v1::Devices().needed(Resources{}));  // `update` without device flags
}

// ---- cgroup v2: the BPF program ----

// Runs the program on one request: the instructions device_filter_program emits, nothing else.
int run_program(const std::vector<bpf_insn>& prog, uint32_t type, uint32_t access, uint32_t major,
                uint32_t minor) {
  bpf_cgroup_dev_ctx ctx{};
  ctx.access_type = (access << 16) | type;
  ctx.major = major;
  ctx.minor = minor;
  uint64_t reg[11] = {};
  for (size_t pc = 0, steps = 0; pc < prog.size() && steps < 100000; ++pc, ++steps) {
    const bpf_insn& i = prog[pc];
    const uint8_t cls = BPF_CLASS(i.code), op = BPF_OP(i.code);
    const uint64_t imm = static_cast<uint64_t>(static_cast<int64_t>(i.imm));
    if (cls == BPF_LDX) {
      EXPECT_EQ(i.code, BPF_LDX | BPF_MEM | BPF_W);
      EXPECT_EQ(i.src_reg, 1);
      uint32_t v;
      std::memcpy(&v, reinterpret_cast<const char*>(&ctx) + i.off, 4);
      reg[i.dst_reg] = v;
    } else if (cls == BPF_ALU64) {
      const uint64_t src = BPF_SRC(i.code) == BPF_X ? reg[i.src_reg] : imm;
      if (op == BPF_MOV)
        reg[i.dst_reg] = src;
      else if (op == BPF_AND)
        reg[i.dst_reg] &= src;
      else if (op == BPF_RSH)
        reg[i.dst_reg] >>= src;
      else
        ADD_FAILURE() << "unexpected ALU op " << int(op);
    } else if (cls == BPF_JMP && op == BPF_EXIT) {
      return static_cast<int>(reg[0]);
    } else if (cls == BPF_JMP && (op == BPF_JNE || op == BPF_JEQ)) {
      EXPECT_EQ(BPF_SRC(i.code), BPF_K);
      const bool equal = reg[i.dst_reg] == imm;
      if (equal == (op == BPF_JEQ)) pc += static_cast<size_t>(i.off);
    } else {
      ADD_FAILURE() << "unexpected instruction " << int(i.code);
      return -1;
    }
  }
  ADD_FAILURE() << "the program ran off its end";
  return -1;
}

void expect_program_matches_rules(const std::vector<DeviceRule>& rules) {
  const auto prog = v2::device_filter_program(rules);
  const char* accesses[] = {"m", "r", "w", "rw", "rm", "wm", "rwm"};
  for (char type : {'c', 'b'})
    for (uint32_t major : {1u, 5u, 7u, 8u, 136u, 254u})
      for (uint32_t minor : {0u, 1u, 2u, 3u, 5u, 9u, 11u})
        for (const char* a : accesses) {
          uint32_t bits = 0;
          for (const char* c = a; *c; ++c)
            bits |= *c == 'm'   ? BPF_DEVCG_ACC_MKNOD
                    : *c == 'r' ? BPF_DEVCG_ACC_READ
                                : BPF_DEVCG_ACC_WRITE;
          const uint32_t t = type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
          EXPECT_EQ(run_program(prog, t, bits, major, minor) == 1,
                    device_allowed(rules, type, major, minor, a))
              << type << " " << major << ":" << minor << " " << a;
        }
}

TEST(V2DeviceFilter, DefaultRulesDecideAsTheRulesSay) {
  expect_program_matches_rules(default_device_rules());
}

TEST(V2DeviceFilter, PrivilegedAllowsEverything) {
  const auto prog = v2::device_filter_program(privileged_device_rules());
  EXPECT_EQ(run_program(prog, BPF_DEVCG_DEV_BLOCK, BPF_DEVCG_ACC_WRITE, 254, 0), 1);
  expect_program_matches_rules(privileged_device_rules());
}

TEST(V2DeviceFilter, LaterRulesWinAndPartialAccessIsHonoured) {
  auto rules = default_device_rules();
  rules.push_back({true, 'b', 7, 0, "r"});
  rules.push_back({true, 'c', 1, 11, "w"});
  rules.push_back({false, 'c', 1, 3, "w"});
  rules.push_back({true, 'a', 254, -1, "m"});
  expect_program_matches_rules(rules);
  const auto prog = v2::device_filter_program(rules);
  EXPECT_EQ(run_program(prog, BPF_DEVCG_DEV_BLOCK, BPF_DEVCG_ACC_READ, 7, 0), 1);
  EXPECT_EQ(run_program(prog, BPF_DEVCG_DEV_BLOCK, BPF_DEVCG_ACC_WRITE, 7, 0), 0);
  EXPECT_EQ(run_program(prog, BPF_DEVCG_DEV_CHAR, BPF_DEVCG_ACC_READ, 1, 3), 1);
  EXPECT_EQ(run_program(prog, BPF_DEVCG_DEV_CHAR, BPF_DEVCG_ACC_WRITE, 1, 3), 0);
}

TEST(V2DeviceFilter, NoRulesDenyEverything) {
  const auto prog = v2::device_filter_program({});
  EXPECT_EQ(run_program(prog, BPF_DEVCG_DEV_CHAR, BPF_DEVCG_ACC_READ, 1, 3), 0);
}

TEST(V2DeviceFilter, DryRunOnlyTracesTheAttachment) {
  TempDir tmp;
  const Fs fs(/*dry_run=*/true);
  TraceCapture capture;
  v2::attach_device_filter(fs, tmp.path(), default_device_rules());
  const auto lines = capture.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind("+ bpftool cgroup attach " + tmp.path() + " device id $PROG multi", 0),
            0u)
      << lines[0];
  EXPECT_NE(lines[0].find("deny a *:* rwm, allow c *:* m"), std::string::npos) << lines[0];
}

}  // namespace
}  // namespace mydocker
