// The pure helpers of the run path and the plan made from the run flags (prepare_init): user
// resolution, the environment, volumes and tmpfs, ulimits, capabilities, and what InitConfig a
// set of flags gives. No root: a temp directory stands for an image.

#include "mydocker/spec/prepare.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "mydocker/init/security.hpp"
#include "mydocker/util/error.hpp"
#include "unit/fake_cgroupfs.hpp"

namespace mydocker {
namespace {

using Strings = std::vector<std::string>;
using test::put_file;
using test::TempDir;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitSetupError);
    return e.what();
  }
  return "";
}

// An image's /etc with two users and their groups.
class ImageRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(root() + "/etc");
    put_file(root() + "/etc/passwd",
             "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000:Alice:/home/alice:/bin/sh\n"
             "bad line\nbob:x:1001:100::/home/bob:/bin/sh\n");
    put_file(root() + "/etc/group",
             "root:x:0:\nalice:x:1000:\nusers:x:100:bob\nstaff:x:50:alice,bob\nwheel:x:10:root\n");
  }
  const std::string& root() const { return tmp_.path(); }
  TempDir tmp_;
};

TEST_F(ImageRoot, ResolveUserByNameUidAndGroup) {
  auto alice = resolve_user("alice", root());
  EXPECT_EQ(alice.uid, 1000u);
  EXPECT_EQ(alice.gid, 1000u);
  EXPECT_EQ(alice.home, "/home/alice");
  EXPECT_EQ(alice.groups, (std::vector<uint32_t>{50}));  // staff lists her
  auto bob = resolve_user("1001", root());
  EXPECT_EQ(bob.uid, 1001u);
  EXPECT_EQ(bob.gid, 100u);
  EXPECT_EQ(bob.groups, (std::vector<uint32_t>{100, 50}));  // runc's: his primary one too
  auto with_group = resolve_user("alice:staff", root());
  EXPECT_EQ(with_group.gid, 50u);
  EXPECT_TRUE(with_group.groups.empty()) << "a named group is the only one (runc's rule)";
  auto fallback = resolve_user("", root());  // no -u and no image User: root, as docker's
  EXPECT_EQ(fallback.uid, 0u);
  EXPECT_EQ(fallback.home, "/root");
  EXPECT_EQ(fallback.groups, (std::vector<uint32_t>{10}));
  auto numeric = resolve_user("4242:4343", root());  // unknown ids are taken as they are
  EXPECT_EQ(numeric.uid, 4242u);
  EXPECT_EQ(numeric.gid, 4343u);
  EXPECT_EQ(numeric.home, "/");
}

TEST_F(ImageRoot, ResolveUserRefusesUnknownNamesNamingTheFlag) {
  EXPECT_EQ(error_of([&] { resolve_user("mallory", root()); }),
            "invalid value 'mallory' for -u: no user 'mallory' in the image's /etc/passwd");
  EXPECT_EQ(error_of([&] { resolve_user("alice:nogroup", root()); }),
            "invalid value 'alice:nogroup' for -u: no group 'nogroup' in the image's /etc/group");
  EXPECT_NE(error_of([&] { resolve_user(":1", root()); }), "");
}

TEST_F(ImageRoot, ResolveUserReadsThroughSymlinksInsideTheImage) {
  // /etc/passwd -> /host-passwd must be read inside the image, never from the host's /.
  std::filesystem::remove(root() + "/etc/passwd");
  put_file(root() + "/host-passwd", "carol:x:7:7::/c:/bin/sh\n");
  std::filesystem::create_symlink("/host-passwd", root() + "/etc/passwd");
  EXPECT_EQ(resolve_user("carol", root()).uid, 7u);
  EXPECT_NE(error_of([&] { resolve_user("root", root()); }), "");  // not the host's root
}

TEST(SetEnv, AddsReplacesAndTakesOurOwnValueForABareKey) {
  Strings env = {"PATH=/bin", "HOME=/root"};
  set_env(env, "FOO=bar");
  set_env(env, "HOME=/home/x");
  ::setenv("MYDOCKER_TEST_VAR", "ours", 1);
  set_env(env, "MYDOCKER_TEST_VAR");
  ::unsetenv("MYDOCKER_TEST_UNSET");
  set_env(env, "MYDOCKER_TEST_UNSET");  // dropped: we have none
  EXPECT_EQ(env, (Strings{"PATH=/bin", "FOO=bar", "HOME=/home/x", "MYDOCKER_TEST_VAR=ours"}));
  EXPECT_NE(error_of([&] { set_env(env, ""); }), "");
  EXPECT_NE(error_of([&] { set_env(env, "=x"); }), "");
}

