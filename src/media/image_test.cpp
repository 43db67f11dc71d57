#include "media/image.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "media/encode.h"

namespace vigil::media {
namespace {

std::vector<uint8_t> Gradient(int w, int h, int c) {
  std::vector<uint8_t> px(static_cast<size_t>(w) * h * c);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k)
        px[(static_cast<size_t>(y) * w + x) * c + k] =
            static_cast<uint8_t>((x * 3 + y * 5 + k * 60) & 255);
  return px;
}

TEST(MediaTest, SniffsFormatsByContentNotName) {
  auto png = EncodePng(Gradient(8, 8, 3), 8, 8, 3);
  auto jpg = EncodeJpeg(Gradient(8, 8, 3), 8, 8, 3);
  auto webp = EncodeWebp(Gradient(8, 8, 3), 8, 8);
  EXPECT_EQ(SniffFormat(*png), ImageFormat::kPng);
  EXPECT_EQ(SniffFormat(*jpg), ImageFormat::kJpeg);
  EXPECT_EQ(SniffFormat(*webp), ImageFormat::kWebp);
  const uint8_t junk[] = {'h', 'e', 'l', 'l', 'o'};
  EXPECT_EQ(SniffFormat(junk), ImageFormat::kUnknown);
  auto r = DecodeImage(junk);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
}

TEST(MediaTest, PngRoundTripsExactlyAndDropsAlpha) {
  const int w = 37, h = 23;
  auto rgb = Gradient(w, h, 3);
  auto r = DecodeImage(*EncodePng(rgb, w, h, 3));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->channels, 3);
  EXPECT_EQ(r->pixels, rgb);

  std::vector<uint8_t> rgba(static_cast<size_t>(w) * h * 4);
  for (int i = 0; i < w * h; ++i) {
    std::memcpy(&rgba[4 * i], &rgb[3 * i], 3);
    rgba[4 * i + 3] = static_cast<uint8_t>(i % 2 ? 0 : 128);  // alpha must not change colour
  }
  auto a = DecodeImage(*EncodePng(rgba, w, h, 4));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->pixels, rgb);
}

TEST(MediaTest, GreyImagesBecomeOneChannel) {
  const int w = 16, h = 9;
  auto grey = Gradient(w, h, 1);
  std::vector<uint8_t> rgb(grey.size() * 3);
  for (size_t i = 0; i < grey.size(); ++i) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = grey[i];
  for (auto& bytes : {*EncodePng(grey, w, h, 1), *EncodePng(rgb, w, h, 3)}) {
    auto r = DecodeImage(bytes);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->channels, 1);
    EXPECT_EQ(r->pixels, grey);
  }
}

TEST(MediaTest, SixteenBitPngIsScaledNotTruncated) {
  const int w = 4, h = 1;
  std::vector<uint16_t> v = {0, 257 * 100, 65535, 257 * 7 + 200};
  auto png = EncodePng({reinterpret_cast<const uint8_t*>(v.data()), v.size() * 2}, w, h, 1, 16);
  auto r = DecodeImage(*png);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->pixels, (std::vector<uint8_t>{0, 100, 255, 8}));
}

TEST(MediaTest, OrientationMapsEveryCase) {
  // 3x2 image with distinct values; displayed images checked corner by corner.
  Image base;
  base.width = 3, base.height = 2, base.channels = 1;
  base.pixels = {1, 2, 3, 4, 5, 6};  // row 0: 1 2 3; row 1: 4 5 6
  const std::vector<uint8_t> want[9] = {
      {},
      {1, 2, 3, 4, 5, 6},
      {3, 2, 1, 6, 5, 4},
      {6, 5, 4, 3, 2, 1},
      {4, 5, 6, 1, 2, 3},
      {1, 4, 2, 5, 3, 6},  // 5 transpose
      {4, 1, 5, 2, 6, 3},  // 6 rotate 90 clockwise
      {6, 3, 5, 2, 4, 1},  // 7 transverse
      {3, 6, 2, 5, 1, 4},  // 8 rotate 270 clockwise
  };
  for (int o = 1; o <= 8; ++o) {
    Image img = base;
    ApplyOrientation(img, o);
    EXPECT_EQ(img.pixels, want[o]) << "orientation " << o;
    EXPECT_EQ(img.width, o >= 5 ? 2 : 3);
  }
}

TEST(MediaTest, JpegExifOrientationIsReadAndApplied) {
  const int w = 40, h = 24;
  JpegEncodeOptions o;
  o.exif_orientation = 6;
  auto jpg = EncodeJpeg(Gradient(w, h, 3), w, h, 3, o);
  auto r = DecodeImage(*jpg);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->orientation, 6);
  EXPECT_EQ(r->width, h);
  EXPECT_EQ(r->height, w);
  DecodeOptions raw;
  raw.apply_orientation = false;
  auto s = DecodeImage(*jpg, raw);
  EXPECT_EQ(s->width, w);
}

