#pragma once
// CRC-64 as xz checks its blocks (ECMA-182's polynomial, reflected; CRC-64/XZ), with
// liblzma's lzma_crc64 calling convention: `crc` is the value so far (0 to start).
//
// Why our own: liblzma's picks its implementation in a constructor that asks the CPU with two
// `cpuid` instructions, about 20 µs of every mydocker command in a VM (each `cpuid` exits to the
// hypervisor), where xz archives are rare. main.cpp defines lzma_crc64 as this one in the
// static binary, which leaves liblzma's object, and its constructor, out of the link.
#include <cstddef>
#include <cstdint>

namespace mydocker {

uint64_t crc64_xz(const uint8_t* buf, size_t size, uint64_t crc);

}  // namespace mydocker
