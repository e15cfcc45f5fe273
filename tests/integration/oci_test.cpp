// The OCI runtime (`mydocker oci`, runc's command line) against the runtime-spec's MUSTs that
// mydocker supports, on real namespaces and cgroups: the lifecycle and its state transitions,
// errors, hooks (order, state on stdin, failure, timeout), namespaces joined by path, masked
// and read-only paths, rlimits, capabilities, sysctl, devices, user mappings, a memory limit
// proven by the OOM killer, the console socket, exec, pause, update, kill -9 of create.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/fanotify.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "integration/harness.hpp"
#include "mydocker/oci/spec.hpp"
#include "mydocker/util/fd.hpp"

namespace itest {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr const char* kCgroupParent = "mydocker-oci-itest";

// Every cgroup directory named kCgroupParent in this process's v1/v2 hierarchies.
std::vector<std::string> oci_cgroups() {
  auto r = run({"find", "/sys/fs/cgroup", "-type", "d", "-name", kCgroupParent});
  return lines(r.out);
}

// Mounts a test made, unmounted (last first) however the test ends.
struct Unmount {
  std::vector<std::string> paths;
  ~Unmount() {
    for (auto it = paths.rbegin(); it != paths.rend(); ++it) ::umount2(it->c_str(), MNT_DETACH);
  }
};

class OciTest : public IntegrationTest {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) return;
    char tmpl[] = "/tmp/mydocker-oci-rootfs-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    rootfs_ = tmpl;
    fs::permissions(rootfs_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec |
                                 fs::perms::group_read | fs::perms::others_read);
    for (const char* d : {"bin", "proc", "sys", "dev", "etc", "tmp", "shared"})
      fs::create_directories(rootfs_ + "/" + d);
    fs::copy_file("/bin/busybox", rootfs_ + "/bin/busybox");
    fs::copy_file(example("alloc"), rootfs_ + "/bin/alloc");
    for (const auto& applet : lines(run({"/bin/busybox", "--list"}).out))
      if (applet != "busybox") fs::create_symlink("busybox", rootfs_ + "/bin/" + applet);
  }
  static void TearDownTestSuite() {
    if (!rootfs_.empty()) fs::remove_all(rootfs_);
  }

  void SetUp() override {
    IntegrationTest::SetUp();
    if (IsSkipped()) return;
    oci_root_ = root() + "/oci";
    shared_ = root() + "/shared";
    fs::create_directories(shared_);
    ASSERT_TRUE(oci_cgroups().empty()) << "cgroups of an earlier run: " << oci_cgroups().front();
  }
  void TearDown() override {
    if (!oci_root_.empty()) {
      for (const auto& id : lines(oci({"list", "-q"}).out)) oci({"delete", "--force", id});
      EXPECT_TRUE(lines(run({"find", oci_root_, "-mindepth", "1", "-type", "d"}).out).empty())
          << "state left in " << oci_root_;
      EXPECT_TRUE(oci_cgroups().empty()) << "cgroups left: " << oci_cgroups().front();
      for (const auto& d : oci_cgroups()) run({"rmdir", d});
    }
    IntegrationTest::TearDown();
  }

  // A config: busybox's root (read-only, shared by the tests), `args`, no terminal, the
  // container's cgroup below kCgroupParent, and the test's host directory at /shared.
  json config(const std::vector<std::string>& args, const std::string& id = "c1") const {
    json c = mydocker::oci::default_spec(false, 0, 0);
    c["process"]["terminal"] = false;
    c["process"]["args"] = args;
    c["root"]["path"] = rootfs_;
    c["linux"]["cgroupsPath"] = std::string(kCgroupParent) + "/" + id;
    c["mounts"].push_back({{"destination", "/shared"},
                           {"type", "bind"},
                           {"source", shared_},
                           {"options", {"rbind", "rw"}}});
    return c;
  }
  // A bundle directory holding `c` as its config.json.
  std::string bundle(const json& c, const std::string& name = "b") const {
    const std::string dir = root() + "/" + name;
    fs::create_directories(dir);
    std::ofstream(dir + "/config.json") << c.dump(2);
    return dir;
  }
  Result oci(std::vector<std::string> a, Options opt = {}) const {
    a.insert(a.begin(), {mydocker(), "oci", "--root", oci_root_});
    return run(a, opt);
  }
  // `run -d`: the container keeps create's stdio, as with runc; /dev/null for them, so that
  // waiting for our output's end does not wait for the container.
  Result oci_detached(std::vector<std::string> a) const {
    a.insert(a.begin(),
             {"sh", "-c", "exec \"$@\" </dev/null >/dev/null 2>" + root() + "/detached.err", "sh",
              mydocker(), "oci", "--root", oci_root_});
    Result r = run(a);
    r.err = read_file(root() + "/detached.err");
    return r;
  }
  json state(const std::string& id) const {
    auto r = oci({"state", id});
    return json::parse(r.out, nullptr, false);
  }
  std::string shared(const std::string& file) const { return read_file(shared_ + "/" + file); }
  // Waits until `path` exists (a marker the container writes).
  static bool wait_file(const std::string& path, std::chrono::milliseconds limit = 5s) {
    for (auto end = std::chrono::steady_clock::now() + limit;
         std::chrono::steady_clock::now() < end; std::this_thread::sleep_for(10ms))
      if (exists(path)) return true;
    return false;
  }

  static std::string rootfs_;
  std::string oci_root_, shared_;
};
std::string OciTest::rootfs_;

TEST_F(OciTest, LifecycleCreateStartStateDelete) {
  const std::string b = bundle(config({"sh", "-c", "echo ran > /shared/marker; exec sleep 100"}));
  auto created = oci_detached({"create", "--bundle", b, "--pid-file", root() + "/pid", "c1"});
  ASSERT_EQ(created.status, 0) << created.err;
  json st = state("c1");
  EXPECT_EQ(st["status"], "created");
  EXPECT_EQ(st["id"], "c1");
  EXPECT_EQ(st["bundle"], fs::canonical(b).string());
  EXPECT_EQ(st["ociVersion"].get<std::string>().substr(0, 2), "1.");
  ASSERT_TRUE(st.contains("pid"));
  EXPECT_EQ(std::to_string(st["pid"].get<int>()), read_file(root() + "/pid"));
  // create MUST NOT run the user's process.
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(exists(shared_ + "/marker")) << "the process ran before start";
  ASSERT_EQ(oci({"start", "c1"}).status, 0);
  ASSERT_TRUE(wait_file(shared_ + "/marker"));
  EXPECT_EQ(state("c1")["status"], "running");
  EXPECT_NE(oci({"start", "c1"}).status, 0) << "start of a running container";
  ASSERT_EQ(oci({"kill", "c1", "KILL"}).status, 0);
  for (int i = 0; i < 100 && state("c1")["status"] != "stopped"; ++i)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(state("c1")["status"], "stopped");
  EXPECT_FALSE(state("c1").contains("pid"));
  EXPECT_NE(oci({"kill", "c1", "TERM"}).status, 0) << "kill of a stopped container";
  ASSERT_EQ(oci({"delete", "c1"}).status, 0);
  auto gone = oci({"state", "c1"});
  EXPECT_NE(gone.status, 0);
  EXPECT_NE(gone.err.find("does not exist"), std::string::npos) << gone.err;
}

