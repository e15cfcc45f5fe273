// IPAM: IPv4 and subnet parsing, formatting and overlap; network names; NetworkStore on a temp
// data root: the default pool, duplicate names, gateway rules, allocation order, --ip, release,
// persistence across store objects, rm, prune, stale leases, the lock, and 50 processes
// allocating at once.

#include "mydocker/net/ipam.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "mydocker/net/hosts.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/fd.hpp"
#include "mydocker/util/files.hpp"

namespace mydocker::net {
namespace {

using nlohmann::json;
using Strings = std::vector<std::string>;

uint32_t ip(const char* text) { return parse_ipv4(text, "test"); }
Subnet subnet(const char* text) { return Subnet::parse(text); }

// The message of the Error `f` throws; "" when it throws none.
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// A 64-hex container id: `n` in hex, padded with zeros.
std::string make_id(unsigned n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", n);
  std::string id = buf;
  id.resize(64, '0');
  return id;
}

// --- addresses and subnets ----------------------------------------------------------------

TEST(Ipv4, ParsesAndFormats) {
  EXPECT_EQ(try_parse_ipv4("10.88.0.1"), 0x0a580001u);
  EXPECT_EQ(try_parse_ipv4("0.0.0.0"), 0u);
  EXPECT_EQ(try_parse_ipv4("255.255.255.255"), 0xffffffffu);
  EXPECT_EQ(format_ipv4(0x0a580001), "10.88.0.1");
  EXPECT_EQ(format_ipv4(0xffffffff), "255.255.255.255");
}

TEST(Ipv4, RefusesWhatIsNotFourDecimalOctets) {
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "a.b.c.d", "1.2.3.4 ",
                          " 1.2.3.4", "-1.2.3.4", "1..3.4", "1.2.3.", "1.2.3.4/8", "1000.1.1.1"})
    EXPECT_EQ(try_parse_ipv4(bad), std::nullopt) << bad;
  EXPECT_EQ(error_of([] { parse_ipv4("10.88.0.300", "--ip"); }),
            "invalid value '10.88.0.300' for --ip: not an IPv4 address");
}

TEST(SubnetTest, ParsesFormatsAndMasks) {
  const Subnet s = subnet("10.88.0.0/16");
  EXPECT_EQ(s.network, 0x0a580000u);
  EXPECT_EQ(s.prefix, 16);
  EXPECT_EQ(s.text(), "10.88.0.0/16");
  EXPECT_EQ(s.mask(), 0xffff0000u);
  EXPECT_EQ(s.broadcast(), ip("10.88.255.255"));
  EXPECT_EQ(subnet("0.0.0.0/0").mask(), 0u);
  EXPECT_EQ(subnet("0.0.0.0/0").broadcast(), 0xffffffffu);
  EXPECT_EQ(subnet("10.1.2.3/32").broadcast(), ip("10.1.2.3"));
}

TEST(SubnetTest, RefusesBadTextNamingTheFlag) {
  EXPECT_EQ(error_of([] { Subnet::parse("10.88.0.5/16"); }),
            "invalid value '10.88.0.5/16' for --subnet: host bits set (the subnet is "
            "10.88.0.0/16)");
  EXPECT_EQ(error_of([] { Subnet::parse("x"); }),
            "invalid value 'x' for --subnet: not an IPv4 subnet such as 10.88.0.0/16");
  for (const char* bad : {"10.88.0.0", "10.88.0.0/", "10.88.0.0/33", "10.88.0.0/016", "10.88.0/16",
                          "/16", "10.88.0.0/16/1", "10.88.0.0/-1"})
    EXPECT_NE(error_of([&] { Subnet::parse(bad); }), "") << bad;
  EXPECT_NE(error_of([] { Subnet::parse("bad", "--route"); }).find("for --route:"),
            std::string::npos);
}

TEST(SubnetTest, OfDropsHostBits) {
  EXPECT_EQ(Subnet::of(ip("10.1.2.3"), 8), subnet("10.0.0.0/8"));
  EXPECT_EQ(Subnet::of(ip("10.1.2.3"), 0), subnet("0.0.0.0/0"));
  EXPECT_EQ(Subnet::of(ip("10.1.2.3"), 32), subnet("10.1.2.3/32"));
}