TEST(ReadEnvFile, LinesCommentsAndErrorsWithTheLineNumber) {
  TempDir tmp;
  // docker's: leading blanks go, a value's trailing ones stay; a BOM on line 1 goes.
  put_file(tmp.path() + "/env", "\xEF\xBB\xBF# a comment\n\nA=1\n  B=two words  \n");
  EXPECT_EQ(read_env_file(tmp.path() + "/env"), (Strings{"A=1", "B=two words  "}));
  put_file(tmp.path() + "/bom",
           "\xEF\xBB\xBF"
           "C=bom\n");
  EXPECT_EQ(read_env_file(tmp.path() + "/bom"), (Strings{"C=bom"}));
  // A file written on Windows (CRLF): the CR goes with the line's end, as Go's ScanLines drops
  // it; a CR inside a value stays.
  put_file(tmp.path() + "/crlf", "A=1\r\nB=x\ry\r\n");
  EXPECT_EQ(read_env_file(tmp.path() + "/crlf"), (Strings{"A=1", "B=x\ry"}));
  put_file(tmp.path() + "/bad", "A=1\nnot a pair=x\n");
  EXPECT_NE(error_of([&] { read_env_file(tmp.path() + "/bad"); }).find("line 2"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_env_file(tmp.path() + "/missing"); }).find("--env-file"),
            std::string::npos);
}

TEST(ParseVolume, HostContainerAndMode) {
  auto m = parse_volume("/data:/srv:ro");
  EXPECT_EQ(m.source, "/data");
  EXPECT_EQ(m.target, "/srv");
  EXPECT_TRUE(m.readonly);
  EXPECT_FALSE(parse_volume("/data:/srv:rw").readonly);
  EXPECT_FALSE(parse_volume("/data:/srv").readonly);
  // A named volume, an anonymous one (its source is filled in by the run).
  EXPECT_EQ(parse_volume("data:/srv").source, "data");
  EXPECT_EQ(parse_volume("/data").target, "/data");
  EXPECT_EQ(parse_volume("/data").source, "");
  for (const char* bad : {"../data:/srv", "d:/srv", "a/b:/srv", "/data:srv", "/data:/srv:rx",
                          "data", "/data:/a/../b", "/a:/b:ro:x", ":/b"})
    EXPECT_NE(error_of([&] { parse_volume(bad); }).find("for -v"), std::string::npos) << bad;
}

// docker's -v options: z/Z (no SELinux here), Desktop's consistency words and private
// propagation are taken; nocopy marks a volume; slave/shared propagation is refused by name.
TEST(ParseVolume, DockersOptions) {
  EXPECT_TRUE(parse_volume("/data:/srv:ro,z").readonly);
  EXPECT_FALSE(parse_volume("/data:/srv:Z").readonly);
  EXPECT_FALSE(parse_volume("/data:/srv:cached,rprivate").readonly);
  EXPECT_TRUE(parse_volume("/data:/srv:delegated,ro").readonly);
  EXPECT_TRUE(parse_volume("data:/srv:nocopy").nocopy);
  EXPECT_FALSE(parse_volume("data:/srv").nocopy);
  EXPECT_NE(error_of([] { parse_volume("/data:/srv:rshared"); }).find("rshared propagation"),
            std::string::npos);
  for (const char* bad :
       {"/data:/srv:ro,rw", "/data:/srv:zz", "/data:/srv:ro,", "/data:/srv:z,Z",
        "/data:/srv:private,rprivate", "/data:/srv:cached,delegated", "/data:/srv:nocopy"})
    EXPECT_NE(error_of([&] { parse_volume(bad); }).find("for -v"), std::string::npos) << bad;
}

TEST(ParseTmpfs, DockersDefaultsThenTheOptionsGiven) {
  auto m = parse_tmpfs("/run");
  EXPECT_EQ(m.target, "/run");
  EXPECT_EQ(m.fstype, "tmpfs");
  EXPECT_EQ(m.data, "noexec,nosuid,nodev,size=65536k");
  EXPECT_EQ(parse_tmpfs("/run:size=1m,exec").data, "noexec,nosuid,nodev,size=65536k,size=1m,exec");
  EXPECT_NE(error_of([&] { parse_tmpfs("run"); }).find("--tmpfs"), std::string::npos);
}

