#include "video/vpdq.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>

#include "video/test_util.h"

namespace vigil::video {
namespace {

using testing::ClipNames;
using testing::ReadOrDie;
using testing::VideoDir;

Hash256 H(const char* hex) { return *Hash256::FromHex(hex); }

// Frames hashed per clip by the conformance test: the first 3 seconds of each clip keep
// the ASan run short; VIGIL_VIDEO_FULL=1 checks every frame of every clip (5872 frames).
int64_t ConformanceFrames() {
  const char* full = std::getenv("VIGIL_VIDEO_FULL");
  return full != nullptr && std::string(full) == "1" ? 0 : 90;
}

// Every frame of every shared clip (see ConformanceFrames) against the reference's output
// on the same FFmpeg. The clips are hashed two at a time (the machine's cores); the
// distribution of per-frame distances is printed and must be all zeros.
TEST(VpdqConformance, EveryFrameMatchesReference) {
  const auto names = ClipNames();
  ASSERT_GE(names.size(), 14u) << "shared clips missing under " << VideoDir();
  std::vector<Result<std::vector<VpdqFrame>>> got(names.size(), Status::Internal("unset"));
  std::vector<std::thread> workers;
  const size_t n_workers = 2;
  for (size_t w = 0; w < n_workers; ++w) {
    workers.emplace_back([&, w] {
      for (size_t i = w; i < names.size(); i += n_workers) {
        const auto bytes = ReadOrDie(VideoDir() + "/" + names[i] + ".mp4");
        VpdqOptions o;
        o.seconds_per_hash = 0;  // every frame, like `vpdq-hash-video -r 0`
        o.max_hashes = ConformanceFrames();
        got[i] = HashVpdq(bytes, o);
      }
    });
  }
  for (auto& t : workers) t.join();

  std::map<int, int> histogram;
  int frames = 0, quality_diff = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    SCOPED_TRACE(names[i]);
    ASSERT_TRUE(got[i].ok()) << got[i].status().ToString();
    const std::string text =
        std::string(reinterpret_cast<const char*>(
                        ReadOrDie(VideoDir() + "/expected-vpdq/" + names[i] + ".txt").data()),
                    ReadOrDie(VideoDir() + "/expected-vpdq/" + names[i] + ".txt").size());
    auto want = ParseVpdq(text);
    ASSERT_TRUE(want.ok()) << want.status().ToString();
    const int64_t limit = ConformanceFrames();
    if (limit > 0 && static_cast<int64_t>(want->size()) > limit) want->resize(limit);
    ASSERT_EQ(got[i]->size(), want->size());
    for (size_t k = 0; k < want->size(); ++k) {
      const VpdqFrame& g = (*got[i])[k];
      const VpdqFrame& e = (*want)[k];
      ASSERT_EQ(g.frame_number, e.frame_number);
      ++histogram[HammingDistance(g.hash, e.hash)];
      quality_diff += g.quality != e.quality;
      ++frames;
    }
    // Byte-identical text wherever the hashes agree.
    if (FormatVpdq(*got[i]) == FormatVpdq(*want)) ++histogram[-1];
    if (limit == 0) {
      EXPECT_EQ(FormatVpdq(*got[i]), text);
    }
  }
  std::printf("vPDQ conformance: %d frames in %zu clips; %d clips byte-identical\n", frames,
              names.size(), histogram[-1]);
  for (const auto& [d, n] : histogram) {
    if (d >= 0) std::printf("  distance %3d: %d frames\n", d, n);
  }
  EXPECT_EQ(histogram[0], frames) << "frames whose hash differs from the reference";
  EXPECT_EQ(quality_diff, 0);
  EXPECT_EQ(histogram[-1], static_cast<int>(names.size()));
}

TEST(Vpdq, SamplingOnePerSecondKeepsEveryThirtiethFrame) {
  const auto bytes = ReadOrDie(VideoDir() + "/doorknob-hd-no-bar.mp4");
  auto got = HashVpdq(bytes);  // default: one hash per second
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 4u);  // 120 frames at 30 fps
  const std::string text(
      reinterpret_cast<const char*>(
          ReadOrDie(VideoDir() + "/expected-vpdq/doorknob-hd-no-bar.txt").data()),
      ReadOrDie(VideoDir() + "/expected-vpdq/doorknob-hd-no-bar.txt").size());
  auto all = ParseVpdq(text);
  ASSERT_TRUE(all.ok());
  for (size_t i = 0; i < got->size(); ++i) {
    EXPECT_EQ((*got)[i].frame_number, static_cast<int>(i * 30));
    EXPECT_EQ((*got)[i], (*all)[i * 30]);
  }
}

