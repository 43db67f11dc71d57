// Boost.JSON helpers shared by the JSON readers: parsing with an error that names the
// file, line and column, and typed field access that never throws.
// Thread safety: free functions without shared state.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace vigil::collect {

// Deepest nesting accepted; real exports nest fewer than 10 levels, and a bound keeps a
// hostile file from exhausting the stack.
inline constexpr size_t kMaxJsonDepth = 64;

// Parses a whole JSON document. On error the message reads
// "<origin>: line L, column C: <reason>".
Result<boost::json::value> ParseJson(std::string_view text, std::string_view origin);

// 1-based line and column of byte `offset` in `text`.
std::pair<size_t, size_t> LineAndColumn(std::string_view text, size_t offset);

// Field access: the string/array/object/int at `key`, or a default when missing or of
// another type. Telegram writes ids sometimes as numbers, sometimes as strings;
// StringOrNumber reads both.
std::string GetString(const boost::json::object& o, std::string_view key);
std::string StringOrNumber(const boost::json::value* v);
const boost::json::array* GetArray(const boost::json::object& o, std::string_view key);
const boost::json::object* GetObject(const boost::json::object& o, std::string_view key);

}  // namespace vigil::collect
