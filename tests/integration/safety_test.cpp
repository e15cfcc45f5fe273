// Safety: nothing of the host that was not asked for reaches a container.
//
// 1. Device nodes. An image carrying `kmsg` (c 1 11), `mem` (c 1 1) and a block device (a loop
//    device made by the test; the host's root disk too when the host itself may read it) gives
//    a default container nothing: the image's nodes fail with EACCES (the root filesystem is
//    mounted nodev), nodes made in /dev with --cap-add MKNOD fail with EPERM (the device
//    cgroup). --device, --device-cgroup-rule and --privileged grant exactly what they name.
//    Each assertion names the errno, so each fails when its own protection is taken out.
// 2. A first word that is no image never runs a command on the host's files by surprise: an
//    image-only reference is "image not found" (125), a bare name runs the host's command on a
//    read-only view of the host's files (fresh /tmp, /run, /dev/shm); --host-rw writes.
// 3. --cgroup-parent parents a killed run made are removed by prune; ones it did not make stay.

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <thread>

#include "integration/harness.hpp"
#include "mydocker/cgroup/devices.hpp"
#include "mydocker/cgroup/v2/device_filter.hpp"
#include "mydocker/util/fs.hpp"

namespace itest {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

// A loop device on a 1 MiB file of 'L's, detached at the end.
class LoopDevice {
 public:
  LoopDevice() {
    char path[] = "/var/tmp/mydocker-loop-XXXXXX";
    const int fd = mkstemp(path);
    if (fd < 0) return;
    file_ = path;
    const std::string block(1 << 20, 'L');
    if (write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size())) file_.clear();
    close(fd);
    auto r = run({"losetup", "-f", "--show", file_});
    if (r.status == 0) device_ = lines(r.out).front();
  }
  ~LoopDevice() {
    if (!device_.empty()) run({"losetup", "-d", device_});
    if (!file_.empty()) unlink(file_.c_str());
  }
  LoopDevice(const LoopDevice&) = delete;
  LoopDevice& operator=(const LoopDevice&) = delete;
  const std::string& device() const { return device_; }

 private:
  std::string file_, device_;
};

// The caller's own cgroup directory in a v1 hierarchy (this machine mounts each controller at
// /sys/fs/cgroup/<controller>).
std::string own_dir(const std::string& controller) {
  for (const auto& l : lines(read_file("/proc/self/cgroup"))) {
    const size_t a = l.find(':'), b = l.find(':', a + 1);
    for (const auto& c : mydocker::split(l.substr(a + 1, b - a - 1), ","))
      if (c == controller) {
        const std::string own = l.substr(b + 1);
        return "/sys/fs/cgroup/" + controller + (own == "/" ? "" : own);
      }
  }
  return "/sys/fs/cgroup/" + controller;
}

std::string random_word() {
  std::random_device rd;
  return std::to_string(rd()) + std::to_string(rd());
}

// What the kernel's log holds (the host's /dev/kmsg, read as dmesg does).
bool kernel_log_has(const std::string& text) {
  return run({"sh", "-c", "dmesg | grep -qF -- '" + text + "'"}).status == 0;
}

class SafetyTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(exists("/bin/busybox"))
        << "busybox-static is missing (scripts/test.sh installs it)";
    ASSERT_FALSE(loop_.device().empty()) << "losetup failed";
    struct stat st {};
    ASSERT_EQ(stat(loop_.device().c_str(), &st), 0);
    loop_major_ = major(st.st_rdev);
    loop_minor_ = minor(st.st_rdev);
    // The host's root disk, when the host itself may read it (this machine forbids it).
    auto disk = run({"sh", "-c",
                     "d=$(findmnt -no SOURCE /) && [ -b \"$d\" ] && "
                     "dd if=\"$d\" of=/dev/null bs=512 count=1 2>/dev/null && "
                     "stat -Lc '%t %T' \"$d\""});
    std::string nodes = "mknod $r/kmsg c 1 11; mknod $r/mem c 1 1; mknod $r/loop b " +
                        std::to_string(loop_major_) + " " + std::to_string(loop_minor_) + "; ";
    if (disk.status == 0) {
      unsigned maj = 0, min = 0;
      std::sscanf(disk.out.c_str(), "%x %x", &maj, &min);
      nodes += "mknod $r/disk b " + std::to_string(maj) + " " + std::to_string(min) + "; ";
      has_disk_ = true;
    }
    const std::string script = "set -e; r=" + root() + "/img; " + busybox_rootfs(root() + "/img") +
                               nodes + "tar -C $r -cf " + root() + "/img.tar .";
    auto made = run({"sh", "-c", script});
    ASSERT_EQ(made.status, 0) << made.err;
    auto imported = md({"import", root() + "/img.tar", "devimg"});
    ASSERT_EQ(imported.status, 0) << imported.err;
  }

  // Runs `script` with sh in a devimg container; stdout+stderr together.
  Result sh(std::vector<std::string> flags, const std::string& script) {
    std::vector<std::string> a{"run", "--rm"};
    a.insert(a.end(), flags.begin(), flags.end());
    a.insert(a.end(), {"devimg", "sh", "-c", "exec 2>&1; " + script});
    return md(a);
  }

  LoopDevice loop_;
  unsigned loop_major_ = 0, loop_minor_ = 0;
  bool has_disk_ = false;
};

