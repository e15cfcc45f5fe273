// rtnetlink by hand. A netlink socket carries datagrams between us and the kernel; each holds
// one or more messages, each message is
//
//   struct nlmsghdr   nlmsg_len (the whole message), nlmsg_type (RTM_NEWLINK, RTM_GETROUTE...),
//                     nlmsg_flags (NLM_F_REQUEST, NLM_F_ACK, NLM_F_CREATE...), nlmsg_seq (ours,
//                     echoed in every answer), nlmsg_pid (the sender's port; the kernel is 0)
//   family header     struct ifinfomsg (links), ifaddrmsg (addresses) or rtmsg (routes)
//   attributes        each struct rtattr {rta_len, rta_type} then its value; a nested attribute's
//                     value is itself a list of attributes
//
// and every part starts on a 4-byte boundary (NLMSG_ALIGN, RTA_ALIGN pad with zeros).
//
// A request with NLM_F_ACK is answered by NLMSG_ERROR: error 0 (the ack) or -errno. A "get" is
// answered by its data first (RTM_NEWLINK...), then the ack. A dump (NLM_F_DUMP) by many data
// messages over as many datagrams as needed, then NLMSG_DONE; the kernel never acks a dump.
//
// Structs are copied out of received bytes with memcpy (read_struct), never cast in place: the
// bytes need not be aligned for them, and a reader sees exactly what is read.

#include "mydocker/net/netlink.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string_view>

#include "mydocker/util/closer.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/trace.hpp"

namespace mydocker::net {
namespace {

using trace::quote;

template <typename T>
T read_struct(const char* bytes) {
  T value;
  std::memcpy(&value, bytes, sizeof value);
  return value;
}

// A request, built in one buffer in the layout above. Nested attributes are opened with
// begin() and closed with end(), which writes their length once their content is in.
class Message {
 public:
  Message(uint16_t type, uint16_t flags, bool ack = true) {
    nlmsghdr header{};
    header.nlmsg_type = type;
    // Every request asks for an answer (NLM_F_ACK): a change we do not hear back about could
    // have failed unseen. (Not the frame of an nf_tables batch, which is no request itself.)
    header.nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | (ack ? NLM_F_ACK : 0) | flags);
    append(&header, sizeof header);
  }

  // Raw bytes padded to 4: the family header, or the struct at the start of a nested link.
  void append(const void* data, size_t size) {
    const char* bytes = static_cast<const char*>(data);
    if (size > 0) buf_.insert(buf_.end(), bytes, bytes + size);
    buf_.resize(RTA_ALIGN(buf_.size()), 0);
  }
  void attr(uint16_t type, const void* data, size_t size) {
    rtattr header{};
    header.rta_type = type;
    header.rta_len = static_cast<uint16_t>(RTA_LENGTH(size));  // header + value, no padding
    append(&header, sizeof header);
    append(data, size);
  }
  void attr_u32(uint16_t type, uint32_t value) { attr(type, &value, sizeof value); }
  void attr_string(uint16_t type, const std::string& value) {
    attr(type, value.c_str(), value.size() + 1);  // with its NUL
  }
  size_t begin(uint16_t type) {
    const size_t at = buf_.size();
    attr(type, nullptr, 0);
    return at;
  }
  void end(size_t at) {
    auto header = read_struct<rtattr>(buf_.data() + at);
    if (buf_.size() - at > 0xffff) throw Error("netlink: an attribute over 64 KiB");
    header.rta_len = static_cast<uint16_t>(buf_.size() - at);
    std::memcpy(buf_.data() + at, &header, sizeof header);
  }
  // The bytes to send, the header's length and sequence number filled in.
  const std::vector<char>& finish(uint32_t seq) {
    auto header = read_struct<nlmsghdr>(buf_.data());
    header.nlmsg_len = static_cast<uint32_t>(buf_.size());
    header.nlmsg_seq = seq;
    std::memcpy(buf_.data(), &header, sizeof header);
    return buf_;
  }

 private:
  std::vector<char> buf_;
};

// One data message of an answer: its type and the bytes after its nlmsghdr.
struct Answer {
  uint16_t type;
  std::string payload;
};

// Everything the kernel said to one request.
struct Reply {
  int err = 0;              // 0, or the errno of its NLMSG_ERROR (or of NLMSG_DONE for a dump)
  std::string kernel_text;  // the kernel's explanation of a refusal, when it gives one
  std::vector<Answer> answers;
  bool interrupted = false;  // NLM_F_DUMP_INTR: the table changed while it was dumped
};

// Calls `each(type, payload)` for every attribute of `data`, in order (a list repeats a type).
// A type's top bits are flags (NLA_F_NESTED...): NLA_TYPE_MASK strips them. A malformed
// attribute ends the list.
template <typename F>
void for_each_attr(std::string_view data, F each) {
  while (data.size() >= sizeof(rtattr)) {
    const auto header = read_struct<rtattr>(data.data());
    if (header.rta_len < sizeof(rtattr) || header.rta_len > data.size()) return;
    each(static_cast<uint16_t>(header.rta_type & NLA_TYPE_MASK),
         data.substr(RTA_LENGTH(0), header.rta_len - RTA_LENGTH(0)));
    data.remove_prefix(std::min<size_t>(RTA_ALIGN(header.rta_len), data.size()));
  }
}

// The attributes in `data`, by type (the first of each).
using Attrs = std::map<uint16_t, std::string_view>;
Attrs parse_attrs(std::string_view data) {
  Attrs attrs;
  for_each_attr(data, [&](uint16_t type, std::string_view value) { attrs.emplace(type, value); });
  return attrs;
}

uint32_t attr_u32(const Attrs& attrs, uint16_t type) {
  auto it = attrs.find(type);
  if (it == attrs.end() || it->second.size() < sizeof(uint32_t)) return 0;
  return read_struct<uint32_t>(it->second.data());
}

std::string attr_string(const Attrs& attrs, uint16_t type) {
  auto it = attrs.find(type);
  if (it == attrs.end()) return "";
  std::string_view text = it->second;
  return std::string(text.substr(0, text.find('\0')));
}

std::string attr_ipv4(const Attrs& attrs, uint16_t type) {
  auto it = attrs.find(type);
  if (it == attrs.end() || it->second.size() != 4) return "";
  char text[INET_ADDRSTRLEN];
  return inet_ntop(AF_INET, it->second.data(), text, sizeof text) ? text : "";
}

// --- The socket ---------------------------------------------------------------------------------

UniqueFd open_socket(int protocol = NETLINK_ROUTE) {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol));
  if (!fd)
    throw_errno(protocol == NETLINK_ROUTE ? "socket(AF_NETLINK, NETLINK_ROUTE)"
                                          : "socket(AF_NETLINK, NETLINK_NETFILTER)");
  // Best effort (kernels before 4.12 lack the first): the kernel's own words with a refusal
  // (the "extended ack"), and no copy of our request echoed back in it.
  const int on = 1;
  (void)::setsockopt(fd.get(), SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
  (void)::setsockopt(fd.get(), SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
  sockaddr_nl self{};
  self.nl_family = AF_NETLINK;  // nl_pid 0: the kernel gives us a free port
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&self), sizeof self) != 0)
    throw_errno("bind the netlink socket");
  return fd;
}