TEST(SubnetTest, ContainsAndOverlaps) {
  const Subnet s = subnet("10.88.0.0/16");
  EXPECT_TRUE(s.contains(ip("10.88.0.0")));
  EXPECT_TRUE(s.contains(ip("10.88.255.255")));
  EXPECT_FALSE(s.contains(ip("10.89.0.0")));
  EXPECT_FALSE(s.contains(ip("10.87.255.255")));
  EXPECT_TRUE(s.overlaps(subnet("10.0.0.0/8")));
  EXPECT_TRUE(subnet("10.0.0.0/8").overlaps(s));
  EXPECT_TRUE(s.overlaps(subnet("10.88.7.0/24")));
  EXPECT_TRUE(s.overlaps(s));
  EXPECT_FALSE(s.overlaps(subnet("10.89.0.0/16")));
  EXPECT_FALSE(subnet("10.89.0.0/16").overlaps(s));
  EXPECT_TRUE(subnet("0.0.0.0/0").overlaps(s));
}

TEST(Mac, IsDockersSchemeFromTheAddress) {
  EXPECT_EQ(format_mac(mac_for(ip("10.88.0.2"))), "02:42:0a:58:00:02");
  EXPECT_EQ(format_mac(mac_for(ip("172.18.255.254"))), "02:42:ac:12:ff:fe");
}

TEST(NetworkName, FollowsDockersRule) {
  for (const char* good : {"a", "A", "0", "my-net_1.x", "net.example"})
    EXPECT_EQ(error_of([&] { validate_network_name(good); }), "") << good;
  for (const std::string& bad :
       Strings{"", "-a", "_a", ".a", "a/b", "a b", "../x", "a\n", "é", std::string(129, 'a')})
    EXPECT_NE(error_of([&] { validate_network_name(bad); }).find("invalid network name"),
              std::string::npos)
        << bad;
  EXPECT_EQ(error_of([] { validate_network_name(std::string(128, 'a')); }), "");
  for (const char* reserved : {"host", "none", "container", "bridge"})
    EXPECT_NE(error_of([&] { validate_network_name(reserved); }).find("is reserved"),
              std::string::npos)
        << reserved;
}

// --- the store ----------------------------------------------------------------------------

// A data root of its own per test (mkdtemp), removed with everything in it afterwards.
std::string make_temp_dir() {
  char tmpl[] = "/tmp/ipam-test-XXXXXX";
  if (!::mkdtemp(tmpl)) throw SysError(errno, "mkdtemp");
  return tmpl;
}

class NetworkStoreTest : public ::testing::Test {
 protected:
  ~NetworkStoreTest() override { std::filesystem::remove_all(root_); }

  Network create(const std::string& name, const char* sub = nullptr, const char* gateway = nullptr,
                 const std::vector<Subnet>& taken = {}) {
    std::optional<Subnet> s;
    if (sub) s = subnet(sub);
    std::optional<uint32_t> g;
    if (gateway) g = ip(gateway);
    return store_.create(name, s, g, false, taken);
  }
  std::string allocated(const std::string& network, unsigned container) {
    return format_ipv4(
        store_.allocate(network, make_id(container), "c" + std::to_string(container)).ip);
  }
  // Files in <root>/networks other than the networks', their leases and the lock (temporary
  // files left behind).
  Strings leftovers() const {
    Strings out;
    for (const auto& f : list_dir(store_.dir())) {
      if (f.ends_with(".leases")) {
        for (const auto& l : list_dir(store_.dir() + "/" + f))
          if (!try_parse_ipv4(l)) out.push_back(f + "/" + l);
      } else if (f != ".lock" && !f.ends_with(".json")) {
        out.push_back(f);
      }
    }
    return out;
  }

  const std::string root_ = make_temp_dir();
  NetworkStore store_{root_};
};

