#include "mydocker/net/netns.hpp"

#include <fcntl.h>
#include <linux/futex.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "mydocker/net/netlink.hpp"
#include "mydocker/util/affinity.hpp"
#include "mydocker/util/error.hpp"
#include "mydocker/util/raw_syscall.hpp"
#include "mydocker/util/trace.hpp"

namespace mydocker::net {
namespace {

constexpr size_t kStack = 16 * 1024;

struct HelperResult {
  int* ready;  // EarlyNetns::ready_: set to 2 once the namespace is there
  int* made;
  int* loopback_up;
  const char* veth_request;  // Netlink::veth_request's bytes, or null
  long veth_request_size;
  int* veth_made;
};

// `ip link set lo up` in the helper's namespace (SIOCGIFFLAGS, SIOCSIFFLAGS, as the init does).
bool loopback_up() {
  const long sock = raw_syscall(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return false;
  ifreq ifr{};
  ifr.ifr_name[0] = 'l';
  ifr.ifr_name[1] = 'o';
  const long ifr_at = reinterpret_cast<long>(&ifr);
  bool up = raw_syscall(SYS_ioctl, sock, SIOCGIFFLAGS, ifr_at) == 0;
  if (up) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    up = raw_syscall(SYS_ioctl, sock, SIOCSIFFLAGS, ifr_at) == 0;
  }
  raw_syscall(SYS_close, sock);
  return up;
}

// Sends the veth's request (made in advance, net/netlink.hpp) on a route socket of the
// helper's namespace; true when the kernel acknowledges it without an error.
bool make_veth(const char* request, long size) {
  const long sock = raw_syscall(SYS_socket, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (sock < 0) return false;
  // The kernel's answer: an nlmsgerr, error 0 for an acknowledgement (plus the request echoed
  // back after a refusal, cut short here).
  alignas(nlmsghdr) char answer[512];
  bool made = raw_syscall(SYS_write, sock, reinterpret_cast<long>(request), size) == size;
  if (made) {
    const long n = raw_syscall(SYS_read, sock, reinterpret_cast<long>(answer), sizeof answer);
    const auto* header = reinterpret_cast<const nlmsghdr*>(answer);
    const auto* error = reinterpret_cast<const nlmsgerr*>(answer + NLMSG_HDRLEN);
    made = n >= static_cast<long>(NLMSG_HDRLEN + sizeof(nlmsgerr)) &&
           header->nlmsg_type == NLMSG_ERROR && error->error == 0;
  }
  raw_syscall(SYS_close, sock);
  return made;
}

// The helper: raw system calls only (it shares our memory and our thread's TLS).
// A refusal leaves *made at -1: the clone then makes the namespace and says why if it cannot;
// a loopback left down, the init brings it up (and says why if it cannot).
int make_netns(void* arg) {
  const auto* out = static_cast<const HelperResult*>(arg);
  if (raw_syscall(SYS_unshare, CLONE_NEWNET) < 0) return 1;
  static const char path[] = "/proc/self/ns/net";  // the helper is a process: its own
  const long fd =
      raw_syscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 1;
  *out->made = static_cast<int>(fd);  // in our fd table too (CLONE_FILES)
  *out->loopback_up = loopback_up() ? 1 : 0;
  // The clone may go on: the veth pair is not waited for before the connect (take_netns()).
  // FUTEX_WAKE, not its private form: the kernel's wake at our exit (CLONE_CHILD_CLEARTID) is
  // the shared one, and take_netns() waits for either.
  __atomic_store_n(out->ready, 2, __ATOMIC_RELEASE);
  raw_syscall(SYS_futex, reinterpret_cast<long>(out->ready), FUTEX_WAKE, 1);
  if (out->veth_request) *out->veth_made = make_veth(out->veth_request, out->veth_request_size);
  return 0;
}

}  // namespace

void ipv6_off_in(int netns_fd, const std::string& label, const std::string& ifname) {
  trace::emit("nsenter --net=" + label + " sysctl -qw net.ipv6.conf." + ifname + ".disable_ipv6=1");
  const std::string file = "/proc/sys/net/ipv6/conf/" + ifname + "/disable_ipv6";
  UniqueFd original(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!original) throw SysError(errno, "open /proc/thread-self/ns/net");
  if (::setns(netns_fd, CLONE_NEWNET) != 0)
    throw SysError(errno, "setns to the network namespace " + label);
  UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
  // ENOENT: a kernel without IPv6 (ipv6.disable=1), nothing to turn off.
  const bool done = fd ? ::write(fd.get(), "1", 1) == 1 : errno == ENOENT;
  const int err = errno;
  if (::setns(original.get(), CLONE_NEWNET) != 0)
    throw SysError(errno, "setns back from the network namespace " + label);
  if (!done)
    throw SysError(
        err, "cannot turn IPv6 off on " + ifname + " (write 1 to " + file + " in " + label + ")");
}

EarlyNetns::EarlyNetns(bool make, const std::string& veth) {
  if (!make || !kRawSyscalls) return;
  if (!veth.empty()) {
    // Our namespace, where the peer goes: a refusal or a bad name leaves the pair to connect().
    host_netns_.reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    try {
      if (host_netns_) veth_request_ = Netlink::veth_request("eth0", veth, host_netns_.get());
      veth_ = veth;
    } catch (const std::exception&) {
      veth_request_.clear();
    }
  }
  stack_ = ::mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                  -1, 0);
  if (stack_ == MAP_FAILED) {
    stack_ = nullptr;
    host_netns_.reset();
    return;  // the clone makes it, as before
  }
  sigset_t all, old;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  // No exit signal: nobody is signalled; wait() waits for it by pid (__WALL).
  // On its stack's top: the helper reads it from there (our frame is gone by then).
  static_assert(sizeof(HelperResult) <= 64, "the helper's arguments fit above its stack");
  auto* result = reinterpret_cast<HelperResult*>(static_cast<char*>(stack_) + kStack - 64);
  *result = HelperResult{&ready_,
                         &made_,
                         &loopback_up_,
                         veth_request_.empty() ? nullptr : veth_request_.data(),
                         static_cast<long>(veth_request_.size()),
                         &veth_made_};
  // ready_: 1 while the helper works; 2 once the namespace is made; 0 when it exited (the
  // kernel clears it and wakes its waiter: CLONE_CHILD_CLEARTID), made or not.
  ready_ = 1;
  pid_ = ::clone(make_netns, static_cast<char*>(stack_) + kStack - 128,
                 CLONE_VM | CLONE_FILES | CLONE_CHILD_CLEARTID, result, nullptr, nullptr, &ready_);
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid_ > 0) nudge_off_this_cpu(pid_);  // to run beside us (util/affinity.hpp)
  if (pid_ < 0) {
    pid_ = 0;
    ready_ = 0;
    ::munmap(stack_, kStack);
    stack_ = nullptr;
    host_netns_.reset();
  }
}

