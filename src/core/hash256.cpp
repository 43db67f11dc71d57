#include "core/hash256.h"

namespace vigil {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<Hash256> Hash256::FromHex(std::string_view hex) {
  if (hex.size() != kHexDigits) {
    return Status::InvalidArgument("a 256-bit hash needs 64 hex digits, got " +
                                   std::to_string(hex.size()) + " characters");
  }
  Hash256 h;
  for (int i = 0; i < kHexDigits; ++i) {
    int v = HexValue(hex[i]);
    if (v < 0) {
      return Status::InvalidArgument("not a hex digit at position " + std::to_string(i + 1));
    }
    // Digit i (0 = most significant) holds bits 255-4i .. 252-4i.
    int word = 3 - i / 16;
    int shift = 60 - 4 * (i % 16);
    h.w[word] |= static_cast<uint64_t>(v) << shift;
  }
  return h;
}

std::string Hash256::ToHex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(kHexDigits, '0');
  for (int i = 0; i < kHexDigits; ++i) {
    int word = 3 - i / 16;
    int shift = 60 - 4 * (i % 16);
    s[i] = kDigits[(w[word] >> shift) & 0xf];
  }
  return s;
}

}  // namespace vigil
