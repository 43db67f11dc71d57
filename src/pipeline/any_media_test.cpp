// HashAnyMedia on generated media of every kind (and one shared clip): the kind sniffed,
// the signals listed, and every value already in the bank's canonical form.
#include "pipeline/any_media.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/file.h"
#include "media/encode.h"
#include "store/model.h"

namespace vigil::pipeline {
namespace {

namespace fs = std::filesystem;

std::vector<uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

std::vector<uint8_t> ReadOrEmpty(const std::string& path) {
  auto r = ReadFileBytes(path, uint64_t{1} << 30);
  return r.ok() ? std::move(r).value() : std::vector<uint8_t>{};
}

std::vector<std::string> Types(const MediaSignals& m) {
  std::vector<std::string> t;
  for (const auto& s : m.signals) t.push_back(s.type);
  return t;
}

// Every value must be accepted by the store unchanged (the canonical form).
void ExpectCanonical(const MediaSignals& m) {
  for (const auto& s : m.signals) {
    auto type = store::ParseSignalType(s.type);
    ASSERT_TRUE(type.ok()) << s.type;
    auto canon = store::CanonicalSignalValue(*type, s.value);
    ASSERT_TRUE(canon.ok()) << s.type << ": " << canon.status().ToString();
    EXPECT_EQ(*canon, s.value) << s.type;
  }
}

// A mono 16-bit WAV: a few notes, long enough to fingerprint.
std::vector<uint8_t> MelodyWav(double seconds) {
  const int rate = 22050;
  const size_t n = static_cast<size_t>(seconds * rate);
  std::vector<uint8_t> w;
  auto u32 = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i) w.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  auto u16 = [&](uint16_t v) {
    w.push_back(static_cast<uint8_t>(v));
    w.push_back(static_cast<uint8_t>(v >> 8));
  };
  auto tag = [&](const char* t) { w.insert(w.end(), t, t + 4); };
  tag("RIFF");
  u32(static_cast<uint32_t>(36 + 2 * n));
  tag("WAVE");
  tag("fmt ");
  u32(16);
  u16(1);
  u16(1);
  u32(rate);
  u32(rate * 2);
  u16(2);
  u16(16);
  tag("data");
  u32(static_cast<uint32_t>(2 * n));
  const double notes[] = {220, 277, 330, 440, 370, 294, 247, 392};
  for (size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate;
    const double f = notes[static_cast<size_t>(t / 0.3) % 8];
    const double v = 0.4 * std::sin(2 * M_PI * f * t) + 0.2 * std::sin(4 * M_PI * f * t);
    u16(static_cast<uint16_t>(static_cast<int16_t>(v * 30000)));
  }
  return w;
}

TEST(AnyMediaTest, ImageGivesPdqAndDigestsLikeHashImageBytes) {
  std::vector<uint8_t> px(64 * 48 * 3);
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>((i * 7) ^ (i / 97));
  auto png = media::EncodePng(px, 64, 48, 3);
  ASSERT_TRUE(png.ok());
  MediaSignals m = HashAnyMedia(*png, {});
  EXPECT_EQ(m.kind, "image");
  EXPECT_EQ(m.error, "");
  EXPECT_EQ(Types(m), (std::vector<std::string>{"pdq", "md5", "sha256"}));
  ASSERT_EQ(m.signals.size(), 3u);
  EXPECT_GE(m.signals[0].quality, 0);
  ExpectCanonical(m);
}

TEST(AnyMediaTest, TextIsNormalisedAndCanonical) {
  MediaSignals m =
      HashAnyMedia(Bytes("\xef\xbb\xbfHello,   WORLD!\nSecond line\t\xc3\xa9t\xc3\xa9"), {});
  EXPECT_EQ(m.kind, "text");
  EXPECT_EQ(Types(m), (std::vector<std::string>{"text", "md5", "sha256"}));
  EXPECT_EQ(m.signals[0].value, "hello world second line ete");
  ExpectCanonical(m);
}

TEST(AnyMediaTest, BinaryIsOtherWithDigestsOnly) {
  std::vector<uint8_t> junk(4096);
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<uint8_t>(i * 131 + 7);
  MediaSignals m = HashAnyMedia(junk, {});
  EXPECT_EQ(m.kind, "other");
  EXPECT_EQ(Types(m), (std::vector<std::string>{"md5", "sha256"}));
}

TEST(AnyMediaTest, OverTheByteLimitGetsNothing) {
  AnyMediaOptions o;
  o.max_bytes = 10;
  MediaSignals m = HashAnyMedia(Bytes("hello world, more than ten bytes"), o);
  EXPECT_TRUE(m.signals.empty());
  EXPECT_NE(m.error.find("resource_exhausted"), std::string::npos) << m.error;
}

TEST(AnyMediaTest, AudioWavGivesChromaprint) {
  MediaSignals m = HashAnyMedia(MelodyWav(8), {});
  EXPECT_EQ(m.kind, "audio");
  EXPECT_EQ(m.error, "");
  EXPECT_EQ(Types(m), (std::vector<std::string>{"audio", "md5", "sha256"}));
  ExpectCanonical(m);
}

TEST(AnyMediaTest, SharedClipGivesVpdqTmkAndDigests) {
  auto bytes = ReadOrEmpty(std::string(VIGIL_TESTDATA_DIR) + "/video/test-padded-dimensions.mp4");
  if (bytes.empty()) GTEST_SKIP() << "shared clip missing";
  MediaSignals m = HashAnyMedia(bytes, {});
  EXPECT_EQ(m.kind, "video");
  EXPECT_EQ(m.error, "");
  EXPECT_EQ(Types(m), (std::vector<std::string>{"vpdq", "tmk", "md5", "sha256"}));
  ExpectCanonical(m);
  // 5 s at 1 frame per second: 5 entries.
  ASSERT_FALSE(m.signals.empty());
  EXPECT_EQ(std::count(m.signals[0].value.begin(), m.signals[0].value.end(), ';'), 4);
  // Limits apply: a frame limit below the clip's frame count fails vPDQ and TMK only.
  AnyMediaOptions tight;
  tight.max_frames = 3;
  MediaSignals t = HashAnyMedia(bytes, tight);
  EXPECT_EQ(t.kind, "video");
  EXPECT_EQ(Types(t), (std::vector<std::string>{"md5", "sha256"}));
  EXPECT_NE(t.error.find("vpdq: resource_exhausted"), std::string::npos) << t.error;
}

TEST(AnyMediaTest, GeneratedVideoWithSoundAndAudioWithCoverArt) {
  if (std::system("ffmpeg -version >/dev/null 2>&1") != 0) GTEST_SKIP() << "no ffmpeg";
  const fs::path dir =
      fs::path(VIGIL_BINARY_DIR) / "testtmp" / ("any-media-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string wav = (dir / "a.wav").string();
  auto w = MelodyWav(6);
  ASSERT_TRUE(WriteFileAtomic(wav, w.data(), w.size()).ok());
  const std::string mp4 = (dir / "v.mp4").string();
  const std::string cover = (dir / "c.png").string();
  const std::string mka = (dir / "a.mka").string();
  const std::string ff = "ffmpeg -nostdin -hide_banner -loglevel error -y ";
  ASSERT_EQ(std::system((ff + "-f lavfi -i testsrc=duration=6:size=128x96:rate=10 -i '" + wav +
                         "' -c:v mpeg4 -c:a aac -shortest '" + mp4 + "'")
                            .c_str()),
            0);
  ASSERT_EQ(
      std::system((ff + "-f lavfi -i testsrc=size=64x64 -frames:v 1 '" + cover + "'").c_str()), 0);
  ASSERT_EQ(
      std::system((ff + "-i '" + wav + "' -i '" + cover +
                   "' -map 0 -map 1 -c:a flac -c:v png -disposition:v attached_pic '" + mka + "'")
                      .c_str()),
      0);
  MediaSignals v = HashAnyMedia(ReadOrEmpty(mp4), {});
  EXPECT_EQ(v.kind, "video");
  EXPECT_EQ(v.error, "");
  EXPECT_EQ(Types(v), (std::vector<std::string>{"vpdq", "tmk", "audio", "md5", "sha256"}));
  ExpectCanonical(v);
  MediaSignals a = HashAnyMedia(ReadOrEmpty(mka), {});
  EXPECT_EQ(a.kind, "audio") << a.error;
  EXPECT_EQ(Types(a), (std::vector<std::string>{"audio", "md5", "sha256"}));
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace vigil::pipeline