void send_request(int fd, const std::vector<char>& bytes) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;  // nl_pid 0 is the kernel
  ssize_t n;
  do {
    n = ::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
                 sizeof kernel);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw_errno("send to the kernel over netlink");
}

// One datagram from the kernel into `buf`; returns its size. MSG_PEEK | MSG_TRUNC first says its
// full size (a dump packs many messages in one), so the buffer grows instead of the tail being
// lost. Datagrams from anyone but the kernel (port 0) are dropped.
size_t receive_datagram(int fd, std::vector<char>& buf) {
  for (;;) {
    ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_PEEK | MSG_TRUNC);
    if (n >= 0 && static_cast<size_t>(n) > buf.size()) {
      buf.resize(static_cast<size_t>(n));
      continue;
    }
    sockaddr_nl from{};
    socklen_t from_len = sizeof from;
    if (n >= 0)
      n = ::recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("receive from the kernel over netlink");
    if (from.nl_pid == 0) return static_cast<size_t>(n);
  }
}

// The end of an answer. NLMSG_ERROR carries struct nlmsgerr {int error; struct nlmsghdr msg;}:
// error 0 acks a success, -errno refuses; msg is our request's header, followed by its payload
// unless NLM_F_CAPPED (we asked for that with NETLINK_CAP_ACK). NLMSG_DONE, the end of a dump,
// carries just the int. With NLM_F_ACK_TLVS, attributes follow: NLMSGERR_ATTR_MSG is the
// kernel's explanation ("Unknown device type").
void read_end(const nlmsghdr& header, std::string_view payload, Reply& reply) {
  int error = 0;
  if (payload.size() >= sizeof error) error = read_struct<int>(payload.data());
  reply.err = -error;
  size_t at = sizeof error;
  if (header.nlmsg_type == NLMSG_ERROR) {
    if (payload.size() < sizeof(nlmsgerr)) throw Error("netlink: a truncated NLMSG_ERROR");
    at = sizeof(nlmsgerr);
    const auto echoed = read_struct<nlmsgerr>(payload.data()).msg.nlmsg_len;
    if (!(header.nlmsg_flags & NLM_F_CAPPED))
      at += std::max<size_t>(echoed, NLMSG_HDRLEN) - NLMSG_HDRLEN;
  }
  at = NLMSG_ALIGN(at);
  if ((header.nlmsg_flags & NLM_F_ACK_TLVS) && at < payload.size())
    reply.kernel_text = attr_string(parse_attrs(payload.substr(at)), NLMSGERR_ATTR_MSG);
}

// Reads datagrams and hands each message of the kernel's (its header and the bytes after it) to
// `take`, until `take` says the answer is complete.
template <typename Take>
void read_messages(int fd, Take take) {
  std::vector<char> buf(32 * 1024);
  for (;;) {
    std::string_view rest(buf.data(), receive_datagram(fd, buf));
    while (rest.size() >= sizeof(nlmsghdr)) {
      const auto header = read_struct<nlmsghdr>(rest.data());
      if (header.nlmsg_len < sizeof header || header.nlmsg_len > rest.size())
        throw Error("netlink: a malformed message from the kernel");
      const std::string_view payload = rest.substr(NLMSG_HDRLEN, header.nlmsg_len - NLMSG_HDRLEN);
      rest.remove_prefix(std::min<size_t>(NLMSG_ALIGN(header.nlmsg_len), rest.size()));
      if (take(header, payload)) return;
    }
  }
}

// Reads until the answer to request `seq` is complete. Messages with another sequence number
// answer an earlier request that was abandoned (its caller threw) and are skipped.
Reply receive(int fd, uint32_t seq) {
  Reply reply;
  read_messages(fd, [&](const nlmsghdr& header, std::string_view payload) {
    if (header.nlmsg_seq != seq) return false;
    if (header.nlmsg_flags & NLM_F_DUMP_INTR) reply.interrupted = true;
    if (header.nlmsg_type == NLMSG_ERROR || header.nlmsg_type == NLMSG_DONE) {
      read_end(header, payload, reply);
      return true;
    }
    reply.answers.push_back({header.nlmsg_type, std::string(payload)});
    return false;
  });
  return reply;
}

Reply exchange(int fd, uint32_t& seq, Message& request) {
  const uint32_t this_seq = ++seq;
  send_request(fd, request.finish(this_seq));
  return receive(fd, this_seq);
}

// "<command>: <the kernel's words>: <strerror>", the errno kept.
[[noreturn]] void refuse(const Reply& reply, const std::string& command) {
  throw SysError(reply.err,
                 reply.kernel_text.empty() ? command : command + ": " + reply.kernel_text);
}