TEST(MediaTest, DecompressionBombsAreRefusedFromTheHeader) {
  const int w = 16, h = 16;
  // PNG: rewrite IHDR to claim 60000 x 60000 (and fix its CRC so libpng reads on).
  auto png = *EncodePng(Gradient(w, h, 3), w, h, 3);
  auto put32 = [&](size_t at, uint32_t v) {
    png[at] = v >> 24, png[at + 1] = (v >> 16) & 255, png[at + 2] = (v >> 8) & 255,
    png[at + 3] = v & 255;
  };
  put32(16, 60000);
  put32(20, 60000);
  uint32_t crc = 0xffffffffu;  // CRC-32 over "IHDR" + 13 data bytes
  for (size_t i = 12; i < 29; ++i) {
    crc ^= png[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  put32(29, ~crc);
  auto r = DecodeImage(png);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted) << r.status().ToString();

  // JPEG: patch the SOF0 dimensions.
  auto jpg = *EncodeJpeg(Gradient(w, h, 3), w, h, 3);
  for (size_t i = 0; i + 9 < jpg.size(); ++i) {
    if (jpg[i] == 0xFF && jpg[i + 1] == 0xC0) {
      jpg[i + 5] = 0xEA, jpg[i + 6] = 0x60;  // height 60000
      jpg[i + 7] = 0xEA, jpg[i + 8] = 0x60;  // width 60000
      break;
    }
  }
  auto j = DecodeImage(jpg);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), StatusCode::kResourceExhausted);

  DecodeOptions tight;
  tight.max_pixels = 100;
  EXPECT_EQ(DecodeImage(*EncodePng(Gradient(w, h, 3), w, h, 3), tight).status().code(),
            StatusCode::kResourceExhausted);
}

TEST(MediaTest, TruncatedAndCorruptFilesFailCleanly) {
  const int w = 64, h = 48;
  std::mt19937 rng(9);
  for (auto bytes :
       {*EncodePng(Gradient(w, h, 3), w, h, 3), *EncodeJpeg(Gradient(w, h, 3), w, h, 3),
        *EncodeWebp(Gradient(w, h, 3), w, h, 80)}) {
    for (size_t cut = 0; cut < bytes.size(); cut += 1 + bytes.size() / 97) {
      std::vector<uint8_t> t(bytes.begin(), bytes.begin() + cut);
      auto r = DecodeImage(t);  // any outcome but a crash; a success must be well-formed
      if (r.ok()) {
        EXPECT_EQ(r->pixels.size(), r->row_stride() * r->height);
      }
    }
    for (int k = 0; k < 200; ++k) {
      std::vector<uint8_t> t = bytes;
      t[rng() % t.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
      auto r = DecodeImage(t);
      if (r.ok()) {
        EXPECT_EQ(r->pixels.size(), r->row_stride() * r->height);
      }
    }
  }
}

TEST(MediaTest, DecodesGifFirstFrame) {
  // 2x1 GIF89a: global palette {red, blue}, pixels [0, 1].
  const uint8_t gif[] = {'G',  'I', 'F',  '8',  '9', 'a', 2, 0, 1,   0,
                         0x80, 0,   0,    255,  0,   0,   0, 0, 255,     // palette
                         ',',  0,   0,    0,    0,   2,   0, 1, 0,   0,  // image descriptor
                         2,    2,   0x44, 0x0A, 0,  // LZW: clear, 0, 1, end (3-bit codes)
                         ';'};
  auto r = DecodeImage(gif);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->format, ImageFormat::kGif);
  EXPECT_EQ(r->width, 2);
  EXPECT_EQ(r->pixels, (std::vector<uint8_t>{255, 0, 0, 0, 0, 255}));
}

TEST(MediaTest, DecodesBmp24) {
  // 2x2 bottom-up 24-bit BMP.
  std::vector<uint8_t> bmp = {'B', 'M', 0, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0,  // file header
                              40,  0,   0, 0, 2, 0, 0, 0, 2, 0, 0,  0, 1, 0, 24, 0, 0, 0, 0, 0,
                              16,  0,   0, 0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0, 0};
  // Bottom row (y=1): blue, white; top row (y=0): red, green. BGR order, 2 bytes padding.
  const uint8_t rows[] = {255, 0, 0, 255, 255, 255, 0, 0, 0, 0, 255, 0, 255, 0, 0, 0};
  bmp.insert(bmp.end(), rows, rows + sizeof rows);
  auto r = DecodeImage(bmp);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->pixels, (std::vector<uint8_t>{255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255}));
  // Truncated pixel data is refused.
  bmp.erase(bmp.end() - 3, bmp.end());
  EXPECT_EQ(DecodeImage(bmp).status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace vigil::media