TEST_F(SafetyTest, DeviceNodesInAnImageAreUnusable) {
  const std::string probe = "mydocker-probe-" + random_word();
  auto r = sh({}, "echo " + probe +
                      " > /kmsg; dd if=/mem of=/dev/null bs=1 count=1; "
                      "dd if=/loop of=/dev/null bs=512 count=1;" +
                      (has_disk_ ? " dd if=/disk of=/dev/null bs=512 count=1;" : "") + " true");
  EXPECT_EQ(r.status, 0) << r.out;
  // EACCES: the overlay is mounted nodev (the device cgroup would answer EPERM).
  EXPECT_NE(r.out.find("can't create /kmsg: Permission denied"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("can't open '/mem': Permission denied"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("can't open '/loop': Permission denied"), std::string::npos) << r.out;
  if (has_disk_) {
    EXPECT_NE(r.out.find("can't open '/disk': Permission denied"), std::string::npos) << r.out;
  }
  EXPECT_FALSE(kernel_log_has(probe));
}

TEST_F(SafetyTest, NodesMadeWithCapMknodAreStoppedByTheDeviceCgroup) {
  const std::string probe = "mydocker-probe-" + random_word();
  const std::string loop = std::to_string(loop_major_) + " " + std::to_string(loop_minor_);
  auto r = sh({"--cap-add", "MKNOD"},
              "mknod /dev/k c 1 11 && mknod /dev/m c 1 1 && mknod /dev/b b " + loop + " && echo " +
                  probe +
                  " > /dev/k; dd if=/dev/m of=/dev/null bs=1 count=1; "
                  "dd if=/dev/b of=/dev/null bs=512 count=1; echo ok > /dev/null && echo null-ok");
  EXPECT_EQ(r.status, 0) << r.out;
  // EPERM: the device cgroup (the /dev tmpfs is not nodev).
  EXPECT_NE(r.out.find("can't create /dev/k: Operation not permitted"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("can't open '/dev/m': Operation not permitted"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("can't open '/dev/b': Operation not permitted"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("null-ok"), std::string::npos) << r.out;  // the default ones work
  EXPECT_FALSE(kernel_log_has(probe));
}

TEST_F(SafetyTest, DeviceFlagGrantsTheNodeWithItsPermissions) {
  const std::string probe = "mydocker-probe-" + random_word();
  auto r = sh({"--device", "/dev/kmsg", "--device", loop_.device() + ":/dev/xvdb:r"},
              "echo " + probe +
                  " > /dev/kmsg && echo kmsg-ok; "
                  "head -c 4 /dev/xvdb; echo; echo x | dd of=/dev/xvdb 2>&1 | head -1");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("kmsg-ok"), std::string::npos) << r.out;
  EXPECT_TRUE(kernel_log_has(probe));
  EXPECT_NE(r.out.find("LLLL\n"), std::string::npos) << r.out;  // read: granted
  EXPECT_NE(r.out.find("can't open '/dev/xvdb': Operation not permitted"), std::string::npos)
      << r.out;  // write: not asked for
  // A bad value: named, 125, nothing made.
  auto bad = md({"run", "--rm", "--device", "/etc/passwd", "devimg", "true"});
  EXPECT_EQ(bad.status, 125);
  EXPECT_NE(
      bad.err.find("invalid value '/etc/passwd' for --device: /etc/passwd is not a device node"),
      std::string::npos)
      << bad.err;
  auto perms = md({"run", "--rm", "--device", "/dev/kmsg:/dev/kmsg:rwx", "devimg", "true"});
  EXPECT_EQ(perms.status, 125);
  EXPECT_NE(perms.err.find("for --device"), std::string::npos) << perms.err;
  EXPECT_TRUE(records().empty());
}

TEST_F(SafetyTest, DeviceCgroupRuleGrantsExactlyOneNode) {
  const std::string probe = "mydocker-probe-" + random_word();
  auto r =
      sh({"--cap-add", "MKNOD", "--device-cgroup-rule", "c 1:11 w"},
         "mknod /dev/k c 1 11 && mknod /dev/m c 1 1 && echo " + probe +
             " > /dev/k && echo k-ok; cat /dev/k; dd if=/dev/m of=/dev/null bs=1 count=1; true");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("k-ok"), std::string::npos) << r.out;
  EXPECT_TRUE(kernel_log_has(probe));
  EXPECT_NE(r.out.find("cat: can't open '/dev/k': Operation not permitted"), std::string::npos)
      << r.out;  // w only
  EXPECT_NE(r.out.find("can't open '/dev/m': Operation not permitted"), std::string::npos) << r.out;
  auto bad = md({"run", "--rm", "--device-cgroup-rule", "c 1:11", "devimg", "true"});
  EXPECT_EQ(bad.status, 125);
  EXPECT_NE(bad.err.find("invalid value 'c 1:11' for --device-cgroup-rule"), std::string::npos)
      << bad.err;
}

TEST_F(SafetyTest, PrivilegedReachesTheDevices) {
  const std::string probe = "mydocker-probe-" + random_word();
  auto r = sh({"--privileged"}, "echo " + probe + " > /kmsg && echo kmsg-ok; head -c 4 " +
                                    loop_.device() + "; echo; head -c 4 /loop; echo");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("kmsg-ok"), std::string::npos) << r.out;
  EXPECT_TRUE(kernel_log_has(probe));
  EXPECT_NE(r.out.find("LLLL\nLLLL\n"), std::string::npos) << r.out;  // /dev's node and the image's
}

TEST_F(SafetyTest, ExecIsUnderTheSameDeviceRules) {
  auto started = md({"run", "-d", "--cap-add", "MKNOD", "devimg", "sleep", "30"});
  ASSERT_EQ(started.status, 0) << started.err;
  const std::string id = lines(started.out).front();
  auto r = md(
      {"exec", id, "sh", "-c", "mknod /dev/m c 1 1 && head -c 1 /dev/m 2>&1; head -c 1 /mem 2>&1"});
  EXPECT_NE(r.out.find("/dev/m: Operation not permitted"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/mem: Permission denied"), std::string::npos) << r.out;
  // inspect shows the rules in force, and the flags as docker names them.
  auto j = Json::parse(md({"inspect", id}).out, nullptr, false);
  ASSERT_TRUE(j.is_array()) << j;
  const Json& hc = j[0]["HostConfig"];
  ASSERT_TRUE(hc["DeviceRules"].is_array()) << hc;
  EXPECT_EQ(hc["DeviceRules"][0], "deny a *:* rwm");
  EXPECT_EQ(hc["DeviceRules"][3], "allow c 1:3 rwm");
  EXPECT_EQ(hc["Privileged"], false);
  md({"rm", "-f", id});
}

TEST_F(SafetyTest, TraceAndInspectShowTheDeviceFlags) {
  auto r = md({"run", "--rm", "--trace", "--device", loop_.device() + ":/dev/xvdb:r",
               "--device-cgroup-rule", "c 1:11 w", "devimg", "true"});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string loop = std::to_string(loop_major_) + ":" + std::to_string(loop_minor_);
  for (const std::string& want :
       std::vector<std::string>{"+ echo 'a *:* rwm' > ", "/devices.deny\n", "+ echo 'c 1:3 rwm' > ",
                                "+ echo 'b " + loop + " r' > ", "+ echo 'c 1:11 w' > ",
                                "-o nodev,lowerdir=", "+ mknod -m ",
                                // what a replay needs before the overlay's mount: the layer's
                                // directories and the container's own /etc files
                                "/upper ", "/work ", "/rootfs   # the container's layer",
                                "/hosts <<'EOF'\n+ 127.0.0.1\tlocalhost\n", "/resolv.conf <<'EOF'",
                                "+ mkdir -p ", "/dev/pts\n"})
    EXPECT_NE(r.err.find(want), std::string::npos) << want << "\n" << r.err;
  EXPECT_LT(r.err.find("/rootfs   # the container's layer"), r.err.find("+ mount -t overlay"));
  // --dry-run prints them too, and the masked paths (it left both out).
  auto dry = md({"run", "--dry-run", "devimg", "true"});
  ASSERT_EQ(dry.status, 0) << dry.err;
  for (const char* want : {"/rootfs   # the container's layer", "/hosts <<'EOF'", "/proc/keys\n",
                           "/proc/sys | while read -r m; do mount -o remount,bind,ro"})
    EXPECT_NE(dry.err.find(want), std::string::npos) << want << "\n" << dry.err;
  // The rules are written before the init joins the cgroup.
  EXPECT_LT(r.err.find("devices.deny"), r.err.find("/tasks\n"));
}

// ---- cgroup v2's BPF device filter, on this host's (hybrid) cgroup2 mount ----

TEST_F(SafetyTest, TheBpfDeviceFilterIsEnforcedByTheKernel) {
  // The program mydocker attaches on cgroup v2, on a cgroup of its own below the caller's in
  // the unified hierarchy (on a hybrid host BPF device programs there apply too).
  mydocker::Fs fs;
  std::string unified = "/sys/fs/cgroup/unified", own = "/";
  for (const auto& l : lines(read_file("/proc/self/cgroup")))
    if (l.rfind("0::", 0) == 0) own = l.substr(3);
  if (!exists(unified + "/cgroup.procs")) unified = "/sys/fs/cgroup";
  if (!exists(unified + "/cgroup.procs") ||
      read_file("/proc/filesystems").find("cgroup2") == std::string::npos)
    GTEST_SKIP() << "no cgroup2 mount";
  const std::string dir = unified + (own == "/" ? "" : own) + "/mydocker-bpf-test-" + random_word();
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0) << dir;
  auto rules = mydocker::default_device_rules();
  rules.push_back({true, 'c', 1, 11, "r"});
  std::string error;
  try {
    mydocker::v2::attach_device_filter(fs, dir, rules);
  } catch (const std::exception& e) {
    error = e.what();
  }
  EXPECT_EQ(error, "");
  // A child joins the cgroup and reports errno for each open.
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    int fd = open((dir + "/cgroup.procs").c_str(), O_WRONLY);
    if (fd < 0 || write(fd, "0", 1) != 1) _exit(99);
    close(fd);
    int results[4];
    const struct {
      const char* path;
      int flags;
    } tries[] = {{"/dev/null", O_WRONLY},
                 {"/dev/kmsg", O_RDONLY},
                 {"/dev/kmsg", O_WRONLY},
                 {"/dev/full", O_RDONLY}};
    for (int i = 0; i < 4; ++i) {
      int f = open(tries[i].path, tries[i].flags | O_NONBLOCK);
      results[i] = f >= 0 ? 0 : errno;
      if (f >= 0) close(f);
    }
    (void)!write(p[1], results, sizeof results);
    _exit(0);
  }
  close(p[1]);
  int results[4] = {-1, -1, -1, -1};
  EXPECT_EQ(read(p[0], results, sizeof results), static_cast<ssize_t>(sizeof results));
  close(p[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(results[0], 0);      // /dev/null rw: allowed
  EXPECT_EQ(results[1], 0);      // kmsg r: the added rule
  EXPECT_EQ(results[2], EPERM);  // kmsg w: not granted
  EXPECT_EQ(results[3], 0);      // full
  for (int i = 0; i < 100 && rmdir(dir.c_str()) != 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(exists(dir));
}

// ---- a first word that is no image ----

class HostFilesTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // Outside /tmp: a container without an image gets a fresh /tmp of its own.
    char tmpl[] = "/var/tmp/mydocker-victim-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    victim_ = tmpl;
    ASSERT_EQ(run({"sh", "-c", "mkdir -p " + victim_ + "/sub && echo data > " + victim_ + "/sub/f"})
                  .status,
              0);
  }
  void TearDown() override {
    if (!victim_.empty()) run({"rm", "-rf", victim_});
    IntegrationTest::TearDown();
  }
  std::string victim_;
};

TEST_F(HostFilesTest, AMissingImageNeverCostsTheHostItsFiles) {
  // An empty data root: no image named busybox. The host's busybox runs, on a read-only view.
  auto r = md({"run", "--rm", "busybox", "rm", "-rf", victim_});
  EXPECT_NE(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(victim_ + "/sub/f"), "data\n");
  // Only an image can have a tag, a digest or a registry: "not found", 125, nothing made.
  for (const std::string& ref : std::vector<std::string>{
           "nosuchimage:1", "busybox:latest", "quay.io/foo/bar", "localhost:5000/x", "localhost/x",
           "busybox@sha256:" + std::string(64, 'a')}) {
    auto missing = md({"run", "--rm", ref, "rm", "-rf", victim_});
    EXPECT_EQ(missing.status, 125) << ref << ": " << missing.err;
    EXPECT_NE(missing.err.find("image '" + ref + "' not found"), std::string::npos) << missing.err;
  }
  EXPECT_EQ(read_file(victim_ + "/sub/f"), "data\n");
  EXPECT_TRUE(records().empty());
  EXPECT_TRUE(container_cgroups().empty());
  // A bare name the host lacks too: 127, and the error says no image has that name either.
  auto neither = md({"run", "--rm", "nosuchthing", "x"});
  EXPECT_EQ(neither.status, 127);
  EXPECT_NE(neither.err.find("no image 'nosuchthing'"), std::string::npos) << neither.err;
}

TEST_F(HostFilesTest, TheHostsCommandIsNamedOnTraceAndOnATerminal) {
  auto r = md({"run", "--rm", "--trace", "busybox", "true"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("mydocker: no image 'busybox'; running the host's "), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("busybox on the host's files (read-only)"), std::string::npos) << r.err;
  // Not a terminal, no --trace: quiet (scripts and the seed demos read their own output).
  auto quiet = md({"run", "--rm", "busybox", "true"});
  EXPECT_EQ(quiet.err, "");
  // A terminal (tmux gives one)
  auto t = run({"sh", "-c",
                "command -v script >/dev/null && script -qec \"" + mydocker() + " --root " +
                    root() + " --data-root " + root() + "/data run --rm busybox true\" /dev/null"});
  if (t.status == 0) {
    EXPECT_NE(t.out.find("no image 'busybox'"), std::string::npos) << t.out;
  }
}

TEST_F(HostFilesTest, TheHostsFilesAreReadOnlyWithFreshTmpRunAndShm) {
  auto r = md({"run", "--rm", "sh", "-c",
               "touch /etc/mydocker-x 2>&1; echo hi > /tmp/x && cat /tmp/x; ls -A /run | wc -l; "
               "echo s > /dev/shm/s && cat /dev/shm/s; echo n > /dev/null && echo null-ok; "
               "touch " +
                   victim_ + "/new 2>&1"});
  EXPECT_EQ(r.status, 1) << r.out << r.err;  // the last touch
  EXPECT_NE(r.out.find("'/etc/mydocker-x': Read-only file system"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("hi\n0\ns\nnull-ok\n"), std::string::npos) << r.out;
  EXPECT_FALSE(exists("/etc/mydocker-x"));
  EXPECT_FALSE(exists(victim_ + "/new"));
  // -v: where the command must write.
  auto v = md({"run", "--rm", "-v", victim_ + ":/tmp/out", "sh", "-c", "echo w > /tmp/out/w"});
  EXPECT_EQ(v.status, 0) << v.err;
  EXPECT_EQ(read_file(victim_ + "/w"), "w\n");
  // --host-rw: the writable view, for those who ask.
  auto rw = md({"run", "--rm", "--host-rw", "busybox", "rm", "-rf", victim_ + "/sub"});
  EXPECT_EQ(rw.status, 0) << rw.err;
  EXPECT_FALSE(exists(victim_ + "/sub"));
  EXPECT_EQ(md({"run", "--rm", "--host-rw", "busybox:1", "true"}).status, 125);
}

// The kernel's global settings and the host's terminals stay out of a run on the host's files,
// as they do out of an image's: docker's masked and read-only paths over its /proc and /sys
// (kernel.core_pattern would run a program as the host's root), a devpts instance of its own
// (docker's rules allow c 136:*, the host's /dev/pts/N) and /dev/null over /dev/console.
TEST_F(HostFilesTest, KernelSettingsAndTheHostsTerminalsAreOutOfReach) {
  const std::string before = read_file("/proc/sys/fs/lease-break-time");
  // A terminal of the host's, open while the container looks for it.
  const int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  const std::string pts = ptsname(master);
  for (const std::vector<std::string>& flags :
       {std::vector<std::string>{}, {"--host-rw"}, {"--cap-add", "ALL"}}) {
    std::vector<std::string> a = {"run", "--rm"};
    a.insert(a.end(), flags.begin(), flags.end());
    a.insert(a.end(), {"sh", "-c",
                       "echo 1 > /proc/sys/fs/lease-break-time 2>/dev/null || echo sys-ro; "
                       "test -e " +
                           pts +
                           " || echo pts-hidden; "
                           "stat -c %t:%T /dev/console; wc -c < /proc/keys; "
                           "grep -c . /proc/timer_list"});
    auto r = md(a);
    EXPECT_EQ(r.out, "sys-ro\npts-hidden\n1:3\n0\n0\n") << (flags.empty() ? "" : flags[0]) << r.err;
  }
  close(master);
  EXPECT_EQ(read_file("/proc/sys/fs/lease-break-time"), before);
  // --sysctl is still written (through the /proc/sys of before the read-only bind).
  auto sysctl = md(
      {"run", "--rm", "--sysctl", "net.ipv4.ip_forward=1", "cat", "/proc/sys/net/ipv4/ip_forward"});
  EXPECT_EQ(sysctl.out, "1\n") << sysctl.err;
  // --privileged: none of it (docker's), and -t still gets its PTY.
  auto priv = md({"run", "--rm", "--privileged", "sh", "-c",
                  "test -w /proc/sys/fs/lease-break-time && echo sys-rw"});
  EXPECT_EQ(priv.out, "sys-rw\n") << priv.err;
}

// ---- parents of --cgroup-parent ----

TEST_F(IntegrationTest, PruneRemovesTheCgroupParentsAKilledRunMade) {
  const std::string parent = "mydocker-itest-parent-" + random_word();
  // One that exists before the run (ours to remove at the end, not the run's).
  const std::string existing = own_dir("memory") + "/" + parent;
  ASSERT_EQ(mkdir(existing.c_str(), 0755), 0) << existing;
  auto r = md({"run", "-d", "--cgroup-parent", parent + "/job", "sleep", "30"});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string id = lines(r.out).front();
  auto j = Json::parse(md({"inspect", id}).out, nullptr, false);
  ASSERT_TRUE(j.is_array());
  const pid_t supervisor = j[0]["SupervisorPid"].get<int>();
  const std::string cpu_parent = own_dir("cpu") + "/" + parent;
  ASSERT_TRUE(exists(cpu_parent + "/job/" + id));
  ASSERT_GT(supervisor, 1);
  ASSERT_EQ(kill(supervisor, SIGKILL), 0);  // kill -9 of the run's owner
  for (int i = 0; i < 200 && md({"ps", "-q"}).out.find(id.substr(0, 12)) != std::string::npos; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(exists(cpu_parent + "/job"));  // left behind by the kill
  auto pruned = md({"prune"});
  EXPECT_EQ(pruned.status, 0) << pruned.err;
  EXPECT_FALSE(exists(cpu_parent + "/job")) << pruned.out;  // made by the run: gone
  EXPECT_FALSE(exists(cpu_parent)) << pruned.out;
  EXPECT_FALSE(exists(existing + "/job")) << pruned.out;
  EXPECT_TRUE(exists(existing)) << pruned.out;  // made before the run: left alone
  EXPECT_EQ(rmdir(existing.c_str()), 0);
  EXPECT_TRUE(records().empty());
}

}  // namespace
}  // namespace itest