void send_change(int fd, uint32_t& seq, Message& request, const std::string& command) {
  const Reply reply = exchange(fd, seq, request);
  if (reply.err != 0) refuse(reply, command);
}

// A dump of a whole table: requests carry just a family header (ifinfomsg, rtmsg) saying which
// family. A table that changes meanwhile marks the answer NLM_F_DUMP_INTR (the list may miss
// or repeat entries): it is read again, a few times at most.
std::vector<Answer> dump(int fd, uint32_t& seq, uint16_t type, const void* family_header,
                         size_t size, const std::string& command) {
  for (int attempt = 1;; ++attempt) {
    Message request(type, NLM_F_DUMP);
    request.append(family_header, size);
    Reply reply = exchange(fd, seq, request);
    if (reply.err != 0) refuse(reply, command);
    if (!reply.interrupted || attempt == 5) return std::move(reply.answers);
  }
}

// --- Links --------------------------------------------------------------------------------------

struct Link {
  int index = 0;  // 0: no such link
  std::string name;
  int mtu = 0;
};

// An RTM_NEWLINK answer: struct ifinfomsg {family, type, ifi_index, ifi_flags, ifi_change}, then
// attributes such as IFLA_IFNAME (the name with its NUL) and IFLA_MTU (a u32).
Link parse_link(std::string_view payload) {
  Link link;
  if (payload.size() < sizeof(ifinfomsg)) return link;
  link.index = read_struct<ifinfomsg>(payload.data()).ifi_index;
  const Attrs attrs = parse_attrs(payload.substr(NLMSG_ALIGN(sizeof(ifinfomsg))));
  link.name = attr_string(attrs, IFLA_IFNAME);
  link.mtu = static_cast<int>(attr_u32(attrs, IFLA_MTU));
  return link;
}

bool possible_name(const std::string& name) { return !name.empty() && name.size() < IFNAMSIZ; }

// A name the kernel would take: 1 to 15 bytes (IFNAMSIZ counts the NUL), no '/' or whitespace.
void check_name(const std::string& name) {
  const bool bad_char = name.find_first_of("/ \t\n:") != std::string::npos;
  if (!possible_name(name) || bad_char || name == "." || name == "..")
    throw Error("invalid interface name " + quote(name) +
                " (1 to 15 characters, no '/', ':' or spaces)");
}

// RTM_GETLINK for one name: ifinfomsg with ifi_index 0 (look the name up) and IFLA_IFNAME.
// Answered by one RTM_NEWLINK and the ack, or ENODEV.
Link find_link(int fd, uint32_t& seq, const std::string& name) {
  if (!possible_name(name)) return {};
  Message request(RTM_GETLINK, 0);
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  request.append(&info, sizeof info);
  request.attr_string(IFLA_IFNAME, name);
  const Reply reply = exchange(fd, seq, request);
  if (reply.err == ENODEV) return {};
  if (reply.err != 0) refuse(reply, "ip link show " + quote(name));
  for (const auto& answer : reply.answers)
    if (answer.type == RTM_NEWLINK) return parse_link(answer.payload);
  return {};
}

std::vector<Link> dump_links(int fd, uint32_t& seq) {
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  std::vector<Link> links;
  for (const auto& answer : dump(fd, seq, RTM_GETLINK, &info, sizeof info, "ip link show"))
    if (answer.type == RTM_NEWLINK) links.push_back(parse_link(answer.payload));
  return links;
}

// RTM_NEWLINK on an existing link (ifi_index set, no NLM_F_CREATE) changes it: the attributes
// that follow say what to change (IFLA_MASTER, IFLA_IFNAME, IFLA_ADDRESS), ifi_flags/ifi_change
// which flags (IFF_UP).
Message change_link(int index, unsigned flags = 0, unsigned change = 0) {
  Message request(RTM_NEWLINK, 0);
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  info.ifi_index = index;
  info.ifi_flags = flags;
  info.ifi_change = change;
  request.append(&info, sizeof info);
  return request;
}

// The description of a new link, as RTM_NEWLINK's body or nested as a veth's peer:
// ifinfomsg (no index yet: the kernel picks one), IFLA_IFNAME, IFLA_MTU.
// ifi_flags/ifi_change IFF_UP: the link is up as soon as it is made.
void describe_new_link(Message& request, const std::string& name, int mtu, bool up = false) {
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  if (up) info.ifi_flags = info.ifi_change = IFF_UP;
  request.append(&info, sizeof info);
  request.attr_string(IFLA_IFNAME, name);
  if (mtu > 0) request.attr_u32(IFLA_MTU, static_cast<uint32_t>(mtu));
}

std::string mtu_words(int mtu) { return mtu > 0 ? " mtu " + std::to_string(mtu) : ""; }

// --- Addresses and routes -----------------------------------------------------------------------

// An IPv4 address in network byte order, as netlink carries it.
in_addr parse_ipv4(const std::string& text) {
  in_addr address{};
  if (inet_pton(AF_INET, text.c_str(), &address) != 1)
    throw Error("invalid IPv4 address " + quote(text));
  return address;
}

// The subnet's last address: the host bits all ones (what `brd +` computes).
in_addr broadcast_of(in_addr address, int prefix) {
  const uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  address.s_addr = htonl(ntohl(address.s_addr) | ~mask);
  return address;
}