TEST_F(NetworkStoreTest, CreateFillsTheDefaults) {
  const Network n = create("front");
  EXPECT_EQ(n.name, "front");
  EXPECT_EQ(n.driver, "bridge");
  EXPECT_EQ(n.subnet.text(), "10.88.0.0/16");
  EXPECT_EQ(format_ipv4(n.gateway), "10.88.0.1");
  EXPECT_FALSE(n.internal);
  ASSERT_EQ(n.id.size(), 64u);
  EXPECT_EQ(n.id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(n.bridge, "mdbr-" + n.id.substr(0, 8));
  EXPECT_FALSE(n.created.empty());
  EXPECT_EQ(create("back").subnet.text(), "10.89.0.0/16");
  EXPECT_TRUE(store_.create("private", std::nullopt, std::nullopt, true, {}).internal);
  EXPECT_TRUE(store_.get("private").value_or(Network{}).internal);
  // has(): an exact stored name only (a run's start asks it, without parsing).
  EXPECT_TRUE(store_.has("private"));
  EXPECT_FALSE(store_.has("nosuch"));
  EXPECT_FALSE(store_.has(n.id));
  EXPECT_FALSE(store_.has("../private"));
}

TEST_F(NetworkStoreTest, DefaultPoolSkipsTakenRoutesAndDockers172_17) {
  EXPECT_EQ(
      create("a", nullptr, nullptr, {subnet("10.88.0.0/16"), subnet("10.89.3.0/24")}).subnet.text(),
      "10.90.0.0/16");
  // The default route conflicts with nothing.
  EXPECT_EQ(create("b", nullptr, nullptr, {subnet("0.0.0.0/0")}).subnet.text(), "10.88.0.0/16");
  EXPECT_EQ(create("c", nullptr, nullptr, {subnet("10.0.0.0/8")}).subnet.text(), "172.18.0.0/16");
  EXPECT_EQ(
      create("d", nullptr, nullptr, {subnet("10.0.0.0/8"), subnet("172.16.0.0/12")}).subnet.text(),
      "192.168.0.0/20");
  const std::vector<Subnet> all = {subnet("10.0.0.0/8"), subnet("172.16.0.0/12"),
                                   subnet("192.168.0.0/16")};
  EXPECT_EQ(error_of([&] { create("e", nullptr, nullptr, all); }),
            "no free subnet left in the default pool for network e: give one with --subnet");
}

TEST_F(NetworkStoreTest, RefusesDuplicateAndBadNames) {
  create("a");
  EXPECT_EQ(error_of([&] { create("a", "10.50.0.0/16"); }), "network with name a already exists");
  EXPECT_NE(error_of([&] { create("../evil"); }).find("invalid network name"), std::string::npos);
  EXPECT_NE(error_of([&] { create("host"); }).find("reserved"), std::string::npos);
  EXPECT_NE(error_of([&] { create("bridge"); }).find("reserved"), std::string::npos);
  EXPECT_EQ(store_.list().size(), 1u);
}

TEST_F(NetworkStoreTest, ExplicitSubnetMustBeFreeAndBigEnough) {
  create("a", "10.50.0.0/16");
  EXPECT_EQ(error_of([&] { create("b", "10.50.128.0/17"); }),
            "invalid value '10.50.128.0/17' for --subnet: overlaps network a (10.50.0.0/16)");
  EXPECT_EQ(error_of([&] { create("b", "192.168.1.0/24", nullptr, {subnet("192.168.0.0/16")}); }),
            "invalid value '192.168.1.0/24' for --subnet: overlaps 192.168.0.0/16, in use");
  EXPECT_NE(error_of([&] { create("b", "10.60.0.0/31"); }).find("too small"), std::string::npos);
  EXPECT_EQ(create("b", "10.60.0.0/30").subnet.text(), "10.60.0.0/30");
  // Addresses no bridge can have.
  for (const char* special : {"127.0.0.0/8", "127.5.0.0/16", "0.0.0.0/8", "224.1.0.0/16",
                              "240.0.0.0/8", "255.255.255.0/24", "169.254.0.0/16", "0.0.0.0/0"})
    EXPECT_NE(error_of([&] { create("s", special); }).find("not a network's"), std::string::npos)
        << special;
  EXPECT_EQ(create("d", "223.255.0.0/16").subnet.text(), "223.255.0.0/16");
  // Without --subnet the pool goes round a network given one.
  EXPECT_EQ(create("c").subnet.text(), "10.88.0.0/16");
}

TEST_F(NetworkStoreTest, GatewayRules) {
  EXPECT_EQ(error_of([&] { create("a", "10.50.0.0/24", "10.51.0.1"); }),
            "invalid value '10.51.0.1' for --gateway: not in the subnet 10.50.0.0/24");
  EXPECT_EQ(error_of([&] { create("a", "10.50.0.0/24", "10.50.0.0"); }),
            "invalid value '10.50.0.0' for --gateway: the network address of 10.50.0.0/24");
  EXPECT_EQ(error_of([&] { create("a", "10.50.0.0/24", "10.50.0.255"); }),
            "invalid value '10.50.0.255' for --gateway: the broadcast address of 10.50.0.0/24");
  EXPECT_NE(error_of([&] { create("a", nullptr, "10.50.0.1"); }).find("needs --subnet"),
            std::string::npos);
  EXPECT_TRUE(store_.list().empty());
  const Network n = create("a", "10.50.0.0/24", "10.50.0.254");
  EXPECT_EQ(format_ipv4(n.gateway), "10.50.0.254");
  // Nothing above a high gateway but the broadcast address: the pool wraps to the bottom.
  EXPECT_EQ(allocated("a", 1), "10.50.0.1");
  EXPECT_EQ(allocated("a", 2), "10.50.0.2");
}

TEST_F(NetworkStoreTest, DefaultNetworkIsMadeOnceAndKept) {
  EXPECT_FALSE(store_.get("bridge"));
  const Network n = store_.ensure_default({subnet("10.88.0.0/16")});
  EXPECT_EQ(n.name, "bridge");
  EXPECT_EQ(n.bridge, "mydocker0");
  EXPECT_TRUE(n.builtin());
  EXPECT_EQ(n.subnet.text(), "10.89.0.0/16");
  EXPECT_EQ(store_.ensure_default({}).id, n.id);
  EXPECT_EQ(NetworkStore(root_).ensure_default({}).id, n.id);
  EXPECT_EQ(error_of([&] { store_.remove("bridge"); }),
            "bridge is a pre-defined network and cannot be removed");
  EXPECT_TRUE(store_.prune().empty());
  EXPECT_EQ(store_.get("bridge").value_or(Network{}).id, n.id);
  EXPECT_EQ(store_.get("bridge").value_or(Network{}).bridge, "mydocker0");
}

TEST_F(NetworkStoreTest, AllocatesInOrderAfterTheGateway) {
  const Network n = create("a");
  const Lease first = store_.allocate("a", make_id(1), "web");
  EXPECT_EQ(format_ipv4(first.ip), "10.88.0.2");
  EXPECT_EQ(first.network, "a");
  EXPECT_EQ(first.container_id, make_id(1));
  EXPECT_EQ(first.container_name, "web");
  EXPECT_EQ(first.prefix, 16);
  EXPECT_EQ(first.gateway, n.gateway);
  EXPECT_EQ(first.cidr(), "10.88.0.2/16");
  EXPECT_EQ(format_mac(first.mac), "02:42:0a:58:00:02");
  EXPECT_EQ(allocated("a", 2), "10.88.0.3");
  EXPECT_EQ(allocated("a", 3), "10.88.0.4");
  // The same container again: its address, not a second one (a restart keeps it).
  EXPECT_EQ(format_ipv4(store_.allocate("a", make_id(1), "web").ip), "10.88.0.2");
  EXPECT_EQ(store_.leases("a").size(), 3u);
  EXPECT_EQ(error_of([&] { store_.allocate("missing", make_id(9), "x"); }),
            "network missing not found");
}

TEST_F(NetworkStoreTest, RequestedAddress) {
  create("a", "10.50.0.0/24");
  EXPECT_EQ(format_ipv4(store_.allocate("a", make_id(1), "one", ip("10.50.0.2")).ip), "10.50.0.2");
  EXPECT_EQ(allocated("a", 2), "10.50.0.3");  // the requested one is skipped
  EXPECT_EQ(format_ipv4(store_.allocate("a", make_id(3), "three", ip("10.50.0.200")).ip),
            "10.50.0.200");
  EXPECT_EQ(error_of([&] { store_.allocate("a", make_id(4), "four", ip("10.50.0.2")); }),
            "invalid value '10.50.0.2' for --ip: already in use by container one on network a");
  EXPECT_EQ(error_of([&] { store_.allocate("a", make_id(4), "four", ip("10.51.0.2")); }),
            "invalid value '10.51.0.2' for --ip: not in network a's subnet 10.50.0.0/24");
  EXPECT_EQ(error_of([&] { store_.allocate("a", make_id(4), "four", ip("10.50.0.1")); }),
            "invalid value '10.50.0.1' for --ip: the gateway of network a");
  for (const char* edge : {"10.50.0.0", "10.50.0.255"})
    EXPECT_NE(error_of([&] {
                store_.allocate("a", make_id(4), "four", ip(edge));
              }).find("the network or broadcast address"),
              std::string::npos);
  EXPECT_NE(error_of([&] {
              store_.allocate("a", make_id(1), "one", ip("10.50.0.9"));
            }).find("the container has 10.50.0.2"),
            std::string::npos);
  EXPECT_EQ(store_.leases("a").size(), 3u);
}

TEST_F(NetworkStoreTest, ReleaseReturnsTheAddressToThePool) {
  create("a");
  EXPECT_EQ(allocated("a", 1), "10.88.0.2");
  EXPECT_EQ(allocated("a", 2), "10.88.0.3");
  store_.release("a", make_id(1));
  store_.release("a", make_id(1));        // again: nothing to do
  store_.release("missing", make_id(1));  // no such network: nothing to do
  EXPECT_EQ(allocated("a", 3), "10.88.0.2");
  EXPECT_EQ(allocated("a", 4), "10.88.0.4");
}

TEST_F(NetworkStoreTest, RenameLeasesKeepsTheAddressUnderTheNewName) {
  create("a");
  create("b", "10.99.0.0/24");
  EXPECT_EQ(allocated("a", 1), "10.88.0.2");
  EXPECT_EQ(allocated("b", 1), "10.99.0.2");
  EXPECT_EQ(allocated("a", 2), "10.88.0.3");
  store_.rename_leases(make_id(1), "renamed");
  for (const auto& l : NetworkStore(root_).leases_of(make_id(1))) {
    EXPECT_EQ(l.container_name, "renamed") << l.network;
    EXPECT_EQ(format_ipv4(l.ip), l.network == "a" ? "10.88.0.2" : "10.99.0.2");
  }
  EXPECT_EQ(NetworkStore(root_).leases_of(make_id(1)).size(), 2u);
  EXPECT_EQ(NetworkStore(root_).leases_of(make_id(2)).front().container_name, "c2");
}

TEST_F(NetworkStoreTest, ExhaustionIsAClearError) {
  create("tiny", "10.99.0.0/30");
  EXPECT_EQ(allocated("tiny", 1), "10.99.0.2");
  EXPECT_EQ(error_of([&] { allocated("tiny", 2); }),
            "no free address in network tiny (10.99.0.0/30)");
  store_.release("tiny", make_id(1));
  EXPECT_EQ(allocated("tiny", 2), "10.99.0.2");
}

TEST_F(NetworkStoreTest, PersistsAcrossStoreObjectsInDockersShape) {
  const Network made = create("a", "10.50.0.0/24", "10.50.0.1");
  allocated("a", 1);
  allocated("a", 2);
  NetworkStore other(root_);
  const auto n = other.get("a");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->id, made.id);
  EXPECT_EQ(n->bridge, made.bridge);
  EXPECT_EQ(n->subnet, made.subnet);
  EXPECT_EQ(n->gateway, made.gateway);
  EXPECT_EQ(n->created, made.created);
  const auto leases = other.leases("a");
  ASSERT_EQ(leases.size(), 2u);
  EXPECT_EQ(leases[1].cidr(), "10.50.0.3/24");
  EXPECT_EQ(leases[1].container_name, "c2");
  EXPECT_EQ(format_mac(leases[1].mac), "02:42:0a:32:00:03");
  EXPECT_EQ(allocated("a", 3), "10.50.0.4");

  std::ifstream in(store_.dir() + "/a.json");
  const json j = json::parse(in);
  EXPECT_EQ(j["Name"], "a");
  EXPECT_EQ(j["Id"], made.id);
  EXPECT_EQ(j["Driver"], "bridge");
  EXPECT_EQ(j["Internal"], false);
  EXPECT_EQ(j["IPAM"]["Config"][0]["Subnet"], "10.50.0.0/24");
  EXPECT_EQ(j["IPAM"]["Config"][0]["Gateway"], "10.50.0.1");
  EXPECT_EQ(j["Options"]["com.docker.network.bridge.name"], made.bridge);
  EXPECT_TRUE(j.value("Containers", json::object()).empty())
      << "the network's file is not rewritten per lease";
  std::ifstream lease(store_.dir() + "/a.leases/10.50.0.2");
  const json l = json::parse(lease);
  EXPECT_EQ(l["Id"], make_id(1));
  EXPECT_EQ(l["Name"], "c1");
  const json shown = inspect_json(*n, leases);
  EXPECT_EQ(shown["Containers"].size(), 2u);
  EXPECT_EQ(shown["Containers"][make_id(1)]["IPv4Address"], "10.50.0.2/24");
  EXPECT_EQ(shown["Containers"][make_id(1)]["MacAddress"], "02:42:0a:32:00:02");
  EXPECT_TRUE(leftovers().empty());
}

