// MediaIndex and Matcher on media signals, each against its brute-force or reference
// answer: vPDQ bank search over the MIH index vs the pairwise rule (MatchVpdq) and the
// brute-force FrameSearcher; TMK vs pairwise TmkCompare on the shared .tmk files; audio vs
// CompareFingerprints on generated melodies; text vs TextIndex::QueryBruteForce.
#include "match/media_index.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "audio/audio.h"
#include "core/file.h"
#include "match/matcher.h"
#include "store/test_db.h"
#include "text/minhash.h"
#include "text/normalize.h"
#include "video/tmk.h"
#include "video/vpdq.h"

namespace vigil::match {
namespace {

using store::SignalType;

std::string VpdqValue(const std::vector<video::VpdqFrame>& frames) {
  std::string v = video::FormatVpdq(frames);
  while (!v.empty() && v.back() == '\n') v.pop_back();
  std::replace(v.begin(), v.end(), '\n', ';');
  return v;
}

Hash256 RandomHash(std::mt19937_64& rng) {
  Hash256 h;
  for (auto& w : h.w) w = rng();
  return h;
}

Hash256 FlipBits(Hash256 h, int bits, std::mt19937_64& rng) {
  for (int i = 0; i < bits; ++i) {
    const int b = static_cast<int>(rng() % 256);
    h.w[b / 64] ^= uint64_t{1} << (b % 64);
  }
  return h;
}

std::string Base64(const std::vector<uint8_t>& bytes) {
  static constexpr char kA[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    for (int k = 3; k >= 0; --k) out += kA[(v >> (6 * k)) & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = uint32_t{bytes[i]} << 16;
    if (i + 1 < bytes.size()) v |= uint32_t{bytes[i + 1]} << 8;
    out += kA[v >> 18];
    out += kA[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kA[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Random videos, and queries made from them by flipping bits, dropping and adding frames.
struct VpdqFixture {
  std::vector<std::vector<video::VpdqFrame>> stored;
  std::vector<std::vector<video::VpdqFrame>> queries;
  explicit VpdqFixture(int videos, int frames, uint32_t seed) {
    std::mt19937_64 rng(seed);
    for (int v = 0; v < videos; ++v) {
      std::vector<video::VpdqFrame> f;
      const Hash256 base = RandomHash(rng);
      for (int i = 0; i < frames; ++i) {
        // Consecutive frames of a shot are close to each other, as in real video.
        Hash256 h = i % 5 == 0 ? RandomHash(rng) : FlipBits(base, 20, rng);
        f.push_back({i, 40 + static_cast<int>(rng() % 61), h, i * 1.0});
      }
      stored.push_back(std::move(f));
    }
    for (int v = 0; v < videos; v += 2) {
      std::vector<video::VpdqFrame> q;
      for (const auto& fr : stored[v]) {
        if (rng() % 10 == 0) continue;  // a cut
        auto copy = fr;
        copy.hash = FlipBits(fr.hash, static_cast<int>(rng() % 24), rng);  // re-encoding
        q.push_back(copy);
      }
      for (int k = 0; k < 5; ++k) q.push_back({1000 + k, 90, RandomHash(rng), 0});
      queries.push_back(std::move(q));
    }
  }
};

TEST(MediaIndexTest, VpdqOverMihAgreesWithPairwiseRuleAndBruteForceBank) {
  VpdqFixture fx(60, 30, 7);
  MediaIndex index;
  video::VpdqBank brute;  // the brute-force FrameSearcher
  for (size_t i = 0; i < fx.stored.size(); ++i) {
    ASSERT_TRUE(
        index.Add(static_cast<int64_t>(i + 1), SignalType::kVpdq, VpdqValue(fx.stored[i])).ok());
    ASSERT_TRUE(brute.Add(i + 1, fx.stored[i]).ok());
  }
  int matches = 0;
  for (const auto& q : fx.queries) {
    std::map<int64_t, double> expected;
    for (size_t i = 0; i < fx.stored.size(); ++i) {
      auto r = video::MatchVpdq(q, fx.stored[i]);
      if (r.is_match) expected[static_cast<int64_t>(i + 1)] = r.compared_match_percent / 100;
    }
    std::map<int64_t, double> got;
    for (const auto& h : index.Search(SignalType::kVpdq, VpdqValue(q))) got[h.id] = h.score;
    std::map<int64_t, double> bank;
    for (const auto& m : brute.Search(q)) {
      bank[static_cast<int64_t>(m.video_id)] = m.result.compared_match_percent / 100;
    }
    EXPECT_EQ(got, expected);
    EXPECT_EQ(got, bank);
    matches += static_cast<int>(got.size());
  }
  EXPECT_GE(matches, static_cast<int>(fx.queries.size()) / 2);  // the rule does find copies
  // Removal hides a video at once.
  index.Remove(1);
  for (const auto& h : index.Search(SignalType::kVpdq, VpdqValue(fx.queries[0]))) {
    EXPECT_NE(h.id, 1);
  }
}

TEST(MediaIndexTest, TmkAgreesWithPairwiseCompareOnSharedSignatures) {
  const std::string dir = std::string(VIGIL_TESTDATA_DIR) + "/video/expected-tmk";
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".tmk") files.push_back(e.path().string());
  }
  if (files.empty()) GTEST_SKIP() << "shared .tmk files missing";
  std::sort(files.begin(), files.end());
  files.resize(std::min<size_t>(files.size(), 5));  // keep the ASan run short
  std::vector<video::TmkSignature> sigs;
  std::vector<std::string> values;
  MediaIndex index;
  for (size_t i = 0; i < files.size(); ++i) {
    auto bytes = ReadFileBytes(files[i], 1 << 20);
    ASSERT_TRUE(bytes.ok());
    auto sig = video::ParseTmk(*bytes);
    ASSERT_TRUE(sig.ok()) << files[i];
    sigs.push_back(*sig);
    values.push_back(Base64(*bytes));
    ASSERT_TRUE(store::CanonicalSignalValue(SignalType::kTmk, values.back()).ok());
    ASSERT_TRUE(index.Add(static_cast<int64_t>(i + 1), SignalType::kTmk, values.back()).ok());
  }
  int pairs = 0;
  for (size_t q = 0; q < sigs.size(); ++q) {
    std::set<int64_t> expected, got;
    for (size_t c = 0; c < sigs.size(); ++c) {
      auto m = video::TmkCompare(sigs[q], sigs[c]);
      ASSERT_TRUE(m.ok());
      if (m->is_match) expected.insert(static_cast<int64_t>(c + 1));
    }
    for (const auto& h : index.Search(SignalType::kTmk, values[q])) got.insert(h.id);
    EXPECT_EQ(got, expected) << files[q];
    EXPECT_TRUE(got.count(static_cast<int64_t>(q + 1)));  // itself
    pairs += static_cast<int>(got.size());
  }
  EXPECT_GT(pairs, static_cast<int>(sigs.size()));  // some clips match each other
}

std::vector<int16_t> Melody(uint32_t seed, double seconds, int rate) {
  std::mt19937 rng(seed);
  const double scale[] = {0, 2, 4, 7, 9, 12, 14, 16, 19, 21};
  std::uniform_int_distribution<int> note(0, 9);
  std::uniform_real_distribution<double> len(0.2, 0.5);
  std::vector<int16_t> out(static_cast<size_t>(seconds * rate));
  double t0 = 0, dur = 0, freq = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    const double t = static_cast<double>(i) / rate;
    if (t >= t0 + dur) {
      t0 = t;
      dur = len(rng);
      freq = 220.0 * std::pow(2.0, scale[note(rng)] / 12.0);
    }
    const double u = t - t0;
    const double v = 0.5 * std::min(1.0, u / 0.02) * std::exp(-2.0 * u) *
                     (std::sin(2 * M_PI * freq * u) + 0.4 * std::sin(4 * M_PI * freq * u));
    out[i] = static_cast<int16_t>(std::clamp(v, -1.0, 1.0) * 30000);
  }
  return out;
}

TEST(MediaIndexTest, AudioFindsTheCutAndAgreesWithCompareFingerprints) {
  const int rate = 11025;
  MediaIndex index;
  std::vector<audio::AudioFingerprint> fps;
  for (uint32_t s = 1; s <= 3; ++s) {
    auto fp = audio::FingerprintPcm(Melody(s, 20, rate), rate);
    ASSERT_TRUE(fp.ok());
    auto enc = audio::EncodeFingerprint(*fp);
    ASSERT_TRUE(enc.ok());
    ASSERT_TRUE(store::CanonicalSignalValue(SignalType::kAudio, *enc).ok());
    ASSERT_TRUE(index.Add(s, SignalType::kAudio, *enc).ok());
    fps.push_back(*fp);
  }
  // Seconds 5..15 of melody 2.
  auto full = Melody(2, 20, rate);
  std::vector<int16_t> cut(full.begin() + 5 * rate, full.begin() + 15 * rate);
  auto q = audio::FingerprintPcm(cut, rate);
  ASSERT_TRUE(q.ok());
  auto qv = audio::EncodeFingerprint(*q);
  ASSERT_TRUE(qv.ok());
  std::set<int64_t> expected, got;
  for (size_t i = 0; i < fps.size(); ++i) {
    if (audio::CompareFingerprints(q->raw, fps[i].raw).match) {
      expected.insert(static_cast<int64_t>(i + 1));
    }
  }
  for (const auto& h : index.Search(SignalType::kAudio, *qv)) got.insert(h.id);
  EXPECT_EQ(got, expected);
  EXPECT_EQ(got, (std::set<int64_t>{2}));
}

TEST(MediaIndexTest, TextExactNormalisedAndNearDuplicates) {
  const std::vector<std::string> texts = {
      "The quick brown fox jumps over the lazy dog near the old river bank today",
      "Completely unrelated words about gardening tomatoes and cucumbers in spring",
      "A statement about weather: sunny mornings, cloudy afternoons and rain at night",
  };
  MediaIndex index;
  text::TextIndex reference;
  for (size_t i = 0; i < texts.size(); ++i) {
    ASSERT_TRUE(index.Add(static_cast<int64_t>(i + 1), SignalType::kText, texts[i]).ok());
    auto form = text::MatchingForm(texts[i]);
    ASSERT_TRUE(form.ok());
    reference.Add(i + 1, *text::ComputeMinHash(*form));
  }
  // Exact after normalisation: case, punctuation and spacing differ.
  auto exact = index.Search(SignalType::kText,
                            "THE QUICK brown fox -- jumps over the lazy dog, "
                            "near the old river bank TODAY!");
  ASSERT_EQ(exact.size(), 1u);
  EXPECT_EQ(exact[0].id, 1);
  EXPECT_EQ(exact[0].score, 1.0);
  // A re-typed copy with a few edits: what a scan of every stored fingerprint finds.
  const std::string near =
      "A statement about the weather: sunny mornings, cloudy afternoons and rain at night!!";
  std::set<int64_t> expected, got;
  for (const auto& t :
       reference.QueryBruteForce(*text::ComputeMinHash(*text::MatchingForm(near)))) {
    expected.insert(static_cast<int64_t>(t.id));
  }
  for (const auto& h : index.Search(SignalType::kText, near)) got.insert(h.id);
  EXPECT_EQ(got, expected);
  EXPECT_EQ(got, (std::set<int64_t>{3}));
  EXPECT_TRUE(index.Search(SignalType::kText, "nothing like any of them at all, really").empty());
}

// The whole path: values stored in a bank (canonicalised by the store), loaded by the
// Matcher, matched, then removed and refreshed away.
TEST(MatcherMediaTest, LoadMatchRemoveThroughTheStore) {
  const std::string db = store::testing::NewDatabase(store::Backend::kSqlite);
  ASSERT_FALSE(db.empty());
  auto st = store::OpenStore(db);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  store::Store& s = **st;
  store::Bank b;
  b.name = "media";
  auto bank = s.CreateBank("test", b);
  ASSERT_TRUE(bank.ok()) << bank.status().ToString();
  VpdqFixture fx(4, 20, 11);
  std::vector<store::SignalInput> in;
  for (const auto& v : fx.stored) in.push_back({SignalType::kVpdq, VpdqValue(v), -1, {}, "test"});
  in.push_back({SignalType::kText, "Hello World, this is a benign test statement", -1, {}, "test"});
  ASSERT_TRUE(s.AddSignals("test", bank->id, in, 0).ok());

  Matcher m;
  ASSERT_TRUE(m.Load(s).ok());
  auto all = [](int64_t) { return true; };
  auto hits = m.Match(SignalType::kVpdq, VpdqValue(fx.queries[0]), 31, all);
  std::set<int64_t> expected_values;
  for (size_t i = 0; i < fx.stored.size(); ++i) {
    if (video::MatchVpdq(fx.queries[0], fx.stored[i]).is_match) expected_values.insert(i);
  }
  ASSERT_EQ(hits.size(), expected_values.size());
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].info.value, VpdqValue(fx.stored[0]));
  EXPECT_GT(hits[0].score, 0.5);
  auto text_hits =
      m.Match(SignalType::kText, "hello world this is a BENIGN test statement!", 0, all);
  ASSERT_EQ(text_hits.size(), 1u);
  EXPECT_EQ(text_hits[0].distance, 0);

  // Remove the first video; RefreshBank takes it out of the answers.
  std::vector<store::MediaSignal> rm = {{SignalType::kVpdq, VpdqValue(fx.stored[0]), -1}};
  ASSERT_TRUE(s.RemoveSignals("test", bank->id, rm).ok());
  ASSERT_TRUE(m.RefreshBank(s, bank->id).ok());
  for (const auto& h : m.Match(SignalType::kVpdq, VpdqValue(fx.queries[0]), 31, all)) {
    EXPECT_NE(h.info.value, VpdqValue(fx.stored[0]));
  }
}

}  // namespace
}  // namespace vigil::match