// An RTM_NEWROUTE answer: struct rtmsg {family, dst_len (the prefix), src_len, tos, table,
// protocol, scope, type, flags}, then RTA_DST (absent for the default route), RTA_GATEWAY,
// RTA_OIF (the device's ifindex) and RTA_TABLE (the full table id; rtm_table has 8 bits). A
// multipath route has RTA_MULTIPATH instead: struct rtnexthop {len, flags, hops, ifindex} each
// followed by its own attributes; the first hop stands for the route.
std::optional<Netlink::Route> parse_route(std::string_view payload,
                                          const std::vector<Link>& links) {
  if (payload.size() < sizeof(rtmsg)) return std::nullopt;
  const auto route = read_struct<rtmsg>(payload.data());
  const Attrs attrs = parse_attrs(payload.substr(NLMSG_ALIGN(sizeof(rtmsg))));
  const uint32_t table = attrs.count(RTA_TABLE) ? attr_u32(attrs, RTA_TABLE) : route.rtm_table;
  if (route.rtm_family != AF_INET || table != RT_TABLE_MAIN) return std::nullopt;

  Netlink::Route out;
  out.dst = attrs.count(RTA_DST) ? attr_ipv4(attrs, RTA_DST) : "0.0.0.0";
  out.prefix = route.rtm_dst_len;
  out.gateway = attr_ipv4(attrs, RTA_GATEWAY);
  int oif = static_cast<int>(attr_u32(attrs, RTA_OIF));
  auto multipath = attrs.find(RTA_MULTIPATH);
  if (oif == 0 && multipath != attrs.end() && multipath->second.size() >= sizeof(rtnexthop)) {
    const auto hop = read_struct<rtnexthop>(multipath->second.data());
    const size_t hop_len = std::min<size_t>(hop.rtnh_len, multipath->second.size());
    oif = hop.rtnh_ifindex;
    if (hop_len > RTNH_LENGTH(0))
      out.gateway =
          attr_ipv4(parse_attrs(multipath->second.substr(RTNH_LENGTH(0), hop_len - RTNH_LENGTH(0))),
                    RTA_GATEWAY);
  }
  for (const auto& link : links) {
    if (link.index == oif && oif != 0) {
      out.dev = link.name;
      out.mtu_of_dev = link.mtu;
    }
  }
  return out;
}

std::string format_mac(const std::array<uint8_t, 6>& mac) {
  char text[18];
  std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return text;
}

}  // namespace

// --- Netlink ------------------------------------------------------------------------------------

Netlink::Netlink() : socket_(open_socket()) {}

Netlink::Netlink(UniqueFd socket, std::string label)
    : socket_(std::move(socket)), label_(std::move(label)) {}

// A socket belongs to the namespace it was made in, and there is no socketat(): the thread steps
// into the namespace for the one socket() call and comes straight back. Back must succeed,
// failure or not: a thread left inside a container's namespace would configure it by mistake.
Netlink Netlink::in_namespace(int netns_fd, const std::string& label) {
  UniqueFd original(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!original) throw_errno("open /proc/thread-self/ns/net");
  const std::string where = label.empty() ? "fd " + std::to_string(netns_fd) : label;
  if (::setns(netns_fd, CLONE_NEWNET) != 0) throw_errno("setns to the network namespace " + where);
  auto go_back = [&] {
    if (::setns(original.get(), CLONE_NEWNET) != 0)
      throw_errno("setns back to the original network namespace from " + where);
  };
  UniqueFd socket;
  try {
    socket = open_socket();
  } catch (...) {
    go_back();
    throw;
  }
  go_back();
  return Netlink(std::move(socket), label);
}

std::string Netlink::ip(const std::string& args) const {
  if (label_.empty()) return "ip " + args;
  return "nsenter --net=" + quote(label_) + " ip " + args;
}

int Netlink::index(const std::string& link) const {
  return find_link(socket_.get(), seq_, link).index;
}

bool Netlink::exists(const std::string& link) const { return index(link) != 0; }

int Netlink::mtu(const std::string& link) const {
  const Link found = find_link(socket_.get(), seq_, link);
  if (found.index == 0) throw SysError(ENODEV, ip("link show " + quote(link)));
  return found.mtu;
}

std::vector<std::string> Netlink::links() const {
  std::vector<std::string> names;
  for (const auto& link : dump_links(socket_.get(), seq_)) names.push_back(link.name);
  return names;
}

// RTM_NEWLINK with NLM_F_CREATE | NLM_F_EXCL makes a link (EEXIST when the name is taken):
//   ifinfomsg, IFLA_IFNAME "mydocker0",
//   IFLA_LINKINFO { IFLA_INFO_KIND "bridge" }       which driver makes it
// then RTM_NEWLINK without NLM_F_CREATE changes it, found by IFLA_IFNAME: IFLA_MTU 1400.
// The MTU is a change of its own: one given at creation is not "set by the user", and the
// bridge would fall back to 1500 when its last port leaves (and the next container's veth with
// it); a changed one stays.
void Netlink::create_bridge(const std::string& name, int mtu) {
  check_name(name);
  const std::string command = ip("link add " + quote(name) + " type bridge");
  trace::emit(command);
  Message request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  describe_new_link(request, name, 0);
  const size_t linkinfo = request.begin(IFLA_LINKINFO);
  request.attr_string(IFLA_INFO_KIND, "bridge");
  request.end(linkinfo);
  send_change(socket_.get(), seq_, request, command);
  if (mtu <= 0) return;
  const std::string set_mtu = ip("link set " + quote(name) + mtu_words(mtu));
  trace::emit(set_mtu);
  Message change(RTM_NEWLINK, 0);
  describe_new_link(change, name, mtu);
  send_change(socket_.get(), seq_, change, set_mtu);
}

// A veth pair in one request; the peer is a whole link description nested in the driver's data:
//   ifinfomsg {ifi_flags IFF_UP}, IFLA_IFNAME "mdv1a2b3c", IFLA_MTU, IFLA_MASTER bridge,
//   IFLA_LINKINFO { IFLA_INFO_KIND "veth",
//                   IFLA_INFO_DATA { VETH_INFO_PEER { ifinfomsg, IFLA_IFNAME "eth0",
//                                                     IFLA_MTU, IFLA_ADDRESS mac,
//                                                     IFLA_NET_NS_FD fd } } }
// IFLA_NET_NS_FD makes the kernel create the peer inside that namespace; the flags, the master
// and the address are applied as the links are made. Only the first end can be made up here:
// the peer is opened before the pair is joined, and a veth without its peer refuses to open.
void Netlink::create_veth(const std::string& name, const std::string& peer, int mtu,
                          int peer_netns_fd, const std::string& peer_netns_label) {
  create_veth(
      VethPair{name, peer, mtu, 0, "", false, std::nullopt, peer_netns_fd, peer_netns_label});
}

