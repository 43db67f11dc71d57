// PDQ: Meta's 256-bit perceptual image hash, bit-exact with the reference C++
// implementation (facebook/ThreatExchange pdq/cpp) given the same pixels.
//
// Two entry points:
//  * HashPixels(): the PDQ algorithm on exactly the pixels given (luma, two Jarosz
//    box-filter passes, 64x64 decimation, 16x16 DCT, median threshold).
//  * HashLikeReference(): what the reference `pdq-photo-hasher` does with a decoded
//    file: an image larger than 512 px on either side is first stretched to 512x512
//    by nearest-neighbour sampling. Use this for hashes that must agree with partners.
//
// The float arithmetic follows the reference operation by operation (the build turns off
// floating-point contraction); the fast paths compute the same operations in another
// loop order, which is exact because every output is still summed in the same sequence.
//
// Thread safety: pure functions on caller-owned buffers; call from any number of threads.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/hash256.h"
#include "core/status.h"

namespace vigil::pdq {

// Images with a side under this many pixels get the reference's empty answer:
// an all-zero hash with quality 0.
inline constexpr int kMinHashableDim = 5;
// The reference stretches larger images to this size (nearest neighbour) before hashing.
inline constexpr int kReferenceDownsampleDim = 512;
// Recommended by PDQ's authors: matches within this distance, hashes below this quality
// are usually too flat to be useful.
inline constexpr int kRecommendedMatchDistance = 31;
inline constexpr int kRecommendedMinQuality = 50;

// A read-only view of 8-bit pixels. channels: 1 (grey), 3 (RGB) or 4 (RGBA/RGBX, the 4th
// ignored). Strides are in bytes, so any layout (packed, padded rows, planar-interleaved)
// can be described without a copy.
struct PixelView {
  const uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  int channels = 3;
  ptrdiff_t row_stride = 0;    // bytes from one row to the next
  ptrdiff_t pixel_stride = 0;  // bytes from one pixel to the next (usually == channels)

  static PixelView Packed(const uint8_t* data, int width, int height, int channels) {
    return {data, width, height, channels, static_cast<ptrdiff_t>(width) * channels, channels};
  }
};

struct PdqHash {
  Hash256 hash;
  int quality = 0;  // 0..100
};

// The 8 dihedral transforms, in the reference's order (and `--dihedral` output order).
enum Dihedral : int {
  kOriginal = 0,
  kRotate90 = 1,
  kRotate180 = 2,
  kRotate270 = 3,
  kFlipX = 4,
  kFlipY = 5,
  kFlipPlus1 = 6,   // transpose
  kFlipMinus1 = 7,  // anti-transpose
};

struct PdqDihedral {
  std::array<Hash256, 8> hashes;  // indexed by Dihedral
  int quality = 0;
};

// Errors: InvalidArgument for a malformed view (null data, bad channels or strides).
Result<PdqHash> HashPixels(const PixelView& view);
Result<PdqDihedral> HashPixelsDihedral(const PixelView& view);

Result<PdqHash> HashLikeReference(const PixelView& view);
Result<PdqDihedral> HashLikeReferenceDihedral(const PixelView& view);

// The reference's luma of one RGB pixel (float, in this exact operation order).
inline float Luma(uint8_t r, uint8_t g, uint8_t b) {
  return 0.299f * static_cast<float>(r) + 0.587f * static_cast<float>(g) +
         0.114f * static_cast<float>(b);
}

// PDQ of a luma plane (rows x cols, row-major) already at the size to hash; for callers
// that sample pixels themselves (streaming decode). `luma` is overwritten (scratch).
PdqHash HashLuma(std::span<float> luma, int rows, int cols);
PdqDihedral HashLumaDihedral(std::span<float> luma, int rows, int cols);

namespace internal {

// Reference-order implementation of every stage, kept as the oracle the fast paths are
// tested against. Luma in, 16x16 DCT + quality out.
struct Dct16 {
  float v[16][16];
  int quality;
};
// skip_blur_at_64: the reference's single-hash path takes an input of exactly 64x64 as
// already downsampled (no box filter); its dihedral path blurs it anyway. Both kept.
Dct16 ReferenceFromLuma(float* luma, float* scratch, int rows, int cols, bool skip_blur_at_64);
Dct16 FastFromLuma(float* luma, float* scratch, int rows, int cols, bool skip_blur_at_64);
Hash256 BitsFromDct(const float dct[16][16]);
// PDQ's 16x64 DCT-II basis (rows 1..16 of the 64-point DCT), as the reference computes it;
// shared with TMK's PDQF frame features.
using DctBasis = float[16][64];
const DctBasis& Dct64Basis();
// Luma of the view, optionally nearest-neighbour stretched to out_rows x out_cols.
void LumaFromView(const PixelView& view, int out_rows, int out_cols, float* luma);

}  // namespace internal

}  // namespace vigil::pdq
