// Reading a JSON request body and its optional arguments, shared by every API handler file so
// that a malformed argument gets the same error wherever it is sent.
// Thread safety: free functions on the caller's values.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace vigil::server {

// `key` as a signed 64-bit integer; `fallback` when absent or null; InvalidArgument naming
// the key when it is anything else (a string, a fraction, a number out of range).
Result<int64_t> OptInt(const boost::json::object& o, std::string_view key, int64_t fallback);

// The request body as a JSON object (nesting at most 16 deep). An empty body is an empty
// object unless `required`; anything else that is not an object is InvalidArgument.
Result<boost::json::object> ParseBody(const std::string& body, bool required);

// A referral id from a path segment: a positive integer, else NotFound (an id that cannot
// exist reads like one that does not).
Result<int64_t> ParseReferralId(const std::string& text);

}  // namespace vigil::server