TEST_F(OciTest, ErrorsForDuplicateMissingRunningAndBadInput) {
  const std::string b = bundle(config({"sleep", "100"}));
  ASSERT_EQ(oci_detached({"create", "-b", b, "c1"}).status, 0);
  auto dup = oci({"create", "-b", b, "c1"});
  EXPECT_NE(dup.status, 0);
  EXPECT_NE(dup.err.find("already exists"), std::string::npos) << dup.err;
  EXPECT_EQ(state("c1")["status"], "created") << "the duplicate touched the first";
  for (const char* cmd : {"start", "state", "kill", "pause", "resume", "ps", "delete"}) {
    auto r = oci({cmd, "nope"});
    EXPECT_NE(r.status, 0) << cmd;
    EXPECT_NE(r.err.find("does not exist"), std::string::npos) << cmd << ": " << r.err;
  }
  ASSERT_EQ(oci({"start", "c1"}).status, 0);
  auto del = oci({"delete", "c1"});
  EXPECT_NE(del.status, 0) << "delete of a running container without --force";
  EXPECT_EQ(state("c1")["status"], "running");
  EXPECT_EQ(oci({"delete", "--force", "c1"}).status, 0);
  EXPECT_EQ(oci({"delete", "--force", "c1"}).status, 0) << "--force of a missing one is fine";
  // Bad config.json: an unknown field, a missing root, a spec field mydocker cannot apply.
  json unknown = config({"true"});
  unknown["linux"]["bogus"] = 1;
  json no_root = config({"true"});
  no_root["root"]["path"] = "/nonexistent-rootfs";
  json rdt = config({"true"});
  rdt["linux"]["intelRdt"] = {{"closID", "x"}};
  json host_root = config({"true"});
  host_root["root"]["path"] = "/";
  for (auto [cfg, field] : {std::pair{unknown, "linux.bogus"},
                            {no_root, "root.path"},
                            {rdt, "linux.intelRdt"},
                            {host_root, "is the host's root directory"}}) {
    auto r = oci({"create", "-b", bundle(cfg, "bad"), "c2"});
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find(field), std::string::npos) << r.err;
  }
  for (const char* cmd : {"checkpoint", "restore"}) {  // CRIU's: said so, not "unknown"
    auto r = oci({cmd, "c1"});
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("not supported by mydocker"), std::string::npos) << r.err;
  }
  auto not_json = oci({"create", "-b", bundle(json("x"), "bad2"), "c2"});
  EXPECT_NE(not_json.status, 0);
  EXPECT_FALSE(exists(oci_root_ + "/c2")) << "a failed create left its state";
}

// The init's error over the pipe's 64 KiB (here the message refusing a 70000 character
// hostname) blocked its write while create waited for it on the sync socket: create hung.
TEST_F(OciTest, AnInitErrorLongerThanThePipeFailsCreateWithoutHanging) {
  json c = config({"true"});
  c["hostname"] = std::string(70000, 'h');
  Options quick;
  quick.timeout_s = 20;
  auto r = oci({"create", "-b", bundle(c), "c1"}, quick);
  ASSERT_FALSE(r.timed_out) << "create hung";
  EXPECT_EQ(r.status, 125);
  EXPECT_NE(r.err.find("truncated"), std::string::npos) << r.err.substr(0, 300);
  EXPECT_NE(r.err.find("hh: Invalid argument"), std::string::npos) << "the reason is kept";
  EXPECT_LT(r.err.size(), 8192u);
  EXPECT_FALSE(exists(oci_root_ + "/c1"));
}

TEST_F(OciTest, ErrorsGoToTheLogAsJson) {
  const std::string log = root() + "/log.json";
  auto r = run({mydocker(), "oci", "--root", oci_root_, "--log", log, "--log-format", "json",
                "start", "missing"});
  EXPECT_NE(r.status, 0);
  json line = json::parse(lines(read_file(log)).at(0), nullptr, false);
  ASSERT_FALSE(line.is_discarded()) << read_file(log);
  EXPECT_EQ(line["level"], "error");
  EXPECT_NE(line["msg"].get<std::string>().find("does not exist"), std::string::npos);
  EXPECT_TRUE(line.contains("time"));
}

TEST_F(OciTest, HooksRunInOrderWithTheStateAndFailuresStopTheStep) {
  const std::string hook = root() + "/hook.sh";
  std::ofstream(hook) << "#!/bin/sh\nread -r state\necho \"$1 $state\" >> " + shared_ + "/order\n";
  fs::permissions(hook, fs::perms::owner_all);
  auto h = [&](const char* name) { return json{{"path", hook}, {"args", {"hook.sh", name}}}; };
  json c = config({"true"});
  c["hooks"] = {
      {"prestart", {h("prestart")}},
      {"createRuntime", {h("createRuntime")}},
      {"createContainer", {h("createContainer")}},
      {"startContainer",
       {{{"path", "/bin/sh"},
         {"args", {"sh", "-c", "read -r s; echo \"startContainer $s\" >> /shared/order"}}}}},
      {"poststart", {h("poststart")}},
      {"poststop", {h("poststop")}}};
  auto r = oci({"run", "-b", bundle(c), "c1"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto order = lines(shared("order"));
  ASSERT_EQ(order.size(), 6u) << shared("order");
  const char* expected[] = {"prestart",       "createRuntime", "createContainer",
                            "startContainer", "poststart",     "poststop"};
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(order[i].rfind(expected[i], 0), 0u) << order[i];
  // The state on stdin: the container's id and, for poststop, "stopped".
  EXPECT_NE(order[0].find("\"id\":\"c1\""), std::string::npos) << order[0];
  EXPECT_NE(order[5].find("\"status\":\"stopped\""), std::string::npos) << order[5];
  EXPECT_NE(order[3].find("\"status\":\"created\""), std::string::npos) << order[3];
  // The runtime-spec's state, not the runtime's record (its cgroup paths, the init's start).
  for (size_t i : {0, 1, 2}) {
    EXPECT_NE(order[i].find("\"status\":\"creating\""), std::string::npos) << order[i];
    EXPECT_NE(order[i].find("\"pid\":"), std::string::npos) << order[i];
    EXPECT_EQ(order[i].find("cgroup"), std::string::npos) << order[i];
    EXPECT_EQ(order[i].find("pid_start"), std::string::npos) << order[i];
  }
  // A failing createRuntime hook fails create, which leaves nothing.
  json bad = config({"true"});
  bad["hooks"] = {
      {"createRuntime", {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "echo no >&2; exit 3"}}}}}};
  auto failed = oci({"create", "-b", bundle(bad, "bad"), "c2"});
  EXPECT_NE(failed.status, 0);
  EXPECT_NE(failed.err.find("createRuntime"), std::string::npos) << failed.err;
  EXPECT_FALSE(exists(oci_root_ + "/c2"));
  EXPECT_TRUE(oci_cgroups().empty());
  // A hook past its timeout is killed and fails the step.
  json slow = config({"true"});
  slow["hooks"] = {
      {"prestart", {{{"path", "/bin/sleep"}, {"args", {"sleep", "30"}}, {"timeout", 1}}}}};
  auto t0 = std::chrono::steady_clock::now();
  auto timed = oci({"create", "-b", bundle(slow, "slow"), "c3"});
  EXPECT_NE(timed.status, 0);
  EXPECT_NE(timed.err.find("timed out"), std::string::npos) << timed.err;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
}

