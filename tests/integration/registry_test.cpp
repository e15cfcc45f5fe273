// pull, push, login against Debian's docker-registry, started by each test on a free port of
// 127.0.0.1 with its own storage (plain HTTP; then TLS with a CA and a certificate made here,
// and htpasswd basic auth), stopped by its pid. The image is busybox, imported at test time.

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "integration/harness.hpp"

namespace itest {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

int free_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

class RegistryTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (const char* tool : {"docker-registry", "skopeo", "openssl", "htpasswd"})
      ASSERT_EQ(run({"sh", "-c", std::string("command -v ") + tool}).status, 0)
          << tool << " is missing (scripts/deps.sh installs it)";
    work_ = root() + "/work";
    const std::string script =
        "set -e; " + busybox_rootfs(work_ + "/rootfs") + "cd " + work_ +
        "; echo 'root:x:0:0::/:/bin/sh' > "
        "rootfs/etc/passwd; head -c 3000000 /dev/urandom > rootfs/big; tar -C rootfs -cf bb.tar .";
    ASSERT_EQ(run({"sh", "-c", script}).status, 0);
    auto imported = md({"import", work_ + "/bb.tar", "bb"});
    ASSERT_EQ(imported.status, 0) << imported.err;
  }
  void TearDown() override {
    registry_.reset();  // stopped by its pid
    IntegrationTest::TearDown();
  }
  // Starts docker-registry on a free port; `extra` YAML goes under http: (tls) and at the top.
  void start_registry(const std::string& http_extra = "", const std::string& top_extra = "") {
    port_ = free_port();
    host_ = "127.0.0.1:" + std::to_string(port_);
    const std::string yml = work_ + "/registry.yml";
    std::ofstream(yml) << "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n"
                       << "    rootdirectory: " << work_ << "/registry-storage\n"
                       << "http:\n  addr: " << host_ << "\n"
                       << http_extra << top_extra;
    registry_ = std::make_unique<Background>(
        std::vector<std::string>{
            "sh", "-c", "exec docker-registry serve " + yml + " 2>" + work_ + "/registry.log"},
        std::map<std::string, std::string>{});
    for (int i = 0; i < 100; ++i) {
      if (run({"bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(port_)}).status == 0)
        return;
      ::usleep(50000);
    }
    FAIL() << "docker-registry did not listen: " << read_file(work_ + "/registry.log");
  }
  // mydocker with a data root and a registry config directory of its own.
  Result in(const std::string& data, std::vector<std::string> a, Options opt = {}) {
    opt.env["MYDOCKER_DATA_ROOT"] = data;
    opt.env["MYDOCKER_CONFIG"] = work_ + "/config";
    return md(std::move(a), opt);
  }
  Result mine(std::vector<std::string> a, Options opt = {}) {
    return in(root() + "/data", std::move(a), std::move(opt));
  }
  int blob_gets() const {
    auto r = run({"sh", "-c", "grep -c 'GET /v2/.*/blobs/' " + work_ + "/registry.log || true"});
    return std::atoi(r.out.c_str());
  }
  std::string work_, host_;
  int port_ = 0;
  std::unique_ptr<Background> registry_;
};

TEST_F(RegistryTest, PushPullByTagAndDigestAndNoDownloadOfWhatIsThere) {
  start_registry();
  const std::string name = host_ + "/team/bb:1";
  ASSERT_EQ(mine({"tag", "bb", name}).status, 0);
  auto push = mine({"push", name});
  ASSERT_EQ(push.status, 0) << push.err;
  const std::string digest = push.out.substr(push.out.rfind("digest: ") + 8, 71);
  ASSERT_TRUE(digest.starts_with("sha256:")) << push.out;
  // skopeo reads what we pushed: the same manifest digest.
  auto sk = run({"skopeo", "inspect", "--tls-verify=false", "docker://" + name});
  ASSERT_EQ(sk.status, 0) << sk.err;
  EXPECT_EQ(Json::parse(sk.out).value("Digest", ""), digest);

  // Another repository of the same registry: every blob mounted, none uploaded again.
  ASSERT_EQ(mine({"tag", "bb", host_ + "/other/copy:2"}).status, 0);
  auto again = mine({"push", host_ + "/other/copy:2"});
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.out.find("mounted from team/bb"), std::string::npos) << again.out;
  EXPECT_EQ(again.out.find("pushed"), std::string::npos) << again.out;

  // Pull by tag into an empty data root, and run it.
  const std::string fresh = root() + "/fresh";
  auto pull = in(fresh, {"pull", name});
  ASSERT_EQ(pull.status, 0) << pull.err;
  EXPECT_NE(pull.out.find("Status: Downloaded newer image for " + name), std::string::npos);
  auto r = in(fresh, {"run", "--rm", name, "sh", "-c", "wc -c < /big"});
  EXPECT_EQ(r.out, "3000000\n") << r.err;
  auto j = Json::parse(in(fresh, {"image", "inspect", name}).out)[0];
  EXPECT_EQ(j["RepoDigests"], Json::array({host_ + "/team/bb@" + digest}));
  // Pulled again: the blobs are there, nothing is downloaded.
  const int gets = blob_gets();
  auto up = in(fresh, {"pull", name});
  EXPECT_EQ(up.status, 0) << up.err;
  EXPECT_NE(up.out.find("Image is up to date"), std::string::npos) << up.out;
  EXPECT_EQ(blob_gets(), gets) << "a blob the store has was downloaded again";

  // By digest, into another data root: the same image, untagged.
  const std::string third = root() + "/third";
  auto by_digest = in(third, {"pull", host_ + "/team/bb@" + digest});
  ASSERT_EQ(by_digest.status, 0) << by_digest.err;
  auto images = in(third, {"images"});
  EXPECT_NE(images.out.find("<none>"), std::string::npos) << images.out;
  EXPECT_EQ(Json::parse(in(third, {"image", "inspect", j["Id"]}).out)[0]["Id"], j["Id"]);
  // ... and run by that digest, as docker runs NAME@sha256:...
  auto by_digest_run = in(third, {"run", "--rm", host_ + "/team/bb@" + digest, "true"});
  EXPECT_EQ(by_digest_run.status, 0) << by_digest_run.err;

  auto missing = in(third, {"pull", host_ + "/team/bb:nosuchtag"});
  EXPECT_EQ(missing.status, 125);
  EXPECT_NE(missing.err.find("manifest unknown"), std::string::npos) << missing.err;
  run({"rm", "-rf", fresh, third});
}

TEST_F(RegistryTest, PullDrawsABarPerLayerOnATerminalAndLinesElsewhere) {
  start_registry();
  const std::string name = host_ + "/bar/bb:1";
  ASSERT_EQ(mine({"tag", "bb", name}).status, 0);
  ASSERT_EQ(mine({"push", name}).status, 0);
  // script(1) gives the pull a terminal: bars redrawn in place (cursor moves), a line per layer.
  const std::string fresh = root() + "/fresh";
  auto tty = run({"script", "-qec",
                  "env MYDOCKER_DATA_ROOT=" + fresh + " MYDOCKER_CONFIG=" + work_ + "/config " +
                      mydocker() + " --root " + root() + " pull " + name,
                  "/dev/null"});
  ASSERT_EQ(tty.status, 0) << tty.out << tty.err;
  EXPECT_NE(tty.out.find("Downloading ["), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("\x1b["), std::string::npos) << "no redraw on a terminal";
  EXPECT_NE(tty.out.find("Status: Downloaded newer image"), std::string::npos) << tty.out;
  // Without a terminal: plain lines, no escape sequences.
  auto plain = in(root() + "/plain", {"pull", name});
  EXPECT_EQ(plain.status, 0) << plain.err;
  EXPECT_EQ(plain.out.find("\x1b["), std::string::npos) << plain.out;
  EXPECT_NE(plain.out.find("pull complete"), std::string::npos) << plain.out;
  run({"rm", "-rf", fresh, root() + "/plain"});
}

TEST_F(RegistryTest, KilledPullLeavesOnlyWhatPruneRemoves) {
  start_registry();
  const std::string name = host_ + "/k/bb:1";
  ASSERT_EQ(mine({"tag", "bb", name}).status, 0);
  ASSERT_EQ(mine({"push", name}).status, 0);
  const std::string fresh = root() + "/fresh";
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto env = this->env();
    env["MYDOCKER_DATA_ROOT"] = fresh;
    env["MYDOCKER_CONFIG"] = work_ + "/config";
    Background pull(args({"pull", name}), env);
    for (int i = 0; i < 200 && run({"sh", "-c", "ls -d " + fresh + "/images/.tmp-*"}).status != 0;
         ++i)
      ::usleep(5000);
    ::kill(pull.pid(), SIGKILL);
    pull.wait(10s);
  }
  auto prune = in(fresh, {"prune"});
  EXPECT_EQ(prune.status, 0) << prune.err;
  auto left = run({"sh", "-c",
                   "cd " + fresh +
                       " && find images layers blobs/sha256 tags "
                       "-mindepth 1 -maxdepth 1 2>/dev/null"});
  // Whatever finished before the kill (a complete layer) is unreferenced and collected too.
  EXPECT_EQ(left.out, "") << prune.out;
  auto pull = in(fresh, {"pull", name});
  EXPECT_EQ(pull.status, 0) << pull.err;
  run({"rm", "-rf", fresh});
}

