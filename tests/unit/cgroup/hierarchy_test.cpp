// The host's cgroup layout from mountinfo and /proc/self/cgroup text (no real /proc).

#include "mydocker/cgroup/hierarchy.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "unit/fake_cgroupfs.hpp"

namespace mydocker {
namespace {

using Strings = std::vector<std::string>;

// ---- parse_mountinfo ----

TEST(ParseMountinfo, ReadsTheFieldsOfALine) {
  // The example from the kernel's proc(5) documentation.
  auto mounts = parse_mountinfo(
      "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n");
  ASSERT_EQ(mounts.size(), 1u);
  const MountInfo& m = mounts[0];
  EXPECT_EQ(m.mount_id, 36);
  EXPECT_EQ(m.parent_id, 35);
  EXPECT_EQ(m.root, "/mnt1");
  EXPECT_EQ(m.mount_point, "/mnt2");
  EXPECT_EQ(m.fstype, "ext3");
  EXPECT_EQ(m.source, "/dev/root");
  EXPECT_EQ(m.super_options, (Strings{"rw", "errors=continue"}));
}

TEST(ParseMountinfo, ReadsACgroupV1Mount) {
  auto mounts = parse_mountinfo(
      "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:8 - cgroup "
      "cgroup rw,cpu,cpuacct\n");
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].root, "/");
  EXPECT_EQ(mounts[0].mount_point, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(mounts[0].fstype, "cgroup");
  EXPECT_EQ(mounts[0].source, "cgroup");
  EXPECT_EQ(mounts[0].super_options, (Strings{"rw", "cpu", "cpuacct"}));
}

TEST(ParseMountinfo, AcceptsZeroOrSeveralOptionalFields) {
  auto mounts = parse_mountinfo(
      "20 1 0:1 / /a rw - tmpfs tmpfs rw\n"
      "21 1 0:2 / /b rw shared:1 master:2 propagate_from:3 unbindable - tmpfs none rw,size=1k\n");
  ASSERT_EQ(mounts.size(), 2u);
  EXPECT_EQ(mounts[0].mount_point, "/a");
  EXPECT_EQ(mounts[0].fstype, "tmpfs");
  EXPECT_EQ(mounts[1].mount_point, "/b");
  EXPECT_EQ(mounts[1].fstype, "tmpfs");
  EXPECT_EQ(mounts[1].source, "none");
  EXPECT_EQ(mounts[1].super_options, (Strings{"rw", "size=1k"}));
}

TEST(ParseMountinfo, DecodesOctalEscapes) {
  auto mounts = parse_mountinfo(
      "40 1 0:5 /with\\040space /mnt/my\\040disk\\011tab\\134back\\012nl rw - ext4 "
      "/dev/my\\040dev rw\n");
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].root, "/with space");
  EXPECT_EQ(mounts[0].mount_point, "/mnt/my disk\ttab\\back\nnl");
  EXPECT_EQ(mounts[0].source, "/dev/my dev");
}

TEST(ParseMountinfo, DecodesAnEscapeAtTheEndOfAField) {
  auto mounts = parse_mountinfo("40 1 0:5 / /mnt/x\\040 rw - ext4 /dev/sda rw\n");
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].mount_point, "/mnt/x ");
}

TEST(ParseMountinfo, LeavesBackslashesThatAreNotEscapesAlone) {
  auto mounts = parse_mountinfo("40 1 0:5 / /mnt/a\\9b\\04 rw - ext4 /dev/sda rw\n");
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].mount_point, "/mnt/a\\9b\\04");
}

TEST(ParseMountinfo, SkipsMalformedLines) {
  auto mounts = parse_mountinfo(
      "garbage\n"
      "\n"
      "x 1 0:1 / /bad-id rw - tmpfs tmpfs rw\n"
      "1 y 0:1 / /bad-parent rw - tmpfs tmpfs rw\n"
      "22 1 0:1 / /no-separator rw tmpfs tmpfs rw\n"
      "23 1 0:1 / /too-few-after-dash rw - tmpfs tmpfs\n"
      "24 1 0:1 / - tmpfs tmpfs rw x y\n"
      "25 1 0:3 / /good rw - tmpfs tmpfs rw\n");
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].mount_id, 25);
  EXPECT_EQ(mounts[0].mount_point, "/good");
}