// A data root of an older mydocker keeps its leases in the network's file: they are read, and
// moved to lease files at the next change.
TEST_F(NetworkStoreTest, LeasesInAnOlderNetworkFileAreKeptAndMoved) {
  const Network n = create("old", "10.51.0.0/24");
  std::vector<Lease> legacy;
  for (unsigned c : {1u, 2u}) {
    Lease l;
    l.network = "old";
    l.container_id = make_id(c);
    l.container_name = "c" + std::to_string(c);
    l.ip = n.subnet.network + 1 + c;
    l.mac = mac_for(l.ip);
    l.prefix = n.subnet.prefix;
    legacy.push_back(l);
  }
  write_file_atomic(store_.dir() + "/old.json", inspect_json(n, legacy).dump());
  ASSERT_EQ(store_.leases("old").size(), 2u);
  EXPECT_EQ(allocated("old", 3), "10.51.0.4") << "the old leases' addresses stay taken";
  std::ifstream in(store_.dir() + "/old.json");
  EXPECT_TRUE(json::parse(in).value("Containers", json::object()).empty());
  EXPECT_TRUE(std::filesystem::exists(store_.dir() + "/old.leases/10.51.0.2"));
  store_.release("old", make_id(1));
  const auto left = store_.leases("old");
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].container_name, "c2");
  EXPECT_EQ(left[1].container_name, "c3");
  EXPECT_TRUE(leftovers().empty());
}

