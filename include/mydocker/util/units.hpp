#pragma once
// Sizes as docker reads and prints them (go-units RAMInBytes / BytesSize).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mydocker {

// Docker's memory sizes: a decimal number, an optional space, an optional binary unit
// b, k, m, g, t, p (case-insensitive) with an optional "b" or "ib" after k..p.
// "100m" -> 104857600, "0.5g" -> 536870912, "1.5" -> 1. Fractions of a byte are dropped.
// Returns nullopt with `why` set ("invalid size", "invalid suffix 'bm'", "too large").
std::optional<int64_t> parse_size(std::string_view text, std::string* why = nullptr);

// 104857600 -> "100MiB", 1610612736 -> "1.5GiB", 512 -> "512B".
std::string format_size(int64_t bytes);

// A plain decimal number: "12", "12.5". No sign, exponent or spaces.
std::optional<double> parse_decimal(std::string_view text);
// A plain integer with an optional leading '-': "-1", "1024".
std::optional<int64_t> parse_int(std::string_view text);

}  // namespace mydocker