TEST(ParseUlimit, SoftHardUnlimitedAndErrors) {
  EXPECT_EQ(parse_ulimit("nofile=1024:2048"), (std::vector<uint64_t>{RLIMIT_NOFILE, 1024, 2048}));
  EXPECT_EQ(parse_ulimit("nproc=100"), (std::vector<uint64_t>{RLIMIT_NPROC, 100, 100}));
  EXPECT_EQ(parse_ulimit("core=unlimited")[1], RLIM_INFINITY);
  EXPECT_EQ(parse_ulimit("core=-1:-1")[2], RLIM_INFINITY);
  for (const char* bad : {"nofile", "bogus=1", "nofile=x", "nofile=10:5", "nofile=-5"})
    EXPECT_NE(error_of([&] { parse_ulimit(bad); }).find("for --ulimit"), std::string::npos) << bad;
}

TEST(EffectiveCapabilities, DockersDefaultsAddDropAndAll) {
  const Strings held = all_capabilities();
  const auto defaults = effective_capabilities({}, {}, false, held);
  EXPECT_EQ(defaults, default_capabilities());
  auto added = effective_capabilities({"net_admin"}, {"CAP_MKNOD"}, false, held);
  EXPECT_NE(std::find(added.begin(), added.end(), "CAP_NET_ADMIN"), added.end());
  EXPECT_EQ(std::find(added.begin(), added.end(), "CAP_MKNOD"), added.end());
  EXPECT_TRUE(effective_capabilities({}, {"ALL"}, false, held).empty());
  EXPECT_EQ(effective_capabilities({"ALL"}, {}, false, held), held);
  EXPECT_EQ(effective_capabilities({}, {}, true, held), held);  // --privileged: all we hold
  EXPECT_EQ(effective_capabilities({"KILL"}, {"ALL"}, false, held), Strings{"CAP_KILL"});
}

TEST(EffectiveCapabilities, UnknownOrNotHeldIsAnError) {
  EXPECT_EQ(error_of([] { effective_capabilities({"FLY"}, {}, false, all_capabilities()); }),
            "invalid value 'FLY' for --cap-add: unknown capability (a name of capabilities(7), "
            "such as NET_ADMIN, or ALL)");
  EXPECT_EQ(error_of([] {
              effective_capabilities({}, {"FLY"}, false, all_capabilities());
            }).rfind("invalid value 'FLY' for --cap-drop:", 0),
            0u);
  // Only what mydocker holds can be given (in a restricted VM root lacks some).
  EXPECT_NE(error_of([] {
              effective_capabilities({"SYS_ADMIN"}, {}, false, {"CAP_KILL"});
            }).find("for --cap-add"),
            std::string::npos);
  // The defaults are limited to what is held, silently.
  EXPECT_EQ(effective_capabilities({}, {}, false, {"CAP_KILL"}), Strings{"CAP_KILL"});
}

// ---- the plan: prepare_init ----

class PlanTest : public ImageRoot {
 protected:
  InitConfig plan(RunOptions o, const std::string& image = "") {
    if (o.command.empty()) o.command = {"sh", "-c", "true"};
    InitConfig c;
    c.argv = o.command;
    c.hostname = "h";
    ImageDefaults defaults;
    if (!image.empty()) defaults.lowers = {image};
    prepare_init(o, defaults, "/data/containers/x", "/run/md/x", c);
    return c;
  }
  InitConfig plan_with(RunOptions o, const ImageDefaults& image) {
    InitConfig c;
    c.argv = o.command;
    c.hostname = "h";
    prepare_init(o, image, "/data/containers/x", "/run/md/x", c);
    return c;
  }
};

