#pragma once
// A run's network namespace, made by a helper while the run is planned.
//
// A clone with CLONE_NEWNET spends about 0.35 ms in the kernel making the namespace (its
// loopback, its sysctl tables, every pernet subsystem's state). Nothing of it depends on the
// run's plan, so `mydocker run` starts a helper as soon as its command line is parsed, and the
// init, cloned without CLONE_NEWNET, is born in that namespace: the cloning thread enters it
// (setns) around the clone and goes back (spawn.cpp).
//
// The helper is a child cloned with CLONE_VM | CLONE_FILES (no page tables copied; the fd it
// opens lands in our table) on a small stack of its own, every signal blocked, making raw
// system calls only: unshare(CLONE_NEWNET), open its /proc/self/ns/net, bring its loopback up
// (`ip link set lo up`: off the init's path, and before a bridged run's veth holds the RTNL
// lock the init would wait for), then say so (a futex word the kernel also clears when the
// helper exits: CLONE_CHILD_CLEARTID), so that the clone waits for the namespace only. On a
// bridge it goes on: it makes the veth pair (its request built in advance: the kernel's 0.5 ms
// of making two links overlaps the planning and the clone; the connect after the clone only
// sets its master, MTU, MAC, addrgenmode and addresses, and turns IPv6 off on its eth0), exit. It
// is moved off our CPU at once (util/affinity.hpp), or in a VM it often waits for us to block
// instead of running beside us. No thread: a pthread's stack, TLS and the code behind them
// cost 128-256 KiB of peak RSS here.

#include <sys/types.h>

#include <string>
#include <vector>

#include "mydocker/util/fd.hpp"

namespace mydocker::net {

// A bridge network is IPv4 only: `ifname` (eth0, or eth<N> of a network connect) of the
// namespace `netns_fd` gets no IPv6 (net.ipv6.conf.<ifname>.disable_ipv6 = 1, written while it
// is down: no link-local address, duplicate address detection, router solicitation or
// multicast listener reports), as docker does for interfaces of IPv4-only networks since
// 26.0.2 (CVE-2024-32473). Only the bridge's interfaces: the loopback keeps ::1, and links the
// container makes itself (a tunnel) keep the kernel's default. The calling thread enters the
// namespace for the write and comes back. A kernel without IPv6 has nothing to turn off.
// Throws SysError.
void ipv6_off_in(int netns_fd, const std::string& label, const std::string& ifname);

class EarlyNetns {
 public:
  // `veth`: a bridged run's host end (net::Endpoint::veth): the helper also makes the pair,
  // eth0 in the namespace and its peer in ours (bare: no address, master, MTU or up yet).
  explicit EarlyNetns(bool make, const std::string& veth = "");
  EarlyNetns(const EarlyNetns&) = delete;
  EarlyNetns& operator=(const EarlyNetns&) = delete;
  // Waits for the helper; a namespace not taken is dropped, and a veth pair not claimed is
  // deleted (not left to the kernel's teardown of the namespace, which comes later).
  ~EarlyNetns();
  // Waits for the namespace (not for the helper's veth pair): an O_CLOEXEC fd of it, never
  // 0-2, or an empty fd when none was asked for or none could be made this way (the clone then
  // makes it).
  UniqueFd take_netns();
  // take_netns(), then waits for the helper to end (a process about to fork keeps no helper).
  UniqueFd take();
  // After take_netns(): whether the helper brought the namespace's loopback up.
  bool loopback_up() const { return loopback_up_ != 0; }
  // Waits for the helper: whether it made the veth pair, which is then the caller's to finish.
  // Another thread than take_netns()'s may ask, once it was taken (the connect's).
  bool claim_veth();

 private:
  void wait();  // for the helper's exit

  pid_t pid_ = 0;
  int ready_ = 0;  // 1 working, 2 namespace made, 0 exited (see netns.cpp)
  void* stack_ = nullptr;
  int made_ = -1;                   // written by the helper, in our memory
  int loopback_up_ = 0;             // likewise
  int veth_made_ = 0;               // likewise
  std::vector<char> veth_request_;  // read by the helper
  UniqueFd host_netns_;             // named in it
  std::string veth_;                // its host end
  bool claimed_ = false;
};

}  // namespace mydocker::net