void Netlink::create_veth(const VethPair& v) {
  check_name(v.name);
  check_name(v.peer);
  std::string peer_words = " type veth peer name " + quote(v.peer) + mtu_words(v.mtu);
  if (v.peer_mac) peer_words += " address " + format_mac(*v.peer_mac);
  if (v.peer_netns_fd >= 0) {
    const std::string label =
        !v.peer_netns_label.empty()
            ? v.peer_netns_label
            : "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(v.peer_netns_fd);
    peer_words += " netns " + quote(label);
  }
  const std::string up = v.up ? " up" : "";
  const std::string master = v.master_index > 0 ? " master " + quote(v.master) : "";
  const std::string command =
      ip("link add " + quote(v.name) + mtu_words(v.mtu) + master + up + peer_words);
  trace::emit(command);
  Message request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  describe_new_link(request, v.name, v.mtu, v.up);
  if (v.master_index > 0) request.attr_u32(IFLA_MASTER, static_cast<uint32_t>(v.master_index));
  const size_t linkinfo = request.begin(IFLA_LINKINFO);
  request.attr_string(IFLA_INFO_KIND, "veth");
  const size_t data = request.begin(IFLA_INFO_DATA);
  const size_t peer_info = request.begin(VETH_INFO_PEER);
  describe_new_link(request, v.peer, v.mtu);  // up: not yet (veth_open: ENOTCONN without a peer)
  if (v.peer_mac) request.attr(IFLA_ADDRESS, v.peer_mac->data(), v.peer_mac->size());
  if (v.peer_netns_fd >= 0)
    request.attr_u32(IFLA_NET_NS_FD, static_cast<uint32_t>(v.peer_netns_fd));
  request.end(peer_info);
  request.end(data);
  request.end(linkinfo);
  send_change(socket_.get(), seq_, request, command);
}

std::vector<char> Netlink::veth_request(const std::string& inside, const std::string& outside,
                                        int outside_netns_fd) {
  check_name(inside);
  check_name(outside);
  Message request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  describe_new_link(request, inside, 0);
  const size_t linkinfo = request.begin(IFLA_LINKINFO);
  request.attr_string(IFLA_INFO_KIND, "veth");
  const size_t data = request.begin(IFLA_INFO_DATA);
  const size_t peer_info = request.begin(VETH_INFO_PEER);
  describe_new_link(request, outside, 0);
  request.attr_u32(IFLA_NET_NS_FD, static_cast<uint32_t>(outside_netns_fd));
  request.end(peer_info);
  request.end(data);
  request.end(linkinfo);
  return request.finish(1);
}

// By name (ifi_index 0, IFLA_IFNAME): no lookup first.
void Netlink::finish_veth(const VethPair& v, Netlink& peer_side) {
  // A bridge port of an IPv4 network needs no IPv6 address of its own: without one, no
  // duplicate address detection, router solicitation or listener reports on the bridge. The
  // kernel applies the up first and the mode after it, in the same request: the mode is there
  // before any address, since this end has no carrier until its peer is up (below). A kernel
  // without IPv6 (or an MTU under 1280: no IPv6 on the link) refuses the mode with
  // EAFNOSUPPORT: the request goes again without it.
  for (const bool no_ipv6_address : {true, false}) {
    const std::string master = v.master_index > 0 ? " master " + quote(v.master) : "";
    const std::string command =
        ip("link set " + quote(v.name) + mtu_words(v.mtu) + master +
           (no_ipv6_address ? " addrgenmode none" : "") + (v.up ? " up" : ""));
    Message request = change_link(0, v.up ? IFF_UP : 0, v.up ? IFF_UP : 0);
    request.attr_string(IFLA_IFNAME, v.name);
    if (v.mtu > 0) request.attr_u32(IFLA_MTU, static_cast<uint32_t>(v.mtu));
    if (v.master_index > 0) request.attr_u32(IFLA_MASTER, static_cast<uint32_t>(v.master_index));
    if (no_ipv6_address) {
      const size_t af = request.begin(IFLA_AF_SPEC);
      const size_t inet6 = request.begin(AF_INET6);
      const uint8_t none = IN6_ADDR_GEN_MODE_NONE;
      request.attr(IFLA_INET6_ADDR_GEN_MODE, &none, sizeof none);
      request.end(inet6);
      request.end(af);
    }
    trace::emit(command);
    try {
      send_change(socket_.get(), seq_, request, command);
      break;
    } catch (const SysError& e) {
      if (!no_ipv6_address || e.err() != EAFNOSUPPORT) throw;
      trace::emit("# no IPv6 on this link (EAFNOSUPPORT): the same without addrgenmode");
    }
  }
  // The peer up too: unlike at the pair's creation, its other end exists now.
  const std::string command =
      peer_side.ip("link set " + quote(v.peer) + mtu_words(v.mtu) +
                   (v.peer_mac ? " address " + format_mac(*v.peer_mac) : "") + (v.up ? " up" : ""));
  trace::emit(command);
  Message peer = change_link(0, v.up ? IFF_UP : 0, v.up ? IFF_UP : 0);
  peer.attr_string(IFLA_IFNAME, v.peer);
  if (v.mtu > 0) peer.attr_u32(IFLA_MTU, static_cast<uint32_t>(v.mtu));
  if (v.peer_mac) peer.attr(IFLA_ADDRESS, v.peer_mac->data(), v.peer_mac->size());
  send_change(peer_side.socket_.get(), peer_side.seq_, peer, command);
  if (v.master_index > 0) set_hairpin(v.name);
}

