// stats' NET I/O: /proc/PID/net/dev summed over every interface but lo.

#include <gtest/gtest.h>

#include "mydocker/commands/containers.hpp"

namespace mydocker {
namespace {

TEST(NetDev, SumsEveryInterfaceButLoopback) {
  const std::string text =
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
      "drop fifo colls carrier compressed\n"
      "    lo:   9000      10    0    0    0     0          0         0     9000      10    0    "
      "0    0     0       0          0\n"
      "  eth0:   1500       3    0    0    0     0          0         0      700       2    0    "
      "0    0     0       0          0\n"
      "    d0:      0       0    0    0    0     0          0         0      196       2    0    "
      "0    0     0       0          0\n";
  EXPECT_EQ(parse_net_dev(text), (std::pair<uint64_t, uint64_t>{1500, 896}));
  EXPECT_EQ(parse_net_dev(""), (std::pair<uint64_t, uint64_t>{0, 0}));
  EXPECT_EQ(parse_net_dev("eth0: 1 2 3\n"), (std::pair<uint64_t, uint64_t>{0, 0})) << "short";
}

}  // namespace
}  // namespace mydocker