TEST(ParseMountinfo, HandlesTextWithoutATrailingNewline) {
  auto mounts = parse_mountinfo("25 1 0:3 / /good rw - tmpfs tmpfs rw");
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].super_options, (Strings{"rw"}));
}

TEST(ParseMountinfo, EmptyTextHasNoMounts) { EXPECT_TRUE(parse_mountinfo("").empty()); }

// ---- parse_proc_cgroup ----

TEST(ParseProcCgroup, ReadsEachHierarchy) {
  auto cgroups = parse_proc_cgroup(
      "9:name=systemd:/\n"
      "4:memory:/process_api/abc\n"
      "2:cpu,cpuacct:/user.slice\n"
      "0::/init.scope\n");
  ASSERT_EQ(cgroups.size(), 4u);
  EXPECT_EQ(cgroups[0].hierarchy_id, 9);
  EXPECT_EQ(cgroups[0].controllers, (Strings{"name=systemd"}));
  EXPECT_EQ(cgroups[0].path, "/");
  EXPECT_EQ(cgroups[1].hierarchy_id, 4);
  EXPECT_EQ(cgroups[1].controllers, (Strings{"memory"}));
  EXPECT_EQ(cgroups[1].path, "/process_api/abc");
  EXPECT_EQ(cgroups[2].controllers, (Strings{"cpu", "cpuacct"}));
  EXPECT_EQ(cgroups[2].path, "/user.slice");
  EXPECT_EQ(cgroups[3].hierarchy_id, 0);
  EXPECT_TRUE(cgroups[3].controllers.empty());
  EXPECT_EQ(cgroups[3].path, "/init.scope");
}

TEST(ParseProcCgroup, KeepsColonsInThePath) {
  auto cgroups = parse_proc_cgroup("4:memory:/a:b\n");
  ASSERT_EQ(cgroups.size(), 1u);
  EXPECT_EQ(cgroups[0].path, "/a:b");
}

TEST(ParseProcCgroup, SkipsMalformedLines) {
  auto cgroups = parse_proc_cgroup(
      "garbage\n"
      "4:memory\n"
      "x:memory:/\n"
      "-1:memory:/\n"
      "4:memory:relative\n"
      "4:memory:\n"
      "\n"
      "3:cpuset:/ok\n");
  ASSERT_EQ(cgroups.size(), 1u);
  EXPECT_EQ(cgroups[0].hierarchy_id, 3);
  EXPECT_EQ(cgroups[0].path, "/ok");
}

// ---- Hierarchy ----

TEST(Hierarchy, HasNamesItsControllers) {
  Hierarchy h;
  h.controllers = {"cpu", "cpuacct"};
  EXPECT_TRUE(h.has("cpu"));
  EXPECT_TRUE(h.has("cpuacct"));
  EXPECT_FALSE(h.has("cpuset"));
  EXPECT_FALSE(h.has("cpu,cpuacct"));
}

TEST(Hierarchy, DirJoinsTheMountPointAndTheCgroupPath) {
  Hierarchy h;
  h.mount_point = "/sys/fs/cgroup/memory";
  h.own_path = "/process_api/abc";
  EXPECT_EQ(h.dir("/"), "/sys/fs/cgroup/memory");
  EXPECT_EQ(h.dir("/a/b"), "/sys/fs/cgroup/memory/a/b");
  EXPECT_EQ(h.own_dir(), "/sys/fs/cgroup/memory/process_api/abc");
}

TEST(Hierarchy, DirMapsPathsBelowTheMountRoot) {
  // Inside a container the mount shows only its own subtree: root /docker/abc.
  Hierarchy h;
  h.mount_point = "/sys/fs/cgroup/memory";
  h.mount_root = "/docker/abc";
  h.own_path = "/docker/abc";
  EXPECT_EQ(h.dir("/docker/abc/x"), "/sys/fs/cgroup/memory/x");
  EXPECT_EQ(h.dir("/docker/abc/x/y"), "/sys/fs/cgroup/memory/x/y");
  EXPECT_EQ(h.dir("/docker/abc"), "/sys/fs/cgroup/memory");
  EXPECT_EQ(h.own_dir(), "/sys/fs/cgroup/memory");
  // A sibling whose name only starts like the root is not below it.
  EXPECT_EQ(h.dir("/docker/abcd"), "/sys/fs/cgroup/memory/docker/abcd");
}

