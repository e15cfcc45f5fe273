// config.json -> InitConfig + Resources: every field checked, unknown and unsupported ones
// refused by name, mount options and resources converted as runc does.

#include "mydocker/oci/spec.hpp"

#include <gtest/gtest.h>
#include <linux/mount.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include <filesystem>

#include "mydocker/oci/mounts.hpp"
#include "mydocker/util/error.hpp"

namespace mydocker::oci {
namespace {

using nlohmann::json;

class OciSpecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bundle_ = std::filesystem::temp_directory_path() / ("oci-spec-" + std::to_string(::getpid()));
    std::filesystem::create_directories(bundle_ + "/rootfs");
  }
  void TearDown() override { std::filesystem::remove_all(bundle_); }
  json base() const {
    json c = default_spec(false, 0, 0);
    c["process"]["terminal"] = false;
    return c;
  }
  Spec parse(const json& c) const { return parse_spec(c, bundle_); }
  // The error parse() throws for `c`.
  std::string error(const json& c) const {
    try {
      parse(c);
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  }
  std::string bundle_;
};

// runc joins a relative root.path to the bundle and cleans it: the mounts are checked to stay
// below this string, which a "." or ".." left in it would make them all fail.
TEST_F(OciSpecTest, RootPathIsCleanedRelativeToTheBundle) {
  const std::string other = bundle_ + "-other";
  std::filesystem::create_directories(other + "/rootfs");
  const std::string name = std::filesystem::path(other).filename();
  const std::pair<std::string, std::string> cases[] = {
      {"./rootfs", bundle_ + "/rootfs"},
      {"rootfs/", bundle_ + "/rootfs"},
      {bundle_ + "//rootfs", bundle_ + "/rootfs"},
      {bundle_ + "/./rootfs/.", bundle_ + "/rootfs"},
      {"../" + name + "/rootfs", other + "/rootfs"},
  };
  for (const auto& [path, want] : cases) {
    json c = base();
    c["root"]["path"] = path;
    const Spec s = parse(c);
    EXPECT_EQ(s.root, want) << path;
    EXPECT_EQ(s.init.rootfs, want) << path;
  }
  std::filesystem::remove_all(other);
}

// runc cleans cgroupsPath too; a ".." leading out of where the path starts is refused (runc
// would stop it there without a word).
TEST_F(OciSpecTest, CgroupsPathIsCleanedAndMayNotLeaveItsStart) {
  const std::pair<std::string, std::string> cases[] = {
      {"./x", "x"}, {"x//y/", "x/y"}, {"x/../y", "y"}, {"/a/./b", "/a/b"}, {"", ""}};
  for (const auto& [path, want] : cases) {
    json c = base();
    c["linux"]["cgroupsPath"] = path;
    EXPECT_EQ(parse(c).cgroups_path, want) << path;
  }
  for (const char* bad : {"../x", "x/../../y", "/../x", ".", "x/..", "/"}) {
    json c = base();
    c["linux"]["cgroupsPath"] = bad;
    EXPECT_NE(error(c).find("linux.cgroupsPath"), std::string::npos) << bad << ": " << error(c);
  }
}

TEST_F(OciSpecTest, DefaultSpecBecomesTheInitConfig) {
  Spec s = parse(base());
  EXPECT_TRUE(s.init.oci);
  EXPECT_FALSE(s.init.die_with_parent) << "create exits before the container";
  EXPECT_EQ(s.root, bundle_ + "/rootfs");
  EXPECT_TRUE(s.init.readonly_rootfs);
  EXPECT_EQ(s.init.argv, std::vector<std::string>{"sh"});
  EXPECT_EQ(s.init.hostname, "mydocker");
  EXPECT_EQ(s.init.capabilities,
            (std::vector<std::string>{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}));
  ASSERT_EQ(s.init.rlimits.size(), 1u);
  EXPECT_EQ(s.init.rlimits[0], (std::vector<uint64_t>{RLIMIT_NOFILE, 1024, 1024}));
  EXPECT_TRUE(s.init.no_new_privs);
  EXPECT_EQ(s.init.rootfs_propagation, static_cast<unsigned long>(MS_SLAVE | MS_REC))
      << "runc's default: rslave";
  EXPECT_EQ(s.namespaces.size(), 5u);
  EXPECT_EQ(s.init.oci_mounts.size(), 7u);
  EXPECT_EQ(s.init.masked_paths.front(), "/proc/acpi");
  ASSERT_EQ(s.resources.devices.size(), 1u);
  EXPECT_FALSE(s.resources.devices[0].allow);
  EXPECT_EQ(s.resources.devices[0].type, 'a');
}

TEST_F(OciSpecTest, UnknownFieldsAreRefusedByName) {
  for (auto [path, field] : {std::pair{"/bogus", "bogus"},
                             {"/process/readOnly", "process.readOnly"},
                             {"/root/readOnly", "root.readOnly"},
                             {"/linux/resources/memory/limitt", "linux.resources.memory.limitt"},
                             {"/linux/foo", "linux.foo"}}) {
    json c = base();
    c[json::json_pointer(path)] = 1;
    EXPECT_NE(error(c).find(field), std::string::npos) << path << ": " << error(c);
    EXPECT_NE(error(c).find("unknown field"), std::string::npos) << error(c);
  }
}

TEST_F(OciSpecTest, UnsupportedSpecFieldsAreRefusedByName) {
  json rdt = base();
  rdt["linux"]["intelRdt"] = {{"closID", "a"}};
  EXPECT_NE(error(rdt).find("linux.intelRdt"), std::string::npos);
  json aa = base();
  aa["process"]["apparmorProfile"] = "x";
  EXPECT_NE(error(aa).find("process.apparmorProfile"), std::string::npos);
  json huge = base();
  huge["linux"]["resources"]["hugepageLimits"] = {{{"pageSize", "2MB"}, {"limit", 1}}};
  EXPECT_NE(error(huge).find("linux.resources.hugepageLimits"), std::string::npos);
  json idmap = base();
  idmap["mounts"][0]["options"] = {"idmap"};
  EXPECT_NE(error(idmap).find("idmap"), std::string::npos);
  json copyup = base();  // runc's and crun's tmpcopyup: for tmpfs (podman's --read-only)
  copyup["mounts"].push_back({{"destination", "/run"},
                              {"type", "tmpfs"},
                              {"source", "tmpfs"},
                              {"options", {"nosuid", "tmpcopyup", "size=1m"}}});
  EXPECT_EQ(error(copyup), "(no error)");
  copyup["mounts"].back()["type"] = "proc";
  EXPECT_NE(error(copyup).find("tmpcopyup applies to tmpfs mounts only"), std::string::npos);
  json time_ns = base();
  time_ns["linux"]["namespaces"].push_back({{"type", "time"}});
  EXPECT_NE(error(time_ns).find("time"), std::string::npos);
}

TEST_F(OciSpecTest, BadValuesNameFieldAndValue) {
  json env = base();
  env["process"]["env"] = {"NOEQUALS"};
  EXPECT_NE(error(env).find("NOEQUALS"), std::string::npos);
  json cwd = base();
  cwd["process"]["cwd"] = "relative";
  EXPECT_NE(error(cwd).find("process.cwd"), std::string::npos);
  json cap = base();
  cap["process"]["capabilities"]["bounding"] = {"CAP_BOGUS"};
  EXPECT_NE(error(cap).find("CAP_BOGUS"), std::string::npos);
  json rl = base();
  rl["process"]["rlimits"] = {{{"type", "RLIMIT_BOGUS"}, {"soft", 1}, {"hard", 1}}};
  EXPECT_NE(error(rl).find("RLIMIT_BOGUS"), std::string::npos);
  json type = base();
  type["process"]["args"] = "sh";
  EXPECT_NE(error(type).find("process.args"), std::string::npos);
  json root = base();
  root["root"]["path"] = "missing";
  EXPECT_NE(error(root).find("root.path"), std::string::npos);
  json version = base();
  version["ociVersion"] = "2.0.0";
  EXPECT_NE(error(version).find("ociVersion"), std::string::npos);
  json hook = base();
  hook["hooks"] = {{"prestart", {{{"path", "relative"}}}}};
  EXPECT_NE(error(hook).find("hooks.prestart[0].path"), std::string::npos);
  json timeout = base();
  timeout["hooks"] = {{"poststop", {{{"path", "/bin/true"}, {"timeout", 0}}}}};
  EXPECT_NE(error(timeout).find("timeout"), std::string::npos);
}

TEST_F(OciSpecTest, NamespaceRules) {
  json maps = base();
  maps["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
  EXPECT_NE(error(maps).find("user namespace"), std::string::npos) << error(maps);
  json dup = base();
  dup["linux"]["namespaces"].push_back({{"type", "pid"}});
  EXPECT_NE(error(dup).find("twice"), std::string::npos);
  json no_mnt = base();
  no_mnt["linux"]["namespaces"] = {{{"type", "pid"}}};
  EXPECT_NE(error(no_mnt).find("mount namespace"), std::string::npos);
  json host_uts = base();  // a hostname needs its own uts namespace
  host_uts["linux"]["namespaces"] = {{{"type", "mount"}}};
  EXPECT_NE(error(host_uts).find("hostname"), std::string::npos);
  json path = base();
  path["linux"]["namespaces"][1]["path"] = "/proc/self/ns/net";
  Spec s = parse(path);
  EXPECT_EQ(s.namespaces[1].type, CLONE_NEWNET);
  EXPECT_EQ(s.namespaces[1].path, "/proc/self/ns/net");
}

TEST_F(OciSpecTest, MountOptionsAsRuncTakesThem) {
  OciMount m;
  for (const char* o : {"rbind", "ro", "nosuid", "nodev", "rprivate", "rro", "rnoexec", "mode=755"})
    apply_mount_option(o, m, "mounts[0].options");
  EXPECT_EQ(m.flags,
            static_cast<unsigned long>(MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID | MS_NODEV));
  EXPECT_EQ(m.propagation, static_cast<unsigned long>(MS_PRIVATE | MS_REC));
  EXPECT_EQ(m.attr_set, uint64_t{MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC});
  EXPECT_EQ(m.data, "mode=755");
  apply_mount_option("rw", m, "x");
  EXPECT_EQ(m.flags & MS_RDONLY, 0u) << "the last word wins";
  json c = base();
  c["mounts"].push_back({{"destination", "/data"}, {"source", "rootfs"}, {"options", {"bind"}}});
  Spec s = parse(c);
  EXPECT_EQ(s.init.oci_mounts.back().type, "bind");
  EXPECT_EQ(s.init.oci_mounts.back().source, bundle_ + "/rootfs") << "relative to the bundle";
  json rel = base();
  rel["mounts"].push_back({{"destination", "data"}, {"type", "tmpfs"}, {"source", "tmpfs"}});
  EXPECT_NE(error(rel).find("destination"), std::string::npos);
  json missing = base();
  missing["mounts"].push_back(
      {{"destination", "/d"}, {"type", "bind"}, {"source", "/nonexistent-x"}});
  EXPECT_NE(error(missing).find("/nonexistent-x"), std::string::npos);
}

TEST_F(OciSpecTest, ResourcesAsTheCgroupDriversTakeThem) {
  Resources r = parse_resources(
      json::parse(R"({"memory":{"limit":104857600,"reservation":52428800,"swappiness":10},
        "cpu":{"shares":512,"quota":50000,"cpus":"0","mems":"0"},"pids":{"limit":0},
        "blockIO":{"weight":300,"throttleReadBpsDevice":[{"major":8,"minor":0,"rate":1048576}]},
        "devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":3,"access":"rw"}]})"),
      "resources");
  EXPECT_EQ(r.memory, 104857600);
  EXPECT_EQ(r.memory_swap, -1) << "no swap field: swap not limited (runc)";
  EXPECT_EQ(r.memory_reservation, 52428800);
  EXPECT_EQ(r.memory_swappiness, 10);
  EXPECT_TRUE(r.inherit_swappiness) << "runc leaves swappiness alone when none is given";
  EXPECT_EQ(r.cpu_shares, 512);
  EXPECT_EQ(r.cpu_quota, 50000);
  EXPECT_EQ(r.cpu_period, 100000) << "quota without a period: the default period";
  EXPECT_EQ(r.cpuset_cpus, "0");
  EXPECT_EQ(r.pids_limit, -1) << "0: unlimited";
  EXPECT_EQ(r.blkio_weight, 300);
  ASSERT_EQ(r.read_bps.size(), 1u);
  EXPECT_EQ(r.read_bps[0].major, 8u);
  EXPECT_EQ(r.read_bps[0].value, 1048576u);
  ASSERT_EQ(r.devices.size(), 2u);
  EXPECT_EQ(r.devices[1].text(), "c 1:3 rw");
  EXPECT_THROW(parse_resources(json::parse(R"({"memory":{"limit":1024}})"), "r"), Error);
  EXPECT_THROW(parse_resources(json::parse(R"({"memory":{"limit":104857600,"swap":1}})"), "r"),
               Error);
  EXPECT_THROW(parse_resources(json::parse(R"({"blockIO":{"weight":5}})"), "r"), Error);
  EXPECT_THROW(parse_resources(json::parse(R"({"devices":[{"allow":true,"access":"x"}]})"), "r"),
               Error);
}

