// Hash files: lists of 256-bit hashes, one per line, as exchanged between platforms and
// written by `vigil hash` and pdq-photo-hasher.
//
// Format: each line holds a hash as 64 hex digits (either case). Leading spaces and tabs
// are skipped; anything after the hash, from the first comma or whitespace on, is ignored
// (so "hash,quality,path" lines work). Blank lines and lines starting with '#' are skipped.
// Line numbers are 1-based physical lines ('\n'-terminated; a trailing '\r' is dropped).
//
// A malformed line fails the whole parse: the error names the file and the line, and says
// how many malformed lines there are in all, so nothing is ever half-loaded.
//
// Thread safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/hash256.h"
#include "core/status.h"

namespace vigil::index {

// Largest hash file read (bytes): 64M lines of a hash and a path.
inline constexpr uint64_t kMaxHashFileBytes = uint64_t{16} << 30;

struct HashLine {
  uint64_t line = 0;  // 1-based physical line number
  Hash256 hash;
};

// Parses `text`; `name` is used in error messages ("name:line: ...").
Result<std::vector<HashLine>> ParseHashText(std::string_view text, std::string_view name);

// Reads and parses a file ("-" is standard input).
Result<std::vector<HashLine>> ReadHashFile(const std::string& path);

}  // namespace vigil::index
