// Networking, never on the host's real network: each test makes two network namespaces, "host"
// (where mydocker runs: its bridge, veths and nft table live there) and "outside" (a server),
// joined by a veth (192.0.2.1 <-> 192.0.2.2, TEST-NET-1), and proves each feature by a
// connection: outbound traffic masqueraded, a published port from outside, from the host's
// localhost and from another container (hairpin), names and isolation between networks, an
// --internal network, a port conflict, and kill -9 followed by prune.

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "integration/harness.hpp"
#include "mydocker/util/fd.hpp"

namespace itest {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class NetworkTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (const char* tool : {"/usr/sbin/nft", "/usr/sbin/ip", "/bin/busybox"})
      ASSERT_TRUE(exists(tool)) << tool << " is missing (scripts/deps.sh installs it)";
    data_ = root() + "/data";
    host_.emplace(std::vector<std::string>{"unshare", "--net", "sleep", "600"},
                  std::map<std::string, std::string>{});
    outside_.emplace(std::vector<std::string>{"unshare", "--net", "sleep", "600"},
                     std::map<std::string, std::string>{});
    // unshare has switched namespaces once its own /proc/PID/ns/net differs from ours.
    for (int i = 0;
         i < 200 && (ns(host_->pid()) == ns(getpid()) || ns(outside_->pid()) == ns(getpid())); ++i)
      std::this_thread::sleep_for(5ms);
    ASSERT_NE(ns(host_->pid()), ns(getpid()));
    ASSERT_NE(ns(outside_->pid()), ns(getpid()));
    const std::string out_ns = "/proc/" + std::to_string(outside_->pid()) + "/ns/net";
    ASSERT_EQ(in_host({"ip", "link", "set", "lo", "up"}).status, 0);
    ASSERT_EQ(in_host({"ip", "link", "add", "up0", "type", "veth", "peer", "name", "out0", "netns",
                       out_ns})
                  .status,
              0);
    ASSERT_EQ(in_host({"ip", "addr", "add", "192.0.2.1/24", "dev", "up0"}).status, 0);
    ASSERT_EQ(in_host({"ip", "link", "set", "up0", "up"}).status, 0);
    ASSERT_EQ(in_host({"ip", "route", "add", "default", "via", "192.0.2.2"}).status, 0);
    ASSERT_EQ(in_outside({"ip", "link", "set", "lo", "up"}).status, 0);
    ASSERT_EQ(in_outside({"ip", "addr", "add", "192.0.2.2/24", "dev", "out0"}).status, 0);
    ASSERT_EQ(in_outside({"ip", "link", "set", "out0", "up"}).status, 0);
    // The outside server: busybox httpd with a CGI that says who connected.
    const std::string www = root() + "/www";
    fs::create_directories(www + "/cgi-bin");
    std::ofstream(www + "/index.html") << "outside\n";
    std::ofstream(www + "/cgi-bin/ip")
        << "#!/bin/sh\necho 'Content-Type: text/plain'\necho\necho \"$REMOTE_ADDR\"\n";
    fs::permissions(www + "/cgi-bin/ip", fs::perms::owner_all);
    server_.emplace(std::vector<std::string>{"nsenter", "--net=" + out_ns, "busybox", "httpd", "-f",
                                             "-p", "192.0.2.2:8000", "-h", www},
                    std::map<std::string, std::string>{});
    // A busybox image.
    const std::string r = root() + "/rootfs";
    ASSERT_EQ(run({"sh", "-c",
                   "set -e; " + busybox_rootfs(r) + "cp " + example("udp_echo") + " " + r +
                       "/bin/; tar -C " + r + " -cf " + root() + "/bb.tar ."})
                  .status,
              0);
    ASSERT_EQ(md({"import", root() + "/bb.tar", "busybox"}).status, 0);
    for (int i = 0;
         i < 100 &&
         in_outside({"busybox", "wget", "-q", "-O-", "http://192.0.2.2:8000/"}).status != 0;
         ++i)
      std::this_thread::sleep_for(20ms);
  }
  void TearDown() override {
    if (host_) {
      for (const auto& id : lines(md({"ps", "-aq"}).out)) md({"rm", "-f", id});
      // Nothing of a container's networking is left: no veth, no published port, no lease.
      // (A veth dies with its container's namespace, which the kernel tears down in the
      // background: given a moment.)
      std::string links = in_host({"ip", "-br", "link"}).out;
      for (int i = 0; i < 100 && links.find("mdv") != std::string::npos; ++i) {
        std::this_thread::sleep_for(20ms);
        links = in_host({"ip", "-br", "link"}).out;
      }
      EXPECT_EQ(links.find("mdv"), std::string::npos) << links;
      const std::string ports = in_host({"nft", "list", "map", "ip", "mydocker", "ports_any"}).out;
      EXPECT_EQ(ports.find("elements"), std::string::npos) << ports;
      const std::string leases =
          run({"find", data_ + "/networks", "-path", "*.leases/*", "-type", "f"}).out;
      EXPECT_EQ(leases, "") << "leases left";
    }
    server_.reset();
    host_.reset();
    outside_.reset();
    IntegrationTest::TearDown();
  }

  static std::string ns(pid_t pid) {
    std::error_code ec;
    return fs::read_symlink("/proc/" + std::to_string(pid) + "/ns/net", ec).string();
  }
  Result in_host(std::vector<std::string> a, Options opt = {}) {
    a.insert(a.begin(), {"nsenter", "--net=/proc/" + std::to_string(host_->pid()) + "/ns/net"});
    return run(a, opt);
  }
  Result in_outside(std::vector<std::string> a) {
    a.insert(a.begin(), {"nsenter", "--net=/proc/" + std::to_string(outside_->pid()) + "/ns/net"});
    Options opt;
    opt.timeout_s = 20;
    return run(a, opt);
  }
  // mydocker in the "host" namespace, with this test's state and data roots.
  Result md(std::vector<std::string> a) {
    a.insert(a.begin(), {mydocker(), "--root", root(), "--data-root", data_});
    Options opt;
    opt.timeout_s = 30;
    return in_host(a, opt);
  }
  // A detached web server in a container: prints hello-<name> on /.
  std::string web(const std::vector<std::string>& flags, const std::string& name) {
    std::vector<std::string> a = {"run", "-d", "--name", name};
    a.insert(a.end(), flags.begin(), flags.end());
    a.insert(a.end(), {"busybox", "sh", "-c",
                       "mkdir /www; echo hello-" + name +
                           " > /www/index.html; exec httpd -f -p 80 -h /www"});
    auto r = md(a);
    EXPECT_EQ(r.status, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }
  // wget through `where` until it answers (the server may still be starting).
  template <typename F>
  std::string fetch(F where, const std::string& url) {
    Result r;
    for (int i = 0; i < 50; ++i) {
      r = where({"busybox", "timeout", "3", "busybox", "wget", "-q", "-O-", url});
      if (r.status == 0) return r.out;
      std::this_thread::sleep_for(50ms);
    }
    return "failed: " + r.err;
  }

  std::string data_;
  std::optional<Background> host_, outside_, server_;
};

