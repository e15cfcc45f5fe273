// `mydocker info`: host_info() on fake hosts (a fake /proc/self with mountinfo, cgroup and ns/,
// and a fake cgroup tree), and format_host_info().
//
// host_info() also runs statfs("/sys/fs/cgroup") on this machine and appends what it says to
// "why": only the part before that suffix is asserted.

#include "mydocker/commands/info.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mydocker/cgroup/hierarchy.hpp"
#include "mydocker/format/host.hpp"
#include "unit/fake_cgroupfs.hpp"

namespace mydocker {
namespace {

using nlohmann::json;
using test::put_file;

const std::string kStateRoot = "/var/lib/mydocker-unit";
const std::string kOwn = "/payload.slice/session.scope";

class HostInfoTest : public test::FakeCgroupTest {
 protected:
  void SetUp() override {
    FakeCgroupTest::SetUp();
    proc_ = path("proc");
    std::filesystem::create_directories(proc_ + "/self/ns");
  }

  // The namespaces this fake process has: files under <proc>/self/ns.
  void add_namespaces(const std::vector<std::string>& names) {
    for (const auto& n : names) put_file(proc_ + "/self/ns/" + n, "");
  }

  // host_info() with <proc>/self/{mountinfo,cgroup} describing the fake tree.
  json info(const std::string& mountinfo, const std::string& proc_cgroup) {
    put_file(proc_ + "/self/mountinfo", mountinfo);
    put_file(proc_ + "/self/cgroup", proc_cgroup);
    return host_info(*fs_, kStateRoot, proc_);
  }
  json info() { return info(mountinfo_, proc_cgroup_); }

  // The hierarchy entry whose controllers include `controller` (null when none).
  static json hierarchy(const json& j, const std::string& controller) {
    for (const auto& h : j["cgroup"]["hierarchies"])
      for (const auto& c : h["controllers"])
        if (c == controller) return h;
    return nullptr;
  }

  // The problems' texts.
  static std::vector<std::string> problems(const json& j) {
    std::vector<std::string> out;
    for (const auto& p : j["problems"]) out.push_back(p["problem"].get<std::string>());
    return out;
  }

  static bool starts_with(const std::string& s, const std::string& prefix) {
    return s.rfind(prefix, 0) == 0;
  }

  // Every problem has a non-empty fix.
  static void expect_fixes(const json& j) {
    for (const auto& p : j["problems"]) {
      ASSERT_TRUE(p.contains("fix")) << p.dump();
      EXPECT_FALSE(p["fix"].get<std::string>().empty()) << p.dump();
    }
  }

  // Every v1 controller mydocker manages, the caller's memory cgroup in /process_api/abc, a
  // named systemd hierarchy and a cgroup2 mount: a hybrid host.
  void hybrid_with_every_controller() {
    add_v1("cpu");
    add_v1("cpuacct");
    add_v1("cpuset");
    add_v1("memory", "/process_api/abc");
    add_v1("pids");
    add_v1("blkio");
    add_v1("freezer");
    add_v1("devices");
    add_v1("name=systemd", "/", "systemd");
    add_v2();
  }