// Only a regular file is a lease: a directory, a FIFO (whose open would block) or a symlink
// named like an address is none, and the store allocates around it.
TEST_F(NetworkStoreTest, ALeaseIsARegularFileAndNothingElse) {
  create("a", "10.52.0.0/24");
  const std::string leases = store_.dir() + "/a.leases";
  std::filesystem::create_directories(leases + "/10.52.0.2");
  ASSERT_EQ(::mkfifo((leases + "/10.52.0.3").c_str(), 0600), 0);
  std::filesystem::create_symlink("/etc/hostname", leases + "/10.52.0.4");
  std::ofstream(leases + "/10.52.0.2/inside") << "x";
  const int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string sock_path = leases + "/10.52.0.5";
  ASSERT_LT(sock_path.size(), sizeof addr.sun_path);
  std::strcpy(addr.sun_path, sock_path.c_str());
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(sock);
  EXPECT_TRUE(store_.leases("a").empty());
  // Not ours to replace: the four addresses are skipped.
  EXPECT_EQ(allocated("a", 1), "10.52.0.6");
  EXPECT_EQ(allocated("a", 2), "10.52.0.7");
  EXPECT_NE(error_of([&] { store_.allocate("a", make_id(3), "", ip("10.52.0.2")); }), "");
  ASSERT_EQ(store_.leases("a").size(), 2u);
  store_.release("a", make_id(2));
  store_.release("a", make_id(1));
  EXPECT_TRUE(store_.leases("a").empty());
  store_.remove("a");  // with whatever is in its lease directory
  EXPECT_FALSE(std::filesystem::exists(leases));
}

