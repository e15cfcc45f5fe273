// Netlink (hand-written rtnetlink) against the real kernel, never in the host's network
// namespace: every test makes its own namespaces, each held by a child process that does nothing
// but wait (killed by pid at the end), and reads the kernel's view with `ip -j` run inside them
// through nsenter. Root only. After each test: no child process, no open fd (namespace or
// socket) and the test thread still in the namespace it started in.

#include "mydocker/net/netlink.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "mydocker/net/netns.hpp"
#include "mydocker/util/closer.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/trace.hpp"

namespace mydocker::net {
namespace {

using Json = nlohmann::json;

struct Output {
  int status = -1;  // exit code, 128+N for signal N
  std::string out;
};

// A command line run by sh, its stdout captured (stderr goes to the test's).
Output shell(const std::string& command) {
  Output result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return result;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) result.out.append(buf, n);
  const int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

// A network namespace of its own, held by a child that unshares, says so through a pipe and
// sleeps until killed by pid in the destructor (PR_SET_PDEATHSIG kills it if we die first).
class Namespace {
 public:
  Namespace() {
    Pipe ready = make_pipe();
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent || ::unshare(CLONE_NEWNET) != 0) ::_exit(1);
      (void)!::write(ready.write.get(), "1", 1);
      for (;;) ::pause();
    }
    ready.write.reset();
    char byte;
    if (pid_ > 0 && ::read(ready.read.get(), &byte, 1) == 1)
      fd_ = UniqueFd(::open(path().c_str(), O_RDONLY | O_CLOEXEC));
  }
  ~Namespace() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  Namespace(const Namespace&) = delete;
  Namespace& operator=(const Namespace&) = delete;

  bool ready() const { return fd_.valid(); }
  int fd() const { return fd_.get(); }
  std::string path() const { return "/proc/" + std::to_string(pid_) + "/ns/net"; }
  // COMMAND run inside: nsenter --net=/proc/PID/ns/net COMMAND.
  Output run(const std::string& command) const {
    return shell("nsenter --net=" + path() + " " + command);
  }
  // `ip -j ARGS` inside, parsed; null when ip fails (its complaint silenced: a test asking about
  // a link expected to be gone makes ip say "Device ... does not exist").
  Json ip(const std::string& args) const {
    const Output r = run("ip -j " + args + " 2>/dev/null");
    return r.status == 0 ? Json::parse(r.out) : Json();
  }
  Netlink netlink() const { return Netlink::in_namespace(fd(), path()); }

 private:
  pid_t pid_ = -1;
  UniqueFd fd_;
};

ino_t inode(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// Every open fd of this process and what it points at ("5 -> net:[4026532890]").
std::set<std::string> open_fds() {
  std::set<std::string> fds;
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return fds;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name == "." || name == ".." || name == std::to_string(::dirfd(dir))) continue;
    char target[256] = {};
    (void)!::readlink(("/proc/self/fd/" + name).c_str(), target, sizeof target - 1);
    fds.insert(name + " -> " + target);
  }
  ::closedir(dir);
  return fds;
}

// The pids of this process's children, alive or zombie (from /proc/PID/stat's 4th field).
std::set<pid_t> children() {
  std::set<pid_t> pids;
  DIR* dir = ::opendir("/proc");
  if (!dir) return pids;
  while (const dirent* entry = ::readdir(dir)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0) continue;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    const size_t comm_end = line.rfind(')');  // the command name may hold spaces and ')'
    std::istringstream rest(comm_end == std::string::npos ? "" : line.substr(comm_end + 1));
    char state = 0;
    pid_t parent = 0;
    if (rest >> state >> parent && parent == ::getpid()) pids.insert(pid);
  }
  ::closedir(dir);
  return pids;
}

