// Reading optional arguments from a JSON request body, shared by every API handler file so
// that a malformed argument gets the same error wherever it is sent.
// Thread safety: free functions on the caller's values.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string_view>

#include "core/status.h"

namespace vigil::server {

// `key` as a signed 64-bit integer; `fallback` when absent or null; InvalidArgument naming
// the key when it is anything else (a string, a fraction, a number out of range).
Result<int64_t> OptInt(const boost::json::object& o, std::string_view key, int64_t fallback);

}  // namespace vigil::server
