#include "signals/pdq.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace vigil::pdq {
namespace {

std::vector<uint8_t> RandomImage(int w, int h, int c, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  // Smooth random structure (a few blobs and waves) plus light noise: like a photo, the
  // hash is set by the picture, not by the noise.
  double fx[3], fy[3], ph[3], cx[4], cy[4], r[4];
  for (int k = 0; k < 3; ++k) fx[k] = 1 + 5 * u(rng), fy[k] = 1 + 5 * u(rng), ph[k] = 6 * u(rng);
  for (int k = 0; k < 4; ++k) cx[k] = u(rng), cy[k] = u(rng), r[k] = 0.05 + 0.2 * u(rng);
  std::vector<uint8_t> px(static_cast<size_t>(w) * h * c);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      double X = static_cast<double>(x) / w, Y = static_cast<double>(y) / h;
      double v = 128;
      for (int k = 0; k < 3; ++k) v += 25 * std::sin(6.28 * (fx[k] * X + fy[k] * Y) + ph[k]);
      for (int k = 0; k < 4; ++k) {
        double d2 = (X - cx[k]) * (X - cx[k]) + (Y - cy[k]) * (Y - cy[k]);
        v += (k % 2 ? -50 : 50) * std::exp(-d2 / (r[k] * r[k]));
      }
      for (int k = 0; k < c; ++k) {
        double n = v + 10 * k + 4 * (u(rng) - 0.5);
        px[(static_cast<size_t>(y) * w + x) * c + k] =
            static_cast<uint8_t>(std::clamp(n, 0.0, 255.0));
      }
    }
  }
  return px;
}

// The fast stages must equal the reference-order stages bit for bit at every size,
// including the odd ones where the box-filter phases are short or empty.
TEST(PdqTest, FastPathEqualsReferenceExactly) {
  std::mt19937 rng(1);
  const std::pair<int, int> sizes[] = {{5, 5},     {5, 700},   {700, 5},   {64, 64},   {63, 65},
                                       {128, 128}, {129, 257}, {511, 512}, {512, 512}, {300, 17}};
  for (auto [rows, cols] : sizes) {
    size_t n = static_cast<size_t>(rows) * cols;
    std::vector<float> luma(n);
    std::uniform_real_distribution<float> dist(0, 255);
    for (auto& v : luma) v = dist(rng);
    std::vector<float> sa(n + cols), sb(n + cols);
    for (bool skip : {false, true}) {
      std::vector<float> a = luma, b = luma;
      internal::Dct16 ref = internal::ReferenceFromLuma(a.data(), sa.data(), rows, cols, skip);
      internal::Dct16 fast = internal::FastFromLuma(b.data(), sb.data(), rows, cols, skip);
      EXPECT_EQ(ref.quality, fast.quality) << rows << "x" << cols;
      EXPECT_EQ(std::memcmp(ref.v, fast.v, sizeof ref.v), 0) << rows << "x" << cols;
    }
  }
}

// As in the reference, a 64x64 input to the single-hash path is taken as already
// downsampled: no box filter, so its hash is the DCT of the luma itself.
TEST(PdqTest, SixtyFourSquareSkipsTheBlurLikeTheReference) {
  auto px = RandomImage(64, 64, 1, 11);
  std::vector<float> luma(64 * 64), scratch(64 * 64 + 64);
  for (size_t i = 0; i < luma.size(); ++i) luma[i] = px[i];
  internal::Dct16 raw = internal::ReferenceFromLuma(luma.data(), scratch.data(), 64, 64, true);
  auto h = HashPixels(PixelView::Packed(px.data(), 64, 64, 1));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->hash, internal::BitsFromDct(raw.v));
  EXPECT_EQ(h->quality, raw.quality);
  // The dihedral path blurs, as the reference's does.
  for (size_t i = 0; i < luma.size(); ++i) luma[i] = px[i];
  internal::Dct16 blurred = internal::ReferenceFromLuma(luma.data(), scratch.data(), 64, 64, false);
  auto d = HashPixelsDihedral(PixelView::Packed(px.data(), 64, 64, 1));
  EXPECT_EQ(d->hashes[kOriginal], internal::BitsFromDct(blurred.v));
}

