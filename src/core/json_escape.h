// Minimal JSON string escaping for line-oriented output (jsonl) from the core and CLI,
// which do not link a JSON library. Invalid UTF-8 bytes are replaced with U+FFFD so the
// output is always valid JSON.
#pragma once

#include <string>
#include <string_view>

namespace vigil {

// Returns `s` as a quoted JSON string literal.
std::string JsonQuote(std::string_view s);

}  // namespace vigil