// A bridge port in hairpin mode may send a frame back out of the port it came in on: with
// br_netfilter (docker loads it; bridge-nf-call-iptables=1) a container's packet to its own
// published port is DNAT'd on the bridge itself and must go back out of its own port (docker
// sets this on every veth when it does not proxy ports). RTM_SETLINK of family AF_BRIDGE on
// the port's index, IFLA_PROTINFO nested: IFLA_BRPORT_MODE 1.
void Netlink::set_hairpin(const std::string& port) {
  const std::string command = ip("link set " + quote(port) + " type bridge_slave hairpin on");
  trace::emit(command);
  const int index = find_link(socket_.get(), seq_, port).index;
  if (index == 0) throw SysError(ENODEV, command);
  Message request(RTM_SETLINK, 0);
  ifinfomsg info{};
  info.ifi_family = AF_BRIDGE;
  info.ifi_index = index;
  request.append(&info, sizeof info);
  const size_t protinfo = request.begin(IFLA_PROTINFO | NLA_F_NESTED);
  const uint8_t on = 1;
  request.attr(IFLA_BRPORT_MODE, &on, sizeof on);
  request.end(protinfo);
  send_change(socket_.get(), seq_, request, command);
}

// IFLA_MASTER: the bridge's ifindex.
void Netlink::set_master(const std::string& link, const std::string& bridge) {
  const std::string command = ip("link set " + quote(link) + " master " + quote(bridge));
  trace::emit(command);
  const int index = find_link(socket_.get(), seq_, link).index;
  const int master = find_link(socket_.get(), seq_, bridge).index;
  if (index == 0 || master == 0)
    throw SysError(ENODEV, command + ": no link " + quote(index == 0 ? link : bridge));
  Message request = change_link(index);
  request.attr_u32(IFLA_MASTER, static_cast<uint32_t>(master));
  send_change(socket_.get(), seq_, request, command);
}

// ifi_change says which flags to touch (IFF_UP), ifi_flags their new values.
void Netlink::set_up(const std::string& link) {
  const std::string command = ip("link set " + quote(link) + " up");
  trace::emit(command);
  const int index = find_link(socket_.get(), seq_, link).index;
  if (index == 0) throw SysError(ENODEV, command);
  Message request = change_link(index, IFF_UP, IFF_UP);
  send_change(socket_.get(), seq_, request, command);
}

// By ifindex, with IFLA_IFNAME the new name.
void Netlink::rename(const std::string& link, const std::string& new_name) {
  check_name(new_name);
  const std::string command = ip("link set " + quote(link) + " name " + quote(new_name));
  trace::emit(command);
  const int index = find_link(socket_.get(), seq_, link).index;
  if (index == 0) throw SysError(ENODEV, command);
  Message request = change_link(index);
  request.attr_string(IFLA_IFNAME, new_name);
  send_change(socket_.get(), seq_, request, command);
}

// IFLA_ADDRESS: the 6 bytes of the Ethernet address.
void Netlink::set_mac(const std::string& link, const std::array<uint8_t, 6>& mac) {
  const std::string command = ip("link set " + quote(link) + " address " + format_mac(mac));
  trace::emit(command);
  const int index = find_link(socket_.get(), seq_, link).index;
  if (index == 0) throw SysError(ENODEV, command);
  Message request = change_link(index);
  request.attr(IFLA_ADDRESS, mac.data(), mac.size());
  send_change(socket_.get(), seq_, request, command);
}

// RTM_NEWADDR: struct ifaddrmsg {family AF_INET, prefixlen, flags, scope, ifa_index}, then
// IFA_LOCAL (the address), IFA_ADDRESS (the same on a non point-to-point link) and
// IFA_BROADCAST. Adding the address also adds the subnet's route (proto kernel).
void Netlink::add_address(const std::string& link, const std::string& ipv4, int prefix) {
  const in_addr address = parse_ipv4(ipv4);
  if (prefix < 0 || prefix > 32) throw Error("invalid prefix length " + std::to_string(prefix));
  const bool with_broadcast = prefix <= 30;  // as `ip`: /31 and /32 have no broadcast address
  const std::string command = ip("addr add " + ipv4 + "/" + std::to_string(prefix) +
                                 (with_broadcast ? " brd +" : "") + " dev " + quote(link));
  trace::emit(command);
  const int index = find_link(socket_.get(), seq_, link).index;
  if (index == 0) throw SysError(ENODEV, command);
  Message request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  ifaddrmsg info{};
  info.ifa_family = AF_INET;
  info.ifa_prefixlen = static_cast<uint8_t>(prefix);
  info.ifa_scope = RT_SCOPE_UNIVERSE;
  info.ifa_index = static_cast<uint32_t>(index);
  request.append(&info, sizeof info);
  request.attr(IFA_LOCAL, &address, sizeof address);
  request.attr(IFA_ADDRESS, &address, sizeof address);
  if (with_broadcast) {
    const in_addr broadcast = broadcast_of(address, prefix);
    request.attr(IFA_BROADCAST, &broadcast, sizeof broadcast);
  }
  send_change(socket_.get(), seq_, request, command);
}

// RTM_NEWROUTE: struct rtmsg (dst_len 0 = default, table main, type unicast, protocol boot as
// `ip route add` says, scope universe: a route through a gateway), then RTA_GATEWAY. Without
// RTA_OIF the kernel finds the device whose connected subnet holds the gateway.
void Netlink::add_default_route(const std::string& gateway_ipv4) {
  const in_addr gateway = parse_ipv4(gateway_ipv4);
  const std::string command = ip("route add default via " + gateway_ipv4);
  trace::emit(command);
  Message request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  rtmsg route{};
  route.rtm_family = AF_INET;
  route.rtm_dst_len = 0;
  route.rtm_table = RT_TABLE_MAIN;
  route.rtm_protocol = RTPROT_BOOT;
  route.rtm_scope = RT_SCOPE_UNIVERSE;
  route.rtm_type = RTN_UNICAST;
  request.append(&route, sizeof route);
  request.attr(RTA_GATEWAY, &gateway, sizeof gateway);
  send_change(socket_.get(), seq_, request, command);
}