// A killed `network rm` may leave the lease directory of a network whose file is gone: a new
// network of that name does not inherit those leases.
TEST_F(NetworkStoreTest, ANewNetworkDoesNotInheritAStaleLeaseDirectory) {
  create("a", "10.53.0.0/24");
  allocated("a", 1);
  ASSERT_EQ(::unlink((store_.dir() + "/a.json").c_str()), 0);  // as if killed mid-remove
  create("a", "10.53.0.0/24");
  EXPECT_TRUE(store_.leases("a").empty());
  EXPECT_EQ(allocated("a", 2), "10.53.0.2");
}

TEST_F(NetworkStoreTest, GetByIdOrUniquePrefix) {
  // Two records written by hand, with ids sharing a prefix.
  make_dirs(store_.dir(), 0700);
  for (const char* name : {"x", "y"}) {
    Network n;
    n.name = name;
    n.id = std::string(name[0] == 'x' ? "abc1" : "abc2") + std::string(60, '0');
    n.bridge = "mdbr-" + n.id.substr(0, 8);
    n.subnet = subnet(name[0] == 'x' ? "10.1.0.0/16" : "10.2.0.0/16");
    n.gateway = n.subnet.network + 1;
    write_file_atomic(store_.dir() + "/" + name + ".json", inspect_json(n, {}).dump());
  }
  EXPECT_EQ(store_.get("abc1").value_or(Network{}).name, "x");
  EXPECT_EQ(store_.get("abc2" + std::string(60, '0')).value_or(Network{}).name, "y");
  EXPECT_EQ(store_.get("y").value_or(Network{}).id, "abc2" + std::string(60, '0'));
  EXPECT_NE(error_of([&] { store_.get("abc"); }).find("ambiguous"), std::string::npos);
  EXPECT_FALSE(store_.get("abd"));
  EXPECT_FALSE(store_.get("../x"));
  EXPECT_FALSE(store_.get(""));
  EXPECT_EQ(store_.remove("abc1").name, "x");
  EXPECT_EQ(store_.list().size(), 1u);
}

