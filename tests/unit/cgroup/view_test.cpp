// What a container sees at /sys/fs/cgroup: its own directory of each hierarchy it is in, under
// the name the hierarchy has on the host; nothing of the hierarchies it is not in.
#include <gtest/gtest.h>

#include <algorithm>

#include "mydocker/cgroup/record.hpp"

namespace mydocker {
namespace {

using Binds = std::vector<std::pair<std::string, std::string>>;

TEST(CgroupView, V1NamesEachHierarchyOnceWithTheContainersDirectory) {
  const HostCgroups host = host_cgroups_from(
      "30 25 0:26 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n"
      "32 25 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
      "35 25 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
      "36 25 0:33 / /sys/fs/cgroup/net_cls rw - cgroup cgroup rw,net_cls\n",
      "9:name=systemd:/\n4:memory:/a\n3:net_cls:/\n2:cpu,cpuacct:/a\n");
  CgroupRecord r;
  r.driver = CgroupMode::kV1;
  r.paths = {{"cpu", "/sys/fs/cgroup/cpu,cpuacct/a/mydocker-1"},
             {"cpuacct", "/sys/fs/cgroup/cpu,cpuacct/a/mydocker-1"},
             {"memory", "/sys/fs/cgroup/memory/a/mydocker-1"}};
  CgroupView v = cgroup_view_of(host, r);
  std::sort(v.v1.begin(), v.v1.end());  // compared as a set: the order is /proc/self/cgroup's
  EXPECT_EQ(v.v1, (Binds{{"cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct/a/mydocker-1"},
                         {"memory", "/sys/fs/cgroup/memory/a/mydocker-1"}}));
  EXPECT_EQ(v.v2, "");
}

TEST(CgroupView, V1DoesNotMistakeAMountPointThatPrefixesAnother) {
  const HostCgroups host = host_cgroups_from(
      "32 25 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
      "33 25 0:30 / /sys/fs/cgroup/cpuacct rw - cgroup cgroup rw,cpuacct\n",
      "2:cpu:/\n3:cpuacct:/\n");
  CgroupRecord r;
  r.driver = CgroupMode::kV1;
  r.paths = {{"cpuacct", "/sys/fs/cgroup/cpuacct/mydocker-1"}};
  EXPECT_EQ(cgroup_view_of(host, r).v1, (Binds{{"cpuacct", "/sys/fs/cgroup/cpuacct/mydocker-1"}}));
}

TEST(CgroupView, V2IsTheContainersOneDirectory) {
  const HostCgroups host =
      host_cgroups_from("30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", "0::/a\n");
  CgroupRecord r;
  r.driver = CgroupMode::kV2;
  r.dirs = {"/sys/fs/cgroup/a/mydocker/1"};
  const CgroupView v = cgroup_view_of(host, r);
  EXPECT_TRUE(v.v1.empty());
  EXPECT_EQ(v.v2, "/sys/fs/cgroup/a/mydocker/1");
}

TEST(CgroupView, NoCgroupsSeeNothing) {
  const CgroupView v = cgroup_view_of(HostCgroups{}, CgroupRecord{});
  EXPECT_TRUE(v.v1.empty());
  EXPECT_EQ(v.v2, "");
}

}  // namespace
}  // namespace mydocker
