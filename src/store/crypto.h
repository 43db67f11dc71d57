// The store's small cryptographic needs (OpenSSL behind plain functions).
// Thread safety: pure functions; RandomBytes uses OpenSSL's thread-safe DRBG.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace vigil::store {

// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
// 20 raw bytes of SHA-1 (only for RFC 4122 name-based UUIDs, not for security).
std::string Sha1Raw(std::string_view data);
// `n` bytes from a cryptographically secure generator.
Result<std::string> RandomBytes(size_t n);
// RFC 4648 base64url without padding.
std::string Base64Url(std::string_view bytes);
// RFC 4122 version 5 UUID of `name` in `namespace_uuid` ("xxxxxxxx-xxxx-...").
std::string UuidV5(std::string_view namespace_uuid, std::string_view name);

}  // namespace vigil::store