TEST(CgroupModeText, NamesEachMode) {
  EXPECT_EQ(to_string(CgroupMode::kNone), "none");
  EXPECT_EQ(to_string(CgroupMode::kV1), "v1");
  EXPECT_EQ(to_string(CgroupMode::kHybrid), "hybrid");
  EXPECT_EQ(to_string(CgroupMode::kV2), "v2");
}

// ---- host_cgroups_from ----

// This machine's layout: cpu and cpuacct apart, a cgroup2 at /sys/fs/cgroup/unified.
const char* const kHybridMountinfo =
    "24 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup "
    "rw,xattr,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n";
const char* const kHybridProcCgroup =
    "9:name=systemd:/\n"
    "6:freezer:/\n"  // not mounted: left out
    "5:devices:/\n"
    "4:memory:/process_api/abc\n"
    "3:cpuset:/\n"
    "2:cpuacct:/\n"
    "1:cpu:/\n"
    "0::/\n";

TEST(HostCgroupsFrom, ThisMachinesLayoutIsHybridWithCpuAndCpuacctApart) {
  HostCgroups host = host_cgroups_from(kHybridMountinfo, kHybridProcCgroup);

  EXPECT_EQ(host.mode, CgroupMode::kHybrid);
  EXPECT_FALSE(host.why.empty());
  ASSERT_TRUE(host.unified.has_value());
  EXPECT_EQ(host.unified->mount_point, "/sys/fs/cgroup/unified");
  EXPECT_EQ(host.unified->own_path, "/");
  EXPECT_EQ(host.unified->id, 0);

  const Hierarchy* cpu = host.v1_hierarchy("cpu");
  const Hierarchy* cpuacct = host.v1_hierarchy("cpuacct");
  ASSERT_NE(cpu, nullptr);
  ASSERT_NE(cpuacct, nullptr);
  EXPECT_NE(cpu, cpuacct);
  EXPECT_EQ(cpu->mount_point, "/sys/fs/cgroup/cpu");
  EXPECT_EQ(cpuacct->mount_point, "/sys/fs/cgroup/cpuacct");
  EXPECT_EQ(cpu->id, 1);
  EXPECT_EQ(cpu->controllers, (Strings{"cpu"}));

  const Hierarchy* memory = host.v1_hierarchy("memory");
  ASSERT_NE(memory, nullptr);
  EXPECT_EQ(memory->mount_point, "/sys/fs/cgroup/memory");
  EXPECT_EQ(memory->own_path, "/process_api/abc");
  EXPECT_EQ(memory->own_dir(), "/sys/fs/cgroup/memory/process_api/abc");
  EXPECT_EQ(memory->mount_root, "/");

  ASSERT_NE(host.v1_hierarchy("cpuset"), nullptr);
  ASSERT_NE(host.v1_hierarchy("name=systemd"), nullptr);
  EXPECT_EQ(host.v1_hierarchy("name=systemd")->mount_point, "/sys/fs/cgroup/systemd");
  EXPECT_EQ(host.v1_hierarchy("freezer"), nullptr);
  EXPECT_EQ(host.v1_hierarchy("pids"), nullptr);
  EXPECT_EQ(host.v1.size(), 6u);  // systemd, devices, memory, cpuset, cpuacct, cpu
}