bool has_flag(const Json& link, const std::string& flag) {
  const auto& flags = link.value("flags", Json::array());
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

// The one link `ip -j [-d] link show dev NAME` describes, or null.
Json link_of(const Namespace& ns, const std::string& name) {
  const Json links = ns.ip("-d link show dev " + name);
  return links.is_array() && links.size() == 1 ? links[0] : Json();
}

const Json* route_to(const Json& routes, const std::string& dst) {
  for (const auto& route : routes)
    if (route.value("dst", "") == dst) return &route;
  return nullptr;
}

// What a namespace's network is, without what differs by nature between two built alike
// (ifindexes, random MACs, bridge ids, timers): per link its name, kind, master, MTU, flags, the
// MAC when chosen (02:42:...), addresses; then the routes.
Json shape(const Namespace& ns) {
  Json out = Json::array();
  for (const auto& link : ns.ip("-d addr show")) {
    Json entry = {{"ifname", link["ifname"]},
                  {"mtu", link["mtu"]},
                  {"flags", link["flags"]},
                  {"master", link.value("master", "")},
                  {"addr_info", Json::array()}};
    if (link.contains("linkinfo")) entry["kind"] = link["linkinfo"].value("info_kind", "");
    if (link.value("address", "").rfind("02:42:", 0) == 0) entry["address"] = link["address"];
    for (const auto& a : link["addr_info"])
      if (a["family"] == "inet") entry["addr_info"].push_back(a);
    out.push_back(entry);
  }
  out.push_back(ns.ip("route show"));
  return out;
}

// Types trace lines ("+ COMMAND") into a shell, with each namespace path of the first pair
// replaced by the second: the same network built again elsewhere.
void replay(const std::vector<std::string>& lines,
            const std::vector<std::pair<std::string, std::string>>& paths) {
  for (std::string line : lines) {
    line = line.substr(2);
    for (const auto& [from, to] : paths)
      for (size_t at; (at = line.find(from)) != std::string::npos;)
        line.replace(at, from.size(), to);
    ASSERT_EQ(shell(line).status, 0) << line;
  }
}

constexpr std::array<uint8_t, 6> kMac{0x02, 0x42, 0x0a, 0x58, 0x00, 0x02};

// What a container gets: in `host` a bridge holding the gateway address and one end of a veth
// pair; in `box` the other end, born there, renamed eth0, with an address and a default route.
void wire(const Namespace& host, const Namespace& box) {
  Netlink h = host.netlink();
  h.create_bridge("mdbr0", 1400);
  h.set_up("mdbr0");
  h.add_address("mdbr0", "10.88.0.1", 16);
  h.create_veth("mdv1a2b3c", "mdtmp0", 1400, box.fd(), box.path());
  h.set_master("mdv1a2b3c", "mdbr0");
  h.set_up("mdv1a2b3c");
  Netlink b = box.netlink();
  b.rename("mdtmp0", "eth0");
  b.set_mac("eth0", kMac);
  b.add_address("eth0", "10.88.0.2", 16);
  b.set_up("lo");
  b.set_up("eth0");
  b.add_default_route("10.88.0.1");
}

// `busybox ping -c1 -W1` from inside `from`, a few times: the bridge's port needs a moment
// (link watch) before the first packet can leave.
bool pings(const Namespace& from, const std::string& address) {
  for (int attempt = 0; attempt < 5; ++attempt)
    if (from.run("busybox ping -c1 -W1 " + address + " >/dev/null").status == 0) return true;
  return false;
}

// Runs `body` in a forked child that first enters a network namespace of its own; returns what
// body returned, or the message of what it threw, passed back through a pipe.
std::string in_fresh_namespace(const std::function<std::string()>& body) {
  Pipe out = make_pipe();
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::string result;
    try {
      if (::unshare(CLONE_NEWNET) != 0) throw_errno("unshare(CLONE_NEWNET)");
      result = body();
    } catch (const std::exception& e) {
      result = std::string("threw: ") + e.what();
    }
    (void)write_all(out.write.get(), result.data(), result.size());
    ::_exit(0);
  }
  out.write.reset();
  std::string result;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(out.read.get(), buf, sizeof buf)) > 0) result.append(buf, n);
  ::waitpid(pid, nullptr, 0);
  return result;
}

// Trace lines written while alive, to a pipe; tracing off again at the end.
class TraceCapture {
 public:
  TraceCapture() : pipe_(make_pipe()) {
    trace::set_fd(pipe_.write.get());
    trace::set_enabled(true);
  }
  ~TraceCapture() {
    trace::set_enabled(false);
    trace::set_fd(2);
  }
  std::vector<std::string> lines() {
    trace::set_enabled(false);
    pipe_.write.reset();
    std::string text;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(pipe_.read.get(), buf, sizeof buf)) > 0) text.append(buf, n);
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

 private:
  Pipe pipe_;
};

class NetlinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
    if (shell("command -v ip && command -v nsenter && command -v busybox").status != 0)
      GTEST_SKIP() << "needs ip, nsenter and busybox";
    netns_ = inode("/proc/thread-self/ns/net");
    fds_ = open_fds();
    children_ = children();
  }
  // Runs after the test body's locals (namespaces, sockets) are gone.
  void TearDown() override {
    if (IsSkipped()) return;
    EXPECT_EQ(inode("/proc/thread-self/ns/net"), netns_) << "left in another network namespace";
    EXPECT_EQ(open_fds(), fds_) << "an fd (namespace, socket) left open";
    EXPECT_EQ(children(), children_) << "a child process left behind";
  }

 private:
  ino_t netns_ = 0;
  std::set<std::string> fds_;
  std::set<pid_t> children_;
};

TEST_F(NetlinkTest, BridgeIsCreatedWithItsMtuAndSetUp) {
  Namespace ns;
  ASSERT_TRUE(ns.ready());
  Netlink nl = ns.netlink();

  nl.create_bridge("mdbr0", 1400);
  nl.set_up("mdbr0");

  const Json link = link_of(ns, "mdbr0");
  ASSERT_FALSE(link.is_null());
  EXPECT_EQ(link["linkinfo"]["info_kind"], "bridge");
  EXPECT_EQ(link["mtu"], 1400);
  EXPECT_TRUE(has_flag(link, "UP"));
  EXPECT_EQ(nl.index("mdbr0"), link["ifindex"].get<int>());
  EXPECT_TRUE(nl.exists("mdbr0"));
  EXPECT_EQ(nl.mtu("mdbr0"), 1400);
  // It keeps that MTU when its last port leaves (one given only at creation falls back to
  // 1500, and the next container's veth would follow it).
  ASSERT_EQ(ns.run("ip link add p0 mtu 1400 master mdbr0 type veth peer name p1").status, 0);
  ASSERT_EQ(ns.run("ip link del p0").status, 0);
  EXPECT_EQ(nl.mtu("mdbr0"), 1400);
}

TEST_F(NetlinkTest, AddingABridgeTwiceIsRefusedNamingTheOperation) {
  Namespace ns;
  ASSERT_TRUE(ns.ready());
  Netlink nl = ns.netlink();
  nl.create_bridge("mdbr0", 1500);

  try {
    nl.create_bridge("mdbr0", 1500);
    FAIL() << "no error";
  } catch (const SysError& e) {
    EXPECT_EQ(e.err(), EEXIST);
    EXPECT_EQ(std::string(e.what()),
              "nsenter --net=" + ns.path() + " ip link add mdbr0 type bridge: File exists");
  }
}

TEST_F(NetlinkTest, TheKernelsExplanationIsInTheError) {
  Namespace ns;
  ASSERT_TRUE(ns.ready());
  Netlink nl = Netlink::in_namespace(ns.fd());  // no label: bare `ip` lines
  nl.create_bridge("mdbr0", 0);
  nl.create_bridge("mdbr1", 0);

  try {
    nl.set_master("mdbr1", "mdbr0");
    FAIL() << "no error";
  } catch (const SysError& e) {
    EXPECT_EQ(e.err(), ELOOP);
    EXPECT_EQ(std::string(e.what()),
              "ip link set mdbr1 master mdbr0: Can not enslave a bridge to a bridge: Too many "
              "levels of symbolic links");
  }
}

TEST_F(NetlinkTest, AMissingLinkHasIndexZero) {
  Namespace ns;
  ASSERT_TRUE(ns.ready());
  Netlink nl = Netlink::in_namespace(ns.fd());

  EXPECT_EQ(nl.index("nosuch0"), 0);
  EXPECT_FALSE(nl.exists("nosuch0"));
  EXPECT_EQ(nl.index("a-name-longer-than-ifnamsiz"), 0);
  EXPECT_NO_THROW(nl.delete_link("nosuch0"));
  try {
    nl.set_up("nosuch0");
    FAIL() << "no error";
  } catch (const SysError& e) {
    EXPECT_EQ(e.err(), ENODEV);
    EXPECT_EQ(std::string(e.what()), "ip link set nosuch0 up: No such device");
  }
  EXPECT_THROW((void)nl.mtu("nosuch0"), SysError);
  EXPECT_THROW(nl.create_bridge("a-name-longer-than-ifnamsiz", 0), Error);
  EXPECT_THROW(nl.add_address("lo", "10.88.0.300", 16), Error);
}

