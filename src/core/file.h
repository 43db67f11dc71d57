// Small file helpers with the core's error conventions: every failure names the path
// and the operating system's reason.
// Thread safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace vigil {

// Reads a whole file. Files larger than max_bytes are refused with ResourceExhausted
// before anything is read.
Result<std::vector<uint8_t>> ReadFileBytes(const std::string& path, uint64_t max_bytes);

// Writes `data` to `path` atomically: a temporary file in the same directory, fsync,
// then rename, so readers see the old file or the new one, never half of one.
Status WriteFileAtomic(const std::string& path, const void* data, size_t size);

}  // namespace vigil