// RTM_DELLINK by ifindex. A link gone between the lookup and the request is gone all the same.
void Netlink::delete_link(const std::string& link) {
  const int index = find_link(socket_.get(), seq_, link).index;
  if (index == 0) return;
  const std::string command = ip("link del " + quote(link));
  trace::emit(command);
  Message request(RTM_DELLINK, 0);
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  info.ifi_index = index;
  request.append(&info, sizeof info);
  const Reply reply = exchange(socket_.get(), seq_, request);
  if (reply.err != 0 && reply.err != ENODEV) refuse(reply, command);
}

// Two dumps: the links (for the names and MTUs of the routes' devices), then the routes.
std::vector<Netlink::Route> Netlink::routes_v4() const {
  const std::vector<Link> all_links = dump_links(socket_.get(), seq_);
  rtmsg filter{};
  filter.rtm_family = AF_INET;
  std::vector<Route> routes;
  for (const auto& answer : dump(socket_.get(), seq_, RTM_GETROUTE, &filter, sizeof filter,
                                 ip("-4 route show table main"))) {
    if (answer.type != RTM_NEWROUTE) continue;
    if (auto route = parse_route(answer.payload, all_links)) routes.push_back(std::move(*route));
  }
  return routes;
}

// --- nf_tables ----------------------------------------------------------------------------------
//
// NETLINK_NETFILTER, subsystem NFNL_SUBSYS_NFTABLES: after the nlmsghdr a struct nfgenmsg
// {family, version, res_id}. Changes travel in a batch, one transaction: NFNL_MSG_BATCH_BEGIN
// (res_id: the subsystem), the changes, NFNL_MSG_BATCH_END, in one datagram. A set element is
// NFT_MSG_NEWSETELEM / NFT_MSG_DELSETELEM {TABLE, SET, ELEMENTS {LIST_ELEM {KEY {VALUE},
// DATA {VALUE}}...}}; NLM_F_EXCL makes an element already there EEXIST (`nft create element`).

namespace {

void nfgen_header(Message& m, uint8_t family, uint16_t res_id) {
  nfgenmsg g{};
  g.nfgen_family = family;
  g.version = NFNETLINK_V0;
  g.res_id = htons(res_id);
  m.append(&g, sizeof g);
}

void nested_value(Message& m, uint16_t type, const std::string& bytes) {
  const size_t outer = m.begin(type | NLA_F_NESTED);
  m.attr(NFTA_DATA_VALUE, bytes.data(), bytes.size());
  m.end(outer);
}

}  // namespace

NfTables::NfTables() : socket_(open_socket(NETLINK_NETFILTER)), owner_(::getpid()) {}

namespace {

// nf_tables frees what a commit took away (a deleted element, rule or table) after an RCU grace
// period, in a work item; and whenever a netfilter netlink socket is released, the kernel first
// waits for that work (nft_rcv_nl_event on NETLINK_URELEASE), anyone's. So closing the socket
// that unpublished a container's ports waited 6-17 ms here, more than the rest of the run, and
// the next run's close waited for what was left of it. The last reference to our socket is
// therefore dropped by a closer (util/closer.hpp), 200 ms after ours: the release holds the
// namespace's nf_tables commit mutex while it waits, and the kernel takes that mutex to
// register any network device of the namespace (a veth of the next run), so it releases only
// once our deletions' grace period is surely over.
constexpr long kCloserDelayNs = 200'000'000;  // grace periods took 6-17 ms here

std::optional<NfTables>& shared_slot() {
  settle_closers_at_exit();  // before the slot exists: runs after its destructor (a closer)
  static std::optional<NfTables> slot;
  return slot;
}

}  // namespace

NfTables::~NfTables() {
  if (socket_ && used_ && owner_ == ::getpid()) {
    std::vector<UniqueFd> fds;
    fds.push_back(std::move(socket_));
    close_later(std::move(fds), kCloserDelayNs);
  }
}

NfTables& NfTables::shared() {
  auto& slot = shared_slot();
  if (!slot) slot.emplace();
  return *slot;
}

void NfTables::release_shared() noexcept { shared_slot().reset(); }

bool NfTables::has_chain(const std::string& table, const std::string& chain) const {
  Message request(NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETCHAIN, 0);
  nfgen_header(request, NFPROTO_IPV4, 0);
  request.attr_string(NFTA_CHAIN_TABLE, table);
  request.attr_string(NFTA_CHAIN_NAME, chain);
  used_ = true;
  const Reply reply = exchange(socket_.get(), seq_, request);
  if (reply.err == ENOENT) return false;
  if (reply.err != 0) refuse(reply, "nft list chain ip " + table + " " + chain);
  return true;
}

namespace {

// The key of each element of a GETSETELEM answer (after its nfgenmsg).
void element_keys(std::string_view payload, std::vector<std::string>& out) {
  if (payload.size() < sizeof(nfgenmsg)) return;
  for_each_attr(payload.substr(NLMSG_ALIGN(sizeof(nfgenmsg))), [&](uint16_t type, auto list) {
    if (type != NFTA_SET_ELEM_LIST_ELEMENTS) return;
    for_each_attr(list, [&](uint16_t t, auto elem) {
      if (t != NFTA_LIST_ELEM) return;
      for_each_attr(elem, [&](uint16_t k, auto key) {
        if (k != NFTA_SET_ELEM_KEY) return;
        for_each_attr(key, [&](uint16_t v, auto value) {
          if (v == NFTA_DATA_VALUE) out.emplace_back(value);
        });
      });
    });
  });
}

}  // namespace