TEST_F(NetlinkTest, VethPeerIsBornInTheOtherNamespaceAndWired) {
  Namespace host, box;
  ASSERT_TRUE(host.ready() && box.ready());

  wire(host, box);

  // The host's end: a port of the bridge, up, the pair's MTU; the peer never appeared here.
  const Json veth = link_of(host, "mdv1a2b3c");
  ASSERT_FALSE(veth.is_null());
  EXPECT_EQ(veth["linkinfo"]["info_kind"], "veth");
  EXPECT_EQ(veth["master"], "mdbr0");
  EXPECT_EQ(veth["mtu"], 1400);
  EXPECT_TRUE(has_flag(veth, "UP"));
  EXPECT_TRUE(link_of(host, "mdtmp0").is_null());
  EXPECT_TRUE(link_of(host, "eth0").is_null());
  // The box's end: eth0 with its MAC, MTU, address and broadcast; the default route via the bridge.
  EXPECT_TRUE(link_of(box, "mdtmp0").is_null());
  const Json eth0 = box.ip("addr show dev eth0");
  ASSERT_TRUE(eth0.is_array() && eth0.size() == 1);
  EXPECT_EQ(eth0[0]["address"], "02:42:0a:58:00:02");
  EXPECT_EQ(eth0[0]["mtu"], 1400);
  EXPECT_TRUE(has_flag(eth0[0], "UP"));
  Json inet;
  for (const auto& a : eth0[0]["addr_info"])
    if (a["family"] == "inet") inet = a;
  EXPECT_EQ(inet.value("local", ""), "10.88.0.2");
  EXPECT_EQ(inet.value("prefixlen", 0), 16);
  EXPECT_EQ(inet.value("broadcast", ""), "10.88.255.255");
  const Json box_routes = box.ip("route show");
  const Json* gateway = route_to(box_routes, "default");
  ASSERT_NE(gateway, nullptr);
  EXPECT_EQ((*gateway)["gateway"], "10.88.0.1");
  EXPECT_EQ((*gateway)["dev"], "eth0");
  // And Netlink agrees with ip.
  Netlink b = box.netlink();
  EXPECT_EQ(b.index("eth0"), eth0[0]["ifindex"].get<int>());
  EXPECT_EQ(b.mtu("eth0"), 1400);
}

TEST_F(NetlinkTest, PingCrossesTheVethAndTheBridge) {
  Namespace host, box;
  ASSERT_TRUE(host.ready() && box.ready());
  wire(host, box);

  EXPECT_TRUE(pings(box, "10.88.0.1"));
  EXPECT_TRUE(pings(host, "10.88.0.2"));
}

TEST_F(NetlinkTest, RoutesV4ListsTheMainTable) {
  Namespace host, box;
  ASSERT_TRUE(host.ready() && box.ready());
  wire(host, box);

  const auto routes = box.netlink().routes_v4();

  // Exactly the default route and eth0's subnet: the local table (10.88.0.2/32, 127.0.0.0/8)
  // is not the main table.
  ASSERT_EQ(routes.size(), 2u);
  const auto find = [&](const std::string& dst) {
    return std::find_if(routes.begin(), routes.end(), [&](auto& r) { return r.dst == dst; });
  };
  const auto by_default = find("0.0.0.0");
  ASSERT_NE(by_default, routes.end());
  EXPECT_EQ(by_default->prefix, 0);
  EXPECT_EQ(by_default->gateway, "10.88.0.1");
  EXPECT_EQ(by_default->dev, "eth0");
  EXPECT_EQ(by_default->mtu_of_dev, 1400);
  const auto subnet = find("10.88.0.0");
  ASSERT_NE(subnet, routes.end());
  EXPECT_EQ(subnet->prefix, 16);
  EXPECT_EQ(subnet->gateway, "");
  EXPECT_EQ(subnet->dev, "eth0");
  // A route added by hand shows up with its gateway.
  ASSERT_EQ(host.run("ip route add 172.31.0.0/24 via 10.88.0.2").status, 0);
  bool found = false;
  for (const auto& r : host.netlink().routes_v4())
    if (r.dst == "172.31.0.0" && r.prefix == 24 && r.gateway == "10.88.0.2" && r.dev == "mdbr0")
      found = true;
  EXPECT_TRUE(found);
}

