// Real images: a four-layer image built at test time from Debian's busybox-static with umoci
// (one layer adds files, one deletes a file and replaces a directory, one changes a mode), as
// an OCI layout (gzipped tar) and as a docker save archive (skopeo); loaded, run, saved (read
// back by skopeo and umoci), committed, removed; hostile archives refused with nothing left.

#include <signal.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "integration/harness.hpp"

namespace itest {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

// umoci init/new/unpack/repack/config: each repack of the unpacked tree is one layer.
const char* kBuild = R"SH(set -e
cd "$1"
umoci init --layout oci
umoci new --image oci:app
umoci unpack --image oci:app b1 >/dev/null
r=b1/rootfs; mkdir -p $r/bin $r/etc $r/home $r/data/dir $r/data/gone
cp /bin/busybox $r/bin/
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox $r/bin/$a; done
printf 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home:/bin/sh\n' > $r/etc/passwd
echo a > $r/data/dir/a; echo x > $r/data/gone/x; echo d > $r/data/delme
echo m > $r/data/mode; chmod 600 $r/data/mode
umoci repack --image oci:app b1
umoci unpack --image oci:app b2 >/dev/null; echo added > b2/rootfs/data/added
umoci repack --image oci:app b2
umoci unpack --image oci:app b3 >/dev/null
rm b3/rootfs/data/delme; rm -rf b3/rootfs/data/dir b3/rootfs/data/gone
mkdir b3/rootfs/data/dir; echo b > b3/rootfs/data/dir/b
umoci repack --image oci:app b3
umoci unpack --image oci:app b4 >/dev/null; chmod 755 b4/rootfs/data/mode
umoci repack --image oci:app b4
umoci config --image oci:app --config.cmd sh --config.cmd -c \
  --config.cmd 'echo "$GREETING from $(pwd) as $(id -u)"' --config.env GREETING=hello \
  --config.workingdir /data --config.user alice --config.stopsignal SIGUSR1 \
  --config.label tier=image --config.label owner=umoci
umoci gc --layout oci
rm -rf b1 b2 b3 b4
tar -C oci -czf app-oci.tar.gz .
skopeo copy -q oci:oci:app docker-archive:app-docker.tar:app:1
)SH";

class ImageArchiveTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (const char* tool : {"umoci", "skopeo", "python3"})
      ASSERT_EQ(run({"sh", "-c", std::string("command -v ") + tool}).status, 0)
          << tool << " is missing (scripts/deps.sh installs it)";
    work_ = root() + "/work";
    ASSERT_EQ(run({"mkdir", "-p", work_}).status, 0);
    Options slow;
    slow.timeout_s = 120;
    auto built = run({"sh", "-c", kBuild, "build", work_}, slow);
    ASSERT_EQ(built.status, 0) << built.err;
  }
  std::string data() const { return root() + "/data"; }
  // Entries of the data root's stores (what a failed load must not leave).
  std::string stored() const {
    return run({"sh", "-c",
                "cd " + data() +
                    " 2>/dev/null && find blobs/sha256 layers images tags -mindepth 1 "
                    "-maxdepth 1 2>/dev/null | sort"})
        .out;
  }
  Json inspect(const std::string& image) {
    auto r = md({"image", "inspect", image});
    auto j = Json::parse(r.out, nullptr, false);
    return j.is_array() && !j.empty() ? j[0] : Json::object();
  }
  int layer_dirs() const {
    return static_cast<int>(lines(run({"ls", data() + "/layers"}).out).size());
  }
  std::string work_;
};