bool NfTables::has_element(const std::string& table, const std::string& set,
                           const std::string& key) const {
  Message request(NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETSETELEM, 0);
  nfgen_header(request, NFPROTO_IPV4, 0);
  request.attr_string(NFTA_SET_ELEM_LIST_TABLE, table);
  request.attr_string(NFTA_SET_ELEM_LIST_SET, set);
  const size_t list = request.begin(NFTA_SET_ELEM_LIST_ELEMENTS | NLA_F_NESTED);
  const size_t item = request.begin(NFTA_LIST_ELEM | NLA_F_NESTED);
  nested_value(request, NFTA_SET_ELEM_KEY, key);
  request.end(item);
  request.end(list);
  used_ = true;
  const Reply reply = exchange(socket_.get(), seq_, request);
  if (reply.err == ENOENT) return false;
  if (reply.err != 0) refuse(reply, "nft get element ip " + table + " " + set);
  return true;
}

std::vector<std::string> NfTables::keys(const std::string& table, const std::string& set) const {
  Message request(NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETSETELEM, NLM_F_DUMP);
  nfgen_header(request, NFPROTO_IPV4, 0);
  request.attr_string(NFTA_SET_ELEM_LIST_TABLE, table);
  request.attr_string(NFTA_SET_ELEM_LIST_SET, set);
  used_ = true;
  const Reply reply = exchange(socket_.get(), seq_, request);
  std::vector<std::string> out;
  if (reply.err == ENOENT) return out;
  if (reply.err != 0) refuse(reply, "nft list set ip " + table + " " + set);
  for (const auto& a : reply.answers) element_keys(a.payload, out);
  return out;
}

bool NfTables::has_table(const std::string& table) const {
  Message request(NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETTABLE, 0);
  nfgen_header(request, NFPROTO_IPV4, 0);
  request.attr_string(NFTA_TABLE_NAME, table);
  used_ = true;
  const Reply reply = exchange(socket_.get(), seq_, request);
  if (reply.err == ENOENT) return false;
  if (reply.err != 0) refuse(reply, "nft list table ip " + table);
  return true;
}

namespace {

// The answer to a batch whose requests carry sequence numbers first..last: every request with
// NLM_F_ACK (acks of them expected) is acked, or the first refusal of any of them (the batch's
// own frame included) ends it.
Reply receive_batch(int fd, uint32_t first, uint32_t last, size_t acks) {
  Reply reply;
  read_messages(fd, [&](const nlmsghdr& header, std::string_view payload) {
    if (header.nlmsg_seq < first || header.nlmsg_seq > last) return false;
    if (header.nlmsg_type != NLMSG_ERROR) return false;
    read_end(header, payload, reply);
    return reply.err != 0 || --acks == 0;
  });
  return reply;
}

// A batch goes in one sendmsg, which the socket's send buffer must hold (its default, about
// 208 KiB, holds some 5,000 ports: `-p 10000-20000:10000-20000` failed with EMSGSIZE). A larger
// one raises it as nft does: SO_SNDBUFFORCE (root), past net.core.wmem_max.
void fit_send_buffer(int fd, size_t size) {
  int have = 0;
  socklen_t len = sizeof have;
  if (::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &have, &len) == 0 &&
      static_cast<size_t>(have) / 2 >= size + 4096)  // the kernel reports twice what it keeps
    return;
  const int want = static_cast<int>(std::min<size_t>(size + 65536, 64u << 20));
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof want) != 0)
    (void)::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof want);
}

// A nested list's 16-bit length holds about 1,600 elements: more go in further requests of
// the same batch (one transaction all the same).
constexpr size_t kElementsPerRequest = 512;

}  // namespace

void NfTables::change(bool add, const std::string& table, const std::string& set,
                      const std::vector<Element>& elements, const std::string& command) {
  Message begin(NFNL_MSG_BATCH_BEGIN, 0, /*ack=*/false);
  nfgen_header(begin, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
  const uint32_t first = ++seq_;
  std::vector<char> batch = begin.finish(first);
  const uint16_t type = NFNL_SUBSYS_NFTABLES << 8 | (add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM);
  size_t requests = 0;
  for (size_t from = 0; from < elements.size(); from += kElementsPerRequest) {
    Message request(type, add ? NLM_F_CREATE | NLM_F_EXCL : 0);
    nfgen_header(request, NFPROTO_IPV4, 0);
    request.attr_string(NFTA_SET_ELEM_LIST_TABLE, table);
    request.attr_string(NFTA_SET_ELEM_LIST_SET, set);
    const size_t list = request.begin(NFTA_SET_ELEM_LIST_ELEMENTS | NLA_F_NESTED);
    for (size_t i = from; i < std::min(elements.size(), from + kElementsPerRequest); ++i) {
      const size_t item = request.begin(NFTA_LIST_ELEM | NLA_F_NESTED);
      nested_value(request, NFTA_SET_ELEM_KEY, elements[i].key);
      if (add && !elements[i].data.empty())
        nested_value(request, NFTA_SET_ELEM_DATA, elements[i].data);
      request.end(item);
    }
    request.end(list);
    const auto& body = request.finish(++seq_);
    batch.insert(batch.end(), body.begin(), body.end());
    ++requests;
  }
  if (requests == 0) return;
  Message end(NFNL_MSG_BATCH_END, 0, /*ack=*/false);
  nfgen_header(end, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
  const auto& tail = end.finish(++seq_);
  batch.insert(batch.end(), tail.begin(), tail.end());
  if (!command.empty()) trace::emit(command);
  used_ = true;
  fit_send_buffer(socket_.get(), batch.size());
  send_request(socket_.get(), batch);
  const Reply reply = receive_batch(socket_.get(), first, seq_, requests);
  if (reply.err == 0) return;
  // A range of ports makes a long line: the error names its start.
  refuse(reply, command.size() > 200 ? command.substr(0, 200) + "..." : command);
}

}  // namespace mydocker::net