TEST_F(NetlinkTest, LinksListsEveryName) {
  Namespace host, box;
  ASSERT_TRUE(host.ready() && box.ready());
  wire(host, box);

  EXPECT_EQ(host.netlink().links(), (std::vector<std::string>{"lo", "mdbr0", "mdv1a2b3c"}));
  EXPECT_EQ(box.netlink().links(), (std::vector<std::string>{"lo", "eth0"}));
}

// Dumps of more than one datagram (the kernel fills one of at most 32 KiB, then the next).
TEST_F(NetlinkTest, DumpsSpanningManyDatagramsAreReadWhole) {
  Namespace ns;
  ASSERT_TRUE(ns.ready());
  Netlink nl = ns.netlink();
  for (int i = 0; i < 200; ++i) nl.create_bridge("mdbr" + std::to_string(i), 0);
  nl.set_up("mdbr0");
  nl.add_address("mdbr0", "10.88.0.1", 16);
  std::string batch;
  for (int i = 0; i < 2000; ++i)
    batch += "route add 172.16." + std::to_string(i / 250) + "." + std::to_string(i % 250) +
             "/32 via 10.88.0.2\n";
  ASSERT_EQ(ns.run("sh -c 'printf \"" + batch + "\" | ip -batch -'").status, 0);

  const auto links = nl.links();
  const auto routes = nl.routes_v4();

  EXPECT_EQ(links.size(), 201u);
  EXPECT_EQ(std::set<std::string>(links.begin(), links.end()).size(), 201u);
  EXPECT_EQ(routes.size(), 2001u);  // and 10.88.0.0/16
}

TEST_F(NetlinkTest, DeletingOneEndOfTheVethRemovesBoth) {
  Namespace host, box;
  ASSERT_TRUE(host.ready() && box.ready());
  wire(host, box);
  Netlink h = host.netlink();

  h.delete_link("mdv1a2b3c");

  EXPECT_FALSE(h.exists("mdv1a2b3c"));
  EXPECT_TRUE(link_of(host, "mdv1a2b3c").is_null());
  EXPECT_TRUE(link_of(box, "eth0").is_null());
  EXPECT_NO_THROW(h.delete_link("mdv1a2b3c"));
  h.delete_link("mdbr0");
  EXPECT_EQ(h.links(), std::vector<std::string>{"lo"});
}

// The trace lines are the commands, runnable: replayed by sh in two fresh namespaces they build
// the same network.
TEST_F(NetlinkTest, TraceLinesReplayedBuildTheSameNetwork) {
  Namespace host, box;
  ASSERT_TRUE(host.ready() && box.ready());
  TraceCapture capture;
  wire(host, box);
  const std::vector<std::string> lines = capture.lines();

  const std::string in_host = "nsenter --net=" + host.path() + " ip ";
  const std::string in_box = "nsenter --net=" + box.path() + " ip ";
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "+ " + in_host + "link add mdbr0 type bridge",
                       "+ " + in_host + "link set mdbr0 mtu 1400",
                       "+ " + in_host + "link set mdbr0 up",
                       "+ " + in_host + "addr add 10.88.0.1/16 brd + dev mdbr0",
                       "+ " + in_host + "link add mdv1a2b3c mtu 1400 type veth peer name mdtmp0 " +
                           "mtu 1400 netns " + box.path(),
                       "+ " + in_host + "link set mdv1a2b3c master mdbr0",
                       "+ " + in_host + "link set mdv1a2b3c up",
                       "+ " + in_box + "link set mdtmp0 name eth0",
                       "+ " + in_box + "link set eth0 address 02:42:0a:58:00:02",
                       "+ " + in_box + "addr add 10.88.0.2/16 brd + dev eth0",
                       "+ " + in_box + "link set lo up",
                       "+ " + in_box + "link set eth0 up",
                       "+ " + in_box + "route add default via 10.88.0.1",
                   }));

  Namespace host2, box2;
  ASSERT_TRUE(host2.ready() && box2.ready());
  replay(lines, {{host.path(), host2.path()}, {box.path(), box2.path()}});
  ASSERT_EQ(shape(host).size(), 4u);  // lo, mdbr0, mdv1a2b3c, the routes
  ASSERT_EQ(shape(box).size(), 3u);   // lo, eth0, the routes
  EXPECT_EQ(shape(host2), shape(host));
  EXPECT_EQ(shape(box2), shape(box));
}

