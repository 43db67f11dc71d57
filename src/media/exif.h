// Minimal EXIF reader: only what hashing needs (the orientation tag).
// Thread safety: free functions.
#pragma once

#include <cstdint>
#include <span>

namespace vigil::media {

struct ExifInfo {
  int orientation = 1;  // 1..8, as EXIF tag 0x0112; 1 when absent or invalid
};

// Parses an APP1 payload ("Exif\0\0" followed by a TIFF structure) or a bare TIFF
// structure. Malformed data leaves `info` unchanged; it never reads out of bounds.
void ParseExif(std::span<const uint8_t> data, ExifInfo& info);

}  // namespace vigil::media
