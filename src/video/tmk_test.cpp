#include "video/tmk.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <thread>

#include "video/test_util.h"

namespace vigil::video {
namespace {

using testing::ClipNames;
using testing::ReadOrDie;
using testing::VideoDir;

TmkSignature LoadExpected(const std::string& name) {
  auto sig = ParseTmk(ReadOrDie(VideoDir() + "/expected-tmk/" + name + ".tmk"));
  EXPECT_TRUE(sig.ok()) << name << ": " << sig.status().ToString();
  return sig.ok() ? std::move(sig).value() : TmkSignature{};
}

// vigil's TMK+PDQF of every shared clip against tmk-hash-video's on the same FFmpeg:
// byte-identical files, and the same level-1/level-2 scores and decisions over every pair
// (including the two full-HD clips only the .tmk files of which are shared).
TEST(TmkConformance, SignaturesAndScoresMatchReference) {
  std::vector<std::string> names;
  for (const auto& n : ClipNames()) {
    std::error_code ec;
    if (std::filesystem::exists(VideoDir() + "/expected-tmk/" + n + ".tmk", ec)) names.push_back(n);
  }
  ASSERT_GE(names.size(), 13u);
  std::vector<Result<TmkSignature>> got(names.size(), Status::Internal("unset"));
  std::vector<std::thread> workers;
  for (size_t w = 0; w < 2; ++w) {
    workers.emplace_back([&, w] {
      for (size_t i = w; i < names.size(); i += 2) {
        got[i] = ComputeTmk(ReadOrDie(VideoDir() + "/" + names[i] + ".mp4"));
      }
    });
  }
  for (auto& t : workers) t.join();

  int identical = 0;
  std::vector<TmkSignature> mine, ref;
  for (size_t i = 0; i < names.size(); ++i) {
    SCOPED_TRACE(names[i]);
    ASSERT_TRUE(got[i].ok()) << got[i].status().ToString();
    const auto want_bytes = ReadOrDie(VideoDir() + "/expected-tmk/" + names[i] + ".tmk");
    const auto bytes = SerializeTmk(*got[i]);
    EXPECT_EQ(bytes.size(), kTmkFileBytes);
    EXPECT_EQ(got[i]->frame_feature_count, LoadExpected(names[i]).frame_feature_count);
    if (bytes == want_bytes) ++identical;
    mine.push_back(*got[i]);
    ref.push_back(LoadExpected(names[i]));
  }
  // The shared .tmk files without a clip take part as the other side of pairs.
  for (const char* extra : {"chair-orig-22-fhd-no-bar", "chair-orig-22-hd-no-bar"}) {
    TmkSignature s = LoadExpected(extra);
    mine.push_back(s);
    ref.push_back(s);
  }
  double max_d1 = 0, max_d2 = 0;
  int pairs = 0, decision_diff = 0, matches = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    for (size_t j = i + 1; j < mine.size(); ++j) {
      auto g = TmkCompare(mine[i], mine[j], -2.0f, 0.0f);
      auto w = TmkCompare(ref[i], ref[j], -2.0f, 0.0f);
      ASSERT_TRUE(g.ok() && w.ok());
      max_d1 = std::max(max_d1, static_cast<double>(std::fabs(g->level1 - w->level1)));
      max_d2 = std::max(max_d2, static_cast<double>(std::fabs(g->level2 - w->level2)));
      const bool gm = g->level1 >= kTmkLevel1Threshold && g->level2 >= kTmkLevel2Threshold;
      const bool wm = w->level1 >= kTmkLevel1Threshold && w->level2 >= kTmkLevel2Threshold;
      decision_diff += gm != wm;
      matches += wm;
      ++pairs;
    }
  }
  std::printf(
      "TMK conformance: %d of %zu signatures byte-identical; %d pairs, %d matches, "
      "max |level1 delta| %.3g, max |level2 delta| %.3g, %d decisions differ\n",
      identical, names.size(), pairs, matches, max_d1, max_d2, decision_diff);
  EXPECT_LE(max_d1, 0.001);
  EXPECT_LE(max_d2, 0.001);
  EXPECT_EQ(decision_diff, 0);
  EXPECT_EQ(identical, static_cast<int>(names.size()));
}

TEST(Tmk, ParseRejectsMalformedFiles) {
  auto good = ReadOrDie(VideoDir() + "/expected-tmk/doorknob-hd-no-bar.tmk");
  ASSERT_EQ(good.size(), kTmkFileBytes);
  auto sig = ParseTmk(good);
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(SerializeTmk(*sig), good);
  EXPECT_EQ(sig->frame_feature_count, 62);

  EXPECT_FALSE(ParseTmk({}).ok());
  auto bad = good;
  bad[0] = 'X';
  EXPECT_EQ(ParseTmk(bad).status().code(), StatusCode::kCorruption);
  bad = good;
  bad.pop_back();
  EXPECT_EQ(ParseTmk(bad).status().code(), StatusCode::kCorruption);
  bad = good;
  const int32_t huge = 1 << 30;
  std::memcpy(bad.data() + 16, &huge, 4);  // period count
  EXPECT_EQ(ParseTmk(bad).status().code(), StatusCode::kCorruption);
  bad = good;
  const float nan = std::nanf("");
  std::memcpy(bad.data() + 1000, &nan, 4);
  EXPECT_EQ(ParseTmk(bad).status().code(), StatusCode::kCorruption);
}

TEST(Tmk, SelfScoresAreOneAndIncompatibleIsAnError) {
  TmkSignature a = LoadExpected("pattern-hd-no-bar");
  auto m = TmkCompare(a, a);
  ASSERT_TRUE(m.ok());
  EXPECT_NEAR(m->level1, 1.0f, 1e-5);
  EXPECT_NEAR(m->level2, 1.0f, 1e-3);
  EXPECT_TRUE(m->is_match);
  TmkSignature b = a;
  b.periods[0] += 1;
  EXPECT_EQ(TmkLevel1Score(a, b).status().code(), StatusCode::kInvalidArgument);
}

// The ffmpeg CLI's 30 -> 15 fps conversion keeps frames 0, 1, 2, 3 and then every odd one.
TEST(CfrResampler, ThirtyToFifteenLikeTheCli) {
  CfrResampler cfr({1, 15360}, {30, 1}, 15, false);
  std::vector<int> shown;
  for (int i = 0; i < 20; ++i) {
    auto e = cfr.Next(int64_t{512} * i, 512);
    EXPECT_EQ(e.repeat_previous, 0);
    if (e.current > 0) shown.push_back(i);
  }
  EXPECT_EQ(shown, (std::vector<int>{0, 1, 2, 3, 5, 7, 9, 11, 13, 15, 17, 19}));
  EXPECT_EQ(cfr.Flush(), 0);
}

// 10 fps into 15: some frames are shown twice.
TEST(CfrResampler, DuplicatesWhenInputIsSlower) {
  CfrResampler cfr({1, 10}, {10, 1}, 15, false);
  int out = 0;
  for (int i = 0; i < 100; ++i) {
    auto e = cfr.Next(i, 1);
    out += e.repeat_previous + e.current;
  }
  out += cfr.Flush();
  EXPECT_NEAR(out, 150, 2);
}

}  // namespace
}  // namespace vigil::video