TEST(HostCgroupsFrom, CoMountedCpuAndCpuacctShareOneHierarchy) {
  HostCgroups host = host_cgroups_from(
      "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
      "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
      "4:memory:/user.slice\n"
      "2:cpu,cpuacct:/user.slice\n");

  EXPECT_EQ(host.mode, CgroupMode::kV1);
  EXPECT_FALSE(host.unified.has_value());
  const Hierarchy* cpu = host.v1_hierarchy("cpu");
  ASSERT_NE(cpu, nullptr);
  EXPECT_EQ(cpu, host.v1_hierarchy("cpuacct"));
  EXPECT_EQ(cpu->mount_point, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(cpu->controllers, (Strings{"cpu", "cpuacct"}));
  EXPECT_EQ(cpu->own_dir(), "/sys/fs/cgroup/cpu,cpuacct/user.slice");
  EXPECT_EQ(host.v1.size(), 2u);
}

TEST(HostCgroupsFrom, AMountStackedOverAHierarchyHidesIt) {
  // A private namespace binds the caller's own cgroup over the hierarchy's root.
  HostCgroups host = host_cgroups_from(
      "54 50 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
      "67 54 0:31 /job/7 /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
      "4:memory:/job/7\n");

  const Hierarchy* mem = host.v1_hierarchy("memory");
  ASSERT_NE(mem, nullptr);
  EXPECT_EQ(mem->mount_root, "/job/7");
  EXPECT_EQ(mem->own_dir(), "/sys/fs/cgroup/memory");
}

TEST(HostCgroupsFrom, AnotherFilesystemOverAHierarchyHidesItToo) {
  // Parsed in full only for cgroup mounts; the others by mount point (escapes decoded) and type.
  HostCgroups host = host_cgroups_from(
      "54 50 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
      "55 50 0:32 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
      "67 54 0:40 / /sys/fs/cgroup/memory rw shared:3 master:1 - tmpfs tmpfs rw\n"
      "68 50 0:41 / /mnt/a\\040b rw - tmpfs tmpfs rw\n"
      "not a mountinfo line\n",
      "4:memory:/\n1:cpu:/\n");
  EXPECT_EQ(host.v1_hierarchy("memory"), nullptr);
  ASSERT_NE(host.v1_hierarchy("cpu"), nullptr);
  EXPECT_EQ(host.v1_hierarchy("cpu")->mount_point, "/sys/fs/cgroup/cpu");
  const auto few = parse_mountinfo("68 50 0:41 / /mnt/a\\040b rw - tmpfs tmpfs rw\n", true);
  ASSERT_EQ(few.size(), 1u);
  EXPECT_EQ(few[0].mount_point, "/mnt/a b");
  EXPECT_EQ(few[0].fstype, "tmpfs");
  EXPECT_TRUE(few[0].root.empty());  // not parsed: not a cgroup mount
}

TEST(HostCgroupsFrom, OnlyACgroup2MountIsV2) {
  HostCgroups host = host_cgroups_from(
      "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 "
      "rw,nsdelegate,memory_recursiveprot\n",
      "0::/user.slice/x\n");

  EXPECT_EQ(host.mode, CgroupMode::kV2);
  EXPECT_TRUE(host.v1.empty());
  ASSERT_TRUE(host.unified.has_value());
  EXPECT_EQ(host.unified->mount_point, "/sys/fs/cgroup");
  EXPECT_EQ(host.unified->own_path, "/user.slice/x");
  EXPECT_EQ(host.unified->own_dir(), "/sys/fs/cgroup/user.slice/x");
  EXPECT_EQ(host.v1_hierarchy("cpu"), nullptr);
}

TEST(HostCgroupsFrom, ANamedHierarchyAloneDoesNotMakeV1) {
  // name=systemd carries no controller: with cgroup2 beside it the controllers are on v2.
  HostCgroups host = host_cgroups_from(
      "40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
      "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n",
      "1:name=systemd:/\n0::/\n");
  EXPECT_EQ(host.mode, CgroupMode::kV2);
  EXPECT_EQ(host.v1.size(), 1u);
}

TEST(HostCgroupsFrom, OnlyV1MountsIsV1) {
  HostCgroups host = host_cgroups_from(
      "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n", "4:memory:/\n");
  EXPECT_EQ(host.mode, CgroupMode::kV1);
  EXPECT_FALSE(host.unified.has_value());
}

TEST(HostCgroupsFrom, NoCgroupMountsIsNone) {
  HostCgroups host = host_cgroups_from(
      "24 30 0:22 / /sys rw - sysfs sysfs rw\n"
      "25 30 0:23 / /proc rw - proc proc rw\n",
      "4:memory:/\n0::/\n");
  EXPECT_EQ(host.mode, CgroupMode::kNone);
  EXPECT_TRUE(host.v1.empty());
  EXPECT_FALSE(host.unified.has_value());
  EXPECT_FALSE(host.why.empty());
}

TEST(HostCgroupsFrom, EmptyInputIsNone) {
  HostCgroups host = host_cgroups_from("", "");
  EXPECT_EQ(host.mode, CgroupMode::kNone);
}

TEST(HostCgroupsFrom, AMountOfTheCallersSubtreeMapsPathsBelowItsRoot) {
  // Inside a container: the host's /docker/abc is mounted at /sys/fs/cgroup/memory.
  HostCgroups host = host_cgroups_from(
      "35 31 0:32 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n",
      "4:memory:/docker/abc\n");

  const Hierarchy* memory = host.v1_hierarchy("memory");
  ASSERT_NE(memory, nullptr);
  EXPECT_EQ(memory->mount_root, "/docker/abc");
  EXPECT_EQ(memory->own_path, "/docker/abc");
  EXPECT_EQ(memory->dir("/docker/abc/x"), "/sys/fs/cgroup/memory/x");
  EXPECT_EQ(memory->own_dir(), "/sys/fs/cgroup/memory");
}

TEST(HostCgroupsFrom, IgnoresAMountThatDoesNotShowTheCallersCgroup) {
  // The only memory mount shows /other: the caller's /docker/abc is not visible through it.
  HostCgroups host =
      host_cgroups_from("35 31 0:32 /other /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
                        "4:memory:/docker/abc\n");
  EXPECT_EQ(host.v1_hierarchy("memory"), nullptr);
}

TEST(HostCgroupsFrom, PicksTheMountCarryingAllOfTheHierarchysControllers) {
  // cpu alone is not this hierarchy (cpu,cpuacct): the co-mount is the match.
  HostCgroups host = host_cgroups_from(
      "32 31 0:29 / /mnt/cpu-only rw - cgroup cgroup rw,cpu\n"
      "33 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n",
      "2:cpu,cpuacct:/\n");
  ASSERT_NE(host.v1_hierarchy("cpuacct"), nullptr);
  EXPECT_EQ(host.v1_hierarchy("cpuacct")->mount_point, "/sys/fs/cgroup/cpu,cpuacct");
}

TEST(HostCgroupsFrom, DecodesEscapedMountPoints) {
  HostCgroups host = host_cgroups_from(
      "35 31 0:32 / /mnt/cg\\040root/memory rw - cgroup cgroup rw,memory\n", "4:memory:/a\n");
  ASSERT_NE(host.v1_hierarchy("memory"), nullptr);
  EXPECT_EQ(host.v1_hierarchy("memory")->own_dir(), "/mnt/cg root/memory/a");
}

// ---- detect_host_cgroups / statfs_kind ----

TEST(DetectHostCgroups, ReadsSelfMountinfoAndCgroupUnderTheGivenProc) {
  const test::TempDir proc;
  std::filesystem::create_directories(proc.path() + "/self");
  test::put_file(proc.path() + "/self/mountinfo", kHybridMountinfo);
  test::put_file(proc.path() + "/self/cgroup", kHybridProcCgroup);

  HostCgroups host = detect_host_cgroups(Fs(), proc.path());

  EXPECT_EQ(host.mode, CgroupMode::kHybrid);
  ASSERT_NE(host.v1_hierarchy("memory"), nullptr);
  EXPECT_EQ(host.v1_hierarchy("memory")->own_path, "/process_api/abc");
}

TEST(DetectHostCgroups, FailsWhenProcIsMissing) {
  EXPECT_THROW((void)detect_host_cgroups(Fs(), "/no/such/proc/for/mydocker"), FsError);
}

TEST(StatfsKind, NamesTheFilesystemOrEmptyWhenUnreadable) {
  EXPECT_EQ(statfs_kind("/no/such/path/for/mydocker"), "");
  EXPECT_EQ(statfs_kind("/proc"), "other");
}

}  // namespace
}  // namespace mydocker