TEST_F(NetworkStoreTest, RemoveIsRefusedWhileContainersUseIt) {
  const Network n = create("a");
  allocated("a", 1);
  store_.allocate("a", make_id(2), "");  // no name: its short id
  EXPECT_EQ(error_of([&] { store_.remove("a"); }),
            "network a has active endpoints: c1, " + make_id(2).substr(0, 12));
  store_.release("a", make_id(1));
  store_.release("a", make_id(2));
  const Network removed = store_.remove("a");
  EXPECT_EQ(removed.bridge, n.bridge);
  EXPECT_FALSE(store_.get("a"));
  EXPECT_FALSE(std::filesystem::exists(store_.dir() + "/a.json"));
  EXPECT_EQ(error_of([&] { store_.remove("a"); }), "network a not found");
}

TEST_F(NetworkStoreTest, PruneRemovesUnusedUserNetworks) {
  store_.ensure_default({});
  create("used");
  create("idle2");
  create("idle1");
  allocated("used", 1);
  EXPECT_EQ(store_.prune(), (Strings{"idle1", "idle2"}));
  Strings left;
  for (const Network& n : store_.list()) left.push_back(n.name);
  EXPECT_EQ(left, (Strings{"bridge", "used"}));
  EXPECT_TRUE(store_.prune().empty());
}

TEST_F(NetworkStoreTest, LeasesOfAContainerAndStaleOnes) {
  create("a");
  create("b");
  allocated("a", 1);
  allocated("b", 1);
  allocated("b", 2);
  const auto of1 = store_.leases_of(make_id(1));
  ASSERT_EQ(of1.size(), 2u);
  EXPECT_EQ(of1[0].network, "a");
  EXPECT_EQ(of1[1].network, "b");
  EXPECT_EQ(of1[1].cidr(), "10.89.0.2/16");
  const auto stale = store_.stale([](const std::string& id) { return id == make_id(2); });
  ASSERT_EQ(stale.size(), 2u);
  EXPECT_EQ(stale[0].container_id, make_id(1));
  EXPECT_EQ(stale[1].container_id, make_id(1));
  store_.release_all(make_id(1));
  EXPECT_TRUE(store_.leases_of(make_id(1)).empty());
  EXPECT_EQ(store_.leases("b").size(), 1u);
  EXPECT_TRUE(store_.leases("missing").empty());
}

TEST_F(NetworkStoreTest, ACorruptRecordIsAnErrorNamingIt) {
  make_dirs(store_.dir(), 0700);
  write_file(store_.dir() + "/bad.json", "{not json", false);
  EXPECT_NE(error_of([&] { store_.list(); }).find("cannot read " + store_.dir() + "/bad.json"),
            std::string::npos);
}

TEST_F(NetworkStoreTest, LockIsHeldByTheGuardAndReentrant) {
  const std::string lock_file = store_.dir() + "/.lock";
  {
    auto held = store_.lock();
    EXPECT_TRUE(is_locked(lock_file));  // a new open file: as another process sees it
    auto again = store_.lock();
    create("a");  // takes the lock again inside: no deadlock
    EXPECT_TRUE(is_locked(lock_file));
  }
  EXPECT_FALSE(is_locked(lock_file));
  create("b");
  EXPECT_FALSE(is_locked(lock_file));
}