TEST_F(OciTest, NamespacesJoinedByPath) {
  ASSERT_EQ(
      oci_detached({"run", "-d", "-b", bundle(config({"sleep", "100"}, "a"), "a"), "a"}).status, 0);
  const int a = state("a")["pid"];
  json c = config({"sh", "-c", "hostname; exec sleep 100"}, "b");
  c.erase("hostname");
  for (auto& ns : c["linux"]["namespaces"])
    if (ns["type"] == "network" || ns["type"] == "uts")
      ns["path"] =
          "/proc/" + std::to_string(a) + "/ns/" + (ns["type"] == "network" ? "net" : "uts");
  ASSERT_EQ(oci_detached({"run", "-d", "-b", bundle(c, "b"), "b"}).status, 0);
  const int b = state("b")["pid"];
  auto ns = [](int pid, const char* name) {
    return fs::read_symlink("/proc/" + std::to_string(pid) + "/ns/" + name).string();
  };
  EXPECT_EQ(ns(a, "net"), ns(b, "net"));
  EXPECT_EQ(ns(a, "uts"), ns(b, "uts"));
  EXPECT_NE(ns(a, "pid"), ns(b, "pid")) << "a new one where no path is given";
  EXPECT_NE(ns(b, "net"), fs::read_symlink("/proc/self/ns/net").string());
}

// A new cgroup namespace (podman's default on cgroup v2) is rooted at the container's own
// cgroups, for its process and for exec's: runc unshares it once the init is inside them. Made
// at the clone it would be rooted at the runtime's cgroup, and /proc/self/cgroup would name
// paths below it (or "/.." ones) that the container's /sys/fs/cgroup does not show.
TEST_F(OciTest, ACgroupNamespaceIsRootedAtTheContainersCgroups) {
  json c = config({"sh", "-c", "cat /proc/self/cgroup > /shared/init.cg; exec sleep 100"});
  c["linux"]["namespaces"].push_back({{"type", "cgroup"}});
  ASSERT_EQ(oci_detached({"run", "-d", "-b", bundle(c), "c1"}).status, 0);
  ASSERT_TRUE(wait_file(shared_ + "/init.cg"));
  auto r = oci({"exec", "c1", "cat", "/proc/self/cgroup"});
  EXPECT_EQ(r.status, 0) << r.err;
  const std::string seen = shared("init.cg") + r.out;
  ASSERT_GE(lines(seen).size(), 2u) << seen;
  for (const auto& line : lines(seen)) EXPECT_EQ(line.substr(line.rfind(':')), ":/") << seen;
  const int pid = state("c1")["pid"];
  EXPECT_NE(fs::read_symlink("/proc/" + std::to_string(pid) + "/ns/cgroup"),
            fs::read_symlink("/proc/self/ns/cgroup"));
}

