// Real containers: a busybox image built at test time from Debian's busybox-static, imported,
// and run with its own root filesystem, terminal, network namespace and hardening.

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "integration/harness.hpp"
#include "mydocker/util/fd.hpp"

namespace itest {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
using mydocker::UniqueFd;
using mydocker::write_all;

class ImagesTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(exists("/bin/busybox"))
        << "busybox-static is missing (scripts/test.sh installs it)";
    char tmpl[] = "/tmp/mydocker-data-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    data_ = tmpl;
    tarball_ = data_ + "/busybox.tar";
    // A busybox root filesystem: the static binary, a link per applet, users and groups.
    std::string script =
        "set -e; r=" + data_ + "/rootfs; " + busybox_rootfs(data_ + "/rootfs") +
        "mkdir -p $r/root $r/home/alice; "
        "printf 'root:x:0:0:root:/root:/bin/sh\\nalice:x:1000:1000:alice:/home/alice:/bin/sh\\n' "
        "> $r/etc/passwd; printf "
        "'root:x:0:\\nalice:x:1000:\\nstaff:x:50:alice\\nwheel:x:10:root\\n' "
        "> $r/etc/group; "
        "echo image > $r/etc/motd; tar -C $r -cf " +
        tarball_ + " .";
    ASSERT_EQ(run({"sh", "-c", script}).status, 0);
    auto r = md({"import", tarball_, "busybox"});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  void TearDown() override {
    IntegrationTest::TearDown();
    if (!data_.empty()) {
      EXPECT_EQ(grep_mounts("overlay"), 0) << "an overlay mount reached the host";
      run({"rm", "-rf", data_});
    }
  }
  Result md(std::vector<std::string> a, Options opt = {}) {
    opt.env["MYDOCKER_DATA_ROOT"] = data_;
    return IntegrationTest::md(std::move(a), opt);
  }
  std::map<std::string, std::string> env2() const {
    auto e = env();
    e["MYDOCKER_DATA_ROOT"] = data_;
    return e;
  }
  // busybox sh -c SCRIPT in a fresh container (--rm), extra flags before the image.
  Result sh(const std::string& script, std::vector<std::string> flags = {}, Options opt = {}) {
    std::vector<std::string> a{"run", "--rm"};
    a.insert(a.end(), flags.begin(), flags.end());
    a.insert(a.end(), {"busybox", "sh", "-c", script});
    return md(a, opt);
  }
  static int grep_mounts(const std::string& what) {
    auto all = lines(read_file("/proc/self/mountinfo"));
    return static_cast<int>(std::count_if(all.begin(), all.end(), [&](const std::string& l) {
      return l.find(what) != std::string::npos;
    }));
  }
  std::string files_dirs() const {
    return run({"sh", "-c", "ls " + data_ + "/containers 2>/dev/null"}).out;
  }
  std::string data_, tarball_;
};

TEST_F(ImagesTest, ImportListAndRemove) {
  auto images = md({"images"});
  EXPECT_NE(images.out.find("REPOSITORY"), std::string::npos);
  EXPECT_TRUE(std::regex_search(images.out, std::regex("busybox +latest +[0-9a-f]{12}")))
      << images.out;
  // The same content twice is the same image.
  auto again = md({"import", tarball_, "busybox:v2"});
  EXPECT_EQ(again.status, 0) << again.err;
  auto ids = md({"images", "-q"}).out;
  EXPECT_EQ(lines(ids).size(), 2u);
  EXPECT_EQ(lines(ids)[0], lines(ids)[1]);
  EXPECT_EQ(md({"rmi", "busybox:v2"}).out, "Untagged: busybox:v2\n");
  // In use by a (stopped) container: refused, unless forced.
  md({"run", "--name", "user", "busybox", "true"});
  auto refused = md({"rmi", "busybox"});
  EXPECT_EQ(refused.status, 125);
  EXPECT_EQ(md({"rm", "user"}).status, 0);
  EXPECT_EQ(md({"import", "/nonexistent.tar", "x"}).status, 125);
  EXPECT_EQ(md({"import", tarball_, "Bad:Name:x"}).status, 125);
  EXPECT_EQ(md({"run", "--rm", "nosuchimage", "true"}).status, 127) << "not an image: a command";
}

TEST_F(ImagesTest, KilledLoadIsLeftAloneWhileItRunsAndPrunedAfter) {
  // The archive arrives through a FIFO that we fill half-way: the load is mid-stream, its
  // archive half unpacked in images/.tmp-*.
  const std::string fifo = data_ + "/stream";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  Background load(args({"load", "-i", fifo}), env2());
  UniqueFd writer(::open(fifo.c_str(), O_WRONLY | O_CLOEXEC));  // returns once it reads
  ASSERT_TRUE(writer);
  const std::string tar = read_file(tarball_);
  ASSERT_GT(tar.size(), 100000u);
  ASSERT_TRUE(write_all(writer.get(), tar.data(), tar.size() / 2));
  auto temps = [&] {
    return run({"sh", "-c", "ls -d " + data_ + "/images/.tmp-* 2>/dev/null"}).out;
  };
  for (int i = 0; i < 500 && temps().empty(); ++i) ::usleep(10000);
  const std::string temp = temps();
  ASSERT_NE(temp, "") << "the load made no temporary directory";

  auto pruned = md({"prune"});  // the load still runs: its directory stays
  EXPECT_EQ(pruned.status, 0) << pruned.err;
  EXPECT_EQ(temps(), temp);

  ::kill(load.pid(), SIGKILL);
  EXPECT_EQ(load.wait(10s), 128 + SIGKILL);
  EXPECT_EQ(temps(), temp) << "nothing to prune: the test proves nothing";
  pruned = md({"image", "prune", "-f"});  // its prompt promises partial loads too
  EXPECT_EQ(pruned.status, 0) << pruned.err;
  EXPECT_NE(pruned.out.find("removed " + data_ + "/images/.tmp-"), std::string::npos) << pruned.out;
  EXPECT_EQ(temps(), "");
  EXPECT_EQ(md({"images", "-q"}).out.size(), 13u) << "only busybox: " << md({"images"}).out;
}

