// Image encoders: used for generated test and demo images, and later for reviewer-safe
// previews. Input is packed 8-bit (or 16-bit for PNG) pixels.
// Thread safety: free functions.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"

namespace vigil::media {

struct JpegEncodeOptions {
  int quality = 92;
  int exif_orientation = 0;  // 1..8 writes an EXIF APP1 with this orientation tag; 0 none
  bool progressive = false;
};

// channels: 1 or 3.
Result<std::vector<uint8_t>> EncodeJpeg(std::span<const uint8_t> pixels, int width, int height,
                                        int channels, const JpegEncodeOptions& options = {});

// channels: 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA). bit_depth 8 reads `pixels` as
// bytes; bit_depth 16 reads them as native-endian uint16 values (2 bytes per sample).
Result<std::vector<uint8_t>> EncodePng(std::span<const uint8_t> pixels, int width, int height,
                                       int channels, int bit_depth = 8);

// RGB only. quality < 0 means lossless.
Result<std::vector<uint8_t>> EncodeWebp(std::span<const uint8_t> pixels, int width, int height,
                                        float quality = -1);

}  // namespace vigil::media