// 50 processes, each with its own store, allocate on one network at the same moment: the lock
// must give each a different address, and every one must be on file.
TEST_F(NetworkStoreTest, ConcurrentProcessesGetDistinctAddresses) {
  constexpr unsigned kProcesses = 50;
  const Network n = create("shared", "10.77.0.0/24");
  Pipe start = make_pipe();  // closed by the parent once all are forked: they start together
  Pipe results = make_pipe();
  std::vector<pid_t> pids;
  for (unsigned i = 0; i < kProcesses; ++i) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      start.write.reset();
      results.read.reset();
      char c;
      (void)!::read(start.read.get(), &c, 1);  // EOF when the parent closes its end
      int status = 1;
      try {
        NetworkStore mine(root_);
        const uint32_t got = mine.allocate("shared", make_id(i + 1), "c" + std::to_string(i)).ip;
        if (write_all(results.write.get(), &got, sizeof got)) status = 0;
      } catch (...) {
      }
      ::_exit(status);
    }
    pids.push_back(pid);
  }
  start.write.reset();
  results.write.reset();
  std::set<uint32_t> ips;
  uint32_t got;
  while (read_full(results.read.get(), &got, sizeof got) == sizeof got) ips.insert(got);
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_EQ(ips.size(), kProcesses);
  for (uint32_t a : ips) {
    EXPECT_TRUE(n.subnet.contains(a));
    EXPECT_NE(a, n.gateway);
    EXPECT_NE(a, n.subnet.network);
    EXPECT_NE(a, n.subnet.broadcast());
  }
  // The lowest 50 after the gateway, whatever order the processes ran in.
  EXPECT_EQ(format_ipv4(*ips.begin()), "10.77.0.2");
  EXPECT_EQ(format_ipv4(*ips.rbegin()), "10.77.0.51");
  EXPECT_EQ(store_.leases("shared").size(), kProcesses);
  EXPECT_TRUE(leftovers().empty());
}

}  // namespace

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(HostsFile, ReplaceLineRewritesOnlyWholeLinesInPlace) {
  char tmpl[] = "/tmp/mydocker-hosts-XXXXXX";
  const int fd = ::mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  ::close(fd);
  const std::string path = tmpl;
  write_file(path, "127.0.0.1\tlocalhost\n10.1.0.3\tc\n10.1.0.3\tcc\n10.1.0.4\td", false);
  EXPECT_TRUE(replace_line(path, "10.1.0.3\tc", std::string("10.1.0.3\tc2")));
  EXPECT_EQ(read_file(path), "127.0.0.1\tlocalhost\n10.1.0.3\tc2\n10.1.0.3\tcc\n10.1.0.4\td");
  EXPECT_TRUE(remove_line(path, "10.1.0.4\td"));  // the last line, without its newline
  EXPECT_EQ(read_file(path), "127.0.0.1\tlocalhost\n10.1.0.3\tc2\n10.1.0.3\tcc\n");
  EXPECT_TRUE(replace_line(path, "no such line", std::string("x")));
  EXPECT_EQ(read_file(path), "127.0.0.1\tlocalhost\n10.1.0.3\tc2\n10.1.0.3\tcc\n");
  ::unlink(path.c_str());
  EXPECT_FALSE(replace_line(path, "a", std::string("b"))) << "a file that is gone";
}

}  // namespace
}  // namespace mydocker::net

namespace mydocker::net {
namespace {

// docker's host and none: found by name or by id from 12 digits on, shown without a subnet or
// a bridge, never confused with a stored network of another name.
TEST(PredefinedNetworks, HostAndNoneByNameOrId) {
  const auto all = predefined_networks();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "host");
  EXPECT_EQ(all[0].driver, "host");
  EXPECT_EQ(all[1].name, "none");
  EXPECT_EQ(all[1].driver, "null");
  for (const auto& n : all) {
    EXPECT_TRUE(n.predefined());
    EXPECT_EQ(n.id.size(), 64u);
    ASSERT_TRUE(find_predefined(n.name));
    EXPECT_EQ(find_predefined(n.id.substr(0, 12))->name, n.name);
    EXPECT_EQ(find_predefined(n.id.substr(0, 4))->name, n.name);
    const nlohmann::json j = inspect_json(n, {});
    EXPECT_EQ(j["IPAM"]["Config"], nlohmann::json::array());
    EXPECT_EQ(j["Options"], nlohmann::json::object());
    EXPECT_EQ(j["Driver"], n.driver);
  }
  EXPECT_FALSE(find_predefined("bridge"));
  Network bridge;
  bridge.name = "bridge";
  EXPECT_FALSE(bridge.predefined());
}

}  // namespace
}  // namespace mydocker::net