TEST_F(ImagesTest, KilledImportLeavesNothingAtAll) {
  // An import streams into an unnamed file (O_TMPFILE) until its digest is known: a kill -9
  // leaves no name anywhere in the data root.
  auto snapshot = [&] {
    return run({"sh", "-c", "cd " + data_ + " && find blobs layers images tags | sort"}).out;
  };
  const std::string before = snapshot();
  const std::string fifo = data_ + "/stream";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  Background import(args({"import", fifo, "halfway"}), env2());
  UniqueFd writer(::open(fifo.c_str(), O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(writer);
  const std::string tar = read_file(tarball_);
  ASSERT_TRUE(write_all(writer.get(), tar.data(), tar.size() / 2));
  ::usleep(200000);
  ::kill(import.pid(), SIGKILL);
  EXPECT_EQ(import.wait(10s), 128 + SIGKILL);
  EXPECT_EQ(snapshot(), before);
}

TEST_F(ImagesTest, PruneRemovesLayersWhoseRecordIsGone) {
  // Three containers with layers in one data root: one running (prune leaves it), one whose
  // record is gone (as every record in /run is after a reboot), and a stopped one of another
  // state root (not this prune's to judge).
  const std::string other = root() + "/other";
  auto kept = md({"run", "-d", "--name", "kept", "busybox", "sleep", "60"});
  auto lost = md({"run", "--name", "lost", "busybox", "sh", "-c", "echo data > /f"});
  auto theirs = md({"--root", other, "run", "--name", "theirs", "busybox", "true"});
  ASSERT_EQ(kept.status, 0) << kept.err;
  ASSERT_EQ(lost.status, 0) << lost.err;
  ASSERT_EQ(theirs.status, 0) << theirs.err;
  auto id_of = [&](std::vector<std::string> inspect) {
    auto j = Json::parse(md(inspect).out, nullptr, false);
    if (j.is_array() && !j.empty()) j = j[0];
    return j.is_object() ? j.value("Id", "") : "";
  };
  const std::string kept_id = id_of({"inspect", "kept"}), lost_id = id_of({"inspect", "lost"}),
                    their_id = id_of({"--root", other, "inspect", "theirs"});
  ASSERT_EQ(kept_id.size(), 64u);
  ASSERT_EQ(lost_id.size(), 64u);
  ASSERT_EQ(their_id.size(), 64u);
  EXPECT_EQ(lines(files_dirs()).size(), 3u);
  ASSERT_EQ(run({"rm", "-rf", root() + "/" + lost_id}).status, 0);

  auto pruned = md({"prune"});
  EXPECT_EQ(pruned.status, 0) << pruned.err;
  EXPECT_NE(pruned.out.find("removed " + data_ + "/containers/" + lost_id), std::string::npos)
      << pruned.out;
  auto left = lines(files_dirs());
  std::sort(left.begin(), left.end());
  auto expected = std::vector<std::string>{kept_id, their_id};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(left, expected) << "prune removed a layer that still has a record";
  EXPECT_EQ(md({"exec", "kept", "true"}).status, 0) << "the running container was harmed";

  EXPECT_EQ(md({"rm", "-f", "kept"}).status, 0);
  EXPECT_EQ(md({"--root", other, "rm", "theirs"}).status, 0);
  EXPECT_EQ(files_dirs(), "");
}

TEST_F(ImagesTest, RunsInItsOwnRootFilesystem) {
  auto r =
      sh("ls /; cat /etc/motd; cat /etc/hostname; grep localhost /etc/hosts | head -1; "
         "test -e /etc/resolv.conf && echo resolv; ls /work 2>&1; "
         "grep ' / / ' /proc/self/mountinfo");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("bin\ndev\netc\nhome\nproc\nroot\nsys\ntmp\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("image\n"), std::string::npos);
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\n[0-9a-f]{12}\n"))) << r.out;
  EXPECT_NE(r.out.find("127.0.0.1\tlocalhost"), std::string::npos);
  EXPECT_NE(r.out.find("resolv\n"), std::string::npos);
  EXPECT_NE(r.out.find("No such file or directory"), std::string::npos) << "host files visible";
  EXPECT_NE(r.out.find(" overlay "), std::string::npos) << "the root is not the overlay: " << r.out;
  // Writes go to the container's own layer: the image is untouched.
  EXPECT_EQ(sh("echo changed > /etc/motd; cat /etc/motd").out, "changed\n");
  EXPECT_EQ(sh("cat /etc/motd").out, "image\n");
  EXPECT_EQ(files_dirs(), "") << "--rm left the container's files";
}

TEST_F(ImagesTest, ARmContainersLayerIsVolatileAndAKeptOnesIsNot) {
  // --rm: the layer goes with the container, so its overlay skips every sync (the kernel shows
  // "volatile" as fsync=volatile); a container that is kept has its layer synced as usual.
  const std::string probe = "grep ' / / ' /proc/self/mountinfo";
  auto rm = sh(probe);
  ASSERT_EQ(rm.status, 0) << rm.err;
  EXPECT_NE(rm.out.find("volatile"), std::string::npos) << rm.out;
  auto kept = md({"run", "--name", "kept", "busybox", "sh", "-c", probe});
  ASSERT_EQ(kept.status, 0) << kept.err;
  EXPECT_NE(kept.out.find(" overlay "), std::string::npos) << kept.out;
  EXPECT_EQ(kept.out.find("volatile"), std::string::npos) << kept.out;
  // It starts again on the same layer (a volatile one could not be mounted twice).
  auto again = md({"start", "-a", "kept"});
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.out.find(" overlay "), std::string::npos) << again.out;
  EXPECT_EQ(md({"rm", "kept"}).status, 0);
}

TEST_F(ImagesTest, ARmContainerLeavesItsLayerDirectoriesButNothingItWroteToTheNextRun) {
  // The spare layer (spec/layer.hpp): the files and work directories of a --rm container go to
  // the next image run; its upper directory, all it wrote and changed, does not (the next
  // upper is the volatile marker's directory, emptied).
  auto first = md({"run", "-d", "--rm", "busybox", "sh", "-c",
                   "echo secret > /marker && chmod 700 / && mkdir /d && sleep 1"});
  ASSERT_EQ(first.status, 0) << first.err;
  struct stat st {};
  ASSERT_EQ(::stat((data_ + "/containers/" + lines(first.out).at(0) + "/upper").c_str(), &st), 0);
  const ino_t old_upper = st.st_ino;
  EXPECT_EQ(md({"wait", lines(first.out).at(0)}).status, 0);
  const auto spares = lines(run({"sh", "-c", "ls -d " + data_ + "/containers/.spare-*"}).out);
  ASSERT_EQ(spares.size(), 1u);
  ASSERT_EQ(::stat(spares[0].c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);  // root-only, as every layer
  const ino_t spare = st.st_ino;
  ASSERT_EQ(::stat((spares[0] + "/upper").c_str(), &st), 0);
  EXPECT_NE(st.st_ino, old_upper);
  EXPECT_EQ(run({"ls", "-A", spares[0] + "/upper"}).out, "");

  auto next = md({"run", "-d", "--rm", "busybox", "sleep", "1000"});
  ASSERT_EQ(next.status, 0) << next.err;
  const std::string id = lines(next.out).at(0);
  ASSERT_EQ(::stat((data_ + "/containers/" + id).c_str(), &st), 0);
  EXPECT_EQ(st.st_ino, spare);  // taken, not made
  EXPECT_NE(::stat(spares[0].c_str(), &st), 0);
  auto seen = md({"exec", id, "sh", "-c", "stat -c %a /; ls /marker /d 2>&1; ls /"});
  EXPECT_EQ(lines(seen.out).at(0), "755") << seen.out;
  EXPECT_NE(seen.out.find("/marker: No such file"), std::string::npos) << seen.out;
  EXPECT_NE(seen.out.find("/d: No such file"), std::string::npos) << seen.out;
  EXPECT_EQ(md({"rm", "-f", id}).status, 0);

  // `prune` removes it.
  ASSERT_EQ(::stat(spares[0].c_str(), &st), 0);
  auto pruned = md({"prune"});
  EXPECT_EQ(pruned.status, 0) << pruned.err;
  EXPECT_NE(pruned.out.find("removed " + spares[0]), std::string::npos) << pruned.out;
  EXPECT_NE(::stat(spares[0].c_str(), &st), 0);
}

TEST_F(ImagesTest, ARmContainerWhoseSupervisorWasKilledIsCopiedIntoAndStartsAgain) {
  // Its layer was mounted volatile, and overlayfs refuses such a layer until its marker goes:
  // its next start, and `cp` into it once stopped, mount it again.
  auto r = md({"run", "-d", "--rm", "--name", "vol", "busybox", "sh", "-c",
               "cat /x 2>/dev/null || exec sleep 1000"});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string id = lines(r.out).at(0);
  // Kills its supervisor (ours: started by this test) and waits for the container to die too.
  auto kill_supervisor = [&] {
    const Json st = Json::parse(read_file(root() + "/" + id + "/state.json"));
    const pid_t supervisor = st.value("supervisor_pid", 0), init = st.value("pid", 0);
    ASSERT_GT(supervisor, 1);
    ASSERT_GT(init, 1);
    ASSERT_EQ(::kill(supervisor, SIGKILL), 0);
    for (int i = 0; i < 500 && (::kill(supervisor, 0) == 0 || ::kill(init, 0) == 0); ++i)
      ::usleep(10000);  // the init dies with its supervisor (PR_SET_PDEATHSIG)
    ASSERT_NE(::kill(init, 0), 0) << "the container outlived its supervisor";
  };
  kill_supervisor();
  if (HasFatalFailure()) return;
  auto started = md({"start", "vol"});  // its layer mounted a second time
  ASSERT_EQ(started.status, 0) << started.err;
  kill_supervisor();
  if (HasFatalFailure()) return;
  const std::string file = data_ + "/x";
  { std::ofstream(file) << "copied in\n"; }
  auto cp = md({"cp", file, "vol:/x"});
  ASSERT_EQ(cp.status, 0) << cp.err;
  auto again = md({"start", "-a", "vol"});
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(again.out, "copied in\n") << again.err;
  md({"rm", "-f", "vol"});
}

TEST_F(ImagesTest, ProcSysAndAMinimalDev) {
  auto r =
      sh("ls /dev | tr '\\n' ' '; echo; touch /sys/x 2>&1; echo > /proc/sys/kernel/x 2>&1;"
         "cat /proc/timer_list | wc -c; grep -c . /proc/keys 2>/dev/null || echo 0;"
         "mount | grep -c devpts");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Read-only file system"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n0\n0\n1\n"), std::string::npos) << "masked paths or devpts: " << r.out;
}

// docker's /sys/fs/cgroup: the container reads its own limits where a program looks for them
// (a JVM sizes its heap from them), read-only, and no other cgroup; its namespace's view
// (--cgroupns) agrees with the mounts. This host's layout: v1 (cgroupns host by default).
TEST_F(ImagesTest, SeesItsOwnCgroupsReadOnlyAtSysFsCgroup) {
  const bool v2 = run({"sh", "-c", "grep -q ' /sys/fs/cgroup cgroup2 ' /proc/mounts"}).status == 0;
  const std::string mem = v2 ? "memory.max" : "memory/memory.limit_in_bytes";
  const std::string pids = v2 ? "pids.max" : "pids/pids.max";
  auto id = md({"run", "-d", "-m", "100m", "--pids-limit", "50", "busybox", "sleep", "60"});
  ASSERT_EQ(id.status, 0) << id.err;
  const std::string c = id.out.substr(0, 64);
  auto r = md({"exec", c, "sh", "-c",
               "cat /sys/fs/cgroup/" + mem + " /sys/fs/cgroup/" + pids +
                   "; { echo 7 > /sys/fs/cgroup/" + pids +
                   "; } 2>&1; mkdir /sys/fs/cgroup/x 2>&1;"
                   "ls /sys/fs/cgroup | tr '\\n' ' '; echo; cat /proc/self/cgroup;"
                   "grep ' /sys/fs/cgroup' /proc/self/mountinfo"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("104857600\n50\n"), std::string::npos) << "not its own limits: " << r.out;
  EXPECT_NE(r.out.find("can't create /sys/fs/cgroup/" + pids + ": Read-only file system"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("'/sys/fs/cgroup/x': Read-only file system"), std::string::npos) << r.out;
  const std::vector<std::string> names = {"blkio",   "cpu",     "cpuacct", "cpuset",
                                          "devices", "freezer", "memory",  "pids"};
  for (const auto& h : v2 ? std::vector<std::string>{} : names) {
    EXPECT_NE(r.out.find(h + " "), std::string::npos) << "hierarchy " << h << " missing: " << r.out;
  }
  // The mounts' roots are the cgroups /proc/self/cgroup names (what a JVM matches up).
  EXPECT_NE(r.out.find(v2 ? "0::/\n" : "mydocker-" + c), std::string::npos) << r.out;
  for (const auto& line : lines(r.out)) {
    if (line.find(" /sys/fs/cgroup") == std::string::npos ||
        line.find(" - cgroup") == std::string::npos)
      continue;
    EXPECT_NE(line.find(v2 ? " / /sys/fs/cgroup " : "/mydocker-" + c + " /sys/fs/cgroup/"),
              std::string::npos)
        << "a cgroup that is not the container's own: " << line;
    EXPECT_NE(line.find(" ro,"), std::string::npos) << line;
  }
  auto in = Json::parse(md({"inspect", c}).out);
  EXPECT_EQ(in[0]["HostConfig"]["CgroupnsMode"], v2 ? "private" : "host");
  EXPECT_EQ(md({"rm", "-f", c}).status, 0);

  // --cgroupns private: its cgroups are its root, for the command and for exec alike.
  id = md({"run", "-d", "--cgroupns", "private", "busybox", "sh", "-c",
           "cat /proc/self/cgroup > /init.cg; exec sleep 60"});
  ASSERT_EQ(id.status, 0) << id.err;
  const std::string p = id.out.substr(0, 64);
  const int pid = Json::parse(md({"inspect", p}).out)[0]["State"]["Pid"].get<int>();
  r = md({"exec", p, "sh", "-c",
          "cat /init.cg; echo exec; cat /proc/self/cgroup; readlink /proc/self/ns/cgroup"});
  EXPECT_EQ(r.status, 0) << r.err;
  const auto seen = lines(r.out);
  ASSERT_GE(seen.size(), 4u) << r.out;
  for (size_t i = 0; i + 1 < seen.size(); ++i)
    if (seen[i] != "exec") {
      EXPECT_EQ(seen[i].substr(seen[i].rfind(':')), ":/") << "the init's, then exec's: " << r.out;
    }
  EXPECT_EQ(seen.back(),
            std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/ns/cgroup").string())
      << "exec did not join the container's cgroup namespace";
  EXPECT_NE(seen.back(), std::filesystem::read_symlink("/proc/self/ns/cgroup").string());
  EXPECT_EQ(Json::parse(md({"inspect", p}).out)[0]["HostConfig"]["CgroupnsMode"], "private");
  EXPECT_EQ(md({"rm", "-f", p}).status, 0);

  // --privileged: writable, as in docker; a volume in its place wins; bad values: 125.
  r = sh("echo 40 > /sys/fs/cgroup/" + pids + " && cat /sys/fs/cgroup/" + pids, {"--privileged"});
  EXPECT_EQ(r.out, "40\n") << r.err;
  char tmpl[] = "/tmp/mydocker-cgview-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string vol = tmpl;
  auto cleanup = std::shared_ptr<void>(nullptr, [&](void*) { run({"rm", "-rf", vol}); });
  std::ofstream(vol + "/mine") << "x";
  EXPECT_EQ(sh("ls /sys/fs/cgroup", {"-v", vol + ":/sys/fs/cgroup:ro"}).out, "mine\n");
  r = sh("true", {"--cgroupns", "shared"});
  EXPECT_EQ(r.status, 125);
  EXPECT_NE(r.err.find("--cgroupns"), std::string::npos) << r.err;
}

// The view beside the user's mounts, nested cgroups, user namespaces and the host's files.
TEST_F(ImagesTest, TheCgroupViewBesideVolumesNestedCgroupsAndTheHostsFiles) {
  const bool v2 = run({"sh", "-c", "grep -q ' /sys/fs/cgroup cgroup2 ' /proc/mounts"}).status == 0;
  const std::string pids = v2 ? "pids.max" : "pids/pids.max";
  char tmpl[] = "/tmp/mydocker-cgview-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string vol = tmpl;
  auto cleanup = std::shared_ptr<void>(nullptr, [&](void*) { run({"rm", "-rf", vol}); });
  std::ofstream(vol + "/mine") << "x";
  if (!v2) {  // a volume below the view takes its hierarchy's place, the others stay
    auto r = sh("ls /sys/fs/cgroup/memory; cat /sys/fs/cgroup/pids/pids.max",
                {"--pids-limit", "30", "-v", vol + ":/sys/fs/cgroup/memory"});
    EXPECT_EQ(r.out, "mine\n30\n") << r.err;
    r = sh("cat /sys/fs/cgroup/foo/mine; touch /sys/fs/cgroup/foo/w && echo rw",
           {"-v", vol + ":/sys/fs/cgroup/foo"});
    EXPECT_EQ(r.out, "xrw\n") << r.err;
  }
  EXPECT_EQ(sh("ls /sys/fs/cgroup", {"-v", vol + ":/sys//fs/cgroup/"}).out, "mine\nw\n");
  // --privileged: cgroups it makes in its own go with it (the harness checks none is left).
  auto r = sh("mkdir -p /sys/fs/cgroup/" + std::string(v2 ? "" : "pids/") +
                  "a/b && echo $$ > /sys/fs/cgroup/" + (v2 ? "" : "pids/") +
                  "a/b/cgroup.procs && echo made",
              {"--privileged"});
  EXPECT_EQ(r.out, "made\n") << r.err;
  EXPECT_EQ(r.err.find("rmdir"), std::string::npos) << r.err;
  auto id = md({"run", "-d", "--privileged", "busybox", "sh", "-c",
                "mkdir -p /sys/fs/cgroup/" + std::string(v2 ? "" : "memory/") + "x/y; sleep 60"});
  ASSERT_EQ(id.status, 0) << id.err;
  usleep(300000);
  EXPECT_EQ(md({"rm", "-f", id.out.substr(0, 64)}).status, 0);
  // A user namespace's root in a cgroup namespace of its own, rooted at its cgroups.
  r = sh("cat /proc/self/cgroup", {"--userns", "private", "--cgroupns", "private"});
  ASSERT_EQ(r.status, 0) << r.err;
  for (const auto& line : lines(r.out)) {
    EXPECT_EQ(line.substr(line.rfind(':')), ":/") << r.out;
  }
  // The host's files: the host's /sys as it is, unless --cgroupns private, which brings the
  // container's own cgroups there too (so that they agree with /proc/self/cgroup).
  r = md({"run", "--rm", "--pids-limit", "30", "--cgroupns", "private", "sh", "-c",
          "cat /sys/fs/cgroup/" + pids + "; grep -c ' /sys/fs/cgroup' /proc/self/mountinfo"});
  EXPECT_EQ(lines(r.out).at(0), "30") << r.out << r.err;
  EXPECT_EQ(lines(r.out).at(1), v2 ? "1" : "9") << "the host's cgroup mounts are gone: " << r.out;
  r = md({"run", "--rm", "--pids-limit", "30", "sh", "-c", "cat /sys/fs/cgroup/" + pids});
  EXPECT_NE(r.out, "30\n") << "the host's own /sys/fs/cgroup by default";
}

TEST_F(ImagesTest, VolumesTmpfsAndReadOnly) {
  char tmpl[] = "/tmp/mydocker-vol-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string vol = tmpl;
  auto cleanup = std::shared_ptr<void>(nullptr, [&](void*) { run({"rm", "-rf", vol}); });
  std::ofstream(vol + "/in") << "from host\n";
  auto r =
      sh("cat /v/in; echo from container > /v/out; cat /ro/in; (echo x > /ro/y) 2>&1;"
         "echo t > /t/x && mount | grep ' /t '",
         {"-v", vol + ":/v", "-v", vol + ":/ro:ro", "--tmpfs", "/t:size=1m"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("from host\nfrom host\n"), std::string::npos) << r.out;
  EXPECT_EQ(read_file(vol + "/out"), "from container\n");
  EXPECT_NE(r.out.find("Read-only file system"), std::string::npos);
  EXPECT_NE(r.out.find("tmpfs on /t type tmpfs (rw,nosuid,nodev,noexec"), std::string::npos)
      << r.out;
  // docker's -w makes a missing directory, also in a read-only root (before it goes read-only).
  EXPECT_EQ(sh("pwd", {"--read-only", "-w", "/new/dir"}).out, "/new/dir\n");
  auto ro = sh("touch /x 2>&1; touch /t/x && echo tmpfs-rw", {"--read-only", "--tmpfs", "/t"});
  EXPECT_NE(ro.out.find("Read-only file system"), std::string::npos) << ro.out;
  EXPECT_NE(ro.out.find("tmpfs-rw"), std::string::npos);
  // --read-only keeps the root's nodev: a remount with MS_RDONLY alone had cleared it, and an
  // image's device nodes opened (where the devices cgroup let them).
  for (const auto& flags : {std::vector<std::string>{"--read-only"}, std::vector<std::string>{}}) {
    const auto root = sh("awk '$5 == \"/\" {print $6}' /proc/self/mountinfo", flags).out;
    EXPECT_EQ(root.rfind(flags.empty() ? "rw," : "ro,", 0), 0u) << root;
    EXPECT_NE(root.find("nodev"), std::string::npos) << root;
  }
  // docker's /etc files follow the root: read-only with it, writable without it.
  const std::string etc = "for f in hosts resolv.conf hostname; do (echo >> /etc/$f) 2>&1; done";
  auto etc_ro = sh(etc, {"--read-only"});
  EXPECT_NE(etc_ro.out.find("Read-only file system"), std::string::npos) << etc_ro.out;
  EXPECT_EQ(lines(etc_ro.out).size(), 3u) << etc_ro.out;
  EXPECT_EQ(sh(etc, {}).out, "") << "writable without --read-only";
  EXPECT_EQ(sh("true", {"-v", "rel/ative:/x"}).status, 125) << "neither absolute nor a name";
  auto missing = sh("true", {"-v", "/nonexistent-mydocker:/x"});
  EXPECT_EQ(missing.status, 125);
  EXPECT_NE(missing.err.find("for -v"), std::string::npos) << missing.err;
  run({"rm", "-rf", vol});
}

TEST_F(ImagesTest, EnvUserWorkdirEntrypoint) {
  char path[] = "/tmp/mydocker-env-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "# comment\nFROM_FILE=1\nSHARED=file\n";
  auto r = sh(
      "echo $FROM_FILE $SHARED $FOO; id; pwd; echo $HOME",
      {"--env-file", path, "-e", "SHARED=flag", "-e", "FOO=bar", "-u", "alice", "-w", "/work/dir"});
  unlink(path);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(
      r.out,
      "1 flag bar\nuid=1000(alice) gid=1000(alice) groups=50(staff)\n/work/dir\n/home/alice\n");
  EXPECT_EQ(sh("id -u; id -g", {"-u", "1234:4321"}).out, "1234\n4321\n");
  // docker's (runc's) groups: root's from /etc/group without -u; a named group alone.
  EXPECT_EQ(sh("id", {}).out, "uid=0(root) gid=0(root) groups=10(wheel)\n");
  EXPECT_EQ(sh("id -G", {"-u", "alice:alice"}).out, "1000\n");
  EXPECT_EQ(sh("id -G", {"-u", "1000"}).out, "1000 50\n");
  EXPECT_EQ(sh("true", {"-u", "nobody-here"}).status, 125);
  auto ep = md({"run", "--rm", "--entrypoint", "echo", "busybox", "from", "entrypoint"});
  EXPECT_EQ(ep.out, "from entrypoint\n");
}

// A working directory through an image's dangling symlink is made where the link points,
// inside the root, as docker's MkdirAll does (the run failed with 126).
TEST_F(ImagesTest, AWorkdirThroughADanglingSymlinkIsMadeInsideTheRoot) {
  auto mk = md({"run", "--name", "wdlink", "busybox", "ln", "-s", "/data/wd", "/wd"});
  ASSERT_EQ(mk.status, 0) << mk.err;
  ASSERT_EQ(md({"commit", "wdlink", "wdimg"}).status, 0);
  md({"rm", "wdlink"});
  auto r = md({"run", "--rm", "-w", "/wd/sub", "wdimg", "sh", "-c", "pwd -P; ls -d /wd/sub"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "/data/wd/sub\n/wd/sub\n");
  EXPECT_FALSE(exists("/data/wd")) << "made on the host";
  md({"rmi", "wdimg"});
}

TEST_F(ImagesTest, RootfsDirectory) {
  auto r = md({"run", "--rm", "--rootfs", data_ + "/rootfs", "sh", "-c",
               "echo kept > /tmp/written; cat /etc/motd"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "image\n");
  EXPECT_EQ(read_file(data_ + "/rootfs/tmp/written"), "kept\n");
  // The host's root (by any name) would cover the init's own view of the host: refused.
  ASSERT_EQ(::symlink("/", (data_ + "/hostroot").c_str()), 0);
  for (const std::string& dir : {std::string("/"), data_ + "/hostroot", std::string("/tmp/..")}) {
    auto bad = md({"run", "--rm", "--rootfs", dir, "true"});
    EXPECT_EQ(bad.status, 125) << dir;
    EXPECT_NE(bad.err.find("for --rootfs: the host's root directory"), std::string::npos)
        << bad.err;
  }
}

TEST_F(ImagesTest, ExportAndCommit) {
  auto c =
      md({"run", "--name", "base", "busybox", "sh", "-c", "echo hi > /root/note; rm /etc/motd"});
  ASSERT_EQ(c.status, 0) << c.err;
  auto commit = md({"commit", "base", "mine:1"});
  ASSERT_EQ(commit.status, 0) << commit.err;
  auto r =
      md({"run", "--rm", "mine:1", "sh", "-c", "cat /root/note; test -e /etc/motd || echo gone"});
  EXPECT_EQ(r.out, "hi\ngone\n") << r.err;
  auto out = data_ + "/export.tar";
  EXPECT_EQ(md({"export", "-o", out, "base"}).status, 0);
  auto list = run({"tar", "-tf", out}).out;
  EXPECT_NE(list.find("root/note"), std::string::npos) << list;
  EXPECT_EQ(list.find("etc/motd"), std::string::npos) << "a deleted file was exported";
  EXPECT_EQ(md({"rm", "base"}).status, 0);
}

// A running container swaps a directory of its layer with a symlink to the host's files
// while it is committed. The walk used to follow the symlink on the host (5 of 15 commits took
// the host's files into the image). Now the container is frozen during the commit (docker's
// --pause), and the walk runs chroot'ed into the layer (with --pause=false the symlink leads
// nowhere outside it).
TEST_F(ImagesTest, CommitNeverTakesTheHostsFilesThroughASwappedSymlink) {
  const std::string secret_dir = data_ + "/host-secret";
  ASSERT_EQ(
      run({"sh", "-c", "mkdir -p " + secret_dir + " && echo SECRET > " + secret_dir + "/secret"})
          .status,
      0);
  auto r = md({"run", "-d", "--name", "racer", "-v", example("swap_dirs") + ":/swap:ro", "busybox",
               "/swap", "/x", secret_dir});
  ASSERT_EQ(r.status, 0) << r.err;
  for (const std::string pause : {"--pause=true", "--pause=false"}) {
    for (int i = 0; i < 12; ++i) {
      const std::string tag = "racer-img:" + std::to_string(i);
      if (md({"commit", pause, "racer", tag}).status != 0) continue;  // a walk error is fine
      auto look = md({"run", "--rm", tag, "sh", "-c", "cat /x/*/secret 2>/dev/null; true"});
      EXPECT_EQ(look.out.find("SECRET"), std::string::npos)
          << pause << ": the host's file in " << tag;
      md({"rmi", tag});
    }
  }
  EXPECT_EQ(md({"rm", "-f", "racer"}).status, 0);
}

TEST_F(ImagesTest, NetworkNamespace) {
  auto none = sh("ip -o link | wc -l; ip -o link | grep -c 'lo.*UP'");
  EXPECT_EQ(none.out, "1\n1\n") << "only a loopback, up: " << none.out;
  auto host_links = lines(run({"ip", "-o", "link"}).out).size();
  auto host = sh("ip -o link | wc -l", {"--net", "host"});
  EXPECT_EQ(host.out, std::to_string(host_links) + "\n");
  // On the host's network it names itself as the host does (docker's), unless -h says.
  char name[256] = {};
  ASSERT_EQ(::gethostname(name, sizeof name - 1), 0);
  EXPECT_EQ(sh("hostname; cat /etc/hostname", {"--net", "host"}).out,
            std::string(name) + "\n" + name + "\n");
  EXPECT_EQ(sh("hostname", {"--net", "host", "-h", "box"}).out, "box\n");
  EXPECT_NE(sh("hostname").out, std::string(name) + "\n");
  // (Bridges are tested in namespaces of their own: network_test.cpp. Never --net bridge here,
  // in the host's namespace.) A network that does not exist is refused before anything exists.
  auto missing = sh("true", {"--net", "nosuchnet"});
  EXPECT_EQ(missing.status, 125);
  EXPECT_NE(missing.err.find("network nosuchnet not found"), std::string::npos) << missing.err;
}

TEST_F(ImagesTest, CapabilitiesAndNoNewPrivs) {
  auto caps = sh("grep -E 'CapEff|CapBnd|NoNewPrivs|Seccomp:' /proc/self/status");
  // docker's default set: chown dac_override fowner fsetid kill setgid setuid setpcap
  // net_bind_service net_raw sys_chroot mknod audit_write setfcap.
  EXPECT_NE(caps.out.find("CapEff:\t00000000a80425fb"), std::string::npos) << caps.out;
  EXPECT_NE(caps.out.find("CapBnd:\t00000000a80425fb"), std::string::npos) << caps.out;
  EXPECT_NE(caps.out.find("NoNewPrivs:\t1"), std::string::npos);
  EXPECT_NE(caps.out.find("Seccomp:\t2"), std::string::npos) << "no seccomp filter: " << caps.out;
  EXPECT_NE(sh("ip link set lo down").status, 0);
  EXPECT_EQ(sh("ip link set lo down", {"--cap-add", "NET_ADMIN"}).status, 0);
  EXPECT_NE(sh("grep CapEff /proc/self/status", {"--cap-drop", "ALL"}).out.find("0000000000000000"),
            std::string::npos);
  EXPECT_NE(sh("chown 1 /tmp", {"--cap-drop", "CHOWN"}).status, 0);
  auto priv =
      sh("grep -E 'CapEff|Seccomp:' /proc/self/status; mount -t tmpfs none /tmp && echo mounted",
         {"--privileged"});
  EXPECT_NE(priv.out.find("Seccomp:\t0"), std::string::npos) << priv.out;
  EXPECT_NE(priv.out.find("mounted"), std::string::npos) << priv.out;
  EXPECT_NE(sh("grep NoNewPrivs /proc/self/status", {"--security-opt", "no-new-privileges=false"})
                .out.find("NoNewPrivs:\t0"),
            std::string::npos);
  EXPECT_EQ(sh("true", {"--cap-add", "NOT_A_CAP"}).status, 125);
}

TEST_F(ImagesTest, SeccompProfiles) {
  EXPECT_NE(sh("unshare -U true").status, 0)
      << "the default profile lets unshare(CLONE_NEWUSER) by";
  // The compiled filter's cache emptied (a crash before its data reached the disk): it is
  // compiled again, never taken as "no filter".
  ASSERT_EQ(run({"sh", "-c", "for f in " + data_ + "/seccomp/*.bpf; do : > $f; done"}).status, 0);
  EXPECT_EQ(sh("grep Seccomp: /proc/self/status").out, "Seccomp:\t2\n");
  EXPECT_NE(sh("unshare -U true").status, 0) << "an empty cached filter turned seccomp off";
  EXPECT_EQ(sh("unshare -U true", {"--security-opt", "seccomp=unconfined"}).status, 0);
  // A profile of our own, in docker's format: everything allowed but mkdir.
  std::string file = data_ + "/profile.json";
  std::ofstream(file)
      << R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]})";
  auto r = sh("mkdir /tmp/x 2>&1; echo done", {"--security-opt", "seccomp=" + file});
  EXPECT_NE(r.out.find("Operation not permitted"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(sh("true", {"--security-opt", "seccomp=/nonexistent.json"}).status, 125);
  // One that denies every exec: refused with a reason (docker's container would just die).
  std::ofstream(file) << R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[]})";
  auto deny = sh("true", {"--security-opt", "seccomp=" + file});
  EXPECT_EQ(deny.status, 125);
  EXPECT_NE(deny.err.find("denies execve and execveat"), std::string::npos) << deny.err;
  std::ofstream(file)
      << R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["execveat"],"action":"SCMP_ACT_ERRNO"}]})";
  EXPECT_EQ(sh("echo one-exec-is-enough", {"--security-opt", "seccomp=" + file}).out,
            "one-exec-is-enough\n");
}