TEST(PdqTest, TooSmallImagesGiveTheReferenceEmptyHash) {
  auto px = RandomImage(4, 100, 3, 2);
  auto r = HashPixels(PixelView::Packed(px.data(), 4, 100, 3));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->hash.IsZero());
  EXPECT_EQ(r->quality, 0);
}

TEST(PdqTest, LayoutsGiveIdenticalHashes) {
  const int w = 173, h = 91;
  auto rgb = RandomImage(w, h, 3, 3);
  auto base = HashPixels(PixelView::Packed(rgb.data(), w, h, 3));
  ASSERT_TRUE(base.ok());
  EXPECT_GT(base->quality, 0);
  EXPECT_EQ(base->hash.Popcount(), 128);

  // RGBA with the alpha ignored.
  std::vector<uint8_t> rgba(static_cast<size_t>(w) * h * 4);
  for (size_t i = 0; i < static_cast<size_t>(w) * h; ++i) {
    std::memcpy(&rgba[4 * i], &rgb[3 * i], 3);
    rgba[4 * i + 3] = static_cast<uint8_t>(i);
  }
  auto r4 = HashPixels(PixelView::Packed(rgba.data(), w, h, 4));
  ASSERT_TRUE(r4.ok());
  EXPECT_EQ(r4->hash, base->hash);

  // Padded rows.
  const int stride = w * 3 + 13;
  std::vector<uint8_t> padded(static_cast<size_t>(stride) * h, 0xAB);
  for (int y = 0; y < h; ++y) std::memcpy(&padded[y * stride], &rgb[y * w * 3], w * 3);
  PixelView pv{padded.data(), w, h, 3, stride, 3};
  auto rp = HashPixels(pv);
  ASSERT_TRUE(rp.ok());
  EXPECT_EQ(rp->hash, base->hash);
  EXPECT_EQ(rp->quality, base->quality);
}

TEST(PdqTest, ReferenceStretchOnlyAbove512) {
  auto px = RandomImage(512, 300, 1, 4);
  auto a = HashPixels(PixelView::Packed(px.data(), 512, 300, 1));
  auto b = HashLikeReference(PixelView::Packed(px.data(), 512, 300, 1));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->hash, b->hash);  // not larger than 512: no stretch

  auto big = RandomImage(1031, 600, 1, 5);
  auto c = HashPixels(PixelView::Packed(big.data(), 1031, 600, 1));
  auto d = HashLikeReference(PixelView::Packed(big.data(), 1031, 600, 1));
  ASSERT_TRUE(c.ok() && d.ok());
  EXPECT_LE(HammingDistance(c->hash, d->hash), 20);  // same picture, different sampling
}

// The DCT-domain dihedral hashes: the original equals the plain hash, and the transpose
// is exact (transposing the pixels transposes every stage when the image is square).
// How close the other seven come to hashing physically turned pixels is checked on real
// photos in the pipeline conformance test.
TEST(PdqTest, DihedralOriginalAndTransposeAreExact) {
  const int n = 256;
  auto px = RandomImage(n, n, 1, 6);
  auto dih = HashPixelsDihedral(PixelView::Packed(px.data(), n, n, 1));
  ASSERT_TRUE(dih.ok());
  auto orig = HashPixels(PixelView::Packed(px.data(), n, n, 1));
  EXPECT_EQ(dih->hashes[kOriginal], orig->hash);
  EXPECT_EQ(dih->quality, orig->quality);
  std::vector<uint8_t> t(px.size());
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) t[y * n + x] = px[x * n + y];
  EXPECT_EQ(HashPixels(PixelView::Packed(t.data(), n, n, 1))->hash, dih->hashes[kFlipPlus1]);
}

TEST(PdqTest, RejectsMalformedViews) {
  uint8_t px[75] = {};
  EXPECT_FALSE(HashPixels(PixelView{nullptr, 5, 5, 3, 15, 3}).ok());
  EXPECT_FALSE(HashPixels(PixelView{px, 5, 5, 2, 10, 2}).ok());
  EXPECT_FALSE(HashPixels(PixelView{px, 0, 5, 3, 15, 3}).ok());
  EXPECT_FALSE(HashPixels(PixelView{px, 5, 5, 3, 15, 1}).ok());
}

}  // namespace
}  // namespace vigil::pdq