TEST_F(OciSpecTest, FeaturesListWhatIsSupported) {
  json f = features();
  EXPECT_EQ(f["ociVersionMax"], kOciVersion);
  EXPECT_EQ(f["linux"]["cgroup"]["systemd"], false);
  auto& ns = f["linux"]["namespaces"];
  EXPECT_NE(std::find(ns.begin(), ns.end(), "user"), ns.end());
  EXPECT_EQ(std::find(ns.begin(), ns.end(), "time"), ns.end());
}

}  // namespace
}  // namespace mydocker::oci

namespace mydocker::oci {
namespace {

class OciSpecRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bundle_ = std::filesystem::temp_directory_path() / ("oci-rules-" + std::to_string(::getpid()));
    std::filesystem::create_directories(bundle_ + "/rootfs");
  }
  void TearDown() override { std::filesystem::remove_all(bundle_); }
  std::string error(const nlohmann::json& c) const {
    try {
      parse_spec(c, bundle_);
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  }
  std::string bundle_;
};

// runc's rule: a sysctl only in a namespace of the container's, never the host's kernel.
TEST_F(OciSpecRulesTest, SysctlsNeedTheirNamespace) {
  nlohmann::json c = default_spec(false, 0, 0);
  c["linux"]["sysctl"] = {{"vm.stat_interval", "2"}};
  EXPECT_NE(error(c).find("linux.sysctl.vm.stat_interval"), std::string::npos) << error(c);
  c["linux"]["sysctl"] = {{"kernel.msgmax", "8193"}};
  EXPECT_EQ(error(c), "(no error)") << "an ipc namespace of its own";
  c["linux"]["namespaces"] = {{{"type", "mount"}}, {{"type", "pid"}}};
  c.erase("hostname");
  EXPECT_NE(error(c).find("ipc namespace"), std::string::npos) << error(c);
  c["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
  EXPECT_NE(error(c).find("network namespace"), std::string::npos) << error(c);
}

TEST_F(OciSpecRulesTest, IdsOutOfRangeAreRefusedNotTruncated) {
  nlohmann::json c = default_spec(false, 0, 0);
  c["process"]["user"]["uid"] = 4294967296ULL;
  EXPECT_NE(error(c).find("process.user.uid"), std::string::npos) << error(c);
  c = default_spec(false, 0, 0);
  c["process"]["user"]["additionalGids"] = {4294967306ULL};
  EXPECT_NE(error(c).find("additionalGids"), std::string::npos) << error(c);
}

}  // namespace
}  // namespace mydocker::oci