TEST_F(ImagesTest, Ulimit) {
  EXPECT_EQ(sh("ulimit -n; ulimit -Hn", {"--ulimit", "nofile=100:200"}).out, "100\n200\n");
  EXPECT_EQ(sh("true", {"--ulimit", "nofile=2:1"}).status, 125);
  EXPECT_EQ(sh("true", {"--ulimit", "bogus=1"}).status, 125);
}

TEST_F(ImagesTest, StdinWithoutATerminal) {
  Options in;
  in.input = "piped\n";
  EXPECT_EQ(md({"run", "--rm", "-i", "busybox", "cat"}, in).out, "piped\n");
  EXPECT_EQ(md({"run", "--rm", "busybox", "cat"}, in).out, "");
}

// -t: a PTY inside the container, the caller's terminal in raw mode, window size changes
// followed, the terminal restored at the end. Driven through tmux.
TEST_F(ImagesTest, TerminalThroughTmux) {
  ASSERT_EQ(run({"sh", "-c", "command -v tmux"}).status, 0) << "tmux is missing";
  const std::string session = "mydocker-itest-" + std::to_string(getpid());
  // Its server's socket in the test's own directory (removed with it), not /tmp/tmux-UID.
  auto tmux = [&](std::vector<std::string> a) {
    a.insert(a.begin(), {"env", "TMUX_TMPDIR=" + data_, "tmux", "-L", session});
    return run(a);
  };
  ASSERT_EQ(tmux({"new-session", "-d", "-x", "100", "-y", "30", "sh"}).status, 0);
  auto cleanup = std::shared_ptr<void>(nullptr, [&](void*) { tmux({"kill-server"}); });
  auto screen = [&] { return tmux({"capture-pane", "-p"}).out; };
  auto wait_for = [&](const std::string& text) {
    for (int i = 0; i < 100; ++i) {
      if (screen().find(text) != std::string::npos) return true;
      usleep(50000);
    }
    return false;
  };
  tmux({"send-keys",
        "MYDOCKER_ROOT=" + root() + " MYDOCKER_DATA_ROOT=" + data_ + " " + mydocker() +
            " run --rm -it busybox sh",
        "Enter"});
  ASSERT_TRUE(wait_for("/ #")) << screen();
  tmux({"send-keys", "tty; stty size; echo $TERM", "Enter"});
  ASSERT_TRUE(wait_for("xterm")) << screen();
  EXPECT_NE(screen().find("/dev/pts/0"), std::string::npos) << screen();
  EXPECT_NE(screen().find("30 100"), std::string::npos) << screen();
  tmux({"resize-window", "-x", "120", "-y", "40"});
  usleep(300000);
  tmux({"send-keys", "stty size", "Enter"});
  EXPECT_TRUE(wait_for("40 120")) << screen();
  tmux({"send-keys", "sleep 100", "Enter"});
  usleep(300000);
  tmux({"send-keys", "C-c"});  // raw mode: ^C reaches the container's shell, not mydocker
  tmux({"send-keys", "echo still-here", "Enter"});
  EXPECT_TRUE(wait_for("still-here\n")) << screen();
  tmux({"send-keys", "exit", "Enter"});
  usleep(500000);
  // The quotes keep the typed line itself from matching.
  tmux({"send-keys", "stty -a | grep -q ' -echo ' && echo RAW''-LEFT || echo RE''STORED", "Enter"});
  EXPECT_TRUE(wait_for("RESTORED")) << "the terminal was not restored: " << screen();
}

