// PDQ conformance against Meta's reference outputs on the shared test vectors, plus the
// generated cases where the reference is wrong and vigil deliberately differs.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/file.h"
#include "media/encode.h"
#include "media/image.h"
#include "pipeline/media_hasher.h"

namespace vigil {
namespace {

const std::string kPdqDir = std::string(VIGIL_TESTDATA_DIR) + "/pdq/";

// The reference ignores EXIF orientation; vigil applies it (an image hashes as it is
// displayed), so for these files the reference's answer is the hash of the sideways picture.
bool IsExifRotated(const std::string& rel) {
  return rel.find("exif-rotn/exif-rotn-3") != std::string::npos ||
         rel.find("exif-rotn/exif-rotn-6") != std::string::npos ||
         rel.find("exif-rotn/exif-rotn-8") != std::string::npos;
}

std::vector<std::vector<std::string>> ReadCsv(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> fields;
    std::stringstream ss(line);
    std::string f;
    while (std::getline(ss, f, ',')) fields.push_back(f);
    rows.push_back(fields);
  }
  return rows;
}

pipeline::ImageHashes HashFile(const std::string& path, bool dihedral,
                               bool apply_orientation = true) {
  auto bytes = ReadFileBytes(path, limits::kDefaultMaxFileBytes);
  EXPECT_TRUE(bytes.ok()) << path;
  pipeline::ImageHashOptions o;
  o.dihedral = dihedral;
  o.decode.apply_orientation = apply_orientation;
  auto r = pipeline::HashImageBytes(*bytes, o);
  EXPECT_TRUE(r.ok()) << path << ": " << r.status().ToString();
  return r.ok() ? *r : pipeline::ImageHashes{};
}

TEST(PdqConformance, MatchesReferenceCsvBitExact) {
  auto rows = ReadCsv(kPdqDir + "expected-pdq.csv");
  ASSERT_EQ(rows.size(), 49u) << "shared test vectors missing? " << kPdqDir;
  int exact = 0, compared = 0;
  for (const auto& r : rows) {
    ASSERT_EQ(r.size(), 3u);
    const std::string& rel = r[2];
    // Without orientation the EXIF files must match the reference too: same pixels.
    pipeline::ImageHashes h =
        HashFile(kPdqDir + rel, false, /*apply_orientation=*/!IsExifRotated(rel));
    ++compared;
    EXPECT_EQ(h.pdq.hash.ToHex(), r[0]) << rel;
    EXPECT_EQ(std::to_string(h.pdq.quality), r[1]) << rel;
    exact += h.pdq.hash.ToHex() == r[0] && std::to_string(h.pdq.quality) == r[1];
  }
  EXPECT_EQ(exact, compared);
}

TEST(PdqConformance, MatchesReferenceDihedralCsvBitExact) {
  auto rows = ReadCsv(kPdqDir + "expected-pdq-dihedral.csv");
  ASSERT_EQ(rows.size(), 49u);
  for (const auto& r : rows) {
    ASSERT_EQ(r.size(), 10u);
    const std::string& rel = r[9];
    pipeline::ImageHashes h = HashFile(kPdqDir + rel, true, !IsExifRotated(rel));
    ASSERT_TRUE(h.dihedral.has_value()) << rel;
    for (int k = 0; k < 8; ++k) EXPECT_EQ(h.dihedral->hashes[k].ToHex(), r[k]) << rel << " #" << k;
    EXPECT_EQ(std::to_string(h.dihedral->quality), r[8]) << rel;
  }
}

// The EXIF-rotated photos: vigil hashes what a viewer shows. That is the reference's own
// dihedral hash of the stored pixels for the same turn, up to the small differences the
// non-symmetric box filter and 512x512 stretch introduce.
TEST(PdqConformance, ExifRotatedPhotosHashAsDisplayed) {
  auto rows = ReadCsv(kPdqDir + "expected-pdq-dihedral.csv");
  // Orientation -> which reference dihedral hash describes the displayed picture.
  const std::map<std::string, int> turn = {
      {"exif-rotn-3", 2}, {"exif-rotn-6", 3}, {"exif-rotn-8", 1}};
  int checked = 0;
  for (const auto& r : rows) {
    for (const auto& [name, k] : turn) {
      if (r[9].find(name) == std::string::npos) continue;
      pipeline::ImageHashes h = HashFile(kPdqDir + r[9], false);
      auto ref = Hash256::FromHex(r[k]);
      ASSERT_TRUE(ref.ok());
      EXPECT_LE(HammingDistance(h.pdq.hash, *ref), 20) << r[9];
      ++checked;
    }
  }
  EXPECT_EQ(checked, 3);
}

// The reference's 8 physically transformed bridge photos match (within the recommended 31 bits) the
// DCT-domain dihedral hashes of the original: the dihedral hashes find turned copies.
TEST(PdqConformance, DihedralHashesFindTurnedCopies) {
  const std::string dir = kPdqDir + "reg-test-input/dih/";
  const char* files[8] = {"bridge-1-original.jpg",    "bridge-2-rotate-90.jpg",
                          "bridge-3-rotate-180.jpg",  "bridge-4-rotate-270.jpg",
                          "bridge-5-flipx.jpg",       "bridge-6-flipy.jpg",
                          "bridge-7-flip-plus-1.jpg", "bridge-8-flip-minus-1.jpg"};
  pipeline::ImageHashes orig = HashFile(dir + files[0], true);
  ASSERT_TRUE(orig.dihedral.has_value());
  for (int k = 0; k < 8; ++k) {
    pipeline::ImageHashes turned = HashFile(dir + files[k], false);
    EXPECT_LE(HammingDistance(turned.pdq.hash, orig.dihedral->hashes[k]),
              pdq::kRecommendedMatchDistance)
        << files[k];
  }
}

// ---- Generated cases where the reference is wrong ---------------------------------

struct Pixels {
  int w = 0, h = 0, c = 0;
  std::vector<uint8_t> px;
};

Pixels SharedPhoto() {
  auto bytes = ReadFileBytes(kPdqDir + "bridge-mods/aaa-orig.jpg", 1 << 26);
  auto img = media::DecodeImage(*bytes);
  EXPECT_TRUE(img.ok());
  return {img->width, img->height, img->channels, img->pixels};
}

Hash256 HashBytes(const std::vector<uint8_t>& bytes) {
  auto r = pipeline::HashImageBytes(bytes, {});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r->pdq.hash : Hash256{};
}

// 16-bit PNG: the reference truncates each sample to its low byte (garbage); vigil scales.
TEST(PdqConformance, SixteenBitPngMatchesEightBitTwin) {
  Pixels p = SharedPhoto();
  auto png8 = media::EncodePng(p.px, p.w, p.h, p.c, 8);
  ASSERT_TRUE(png8.ok());
  std::vector<uint16_t> wide(p.px.size()), noisy(p.px.size());
  for (size_t i = 0; i < p.px.size(); ++i) {
    wide[i] = static_cast<uint16_t>(p.px[i] * 257);
    // Keep the high byte, perturb the low byte: what a real 16-bit source looks like.
    noisy[i] = static_cast<uint16_t>((p.px[i] << 8) | ((i * 37) & 0x7f));
  }
  auto as_bytes = [](const std::vector<uint16_t>& v) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(v.data()), v.size() * 2);
  };
  auto png16 = media::EncodePng(as_bytes(wide), p.w, p.h, p.c, 16);
  auto png16n = media::EncodePng(as_bytes(noisy), p.w, p.h, p.c, 16);
  ASSERT_TRUE(png16.ok() && png16n.ok());
  Hash256 h8 = HashBytes(*png8);
  EXPECT_EQ(HashBytes(*png16), h8);
  EXPECT_LE(HammingDistance(HashBytes(*png16n), h8), 10);
}

