// cp and diff on real containers of a busybox image made from Debian's busybox-static: both
// directions, tar streams, owners, hostile symlinks in the container, stopped and running ones.

#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "integration/harness.hpp"

namespace itest {
namespace {

class CopyTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(exists("/bin/busybox"))
        << "busybox-static is missing (scripts/test.sh installs it)";
    char tmpl[] = "/tmp/mydocker-cp-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    data_ = tmpl;
    host_ = data_ + "/host";
    const std::string tarball = data_ + "/busybox.tar";
    std::string script = "set -e; r=" + data_ + "/rootfs; " + busybox_rootfs(data_ + "/rootfs") +
                         "mkdir -p $r/root " + host_ +
                         "; printf 'root:x:0:0:container-root:/root:/bin/sh\\n' > $r/etc/passwd; "
                         "printf 'root:x:0:\\n' > $r/etc/group; echo image > $r/etc/motd; "
                         "tar -C $r -cf " +
                         tarball + " .";
    ASSERT_EQ(run({"sh", "-c", script}).status, 0);
    auto r = md({"import", tarball, "busybox"});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  void TearDown() override {
    for (const auto& c : made_) md({"rm", "-f", c});
    IntegrationTest::TearDown();
    if (!data_.empty()) run({"rm", "-rf", data_});
  }
  Result md(std::vector<std::string> a, Options opt = {}) {
    opt.env["MYDOCKER_DATA_ROOT"] = data_;
    return IntegrationTest::md(std::move(a), opt);
  }
  // A stopped container `name` that ran `script`.
  void stopped(const std::string& name, const std::string& script) {
    made_.push_back(name);
    auto r = md({"run", "--name", name, "busybox", "sh", "-c", script});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  void running(const std::string& name, const std::string& script) {
    made_.push_back(name);
    auto r = md({"run", "-d", "--name", name, "busybox", "sh", "-c", script + "; sleep 600"});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  Result sh(const std::string& script) { return run({"sh", "-c", script}); }
  std::string owner(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return "missing";
    return std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid);
  }
  // The container's file, as copied out of it.
  std::string inside(const std::string& c, const std::string& path) {
    auto r = md({"cp", c + ":" + path, "-"});
    if (r.status != 0) return "error: " + r.err;
    const std::string tar = data_ + "/check.tar";
    std::ofstream(tar, std::ios::binary) << r.out;
    return sh("tar -xOf " + tar).out;
  }
  std::string data_, host_;
  std::vector<std::string> made_;
};

const char* kFiles = "mkdir -p /d/sub && echo hi > /d/f && echo deep > /d/sub/g";

TEST_F(CopyTest, FilesAndDirectoriesOutOfAStoppedContainer) {
  stopped("c", kFiles);
  auto r = md({"cp", "c:/d/f", host_ + "/f.txt"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_file(host_ + "/f.txt"), "hi\n");
  // A directory to a new name: made, with its contents.
  ASSERT_EQ(md({"cp", "c:/d", host_ + "/new"}).status, 0);
  EXPECT_EQ(read_file(host_ + "/new/sub/g"), "deep\n");
  // Into an existing directory: under its own name; with /. only its contents.
  ASSERT_EQ(sh("mkdir " + host_ + "/in " + host_ + "/flat").status, 0);
  ASSERT_EQ(md({"cp", "c:/d", host_ + "/in"}).status, 0);
  EXPECT_EQ(read_file(host_ + "/in/d/f"), "hi\n");
  ASSERT_EQ(md({"cp", "c:/d/.", host_ + "/flat"}).status, 0);
  EXPECT_EQ(read_file(host_ + "/flat/f"), "hi\n");
  EXPECT_FALSE(exists(host_ + "/flat/d"));
  // docker's errors, exit 125.
  r = md({"cp", "c:/nonexistent", host_ + "/x"});
  EXPECT_EQ(r.status, 125);
  EXPECT_NE(r.err.find("Could not find the file /nonexistent in container c"), std::string::npos)
      << r.err;
  r = md({"cp", "c:/d", host_ + "/f.txt"});
  EXPECT_EQ(r.status, 125);
  EXPECT_NE(r.err.find("cannot copy a directory to a file"), std::string::npos) << r.err;
  r = md({"cp", "c:/d/f", host_ + "/nodir/"});
  EXPECT_EQ(r.status, 125) << r.err;
  EXPECT_EQ(md({"cp", "nosuch:/d", host_}).status, 125);
  EXPECT_EQ(md({"cp", host_, data_}).status, 125) << "two local paths";
}

TEST_F(CopyTest, FilesAndDirectoriesIntoAStoppedContainer) {
  stopped("c", kFiles);
  ASSERT_EQ(sh("mkdir -p " + host_ + "/tree/sub && echo one > " + host_ + "/tree/sub/a && " +
               "echo file > " + host_ + "/file")
                .status,
            0);
  auto r = md({"cp", host_ + "/file", "c:/d/copied"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(inside("c", "/d/copied"), "file\n");
  ASSERT_EQ(md({"cp", host_ + "/tree", "c:/"}).status, 0);
  EXPECT_EQ(inside("c", "/tree/sub/a"), "one\n");
  ASSERT_EQ(md({"cp", host_ + "/file", "c:/d/f"}).status, 0) << "a file replaces a file";
  EXPECT_EQ(inside("c", "/d/f"), "file\n");
  r = md({"cp", host_ + "/file", "c:/nodir/x"});
  EXPECT_EQ(r.status, 125);
  EXPECT_NE(r.err.find("Could not find the file /nodir in container c"), std::string::npos)
      << r.err;
  EXPECT_EQ(md({"cp", host_ + "/missing", "c:/d"}).status, 125);
}

// docker's cp of a stopped container reaches its volumes and binds, as its next start sees them
// (not the layer beneath them), and a read-only one refuses.
TEST_F(CopyTest, AStoppedContainersVolumesAreWhatItCopiesFromAndInto) {
  const std::string vol = "cpvol";  // in the test's own data root, removed with it
  ASSERT_EQ(
      sh("mkdir -p " + host_ + "/bound " + host_ + "/ro && echo file > " + host_ + "/file").status,
      0);
  made_.push_back("c");
  auto r = md({"run", "--name", "c", "-v", vol + ":/data", "-v", host_ + "/bound:/bound", "-v",
               host_ + "/ro:/ro:ro", "busybox", "sh", "-c", "echo in-volume > /data/a"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(inside("c", "/data/a"), "in-volume\n") << "read from the volume";
  ASSERT_EQ(md({"cp", host_ + "/file", "c:/data/b"}).status, 0);
  ASSERT_EQ(md({"cp", host_ + "/file", "c:/bound/b"}).status, 0);
  EXPECT_EQ(read_file(host_ + "/bound/b"), "file\n") << "written through the bind";
  r = md({"run", "--rm", "-v", vol + ":/data", "busybox", "cat", "/data/b"});
  EXPECT_EQ(r.out, "file\n") << "the volume holds it: " << r.err;
  r = md({"cp", host_ + "/file", "c:/ro/b"});
  EXPECT_EQ(r.status, 125);
  EXPECT_NE(r.err.find("read-only"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(host_ + "/ro/b"));
}

TEST_F(CopyTest, TarStreamsBothWays) {
  stopped("c", kFiles);
  auto r = md({"cp", "c:/d", "-"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::ofstream(data_ + "/out.tar", std::ios::binary) << r.out;
  auto names = lines(sh("tar -tf " + data_ + "/out.tar | sort").out);
  EXPECT_EQ(names, (std::vector<std::string>{"d/", "d/f", "d/sub/", "d/sub/g"}));
  // A tar on stdin goes into the directory DEST.
  ASSERT_EQ(sh("mkdir -p " + host_ + "/s/x && echo streamed > " + host_ + "/s/x/y").status, 0);
  Options in;
  in.input = sh("tar -C " + host_ + "/s -cf - .").out;
  ASSERT_FALSE(in.input.empty());
  r = md({"cp", "-", "c:/d"}, in);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(inside("c", "/d/x/y"), "streamed\n");
  r = md({"cp", "-", "c:/d/f"}, in);
  EXPECT_EQ(r.status, 125);
  EXPECT_NE(r.err.find("must be a directory"), std::string::npos) << r.err;
}

TEST_F(CopyTest, OwnersWithAndWithoutArchiveMode) {
  stopped("c", "echo x > /owned && chown 1000:1001 /owned");
  ASSERT_EQ(md({"cp", "c:/owned", host_ + "/plain"}).status, 0);
  EXPECT_EQ(owner(host_ + "/plain"), "0:0") << "the caller's (root)";
  ASSERT_EQ(md({"cp", "-a", "c:/owned", host_ + "/kept"}).status, 0);
  EXPECT_EQ(owner(host_ + "/kept"), "1000:1001");
  // In: the container's root, unless -a.
  ASSERT_EQ(sh("echo y > " + host_ + "/mine && chown 1234:1235 " + host_ + "/mine").status, 0);
  ASSERT_EQ(md({"cp", host_ + "/mine", "c:/in-plain"}).status, 0);
  ASSERT_EQ(md({"cp", "-a", host_ + "/mine", "c:/in-kept"}).status, 0);
  ASSERT_EQ(md({"cp", "-a", "c:/in-plain", host_ + "/check-plain"}).status, 0);
  ASSERT_EQ(md({"cp", "-a", "c:/in-kept", host_ + "/check-kept"}).status, 0);
  EXPECT_EQ(owner(host_ + "/check-plain"), "0:0");
  EXPECT_EQ(owner(host_ + "/check-kept"), "1234:1235");
}

// A symlink the container made never leads out of it, either way, running or stopped.
TEST_F(CopyTest, HostileSymlinksStayInsideTheContainer) {
  const std::string links = "ln -s /etc /evil && ln -s ../../../../ /up";
  const std::string mark = "mydocker-cp-test-" + std::to_string(::getpid());
  ASSERT_FALSE(exists("/etc/" + mark));
  stopped("s", links);
  running("r", links + " && echo ready > /tmp/ready");
  for (int i = 0; i < 100 && inside("r", "/tmp/ready") != "ready\n"; ++i) ::usleep(50000);
  ASSERT_EQ(sh("echo planted > " + host_ + "/" + mark).status, 0);
  for (const std::string c : {"s", "r"}) {
    SCOPED_TRACE(c);
    // Out: the container's /etc/passwd through both links, never the host's.
    for (const std::string via : {"/evil/passwd", "/up/etc/passwd", "/up/up/etc/passwd"}) {
      const std::string out = host_ + "/" + c + "-passwd";
      auto r = md({"cp", c + ":" + via, out});
      ASSERT_EQ(r.status, 0) << via << ": " << r.err;
      EXPECT_EQ(read_file(out), "root:x:0:0:container-root:/root:/bin/sh\n") << via;
      ::unlink(out.c_str());
    }
    // -L on the link itself: what it points to in the container.
    ASSERT_EQ(md({"cp", "-L", c + ":/evil", host_ + "/" + c + "-etc"}).status, 0);
    EXPECT_EQ(read_file(host_ + "/" + c + "-etc/motd"), "image\n");
    // Without -L: the link itself.
    ASSERT_EQ(md({"cp", c + ":/evil", host_ + "/" + c + "-link"}).status, 0);
    char target[64] = {};
    EXPECT_GT(::readlink((host_ + "/" + c + "-link").c_str(), target, sizeof target - 1), 0);
    EXPECT_EQ(std::string(target), "/etc");
    // In: through the links, into the container's /etc.
    ASSERT_EQ(md({"cp", host_ + "/" + mark, c + ":/evil/"}).status, 0);
    ASSERT_EQ(md({"cp", host_ + "/" + mark, c + ":/up/etc/" + mark + "-2"}).status, 0);
    EXPECT_FALSE(exists("/etc/" + mark)) << "written to the host's /etc";
    EXPECT_FALSE(exists("/etc/" + mark + "-2")) << "written to the host's /etc";
    EXPECT_EQ(inside(c, "/etc/" + mark), "planted\n");
    EXPECT_EQ(inside(c, "/etc/" + mark + "-2"), "planted\n");
  }
  ::unlink(("/etc/" + mark).c_str());
  ::unlink(("/etc/" + mark + "-2").c_str());
}

TEST_F(CopyTest, RunningContainerSeesWhatIsCopiedIn) {
  running("r", "echo ready > /tmp/ready");
  for (int i = 0; i < 100 && inside("r", "/tmp/ready") != "ready\n"; ++i) ::usleep(50000);
  ASSERT_EQ(sh("echo fresh > " + host_ + "/f").status, 0);
  auto r = md({"cp", host_ + "/f", "r:/tmp/arrived"});
  ASSERT_EQ(r.status, 0) << r.err;
  r = md({"exec", "r", "cat", "/tmp/arrived"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "fresh\n");
  r = md({"exec", "r", "sh", "-c", "echo made > /made"});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(md({"cp", "r:/made", host_ + "/made"}).status, 0);
  EXPECT_EQ(read_file(host_ + "/made"), "made\n");
}

// A container plants a charset converter for glibc's iconv (a gconv-modules and the module it
// names, in the paths a static glibc reads). The copy helper, chroot'ed into the container's
// files as the host's root, once loaded it while libarchive wrote a pax header: the
// container's code ran as the host's root. The configuration is now read from the host's files
// first, and the helper cannot map code at all.
TEST_F(CopyTest, NothingOfTheContainersFilesRunsInTheCopyHelper) {
  const std::string probe = example("gconv_probe.so");
  if (!exists(probe)) GTEST_SKIP() << "no " << probe << " (x86_64 only)";
  const std::string dir = "/usr/lib/x86_64-linux-gnu/gconv";
  running("g", "mkdir -p " + dir + " && printf 'alias\tANSI_X3.4-1968//\tEVIL//\nmodule\t" +
                   "EVIL//\t\tINTERNAL\tevil\t1\nmodule\tINTERNAL\tEVIL//\t\tevil\t1\n' > " + dir +
                   "/gconv-modules && echo ready > /tmp/ready");
  for (int i = 0; i < 100 && inside("g", "/tmp/ready") != "ready\n"; ++i) ::usleep(50000);
  ASSERT_EQ(md({"cp", probe, "g:" + dir + "/evil.so"}).status, 0);
  // Out (a pax header for the long name), in (the host's long name), and export.
  const std::string long_name = std::string(120, 'n');
  ASSERT_EQ(md({"exec", "g", "sh", "-c", "echo x > /tmp/" + long_name}).status, 0);
  auto out = md({"cp", "g:/tmp/" + long_name, host_ + "/out"});
  EXPECT_EQ(out.status, 0) << out.err;
  ASSERT_EQ(sh("echo y > " + host_ + "/" + long_name).status, 0);
  auto in = md({"cp", host_ + "/" + long_name, "g:/tmp/in"});
  EXPECT_EQ(in.status, 0) << in.err;
  auto exp = md({"export", "-o", data_ + "/g.tar", "g"});
  EXPECT_EQ(exp.status, 0) << exp.err;
  for (const auto* r : {&out, &in, &exp})
    EXPECT_EQ(r->err.find("PWNED"), std::string::npos) << r->err;
  EXPECT_NE(md({"exec", "g", "test", "-e", "/PWNED"}).status, 0)
      << "the container's module ran in the copy helper";
  EXPECT_EQ(sh("tar -tf " + data_ + "/g.tar | grep -c " + long_name).out, "1\n");
}

TEST_F(CopyTest, DiffListsAddedChangedAndDeleted) {
  stopped("c",
          "echo x > /new && echo changed > /etc/motd && rm /etc/group && mkdir -p /tmp/a/b && "
          "echo f > /tmp/a/b/f && rm -r /root");
  auto r = md({"diff", "c"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "C /etc\n"
            "D /etc/group\n"
            "C /etc/motd\n"
            "A /new\n"
            "D /root\n"
            "C /tmp\n"
            "A /tmp/a\n"
            "A /tmp/a/b\n"
            "A /tmp/a/b/f\n");
  EXPECT_EQ(md({"diff", "nosuch"}).status, 125);
}

std::string xattr(const std::string& path, const char* name) {
  char v[256];
  const ssize_t n = ::lgetxattr(path.c_str(), name, v, sizeof v);
  return n < 0 ? "none" : std::string(v, static_cast<size_t>(n));
}

// user.* attributes travel both ways; file capabilities only into a container with -a, never
// onto the host (a container's cap_sys_admin+ep binary copied out would be the host's).
TEST_F(CopyTest, ExtendedAttributesThatTravel) {
  stopped("c", "mkdir /d");
  const std::string f = host_ + "/tagged";
  std::ofstream(f) << "x\n";
  ASSERT_EQ(::setxattr(f.c_str(), "user.origin", "host", 4, 0), 0);
  // VFS_CAP_REVISION_2, cap_net_raw (13) permitted and effective.
  const unsigned char cap[20] = {0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00};
  ASSERT_EQ(::setxattr(f.c_str(), "security.capability", cap, sizeof cap, 0), 0);
  ASSERT_EQ(md({"cp", f, "c:/d/plain"}).status, 0);
  ASSERT_EQ(md({"cp", "-a", f, "c:/d/archived"}).status, 0);
  const std::string id = md({"inspect", "-f", "{{.Id}}", "c"}).out.substr(0, 64);
  const std::string upper = data_ + "/containers/" + id + "/upper/d/";
  EXPECT_EQ(xattr(upper + "plain", "user.origin"), "host");
  EXPECT_EQ(xattr(upper + "plain", "security.capability"), "none") << "not without -a";
  EXPECT_EQ(xattr(upper + "archived", "security.capability").size(), sizeof cap) << "cp -a";
  ASSERT_EQ(md({"cp", "-a", "c:/d/archived", host_ + "/back"}).status, 0);
  EXPECT_EQ(xattr(host_ + "/back", "user.origin"), "host");
  EXPECT_EQ(xattr(host_ + "/back", "security.capability"), "none") << "never onto the host";
}

}  // namespace
}  // namespace itest