// Escape attempts: each must fail from inside a default container.
TEST_F(ImagesTest, EscapesFail) {
  const std::string host_hostname = read_file("/proc/sys/kernel/hostname");
  const std::string me = std::to_string(getpid());
  auto r = sh("ls /proc | grep -c '^[0-9]'; kill -0 " + me +
              " 2>&1;"
              "cat /work/main/README.md 2>&1 | head -1;"
              "mount -o remount,rw /proc/sys 2>&1; echo remount=$?;"
              "mknod /dev/sda b 8 0 && head -c 1 /dev/sda 2>&1; echo mknod=$?;"
              "insmod /nonexistent.ko 2>&1; echo insmod=$?;"
              "hostname evil 2>&1; echo hostname=$?;"
              "unshare -U sh -c 'id' 2>&1; echo unshare=$?;"
              "unshare -m true 2>&1; echo unshare_m=$?");
  EXPECT_EQ(r.status, 0) << r.err;
  const std::string& o = r.out;
  EXPECT_LE(std::atoi(o.c_str()), 3) << "host processes visible: " << o;  // sh, ls, grep
  EXPECT_NE(o.find("No such process"), std::string::npos) << o;
  EXPECT_NE(o.find("No such file or directory"), std::string::npos) << o;
  for (const char* step :
       {"remount=", "mknod=", "insmod=", "hostname=", "unshare=", "unshare_m="}) {
    auto at = o.find(step);
    ASSERT_NE(at, std::string::npos) << step;
    EXPECT_NE(o[at + std::strlen(step)], '0') << step << " succeeded: " << o;
  }
  EXPECT_EQ(read_file("/proc/sys/kernel/hostname"), host_hostname);
}