  std::string proc_;
};

// ---- (a) hybrid, every controller ----

TEST_F(HostInfoTest, HybridHostWithEveryControllerHasNoProblems) {
  hybrid_with_every_controller();

  const json j = info();

  EXPECT_EQ(j["cgroup"]["mode"], "hybrid");
  EXPECT_TRUE(starts_with(j["cgroup"]["why"].get<std::string>(),
                          host().why))  // before the statfs suffix
      << j["cgroup"]["why"];
  EXPECT_EQ(problems(j), std::vector<std::string>{});
  EXPECT_EQ(j["state_root"], kStateRoot);
}

TEST_F(HostInfoTest, HybridHostListsWhereContainersGoInEachManagedHierarchy) {
  hybrid_with_every_controller();

  const json j = info();

  EXPECT_EQ(j["cgroup"]["hierarchies"].size(), 9u);  // eight controllers and name=systemd
  EXPECT_EQ(hierarchy(j, "memory")["containers_under"], path("memory/process_api/abc"));
  EXPECT_EQ(hierarchy(j, "memory")["container_name"], "mydocker-<id>");
  EXPECT_EQ(hierarchy(j, "memory")["own_cgroup"], "/process_api/abc");
  EXPECT_EQ(hierarchy(j, "memory")["mount_point"], path("memory"));
  for (const std::string c : {"cpu", "cpuacct", "cpuset", "pids", "blkio", "freezer", "devices"})
    EXPECT_EQ(hierarchy(j, c)["containers_under"], path(c)) << c;
  const json systemd = hierarchy(j, "name=systemd");
  ASSERT_FALSE(systemd.is_null());
  EXPECT_FALSE(systemd.contains("containers_under"));  // not a controller mydocker uses
  EXPECT_EQ(j["cgroup"]["unified"]["mount_point"], path("unified"));
  EXPECT_FALSE(j["cgroup"].contains("placement_why"));
}

TEST_F(HostInfoTest, HybridHostFormatsModeHierarchiesAndNoProblems) {
  hybrid_with_every_controller();
  const json j = info();

  const std::string text = format_host_info(j);

  EXPECT_NE(text.find("Cgroup mode:   hybrid ("), std::string::npos) << text;
  EXPECT_NE(text.find("(cgroup2)     " + path("unified")), std::string::npos) << text;
  EXPECT_NE(text.find("  " + path("cpu") + "/mydocker-<id>\n"), std::string::npos) << text;
  EXPECT_NE(text.find("State root:    " + kStateRoot), std::string::npos) << text;
  EXPECT_NE(text.find("Problems:      none found"), std::string::npos) << text;
}

// ---- (b) v1 without pids and without swap accounting ----

TEST_F(HostInfoTest, V1HostWithoutPidsOrSwapAccountingListsBothProblemsWithFixes) {
  fs_->set_swap_accounting(false);
  add_v1("cpu,cpuacct");
  add_v1("cpuset");
  add_v1("memory");
  add_v1("blkio");
  add_v1("freezer");
  add_v1("devices");
  ASSERT_FALSE(fs_->exists(path("memory/memory.memsw.limit_in_bytes")));

  const json j = info();

  EXPECT_EQ(j["cgroup"]["mode"], "v1");
  EXPECT_FALSE(j["cgroup"].contains("unified"));
  const auto p = problems(j);
  ASSERT_EQ(p.size(), 2u) << j["problems"].dump(2);
  EXPECT_NE(p[0].find("'pids'"), std::string::npos) << p[0];
  EXPECT_NE(j["problems"][0]["fix"].get<std::string>().find("mount -t cgroup -o pids"),
            std::string::npos);
  EXPECT_NE(p[1].find("swap accounting"), std::string::npos) << p[1];
  EXPECT_NE(j["problems"][1]["fix"].get<std::string>().find("swapaccount=1"), std::string::npos);
  expect_fixes(j);
}

TEST_F(HostInfoTest, V1HostFormatsEachProblemWithItsFix) {
  fs_->set_swap_accounting(false);
  add_v1("cpu,cpuacct");
  add_v1("cpuset");
  add_v1("memory");
  add_v1("blkio");
  add_v1("freezer");
  add_v1("devices");
  const json j = info();

  const std::string text = format_host_info(j);

  EXPECT_NE(text.find("Cgroup mode:   v1 ("), std::string::npos) << text;
  EXPECT_NE(text.find("Problems:\n  - the cgroup v1 'pids' hierarchy is not mounted"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("    fix: boot the kernel with swapaccount=1\n"), std::string::npos) << text;
}

TEST_F(HostInfoTest, V1HostWhoseOwnCpusetIsEmptyReportsIt) {
  add_v1("cpu,cpuacct");
  add_v1("cpuset", "/job");
  add_v1("memory");
  add_v1("pids");
  add_v1("blkio");
  add_v1("freezer");
  add_v1("devices");
  make_cgroup_dirs(path("cpuset"), "/job");  // a new v1 cpuset: cpus and mems empty

  const json j = info();

  const auto p = problems(j);
  ASSERT_EQ(p.size(), 2u) << j["problems"].dump(2);
  EXPECT_NE(p[0].find("empty cpuset.cpus in " + path("cpuset/job")), std::string::npos) << p[0];
  EXPECT_NE(p[1].find("empty cpuset.mems in " + path("cpuset/job")), std::string::npos) << p[1];
  expect_fixes(j);
}

// ---- (c) pure v2 ----

TEST_F(HostInfoTest, PureV2HostExplainsPlacementAndListsAMissingController) {
  add_cgroup2(kOwn, "cpu io memory pids", "cpu io memory pids");  // no cpuset

  const json j = info();

  EXPECT_EQ(j["cgroup"]["mode"], "v2");
  EXPECT_TRUE(starts_with(j["cgroup"]["why"].get<std::string>(),
                          "a cgroup2 filesystem is mounted at " + path("cg2")))
      << j["cgroup"]["why"];
  EXPECT_NE(j["cgroup"]["placement_why"].get<std::string>().find("no internal processes"),
            std::string::npos);
  EXPECT_EQ(j["cgroup"]["controllers"], "cpu io memory pids");
  ASSERT_EQ(j["cgroup"]["hierarchies"].size(), 1u);
  const json& h = j["cgroup"]["hierarchies"][0];
  EXPECT_EQ(h["controllers"], json::array({"(all)"}));
  EXPECT_EQ(h["mount_point"], path("cg2"));
  EXPECT_EQ(h["own_cgroup"], kOwn);
  EXPECT_EQ(h["containers_under"], path("cg2/mydocker"));
  const auto p = problems(j);
  ASSERT_EQ(p.size(), 1u) << j["problems"].dump(2);
  EXPECT_NE(p[0].find("'cpuset'"), std::string::npos) << p[0];
  EXPECT_NE(j["problems"][0]["fix"].get<std::string>().find("Delegate=yes"), std::string::npos);
}

TEST_F(HostInfoTest, PureV2HostWithEveryControllerAndSwapHasNoProblems) {
  add_cgroup2(kOwn, test::FakeCgroupFs::kAllV2Controllers, test::FakeCgroupFs::kAllV2Controllers);

  const json j = info();

  EXPECT_EQ(j["cgroup"]["mode"], "v2");
  EXPECT_EQ(problems(j), std::vector<std::string>{});
}

TEST_F(HostInfoTest, PureV2HostWithoutSwapAccountingSaysSo) {
  fs_->set_swap_accounting(false);
  add_cgroup2(kOwn, test::FakeCgroupFs::kAllV2Controllers, test::FakeCgroupFs::kAllV2Controllers);
  ASSERT_FALSE(fs_->exists(path("cg2") + kOwn + "/memory.swap.max"));

  const json j = info();

  const auto p = problems(j);
  ASSERT_EQ(p.size(), 1u) << j["problems"].dump(2);
  EXPECT_NE(p[0].find("no swap accounting (memory.swap.max is missing)"), std::string::npos)
      << p[0];
  expect_fixes(j);
}

TEST_F(HostInfoTest, PureV2HostFormatsControllersAndPlacement) {
  add_cgroup2(kOwn, "cpu io memory pids", "cpu io memory pids");
  const json j = info();

  const std::string text = format_host_info(j);

  EXPECT_NE(text.find("Cgroup mode:   v2 ("), std::string::npos) << text;
  EXPECT_NE(text.find("Controllers:   cpu io memory pids\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  " + path("cg2/mydocker") + "/<id>\n"), std::string::npos) << text;
  EXPECT_NE(text.find("no internal processes"), std::string::npos) << text;
  EXPECT_EQ(text.find("(cgroup2)"), std::string::npos) << text;  // only on hybrid hosts
  EXPECT_NE(text.find("Problems:\n  - the cgroup v2 'cpuset' controller"), std::string::npos)
      << text;
}

// ---- (d) no cgroup filesystem ----

TEST_F(HostInfoTest, HostWithoutCgroupMountsHasModeNoneAndAProblem) {
  const std::string mountinfo =
      "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
      "23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:2 - proc proc rw\n";

  const json j = info(mountinfo, "0::/\n");

  EXPECT_EQ(j["cgroup"]["mode"], "none");
  EXPECT_TRUE(j["cgroup"]["hierarchies"].empty());
  EXPECT_FALSE(j["cgroup"].contains("unified"));
  const auto p = problems(j);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("no cgroup filesystem is mounted"), std::string::npos) << p[0];
  expect_fixes(j);
  const std::string text = format_host_info(j);
  EXPECT_NE(text.find("Cgroup mode:   none ("), std::string::npos) << text;
  EXPECT_NE(text.find("Problems:\n  - no cgroup filesystem is mounted"), std::string::npos) << text;
}

// ---- namespaces ----

TEST_F(HostInfoTest, NamespacesAreTheFilesInProcSelfNs) {
  hybrid_with_every_controller();
  add_namespaces({"uts", "pid", "mnt", "ipc", "net", "user", "cgroup"});  // no time namespace

  const json j = info();

  EXPECT_EQ(j["namespaces"], (json{{"uts", true},
                                   {"pid", true},
                                   {"mnt", true},
                                   {"ipc", true},
                                   {"net", true},
                                   {"user", true},
                                   {"cgroup", true},
                                   {"time", false}}));
  const std::string text = format_host_info(j);
  EXPECT_NE(text.find(" time(missing)"), std::string::npos) << text;
  EXPECT_EQ(text.find(" uts(missing)"), std::string::npos) << text;
}

}  // namespace
}  // namespace mydocker
