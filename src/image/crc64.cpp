#include "mydocker/image/crc64.hpp"

#include <array>
#include <bit>
#include <cstring>

namespace mydocker {
namespace {

constexpr uint64_t kPolynomial = 0xC96C5795D7870F42ULL;  // ECMA-182, bit-reversed

// Slicing-by-8 tables: table[0] is the byte-at-a-time table; table[k][b] is the CRC of byte b
// followed by k zero bytes, so eight input bytes are folded in with eight lookups.
using Tables = std::array<std::array<uint64_t, 256>, 8>;
constexpr Tables make_tables() {
  Tables t{};
  for (uint64_t b = 0; b < 256; ++b) {
    uint64_t c = b;
    for (int i = 0; i < 8; ++i) c = (c >> 1) ^ ((c & 1) ? kPolynomial : 0);
    t[0][b] = c;
  }
  for (size_t k = 1; k < 8; ++k)
    for (size_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
  return t;
}
constexpr Tables kTables = make_tables();

}  // namespace

uint64_t crc64_xz(const uint8_t* buf, size_t size, uint64_t crc) {
  crc = ~crc;
  for (; std::endian::native == std::endian::little && size >= 8; buf += 8, size -= 8) {
    uint64_t word;
    std::memcpy(&word, buf, 8);  // in the stream's order on little-endian hosts
    crc ^= word;
    crc = kTables[7][crc & 0xff] ^ kTables[6][(crc >> 8) & 0xff] ^ kTables[5][(crc >> 16) & 0xff] ^
          kTables[4][(crc >> 24) & 0xff] ^ kTables[3][(crc >> 32) & 0xff] ^
          kTables[2][(crc >> 40) & 0xff] ^ kTables[1][(crc >> 48) & 0xff] ^ kTables[0][crc >> 56];
  }
  for (; size > 0; ++buf, --size) crc = kTables[0][(crc ^ *buf) & 0xff] ^ (crc >> 8);
  return ~crc;
}

}  // namespace mydocker