TEST_F(NetlinkTest, InNamespaceLeavesTheCallerWhereItWas) {
  Namespace ns;
  ASSERT_TRUE(ns.ready());
  const ino_t before = inode("/proc/thread-self/ns/net");

  {
    Netlink nl = Netlink::in_namespace(ns.fd());
    EXPECT_EQ(inode("/proc/thread-self/ns/net"), before);
    EXPECT_EQ(nl.links(), std::vector<std::string>{"lo"});  // the new namespace's, not ours
  }
  UniqueFd not_a_namespace(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  try {
    (void)Netlink::in_namespace(not_a_namespace.get(), "/dev/null");
    FAIL() << "no error";
  } catch (const SysError& e) {
    EXPECT_EQ(e.err(), EINVAL);
    EXPECT_EQ(std::string(e.what()), "setns to the network namespace /dev/null: Invalid argument");
  }
  EXPECT_EQ(inode("/proc/thread-self/ns/net"), before);
}

TEST_F(NetlinkTest, DefaultSocketIsInTheCallersNamespace) {
  const std::string result = in_fresh_namespace([] {
    Netlink nl;
    nl.create_bridge("mdbr0", 1280);
    nl.set_up("mdbr0");
    std::string names;
    for (const auto& name : nl.links()) names += name + " ";
    // /proc/self/net is this process's namespace (/sys/class/net would be the host's: sysfs
    // shows the namespace that mounted it).
    const Output dev = shell("grep -c mdbr0: /proc/self/net/dev");
    return names + std::to_string(nl.mtu("mdbr0")) + " " + std::to_string(nl.index("mdbr0") > 0) +
           " " + dev.out;
  });
  EXPECT_EQ(result, "lo mdbr0 1280 1 1\n");
}

// A container's pair in one request: the host's end a port of the bridge and up, the peer born
// in the box with its MAC; the trace line, typed into `ip`, builds the same.
TEST_F(NetlinkTest, VethPairInOneRequestIsWiredAsItIsMade) {
  Namespace host, box, host2, box2;
  ASSERT_TRUE(host.ready() && box.ready() && host2.ready() && box2.ready());
  std::vector<std::string> lines;
  {
    TraceCapture capture;
    Netlink h = host.netlink();
    h.create_bridge("mdbr0", 1400);
    const Netlink::VethPair pair{"mdv1a2b3c", "eth0", 1400,     h.index("mdbr0"), "mdbr0",
                                 true,        kMac,   box.fd(), box.path()};
    h.create_veth(pair);
    lines = capture.lines();
  }
  const std::string in_host = "nsenter --net=" + host.path() + " ip ";
  ASSERT_EQ(lines.size(), 3u);  // the bridge (made, its MTU set), the pair
  EXPECT_EQ(lines[2], "+ " + in_host +
                          "link add mdv1a2b3c mtu 1400 master mdbr0 up type veth peer name eth0 "
                          "mtu 1400 address 02:42:0a:58:00:02 netns " +
                          box.path());
  replay(lines, {{host.path(), host2.path()}, {box.path(), box2.path()}});
  for (const Namespace* ns : {&host, &host2}) {
    const Json veth = link_of(*ns, "mdv1a2b3c");
    ASSERT_FALSE(veth.is_null());
    EXPECT_EQ(veth["master"], "mdbr0");
    EXPECT_TRUE(has_flag(veth, "UP"));
  }
  for (const Namespace* ns : {&box, &box2}) {
    const Json eth0 = link_of(*ns, "eth0");
    ASSERT_FALSE(eth0.is_null());
    EXPECT_EQ(eth0["address"], "02:42:0a:58:00:02");
    EXPECT_EQ(eth0["mtu"], 1400);
  }
}

// A run's pair made ahead, from inside its new namespace, by the helper that makes the namespace
// (raw system calls, a request built in advance); finish_veth then wires it as create_veth
// would have. In a child that enters `host`: the helper puts the peer in its caller's namespace.
TEST_F(NetlinkTest, EarlyNamespaceHelperMakesThePairAndFinishVethWiresIt) {
  Namespace host;
  ASSERT_TRUE(host.ready());
  Pipe report = make_pipe(), done = make_pipe();
  const pid_t child = ::fork();
  if (child == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    report.read.reset();
    done.write.reset();
    auto say = [&](const std::string& what) {
      (void)!::write(report.write.get(), what.data(), what.size());
      ::_exit(0);
    };
    if (::setns(host.fd(), CLONE_NEWNET) != 0) say("setns failed");
    try {
      Netlink h;
      h.create_bridge("mdbr0", 1400);
      net::EarlyNetns early(true, "mdv1a2b3c");
      UniqueFd ns = early.take_netns();  // the namespace only, as before a run's clone
      bool made = false;
      std::thread connect([&] { made = early.claim_veth(); });  // as the connect thread does
      connect.join();
      if (!ns || !made || !early.loopback_up()) say("no pair made ahead");
      net::ipv6_off_in(ns.get(), "", "eth0");  // as connect() does, while eth0 is down
      if (::access("/proc/sys/net/ipv6", F_OK) == 0) {
        std::string v6;
        if (::setns(ns.get(), CLONE_NEWNET) != 0) say("setns to the pair's namespace failed");
        std::ifstream("/proc/sys/net/ipv6/conf/eth0/disable_ipv6") >> v6;
        if (::setns(host.fd(), CLONE_NEWNET) != 0) say("setns back failed");
        if (v6 != "1") say("IPv6 left on for eth0");
      }
      Netlink inside = Netlink::in_namespace(ns.get());
      const Netlink::VethPair pair{"mdv1a2b3c", "eth0",   1400, h.index("mdbr0"), "mdbr0", true,
                                   kMac,        ns.get(), ""};
      h.finish_veth(pair, inside);  // both ends up (pair.up)
      const std::string fd = std::to_string(ns.get());
      (void)!::write(report.write.get(), fd.data(), fd.size());
      report.write.reset();
      char b;
      (void)!::read(done.read.get(), &b, 1);  // holds the namespace until the parent has looked
    } catch (const std::exception& e) {
      say(e.what());
    }
    ::_exit(0);
  }
  report.write.reset();
  done.read.reset();
  std::string said(64, '\0');
  const ssize_t n = ::read(report.read.get(), said.data(), said.size());
  said.resize(n > 0 ? static_cast<size_t>(n) : 0);
  ASSERT_FALSE(said.empty());
  ASSERT_TRUE(std::all_of(said.begin(), said.end(), ::isdigit)) << said;
  const Json veth = link_of(host, "mdv1a2b3c");
  ASSERT_FALSE(veth.is_null());
  EXPECT_EQ(veth["master"], "mdbr0");
  EXPECT_EQ(veth["mtu"], 1400);
  EXPECT_TRUE(has_flag(veth, "UP"));
  const Output r = shell("nsenter --net=/proc/" + std::to_string(child) + "/fd/" + said +
                         " ip -j -d link show dev eth0");
  const Json eth0 = r.status == 0 ? Json::parse(r.out) : Json();
  ASSERT_TRUE(eth0.is_array() && eth0.size() == 1) << r.out;
  EXPECT_EQ(eth0[0]["address"], "02:42:0a:58:00:02");
  EXPECT_EQ(eth0[0]["mtu"], 1400);
  EXPECT_TRUE(has_flag(eth0[0], "UP"));
  EXPECT_EQ(eth0[0]["linkinfo"]["info_kind"], "veth");
  done.write.reset();
  ::waitpid(child, nullptr, 0);
}

// The sockets (socket:[inode]) among a process's open fds.
std::set<std::string> sockets_of(const std::string& pid) {
  std::set<std::string> out;
  const std::string dir = "/proc/" + pid + "/fd";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (const dirent* e = ::readdir(d)) {
    char target[256];
    const ssize_t n = ::readlink((dir + "/" + e->d_name).c_str(), target, sizeof target - 1);
    if (n > 0 && std::string(target, n).starts_with("socket:")) out.insert(std::string(target, n));
  }
  ::closedir(d);
  return out;
}

// Releasing the process's nf_tables socket must not wait for the kernel's grace period: our
// reference is closed at once and the last one is held by a child (the closer) that keeps
// nothing else open and ends by itself, reaped by us.
// A closer holds copies of all our descriptors until it has run: a lock of ours (a
// container's supervisor.lock) must not outlive us because of it. settle_closers() (at exit)
// waits until it closed them. Pinned to one CPU under SCHED_FIFO, the closer cannot run before
// we block.
TEST_F(NetlinkTest, NoLockOfOursOutlivesUsInACloser) {
  const std::string result = in_fresh_namespace([] {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu(), &one);
    if (::sched_setaffinity(0, sizeof one, &one) != 0) return std::string("no affinity");
    // FIFO: the closer (same CPU, same priority) runs only once we block, never beside us.
    const sched_param fifo{1};
    if (::sched_setscheduler(0, SCHED_FIFO, &fifo) != 0) return std::string("no SCHED_FIFO");
    char path[] = "/tmp/mydocker-closer-lock-XXXXXX";
    const int lock = ::mkstemp(path);
    if (lock < 0 || ::flock(lock, LOCK_EX) != 0) return std::string("no lock");
    (void)NfTables::shared().has_table("mydocker-test");
    NfTables::release_shared();  // the closer, a copy of `lock` in its table
    settle_closers();
    ::close(lock);  // ours: the last reference, as at our exit
    const int probe = ::open(path, O_RDONLY | O_CLOEXEC);
    const bool free = probe >= 0 && ::flock(probe, LOCK_EX | LOCK_NB) == 0;
    ::close(probe);
    ::unlink(path);
    return std::string(free ? "ok" : "the lock outlived us in the closer");
  });
  EXPECT_EQ(result, "ok");
}

