// Cryptographic digests of media bytes (exact-match signals: MD5 and SHA-256).
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace vigil::digest {

// Lowercase hex digests.
std::string Md5Hex(std::span<const uint8_t> bytes);
std::string Sha256Hex(std::span<const uint8_t> bytes);

}  // namespace vigil::digest
