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
// lock the init would wait for), on a bridge make the veth pair (its request built in advance:
// the kernel's 0.5 ms of making two links then overlaps the planning too; the connect after the
// clone only sets its master, MTU, MAC and addresses), exit. It is moved off our CPU at once
// (util/affinity.hpp), or in a VM it often waits for us to block instead of running beside us. No
// thread: a pthread's stack, TLS and the code behind them cost 128-256 KiB of peak RSS here.

#include <sys/types.h>

#include <string>
#include <vector>

#include "mydocker/util/fd.hpp"

namespace mydocker::net {

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
  // Waits for the helper: the namespace (an O_CLOEXEC fd of it, never 0-2), or an empty fd
  // when none was asked for or none could be made this way (the clone then makes it).
  UniqueFd take();
  // After take(): whether the helper brought the namespace's loopback up.
  bool loopback_up() const { return loopback_up_ != 0; }
  // After take(): whether it made the veth pair, which is then the caller's to finish.
  bool claim_veth() {
    claimed_ = true;
    return veth_made_ != 0;
  }

 private:
  pid_t pid_ = 0;
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