TEST_F(NetworkTest, OutboundTrafficIsMasqueraded) {
  auto r = md({"run", "--rm", "--net", "bridge", "busybox", "wget", "-q", "-O-",
               "http://192.0.2.2:8000/cgi-bin/ip"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "192.0.2.1\n") << "the server saw the host's address, not the container's";
  // The default stays --net none: only a loopback, nothing reached.
  auto none = md({"run", "--rm", "busybox", "sh", "-c",
                  "ls /sys/class/net; wget -q -T1 -O- http://192.0.2.2:8000/ || echo unreachable"});
  EXPECT_EQ(none.out.find("eth0"), std::string::npos) << none.out;
  EXPECT_NE(none.out.find("unreachable"), std::string::npos) << none.out;
}

TEST_F(NetworkTest, PublishedPortFromOutsideLocalhostAndAnotherContainer) {
  const std::string id = web({"-p", "8080:80", "-p", "192.0.2.1:8081:80"}, "web");
  auto outside = [&](std::vector<std::string> a) { return in_outside(a); };
  auto host = [&](std::vector<std::string> a) { return in_host(a); };
  EXPECT_EQ(fetch(outside, "http://192.0.2.1:8080/"), "hello-web\n");
  EXPECT_EQ(fetch(host, "http://127.0.0.1:8080/"), "hello-web\n") << "localhost:PORT on the host";
  EXPECT_EQ(fetch(outside, "http://192.0.2.1:8081/"), "hello-web\n") << "-p HOSTIP:PORT";
  EXPECT_NE(in_host({"busybox", "wget", "-q", "-T", "1", "-O-", "http://127.0.0.1:8081/"}).status,
            0)
      << "-p HOSTIP:PORT answered on another address";
  auto hairpin = md(
      {"run", "--rm", "--net", "bridge", "busybox", "wget", "-q", "-O-", "http://192.0.2.1:8080/"});
  EXPECT_EQ(hairpin.out, "hello-web\n") << hairpin.err;
  EXPECT_EQ(md({"port", "web"}).out, "80/tcp -> 0.0.0.0:8080\n80/tcp -> 192.0.2.1:8081\n");
  EXPECT_NE(md({"ps"}).out.find("0.0.0.0:8080->80/tcp"), std::string::npos) << md({"ps"}).out;
  // --dry-run prints the network's commands and makes nothing.
  auto dry = md({"run", "--dry-run", "-p", "9090:80", "busybox", "true"});
  EXPECT_EQ(dry.status, 0) << dry.err;
  EXPECT_NE(dry.err.find(" type veth peer name eth0 address $MAC netns /proc/$PID/ns/net\n"),
            std::string::npos)
      << dry.err;
  EXPECT_NE(dry.err.find(" master mydocker0 addrgenmode none up\n"), std::string::npos) << dry.err;
  EXPECT_NE(dry.err.find("nft create element ip mydocker ports_any { tcp . 9090 : $IP . 80 }"),
            std::string::npos)
      << dry.err;
  EXPECT_EQ(in_host({"nft", "list", "map", "ip", "mydocker", "ports_any"}).out.find("9090"),
            std::string::npos);
  auto inspect = nlohmann::json::parse(md({"inspect", "web"}).out, nullptr, false);
  ASSERT_FALSE(inspect.is_discarded());
  const auto& settings =
      inspect.is_array() ? inspect[0]["NetworkSettings"] : inspect["NetworkSettings"];
  EXPECT_EQ(settings["Networks"]["bridge"]["Gateway"], "10.88.0.1") << settings.dump();
  EXPECT_EQ(settings["Ports"]["80/tcp"][0]["HostPort"], "8080") << settings.dump();
  const auto& first = inspect.is_array() ? inspect[0] : inspect;
  EXPECT_EQ(first["HostConfig"]["PortBindings"]["80/tcp"][0]["HostPort"], "8080") << first.dump();
  EXPECT_EQ(first["HostConfig"]["PortBindings"]["80/tcp"][1]["HostIp"], "192.0.2.1");
  EXPECT_TRUE(first["Config"]["ExposedPorts"].contains("80/tcp")) << first["Config"].dump();
  // The same host port again: a clear error, and nothing of the second run left.
  auto again = md({"run", "--rm", "-p", "8080:80", "busybox", "true"});
  EXPECT_EQ(again.status, 125);
  EXPECT_NE(again.err.find("port is already allocated"), std::string::npos) << again.err;
  EXPECT_EQ(lines(md({"ps", "-aq"}).out).size(), 1u);
  EXPECT_EQ(fetch(outside, "http://192.0.2.1:8080/"), "hello-web\n")
      << "the refused run took web's port away";
  // The same port on one address of the host, beside web's on every address (and the reverse):
  // refused as docker refuses it, or it would take web's traffic to that address.
  for (const char* spec : {"127.0.0.1:8080:80", "192.0.2.1:8080:80/tcp"}) {
    auto crossing = md({"run", "--rm", "-p", spec, "busybox", "true"});
    EXPECT_EQ(crossing.status, 125) << spec;
    EXPECT_NE(crossing.err.find("port is already allocated"), std::string::npos) << crossing.err;
  }
  auto range = md({"run", "--rm", "-p", "127.0.0.1:8070-8090:8070-8090", "busybox", "true"});
  EXPECT_EQ(range.status, 125) << "a range over web's 8080 (looked up in one dump)";
  auto reverse = md({"run", "--rm", "-p", "8081:80", "busybox", "true"});
  EXPECT_EQ(reverse.status, 125) << "web publishes 8081 on 192.0.2.1";
  EXPECT_NE(reverse.err.find("port is already allocated"), std::string::npos) << reverse.err;
  EXPECT_EQ(md({"run", "--rm", "-p", "127.0.0.1:8081:80", "busybox", "true"}).status, 0)
      << "another address of the same port is free (docker's)";
  EXPECT_EQ(md({"run", "--rm", "-p", "8080:80/udp", "busybox", "true"}).status, 0)
      << "another protocol";
  EXPECT_EQ(fetch(outside, "http://192.0.2.1:8081/"), "hello-web\n");
  // Detached, without --rm: left created (never started, docker's), holding no address.
  auto clash = md({"run", "-d", "--name", "clash", "-p", "8080:80", "busybox", "true"});
  EXPECT_EQ(clash.status, 125);
  EXPECT_NE(clash.err.find("port is already allocated"), std::string::npos) << clash.err;
  EXPECT_EQ(md({"inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "clash"}).out,
            "created 125\n");
  EXPECT_EQ(md({"network", "inspect", "-f", "{{json .Containers}}", "bridge"}).out.find("clash"),
            std::string::npos)
      << "a container that never started holds no address";
  md({"rm", "clash"});
  // The same for a command that is not there (the supervisor's path), detached and not.
  for (const bool detached : {true, false}) {
    std::vector<std::string> args{"run", "--name", "nocmd", "--net", "bridge"};
    if (detached) args.push_back("-d");
    for (const char* a : {"busybox", "no-such-command"}) args.push_back(a);
    EXPECT_EQ(md(args).status, 127);
    EXPECT_EQ(md({"inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "nocmd"}).out,
              "created 127\n");
    EXPECT_EQ(md({"network", "inspect", "-f", "{{json .Containers}}", "bridge"}).out.find("nocmd"),
              std::string::npos)
        << (detached ? "-d" : "foreground") << ": it holds no address";
    md({"rm", "nocmd"});
  }
  // Stopped: docker shows no ports in ps and NetworkSettings, and keeps the bindings.
  md({"stop", "-t", "0", "web"});
  EXPECT_EQ(md({"ps", "-a"}).out.find("8080->80/tcp"), std::string::npos) << md({"ps", "-a"}).out;
  auto stopped = nlohmann::json::parse(md({"inspect", "web"}).out, nullptr, false);
  ASSERT_FALSE(stopped.is_discarded());
  const auto& st = stopped.is_array() ? stopped[0] : stopped;
  EXPECT_TRUE(st["NetworkSettings"]["Ports"].empty()) << st["NetworkSettings"].dump();
  EXPECT_EQ(st["NetworkSettings"]["IPAddress"], "");
  EXPECT_EQ(st["HostConfig"]["PortBindings"]["80/tcp"][0]["HostPort"], "8080");
  EXPECT_NE(fetch(outside, "http://192.0.2.1:8080/").rfind("failed", 0), std::string::npos)
      << "the port is gone while it is stopped";
  md({"rm", "-f", "web"});
}

// What was not published stays closed (docker's rules), also to the tricks a bridge's
// route_localnet=1 would otherwise allow: an outside machine routing to a container's address
// directly, or sending to 127.0.0.1:PORT through the host (a port published on 127.0.0.1 is the
// host's alone), and a container sending to the host's 127.0.0.1-only services through its
// gateway. Containers of one internal network reach each other, and a container reaches its own
// published port through the host (hairpin), with br_netfilter on as here.
TEST_F(NetworkTest, WhatWasNotPublishedStaysClosed) {
  web({"-p", "8080:80", "-p", "127.0.0.1:8082:80"}, "web");
  web({"--net", "bridge"}, "hidden");
  auto ip_of = [&](const std::string& c) {
    const std::string out = md({"inspect", "-f", "{{.NetworkSettings.IPAddress}}", c}).out;
    return out.substr(0, out.find('\n'));
  };
  const std::string web_ip = ip_of("web"), hidden_ip = ip_of("hidden");
  ASSERT_EQ(hidden_ip.rfind("10.88.", 0), 0u) << hidden_ip;
  auto outside = [&](std::vector<std::string> a) { return in_outside(a); };
  auto host = [&](std::vector<std::string> a) { return in_host(a); };
  EXPECT_EQ(fetch(outside, "http://192.0.2.1:8080/"), "hello-web\n");
  // Counters of this test's own (in the host's namespace the test made): what the outside
  // machine sends that is forwarded to web, and what reaches the host's 127.0.0.1:7777 from
  // elsewhere than its loopback.
  Options probe;
  probe.input =
      "table ip probe {\n"
      "  chain fwdp { type filter hook forward priority -400; ip saddr 192.0.2.2 ip "
      "daddr " +
      web_ip +
      " tcp dport 80 counter; }\n"
      "  chain inp { type filter hook input priority -400; iifname != \"lo\" ip "
      "daddr 127.0.0.1 tcp dport 7777 counter; }\n}\n";
  ASSERT_EQ(in_host({"nft", "-f", "-"}, probe).status, 0);
  // The outside machine routes the containers' subnet, and 127.0.0.1, to the host.
  ASSERT_EQ(in_outside({"ip", "route", "add", "10.88.0.0/16", "via", "192.0.2.1"}).status, 0);
  ASSERT_EQ(in_outside({"sysctl", "-qw", "net.ipv4.conf.out0.route_localnet=1"}).status, 0);
  for (const char* local : {"127.0.0.1", "127.0.0.0/8"})
    in_outside({"ip", "route", "del", "local", local, "dev", "lo", "table", "local"});
  ASSERT_EQ(in_outside({"ip", "route", "add", "127.0.0.1/32", "via", "192.0.2.1"}).status, 0);
  auto closed = [&](const std::string& url) {
    return in_outside({"sh", "-c", "timeout 2 busybox wget -q -O- " + url + " || echo closed"}).out;
  };
  EXPECT_EQ(closed("http://" + hidden_ip + "/"), "closed\n") << "an unpublished container";
  EXPECT_EQ(closed("http://127.0.0.1:8082/"), "closed\n") << "a port published on 127.0.0.1";
  EXPECT_EQ(fetch(host, "http://127.0.0.1:8082/"), "hello-web\n") << "the host's own localhost";
  // A service of the host's on 127.0.0.1, and a container that routes 127.0.0.1 to its gateway.
  const std::string www = root() + "/host-www";
  fs::create_directories(www);
  std::ofstream(www + "/index.html") << "host-secret\n";
  Background host_only({"nsenter", "--net=/proc/" + std::to_string(host_->pid()) + "/ns/net",
                        "busybox", "httpd", "-f", "-p", "127.0.0.1:7777", "-h", www},
                       {});
  EXPECT_EQ(fetch(host, "http://127.0.0.1:7777/"), "host-secret\n");
  auto sneak = md({"run", "--rm", "--net", "bridge", "--cap-add", "NET_ADMIN", "--sysctl",
                   "net.ipv4.conf.eth0.route_localnet=1", "busybox", "sh", "-c",
                   "ip route del local 127.0.0.1 dev lo table local; "
                   "ip route del local 127.0.0.0/8 dev lo table local; "
                   "ip route add 127.0.0.1/32 via 10.88.0.1 dev eth0 && "
                   "timeout 2 wget -q -O- http://127.0.0.1:7777/ || echo blocked"});
  EXPECT_EQ(sneak.out, "blocked\n") << sneak.err;
  const std::string counters = in_host({"nft", "list", "table", "ip", "probe"}).out;
  for (const std::string chain : {"fwdp", "inp"}) {
    const size_t at = counters.find("chain " + chain);
    ASSERT_NE(at, std::string::npos) << counters;
    EXPECT_EQ(counters.find("counter packets 0 bytes 0", at), counters.find("counter packets", at))
        << chain << " saw packets:\n"
        << counters;
  }
  // Hairpin: web reaches its own published port through the host's address.
  EXPECT_EQ(md({"exec", "web", "sh", "-c", "timeout 3 wget -q -O- http://192.0.2.1:8080/"}).out,
            "hello-web\n");
  // Two containers of one internal network talk.
  ASSERT_EQ(md({"network", "create", "--internal", "inner"}).status, 0);
  web({"--net", "inner"}, "i1");
  auto inner = md({"run", "--rm", "--net", "inner", "busybox", "sh", "-c",
                   "timeout 3 wget -q -O- http://i1/ || echo unreachable"});
  EXPECT_EQ(inner.out, "hello-i1\n") << inner.err;
  md({"rm", "-f", "web", "hidden", "i1"});
  EXPECT_EQ(md({"network", "rm", "inner"}).status, 0);
}

// The firewall comes back when its table is gone (a firewall reload, `nft flush ruleset`) and
// the bridge stayed; and a range of 2,000 ports is published and unpublished whole (more
// elements than one netlink request holds).
TEST_F(NetworkTest, PublishAllPublishesTheImagesExposedPortsOnFreePorts) {
  // busybox with ExposedPorts 80/tcp in its config: saved, its config edited, loaded back.
  const std::string dir = root() + "/exposed";
  const std::string edit = R"PY(
import hashlib, json, os, sys
d = sys.argv[1]
def blob(digest): return os.path.join(d, "blobs", "sha256", digest[7:])
def put(data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    open(blob(digest), "wb").write(data)
    return digest, len(data)
index = json.load(open(os.path.join(d, "index.json")))
manifest = json.load(open(blob(index["manifests"][0]["digest"])))
config = json.load(open(blob(manifest["config"]["digest"])))
config.setdefault("config", {})["ExposedPorts"] = {"80/tcp": {}}
manifest["config"]["digest"], manifest["config"]["size"] = put(json.dumps(config).encode())
digest, size = put(json.dumps(manifest).encode())
index["manifests"] = [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest,
                       "size": size, "annotations": {"io.containerd.image.name": "exposed:1"}}]
json.dump(index, open(os.path.join(d, "index.json"), "w"))
os.unlink(os.path.join(d, "manifest.json"))
)PY";
  auto saved =
      in_host({"sh", "-c",
               "mkdir -p " + dir + " && " + mydocker() + " --root " + root() + " --data-root " +
                   data_ + " save busybox | tar -C " + dir + " -x && python3 -c '" + edit + "' " +
                   dir + " && tar -C " + dir + " -cf " + dir + ".tar ."});
  ASSERT_EQ(saved.status, 0) << saved.err;
  auto loaded = md({"load", "-i", dir + ".tar"});
  ASSERT_EQ(loaded.out, "Loaded image: exposed:1\n") << loaded.err;
  auto r = md({"run", "-d", "--name", "pa", "-P", "exposed:1", "sh", "-c",
               "mkdir /www; echo hello-P > /www/index.html; exec httpd -f -p 80 -h /www"});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string port = md({"port", "pa"}).out;
  ASSERT_TRUE(port.starts_with("80/tcp -> 0.0.0.0:")) << port;
  const std::string host_port = port.substr(18, port.find('\n') - 18);
  EXPECT_NE(host_port, "80");
  EXPECT_EQ(fetch([&](std::vector<std::string> a) { return in_outside(a); },
                  "http://192.0.2.1:" + host_port + "/"),
            "hello-P\n");
  EXPECT_EQ(md({"rm", "-f", "pa"}).status, 0);
}

TEST_F(NetworkTest, TableRemovedIsMadeAgainAndLargeRangesPublish) {
  ASSERT_EQ(md({"run", "--rm", "--net", "bridge", "busybox", "true"}).status, 0);
  ASSERT_EQ(md({"network", "create", "--internal", "inner"}).status, 0);
  ASSERT_EQ(md({"run", "--rm", "--net", "inner", "busybox", "true"}).status, 0);
  ASSERT_EQ(in_host({"nft", "delete", "table", "ip", "mydocker"}).status, 0);
  web({"-p", "8082:80"}, "again");
  EXPECT_EQ(
      fetch([&](std::vector<std::string> a) { return in_outside(a); }, "http://192.0.2.1:8082/"),
      "hello-again\n")
      << "no published port without the table";
  md({"rm", "-f", "again"});
  // The other network's elements came back with it: inner is internal again.
  const std::string internal = in_host({"nft", "list", "set", "ip", "mydocker", "internal"}).out;
  EXPECT_NE(internal.find("mdbr-"), std::string::npos) << internal;
  EXPECT_EQ(md({"network", "rm", "inner"}).status, 0);
  // An older mydocker's table (its chains without the guard) is made current, sets kept.
  ASSERT_EQ(in_host({"nft", "delete", "chain", "ip", "mydocker", "guard"}).status, 0);
  ASSERT_EQ(md({"run", "--rm", "--net", "bridge", "busybox", "true"}).status, 0);
  const std::string table = in_host({"nft", "list", "table", "ip", "mydocker"}).out;
  EXPECT_NE(table.find("chain guard"), std::string::npos) << table;
  EXPECT_EQ(table.find("ct status dnat accept"), table.rfind("ct status dnat accept"))
      << "rules added twice:\n"
      << table;
  // More ports than the netlink socket's default send buffer holds in one batch.
  auto huge = md({"run", "--rm", "-p", "20000-30000:20000-30000/udp", "busybox", "true"});
  EXPECT_EQ(huge.status, 0) << huge.err.substr(0, 400);
  auto range = md({"run", "--rm", "-p", "40000-41999:40000-41999", "busybox", "true"});
  EXPECT_EQ(range.status, 0) << range.err.substr(0, 400);
  const std::string map = in_host({"nft", "list", "map", "ip", "mydocker", "ports_any"}).out;
  EXPECT_EQ(map.find("40000"), std::string::npos) << "a port of the range was left";
  auto dry = md({"run", "-d", "--name", "holder", "-p", "41999:80", "-p", "42000-42002:81-83",
                 "busybox", "sleep", "100"});
  ASSERT_EQ(dry.status, 0) << dry.err;
  // ps shows runs of ports as docker does, whichever -p they came from.
  EXPECT_NE(md({"ps"}).out.find(" 0.0.0.0:41999-42002->80-83/tcp "), std::string::npos)
      << md({"ps"}).out;
  auto clash = md({"run", "--rm", "-p", "40000-41999:40000-41999", "busybox", "true"});
  EXPECT_EQ(clash.status, 125);
  EXPECT_NE(clash.err.find("already allocated"), std::string::npos) << clash.err.substr(0, 400);
  EXPECT_LT(clash.err.size(), 2000u) << "the error should not list 2,000 ports";
  EXPECT_NE(in_host({"nft", "list", "map", "ip", "mydocker", "ports_any"}).out.find("41999"),
            std::string::npos)
      << "the refused run took the holder's port";
  md({"rm", "-f", "holder"});
}

// 50 runs started at once on one network: 50 different addresses, each on its own eth0, and
// all of them back in the pool once the containers are removed (TearDown checks the leases).
TEST_F(NetworkTest, FiftyConcurrentRunsNeverShareAnAddress) {
  ASSERT_EQ(md({"network", "create", "many"}).status, 0);
  const std::string cmd =
      "for i in $(seq 50); do \"$0\" --root \"$1\" --data-root \"$2\" run -d "
      "--net many --name m$i busybox sh -c 'ip -4 -o addr show eth0 > "
      "/dev/null && exec sleep 100' > /dev/null & done; wait";
  Options opt;
  opt.timeout_s = 120;
  const auto runs = in_host({"sh", "-c", cmd, mydocker(), root(), data_}, opt);
  ASSERT_EQ(runs.status, 0) << runs.err;
  std::vector<std::string> names = {"inspect"};
  for (int i = 1; i <= 50; ++i) names.push_back("m" + std::to_string(i));
  const auto inspected = md(names);
  const auto all = nlohmann::json::parse(inspected.out, nullptr, false);
  ASSERT_TRUE(all.is_array()) << inspected.err << runs.err;
  ASSERT_EQ(all.size(), 50u);
  std::set<std::string> ips;
  for (const auto& c : all) {
    EXPECT_EQ(c["State"]["Status"], "running") << c["Name"];
    ips.insert(c["NetworkSettings"]["Networks"]["many"]["IPAddress"].get<std::string>());
  }
  EXPECT_EQ(ips.size(), 50u) << "two runs got the same address";
  // Each knows the 49 others by name, each once, however their starts interleaved.
  for (int i = 1; i <= 50; i += 7) {
    const std::string m = "m" + std::to_string(i);
    const auto hosts =
        md({"exec", m, "sh", "-c", "sort /etc/hosts | uniq -d; grep -cwE 'm[0-9]+' /etc/hosts"});
    EXPECT_EQ(hosts.out, "50\n") << m << ": duplicated lines, or names missing:\n"
                                 << md({"exec", m, "cat", "/etc/hosts"}).out;
  }
  names[0] = "rm";
  names.insert(names.begin() + 1, "-f");
  EXPECT_EQ(md(names).status, 0);
  EXPECT_EQ(md({"network", "rm", "many"}).status, 0) << "an address was not given back";
}

TEST_F(NetworkTest, UdpPublishingAndSharingAContainersNetwork) {
  auto r = md({"run", "-d", "--name", "dns", "-p", "5353:53/udp", "busybox", "udp_echo", "53"});
  ASSERT_EQ(r.status, 0) << r.err;
  Result answer;
  for (int i = 0; i < 20 && answer.out.empty(); ++i)
    answer = in_outside({example("udp_echo"), "192.0.2.1", "5353", "ping"});
  EXPECT_EQ(answer.out, "echo:ping\n") << answer.err;
  EXPECT_EQ(md({"port", "dns"}).out, "53/udp -> 0.0.0.0:5353\n");
  // --net container:dns: the same network namespace (its loopback reaches dns's server).
  auto shared =
      md({"run", "--rm", "--net", "container:dns", "busybox", "udp_echo", "127.0.0.1", "53", "hi"});
  EXPECT_EQ(shared.out, "echo:hi\n") << shared.err;
  // docker's: its name, /etc/hosts and /etc/resolv.conf are dns's too (the same files).
  const std::string files = "hostname; cat /etc/hosts /etc/resolv.conf";
  auto theirs = md({"exec", "dns", "sh", "-c", files});
  auto ours = md({"run", "--rm", "--net", "container:dns", "busybox", "sh", "-c", files});
  EXPECT_EQ(ours.out, theirs.out) << ours.err;
  EXPECT_NE(ours.out.find("10.88."), std::string::npos) << "dns's address: " << ours.out;
  for (const std::vector<std::string>& flags : {std::vector<std::string>{"--hostname", "x"},
                                                {"--dns", "1.1.1.1"},
                                                {"--add-host", "a:1.2.3.4"}}) {
    std::vector<std::string> a = {"run", "--rm", "--net", "container:dns"};
    a.insert(a.end(), flags.begin(), flags.end());
    a.insert(a.end(), {"busybox", "true"});
    auto conflict = md(a);
    EXPECT_EQ(conflict.status, 125) << flags[0];
    EXPECT_NE(conflict.err.find("conflicting options: " + flags[0]), std::string::npos)
        << conflict.err;
  }
  EXPECT_EQ(md({"run", "--rm", "--net", "container:nosuch", "busybox", "true"}).status, 125);
}

TEST_F(NetworkTest, NamesOnAUserNetworkAndIsolationBetweenNetworks) {
  ASSERT_EQ(md({"network", "create", "n1"}).status, 0);
  ASSERT_EQ(md({"network", "create", "--subnet", "10.99.0.0/24", "n2"}).status, 0);
  EXPECT_EQ(md({"network", "create", "n1"}).status, 125) << "a duplicate name";
  web({"--net", "n1"}, "a");
  auto b = md(
      {"run", "--rm", "--net", "n1", "--name", "b", "busybox", "wget", "-q", "-O-", "http://a/"});
  EXPECT_EQ(b.out, "hello-a\n") << "a container finds another by name: " << b.err;
  const auto a = nlohmann::json::parse(md({"inspect", "a"}).out, nullptr, false);
  const std::string a_ip =
      a.is_array() ? a[0]["NetworkSettings"]["IPAddress"].get<std::string>() : "?";
  EXPECT_EQ(a_ip, "10.89.0.2");
  auto from_n2 = md({"run", "--rm", "--net", "n2", "busybox", "sh", "-c",
                     "timeout 2 wget -q -O- http://10.89.0.2/ || echo isolated"});
  EXPECT_NE(from_n2.out.find("isolated"), std::string::npos)
      << from_n2.out << " (a is at " << a_ip << ")";
  // A peer's name comes and goes with it: announced into a's /etc/hosts, retracted at rm.
  ASSERT_EQ(md({"run", "-d", "--net", "n1", "--name", "c", "busybox", "sleep", "100"}).status, 0);
  EXPECT_NE(md({"exec", "a", "cat", "/etc/hosts"}).out.find("\tc\n"), std::string::npos);
  // rename: the peers resolve the new name at once, a newcomer lists it, rm takes it out.
  // Twice: the second starts from the name the first gave (the lease's, not the run's).
  ASSERT_EQ(md({"rename", "c", "cx"}).status, 0);
  ASSERT_EQ(md({"rename", "cx", "c2"}).status, 0);
  const std::string renamed = md({"exec", "a", "cat", "/etc/hosts"}).out;
  EXPECT_EQ(renamed.find("\tcx\n"), std::string::npos) << renamed;
  EXPECT_NE(renamed.find("\tc2\n"), std::string::npos) << renamed;
  EXPECT_EQ(renamed.find("\tc\n"), std::string::npos) << "the old name stayed:\n" << renamed;
  const std::string newcomer =
      md({"run", "--rm", "--net", "n1", "busybox", "cat", "/etc/hosts"}).out;
  EXPECT_NE(newcomer.find("\tc2\n"), std::string::npos) << newcomer;
  EXPECT_EQ(md({"exec", "a", "ping", "-c", "1", "-W", "2", "c2"}).status, 0);
  const std::string own = md({"exec", "c2", "cat", "/etc/hosts"}).out;
  EXPECT_NE(own.find("\tc2\n"), std::string::npos) << "its own file: " << own;
  EXPECT_EQ(own.find("\tc\n"), std::string::npos) << "its own file: " << own;
  ASSERT_EQ(md({"rm", "-f", "c2"}).status, 0);
  const std::string hosts = md({"exec", "a", "cat", "/etc/hosts"}).out;
  EXPECT_EQ(hosts.find("\tc\n"), std::string::npos) << "a removed peer's name stayed:\n" << hosts;
  EXPECT_EQ(hosts.find("\tc2\n"), std::string::npos) << "a renamed peer's name stayed:\n" << hosts;
  EXPECT_EQ(hosts.find("\tb\n"), std::string::npos) << "--rm's name stayed:\n" << hosts;
  EXPECT_NE(hosts.find("\ta\n"), std::string::npos) << hosts;
  EXPECT_EQ(md({"network", "rm", "n1"}).status, 125) << "refused while a container uses it";
  md({"rm", "-f", "a"});
  EXPECT_EQ(md({"network", "rm", "n1", "n2"}).status, 0);
  EXPECT_EQ(in_host({"ip", "-br", "link"}).out.find("mdbr-"), std::string::npos) << "bridges gone";
}

// --network-alias and network connect --alias: more names a container has on one network,
// resolved by its peers there (and kept through rename), gone with it; refused where docker
// refuses them (the built-in network, no network) and when they are not one word of a name.
TEST_F(NetworkTest, NetworkAliasesResolveOnTheirNetworkOnly) {
  ASSERT_EQ(md({"network", "create", "n1"}).status, 0);
  ASSERT_EQ(md({"network", "create", "--subnet", "10.99.0.0/24", "n2"}).status, 0);
  web({"--net", "n1", "--network-alias", "db", "--network-alias", "db.internal"}, "a");
  for (const char* name : {"db", "db.internal", "a"}) {
    auto r = md({"run", "--rm", "--net", "n1", "busybox", "wget", "-q", "-O-",
                 std::string("http://") + name + "/"});
    EXPECT_EQ(r.out, "hello-a\n") << name << ": " << r.err;
  }
  auto other = md({"run", "--rm", "--net", "n2", "busybox", "cat", "/etc/hosts"});
  // (" db": an alias follows its name; a generated name or id may hold "db" itself)
  EXPECT_EQ(other.out.find(" db"), std::string::npos) << "another network's alias: " << other.out;
  const auto j = nlohmann::json::parse(md({"inspect", "a"}).out, nullptr, false);
  ASSERT_TRUE(j.is_array());
  EXPECT_EQ(j[0]["NetworkSettings"]["Networks"]["n1"]["Aliases"],
            nlohmann::json({"db", "db.internal"}));
  // Renamed: the aliases stay beside the new name in a peer's file.
  ASSERT_EQ(md({"run", "-d", "--net", "n1", "--name", "p", "busybox", "sleep", "100"}).status, 0);
  ASSERT_EQ(md({"rename", "a", "a2"}).status, 0);
  EXPECT_NE(md({"exec", "p", "cat", "/etc/hosts"}).out.find("\ta2 db db.internal\n"),
            std::string::npos);
  // network connect --alias: p is "cache" on n2 for the containers there.
  web({"--net", "n2"}, "q");
  auto connected = md({"network", "connect", "--alias", "cache", "n2", "p"});
  ASSERT_EQ(connected.status, 0) << connected.err;
  EXPECT_NE(md({"exec", "q", "cat", "/etc/hosts"}).out.find("\tp cache\n"), std::string::npos);
  EXPECT_EQ(md({"exec", "q", "ping", "-c", "1", "-W", "2", "cache"}).status, 0);
  ASSERT_EQ(md({"network", "disconnect", "n2", "p"}).status, 0);
  EXPECT_EQ(md({"exec", "q", "cat", "/etc/hosts"}).out.find(" cache"), std::string::npos);
  ASSERT_EQ(md({"rm", "-f", "a2"}).status, 0);
  const std::string left = md({"exec", "p", "cat", "/etc/hosts"}).out;
  EXPECT_EQ(left.find(" db"), std::string::npos) << "gone with its container:\n" << left;
  // Refused, exit 125, nothing made.
  for (const auto& flags : std::vector<std::vector<std::string>>{
           {"--net", "bridge", "--network-alias", "x"},
           {"--network-alias", "x"},
           {"--net", "host", "--network-alias", "x"},
           {"--net", "n1", "--network-alias", "two words"},
           {"--net", "n1", "--network-alias", "x\n10.0.0.1 evil"}}) {
    std::vector<std::string> a = {"run", "--rm", "--name", "refused"};
    a.insert(a.end(), flags.begin(), flags.end());
    a.insert(a.end(), {"busybox", "true"});
    auto r = md(a);
    EXPECT_EQ(r.status, 125) << flags.back() << ": " << r.err;
    EXPECT_NE(r.err.find("--network-alias"), std::string::npos) << r.err;
  }
  EXPECT_EQ(md({"ps", "-a", "-q", "--filter", "name=refused"}).out, "");
  EXPECT_EQ(md({"network", "connect", "--alias", "a b", "n2", "p"}).status, 125);
  EXPECT_EQ(md({"network", "inspect", "-f", "{{len .Containers}}", "n2"}).out, "1\n");
  md({"rm", "-f", "p", "q"});
}

// network connect/disconnect: a container on n2 gets an address on n1 too (eth1, no route),
// at once while it runs and again at each start; names resolve both ways; disconnect takes
// it all away; the network it was run on stays; a container without a network of its own is
// refused.
TEST_F(NetworkTest, ConnectAndDisconnectASecondNetwork) {
  ASSERT_EQ(md({"network", "create", "n1"}).status, 0);
  ASSERT_EQ(md({"network", "create", "--subnet", "10.99.0.0/24", "n2"}).status, 0);
  web({"--net", "n1"}, "a");
  ASSERT_EQ(md({"run", "-d", "--net", "n2", "--name", "c", "busybox", "sleep", "100"}).status, 0);
  // (busybox's `wget -T` crashes here: `timeout` bounds it instead.)
  auto reach_a = [&] {
    return md({"exec", "c", "sh", "-c", "timeout 2 wget -q -O- http://a/ || echo unreachable"}).out;
  };
  EXPECT_EQ(reach_a(), "unreachable\n") << "isolated before the connect";
  auto connected = md({"network", "connect", "n1", "c"});
  ASSERT_EQ(connected.status, 0) << connected.err;
  // A new bridge port forwards once the kernel's link watch has seen its carrier (up to a
  // second): asked until it answers, as fetch() does.
  auto reached_a = [&] {
    std::string got;
    for (int i = 0; i < 40 && (got = reach_a()) != "hello-a\n"; ++i)
      std::this_thread::sleep_for(50ms);
    return got;
  };
  EXPECT_EQ(reached_a(), "hello-a\n") << "by name, through eth1";
  EXPECT_NE(md({"exec", "c", "ls", "/sys/class/net"}).out.find("eth1"), std::string::npos);
  const std::string routes = md({"exec", "c", "ip", "route"}).out;
  EXPECT_NE(routes.find("default via 10.99.0.1 dev eth0"), std::string::npos) << routes;
  EXPECT_EQ(routes.find("default via 10.89"), std::string::npos) << "one default route: " << routes;
  EXPECT_NE(md({"exec", "a", "cat", "/etc/hosts"}).out.find("\tc\n"), std::string::npos)
      << "announced to its new peers";
  const auto j = nlohmann::json::parse(md({"inspect", "c"}).out, nullptr, false);
  ASSERT_TRUE(j.is_array());
  const auto& nets = j[0]["NetworkSettings"]["Networks"];
  EXPECT_TRUE(nets.contains("n1") && nets.contains("n2")) << nets.dump();
  EXPECT_EQ(nets["n1"].value("IPAddress", "").rfind("10.89.0.", 0), 0u) << nets.dump();
  EXPECT_EQ(nets["n1"].value("Gateway", ""), "10.89.0.1") << "docker shows it" << nets.dump();
  EXPECT_EQ(md({"ps", "--filter", "network=n1", "--format", "{{.Names}} {{.Networks}}"}).out,
            "c n2,n1\na n1\n");
  auto twice = md({"network", "connect", "n1", "c"});
  EXPECT_EQ(twice.status, 125);
  EXPECT_NE(twice.err.find("already connected"), std::string::npos) << twice.err;
  // Stopped and started again: connected again before its command runs.
  ASSERT_EQ(md({"stop", "-t", "0", "c"}).status, 0);
  ASSERT_EQ(md({"start", "c"}).status, 0);
  EXPECT_EQ(reached_a(), "hello-a\n") << "after a restart";
  auto first = md({"network", "disconnect", "n2", "c"});
  EXPECT_EQ(first.status, 125) << "the network it was run on stays";
  ASSERT_EQ(md({"network", "disconnect", "n1", "c"}).status, 0);
  EXPECT_EQ(reach_a(), "unreachable\n") << "disconnected";
  EXPECT_EQ(md({"exec", "a", "cat", "/etc/hosts"}).out.find("\tc\n"), std::string::npos);
  EXPECT_EQ(md({"exec", "c", "cat", "/etc/hosts"}).out.find("\ta\n"), std::string::npos);
  EXPECT_EQ(md({"network", "inspect", "-f", "{{len .Containers}}", "n1"}).out, "1\n")
      << "its address on n1 went back";
  EXPECT_EQ(md({"network", "disconnect", "n1", "c"}).status, 125) << "not connected";
  EXPECT_EQ(md({"network", "connect", "nosuch", "c"}).status, 125);
  EXPECT_EQ(md({"network", "create", "--ip", "10.1.1.1", "n3"}).status, 125) << "connect's flag";
  // Connected again, then removed: its name leaves its peers' files, its addresses the pools.
  ASSERT_EQ(md({"network", "connect", "--ip", "10.89.0.77", "n1", "c"}).status, 0);
  EXPECT_NE(md({"exec", "a", "cat", "/etc/hosts"}).out.find("10.89.0.77\tc\n"), std::string::npos);
  ASSERT_EQ(md({"rm", "-f", "c"}).status, 0);
  EXPECT_EQ(md({"exec", "a", "cat", "/etc/hosts"}).out.find("\tc\n"), std::string::npos);
  // A --rm container's added network goes with it too.
  ASSERT_EQ(
      md({"run", "-d", "--rm", "--net", "n2", "--name", "r", "busybox", "sleep", "100"}).status, 0);
  ASSERT_EQ(md({"network", "connect", "n1", "r"}).status, 0);
  EXPECT_NE(md({"exec", "a", "cat", "/etc/hosts"}).out.find("\tr\n"), std::string::npos);
  ASSERT_EQ(md({"stop", "-t", "0", "r"}).status, 0);
  for (int i = 0; i < 100 && md({"inspect", "r"}).status == 0; ++i)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(md({"exec", "a", "cat", "/etc/hosts"}).out.find("\tr\n"), std::string::npos)
      << "a --rm container's name stayed";
  ASSERT_EQ(md({"run", "-d", "--name", "lone", "busybox", "sleep", "100"}).status, 0);
  auto none = md({"network", "connect", "n1", "lone"});
  EXPECT_EQ(none.status, 125);
  EXPECT_NE(none.err.find("no network of its own"), std::string::npos) << none.err;
  md({"rm", "-f", "a", "lone"});
  EXPECT_EQ(md({"network", "rm", "n1", "n2"}).status, 0);
}

TEST_F(NetworkTest, InternalNetworkHasNoWayOut) {
  ASSERT_EQ(md({"network", "create", "--internal", "inner"}).status, 0);
  auto r = md({"run", "--rm", "--net", "inner", "busybox", "sh", "-c",
               "timeout 2 wget -q -O- http://192.0.2.2:8000/ || echo no-way-out"});
  EXPECT_NE(r.out.find("no-way-out"), std::string::npos) << r.out;
  // A port published there could never be reached: refused by name, nothing left behind.
  for (const char* cmd : {"run", "create"}) {
    auto p = md({cmd, "--name", "pub", "--net", "inner", "-p", "18080:80", "busybox", "true"});
    EXPECT_EQ(p.status, 125) << cmd;
    EXPECT_NE(p.err.find("'18080:80' for -p: network inner is --internal"), std::string::npos)
        << p.err;
    EXPECT_NE(md({"inspect", "pub"}).status, 0) << cmd << ": a record was left";
  }
  EXPECT_EQ(md({"network", "rm", "inner"}).status, 0);
}

// --trace prints a sysctl once, as `sysctl -w`, the line a learner would type (it used to be
// followed by the same write again as an `echo ... > /proc/sys/...`).
TEST_F(NetworkTest, TraceShowsEachSysctlOnce) {
  ASSERT_EQ(md({"network", "create", "lesson"}).status, 0);
  auto r = md({"run", "--rm", "--trace", "--net", "lesson", "busybox", "true"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("+ sysctl -w net.ipv4.conf."), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("/proc/sys/net/"), std::string::npos) << r.err;
  EXPECT_EQ(md({"network", "rm", "lesson"}).status, 0);
}

// A container's eth0 has the MTU of the host's uplink (here 1400), also after the bridge's last
// port has gone (a bridge keeps only an MTU set as a change, not one given at creation).
// The pair is made while the run is planned, by the helper that makes its namespace, and only
// finished after the clone (MYDOCKER_TIMING says which); the container is wired all the same.
TEST_F(NetworkTest, TheVethPairIsMadeAheadAndFinished) {
  Options opt;
  opt.timeout_s = 30;
  opt.env["MYDOCKER_TIMING"] = "1";
  auto r = in_host({mydocker(), "--root", root(), "--data-root", data_, "run", "--rm", "--net",
                    "bridge", "busybox", "sh", "-c", "ip -o -4 addr show eth0; ip route"},
                   opt);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("connect: veth pair made ahead, finished"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("inet 10."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("default via "), std::string::npos) << r.out;
  // With --trace the lesson's clone makes the namespace, and connect() the whole pair.
  opt.env["MYDOCKER_TIMING"] = "1";
  auto t = in_host({mydocker(), "--root", root(), "--data-root", data_, "run", "--rm", "--trace",
                    "--net", "bridge", "busybox", "true"},
                   opt);
  ASSERT_EQ(t.status, 0) << t.err;
  EXPECT_NE(t.err.find("connect: veth pair made\n"), std::string::npos) << t.err;
}

// A bridge network is IPv4 only: eth0 has no IPv6 (disable_ipv6, as docker 26 on), the host's
// end no link-local address (addrgenmode none); the loopback keeps ::1. Whether the helper made
// the pair ahead or connect() made it (--trace).
TEST_F(NetworkTest, BridgedContainersHaveIpv6OnlyOnTheirLoopback) {
  if (::access("/proc/sys/net/ipv6", F_OK) != 0) GTEST_SKIP() << "this kernel has no IPv6";
  // eth0 only (docker's rule): a link the container makes itself keeps the kernel's default.
  const std::string probe =
      "ip -o -6 addr; cat /proc/sys/net/ipv6/conf/default/disable_ipv6 "
      "/proc/sys/net/ipv6/conf/eth0/disable_ipv6";
  // A new namespace's default, as the kernel gives it (devconf_inherit_init_net may copy ours).
  const auto fresh =
      in_host({"unshare", "--net", "cat", "/proc/sys/net/ipv6/conf/default/disable_ipv6"});
  ASSERT_EQ(fresh.status, 0) << fresh.err;
  const std::string fresh_default = lines(fresh.out).at(0);
  for (const bool trace : {false, true}) {
    std::vector<std::string> args{"run", "--rm", "--net", "bridge"};
    if (trace) args.push_back("--trace");
    args.insert(args.end(), {"busybox", "sh", "-c", probe});
    auto r = md(args);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find(" lo "), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("eth0"), std::string::npos) << "trace " << trace << ": " << r.out;
    const auto out = lines(r.out);
    ASSERT_GE(out.size(), 2u) << r.out;
    EXPECT_EQ(out[out.size() - 2], fresh_default) << r.out;  // untouched
    EXPECT_EQ(out.back(), "1") << r.out;                     // eth0
  }
  auto d = md({"run", "-d", "--net", "bridge", "busybox", "sleep", "1000"});
  ASSERT_EQ(d.status, 0) << d.err;
  const std::string veth = "mdv" + lines(d.out).at(0).substr(0, 8);
  EXPECT_EQ(in_host({"cat", "/proc/sys/net/ipv6/conf/" + veth + "/addr_gen_mode"}).out, "1\n");
  EXPECT_EQ(in_host({"ip", "-o", "-6", "addr", "show", "dev", veth}).out, "");
  EXPECT_EQ(md({"rm", "-f", lines(d.out).at(0)}).status, 0);
}

// -p without --net means --net bridge; with an explicit --net none it is refused (no network
// is added that the user declined), exit 125, nothing left.
TEST_F(NetworkTest, PublishingWithAnExplicitNetNoneIsRefused) {
  auto r = md({"run", "--name", "declined", "--net", "none", "-p", "9000:80", "busybox", "true"});
  EXPECT_EQ(r.status, 125) << r.err;
  EXPECT_NE(r.err.find("'9000:80' for -p: --net none"), std::string::npos) << r.err;
  EXPECT_EQ(md({"ps", "-aq"}).out, "");
  auto implied = md({"run", "--rm", "-p", "9000:80", "busybox", "ip", "-4", "-o", "addr"});
  EXPECT_EQ(implied.status, 0) << implied.err;
  EXPECT_NE(implied.out.find("eth0"), std::string::npos) << implied.out;
}

TEST_F(NetworkTest, ContainersGetTheUplinksMtuAlsoOnceTheBridgeWasEmpty) {
  ASSERT_EQ(in_host({"ip", "link", "set", "up0", "mtu", "1400"}).status, 0);
  for (int i = 0; i < 2; ++i) {
    auto r = md({"run", "--rm", "--net", "bridge", "busybox", "cat", "/sys/class/net/eth0/mtu"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "1400\n") << "run " << i;
  }
}

// --sysctl with an image: written through the container's /proc/sys before it went read-only
// (it stays read-only for the command), after eth0 exists (a bridged run's init waits for its
// network before its sysctls).
TEST_F(NetworkTest, SysctlsOfAnImageRunAndOfItsEth0) {
  auto r = md({"run", "--rm", "--net", "bridge", "--sysctl", "net.ipv4.conf.eth0.rp_filter=2",
               "--sysctl", "kernel.shmmax=1234567", "busybox", "sh", "-c",
               "cat /proc/sys/net/ipv4/conf/eth0/rp_filter /proc/sys/kernel/shmmax; "
               "(echo 1 > /proc/sys/net/ipv4/ip_forward) 2>/dev/null && echo writable; true"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "2\n1234567\n") << r.err;
}

// What a docker user's scripts rely on: /etc/hosts, resolv.conf and hostname readable by a
// non-root user (0644); --add-host and --dns take IP addresses only, host-gateway is the
// bridge's address; `port C 80` prints the host address; network inspect -f and ls -f are
// --format and --filter (and prune -f still --force).
TEST_F(NetworkTest, DockersEverydayNetworkingSurface) {
  auto files = md({"run", "--rm", "-u", "1000", "--net", "bridge", "busybox", "sh", "-c",
                   "cat /etc/hosts /etc/resolv.conf /etc/hostname >/dev/null && echo ok"});
  EXPECT_EQ(files.out, "ok\n") << files.err;
  auto bad_host = md({"run", "--rm", "--add-host", "bar:notanip", "busybox", "true"});
  EXPECT_EQ(bad_host.status, 125);
  EXPECT_NE(bad_host.err.find("'bar:notanip' for --add-host"), std::string::npos) << bad_host.err;
  auto bad_dns = md({"run", "--rm", "--dns", "notanip", "busybox", "true"});
  EXPECT_EQ(bad_dns.status, 125);
  EXPECT_NE(bad_dns.err.find("'notanip' for --dns"), std::string::npos) << bad_dns.err;
  auto gw = md({"run", "--rm", "--net", "bridge", "--add-host", "gw:host-gateway", "--add-host",
                "six:::1", "busybox", "sh", "-c", "grep -E 'gw|six' /etc/hosts"});
  EXPECT_EQ(gw.out, "10.88.0.1\tgw\n::1\tsix\n") << gw.err;
  EXPECT_EQ(md({"run", "--rm", "--add-host", "gw:host-gateway", "busybox", "true"}).status, 125)
      << "host-gateway off a bridge";

  web({"-p", "8090:80"}, "ported");
  EXPECT_EQ(md({"port", "ported", "80"}).out, "0.0.0.0:8090\n");
  EXPECT_EQ(md({"port", "ported", "80/tcp"}).out, "0.0.0.0:8090\n");
  EXPECT_EQ(md({"port", "ported"}).out, "80/tcp -> 0.0.0.0:8090\n");
  auto none = md({"port", "ported", "81"});
  EXPECT_EQ(none.status, 1);
  EXPECT_NE(none.err.find("No public port '81/tcp' published for ported"), std::string::npos);
  // On a bridge the hostname resolves to the container's address (no 127.0.1.1 line first).
  EXPECT_EQ(md({"exec", "ported", "hostname", "-i"}).out.rfind("10.88.", 0), 0u)
      << md({"exec", "ported", "hostname", "-i"}).out;
  // Renamed on the built-in network: its own /etc/hosts names it anew.
  ASSERT_EQ(md({"rename", "ported", "p2"}).status, 0);
  const std::string own = md({"exec", "p2", "cat", "/etc/hosts"}).out;
  EXPECT_NE(own.find("\tp2\n"), std::string::npos) << own;
  EXPECT_EQ(own.find("\tported\n"), std::string::npos) << own;
  ASSERT_EQ(md({"rename", "p2", "ported"}).status, 0);
  // Stopped, it publishes nothing (docker's `port`).
  md({"stop", "-t", "0", "ported"});
  EXPECT_EQ(md({"port", "ported"}).out, "");
  EXPECT_EQ(md({"port", "ported", "80"}).status, 1);
  md({"rm", "-f", "ported"});
  auto resolv = md({"run", "--rm", "--dns-search", "example.com", "--dns-option", "ndots:2",
                    "busybox", "sh", "-c", "grep -E '^(search|domain|options)' /etc/resolv.conf"});
  EXPECT_EQ(resolv.out, "search example.com\noptions ndots:2\n") << resolv.err;
  auto bad_search = md({"run", "--rm", "--dns-search", "-x", "busybox", "true"});
  EXPECT_EQ(bad_search.status, 125);
  EXPECT_NE(bad_search.err.find("'-x' for --dns-search"), std::string::npos) << bad_search.err;

  ASSERT_EQ(md({"network", "create", "front"}).status, 0);
  // docker's inspect finds networks too (and volumes); --type narrows the search.
  EXPECT_EQ(md({"inspect", "-f", "{{.Name}} {{.Driver}}", "front"}).out, "front bridge\n");
  EXPECT_EQ(md({"inspect", "--type", "volume", "front"}).status, 1);
  EXPECT_EQ(md({"network", "inspect", "-f", "{{.Name}} {{.Driver}}", "front"}).out,
            "front bridge\n");
  const std::string front_id = md({"network", "inspect", "-f", "{{.Id}}", "front"}).out;
  ASSERT_GE(front_id.size(), 12u);
  EXPECT_EQ(md({"network", "ls", "-q", "-f", "name=fro"}).out, front_id.substr(0, 12) + "\n")
      << "docker's -q: ids";
  EXPECT_EQ(md({"network", "ls", "--format", "{{.Name}} {{.Driver}}", "-f", "name=fro"}).out,
            "front bridge\n");
  const auto listed = nlohmann::json::parse(
      md({"network", "ls", "--format", "json", "-f", "name=fro"}).out, nullptr, false);
  EXPECT_EQ(listed.value("Name", ""), "front") << listed.dump();
  EXPECT_EQ(md({"network", "ls", "-q", "--filter", "name=nothing"}).out, "");
  EXPECT_EQ(md({"network", "prune", "-f"}).out, "Deleted Networks:\nfront\n");
  EXPECT_EQ(md({"network", "ls", "-q", "-f", "name=fro"}).out, "");
  // docker's pre-defined networks: host and none are listed, inspected, never removed.
  EXPECT_EQ(md({"network", "ls", "--format", "{{.Name}} {{.Driver}}"}).out,
            "bridge bridge\nhost host\nnone null\n");
  EXPECT_EQ(md({"network", "ls", "-q", "-f", "driver=null"}).out, "35b8360a6558\n");
  EXPECT_EQ(md({"network", "inspect", "-f", "{{.Name}} {{.Driver}} {{.IPAM.Config}}", "host"}).out,
            "host host []\n");
  EXPECT_EQ(md({"inspect", "--type", "network", "-f", "{{.Id}}", "none"}).out,
            "35b8360a6558d2bdfa8594529dca0dc14c4c5974b4b24c390c107983f0ee66be\n");
  auto rm_host = md({"network", "rm", "host"});
  EXPECT_EQ(rm_host.status, 125);
  EXPECT_NE(rm_host.err.find("host is a pre-defined network and cannot be removed"),
            std::string::npos)
      << rm_host.err;
  EXPECT_EQ(md({"network", "create", "none"}).status, 125);
  // Their Containers: the running containers in that network mode.
  ASSERT_EQ(md({"run", "-d", "--name", "onhost", "--net", "host", "busybox", "sleep", "30"}).status,
            0);
  EXPECT_EQ(md({"network", "inspect", "-f", "{{range .Containers}}{{.Name}}{{end}}", "host"}).out,
            "onhost\n");
  EXPECT_EQ(md({"network", "inspect", "-f", "{{len .Containers}}", "none"}).out, "0\n");
  EXPECT_EQ(md({"rm", "-f", "onhost"}).status, 0);
  EXPECT_EQ(md({"network", "inspect", "-f", "{{len .Containers}}", "host"}).out, "0\n");
  EXPECT_EQ(md({"network", "prune", "-f"}).out, "");
  EXPECT_EQ(md({"network", "ls", "-q"}).out.size(), 3 * 13u) << "bridge, host, none";
}

// v1 wires a run's network while its cgroups are made: a run refused there (here: a real-time
// budget above its parent's, which the kernel refuses) leaves no published port and no lease
// (TearDown checks the leases).
TEST_F(NetworkTest, RunRefusedByItsCgroupsUnpublishesItsPorts) {
  const std::string root_rt = "/sys/fs/cgroup/cpu/cpu.rt_runtime_us";
  if (!exists(root_rt)) GTEST_SKIP() << "no v1 real-time group scheduling here";
  const long budget = std::stol(read_file(root_rt)) + 10000;
  if (budget > 1000000) GTEST_SKIP() << "the root's real-time budget leaves no room above it";
  auto r = md({"run", "--rm", "-p", "8086:80", "--cpu-rt-runtime", std::to_string(budget),
               "busybox", "true"});
  EXPECT_EQ(r.status, 125) << r.err;
  EXPECT_NE(r.err.find("cpu.rt_runtime_us"), std::string::npos) << r.err;
  EXPECT_EQ(in_host({"nft", "list", "map", "ip", "mydocker", "ports_any"}).out.find("8086"),
            std::string::npos)
      << "the refused run left its published port";
  auto again = md({"run", "--rm", "-p", "8086:80", "busybox", "true"});
  EXPECT_EQ(again.status, 0) << again.err;
}

TEST_F(NetworkTest, Kill9ThenPruneLeavesNoVethRuleOrLease) {
  web({"-p", "8081:80"}, "victim");
  std::string state_file;
  for (const auto& e : fs::directory_iterator(root()))
    if (e.path().filename().string().size() == 64) state_file = e.path().string() + "/state.json";
  ASSERT_FALSE(state_file.empty());
  const auto st = nlohmann::json::parse(read_file(state_file));
  const int supervisor = st.value("supervisor_pid", 0), pid = st.value("pid", 0);
  ASSERT_GT(supervisor, 1);
  ::kill(supervisor, SIGKILL);
  if (pid > 1) ::kill(pid, SIGKILL);
  std::this_thread::sleep_for(300ms);
  // Its veth died with its network namespace; its published port and its address did not.
  auto map = [&] { return in_host({"nft", "list", "map", "ip", "mydocker", "ports_any"}).out; };
  EXPECT_NE(map().find("8081"), std::string::npos)
      << "the killed run left its port (what prune is for)";
  auto p = md({"prune"});
  EXPECT_EQ(p.status, 0) << p.err;
  EXPECT_EQ(map().find("8081"), std::string::npos) << p.out;
  EXPECT_EQ(in_host({"ip", "-br", "link"}).out.find("mdv"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("published port"), std::string::npos) << p.out;
}

// A run's veth exists before its lease and record (net/netns.hpp): while a run holds the guard
// (a shared lock, from before its helper starts until its record exists), prune judges no
// veth; once it is free, a veth of no container goes.
TEST_F(NetworkTest, PruneLeavesVethsAloneWhileARunIsBeingPlanned) {
  ASSERT_EQ(md({"network", "ls", "-q"}).status, 0);  // the networks' directory exists
  ASSERT_EQ(in_host({"ip", "link", "add", "mdv0badc0de", "type", "veth", "peer", "name", "other0"})
                .status,
            0);
  const std::string lock = data_ + "/networks/.early-veths.lock";
  {
    mydocker::UniqueFd held(::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    ASSERT_TRUE(held.valid());
    ASSERT_EQ(::flock(held.get(), LOCK_SH), 0);
    EXPECT_EQ(md({"prune"}).status, 0);
    EXPECT_NE(in_host({"ip", "-br", "link"}).out.find("mdv0badc0de"), std::string::npos)
        << "judged while a run was being planned";
  }
  auto p = md({"prune"});
  EXPECT_EQ(p.status, 0) << p.err;
  EXPECT_EQ(in_host({"ip", "-br", "link"}).out.find("mdv0badc0de"), std::string::npos) << p.out;
}

}  // namespace
}  // namespace itest
