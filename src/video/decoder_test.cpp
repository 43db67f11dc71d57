#include "video/decoder.h"

#include <gtest/gtest.h>

#include <random>

#include "video/test_util.h"
#include "video/tmk.h"
#include "video/vpdq.h"

namespace vigil::video {
namespace {

using testing::ReadOrDie;
using testing::VideoDir;

std::vector<uint8_t> SmallClip() { return ReadOrDie(VideoDir() + "/test-padded-dimensions.mp4"); }

TEST(VideoDecoder, ReportsStreamFacts) {
  const auto bytes = SmallClip();
  auto d = VideoDecoder::Open(bytes);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  const StreamInfo& info = (*d)->info();
  EXPECT_EQ(info.width, 1080);
  EXPECT_EQ(info.height, 1080);
  EXPECT_DOUBLE_EQ(info.avg_frame_rate.ToDouble(), 30.0);
  EXPECT_EQ(info.stream_count, 1);
  int64_t n = 0;
  ASSERT_TRUE((*d)->ForEachFrame([&](const Frame& f) {
                    EXPECT_EQ(f.index(), n);
                    EXPECT_EQ(f.pts(), n * 512);
                    ++n;
                    return Status::OK();
                  })
                  .ok());
  EXPECT_EQ(n, 150);
  EXPECT_EQ((*d)->ForEachFrame([](const Frame&) { return Status::OK(); }).code(),
            StatusCode::kFailedPrecondition);
}

TEST(VideoDecoder, LimitsAreEnforced) {
  const auto bytes = SmallClip();
  VideoLimits l;
  l.max_file_bytes = 1000;
  EXPECT_EQ(VideoDecoder::Open(bytes, l).status().code(), StatusCode::kResourceExhausted);
  l = {};
  l.max_pixels_per_frame = 1000 * 1000;
  EXPECT_EQ(VideoDecoder::Open(bytes, l).status().code(), StatusCode::kResourceExhausted);
  l = {};
  l.max_duration_seconds = 2;
  EXPECT_EQ(VideoDecoder::Open(bytes, l).status().code(), StatusCode::kResourceExhausted);
  l = {};
  l.max_frames = 10;
  VpdqOptions o;
  o.limits = l;
  EXPECT_EQ(HashVpdq(bytes, o).status().code(), StatusCode::kResourceExhausted);
  TmkOptions t;
  t.limits = l;
  EXPECT_EQ(ComputeTmk(bytes, t).status().code(), StatusCode::kResourceExhausted);
}

TEST(VideoDecoder, CorruptInputIsAStatusNotACrash) {
  const auto bytes = SmallClip();
  EXPECT_FALSE(HashVpdq({}).ok());
  std::vector<uint8_t> junk(4096);
  std::mt19937 rng(7);
  for (auto& b : junk) b = static_cast<uint8_t>(rng());
  EXPECT_FALSE(HashVpdq(junk).ok());
  EXPECT_FALSE(ComputeTmk(junk).ok());
  // Header only: the moov box without enough media.
  std::vector<uint8_t> head(bytes.begin(), bytes.begin() + 2000);
  EXPECT_FALSE(HashVpdq(head).ok());
  // Damaged media: every 97th byte after the header flipped. Decoding may succeed with
  // concealment or fail; it must not crash.
  std::vector<uint8_t> damaged = bytes;
  for (size_t i = 3000; i < damaged.size(); i += 97) damaged[i] ^= 0x5a;
  (void)HashVpdq(damaged);
  // Truncated: the first half (the mp4 index at the end is missing, or the media is cut).
  std::vector<uint8_t> half(bytes.begin(), bytes.begin() + bytes.size() / 2);
  auto r = HashVpdq(half);
  if (!r.ok()) {
    EXPECT_NE(r.status().message(), "");
  }
}

}  // namespace
}  // namespace vigil::video