TEST(VpdqText, RoundTripsAndRejectsGarbage) {
  std::vector<VpdqFrame> frames = {
      {0, 100, H("e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c"), 0.0},
      {1, 42, H("c0f1117837246aaccddea259648fbfd62f434c89c9e99b249776be216c8d055c"),
       static_cast<double>(1.0f / 30.0f)},
  };
  const std::string text = FormatVpdq(frames);
  EXPECT_EQ(text,
            "0,100,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0.000\n"
            "1,42,c0f1117837246aaccddea259648fbfd62f434c89c9e99b249776be216c8d055c,0.033\n");
  auto back = ParseVpdq(text);
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[1].hash, frames[1].hash);
  EXPECT_EQ((*back)[1].quality, 42);
  EXPECT_DOUBLE_EQ((*back)[1].timestamp, 0.033);

  for (const char* bad :
       {"", "\n\n", "0,100,zz,0.0", "0,100",
        "x,1,"
        "e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0",
        "0,101,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0",
        "0,1,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,nan",
        "-1,1,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0"}) {
    EXPECT_FALSE(ParseVpdq(bad).ok()) << bad;
  }
  EXPECT_EQ(ParseVpdq(text, 1).status().code(), StatusCode::kResourceExhausted);
}

VpdqFrame F(int n, int q, Hash256 h) { return {n, q, h, n / 30.0}; }

Hash256 Flip(Hash256 h, int bits, int start = 0) {
  for (int i = 0; i < bits; ++i) h.FlipBit((start + i * 7) % 256);
  return h;
}

TEST(VpdqMatch, UpstreamRule) {
  const Hash256 a = H("e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c");
  const Hash256 b = H("48d966d9672cb325b92be90b0bdacad377a6102dbf69c2d4cc956cf40034bd52");
  const Hash256 c = Flip(a, 100);
  // Duplicates and low-quality frames do not count.
  std::vector<VpdqFrame> q = {F(0, 100, a), F(1, 100, a), F(2, 100, b), F(3, 10, c)};
  std::vector<VpdqFrame> t = {F(0, 100, Flip(a, 31)), F(1, 90, Flip(b, 5))};
  VpdqMatchResult r = MatchVpdq(q, t);
  EXPECT_DOUBLE_EQ(r.query_match_percent, 100.0);
  EXPECT_DOUBLE_EQ(r.compared_match_percent, 100.0);
  EXPECT_TRUE(r.is_match);
  // Distance 32 is beyond D = 31.
  t = {F(0, 100, Flip(a, 32)), F(1, 90, Flip(b, 5))};
  r = MatchVpdq(q, t);
  EXPECT_DOUBLE_EQ(r.compared_match_percent, 50.0);
  EXPECT_DOUBLE_EQ(r.query_match_percent, 50.0);
  EXPECT_FALSE(r.is_match);
  // Nothing of good quality: no match.
  r = MatchVpdq({}, t);
  EXPECT_FALSE(r.is_match);
}

// The bank (frame-level radius search) gives the brute-force pairwise percentages.
TEST(VpdqMatch, BankAgreesWithPairwiseOnSharedClips) {
  const auto names = ClipNames();
  std::vector<std::vector<VpdqFrame>> videos;
  for (const auto& n : names) {
    const auto bytes = ReadOrDie(VideoDir() + "/expected-vpdq/" + n + ".txt");
    auto v = ParseVpdq(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    ASSERT_TRUE(v.ok()) << n;
    videos.push_back(std::move(v).value());
  }
  VpdqBank bank;
  for (size_t i = 0; i < videos.size(); ++i) ASSERT_TRUE(bank.Add(i, videos[i]).ok());
  EXPECT_EQ(bank.Add(0, videos[0]).code(), StatusCode::kAlreadyExists);
  int matches = 0;
  for (size_t i = 0; i < videos.size(); ++i) {
    const auto found = bank.Search(videos[i]);
    size_t k = 0;
    for (size_t j = 0; j < videos.size(); ++j) {
      const VpdqMatchResult want = MatchVpdq(videos[i], videos[j]);
      if (!want.is_match) continue;
      ++matches;
      ASSERT_LT(k, found.size()) << names[i] << " vs " << names[j];
      EXPECT_EQ(found[k].video_id, j);
      EXPECT_DOUBLE_EQ(found[k].result.query_match_percent, want.query_match_percent);
      EXPECT_DOUBLE_EQ(found[k].result.compared_match_percent, want.compared_match_percent);
      ++k;
    }
    EXPECT_EQ(k, found.size()) << names[i];
    // Every clip matches itself.
    EXPECT_TRUE(MatchVpdq(videos[i], videos[i]).is_match);
  }
  // The chair edits match one another, the pattern edits one another; chair never
  // matches pattern.
  for (size_t i = 0; i < videos.size(); ++i) {
    for (size_t j = 0; j < videos.size(); ++j) {
      const bool chair_i = names[i].rfind("chair", 0) == 0;
      const bool pattern_j = names[j].rfind("pattern", 0) == 0;
      if (chair_i && pattern_j) {
        EXPECT_FALSE(MatchVpdq(videos[i], videos[j]).is_match);
      }
    }
  }
  std::printf("vPDQ matches among %zu shared clips: %d ordered pairs\n", videos.size(), matches);
}

}  // namespace
}  // namespace vigil::video