TEST_F(PlanTest, TheImageConfigFillsWhatTheFlagsLeaveOut) {
  const ImageDefaults image = image_defaults(
      R"({"config": {"Entrypoint": ["/bin/ep"], "Cmd": ["default", "args"],
          "Env": ["PATH=/opt/bin:/bin", "A=image", "B=image"], "WorkingDir": "/srv",
          "User": "1234", "StopSignal": "SIGQUIT"}})",
      {root()});
  EXPECT_EQ(image.stop_signal, "SIGQUIT");
  RunOptions o;
  // Nothing after the image: Entrypoint + Cmd; the image's Env before -e; its dir and user.
  o.env = {"B=flag"};
  InitConfig c = plan_with(o, image);
  EXPECT_EQ(c.argv, (std::vector<std::string>{"/bin/ep", "default", "args"}));
  EXPECT_EQ(c.cwd, "/srv");
  EXPECT_EQ(c.uid, 1234u);
  EXPECT_NE(std::find(c.env.begin(), c.env.end(), "PATH=/opt/bin:/bin"), c.env.end());
  EXPECT_NE(std::find(c.env.begin(), c.env.end(), "A=image"), c.env.end());
  EXPECT_NE(std::find(c.env.begin(), c.env.end(), "B=flag"), c.env.end());
  EXPECT_EQ(std::find(c.env.begin(), c.env.end(), "B=image"), c.env.end());
  // Arguments replace Cmd, not Entrypoint.
  o.command = {"mine"};
  EXPECT_EQ(plan_with(o, image).argv, (std::vector<std::string>{"/bin/ep", "mine"}));
  // --entrypoint replaces Entrypoint and drops Cmd; -w and -u win.
  o.entrypoint = "/bin/other";
  o.command = {};
  o.workdir = "/tmp";
  o.user = "0";
  c = plan_with(o, image);
  EXPECT_EQ(c.argv, (std::vector<std::string>{"/bin/other"}));
  EXPECT_EQ(c.cwd, "/tmp");
  EXPECT_EQ(c.uid, 0u);
}

TEST_F(PlanTest, AnImageRunGetsItsOverlayAndItsOwnEtcFiles) {
  RunOptions o;
  o.volumes = {root() + ":/mnt:ro"};
  o.tmpfs = {"/scratch"};
  const InitConfig c = plan(o, root());
  EXPECT_EQ(c.lower, root());
  EXPECT_EQ(c.upper, "/data/containers/x/upper");
  EXPECT_EQ(c.work, "/data/containers/x/work");
  EXPECT_FALSE(c.volatile_upper);          // kept: its layer is synced
  EXPECT_EQ(c.layer_owner, o.state_root);  // the init makes the layer
  o.remove = true;                         // --rm: the layer goes with it, volatile
  EXPECT_TRUE(plan(o, root()).volatile_upper);
  EXPECT_EQ(c.rootfs, "/run/md/x/rootfs");
  ASSERT_EQ(c.mounts.size(), 5u);
  EXPECT_EQ(c.mounts[0].source, "/run/md/x/hostname");
  EXPECT_EQ(c.mounts[0].target, "/etc/hostname");
  EXPECT_EQ(c.mounts[3].target, "/mnt");
  EXPECT_TRUE(c.mounts[3].readonly);
  EXPECT_EQ(c.mounts[4].fstype, "tmpfs");
  EXPECT_TRUE(c.new_net);
  EXPECT_TRUE(c.no_new_privs);
  EXPECT_EQ(c.capabilities, effective_capabilities({}, {}, false, held_capabilities()));
}

TEST_F(PlanTest, TheHostsFilesHaveNoRootfsAndNoEtcFiles) {
  const InitConfig c = plan(RunOptions{});
  EXPECT_TRUE(c.rootfs.empty());
  EXPECT_TRUE(c.mounts.empty());
  EXPECT_FALSE(c.host_rw);
  RunOptions rw;
  rw.host_rw = true;
  EXPECT_TRUE(plan(rw).host_rw);
  EXPECT_NE(error_of([&] { plan(rw, root()); }).find("--host-rw"), std::string::npos);
  RunOptions ro;
  ro.read_only = true;
  EXPECT_NE(error_of([&] { plan(ro); }).find("--read-only needs an image"), std::string::npos);
}

TEST_F(PlanTest, TheEnvironmentInDockersOrder) {
  put_file(root() + "/envfile", "A=from-file\nB=from-file\n");
  RunOptions o;
  o.user = "alice";
  o.env_files = {root() + "/envfile"};
  o.env = {"B=from-flag", "HOME=/override"};
  const InitConfig c = plan(o, root());
  EXPECT_EQ(c.uid, 1000u);
  EXPECT_EQ(c.env, (Strings{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                            "HOSTNAME=h", "A=from-file", "B=from-flag", "HOME=/override"}));
}