TEST_F(OciTest, MaskedReadonlyPathsRlimitsCapabilitiesSysctl) {
  json c =
      config({"sh", "-c",
              "echo keys=$(wc -c < /proc/keys); echo host=$(hostname); "
              "echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo sys=rw || echo sys=ro; "
              "echo nofile=$(ulimit -n); echo fwd=$(cat /proc/sys/net/ipv4/ip_forward); "
              "grep CapBnd /proc/self/status; "
              "touch /tmp/x 2>/dev/null; chown 5 /shared/f && echo chown=ok || echo chown=denied"});
  c["root"]["readonly"] = false;
  c["hostname"] = "ocihost";
  c["mounts"].push_back({{"destination", "/tmp"}, {"type", "tmpfs"}, {"source", "tmpfs"}});
  c["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 123}, {"hard", 456}}};
  c["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
  // CAP_KILL only: no CAP_CHOWN.
  for (const char* set : {"bounding", "effective", "permitted"})
    c["process"]["capabilities"][set] = {"CAP_KILL"};
  std::ofstream(shared_ + "/f") << "x";
  auto r = oci({"run", "-b", bundle(c), "c1"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("keys=0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("host=ocihost\n"), std::string::npos) << "the bundle's hostname: " << r.out;
  EXPECT_NE(r.out.find("sys=ro"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nofile=123"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("fwd=1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CapBnd:\t0000000000000020"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("chown=denied"), std::string::npos) << r.out;
  // With CAP_CHOWN the same chown works: the denial above was the capability.
  for (const char* set : {"bounding", "effective", "permitted"})
    c["process"]["capabilities"][set] = {"CAP_KILL", "CAP_CHOWN"};
  auto ok = oci({"run", "-b", bundle(c, "b2"), "c2"});
  EXPECT_NE(ok.out.find("chown=ok"), std::string::npos) << ok.out << ok.err;
}

// A bundle that joins the runtime's own network or uts namespace by path (the host's, for a
// shim) must not set its sysctls or hostname: runc's checkHostNs. (The runtime runs in
// namespaces of the test's own here, so that a regression changes nothing of the host's.) One
// that joins another namespace sets them there.
std::string ns_of(const std::string& path) {
  char buf[256] = {};
  const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

TEST_F(OciTest, SysctlsAndHostnameNeverReachTheRuntimesOwnNamespaces) {
  auto with_ns = [&](json c, const std::string& type, const std::string& path) {
    for (auto& n : c["linux"]["namespaces"])
      if (n["type"] == type) n["path"] = path;
    return c;
  };
  auto in_own_ns = [&](const std::string& dir, const std::string& id) {
    return run({"unshare", "--net", "--uts", mydocker(), "oci", "--root", oci_root_, "run", "-b",
                dir, id});
  };
  json net = config({"true"}, "n1");
  net["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
  auto r = in_own_ns(bundle(with_ns(net, "network", "/proc/self/ns/net"), "bn"), "n1");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("net.ipv4.ip_forward\" needs a network namespace of the container's (not "
                       "the host's)"),
            std::string::npos)
      << r.err;
  json uts = config({"true"}, "u1");
  uts["hostname"] = "hijacked";
  r = in_own_ns(bundle(with_ns(uts, "uts", "/proc/self/ns/uts"), "bu"), "u1");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("(not the host's)"), std::string::npos) << r.err;
  // Another namespace, held by a process of the test's: the sysctl lands there.
  Background holder({"unshare", "--net", "sleep", "30"}, {});
  const std::string other = "/proc/" + std::to_string(holder.pid()) + "/ns/net";
  for (int i = 0; i < 100 && ns_of(other) == ns_of("/proc/self/ns/net"); ++i) ::usleep(20000);
  r = oci({"run", "-b", bundle(with_ns(net, "network", other), "bo"), "n2"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(run({"nsenter", "--net=" + other, "cat", "/proc/sys/net/ipv4/ip_forward"}).out, "1\n");
}

TEST_F(OciTest, DevicesAreMadeAndTheCgroupRulesHold) {
  json c =
      config({"sh", "-c",
              "echo x > /dev/mynull && echo mynull=ok; "
              "head -c1 /dev/mem >/dev/null 2>/shared/err && echo mem=read || echo mem=denied"});
  c["linux"]["devices"] = {
      {{"path", "/dev/mynull"}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"fileMode", 0666}},
      {{"path", "/dev/mem"}, {"type", "c"}, {"major", 1}, {"minor", 1}, {"fileMode", 0600}}};
  // deny everything but the default devices and /dev/mynull's; /dev/mem (1:1) is made but
  // not allowed (a node of linux.devices gets no rule of its own, as in runc and youki).
  c["linux"]["resources"]["devices"] = {{{"allow", false}, {"access", "rwm"}}};
  auto r = oci({"run", "-b", bundle(c), "c1"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("mynull=ok"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("mem=denied"), std::string::npos) << r.out;
  EXPECT_NE(shared("err").find("Operation not permitted"), std::string::npos) << shared("err");
}

// runc's default allowlist has "c *:* m" and "b *:* m": with CAP_MKNOD a container may make
// any node, and the other rules still decide whether it can be opened.
TEST_F(OciTest, MknodOfAnyNodeIsAllowedButOpeningItStaysDenied) {
  json c = config({"sh", "-c",
                   "mknod /dev/myloop b 7 0 && echo mknod-b=ok; mknod /dev/mymem c 1 1 && "
                   "echo mknod-c=ok; head -c1 /dev/myloop >/dev/null 2>/shared/err-b && "
                   "echo open-b=ok || echo open-b=denied; head -c1 /dev/mymem >/dev/null "
                   "2>/shared/err-c && echo open-c=ok || echo open-c=denied"});
  for (const char* set : {"bounding", "effective", "permitted"})
    c["process"]["capabilities"][set].push_back("CAP_MKNOD");
  c["linux"]["resources"]["devices"] = {{{"allow", false}, {"access", "rwm"}}};
  auto r = oci({"run", "-b", bundle(c), "c1"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("mknod-b=ok"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("mknod-c=ok"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("open-b=denied"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("open-c=denied"), std::string::npos) << r.out;
  EXPECT_NE(shared("err-b").find("Operation not permitted"), std::string::npos) << shared("err-b");
  EXPECT_NE(shared("err-c").find("Operation not permitted"), std::string::npos) << shared("err-c");
}

// root.path as bundles write it: runc joins it to the bundle and cleans it ("./rootfs",
// "rootfs/", "/a//rootfs", "../other/rootfs"); so is cgroupsPath ("./x").
TEST_F(OciTest, RootPathAndCgroupsPathAreCleanedAsRuncDoes) {
  const std::string b = root() + "/clean";
  fs::create_directories(b);
  const std::string up = fs::relative(rootfs_, b).string();  // "../../mydocker-oci-rootfs-..."
  const std::string abs =
      rootfs_.substr(0, rootfs_.rfind('/')) + "//./" + rootfs_.substr(rootfs_.rfind('/') + 1) + "/";
  int n = 0;
  for (const std::string& path : {"./" + up, up + "/", abs}) {
    const std::string id = "c" + std::to_string(++n);
    json c = config({"sh", "-c", "echo ran"}, id);
    c["root"]["path"] = path;
    c["linux"]["cgroupsPath"] = std::string("./") + kCgroupParent + "//" + id + "/";
    std::ofstream(b + "/config.json") << c.dump();
    auto r = oci({"run", "-b", b, id});
    EXPECT_EQ(r.status, 0) << path << ": " << r.err;
    EXPECT_EQ(r.out, "ran\n") << path;
  }
}

// A missing process.cwd is made (0755, as root, before the user changes and before the root
// is made read-only), as runc does and Kubernetes' workingDir expects; inside the root whatever
// symlink is on the way, absolute or climbing with "..".
TEST_F(OciTest, AMissingCwdIsMadeInsideTheRootEvenThroughHostileSymlinks) {
  const std::string rootfs = root() + "/cwd-rootfs";
  ASSERT_EQ(run({"sh", "-c", busybox_rootfs(rootfs)}).status, 0);
  const std::string outside = root() + "/outside";  // a host directory the links point at
  fs::create_directories(outside);
  fs::create_symlink(outside, rootfs + "/work");
  fs::create_symlink("../../../../../../../../..", rootfs + "/up");
  const std::string escape = "mydocker-cwd-escape-" + std::to_string(::getpid());
  struct Cases {
    std::string cwd, seen;  // process.cwd, and where it is in the container (pwd: no symlink)
  };
  const Cases cases[] = {{"/new/dir", "/new/dir"},
                         {"/work/sub/dir", outside + "/sub/dir"},
                         {"/up/" + escape + "/x", "/" + escape + "/x"}};
  int n = 0;
  for (const auto& [cwd, seen] : cases) {
    const std::string inside = rootfs + seen;
    const std::string id = "c" + std::to_string(++n);
    json c = config({"sh", "-c", "pwd; id -u"}, id);
    c["root"]["path"] = rootfs;  // root.readonly stays true
    c["process"]["cwd"] = cwd;
    c["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
    auto r = oci({"run", "-b", bundle(c, "b" + id), id});
    EXPECT_EQ(r.status, 0) << cwd << ": " << r.err;
    EXPECT_EQ(r.out, seen + "\n1000\n") << cwd;
    EXPECT_TRUE(fs::is_directory(inside)) << cwd << ": not made at " << inside;
  }
  EXPECT_FALSE(exists(outside + "/sub")) << "made through the symlink in the host's files";
  EXPECT_FALSE(exists("/" + escape)) << "made above the root";
  ::rmdir(("/" + escape + "/x").c_str());
  ::rmdir(("/" + escape).c_str());
  EXPECT_EQ(fs::status(rootfs + "/new/dir").permissions() & fs::perms::all,
            fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                fs::perms::others_read | fs::perms::others_exec);
}

TEST_F(OciTest, UserNamespaceMapsRootToAnUnprivilegedHostUser) {
  json c = config({"sh", "-c", "id -u; exec sleep 100"});
  c["linux"]["namespaces"].push_back({{"type", "user"}});
  c["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  c["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  // The bind's source must be reachable by the namespace's root (uid 100000 on the host).
  fs::permissions(root(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  auto r = oci_detached({"run", "-d", "-b", bundle(c), "c1"});
  ASSERT_EQ(r.status, 0) << r.err;
  const int pid = state("c1")["pid"];
  const std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
  EXPECT_NE(status.find("Uid:\t100000\t100000"), std::string::npos) << status;
  auto in = oci({"exec", "c1", "id", "-u"});
  EXPECT_EQ(in.out, "0\n") << in.err;
  // The shims' exec: --detach --pid-file into a directory only host root may write (the
  // container's root, host uid 100000, cannot).
  const std::string priv = root() + "/priv";
  ASSERT_EQ(::mkdir(priv.c_str(), 0700), 0);
  auto d =
      oci_detached({"exec", "--detach", "--pid-file", priv + "/exec.pid", "c1", "sleep", "60"});
  EXPECT_EQ(d.status, 0) << d.err;
  const std::string epid = read_file(priv + "/exec.pid");
  ASSERT_FALSE(epid.empty()) << "no pid file";
  EXPECT_NE(read_file("/proc/" + epid + "/cmdline").find("sleep"), std::string::npos) << epid;
  // podman's --userns container:c1 (its user namespace by path) is refused by name: the
  // mounts of a namespace joined after the clone would fail half-way.
  json joined = config({"true"}, "c2");
  joined["linux"]["namespaces"].push_back(
      {{"type", "user"}, {"path", "/proc/" + std::to_string(pid) + "/ns/user"}});
  joined["linux"]["uidMappings"] = c["linux"]["uidMappings"];
  joined["linux"]["gidMappings"] = c["linux"]["gidMappings"];
  auto j = oci({"run", "-b", bundle(joined, "b2"), "c2"});
  EXPECT_NE(j.status, 0);
  EXPECT_NE(j.err.find("joining an existing user namespace"), std::string::npos) << j.err;
}

TEST_F(OciTest, MemoryLimitIsEnforcedByTheOomKiller) {
  json c = config({"alloc", "4", "64"});
  c["linux"]["resources"]["memory"] = {{"limit", 20 * 1024 * 1024}, {"swap", 20 * 1024 * 1024}};
  auto r = oci({"run", "-b", bundle(c), "c1"});
  EXPECT_EQ(r.status, 137) << r.out << r.err;
  EXPECT_EQ(r.out.find("64 MiB"), std::string::npos) << r.out;
  c["linux"]["resources"].erase("memory");
  auto free_run = oci({"run", "-b", bundle(c, "b2"), "c2"});
  EXPECT_EQ(free_run.status, 0) << "the same without the limit";
  EXPECT_NE(free_run.out.find("64 MiB"), std::string::npos) << free_run.out;
}

// runc events: --stats once; otherwise stats every --interval and an "oom" as the kernel
// reports it (a worker OOM-killed while the container lives on), ending when it stops.
TEST_F(OciTest, EventsStreamStatsAndOomsUntilTheContainerStops) {
  json c = config({"sh", "-c", "cat /shared/go-c1 2>/dev/null; sleep 1; alloc 4 64; sleep 2"});
  c["linux"]["resources"]["memory"] = {{"limit", 20 * 1024 * 1024}, {"swap", 20 * 1024 * 1024}};
  c["linux"]["resources"]["pids"] = {{"limit", 21}};
  ASSERT_EQ(oci_detached({"run", "-d", "-b", bundle(c), "c1"}).status, 0);
  auto once = oci({"events", "--stats", "c1"});
  ASSERT_EQ(once.status, 0) << once.err;
  const json e = json::parse(once.out);
  EXPECT_EQ(e["type"], "stats");
  EXPECT_EQ(e["id"], "c1");
  EXPECT_EQ(e["data"]["memory"]["usage"]["limit"], 20 * 1024 * 1024);
  EXPECT_EQ(e["data"]["pids"]["limit"], 21);
  EXPECT_GE(e["data"]["pids"]["current"].get<int>(), 1);
  Background stream({mydocker(), "oci", "--root", oci_root_, "events", "--interval", "300ms", "c1"},
                    {});
  ASSERT_EQ(stream.wait(std::chrono::seconds(20)), 0) << "events did not end with the container";
  int stats = 0, ooms = 0;
  for (const auto& line : lines(stream.stdout_text())) {
    const json ev = json::parse(line);
    stats += ev["type"] == "stats";
    ooms += ev["type"] == "oom";
  }
  EXPECT_GE(stats, 3) << stream.stdout_text();
  EXPECT_EQ(ooms, 1) << stream.stdout_text();
  auto stopped = oci({"events", "--stats", "c1"});
  EXPECT_NE(stopped.status, 0);
  EXPECT_NE(stopped.err.find("is not running"), std::string::npos) << stopped.err;
  EXPECT_NE(oci({"events", "--interval", "soon", "c1"}).err.find("for --interval"),
            std::string::npos);
}

TEST_F(OciTest, ExecForegroundAndDetachedWithTheContainersRules) {
  ASSERT_EQ(oci_detached({"run", "-d", "-b", bundle(config({"sleep", "100"})), "c1"}).status, 0);
  auto fg =
      oci({"exec", "--env", "X=y", "--cwd", "/tmp", "c1", "sh", "-c", "echo $X $(pwd); exit 4"});
  EXPECT_EQ(fg.status, 4) << fg.err;
  EXPECT_EQ(fg.out, "y /tmp\n");
  const std::string process = root() + "/process.json";
  std::ofstream(process) << json{{"args", {"sh", "-c", "echo detached > /shared/d; sleep 100"}},
                                 {"cwd", "/"},
                                 {"env", {"PATH=/bin"}},
                                 {"user", {{"uid", 0}, {"gid", 0}}}}
                                .dump();
  auto d = oci_detached(
      {"exec", "--process", process, "--detach", "--pid-file", root() + "/epid", "c1"});
  ASSERT_EQ(d.status, 0) << d.err;
  ASSERT_TRUE(wait_file(shared_ + "/d"));
  const int pid = std::stoi(read_file(root() + "/epid"));
  EXPECT_EQ(fs::read_symlink("/proc/" + std::to_string(pid) + "/ns/pid"),
            fs::read_symlink("/proc/" + std::to_string(state("c1")["pid"].get<int>()) + "/ns/pid"));
  auto ps = json::parse(oci({"ps", "--format", "json", "c1"}).out);
  EXPECT_NE(std::find(ps.begin(), ps.end(), pid), ps.end()) << ps.dump();
  EXPECT_EQ(oci({"delete", "-f", "c1"}).status, 0);
  EXPECT_FALSE(exists("/proc/" + std::to_string(pid)))
      << "the exec'd process outlived the container";
}

// CVE-2019-5736: until `start`, the init is mydocker; a process of the container that may look
// at it (here: CAP_SYS_PTRACE, through an exec before start) holds /proc/1/exe open and, once
// nothing runs mydocker's file any more, reopens it for writing. It must get EROFS (the init
// runs from a read-only clone of the file), never a writable handle on the runtime. A copy of
// the binary is the runtime here, so no other mydocker's run of it turns the answer into ETXTBSY.
TEST_F(OciTest, WaitingInitGivesNoWritableHandleOnTheRuntimesBinary) {
  const std::string copy = root() + "/mydocker";
  fs::copy_file(mydocker(), copy);
  fs::permissions(copy, fs::perms::owner_all);
  json c = config({"sleep", "100"});
  for (const char* set : {"bounding", "effective", "permitted"})
    c["process"]["capabilities"][set].push_back("CAP_SYS_PTRACE");
  auto runtime = [&](std::vector<std::string> a) {
    a.insert(a.begin(), {"sh", "-c", "exec \"$@\" </dev/null >/dev/null 2>>" + root() + "/rt.err",
                         "sh", copy, "oci", "--root", oci_root_});
    return run(a).status;
  };
  ASSERT_EQ(runtime({"create", "--bundle", bundle(c), "c1"}), 0) << read_file(root() + "/rt.err");
  const std::string attacker =
      "exec 3</proc/1/exe || { echo cannot-read > /shared/result; exit; }; echo > /shared/held; "
      "while [ \"$(cat /proc/1/comm)\" != sleep ]; do usleep 10000; done; "
      // "Text file busy" only while a runtime process still runs that file (a detached exec's
      // waiter on a loaded machine): asked again until it is gone, when only a read-only
      // handle still refuses.
      "i=0; while :; do if (: >>/proc/self/fd/3) 2>/shared/why; then echo WRITABLE > "
      "/shared/result; break; fi; if grep -q 'Text file busy' /shared/why && [ $i -lt 150 ]; "
      "then i=$((i+1)); usleep 20000; else cat /shared/why > /shared/result; break; fi; done";
  ASSERT_EQ(runtime({"exec", "--detach", "c1", "sh", "-c", attacker}), 0)
      << read_file(root() + "/rt.err");
  ASSERT_TRUE(wait_file(shared_ + "/held")) << shared("result");
  ASSERT_EQ(runtime({"start", "c1"}), 0) << read_file(root() + "/rt.err");
  ASSERT_TRUE(wait_file(shared_ + "/result"));
  std::this_thread::sleep_for(100ms);  // its line written whole
  EXPECT_NE(shared("result").find("Read-only file system"), std::string::npos)
      << "the container reopened the runtime's binary: " << shared("result");
  EXPECT_EQ(read_file(copy).size(), fs::file_size(mydocker()));
}

// rootfsPropagation: runc's default is rslave (a mount the host makes later below a bind the
// container has reaches it; none of the container's reach the host), and "rprivate" keeps the
// host's out. The test's directory is made a shared mount of its own for this.
TEST_F(OciTest, RootfsPropagationDefaultsToSlaveAsRuncDoes) {
  Unmount unmount;
  ASSERT_EQ(::mount(shared_.c_str(), shared_.c_str(), nullptr, MS_BIND, nullptr), 0);
  unmount.paths.push_back(shared_);
  ASSERT_EQ(::mount(nullptr, shared_.c_str(), nullptr, MS_SHARED, nullptr), 0);
  for (const char* mode : {"", "rprivate"}) {
    const std::string id = *mode ? "cp" : "cs";
    const std::string sub = shared_ + "/sub-" + id;
    fs::create_directories(sub);
    json c = config({"sh", "-c",
                     "while [ ! -e /shared/go-" + id +
                         " ]; do usleep 10000; done; "
                         "grep -c ' /shared/sub-" +
                         id + " ' /proc/self/mountinfo > /shared/seen-" + id +
                         "; mount -t tmpfs none /tmp; touch /shared/done-" + id},
                    id);
    c["process"]["capabilities"]["bounding"].push_back("CAP_SYS_ADMIN");
    c["process"]["capabilities"]["effective"].push_back("CAP_SYS_ADMIN");
    c["process"]["capabilities"]["permitted"].push_back("CAP_SYS_ADMIN");
    if (*mode) c["linux"]["rootfsPropagation"] = mode;
    ASSERT_EQ(oci_detached({"run", "-d", "-b", bundle(c, "b" + id), id}).status, 0);
    ASSERT_EQ(::mount("tmpfs", sub.c_str(), "tmpfs", 0, "size=64k"), 0);
    unmount.paths.push_back(sub);
    std::ofstream(shared_ + "/go-" + id) << "";
    ASSERT_TRUE(wait_file(shared_ + "/done-" + id)) << mode;
    EXPECT_EQ(shared("seen-" + id), *mode ? "0\n" : "1\n")
        << (*mode ? "a private root received the host's mount"
                  : "the default (rslave) did not receive the host's later mount");
    EXPECT_EQ(run({"grep", "-c", " " + root() + "/b" + id + "/", "/proc/self/mountinfo"}).out,
              "0\n")
        << "the container's mount reached the host";
    oci({"delete", "--force", id});
  }
}

// Whatever rootfsPropagation says, the container's mounts stay off the host and the host's
// mounts stay mounted, even with the root below a shared mount of the host's (the test's own)
// that has another mount in it. runc's rules: the root's parent mount is made private, the old
// root a slave before it is let go.
TEST_F(OciTest, NoRootfsPropagationReachesOrUnmountsTheHosts) {
  Unmount unmount;
  const std::string m = root() + "/prop";
  fs::create_directories(m);
  ASSERT_EQ(::mount(m.c_str(), m.c_str(), nullptr, MS_BIND, nullptr), 0);
  unmount.paths.push_back(m);
  ASSERT_EQ(::mount(nullptr, m.c_str(), nullptr, MS_SHARED, nullptr), 0);
  for (const char* d : {"/rootfs", "/keep"}) fs::create_directories(m + d);
  ASSERT_EQ(::mount(rootfs_.c_str(), (m + "/rootfs").c_str(), nullptr, MS_BIND, nullptr), 0);
  unmount.paths.push_back(m + "/rootfs");
  ASSERT_EQ(::mount("tmpfs", (m + "/keep").c_str(), "tmpfs", 0, "size=64k"), 0);
  unmount.paths.push_back(m + "/keep");
  auto host_mounts = [&](const std::string& below) {
    return run({"grep", "-c", " " + below, "/proc/self/mountinfo"}).out;
  };
  for (const char* mode : {"", "private", "rprivate", "shared", "rshared", "slave"}) {
    const std::string id = std::string("p") + (*mode ? mode : "default");
    json c =
        config({"sh", "-c", "while [ ! -e /shared/go-" + id + " ]; do usleep 10000; done"}, id);
    c["root"]["path"] = m + "/rootfs";
    if (*mode) c["linux"]["rootfsPropagation"] = mode;
    auto r = oci_detached({"run", "-d", "-b", bundle(c, "b" + id), id});
    ASSERT_EQ(r.status, 0) << mode << ": " << r.err;
    EXPECT_EQ(state(id)["status"], "running") << mode;
    EXPECT_EQ(host_mounts(m + "/rootfs/"), "0\n")
        << mode << ": the container's mounts are the host's";
    std::ofstream(shared_ + "/go-" + id) << "";
    oci({"delete", "--force", id});
    EXPECT_EQ(host_mounts(m + "/keep "), "1\n") << mode << ": the host's mount was unmounted";
    EXPECT_EQ(host_mounts(m + "/rootfs "), "1\n") << mode;
  }
}

TEST_F(OciTest, PauseResumeAndUpdate) {
  ASSERT_EQ(oci_detached({"run", "-d", "-b", bundle(config({"sleep", "100"})), "c1"}).status, 0);
  ASSERT_EQ(oci({"pause", "c1"}).status, 0);
  EXPECT_EQ(state("c1")["status"], "paused");
  const auto freezer = lines(
      run({"find", "/sys/fs/cgroup/freezer", "-path", std::string("*") + kCgroupParent + "/c1"})
          .out);
  if (!freezer.empty()) {
    EXPECT_EQ(read_file(freezer[0] + "/freezer.state"), "FROZEN\n");
  }
  EXPECT_NE(oci({"pause", "c1"}).status, 0);
  ASSERT_EQ(oci({"resume", "c1"}).status, 0);
  EXPECT_EQ(state("c1")["status"], "running");
  const std::string res = root() + "/res.json";
  std::ofstream(res) << R"({"memory":{"limit":52428800,"swap":52428800}})";
  ASSERT_EQ(oci({"update", "--resources", res, "c1"}).status, 0);
  const auto mem = lines(
      run({"find", "/sys/fs/cgroup/memory", "-path", std::string("*") + kCgroupParent + "/c1"})
          .out);
  ASSERT_FALSE(mem.empty());
  EXPECT_EQ(read_file(mem[0] + "/memory.limit_in_bytes"), "52428800\n");
  // runc's single-value flags, laid over --resources; docker's sizes.
  auto flags = oci({"update", "--memory", "40m", "--memory-swap", "40m", "--pids-limit", "33",
                    "--cpu-quota", "25000", "--cpu-period", "100000", "c1"});
  ASSERT_EQ(flags.status, 0) << flags.err;
  EXPECT_EQ(read_file(mem[0] + "/memory.limit_in_bytes"), "41943040\n");
  for (auto [ctrl, file, want] :
       {std::tuple{"pids", "pids.max", "33\n"}, {"cpu", "cpu.cfs_quota_us", "25000\n"}}) {
    const auto dir = lines(run({"find", std::string("/sys/fs/cgroup/") + ctrl, "-path",
                                std::string("*") + kCgroupParent + "/c1"})
                               .out);
    ASSERT_FALSE(dir.empty()) << ctrl;
    EXPECT_EQ(read_file(dir[0] + "/" + file), want) << ctrl;
  }
  auto both = oci({"update", "--resources", res, "--memory", "45m", "c1"});
  ASSERT_EQ(both.status, 0) << both.err;
  EXPECT_EQ(read_file(mem[0] + "/memory.limit_in_bytes"), "47185920\n") << "the flag wins";
  for (auto [args, why] : {std::pair{std::vector<std::string>{"--memory", "lots"}, "for --memory"},
                           {std::vector<std::string>{"--pids-limit", "x1"}, "for --pids-limit"},
                           {std::vector<std::string>{"--memory", "-1"}, "lifting a memory limit"},
                           {std::vector<std::string>{"--l3-cache-schema", "L3:0=f"}, "Intel RDT"},
                           {std::vector<std::string>{}, "nothing to update"}}) {
    std::vector<std::string> cmd = {"update"};
    cmd.insert(cmd.end(), args.begin(), args.end());
    cmd.push_back("c1");
    auto bad = oci(cmd);
    EXPECT_NE(bad.status, 0) << why;
    EXPECT_NE(bad.err.find(why), std::string::npos) << bad.err;
  }
  EXPECT_EQ(read_file(mem[0] + "/memory.limit_in_bytes"), "47185920\n");
  // SIGKILL to a paused container (not --all, as the shims send it): thawed, so that it dies.
  ASSERT_EQ(oci({"pause", "c1"}).status, 0);
  ASSERT_EQ(oci({"kill", "c1", "KILL"}).status, 0);
  for (int i = 0; i < 100 && state("c1")["status"] != "stopped"; ++i) ::usleep(20000);
  EXPECT_EQ(state("c1")["status"], "stopped") << "a paused container outlived SIGKILL";
  // runc also freezes a created container: paused, then created again.
  ASSERT_EQ(oci_detached({"create", "-b", bundle(config({"true"}, "c2"), "b2"), "c2"}).status, 0);
  ASSERT_EQ(oci({"pause", "c2"}).status, 0);
  EXPECT_EQ(state("c2")["status"], "paused");
  EXPECT_NE(oci({"start", "c2"}).status, 0) << "a paused container started";
  ASSERT_EQ(oci({"resume", "c2"}).status, 0);
  EXPECT_EQ(state("c2")["status"], "created");
  EXPECT_EQ(oci({"start", "c2"}).status, 0);
}

// The PTY's master reaches --console-socket (SCM_RIGHTS), and the process's terminal is the
// PTY's slave, also at /dev/console.
TEST_F(OciTest, ConsoleSocketReceivesThePty) {
  const std::string sock = root() + "/console.sock";
  mydocker::UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, sock.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener.get(), 1), 0);
  json c = config({"sh", "-c", "tty; ls -l /dev/console; read line; echo got $line"});
  c["process"]["terminal"] = true;
  Background create({mydocker(), "oci", "--root", oci_root_, "create", "-b", bundle(c),
                     "--console-socket", sock, "c1"},
                    {});
  mydocker::UniqueFd conn(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(conn);
  mydocker::UniqueFd master(mydocker::receive_fd(conn.get()));
  ASSERT_TRUE(master);
  ASSERT_EQ(create.wait(10s), 0) << create.stderr_text();
  ASSERT_EQ(oci({"start", "c1"}).status, 0);
  ASSERT_EQ(::write(master.get(), "hello\n", 6), 6);
  std::string out;
  char buf[512];
  for (auto end = std::chrono::steady_clock::now() + 5s;
       std::chrono::steady_clock::now() < end && out.find("got hello") == std::string::npos;) {
    const ssize_t n = ::read(master.get(), buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  EXPECT_NE(out.find("/dev/pts/0"), std::string::npos) << out;
  EXPECT_NE(out.find("136,"), std::string::npos) << "/dev/console is the pty: " << out;
  EXPECT_NE(out.find("got hello"), std::string::npos) << out;
}

// kill -9 of create in the middle (here: during a createRuntime hook) leaves nothing that
// delete --force cannot remove.
TEST_F(OciTest, Kill9OfCreateThenDeleteForceLeavesNothing) {
  json c = config({"true"});
  c["hooks"] = {
      {"createRuntime",
       {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "touch " + shared_ + "/hook; sleep 30"}}}}}};
  Background create({mydocker(), "oci", "--root", oci_root_, "create", "-b", bundle(c), "c1"}, {});
  ASSERT_TRUE(wait_file(shared_ + "/hook"));
  const json st = state("c1");
  ::kill(create.pid(), SIGKILL);
  create.wait(5s);
  ASSERT_FALSE(oci_cgroups().empty()) << "the cgroups existed at the kill";
  EXPECT_EQ(oci({"delete", "--force", "c1"}).status, 0);
  EXPECT_FALSE(exists(oci_root_ + "/c1"));
  EXPECT_TRUE(oci_cgroups().empty());
  if (st.contains("pid")) {
    for (int i = 0; i < 100 && exists("/proc/" + std::to_string(st["pid"].get<int>()) + "/ns"); ++i)
      std::this_thread::sleep_for(20ms);
  }
}

// The state root on a tmpfs of its own (a fanotify mark then sees its files only), its
// containers deleted before it goes however the test ends.
struct OwnStateMount {
  const std::string root;
  std::function<void(const std::string&)> remove;  // delete --force ID
  std::function<std::vector<std::string>()> ids;
  ~OwnStateMount() {
    for (const auto& id : ids()) remove(id);
    ::umount2(root.c_str(), MNT_DETACH);
  }
};

// Holds every open below `root` with a fanotify permission event, and SIGKILLs `create` at the
// `nth` open of a state.json of `id` (write_file_atomic's temp file): a create killed at a
// chosen point, deterministically. Returns create's exit status (128 + SIGKILL when killed).
int kill_create_at_state_write(Background& create, const std::string& root, const std::string& id,
                               int nth) {
  mydocker::UniqueFd fan(::fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY | O_CLOEXEC));
  EXPECT_TRUE(fan) << "fanotify_init: " << std::strerror(errno);
  EXPECT_EQ(::fanotify_mark(fan.get(), FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_OPEN_PERM, AT_FDCWD,
                            root.c_str()),
            0)
      << std::strerror(errno);
  const std::string state_tmp = root + "/" + id + "/state.json.tmp.";
  int seen = 0;
  for (auto end = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < end;) {
    pollfd p{fan.get(), POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) {
      if (const int status = create.wait(1ms); status >= 0) return status;  // it ended first
      continue;
    }
    alignas(fanotify_event_metadata) char buf[4096];
    ssize_t n = ::read(fan.get(), buf, sizeof buf);  // FAN_EVENT_NEXT counts it down
    bool killed = false;
    for (auto* e = reinterpret_cast<fanotify_event_metadata*>(buf); n > 0 && FAN_EVENT_OK(e, n);
         e = FAN_EVENT_NEXT(e, n)) {
      const mydocker::UniqueFd file(e->fd);
      const std::string path = fs::read_symlink("/proc/self/fd/" + std::to_string(e->fd));
      if (path.rfind(state_tmp, 0) == 0 && ++seen == nth) {
        ::kill(create.pid(), SIGKILL);  // held in its open(): nothing after it runs
        killed = true;
      }
      fanotify_response allow{e->fd, FAN_ALLOW};
      (void)!::write(fan.get(), &allow, sizeof allow);
    }
    if (killed) return create.wait(5s);
  }
  return -1;
}

// Two bundles with the same cgroupsPath: the second create is refused at its mkdir ("already
// exists"). Killed before that mkdir, it leaves a record naming those directories; `delete
// --force` of it must not kill the first container nor remove its cgroups (they were never
// the second's). The kill is at create's second write of state.json: on v1 after the init's
// clone, before any cgroup is made.
TEST_F(OciTest, DeleteForceOfACreateKilledBeforeItsMkdirSparesTheOwnerOfItsCgroupsPath) {
  fs::create_directories(oci_root_);
  ASSERT_EQ(::mount("tmpfs", oci_root_.c_str(), "tmpfs", 0, "size=16m,mode=0700"), 0);
  OwnStateMount state_mount{oci_root_,
                            [&](const std::string& id) {
                              oci({"delete", "-f", id});
                            },
                            [&] {
                              return lines(oci({"list", "-q"}).out);
                            }};
  ASSERT_EQ(
      oci_detached({"run", "-d", "-b", bundle(config({"sleep", "100"}, "a"), "a"), "a"}).status, 0);
  const int a = state("a")["pid"];
  const auto a_cgroups = lines(run({"find", "/sys/fs/cgroup", "-type", "d", "-path",
                                    std::string("*/") + kCgroupParent + "/a"})
                                   .out);
  ASSERT_FALSE(a_cgroups.empty());

  Background create({mydocker(), "oci", "--root", oci_root_, "create", "-b",
                     bundle(config({"true"}, "a"), "b"), "b"},
                    {});
  const int status = kill_create_at_state_write(create, oci_root_, "b", 2);
  ASSERT_NE(status, -1) << "create neither ended nor reached its second save";
  if (status != 128 + SIGKILL) {  // v2: its mkdir (refused) comes before that save
    EXPECT_NE(status, 0);
    EXPECT_NE(create.stderr_text().find("already exists"), std::string::npos)
        << create.stderr_text();
  } else {
    ASSERT_TRUE(exists(oci_root_ + "/b/state.json")) << "the kill came before the first save";
    EXPECT_EQ(oci({"ps", "b"}).out.find(std::to_string(a)), std::string::npos)
        << "ps of the killed create lists the other container's process";
    auto del = oci({"delete", "--force", "b"});
    EXPECT_EQ(del.status, 0) << del.err;
    EXPECT_NE(del.err.find("left alone"), std::string::npos) << del.err;
  }
  EXPECT_FALSE(exists(oci_root_ + "/b"));
  EXPECT_TRUE(exists("/proc/" + std::to_string(a) + "/ns")) << "container a was killed";
  EXPECT_EQ(state("a")["status"], "running");
  for (const auto& d : a_cgroups) EXPECT_TRUE(exists(d)) << d << " of container a was removed";
}

// A start stuck in a startContainer hook does not hold the container: delete --force goes
// ahead and the start fails. A damaged state.json is refused by delete, removed by --force.
TEST_F(OciTest, DeleteForceWinsOverAStuckStartAndADamagedState) {
  json c = config({"true"});
  c["hooks"] = {{"startContainer",
                 {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "touch /shared/hook; sleep 30"}}}}}};
  ASSERT_EQ(oci_detached({"create", "-b", bundle(c), "c1"}).status, 0);
  Background start({mydocker(), "oci", "--root", oci_root_, "start", "c1"}, {});
  ASSERT_TRUE(wait_file(shared_ + "/hook"));
  Options quick;
  quick.timeout_s = 5;
  auto del = oci({"delete", "--force", "c1"}, quick);
  EXPECT_FALSE(del.timed_out) << "delete waited for start's lock";
  EXPECT_EQ(del.status, 0) << del.err;
  EXPECT_NE(start.wait(5s), 0) << "start of a deleted container reported success";
  EXPECT_FALSE(exists(oci_root_ + "/c1"));

  ASSERT_EQ(oci({"run", "-b", bundle(config({"true"}), "b2"), "c2"}).status, 0);
  ASSERT_EQ(oci_detached({"create", "-b", bundle(config({"true"}, "c3"), "b3"), "c3"}).status, 0);
  ASSERT_EQ(oci({"kill", "c3", "KILL"}).status, 0);
  std::ofstream(oci_root_ + "/c3/state.json") << "{half";
  auto refused = oci({"delete", "c3"});
  EXPECT_EQ(refused.status, 125);
  EXPECT_NE(refused.err.find("damaged"), std::string::npos) << refused.err;
  auto forced = oci({"delete", "--force", "c3"});
  EXPECT_EQ(forced.status, 0);
  EXPECT_NE(forced.err.find("cannot be found"), std::string::npos) << forced.err;
  EXPECT_FALSE(exists(oci_root_ + "/c3"));
  // Its cgroups could not be found from the damaged record: the test removes them.
  for (const auto& d : lines(run({"find", "/sys/fs/cgroup", "-depth", "-type", "d", "-path",
                                  std::string("*/") + kCgroupParent + "*"})
                                 .out))
    ::rmdir(d.c_str());
  EXPECT_EQ(oci({"delete", "--force", "c3"}).status, 0) << "runc: --force of a gone container";
}

TEST_F(OciTest, SpecWritesABundleThatRuns) {
  const std::string dir = root() + "/spec";
  fs::create_directories(dir);
  ASSERT_EQ(run({mydocker(), "oci", "spec", "--bundle", dir}).status, 0);
  EXPECT_NE(run({mydocker(), "oci", "spec", "--bundle", dir}).status, 0) << "it exists";
  json c = json::parse(read_file(dir + "/config.json"));
  c["root"]["path"] = rootfs_;
  c["process"]["terminal"] = false;
  c["process"]["args"] = {"sh", "-c", "echo spec ok"};
  c["linux"]["cgroupsPath"] = std::string(kCgroupParent) + "/s";
  std::ofstream(dir + "/config.json") << c.dump();
  auto r = oci({"run", "-b", dir, "s"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "spec ok\n");
  const std::string rootless = root() + "/rootless";
  fs::create_directories(rootless);
  ASSERT_EQ(run({mydocker(), "oci", "spec", "--rootless", "--bundle", rootless}).status, 0);
  json rl = json::parse(read_file(rootless + "/config.json"));
  EXPECT_TRUE(rl["linux"].contains("uidMappings"));
  auto features = json::parse(oci({"features"}).out);
  EXPECT_EQ(features["ociVersionMax"], "1.1.0");
}

}  // namespace
}  // namespace itest