TEST_F(ImageArchiveTest, LoadsAnOciLayoutAndADockerArchiveOfTheSameLayersOnce) {
  auto oci = md({"load", "-i", work_ + "/app-oci.tar.gz"});
  ASSERT_EQ(oci.status, 0) << oci.err;
  // umoci names the image "app" in ref.name only (a tag, no repository): docker's rule, no name.
  ASSERT_TRUE(oci.out.starts_with("Loaded image ID: sha256:")) << oci.out;
  const std::string id = oci.out.substr(24, 64);
  Options stdin_archive;
  stdin_archive.input = read_file(work_ + "/app-docker.tar");
  auto docker = md({"load"}, stdin_archive);  // from stdin
  ASSERT_EQ(docker.status, 0) << docker.err;
  EXPECT_EQ(docker.out, "Loaded image: app:1\n");
  EXPECT_EQ(inspect("app:1").value("Id", ""), "sha256:" + id) << "one image, two archives";
  EXPECT_EQ(layer_dirs(), 4) << "each layer unpacked once";

  // The image's config: Cmd, Env, WorkingDir, User.
  auto r = md({"run", "--rm", "app:1"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "hello from /data as 1000\n");
  // The layers' changes: an addition, a deletion, a directory replaced, a mode changed.
  r = md({"run", "--rm", "-u", "0", "app:1", "sh", "-c",
          "cat /data/added; ls /data/dir; test -e /data/delme || echo no-delme; "
          "test -e /data/gone || echo no-gone; stat -c %a /data/mode"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "added\nb\nno-delme\nno-gone\n755\n");

  const Json j = inspect("app:1");
  EXPECT_EQ(j["RootFS"]["Layers"].size(), 4u);
  EXPECT_EQ(j["Config"]["User"], "alice");
  EXPECT_EQ(j["Config"]["WorkingDir"], "/data");
  EXPECT_EQ(j["RepoTags"], Json::array({"app:1"}));
  auto history = md({"history", "app:1"});
  EXPECT_EQ(history.status, 0) << history.err;
  EXPECT_NE(history.out.find("umoci repack"), std::string::npos) << history.out;
  auto rmi = md({"rmi", "app:1"});  // its only name: the image goes too
  EXPECT_EQ(rmi.status, 0) << rmi.err;
  EXPECT_NE(rmi.out.find("Deleted: sha256:" + id), std::string::npos) << rmi.out;
  EXPECT_EQ(stored(), "") << "rmi of the last image removes its layers and blobs";
}

TEST_F(ImageArchiveTest, SaveIsReadBySkopeoAndUmociAndRoundTripsItsDigests) {
  ASSERT_EQ(md({"load", "-i", work_ + "/app-docker.tar"}).status, 0);
  const std::string saved = work_ + "/saved.tar";
  auto s = md({"save", "-o", saved, "app:1"});
  ASSERT_EQ(s.status, 0) << s.err;
  const Json mine = inspect("app:1");
  const std::string manifest = mine["Descriptor"].value("digest", "");

  // skopeo reads the archive and finds our manifest, byte for byte.
  auto sk = run({"skopeo", "inspect", "oci-archive:" + saved});
  ASSERT_EQ(sk.status, 0) << sk.err;
  EXPECT_EQ(Json::parse(sk.out).value("Digest", ""), manifest);
  // umoci unpacks the layout: the files are those of the image.
  const std::string lay = work_ + "/saved-layout";
  ASSERT_EQ(run({"sh", "-c", "mkdir -p " + lay + " && tar -C " + lay + " -xf " + saved}).status, 0);
  auto um = run({"sh", "-c", "cd " + work_ + " && umoci unpack --image saved-layout:1 bundle"});
  ASSERT_EQ(um.status, 0) << um.err;
  EXPECT_EQ(read_file(work_ + "/bundle/rootfs/data/added"), "added\n");
  EXPECT_FALSE(exists(work_ + "/bundle/rootfs/data/delme"));

  // podman loads it: the same manifest digest, the same image id.
  const std::string podman_root = work_ + "/podman";
  auto pd = run({"unshare", "--mount", "--propagation", "private", "sh", "-c",
                 "mount -t tmpfs r /run && mount -t tmpfs s /dev/shm && cd " + work_ +
                     " && p='podman --root " + podman_root + "/root --runroot " + podman_root +
                     "/run --storage-driver vfs --cgroup-manager cgroupfs --events-backend file "
                     "--network-config-dir " +
                     podman_root + "/net' && $p load -q -i " + saved +
                     " >/dev/null && $p images --digests --no-trunc --format "
                     "'{{.Digest}} {{.ID}}'"});
  ASSERT_EQ(pd.status, 0) << pd.out << pd.err;
  EXPECT_EQ(pd.out, manifest + " " + mine.value("Id", "") + "\n");
  run({"rm", "-rf", podman_root});
  // docker's newer save layout (manifest.json naming blobs/sha256/...), without index.json.
  const std::string docker_new = work_ + "/docker-new";
  ASSERT_EQ(run({"sh", "-c",
                 "mkdir -p " + docker_new + " && tar -C " + docker_new + " -xf " + saved +
                     " && rm " + docker_new + "/index.json && tar -C " + docker_new + " -cf " +
                     docker_new + ".tar ."})
                .status,
            0);
  const std::string third = root() + "/third-data";
  auto dn = run({mydocker(), "--root", root(), "--data-root", third, "load", "-q", "-i",
                 docker_new + ".tar"});
  EXPECT_EQ(dn.out, "Loaded image: app:1\n") << "-q hides only progress, as docker's: " << dn.err;
  EXPECT_EQ(Json::parse(run({mydocker(), "--root", root(), "--data-root", third, "image", "inspect",
                             "app:1"})
                            .out)[0]
                .value("Id", ""),
            mine.value("Id", ""));
  run({"rm", "-rf", third});
  // zstd-compressed: read as well.
  ASSERT_EQ(run({"sh", "-c", "zstd -q -f " + saved + " -o " + saved + ".zst"}).status, 0);
  const std::string fourth = root() + "/fourth-data";
  auto zs =
      run({mydocker(), "--root", root(), "--data-root", fourth, "load", "-i", saved + ".zst"});
  EXPECT_EQ(zs.out, "Loaded image: app:1\n") << zs.err;
  run({"rm", "-rf", fourth});
  // xz-compressed, with xz's CRC-64 block checks (computed by our lzma_crc64: main.cpp).
  ASSERT_EQ(run({"sh", "-c", "xz -q -f -k --check=crc64 " + saved}).status, 0);
  auto xzl =
      run({mydocker(), "--root", root(), "--data-root", fourth, "load", "-i", saved + ".xz"});
  EXPECT_EQ(xzl.out, "Loaded image: app:1\n") << xzl.err;
  run({"rm", "-rf", fourth});

  // save | load into another data root: the same ids and digests.
  const std::string other = root() + "/other-data";
  auto rt =
      run({"sh", "-c",
           mydocker() + " save app:1 | MYDOCKER_DATA_ROOT=" + other + " " + mydocker() + " load"},
          Options{"", env(), 60, false});
  ASSERT_EQ(rt.status, 0) << rt.err;
  EXPECT_EQ(rt.out, "Loaded image: app:1\n");
  // A name given twice is saved once (docker's): one manifest in index.json, one RepoTag.
  const std::string twice = work_ + "/twice.tar";
  ASSERT_EQ(md({"save", "-o", twice, "app:1", "app:1"}).status, 0);
  const auto index = Json::parse(run({"tar", "-xOf", twice, "index.json"}).out);
  EXPECT_EQ(index["manifests"].size(), 1u) << index;
  const auto tags = Json::parse(run({"tar", "-xOf", twice, "manifest.json"}).out)[0]["RepoTags"];
  EXPECT_EQ(tags, Json::array({"app:1"}));
  auto theirs =
      run({mydocker(), "--root", root(), "--data-root", other, "image", "inspect", "app:1"});
  const Json j = Json::parse(theirs.out)[0];
  EXPECT_EQ(j["Id"], mine["Id"]);
  EXPECT_EQ(j["Descriptor"]["digest"], manifest);
  EXPECT_EQ(j["RootFS"], mine["RootFS"]);
  run({"rm", "-rf", other});
}

TEST_F(ImageArchiveTest, CommitAddsOneLayerAndRmiKeepsSharedLayers) {
  ASSERT_EQ(md({"load", "-i", work_ + "/app-docker.tar"}).status, 0);
  auto r = md({"run", "--name", "c", "-u", "0", "-e", "FOO=1", "-w", "/data", "--label", "k=v",
               "app:1", "sh", "-c", "rm /data/added; echo new > /data/new"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto bad = md({"commit", "-c", "RUN true", "c", "app:3"});
  EXPECT_EQ(bad.status, 125);
  EXPECT_NE(bad.err.find("--change"), std::string::npos) << bad.err;
  auto c = md({"commit", "-c", "ENV BAR=\"x y\"", "-c", "EXPOSE 53/udp", "-m", "why", "-a", "me",
               "c", "app:2"});
  ASSERT_EQ(c.status, 0) << c.err;
  EXPECT_EQ(md({"rm", "c"}).status, 0);
  r = md({"run", "--rm", "app:2", "sh", "-c", "test -e /data/added || echo gone; cat /data/new"});
  EXPECT_EQ(r.out, "gone\nnew\n") << r.err;
  // docker's commit: the container's configuration is the new image's, -c on top of it.
  r = md({"run", "--rm", "app:2"});
  EXPECT_EQ(r.status, 0) << "its command is the container's: " << r.err;
  EXPECT_EQ(md({"run", "--rm", "app:2", "sh", "-c", "echo $FOO $BAR $(pwd) $(id -u)"}).out,
            "1 x y /data 0\n");
  const Json j = inspect("app:2");
  ASSERT_EQ(j["RootFS"]["Layers"].size(), 5u);
  EXPECT_EQ(j["Config"]["User"], "0") << "the container's -u";
  EXPECT_EQ(j["Config"]["Cmd"], Json({"sh", "-c", "rm /data/added; echo new > /data/new"}));
  EXPECT_EQ(j["Config"]["Labels"]["k"], "v");
  EXPECT_TRUE(j["Config"]["ExposedPorts"].contains("53/udp")) << j["Config"].dump();
  EXPECT_EQ(j["Author"], "me");
  EXPECT_NE(md({"history", "app:2"}).out.find("why"), std::string::npos);
  for (const auto& e : j["Config"]["Env"])
    EXPECT_NE(e.get<std::string>().rfind("HOSTNAME=", 0), 0u) << "the runtime's, not the image's";
  EXPECT_EQ(layer_dirs(), 5);
  EXPECT_EQ(md({"rmi", "app:1"}).status, 0);
  EXPECT_EQ(layer_dirs(), 5) << "app:2 still stands on app:1's four layers";
  auto gone = md({"rmi", "app:2"});
  EXPECT_EQ(gone.status, 0) << gone.err;
  EXPECT_EQ(layer_dirs(), 0);
  EXPECT_EQ(stored(), "");
}

// An image's Volumes (docker's VOLUME) get an anonymous volume each: filled from the image at
// first use, writable under --read-only, out of a commit, shown in Mounts, gone with rm -v;
// a -v on the same path takes its place; a hostile path refuses the run.
TEST_F(ImageArchiveTest, AnImagesVolumesGetAnonymousVolumes) {
  ASSERT_EQ(md({"load", "-i", work_ + "/app-docker.tar"}).status, 0);
  ASSERT_EQ(md({"run", "--name", "c", "-u", "0", "app:1", "sh", "-c",
                "mkdir -p /store && echo base > /store/f"})
                .status,
            0);
  ASSERT_EQ(md({"commit", "-c", "VOLUME /store", "c", "vol:1"}).status, 0);
  auto r = md({"run", "--name", "v", "--read-only", "-u", "0", "vol:1", "sh", "-c",
               "cat /store/f; echo x > /store/x && echo wrote"});
  EXPECT_EQ(r.out, "base\nwrote\n") << r.err;
  const Json mounts =
      Json::parse(md({"inspect", "-f", "{{json .Mounts}}", "v"}).out, nullptr, false);
  ASSERT_TRUE(mounts.is_array() && mounts.size() == 1) << mounts.dump();
  EXPECT_EQ(mounts[0]["Type"], "volume");
  EXPECT_EQ(mounts[0]["Destination"], "/store");
  const std::string name = mounts[0]["Name"];
  EXPECT_NE(md({"volume", "ls", "-q"}).out.find(name), std::string::npos);
  ASSERT_EQ(md({"commit", "v", "vol:2"}).status, 0);
  EXPECT_EQ(md({"run", "--rm", "vol:2", "ls", "/store"}).out, "f\n") << "a volume is not committed";
  // Started again: the same volume, with what it kept.
  ASSERT_EQ(md({"start", "-a", "v"}).status, 0);
  EXPECT_EQ(md({"inspect", "-f", "{{range .Mounts}}{{.Name}}{{end}}", "v"}).out, name + "\n");
  ASSERT_EQ(md({"rm", "-v", "v"}).status, 0);
  EXPECT_EQ(md({"volume", "ls", "-q"}).out.find(name), std::string::npos) << "rm -v: gone";
  // -v on the path: that volume instead, no anonymous one.
  EXPECT_EQ(md({"run", "--rm", "-v", "named:/store", "vol:1", "cat", "/store/f"}).out, "base\n");
  EXPECT_EQ(md({"volume", "ls", "-q"}).out, "named\n");
  EXPECT_EQ(md({"volume", "rm", "named"}).status, 0);
  // --rm takes its anonymous volume with it (docker's).
  EXPECT_EQ(md({"run", "--rm", "vol:1", "true"}).status, 0);
  EXPECT_EQ(md({"volume", "ls", "-q"}).out, "");
  // A hostile image: its Volumes path outside the root is refused before anything is made.
  ASSERT_EQ(md({"commit", "-c", "VOLUME ../../x", "c", "bad:1"}).status, 0);
  auto bad = md({"run", "--rm", "bad:1", "true"});
  EXPECT_EQ(bad.status, 125);
  EXPECT_NE(bad.err.find("the image's Volumes"), std::string::npos) << bad.err;
  EXPECT_EQ(md({"volume", "ls", "-q"}).out, "");
  md({"rm", "c"});
}

// An image of another platform: refused when --platform asks for another (docker's "does not
// match the specified platform"), run with docker's warning when nothing was asked.
TEST_F(ImageArchiveTest, AnImageOfAnotherPlatformIsNamed) {
  ASSERT_EQ(run({"sh", "-c",
                 "set -e; cp -r " + work_ + "/oci " + root() + "/oci2; cd " + root() +
                     "; umoci config --image oci2:app --tag foreign --architecture s390x; "
                     "skopeo copy -q oci:oci2:foreign docker-archive:foreign.tar:foreign:1"})
                .status,
            0);
  auto loaded = md({"load", "-i", root() + "/foreign.tar"});
  ASSERT_EQ(loaded.status, 0) << loaded.err;
  ASSERT_EQ(loaded.out, "Loaded image: foreign:1\n");
  ASSERT_EQ(md({"load", "-i", work_ + "/app-docker.tar"}).status, 0);
  auto asked = md({"run", "--rm", "--platform", "linux/amd64", "foreign:1", "true"});
  EXPECT_EQ(asked.status, 125);
  EXPECT_NE(asked.err.find("does not match the specified platform: wanted linux/amd64, actual: "
                           "linux/s390x"),
            std::string::npos)
      << asked.err;
  auto warned = md({"run", "--rm", "foreign:1", "true"});
  EXPECT_NE(warned.err.find("WARNING: The requested image's platform (linux/s390x) does not match "
                            "the detected host platform"),
            std::string::npos)
      << warned.err;
  auto own = md({"run", "--rm", "--platform", "linux/amd64", "app:1", "true"});
  EXPECT_EQ(own.status, 0) << own.err;
  EXPECT_EQ(own.err.find("WARNING"), std::string::npos) << own.err;
}

TEST_F(ImageArchiveTest, SystemDfCountsImagesLayersAndContainers) {
  ASSERT_EQ(md({"load", "-i", work_ + "/app-docker.tar"}).status, 0);
  ASSERT_EQ(
      md({"run", "--name", "c", "-u", "0", "app:1", "sh", "-c", "head -c 5000 /dev/zero > /data/w"})
          .status,
      0);
  auto df = md({"system", "df"});
  ASSERT_EQ(df.status, 0) << df.err;
  const auto rows = lines(df.out);
  ASSERT_EQ(rows.size(), 4u) << df.out;
  EXPECT_TRUE(rows[0].starts_with("TYPE ")) << df.out;
  // One image, used by the (stopped) container: its four layers active, nothing to reclaim.
  EXPECT_TRUE(rows[1].starts_with("Images          1         1 ")) << df.out;
  EXPECT_NE(rows[1].find(" 0B"), std::string::npos) << df.out;
  EXPECT_TRUE(rows[2].starts_with("Layers          4         4 ")) << df.out;
  // The stopped container's own layer (5 kB written) is reclaimable.
  EXPECT_TRUE(rows[3].starts_with("Containers      1         0         5kB       5kB (100%)"))
      << df.out;
  // --format templates, as docker users script them.
  EXPECT_EQ(md({"inspect", "-f", "{{.State.Status}} {{.Name}}", "c"}).out, "exited /c\n");
  EXPECT_EQ(md({"ps", "-a", "--format", "{{.Names}}|{{.Status | upper}}"}).out.substr(0, 9),
            "c|EXITED ");
  EXPECT_EQ(md({"images", "--format", "{{.Repository}}:{{.Tag}}"}).out, "app:1\n");
  // CreatedAt as docker prints it (Go's time.Time): "2026-12-07 11:17:33 +0000 UTC".
  const std::regex go_time(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC\n)");
  EXPECT_TRUE(std::regex_match(md({"ps", "-a", "--format", "{{.CreatedAt}}"}).out, go_time));
  EXPECT_TRUE(std::regex_match(md({"images", "--format", "{{.CreatedAt}}"}).out, go_time));
  EXPECT_EQ(md({"image", "inspect", "-f", "{{.Config.User}} {{len .RootFS.Layers}}", "app:1"}).out,
            "alice 4\n");
  auto table = md({"ps", "-a", "--format", "table {{.ID}}\\t{{.Names}}"});
  EXPECT_TRUE(table.out.starts_with("CONTAINER ID   NAMES\n")) << table.out;
  auto bad = md({"ps", "--format", "{{.Names"});
  EXPECT_EQ(bad.status, 125);
  EXPECT_EQ(bad.err, "mydocker: template: 1:1: unclosed action\n");
  ASSERT_EQ(md({"rm", "c"}).status, 0);
  df = md({"system", "df"});
  EXPECT_NE(lines(df.out)[1].find("(100%)"), std::string::npos) << df.out;
}

TEST_F(ImageArchiveTest, StopUsesTheImagesStopSignal) {
  ASSERT_EQ(md({"load", "-i", work_ + "/app-docker.tar"}).status, 0);
  // Exits 7 on SIGUSR1 (the image's StopSignal); SIGTERM would end it with 143.
  auto d = md({"run", "-d", "--name", "s", "app:1", "sh", "-c",
               "trap 'exit 7' USR1; echo up; while :; do sleep 0.1; done"});
  ASSERT_EQ(d.status, 0) << d.err;
  for (int i = 0; i < 50 && md({"logs", "s"}).out.empty(); ++i) ::usleep(100000);
  auto stop = md({"stop", "-t", "5", "s"});
  EXPECT_EQ(stop.status, 0) << stop.err;
  auto st = md({"inspect", "s"});
  EXPECT_EQ(Json::parse(st.out)[0]["State"].value("ExitCode", -1), 7) << st.out;
  md({"rm", "-f", "s"});
}

// Issue 14 on a real image: what ps, inspect and images show of a container's image.
TEST_F(ImageArchiveTest, ContainersShowTheirImageLabelsAndSize) {
  ASSERT_EQ(md({"load", "-i", work_ + "/app-docker.tar"}).status, 0);
  auto r = md({"run", "--name", "c", "--label", "owner=me", "-u", "0", "app:1", "sh", "-c",
               "echo 12345 > /data/new"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = Json::parse(md({"inspect", "c"}).out, nullptr, false)[0];
  EXPECT_EQ(j["Config"]["Labels"], (Json{{"tier", "image"}, {"owner", "me"}}))
      << "the image's labels, -l over them";
  EXPECT_EQ(j["Config"]["Image"], "app:1");
  EXPECT_EQ(j["Config"]["User"], "0") << "-u over the image's alice";
  EXPECT_EQ(j["Config"]["WorkingDir"], "/data");
  EXPECT_EQ(j["Config"]["Cmd"], (Json{"sh", "-c", "echo 12345 > /data/new"}));
  EXPECT_TRUE(j["Config"]["Entrypoint"].is_null());
  EXPECT_EQ(j["Config"]["StopSignal"], "SIGUSR1");
  EXPECT_EQ(j["Image"], inspect("app:1")["Id"]);
  auto e = md({"run", "--name", "e", "--entrypoint", "echo", "app:1", "a", "b"});
  ASSERT_EQ(e.status, 0) << e.err;
  auto je = Json::parse(md({"inspect", "e"}).out, nullptr, false)[0];
  EXPECT_EQ(je["Config"]["User"], "alice") << "the image's";
  EXPECT_EQ(je["Config"]["Entrypoint"], (Json{"echo"}));
  EXPECT_EQ(je["Config"]["Cmd"], (Json{"a", "b"}));

  auto ps = md({"ps", "-a", "-s", "--filter", "ancestor=app:1", "--filter", "label=tier=image"});
  EXPECT_EQ(ps.status, 0) << ps.err;
  EXPECT_EQ(lines(ps.out).size(), 3u) << ps.out;
  EXPECT_NE(ps.out.find(" app:1 "), std::string::npos) << "the IMAGE column: " << ps.out;
  EXPECT_NE(ps.out.find("(virtual "), std::string::npos) << "-s: " << ps.out;
  auto size = md({"ps", "-a", "--filter", "name=c", "--format", "{{.Size}}"});
  EXPECT_TRUE(size.out.starts_with("6B (virtual ")) << "the upper dir's one file: " << size.out;
  EXPECT_EQ(md({"ps", "-aq", "--filter", "ancestor=busybox"}).out, "");

  EXPECT_EQ(md({"images", "--filter", "label=tier=image", "--format", "{{.Repository}}"}).out,
            "app\n");
  EXPECT_EQ(md({"images", "--filter", "dangling=true", "-q"}).out, "");
  EXPECT_EQ(md({"images", "--filter", "reference=ap*", "--format", "{{.Tag}}"}).out, "1\n");
  auto never = md({"run", "--rm", "--pull", "never", "nosuch:1", "true"});
  EXPECT_EQ(never.status, 125);
  EXPECT_NE(never.err.find("--pull never"), std::string::npos) << never.err;
  EXPECT_EQ(md({"run", "--rm", "--pull", "missing", "app:1", "true"}).status, 0)
      << "present: nothing pulled";
  md({"rm", "c", "e"});
}

TEST_F(ImageArchiveTest, HostileArchivesAreRefusedAndLeaveNothing) {
  const std::string layout = work_ + "/oci", out = work_ + "/hostile";
  auto made = run({"python3",
                   std::string(MYDOCKER_SOURCE_DIR) + "/tests/integration/data/hostile_archives.py",
                   layout, out});
  ASSERT_EQ(made.status, 0) << made.err;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"traversal", "path leaves the image"},
      {"digest-mismatch", "digest mismatch"},
      {"truncated", "size mismatch"},
      {"missing-blob", "is missing from the archive"},
      {"diff-id-mismatch", "diff id mismatch"},
      {"config-symlink", "is missing from the archive"},
      {"layer-hardlink-out", "leaves the image"},
      {"layer-symlink-out", "md-evil-symlink"},
      {"layer-dotdot", "path leaves the image"},
  };
  for (const auto& [name, why] : cases) {
    auto r = md({"load", "-i", out + "/" + name + ".tar"});
    EXPECT_EQ(r.status, 125) << name << ": " << r.out << r.err;
    EXPECT_NE(r.err.find(why), std::string::npos) << name << ": " << r.err;
    EXPECT_EQ(stored(), "") << name << " left something in the data root";
  }
  for (const char* f :
       {"/md-evil-traversal", "/tmp/md-evil-traversal", "/md-evil-symlink", "/md-evil-dotdot"})
    EXPECT_FALSE(exists(f)) << f;
  // A good image first, then a hostile one: the good one's layers stay, nothing else does.
  ASSERT_EQ(md({"load", "-i", work_ + "/app-docker.tar"}).status, 0);
  const std::string good = stored();
  EXPECT_EQ(md({"load", "-i", out + "/diff-id-mismatch.tar"}).status, 125);
  EXPECT_EQ(stored(), good);
}

TEST_F(ImageArchiveTest, WhatRealImagesDoAndHostileOnesTryIsHandled) {
  const std::string out = work_ + "/hostile";
  ASSERT_EQ(run({"python3",
                 std::string(MYDOCKER_SOURCE_DIR) + "/tests/integration/data/hostile_archives.py",
                 work_ + "/oci", out})
                .status,
            0);
  auto load = [&](const std::string& name) {
    return md({"load", "-i", out + "/" + name + ".tar"});
  };
  // A layer repeated (empty layers often are), and 60 layers: both run.
  ASSERT_EQ(load("repeated-layer").status, 0);
  EXPECT_EQ(md({"run", "--rm", "-u", "0", "repeat:1", "true"}).status, 0);
  ASSERT_EQ(load("many-layers").status, 0);
  auto many = md({"run", "--rm", "-u", "0", "many:1", "sh", "-c", "ls /m | wc -l"});
  EXPECT_EQ(many.out, "60\n") << many.err;
  // docker save's old layout, a repeated layer written as a symlink to the first's layer.tar.
  auto legacy = load("docker-legacy");
  EXPECT_EQ(legacy.out, "Loaded image: legacy:1\n") << legacy.err;
  EXPECT_EQ(md({"run", "--rm", "-u", "0", "legacy:1", "cat", "/data/added"}).out, "added\n");
  // An index of several platforms: this machine's is taken (amd64 here); none: a clear error.
  auto multi = load("multi-platform");
  EXPECT_EQ(multi.out, "Loaded image: multi:1\n") << multi.err;
  auto other = load("other-platforms");
  EXPECT_EQ(other.status, 125);
  EXPECT_NE(other.err.find("no image for linux/amd64 in the index (it has: linux/arm64, "
                           "linux/s390x)"),
            std::string::npos)
      << other.err;
  // Config fields of the wrong type: inspect and history still answer.
  ASSERT_EQ(load("bad-types").status, 0);
  EXPECT_EQ(md({"image", "inspect", "types:1"}).status, 0);
  // `inspect` finds images too (no container by that name), as docker's does; --type narrows.
  EXPECT_EQ(md({"inspect", "-f", "{{.Id}}", "types:1"}).out,
            md({"image", "inspect", "-f", "{{.Id}}", "types:1"}).out);
  EXPECT_EQ(md({"inspect", "--type", "container", "types:1"}).status, 1);
  EXPECT_EQ(md({"history", "types:1"}).status, 0);
  // JSON nested 200,000 deep: an error, not a crash; one image named 40,000 times: read once.
  auto deep = load("deep-json");
  EXPECT_EQ(deep.status, 125) << deep.err;
  auto fan = load("fan-out");
  EXPECT_EQ(fan.status, 0) << fan.err;
  EXPECT_EQ(fan.out, "Loaded image: fan:1\n");
  // A layer's own trusted.overlay.redirect never reaches the disk.
  ASSERT_EQ(load("overlay-xattr").status, 0);
  auto look = md({"run", "--rm", "-u", "0", "xattr:1", "ls", "/look"});
  EXPECT_EQ(look.out, "") << "trusted.overlay.redirect was kept: " << look.out;
  // A blob that is not the layer its diff id names, for a layer the store has: refused.
  ASSERT_EQ(md({"load", "-i", work_ + "/app-docker.tar"}).status, 0);
  auto poisoned = load("poisoned");
  EXPECT_EQ(poisoned.status, 125);
  EXPECT_NE(poisoned.err.find("diff id mismatch"), std::string::npos) << poisoned.err;
  // The image's User, looked up as the overlay shows /etc/passwd: deleted by a whiteout, or a
  // symlink to a file of another layer.
  ASSERT_EQ(load("whiteout-passwd").status, 0);
  auto nouser = md({"run", "--rm", "nopasswd:1", "id", "-u"});
  EXPECT_EQ(nouser.status, 125) << nouser.out;
  EXPECT_NE(nouser.err.find("the image's User 'alice'"), std::string::npos) << nouser.err;
  ASSERT_EQ(load("symlink-passwd").status, 0);
  EXPECT_EQ(md({"run", "--rm", "linked:1", "id", "-u"}).out, "3000\n");
  ASSERT_EQ(load("relative-workdir").status, 0);
  auto reldir = md({"run", "--rm", "reldir:1", "true"});
  EXPECT_EQ(reldir.status, 125);
  EXPECT_NE(reldir.err.find("WorkingDir 'data' is not an absolute path"), std::string::npos);
  // An image id is never a name.
  EXPECT_EQ(md({"tag", "app:1", "sha256:" + std::string(64, 'a')}).status, 125);
  // save -o onto a device writes into it (and does not replace /dev/null with a file).
  auto dev = run({"unshare", "--mount", "--propagation", "private", "sh", "-c",
                  "mount -t tmpfs t " + work_ + "/hostile && mknod " + work_ +
                      "/hostile/null c 1 3 && " + mydocker() + " save -o " + work_ +
                      "/hostile/null app:1 && stat -c %F " + work_ + "/hostile/null"},
                 Options{"", env(), 60, false});
  EXPECT_EQ(dev.out, "character special file\n") << dev.err;
}

TEST_F(ImageArchiveTest, TwoLoadsAtOnceStoreEachLayerOnce) {
  Background a(args({"load", "-i", work_ + "/app-oci.tar.gz"}), env());
  Background b(args({"load", "-i", work_ + "/app-docker.tar"}), env());
  EXPECT_EQ(a.wait(60s), 0) << a.stderr_text();
  EXPECT_EQ(b.wait(60s), 0) << b.stderr_text();
  EXPECT_EQ(layer_dirs(), 4);
  auto r = md({"run", "--rm", "app:1"});
  EXPECT_EQ(r.out, "hello from /data as 1000\n") << r.err;
}

}  // namespace
}  // namespace itest