TEST_F(PlanTest, EntrypointWorkdirNetworkAndPrivileges) {
  RunOptions o;
  o.entrypoint = "/bin/echo";
  o.workdir = "/srv";
  o.network = "host";
  o.security_opts = {"no-new-privileges=false"};
  o.ulimits = {"nofile=64"};
  o.cap_drop = {"ALL"};
  const InitConfig c = plan(o);
  EXPECT_EQ(c.argv, (Strings{"/bin/echo", "sh", "-c", "true"}));
  EXPECT_EQ(c.cwd, "/srv");
  EXPECT_FALSE(c.new_net);
  EXPECT_FALSE(c.no_new_privs);
  ASSERT_EQ(c.rlimits.size(), 1u);
  EXPECT_TRUE(c.capabilities.empty());
  RunOptions bad_net;
  bad_net.network = "container:";
  EXPECT_NE(error_of([&] { plan(bad_net); }).find("for --net"), std::string::npos);
  RunOptions host_ports;  // --net host shares the host's ports: nothing to publish
  host_ports.network = "host";
  host_ports.publish = {"8080:80"};
  EXPECT_NE(error_of([&] { plan(host_ports); }).find("for -p"), std::string::npos);
  RunOptions ip_alone;  // --ip needs a bridge network
  ip_alone.ip = "10.88.0.9";
  EXPECT_NE(error_of([&] { plan(ip_alone); }).find("for --ip"), std::string::npos);
  RunOptions bad_host;
  bad_host.add_hosts = {"nocolon"};
  EXPECT_NE(error_of([&] { plan(bad_host); }).find("for --add-host"), std::string::npos);
  RunOptions ports;  // -p alone means the built-in bridge network
  ports.publish = {"8080:80"};
  EXPECT_EQ(effective_network(ports), "bridge");
  EXPECT_TRUE(plan(ports).new_net);
  RunOptions bad_opt;
  bad_opt.security_opts = {"apparmor=x"};
  EXPECT_NE(error_of([&] { plan(bad_opt); }).find("for --security-opt"), std::string::npos);
  RunOptions bad_dir;
  bad_dir.workdir = "srv";
  EXPECT_NE(error_of([&] { plan(bad_dir); }).find("for -w"), std::string::npos);
}

TEST_F(PlanTest, DevicesAreMadeInTheImagesDevOnly) {
  RunOptions o;
  o.devices = {"/dev/null:/dev/mynull:r"};
  const InitConfig c = plan(o, root());
  ASSERT_EQ(c.devices.size(), 1u);
  EXPECT_EQ(c.devices[0].path, "/dev/mynull");
  EXPECT_EQ(c.devices[0].type, 'c');
  EXPECT_EQ(c.devices[0].major, 1u);
  EXPECT_EQ(c.devices[0].minor, 3u);
  // The host's files: its /dev is there already; a node elsewhere cannot be made.
  RunOptions host;
  host.devices = {"/dev/null"};
  EXPECT_TRUE(plan(host).devices.empty());
  EXPECT_NE(error_of([&] { plan(o); }).find("for --device"), std::string::npos);
  RunOptions outside;
  outside.devices = {"/dev/null:/srv/null"};
  EXPECT_NE(error_of([&] { plan(outside, root()); }).find("under /dev"), std::string::npos);
}

}  // namespace
}  // namespace mydocker

namespace mydocker {
namespace {

TEST(MountFlag, DockersKeysAsTheVolumeOrTmpfsTheyMean) {
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(mount_flag("type=bind,source=/tmp,target=/srv,readonly"), (P{"-v", "/tmp:/srv:ro"}));
  EXPECT_EQ(mount_flag("type=volume,src=cache,dst=/c"), (P{"-v", "cache:/c"}));
  EXPECT_EQ(mount_flag("target=/anon"), (P{"-v", "/anon"})) << "type volume, no source: anonymous";
  EXPECT_EQ(mount_flag("type=tmpfs,destination=/t,tmpfs-size=1m,tmpfs-mode=1770"),
            (P{"--tmpfs", "/t:size=1m,mode=1770"}));
  EXPECT_EQ(mount_flag("type=bind,src=/,dst=/b,ro=false"), (P{"-v", "/:/b"}));
  EXPECT_EQ(mount_flag("type=bind,src=/tmp,dst=/b,readonly,bind-propagation=rprivate"),
            (P{"-v", "/tmp:/b:ro,rprivate"}));
  EXPECT_EQ(mount_flag("type=volume,src=v,dst=/c,volume-nocopy,consistency=cached"),
            (P{"-v", "v:/c:nocopy"}));
  for (const char* bad :
       {"type=bind,src=rel,dst=/b", "type=volume,src=/abs,dst=/b", "type=nfs,src=x,dst=/b", "src=x",
        "type=tmpfs,src=x,dst=/t", "type=bind,src=/,dst=/b,colour=red",
        "type=volume,dst=/b,tmpfs-size=1m", "type=bind,src=/,dst=/b,readonly=maybe",
        "type=bind,src=/nonexistent-mydocker,dst=/b"}) {
    try {
      (void)mount_flag(bad);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("for --mount"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace mydocker