// --userns private: root in the container is an unprivileged host uid; the image and the
// container's layer stay owned by host root on disk (idmapped mounts), so the container's
// root owns them inside, and export/commit see the usual owners.
TEST_F(ImagesTest, PrivateUserNamespace) {
  char tmpl[] = "/tmp/mydocker-userns-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string vol = tmpl;
  auto cleanup = std::shared_ptr<void>(nullptr, [&](void*) { run({"rm", "-rf", vol}); });
  std::ofstream(vol + "/secret") << "host only\n";
  ::chmod((vol + "/secret").c_str(), 0600);
  auto id = md({"run", "-d", "--userns", "private", "-v", vol + ":/v", "busybox", "sh", "-c",
                "echo mine > /etc/motd; sleep 60"});
  ASSERT_EQ(id.status, 0) << id.err;
  const std::string c = id.out.substr(0, 64);
  auto inspect = Json::parse(md({"inspect", c}).out);
  const std::string pid = std::to_string(inspect[0]["State"]["Pid"].get<int>());
  usleep(200000);
  EXPECT_NE(read_file("/proc/" + pid + "/status").find("Uid:\t1000000000\t"), std::string::npos)
      << "the container's root is not the unprivileged host uid";
  auto r = md({"exec", c, "sh", "-c",
               "id -u; cat /proc/self/uid_map | tr -s ' '; cat /etc/motd; ls -ln /etc/motd; "
               "cat /v/secret 2>&1; true"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("0\n 0 1000000000 65536\nmine\n"), std::string::npos) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("-rw-r--r-- +1 0 +0 .*/etc/motd"))) << r.out;
  EXPECT_NE(r.out.find("Permission denied"), std::string::npos) << "a host root file was read";
  struct stat st {};
  ASSERT_EQ(::stat((data_ + "/containers/" + c + "/upper/etc/motd").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u) << "the container's layer is owned by host root on disk";
  // Host users cannot walk into a layer (a setuid file left there is not theirs to run).
  ASSERT_EQ(::stat((data_ + "/containers/" + c).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  ASSERT_EQ(::stat((data_ + "/containers").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0711u);
  // Nor into a volume, now that the data root has o+x: a container's setuid file or device
  // node in a volume would be any host user's way to root.
  auto named = md({"run", "--rm", "--userns", "private", "-v", "uvol:/data", "busybox", "true"});
  EXPECT_EQ(named.status, 0) << named.err;
  for (const std::string& dir : {data_ + "/volumes", data_ + "/volumes/uvol"}) {
    ASSERT_EQ(::stat(dir.c_str(), &st), 0) << dir;
    EXPECT_EQ(st.st_mode & 07777, 0700u) << dir;
  }
  EXPECT_NE(run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "ls",
                 data_ + "/volumes/uvol/_data"})
                .status,
            0)
      << "a host user reached a volume's files";
  md({"volume", "rm", "uvol"});
  EXPECT_EQ(md({"commit", c, "fromuserns"}).status, 0);
  EXPECT_EQ(md({"rm", "-f", c}).status, 0);
  EXPECT_EQ(sh("cat /etc/motd; stat -c %u /etc/motd", {}, {}).out, "image\n0\n");
  EXPECT_EQ(
      md({"run", "--rm", "fromuserns", "sh", "-c", "cat /etc/motd; stat -c %u /etc/motd"}).out,
      "mine\n0\n");
  EXPECT_EQ(sh("true", {"--userns", "bogus"}).status, 125);
  EXPECT_EQ(sh("true", {"--userns", "private", "--privileged"}).status, 125);
  run({"rm", "-rf", vol});
}

// An image's symlinks are resolved inside its root: /etc -> /tmp/<host dir> must not make
// the container's /etc/hostname (or anything) on the host.
TEST_F(ImagesTest, ImageSymlinksStayInsideTheImage) {
  const std::string host_dir = "/tmp/mydocker-escape-" + std::to_string(getpid());
  const std::string r = data_ + "/evil";
  ASSERT_EQ(run({"sh", "-c",
                 "set -e; mkdir -p " + r + "/bin; cp /bin/busybox " + r + "/bin/; ln -s busybox " +
                     r + "/bin/sh; ln -s busybox " + r + "/bin/cat; ln -s " + host_dir + " " + r +
                     "/etc; tar -C " + r + " -cf " + data_ + "/evil.tar ."})
                .status,
            0);
  ASSERT_EQ(md({"import", data_ + "/evil.tar", "evil"}).status, 0);
  auto out = md({"run", "--rm", "-v", data_ + ":/etc/data:ro", "evil", "cat", "/etc/hostname"});
  EXPECT_EQ(out.status, 0) << out.err;
  EXPECT_FALSE(exists(host_dir)) << "a mount target followed the image's symlink to the host";
  run({"rm", "-rf", host_dir});
}

// -v HOST:CTR:ro is read-only all the way down, submounts included.
TEST_F(ImagesTest, ReadOnlyVolumesAreRecursive) {
  char tmpl[] = "/tmp/mydocker-rro-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string vol = tmpl;
  auto cleanup = std::shared_ptr<void>(nullptr, [&](void*) {
    run({"umount", vol + "/sub"});
    run({"rm", "-rf", vol});
  });
  ASSERT_EQ(run({"mkdir", vol + "/sub"}).status, 0);
  ASSERT_EQ(run({"mount", "-t", "tmpfs", "mydocker-rro", vol + "/sub"}).status, 0);
  auto r = sh("touch /v/sub/x 2>&1; touch /v/y 2>&1; true", {"-v", vol + ":/v:ro"});
  EXPECT_EQ(r.status, 0) << r.err;
  size_t n = 0;
  for (size_t at = r.out.find("Read-only file system"); at != std::string::npos;
       at = r.out.find("Read-only file system", at + 1))
    ++n;
  EXPECT_EQ(n, 2u) << r.out;
  EXPECT_FALSE(exists(vol + "/sub/x"));
}

// exec runs under the container's rules: its user, capabilities, no_new_privs, seccomp filter,
// rlimits, network namespace, root and working directory.
TEST_F(ImagesTest, ExecRunsUnderTheContainersRules) {
  auto id = md({"run", "-d", "-u", "alice", "-w", "/tmp", "--ulimit", "nofile=50:60", "--cap-drop",
                "CHOWN", "busybox", "sleep", "60"});
  ASSERT_EQ(id.status, 0) << id.err;
  const std::string c = id.out.substr(0, 64);
  auto r = md({"exec", c, "sh", "-c",
               "id -u; pwd; ulimit -n; grep -E 'CapBnd|NoNewPrivs|Seccomp:' /proc/self/status;"
               "ip -o link | wc -l; ls /work 2>&1; unshare -U true 2>&1; echo unshare=$?"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(
      r.out.find("1000\n/tmp\n50\nCapBnd:\t00000000a80425fa\nNoNewPrivs:\t1\nSeccomp:\t2\n1\n"),
      std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("No such file or directory"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("unshare=0"), std::string::npos) << r.out;
  EXPECT_EQ(md({"exec", "-u", "root", "-w", "/etc", c, "sh", "-c", "id -u; pwd"}).out, "0\n/etc\n");
  EXPECT_NE(
      md({"exec", "--privileged", c, "grep", "Seccomp:", "/proc/self/status"}).out.find("\t0"),
      std::string::npos);
  EXPECT_EQ(md({"exec", "-u", "nobody-here", c, "true"}).status, 125);
  EXPECT_EQ(md({"exec", c, "sh", "-c", "exit 7"}).status, 7);
  EXPECT_EQ(md({"rm", "-f", c}).status, 0);
}

// CVE-2019-5736: a container must not get a writable handle on the mydocker binary, neither
// through its init nor through an exec'd process. Both run mydocker itself here: the command
// /proc/self/exe re-executes the binary they were started from (`stats` loops for ever).
// While a binary runs, a writable open fails with ETXTBSY, except that O_TRUNC asks the mount
// first: "Read-only file system" proves the handle is the read-only one, and the attempt
// cannot damage the binary either way.
TEST_F(ImagesTest, TheMydockerBinaryCannotBeOverwritten) {
  // CVE-2019-5736. The init is a clone of mydocker that never re-executes itself: it execs the
  // command through the sealed exec stub, so /proc/self/exe as the command runs the stub, which
  // refuses to be a command. Nothing of mydocker's file runs in the container.
  auto self = md({"run", "--rm", "busybox", "/proc/self/exe", "--version"});
  EXPECT_EQ(self.status, 127) << self.out << self.err;
  EXPECT_EQ(self.out.find("0."), std::string::npos) << self.out;  // not mydocker's version
  EXPECT_NE(self.err.find("exec stub: not a command"), std::string::npos) << self.err;
  // A script whose interpreter is /proc/self/exe: the same.
  auto script = md({"run", "--rm", "busybox", "sh", "-c",
                    "printf '#!/proc/self/exe\\n' > /tmp/s; chmod +x /tmp/s; /tmp/s --version"});
  EXPECT_EQ(script.out.find("0."), std::string::npos) << script.out;
  // exec still re-executes mydocker from a read-only bind mount of its file: a process of the
  // container that finds it can open its exe only read-only, directly or through a kept fd.
  auto id = md({"run", "-d", "busybox", "sleep", "60"});
  ASSERT_EQ(id.status, 0) << id.err;
  const std::string c = id.out.substr(0, 64);
  Background execd(args({"exec", c, "/proc/self/exe", "--root", "/tmp/none", "stats"}), env2());
  ASSERT_TRUE(execd.wait_for_output("CONTAINER ID", 10s)) << execd.stderr_text();
  auto r = md({"exec", c, "sh", "-c",
               "for p in /proc/[0-9]*; do [ \"$(head -c 14 $p/cmdline)\" = /proc/self/exe ] || "
               "continue; echo found; (echo x > $p/exe) 2>&1; exec 3<$p/exe; "
               "(echo x > /proc/self/fd/3) 2>&1; exec 3<&-; done; "
               "(echo x > /proc/1/exe) 2>&1; echo pid1=$(readlink /proc/1/exe)"});
  EXPECT_EQ(r.status, 0) << r.err;
  auto count = [&](const std::string& what) {
    size_t n = 0;
    for (size_t at = r.out.find(what); at != std::string::npos; at = r.out.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("found"), 1u) << r.out;
  EXPECT_EQ(count("Read-only file system"), 2u) << r.out;
  EXPECT_NE(r.out.find("pid1=/bin/busybox"), std::string::npos) << r.out;  // the image's file
  EXPECT_EQ(md({"rm", "-f", c}).status, 0);
  EXPECT_NE(execd.wait(10s), -1);
}

TEST_F(ImagesTest, NothingLeftBehindHoweverItEnds) {
  // normal exit, failure, SIGTERM, kill -9 + prune
  EXPECT_EQ(md({"run", "--rm", "busybox", "true"}).status, 0);
  EXPECT_EQ(md({"run", "--rm", "busybox", "nosuchcmd"}).status, 127);
  EXPECT_EQ(md({"run", "--rm", "--tmpfs", "/t:size=bogus", "busybox", "true"}).status, 125)
      << "a mount the init cannot make";
  Background c(
      args({"run", "--rm", "--stop-timeout", "1", "busybox", "sh", "-c", "echo ready; sleep 30"}),
      env2());
  ASSERT_TRUE(c.wait_for_output("ready", 10s));
  kill(c.pid(), SIGTERM);
  EXPECT_EQ(c.wait(10s), 137);
  Background d(args({"run", "busybox", "sh", "-c", "echo ready; sleep 30"}), env2());
  ASSERT_TRUE(d.wait_for_output("ready", 10s));
  kill(d.pid(), SIGKILL);
  d.wait(5s);
  usleep(300000);
  EXPECT_EQ(md({"prune"}).status, 0);
  EXPECT_EQ(files_dirs(), "");
  EXPECT_TRUE(records().empty());
  EXPECT_TRUE(container_cgroups().empty());
  EXPECT_EQ(grep_mounts("overlay"), 0);
}

// stats' BLOCK I/O: what the container wrote to the disk under its layer, as the block cgroup
// counts it (v1 counts only with a throttle rule on the device: one that never limits).
TEST_F(ImagesTest, StatsShowBlockIo) {
  const std::string dev = run({"findmnt", "-no", "SOURCE", "--target", data_}).out;
  ASSERT_FALSE(dev.empty());
  auto d =
      md({"run", "-d", "--name", "w", "--device-write-bps", dev.substr(0, dev.size() - 1) + ":1gb",
          "busybox", "sh", "-c",
          "dd if=/dev/zero of=/f bs=1M count=5 oflag=direct 2>/dev/null; echo done; sleep 30"});
  ASSERT_EQ(d.status, 0) << d.err;
  for (int i = 0; i < 50 && md({"logs", "w"}).out.find("done") == std::string::npos; ++i)
    ::usleep(100000);
  auto r = md({"stats", "--no-stream", "--format", "{{.BlockIO}}"});
  EXPECT_TRUE(std::regex_match(r.out, std::regex("\\S+ / 5\\.[0-9]+MB\n"))) << r.out << r.err;
  md({"rm", "-f", "w"});
}

// Named volumes: made on first use with the image's files (docker's copy-up), shared by runs,
// refused to rm while a container has them; anonymous ones (-v /path) go with rm -v and --rm.
TEST_F(ImagesTest, NamedAndAnonymousVolumes) {
  auto volumes = [&] { return md({"volume", "ls", "-q"}).out; };
  ASSERT_EQ(md({"volume", "create", "--label", "k=v", "made"}).out, "made\n");
  auto inspect = Json::parse(md({"volume", "inspect", "made"}).out, nullptr, false);
  EXPECT_EQ(inspect[0]["Labels"]["k"], "v");
  EXPECT_EQ(inspect[0]["Mountpoint"], data_ + "/volumes/made/_data");
  // volume ls: docker's fields (Labels as k=v, N/A for what a cluster volume would have).
  EXPECT_EQ(md({"volume", "ls", "--format", "{{.Name}} {{.Labels}} {{.Group}} {{.Links}}"}).out,
            "made k=v N/A N/A\n");
  // An empty volume over the image's /etc gets its files; what a run writes stays for the next.
  auto first = sh("cat /etc/motd; echo kept > /etc/state", {"-v", "made:/etc"});
  EXPECT_EQ(first.out, "image\n") << first.err;
  // nocopy: a new volume stays empty (docker's -v NAME:/path:nocopy, --mount volume-nocopy).
  EXPECT_EQ(sh("ls -A /etc | wc -l", {"-v", "bare:/etc:nocopy"}).out, "0\n");
  EXPECT_EQ(sh("ls -A /e | wc -l", {"--mount", "type=volume,src=bare2,dst=/e,volume-nocopy"}).out,
            "0\n");
  EXPECT_EQ(md({"volume", "rm", "bare", "bare2"}).status, 0);
  EXPECT_EQ(sh("cat /x/state", {"-v", "made:/x:ro"}).out, "kept\n");
  EXPECT_NE(sh("touch /x/no", {"-v", "made:/x:ro"}).status, 0) << ":ro";
  EXPECT_EQ(sh("cat /x/state", {"--mount", "type=volume,src=made,dst=/x,readonly"}).out, "kept\n");
  auto t = sh("df -k /t | tail -1", {"--mount", "type=tmpfs,dst=/t,tmpfs-size=1m"});
  EXPECT_NE(t.out.find(" 1024 "), std::string::npos) << t.out << t.err;
  EXPECT_EQ(sh("true", {"--mount", "type=bind,src=relative,dst=/x"}).status, 125)
      << "a relative source is from the working directory, where there is none";
  auto gone = sh("true", {"--mount", "type=bind,src=/nonexistent-mydocker,dst=/x"});
  EXPECT_EQ(gone.status, 125);
  EXPECT_NE(gone.err.find("for --mount: bind source path does not exist: /nonexistent-mydocker"),
            std::string::npos)
      << gone.err;
  EXPECT_EQ(sh("echo one > /d/f", {"-v", "auto:/d"}).status, 0);
  EXPECT_EQ(volumes(), "auto\nmade\n") << "made on first use";

  ASSERT_EQ(
      md({"run", "--name", "user", "-v", "made:/m", "-v", "/cache", "busybox", "true"}).status, 0);
  auto j = Json::parse(md({"inspect", "user"}).out, nullptr, false)[0];
  EXPECT_EQ(j["Mounts"][0]["Type"], "volume");
  EXPECT_EQ(j["Mounts"][0]["Name"], "made");
  const std::string anonymous = j["Mounts"][1]["Name"];
  EXPECT_EQ(anonymous.size(), 64u);
  // A bind has an empty Name in a template, as docker's (not "<no value>").
  ASSERT_EQ(md({"run", "--name", "binder", "-v", data_ + ":/h:ro", "busybox", "true"}).status, 0);
  EXPECT_EQ(md({"inspect", "-f", "{{range .Mounts}}[{{.Type}} {{.Name}}]{{end}}", "binder"}).out,
            "[bind ]\n");
  // ps's Mounts: volume names, else the source, 15 columns unless --no-trunc (docker's
  // Ellipsis: 14 and "\u2026"); LocalVolumes: how many are volumes.
  EXPECT_EQ(
      md({"ps", "-a", "--filter", "name=user", "--format", "{{.Mounts}} {{.LocalVolumes}}"}).out,
      "made," + anonymous.substr(0, 14) + "\u2026 2\n");
  EXPECT_EQ(
      md({"ps", "-a", "--no-trunc", "--filter", "name=binder", "--format", "{{.Mounts}}"}).out,
      data_ + "\n");
  auto unknown = md({"ps", "-a", "--format", "{{.Volumes}}"});
  EXPECT_EQ(unknown.status, 125) << "a field ps has not: an error, as docker's";
  EXPECT_NE(unknown.err.find("can't evaluate field Volumes"), std::string::npos) << unknown.err;
  EXPECT_EQ(md({"rm", "binder"}).status, 0);
  auto busy = md({"volume", "rm", "made"});
  EXPECT_NE(busy.status, 0);
  EXPECT_NE(busy.err.find("in use"), std::string::npos) << busy.err;
  ASSERT_EQ(md({"rm", "-v", "user"}).status, 0);
  EXPECT_EQ(volumes(), "auto\nmade\n") << "rm -v: its anonymous volume went, named ones stay";
  EXPECT_EQ(sh("true", {"-v", "/scratch"}).status, 0);
  EXPECT_EQ(volumes(), "auto\nmade\n") << "--rm takes its anonymous volume";

  EXPECT_EQ(md({"volume", "rm", "made"}).status, 0);
  EXPECT_FALSE(exists(data_ + "/volumes/made"));
  EXPECT_EQ(md({"volume", "prune"}).out.find("Deleted"), std::string::npos) << "no yes, no prune";
  EXPECT_EQ(md({"volume", "prune", "-f"}).status, 0);
  EXPECT_EQ(volumes(), "auto\n") << "prune: anonymous only without -a";
  EXPECT_EQ(md({"volume", "prune", "-f", "-a"}).status, 0);
  EXPECT_EQ(volumes(), "");
  EXPECT_EQ(md({"volume", "create", "../up"}).status, 125);
  EXPECT_EQ(sh("true", {"-v", "../up:/x"}).status, 125);
  EXPECT_FALSE(exists(data_ + "/up"));
}

// volume ls -f/--filter: docker's name, dangling, label, driver (the trial's data loss: -f was
// volume's --force, the filter was dropped, and `volume rm $(volume ls -q -f name=test)` removed
// every unused volume). Each volume word takes only its own flags, as docker's.
TEST_F(ImagesTest, VolumeLsFiltersAndEachWordsOwnFlags) {
  for (const char* n : {"proddb", "test1", "test2"})
    ASSERT_EQ(md({"volume", "create", n}).status, 0);
  ASSERT_EQ(md({"volume", "create", "--label", "team=a", "--label", "tier", "lab1"}).status, 0);
  ASSERT_EQ(md({"run", "--name", "user", "-v", "proddb:/d", "busybox", "true"}).status, 0);
  auto ls = [&](std::vector<std::string> a) {
    a.insert(a.begin(), {"volume", "ls", "-q"});
    auto r = md(a);
    EXPECT_EQ(r.status, 0) << r.err;
    return r.out;
  };
  EXPECT_EQ(ls({"-f", "name=test"}), "test1\ntest2\n");
  EXPECT_EQ(ls({"--filter", "name=test"}), "test1\ntest2\n");
  EXPECT_EQ(ls({"-f", "name=test1", "-f", "name=lab"}), "lab1\ntest1\n") << "a key twice: either";
  EXPECT_EQ(ls({"-f", "dangling=true"}), "lab1\ntest1\ntest2\n");
  EXPECT_EQ(ls({"-f", "dangling=false"}), "proddb\n") << "a stopped container's volume is used";
  EXPECT_EQ(ls({"-f", "label=team=a"}), "lab1\n");
  EXPECT_EQ(ls({"-f", "label=team=b"}), "");
  EXPECT_EQ(ls({"-f", "label=team", "-f", "label=tier"}), "lab1\n");
  EXPECT_EQ(ls({"-f", "label=team", "-f", "label=nope"}), "") << "every label given must match";
  EXPECT_EQ(ls({"-f", "driver=local", "-f", "name=prod"}), "proddb\n");
  EXPECT_EQ(ls({"-f", "driver=other"}), "");
  EXPECT_EQ(md({"volume", "ls", "-f", "name=test"}).out,
            "DRIVER    VOLUME NAME\nlocal     test1\nlocal     test2\n");
  // The trial's cleanup: only what the filter named goes.
  std::vector<std::string> rm = {"volume", "rm"};
  for (const auto& n : lines(ls({"-f", "name=test"}))) rm.push_back(n);
  ASSERT_EQ(md(rm).status, 0);
  EXPECT_EQ(ls({}), "lab1\nproddb\n");
  // Refused, exit 125: an unknown key, a bad value, an argument, another word's flag.
  auto bogus = md({"volume", "ls", "-f", "bogus=1"});
  EXPECT_EQ(bogus.status, 125);
  EXPECT_NE(bogus.err.find("invalid filter 'bogus'"), std::string::npos) << bogus.err;
  EXPECT_EQ(md({"volume", "ls", "-f", "dangling=maybe"}).status, 125);
  auto extra = md({"volume", "ls", "whatever"});
  EXPECT_EQ(extra.status, 125);
  EXPECT_NE(extra.err.find("unexpected argument 'whatever' for mydocker volume ls"),
            std::string::npos)
      << extra.err;
  auto force = md({"volume", "ls", "--force"});
  EXPECT_EQ(force.status, 125);
  EXPECT_NE(force.err.find("unknown flag '--force' for mydocker volume ls"), std::string::npos)
      << force.err;
  EXPECT_EQ(md({"volume", "create", "-q", "x"}).status, 125);
  EXPECT_EQ(md({"volume", "rm", "--filter", "name=lab1", "lab1"}).status, 125);
  EXPECT_EQ(md({"volume", "inspect", "-a", "lab1"}).status, 125);
  EXPECT_EQ(md({"volume", "prune", "-q"}).status, 125);
  EXPECT_EQ(ls({}), "lab1\nproddb\n");
  // prune --filter: label (with it), label! (without it).
  ASSERT_EQ(md({"volume", "prune", "-f", "-a", "--filter", "label!=team"}).status, 0);
  EXPECT_EQ(ls({}), "lab1\nproddb\n");
  auto pruned = md({"volume", "prune", "-f", "-a", "--filter", "label=team=a"});
  EXPECT_EQ(pruned.out, "Deleted Volumes:\nlab1\n") << pruned.err;
  EXPECT_EQ(md({"volume", "rm", "-f", "proddb"}).status, 0) << "rm's -f: --force";
  EXPECT_EQ(ls({}), "");
  EXPECT_EQ(md({"rm", "user"}).status, 0);
}

// images REPOSITORY[:TAG]: docker's, that repository's images (with the tag, that one);
// --digests: a DIGEST column.
TEST_F(ImagesTest, ImagesOfARepository) {
  ASSERT_EQ(md({"tag", "busybox", "busybox:v2"}).status, 0);
  ASSERT_EQ(md({"tag", "busybox", "other:1"}).status, 0);
  auto images = [&](std::vector<std::string> a) {
    a.insert(a.begin(), "images");
    a.insert(a.end(), {"--format", "{{.Repository}}:{{.Tag}}"});
    auto r = md(a);
    EXPECT_EQ(r.status, 0) << r.err;
    return r.out;
  };
  EXPECT_EQ(images({}), "busybox:latest\nbusybox:v2\nother:1\n");
  EXPECT_EQ(images({"busybox"}), "busybox:latest\nbusybox:v2\n");
  EXPECT_EQ(images({"busybox:v2"}), "busybox:v2\n");
  EXPECT_EQ(images({"other"}), "other:1\n");
  EXPECT_EQ(images({"nope"}), "");
  EXPECT_EQ(md({"image", "ls", "-q", "other"}).out.size(), 13u);
  auto two = md({"images", "busybox", "other"});
  EXPECT_EQ(two.status, 125);
  EXPECT_NE(two.err.find("unexpected argument 'other'"), std::string::npos) << two.err;
  auto digests = md({"images", "--digests", "other"});
  EXPECT_EQ(digests.status, 0) << digests.err;
  EXPECT_TRUE(std::regex_search(
      digests.out, std::regex("^REPOSITORY +TAG +DIGEST +IMAGE ID +CREATED +SIZE\nother +1 "
                              "+<none> +[0-9a-f]{12} ")))
      << digests.out;
  ASSERT_EQ(md({"rmi", "busybox:v2", "other:1"}).status, 0);
}

// start runs a container again with what create saw: its -e KEY values and files read then
// (not start's environment, files gone meanwhile), and its anonymous volume (docker's).
TEST_F(ImagesTest, StartKeepsWhatCreateSaw) {
  const std::string env_file = root() + "/env", label_file = root() + "/labels";
  std::ofstream(env_file) << "FROM_FILE=file\n";
  std::ofstream(label_file) << "tier=db\n";
  Options at_create;
  at_create.env["FROM_CREATE"] = "one";
  auto created = md({"create", "--name", "kept", "-e", "FROM_CREATE", "--env-file", env_file,
                     "--label-file", label_file, "-v", "/data", "busybox", "sh", "-c",
                     "echo $FROM_CREATE $FROM_FILE; echo x >> /data/f; wc -l < /data/f"},
                    at_create);
  ASSERT_EQ(created.status, 0) << created.err;
  ::unlink(env_file.c_str());
  ::unlink(label_file.c_str());
  Options at_start;
  at_start.env["FROM_CREATE"] = "two";
  auto first = md({"start", "-a", "kept"}, at_start);
  EXPECT_EQ(first.out, "one file\n1\n") << first.err;
  auto second = md({"start", "-a", "kept"}, at_start);
  EXPECT_EQ(second.out, "one file\n2\n") << "the same anonymous volume: " << second.err;
  EXPECT_EQ(md({"volume", "ls", "-q"}).out.size(), 65u) << "one volume, not one per start";
  EXPECT_EQ(md({"inspect", "-f", "{{.Config.Labels.tier}}", "kept"}).out, "db\n");
  ASSERT_EQ(md({"rm", "-v", "kept"}).status, 0);
  EXPECT_EQ(md({"volume", "ls", "-q"}).out, "");
}

// docker ties a container to its image's id: the name moved to a newer image since `run` (an
// import under the same name), or the image untagged and forced out (rmi -f keeps it while a
// container uses it), changes nothing for its `start`. It switched to the newer image before,
// and failed for good once the name was gone.
TEST_F(ImagesTest, StartUsesTheImageItWasMadeFrom) {
  auto image_id = [&](const std::string& ref) {
    return md({"inspect", "--type", "image", "-f", "{{.Id}}", ref}).out;
  };
  ASSERT_EQ(md({"run", "--name", "pin", "busybox", "cat", "/etc/motd"}).out, "image\n");
  const std::string made_from = image_id("busybox");
  ASSERT_EQ(md({"inspect", "-f", "{{.Image}}", "pin"}).out, made_from);
  const std::string newer = data_ + "/newer.tar";
  ASSERT_EQ(run({"sh", "-c",
                 "set -e; r=" + data_ + "/rootfs; echo newer > $r/etc/motd; tar -C $r -cf " +
                     newer + " .; echo image > $r/etc/motd"})
                .status,
            0);
  ASSERT_EQ(md({"import", newer, "busybox"}).status, 0);
  ASSERT_NE(image_id("busybox"), made_from);

  auto again = md({"start", "-a", "pin"});
  EXPECT_EQ(again.out, "image\n") << again.err;
  EXPECT_EQ(md({"inspect", "-f", "{{.Image}}", "pin"}).out, made_from);
  // Its image, nameless now: refused without -f, kept with it (the container uses it).
  const std::string id = made_from.substr(7, 64);  // "sha256:" ... "\n"
  EXPECT_EQ(md({"rmi", id}).status, 125);
  EXPECT_EQ(md({"rmi", "-f", id}).status, 0);
  EXPECT_EQ(md({"rmi", "-f", "busybox"}).status, 0);  // the newer one: no container uses it
  again = md({"start", "-a", "pin"});
  EXPECT_EQ(again.out, "image\n") << again.err;
  EXPECT_EQ(md({"inspect", "-f", "{{.Image}}", "pin"}).out, made_from);
  ASSERT_EQ(md({"rm", "pin"}).status, 0);
}

// system prune --volumes: docker's, the anonymous volumes no container uses; without it (or for
// named volumes) they stay.
TEST_F(ImagesTest, SystemPruneVolumes) {
  ASSERT_EQ(md({"run", "--name", "v", "-v", "/scratch", "-v", "kept:/k", "busybox", "true"}).status,
            0);
  ASSERT_EQ(md({"rm", "v"}).status, 0);  // without -v: its anonymous volume stays
  EXPECT_EQ(md({"volume", "ls", "-q"}).out.size(), 65u + 5u);
  EXPECT_EQ(md({"system", "prune", "-f"}).status, 0);
  EXPECT_EQ(md({"volume", "ls", "-q"}).out.size(), 65u + 5u) << "no --volumes, no volume pruned";
  Options yes;
  yes.input = "y\n";
  auto r = md({"system", "prune", "--volumes"}, yes);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("all anonymous volumes not used"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Deleted Volume: "), std::string::npos) << r.out;
  EXPECT_EQ(md({"volume", "ls", "-q"}).out, "kept\n") << "named volumes stay";
  EXPECT_EQ(md({"volume", "rm", "kept"}).status, 0);
}

}  // namespace
}  // namespace itest
