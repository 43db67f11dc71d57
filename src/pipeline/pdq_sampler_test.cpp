// The streaming sampler is a fast path: it must give exactly the hashes of the plain path
// (decode the whole image, orient it, HashLikeReference).
#include "pipeline/pdq_sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/file.h"
#include "media/encode.h"
#include "pipeline/media_hasher.h"

namespace vigil::pipeline {
namespace {

void ExpectSameAsPlainPath(const std::vector<uint8_t>& bytes, const std::string& what) {
  for (bool orient : {true, false}) {
    media::DecodeOptions d;
    d.apply_orientation = orient;
    auto img = media::DecodeImage(bytes, d);
    ImageHashOptions o;
    o.decode = d;
    o.dihedral = true;
    o.digests = false;
    auto fast = HashImageBytes(bytes, o);
    ASSERT_EQ(img.ok(), fast.ok()) << what;
    if (!img.ok()) continue;
    auto view = pdq::PixelView::Packed(img->pixels.data(), img->width, img->height, img->channels);
    auto slow = pdq::HashLikeReferenceDihedral(view);
    ASSERT_TRUE(slow.ok());
    EXPECT_EQ(fast->width, img->width) << what;
    EXPECT_EQ(fast->height, img->height) << what;
    EXPECT_EQ(fast->pdq.quality, slow->quality) << what;
    for (int k = 0; k < 8; ++k)
      EXPECT_EQ(fast->dihedral->hashes[k], slow->hashes[k]) << what << " #" << k;
  }
}

TEST(PdqSamplerTest, SharedImagesMatchPlainPath) {
  int n = 0;
  for (auto& e :
       std::filesystem::recursive_directory_iterator(std::string(VIGIL_TESTDATA_DIR) + "/pdq")) {
    auto ext = e.path().extension().string();
    if (ext != ".jpg" && ext != ".png" && ext != ".webp") continue;
    // The 12 MP EXIF photos are slow under ASan; the generated cases below cover orientation.
    if (e.file_size() > 2'000'000) continue;
    ExpectSameAsPlainPath(*ReadFileBytes(e.path().string(), 1 << 26), e.path().string());
    ++n;
  }
  EXPECT_GT(n, 30);
}

std::vector<uint8_t> Picture(int w, int h, int c, bool grey = false) {
  std::vector<uint8_t> px(static_cast<size_t>(w) * h * c);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k) {
        double v =
            128 + 80 * std::sin(x * 0.031 + y * 0.017) + 40 * std::cos(y * 0.05 + (grey ? 0 : k));
        px[(static_cast<size_t>(y) * w + x) * c + k] =
            static_cast<uint8_t>(std::clamp(v, 0.0, 255.0));
      }
  return px;
}

TEST(PdqSamplerTest, EveryOrientationAndSizeMatchesPlainPath) {
  const std::pair<int, int> sizes[] = {{700, 530},  {530, 700}, {512, 300},
                                       {1030, 513}, {64, 40},   {4, 9}};
  for (auto [w, h] : sizes) {
    for (int o = 1; o <= 8; ++o) {
      media::JpegEncodeOptions jo;
      jo.exif_orientation = o;
      auto jpg = media::EncodeJpeg(Picture(w, h, 3), w, h, 3, jo);
      ExpectSameAsPlainPath(*jpg, "jpeg " + std::to_string(w) + "x" + std::to_string(h) +
                                      " orientation " + std::to_string(o));
    }
    ExpectSameAsPlainPath(*media::EncodePng(Picture(w, h, 3), w, h, 3), "png rgb");
    ExpectSameAsPlainPath(*media::EncodePng(Picture(w, h, 1), w, h, 1), "png grey");
    ExpectSameAsPlainPath(*media::EncodePng(Picture(w, h, 3, true), w, h, 3), "png rgb all grey");
    ExpectSameAsPlainPath(*media::EncodeWebp(Picture(w, h, 3), w, h, 75), "webp");
  }
}

}  // namespace
}  // namespace vigil::pipeline