TEST_F(NetlinkTest, NfTablesLastReferenceGoesToACloser) {
  const std::string result = in_fresh_namespace([] {
    const std::set<std::string> before = sockets_of("self");
    (void)NfTables::shared().has_table("mydocker-test");
    const std::set<std::string> open = sockets_of("self");
    if (open.size() != before.size() + 1) return std::string("no socket opened");
    std::string ours;
    for (const auto& s : open)
      if (!before.count(s)) ours = s;
    NfTables::release_shared();
    if (sockets_of("self") != before) return std::string("our reference is still open");
    std::ifstream children("/proc/thread-self/children");
    pid_t closer = 0;
    children >> closer;
    if (closer <= 0) return std::string("no closer");
    std::set<std::string> held = sockets_of(std::to_string(closer));
    for (int i = 0; i < 200 && held.size() > 1; ++i) {  // until it closed its copies of ours
      ::usleep(5000);
      held = sockets_of(std::to_string(closer));
    }
    if (held != std::set<std::string>{ours})
      return "the closer holds " + std::to_string(held.size());
    int status = 0;
    if (::waitpid(closer, &status, __WALL) != closer) return std::string("not reaped");
    return std::string(WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "ok" : "bad exit");
  });
  EXPECT_EQ(result, "ok");
}

