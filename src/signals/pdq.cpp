#include "signals/pdq.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

namespace vigil::pdq {
namespace {

constexpr int kJaroszPasses = 2;

// 16x64 DCT-II basis (rows 1..16 of the 64-point DCT), computed exactly as the
// reference does: a float scale times a double cosine, rounded to float.
struct DctMatrix {
  float d[16][64];
  DctMatrix() {
    const double pi = 3.14159265358979323846;
    const float scale = static_cast<float>(std::sqrt(2.0 / 64.0));
    for (int i = 0; i < 16; ++i) {
      for (int j = 0; j < 64; ++j) {
        d[i][j] =
            static_cast<float>(scale * std::cos((pi / 2.0 / 64.0) * static_cast<double>(i + 1) *
                                                static_cast<double>(2 * j + 1)));
      }
    }
  }
};
const DctMatrix& Dct() {
  static const DctMatrix m;
  return m;
}

int WindowSize(int old_dim, int new_dim) { return (old_dim + 2 * new_dim - 1) / (2 * new_dim); }

// --- Reference-order stages ---------------------------------------------------------

void Box1D(const float* in, float* out, int length, int stride, int window) {
  const int half = (window + 2) / 2;
  const int p1 = half - 1, p2 = window - half + 1, p3 = length - window, p4 = half - 1;
  int li = 0, ri = 0, oi = 0;
  float sum = 0.0f;
  int cur = 0;
  for (int i = 0; i < p1; ++i) {
    sum += in[ri];
    ++cur;
    ri += stride;
  }
  for (int i = 0; i < p2; ++i) {
    sum += in[ri];
    ++cur;
    out[oi] = sum / static_cast<float>(cur);
    ri += stride;
    oi += stride;
  }
  for (int i = 0; i < p3; ++i) {
    sum += in[ri];
    sum -= in[li];
    out[oi] = sum / static_cast<float>(cur);
    li += stride;
    ri += stride;
    oi += stride;
  }
  for (int i = 0; i < p4; ++i) {
    sum -= in[li];
    --cur;
    out[oi] = sum / static_cast<float>(cur);
    li += stride;
    oi += stride;
  }
}

void Decimate64(const float* in, int rows, int cols, float out[64][64]) {
  for (int i = 0; i < 64; ++i) {
    int ini = static_cast<int>(((i + 0.5) * rows) / 64);
    for (int j = 0; j < 64; ++j) {
      int inj = static_cast<int>(((j + 0.5) * cols) / 64);
      out[i][j] = in[ini * cols + inj];
    }
  }
}

int Quality(const float a[64][64]) {
  int gradient_sum = 0;
  for (int i = 0; i < 63; ++i) {
    for (int j = 0; j < 64; ++j) {
      int d = static_cast<int>(((a[i][j] - a[i + 1][j]) * 100) / 255);
      gradient_sum += std::abs(d);
    }
  }
  for (int i = 0; i < 64; ++i) {
    for (int j = 0; j < 63; ++j) {
      int d = static_cast<int>(((a[i][j] - a[i][j + 1]) * 100) / 255);
      gradient_sum += std::abs(d);
    }
  }
  return std::min(gradient_sum / 90, 100);
}

void ReferenceDct(const float a[64][64], float b[16][16]) {
  const auto& d = Dct().d;
  float t[16][64];
  for (int i = 0; i < 16; ++i) {
    for (int j = 0; j < 64; ++j) {
      float s = 0.0f;
      for (int k = 0; k < 64; ++k) s += d[i][k] * a[k][j];
      t[i][j] = s;
    }
  }
  for (int i = 0; i < 16; ++i) {
    for (int j = 0; j < 16; ++j) {
      float s = 0.0f;
      for (int k = 0; k < 64; ++k) s += t[i][k] * d[j][k];
      b[i][j] = s;
    }
  }
}

// --- Fast stages: same operations per output, loops ordered for SIMD ---------------

// Box filter down every column at once: each column's running sum sees exactly the
// sequence of adds, subtracts and divisions of Box1D.
void BoxColumns(const float* in, float* out, float* sums, int rows, int cols, int window) {
  const int half = (window + 2) / 2;
  const int p1 = half - 1, p2 = window - half + 1, p3 = rows - window, p4 = half - 1;
  std::fill(sums, sums + cols, 0.0f);
  int li = 0, ri = 0, oi = 0, cur = 0;
  for (int i = 0; i < p1; ++i, ++ri) {
    const float* r = in + static_cast<size_t>(ri) * cols;
    for (int j = 0; j < cols; ++j) sums[j] += r[j];
    ++cur;
  }
  for (int i = 0; i < p2; ++i, ++ri, ++oi) {
    const float* r = in + static_cast<size_t>(ri) * cols;
    float* o = out + static_cast<size_t>(oi) * cols;
    ++cur;
    const float c = static_cast<float>(cur);
    for (int j = 0; j < cols; ++j) {
      sums[j] += r[j];
      o[j] = sums[j] / c;
    }
  }
  {
    const float c = static_cast<float>(cur);
    for (int i = 0; i < p3; ++i, ++ri, ++li, ++oi) {
      const float* r = in + static_cast<size_t>(ri) * cols;
      const float* l = in + static_cast<size_t>(li) * cols;
      float* o = out + static_cast<size_t>(oi) * cols;
      for (int j = 0; j < cols; ++j) {
        float s = sums[j] + r[j];
        s -= l[j];
        sums[j] = s;
        o[j] = s / c;
      }
    }
  }
  for (int i = 0; i < p4; ++i, ++li, ++oi) {
    const float* l = in + static_cast<size_t>(li) * cols;
    float* o = out + static_cast<size_t>(oi) * cols;
    --cur;
    const float c = static_cast<float>(cur);
    for (int j = 0; j < cols; ++j) {
      sums[j] -= l[j];
      o[j] = sums[j] / c;
    }
  }
}

void FastDct(const float a[64][64], float b[16][16]) {
  const auto& d = Dct().d;
  alignas(64) float t[16][64];
  for (int i = 0; i < 16; ++i) {
    float* ti = t[i];
    for (int j = 0; j < 64; ++j) ti[j] = 0.0f;
    for (int k = 0; k < 64; ++k) {
      const float dik = d[i][k];
      const float* ak = a[k];
      for (int j = 0; j < 64; ++j) ti[j] += dik * ak[j];
    }
  }
  for (int i = 0; i < 16; ++i) {
    for (int j = 0; j < 16; ++j) {
      float s = 0.0f;
      for (int k = 0; k < 64; ++k) s += t[i][k] * d[j][k];
      b[i][j] = s;
    }
  }
}

// --- Dihedral transforms in the DCT domain -------------------------------------------
// Rotations and flips of the image only transpose the DCT coefficients and negate the odd
// frequencies along the flipped axes (frequency index i here is DCT row i+1).

using Dct16 = internal::Dct16;

void Transform(const float a[16][16], Dihedral t, float b[16][16]) {
  for (int i = 0; i < 16; ++i) {
    for (int j = 0; j < 16; ++j) {
      const float v = a[i][j];
      const bool i_even = (i & 1) == 0, j_even = (j & 1) == 0;
      switch (t) {
        case kOriginal: b[i][j] = v; break;
        case kRotate90: b[j][i] = j_even ? -v : v; break;
        case kRotate180: b[i][j] = ((i + j) & 1) ? -v : v; break;
        case kRotate270: b[j][i] = i_even ? -v : v; break;
        case kFlipX: b[i][j] = i_even ? -v : v; break;
        case kFlipY: b[i][j] = j_even ? -v : v; break;
        case kFlipPlus1: b[j][i] = v; break;
        case kFlipMinus1: b[j][i] = ((i + j) & 1) ? -v : v; break;
      }
    }
  }
}

Status ValidateView(const PixelView& v) {
  if (v.data == nullptr) return Status::InvalidArgument("pdq: null pixel data");
  if (v.width <= 0 || v.height <= 0) return Status::InvalidArgument("pdq: empty image");
  if (v.channels != 1 && v.channels != 3 && v.channels != 4) {
    return Status::InvalidArgument("pdq: channels must be 1, 3 or 4");
  }
  if (v.pixel_stride < v.channels && v.width > 1) {
    return Status::InvalidArgument("pdq: pixel stride smaller than a pixel");
  }
  return Status::OK();
}

// Per-thread working memory kept between calls: a fresh multi-megabyte allocation per
// image costs page faults on every call.
struct Buffers {
  std::vector<float> luma;
  std::vector<float> scratch;
};

Buffers& Allocate(int rows, int cols) {
  thread_local Buffers b;
  const size_t n = static_cast<size_t>(rows) * cols;
  if (b.luma.size() < n) b.luma.resize(n);
  if (b.scratch.size() < n + cols) b.scratch.resize(n + cols);
  return b;
}

Result<Dct16> DctOf(const PixelView& view, bool reference_stretch, bool dihedral) {
  VIGIL_RETURN_IF_ERROR(ValidateView(view));
  int rows = view.height, cols = view.width;
  if (reference_stretch && (rows > kReferenceDownsampleDim || cols > kReferenceDownsampleDim)) {
    rows = cols = kReferenceDownsampleDim;
  }
  if (rows < kMinHashableDim || cols < kMinHashableDim) {
    Dct16 empty{};
    empty.quality = -1;  // marks "too small": all-zero hash, quality 0
    return empty;
  }
  Buffers& b = Allocate(rows, cols);
  internal::LumaFromView(view, rows, cols, b.luma.data());
  return internal::FastFromLuma(b.luma.data(), b.scratch.data(), rows, cols, !dihedral);
}

PdqHash ToHash(const Dct16& d) {
  if (d.quality < 0) return PdqHash{};
  return PdqHash{internal::BitsFromDct(d.v), d.quality};
}

PdqDihedral ToDihedral(const Dct16& d) {
  PdqDihedral out;
  if (d.quality < 0) return out;
  out.quality = d.quality;
  float t[16][16];
  for (int k = 0; k < 8; ++k) {
    Transform(d.v, static_cast<Dihedral>(k), t);
    out.hashes[k] = internal::BitsFromDct(t);
  }
  return out;
}

}  // namespace

namespace internal {

void LumaFromView(const PixelView& v, int out_rows, int out_cols, float* luma) {
  // Nearest-neighbour source index as CImg's resize computes it: floor(x * in / out).
  std::vector<int> src_x(out_cols), src_y(out_rows);
  for (int x = 0; x < out_cols; ++x) {
    src_x[x] =
        out_cols == v.width
            ? x
            : static_cast<int>(static_cast<uint64_t>(static_cast<double>(x) * v.width / out_cols));
  }
  for (int y = 0; y < out_rows; ++y) {
    src_y[y] =
        out_rows == v.height
            ? y
            : static_cast<int>(static_cast<uint64_t>(static_cast<double>(y) * v.height / out_rows));
  }
  for (int y = 0; y < out_rows; ++y) {
    const uint8_t* row = v.data + src_y[y] * v.row_stride;
    float* out = luma + static_cast<size_t>(y) * out_cols;
    if (v.channels == 1) {
      for (int x = 0; x < out_cols; ++x)
        out[x] = static_cast<float>(row[src_x[x] * v.pixel_stride]);
    } else {
      for (int x = 0; x < out_cols; ++x) {
        const uint8_t* p = row + src_x[x] * v.pixel_stride;
        out[x] = Luma(p[0], p[1], p[2]);
      }
    }
  }
}

Dct16 ReferenceFromLuma(float* luma, float* scratch, int rows, int cols, bool skip_blur_at_64) {
  Dct16 out{};
  alignas(64) float a[64][64];
  const int wr = WindowSize(cols, 64), wc = WindowSize(rows, 64);
  const bool blur = !(skip_blur_at_64 && rows == 64 && cols == 64);
  for (int pass = 0; blur && pass < kJaroszPasses; ++pass) {
    for (int i = 0; i < rows; ++i) {
      Box1D(luma + static_cast<size_t>(i) * cols, scratch + static_cast<size_t>(i) * cols, cols, 1,
            wr);
    }
    for (int j = 0; j < cols; ++j) Box1D(scratch + j, luma + j, rows, cols, wc);
  }
  Decimate64(luma, rows, cols, a);
  out.quality = Quality(a);
  ReferenceDct(a, out.v);
  return out;
}

Dct16 FastFromLuma(float* luma, float* scratch, int rows, int cols, bool skip_blur_at_64) {
  Dct16 out{};
  alignas(64) float a[64][64];
  const int wr = WindowSize(cols, 64), wc = WindowSize(rows, 64);
  float* sums = scratch + static_cast<size_t>(rows) * cols;  // cols floats of room
  const bool blur = !(skip_blur_at_64 && rows == 64 && cols == 64);
  for (int pass = 0; blur && pass < kJaroszPasses; ++pass) {
    for (int i = 0; i < rows; ++i) {
      Box1D(luma + static_cast<size_t>(i) * cols, scratch + static_cast<size_t>(i) * cols, cols, 1,
            wr);
    }
    BoxColumns(scratch, luma, sums, rows, cols, wc);
  }
  Decimate64(luma, rows, cols, a);
  out.quality = Quality(a);
  FastDct(a, out.v);
  return out;
}

const DctBasis& Dct64Basis() { return Dct().d; }

Hash256 BitsFromDct(const float dct[16][16]) {
  // The reference thresholds at Torben's median, which for 256 values is the 128th
  // smallest (the lower median).
  float sorted[256];
  std::copy(&dct[0][0], &dct[0][0] + 256, sorted);
  std::nth_element(sorted, sorted + 127, sorted + 256);
  const float median = sorted[127];
  Hash256 h;
  for (int i = 0; i < 16; ++i) {
    for (int j = 0; j < 16; ++j) {
      if (dct[i][j] > median) h.SetBit(i * 16 + j);
    }
  }
  return h;
}

}  // namespace internal

namespace {

Dct16 DctOfLuma(std::span<float> luma, int rows, int cols, bool dihedral) {
  if (rows < kMinHashableDim || cols < kMinHashableDim ||
      luma.size() < static_cast<size_t>(rows) * cols) {
    Dct16 empty{};
    empty.quality = -1;
    return empty;
  }
  Buffers& b = Allocate(rows, cols);
  return internal::FastFromLuma(luma.data(), b.scratch.data(), rows, cols, !dihedral);
}

}  // namespace

PdqHash HashLuma(std::span<float> luma, int rows, int cols) {
  return ToHash(DctOfLuma(luma, rows, cols, false));
}

PdqDihedral HashLumaDihedral(std::span<float> luma, int rows, int cols) {
  return ToDihedral(DctOfLuma(luma, rows, cols, true));
}

Result<PdqHash> HashPixels(const PixelView& view) {
  VIGIL_ASSIGN_OR_RETURN(Dct16 d, DctOf(view, false, false));
  return ToHash(d);
}

Result<PdqDihedral> HashPixelsDihedral(const PixelView& view) {
  VIGIL_ASSIGN_OR_RETURN(Dct16 d, DctOf(view, false, true));
  return ToDihedral(d);
}

Result<PdqHash> HashLikeReference(const PixelView& view) {
  VIGIL_ASSIGN_OR_RETURN(Dct16 d, DctOf(view, true, false));
  return ToHash(d);
}

Result<PdqDihedral> HashLikeReferenceDihedral(const PixelView& view) {
  VIGIL_ASSIGN_OR_RETURN(Dct16 d, DctOf(view, true, true));
  return ToDihedral(d);
}

}  // namespace vigil::pdq
