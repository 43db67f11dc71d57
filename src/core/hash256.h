// Hash256: a 256-bit perceptual hash (PDQ, a vPDQ frame, a TMK-derived PDQ) as a value.
//
// Bit layout matches Meta's reference: bit k (0..255) is bit (k % 64) of word k / 64,
// which is the same memory as the reference's sixteen little-endian uint16 words.
// Hex is 64 lowercase digits, most significant word first, exactly as the reference
// prints it, so hashes exchanged with partners (ThreatExchange, GIFCT, HMA) round-trip.
//
// Thread safety: a value type; no shared state.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace vigil {

struct Hash256 {
  static constexpr int kBits = 256;
  static constexpr int kHexDigits = 64;

  std::array<uint64_t, 4> w{};  // w[0] holds bits 0..63

  constexpr bool GetBit(int k) const { return (w[k >> 6] >> (k & 63)) & 1u; }
  constexpr void SetBit(int k) { w[k >> 6] |= uint64_t{1} << (k & 63); }
  constexpr void ClearBit(int k) { w[k >> 6] &= ~(uint64_t{1} << (k & 63)); }
  constexpr void FlipBit(int k) { w[k >> 6] ^= uint64_t{1} << (k & 63); }
  constexpr bool IsZero() const { return (w[0] | w[1] | w[2] | w[3]) == 0; }
  constexpr int Popcount() const {
    return std::popcount(w[0]) + std::popcount(w[1]) + std::popcount(w[2]) + std::popcount(w[3]);
  }

  // Parses exactly 64 hex digits (either case). Anything else is InvalidArgument.
  static Result<Hash256> FromHex(std::string_view hex);
  // 64 lowercase hex digits.
  std::string ToHex() const;

  friend constexpr bool operator==(const Hash256&, const Hash256&) = default;
  friend constexpr auto operator<=>(const Hash256&, const Hash256&) = default;
};

// Number of differing bits, 0..256.
constexpr int HammingDistance(const Hash256& a, const Hash256& b) {
  return std::popcount(a.w[0] ^ b.w[0]) + std::popcount(a.w[1] ^ b.w[1]) +
         std::popcount(a.w[2] ^ b.w[2]) + std::popcount(a.w[3] ^ b.w[3]);
}

struct Hash256Hasher {
  size_t operator()(const Hash256& h) const {
    return static_cast<size_t>(h.w[0] ^ (h.w[1] * 0x9e3779b97f4a7c15ULL) ^
                               (h.w[2] * 0xc2b2ae3d27d4eb4fULL) ^ (h.w[3] >> 7));
  }
};

}  // namespace vigil
