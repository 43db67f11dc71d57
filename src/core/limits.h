// Named limits shared across the core. Every limit has a safe default here and is
// documented in docs/limits.md; callers may pass tighter or looser values through the
// options structs that use them.
#pragma once

#include <cstdint>

namespace vigil::limits {

// Largest media file read into memory for hashing (bytes).
inline constexpr uint64_t kDefaultMaxFileBytes = uint64_t{512} << 20;  // 512 MiB
// Largest decoded image, checked from the header before any pixel buffer is allocated.
// 150 MP covers every phone and most professional cameras (a 100 MP medium format
// sensor is 11656x8742); a decompression bomb claims far more.
inline constexpr uint64_t kDefaultMaxImagePixels = 150'000'000;
// Largest single image side, whatever the area.
inline constexpr uint32_t kDefaultMaxImageSide = 65'535;

}  // namespace vigil::limits