EarlyNetns::~EarlyNetns() {
  (void)take();  // closed here (a namespace not taken)
  if (veth_made_ && !claimed_) try {
      Netlink().delete_link(veth_);
    } catch (const std::exception&) {
    }
}

void EarlyNetns::wait() {
  if (pid_ <= 0) return;
  while (::waitpid(pid_, nullptr, __WALL) < 0 && errno == EINTR) {
  }
  pid_ = 0;
  ::munmap(stack_, kStack);
  stack_ = nullptr;
  host_netns_.reset();
}

UniqueFd EarlyNetns::take_netns() {
  while (__atomic_load_n(&ready_, __ATOMIC_ACQUIRE) == 1)
    ::syscall(SYS_futex, &ready_, FUTEX_WAIT, 1, nullptr, nullptr, 0);
  // A refused unshare (a seccomp filter around us, say) is no error of the run: the clone
  // makes the namespace as before, and says why if it cannot either.
  UniqueFd made(std::exchange(made_, -1));
  if (!made) return {};
  // Above 0-2: with stdin closed the helper got fd 0, which -d and -i give other meanings.
  if (made.get() > 2) return made;
  return UniqueFd(::fcntl(made.get(), F_DUPFD_CLOEXEC, 3));
}

UniqueFd EarlyNetns::take() {
  UniqueFd made = take_netns();
  wait();
  return made;
}

bool EarlyNetns::claim_veth() {
  wait();
  claimed_ = true;
  return veth_made_ != 0;
}

}  // namespace mydocker::net