// EXIF-rotated JPEG vs the upright JPEG of the same picture.
TEST(PdqConformance, ExifOrientationMatchesUprightImage) {
  Pixels p = SharedPhoto();
  media::JpegEncodeOptions upright_opts;
  upright_opts.quality = 95;
  auto upright = media::EncodeJpeg(p.px, p.w, p.h, p.c, upright_opts);
  ASSERT_TRUE(upright.ok());
  const Hash256 want = HashBytes(*upright);
  for (int o = 2; o <= 8; ++o) {
    // Store the pixels so that applying orientation `o` shows the upright picture:
    // apply the inverse transform (5..8 swap axes; 6 and 8 are each other's inverse).
    media::Image stored;
    stored.width = p.w, stored.height = p.h, stored.channels = p.c, stored.pixels = p.px;
    const int inverse = o == 6 ? 8 : (o == 8 ? 6 : o);
    media::ApplyOrientation(stored, inverse);
    media::JpegEncodeOptions opts;
    opts.quality = 95;
    opts.exif_orientation = o;
    auto jpeg =
        media::EncodeJpeg(stored.pixels, stored.width, stored.height, stored.channels, opts);
    ASSERT_TRUE(jpeg.ok());
    auto decoded = media::DecodeImage(*jpeg);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded->orientation, o);
    EXPECT_EQ(decoded->width, p.w);
    EXPECT_EQ(decoded->height, p.h);
    EXPECT_LE(HammingDistance(HashBytes(*jpeg), want), 10) << "orientation " << o;
  }
}

// WebP: lossless WebP is the same pixels as PNG, so the same hash; lossy stays close.
TEST(PdqConformance, WebpMatchesPngOfSamePixels) {
  Pixels p = SharedPhoto();
  ASSERT_EQ(p.c, 3);
  auto png = media::EncodePng(p.px, p.w, p.h, 3, 8);
  auto lossless = media::EncodeWebp(p.px, p.w, p.h, -1);
  auto lossy = media::EncodeWebp(p.px, p.w, p.h, 90);
  ASSERT_TRUE(png.ok() && lossless.ok() && lossy.ok());
  Hash256 hp = HashBytes(*png);
  EXPECT_EQ(HashBytes(*lossless), hp);
  EXPECT_LE(HammingDistance(HashBytes(*lossy), hp), 10);
}

}  // namespace
}  // namespace vigil