// Where close_range is refused (a kernel before 5.9, or a seccomp filter like this one), the
// closer closes the rest one by one: it keeps nothing of ours but the socket (here: a pipe's
// write end, whose reader sees EOF once ours is closed too), it still ends, and its failed calls
// never touch our errno (it shares our memory, and so our thread's TLS).
TEST_F(NetlinkTest, CloserWithoutCloseRangeClosesEverythingAndLeavesOurErrno) {
  const std::string result = in_fresh_namespace([] {
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_close_range, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog{static_cast<unsigned short>(std::size(filter)), filter};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
      return std::string("no seccomp filter");
    if (::syscall(SYS_close_range, 1000U, 1001U, 0U) == 0) return std::string("not refused");
    int p[2];
    if (::pipe(p) != 0) return std::string("no pipe");
    (void)NfTables::shared().has_table("mydocker-test");
    NfTables::release_shared();
    errno = 0;
    ::close(p[1]);
    char byte;
    const ssize_t n = ::read(p[0], &byte, 1);  // blocks while the closer holds a write end
    const int seen = errno;
    std::ifstream children("/proc/thread-self/children");
    pid_t closer = 0;
    children >> closer;
    if (n != 0) return std::string("read ") + std::to_string(n);
    if (seen != 0) return "our errno became " + std::to_string(seen);
    if (closer <= 0) return std::string("no closer");
    if (sockets_of(std::to_string(closer)).size() != 1) return std::string("holds more");
    int status = 0;
    if (::waitpid(closer, &status, __WALL) != closer) return std::string("not reaped");
    return std::string(WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "ok" : "bad exit");
  });
  EXPECT_EQ(result, "ok");
}

}  // namespace
}  // namespace mydocker::net