TEST_F(RegistryTest, TlsAndBasicAuthWithLogin) {
  const std::string pki = work_ + "/pki";
  const std::string script =
      "set -e; mkdir -p " + pki + "; cd " + pki +
      "; openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca -keyout ca.key "
      "-out ca.crt; openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=wrong -keyout "
      "wrong.key -out wrong.crt; openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 "
      "-keyout server.key -out server.csr; printf 'subjectAltName=IP:127.0.0.1\\n' > ext; "
      "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 "
      "-extfile ext -out server.crt; htpasswd -nbB alice s3cret > htpasswd";
  auto made = run({"sh", "-c", script});
  ASSERT_EQ(made.status, 0) << made.err;
  start_registry(
      "  tls:\n    certificate: " + pki + "/server.crt\n    key: " + pki + "/server.key\n",
      "auth:\n  htpasswd:\n    realm: test\n    path: " + pki + "/htpasswd\n");
  const std::string name = host_ + "/secure/bb:1";
  ASSERT_EQ(mine({"tag", "bb", name}).status, 0);
  // No CA for it yet: the certificate does not verify.
  auto untrusted = mine({"push", name});
  EXPECT_EQ(untrusted.status, 125);
  EXPECT_NE(untrusted.err.find("certificate"), std::string::npos) << untrusted.err;
  const std::string certs = work_ + "/config/certs.d/" + host_;
  ASSERT_EQ(run({"mkdir", "-p", certs}).status, 0);
  ASSERT_EQ(run({"cp", pki + "/wrong.crt", certs + "/ca.crt"}).status, 0);
  EXPECT_EQ(mine({"push", name}).status, 125) << "a CA that did not sign it";
  ASSERT_EQ(run({"cp", pki + "/ca.crt", certs + "/ca.crt"}).status, 0);

  auto anonymous = mine({"push", name});
  EXPECT_EQ(anonymous.status, 125);
  EXPECT_NE(anonymous.err.find("401"), std::string::npos) << anonymous.err;
  Options pw;
  pw.input = "wrong\n";
  auto bad = mine({"login", "-u", "alice", "--password-stdin", host_}, pw);
  EXPECT_EQ(bad.status, 125);
  EXPECT_NE(bad.err.find("login to " + host_ + " failed"), std::string::npos) << bad.err;
  pw.input = "s3cret\n";
  auto good = mine({"login", "-u", "alice", "--password-stdin", host_}, pw);
  ASSERT_EQ(good.status, 0) << good.err;
  EXPECT_EQ(good.out, "Login Succeeded\n");
  struct stat st {};
  ASSERT_EQ(::stat((work_ + "/config/config.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto push = mine({"push", name});
  EXPECT_EQ(push.status, 0) << push.err;
  const std::string fresh = root() + "/fresh";
  auto pull = in(fresh, {"pull", name});
  EXPECT_EQ(pull.status, 0) << pull.err;
  EXPECT_EQ(in(fresh, {"run", "--rm", name, "true"}).status, 0);
  EXPECT_EQ(mine({"logout", host_}).status, 0);
  auto after = in(fresh, {"pull", name});
  EXPECT_EQ(after.status, 125) << "credentials still used after logout";
  run({"rm", "-rf", fresh});
}

}  // namespace
}  // namespace itest
