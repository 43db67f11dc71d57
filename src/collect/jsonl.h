// vigil's own ingest format: JSON lines, one item per line (docs/ingest-format.md).
// Thread safety: free functions without shared state.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "collect/item.h"
#include "core/status.h"

namespace vigil::collect {

// Longest line accepted (bytes).
inline constexpr size_t kMaxJsonlLineBytes = 16u << 20;

// Parses one line. Relative media paths are joined to `base_dir` (and may not leave it);
// with an empty `base_dir` (a fetched document) no media path is local: all are missing.
// Errors say what is wrong; the caller adds file and line.
Result<Item> ParseIngestLine(std::string_view line, const std::string& base_dir);

// The item as an ingest-format object (what ParseIngestLine reads back).
boost::json::object ItemToJson(const Item& item);

}  // namespace vigil::collect
