// Matcher: the lean load (id, type and value only; provenance fetched lazily by signal id)
// against the full load, which is the reference, and both against a brute-force oracle over
// the store's rows for PDQ and the exact types. A few thousand random signals of every type
// in three banks, some removed before the load; then adds, removals, revivals and merged
// labels applied with RefreshBank. On SQLite and PostgreSQL.
#include "match/matcher.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "audio/audio.h"
#include "core/file.h"
#include "store/test_db.h"
#include "video/vpdq.h"

namespace vigil::match {
namespace {

using store::Backend;
using store::SignalType;

constexpr int kRadius = 31;

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

std::string Hex(std::mt19937_64& rng, size_t digits) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < digits; ++i) s += kDigits[rng() % 16];
  return s;
}

std::string VpdqValue(std::mt19937_64& rng, const Hash256& base) {
  std::vector<video::VpdqFrame> frames;
  for (int i = 0; i < 12; ++i) {
    frames.push_back({i, 60 + static_cast<int>(rng() % 40), FlipBits(base, 12, rng), i * 1.0});
  }
  std::string v = video::FormatVpdq(frames);
  while (!v.empty() && v.back() == '\n') v.pop_back();
  std::replace(v.begin(), v.end(), '\n', ';');
  return v;
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

// Benign synthetic tones (a few seconds), fingerprinted as bank values.
std::string AudioValue(uint32_t seed) {
  const int rate = 11025;
  std::mt19937 rng(seed);
  std::vector<int16_t> pcm(static_cast<size_t>(6 * rate));
  double freq = 220;
  for (size_t i = 0; i < pcm.size(); ++i) {
    if (i % (rate / 4) == 0) freq = 220.0 * std::pow(2.0, static_cast<double>(rng() % 12) / 12.0);
    const double t = static_cast<double>(i) / rate;
    pcm[i] = static_cast<int16_t>(12000 * std::sin(2 * M_PI * freq * t));
  }
  auto fp = audio::FingerprintPcm(pcm, rate);
  if (!fp.ok()) return "";
  auto enc = audio::EncodeFingerprint(*fp);
  return enc.ok() ? *enc : "";
}

const char* const kLabels[] = {"severity:high", "content_type:image", "behaviour:recruitment"};

void ExpectSameInfo(const SignalInfo& a, const SignalInfo& b, const std::string& where) {
  EXPECT_EQ(a.id, b.id) << where;
  EXPECT_EQ(a.bank_id, b.bank_id) << where;
  EXPECT_EQ(a.type, b.type) << where;
  EXPECT_EQ(a.value, b.value) << where;
  EXPECT_EQ(a.quality, b.quality) << where;
  EXPECT_EQ(a.labels, b.labels) << where;
  EXPECT_EQ(a.contributor_org_id, b.contributor_org_id) << where;
  EXPECT_EQ(a.source_exchange, b.source_exchange) << where;
  EXPECT_EQ(a.live, b.live) << where;
}

void ExpectSameHits(const std::vector<SignalHit>& a, const std::vector<SignalHit>& b,
                    const std::string& where) {
  ASSERT_EQ(a.size(), b.size()) << where;
  for (size_t i = 0; i < a.size(); ++i) {
    ExpectSameInfo(a[i].info, b[i].info, where + " hit " + std::to_string(i));
    EXPECT_EQ(a[i].distance, b[i].distance) << where;
    EXPECT_EQ(a[i].score, b[i].score) << where;
  }
}

class MatcherLoadTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    db_ = store::testing::NewDatabase(GetParam());
    ASSERT_FALSE(db_.empty());
    auto s = store::OpenStore(db_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = *std::move(s);
    for (const char* name : {"alpha", "beta", "gamma"}) {
      store::Bank b;
      b.name = name;
      auto r = store_->CreateBank("test", b);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      banks_.push_back(r->id);
    }
    auto org = store_->CreateOrganisation("test", "contrib", "synthetic");
    ASSERT_TRUE(org.ok());
    org_ = org->id;
  }

  store::SignalInput Random(SignalType type) {
    store::SignalInput in;
    in.type = type;
    switch (type) {
      case SignalType::kPdq:
        // Clusters of near copies, so a query finds several signals at several distances.
        if (!pdq_bases_.empty() && rng_() % 3 != 0) {
          in.value =
              FlipBits(pdq_bases_[rng_() % pdq_bases_.size()], static_cast<int>(rng_() % 40), rng_)
                  .ToHex();
        } else {
          pdq_bases_.push_back(RandomHash(rng_));
          in.value = pdq_bases_.back().ToHex();
        }
        in.quality = static_cast<int>(rng_() % 101);
        break;
      case SignalType::kMd5: in.value = Hex(rng_, 32); break;
      case SignalType::kSha256: in.value = Hex(rng_, 64); break;
      case SignalType::kUrl:
        in.value = "https://example.org/item/" + std::to_string(rng_() % 100'000);
        break;
      case SignalType::kText:
        in.value = "benign synthetic statement number " + std::to_string(rng_() % 100'000) +
                   " about the weather";
        break;
      case SignalType::kVpdq:
        in.value = VpdqValue(rng_, vpdq_bases_[rng_() % vpdq_bases_.size()]);
        break;
      default: break;
    }
    if (rng_() % 2) in.labels.push_back(kLabels[rng_() % 3]);
    if (rng_() % 4 == 0) in.source_exchange = "file:import-" + std::to_string(rng_() % 5);
    return in;
  }

  // Adds signals of every type to random banks; the same value sometimes goes to two banks.
  void AddRandom(int n) {
    std::map<int64_t, std::vector<store::SignalInput>> by_bank;
    for (int i = 0; i < n; ++i) {
      const uint64_t r = rng_() % 100;
      SignalType t = r < 55   ? SignalType::kPdq
                     : r < 67 ? SignalType::kMd5
                     : r < 77 ? SignalType::kSha256
                     : r < 87 ? SignalType::kUrl
                     : r < 97 ? SignalType::kText
                              : SignalType::kVpdq;
      store::SignalInput in = Random(t);
      by_bank[banks_[rng_() % banks_.size()]].push_back(in);
      if (rng_() % 20 == 0) by_bank[banks_[rng_() % banks_.size()]].push_back(in);
    }
    for (auto& [bank, in] : by_bank) {
      auto r = store_->AddSignals("test", bank, in, rng_() % 2 ? org_ : 0);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
  }

  // Every stored signal (live and removed), by bank, in id order.
  std::vector<store::Signal> AllSignals() {
    std::vector<store::Signal> out;
    for (int64_t b : banks_) {
      store::SignalQuery q;
      q.include_removed = true;
      EXPECT_TRUE(store_
                      ->ForEachSignal(b, q,
                                      [&](const store::Signal& s) {
                                        out.push_back(s);
                                        return true;
                                      })
                      .ok());
    }
    return out;
  }

  void RemoveSome(int n) {
    auto all = AllSignals();
    std::map<int64_t, std::vector<store::MediaSignal>> by_bank;
    for (int i = 0; i < n; ++i) {
      const store::Signal& s = all[rng_() % all.size()];
      by_bank[s.bank_id].push_back({s.type, s.value, -1});
    }
    for (auto& [bank, rm] : by_bank) ASSERT_TRUE(store_->RemoveSignals("test", bank, rm).ok());
  }

  ProvenanceLoader Loader() {
    return OwnStoreProvenanceLoader([db = db_] { return store::OpenStore(db); });
  }

  // The oracle for PDQ and the exact types, from the store's live rows (as of the last
  // load or refresh of every bank): PDQ nearest first (ties by id), exact in bank-list
  // order then id order (compared as a set), at most kMaxMatchesPerSignal.
  std::vector<int64_t> OracleIds(const std::vector<store::Signal>& rows,
                                 const std::vector<Hash256>& hashes, SignalType type,
                                 const std::string& value, const std::set<int64_t>& readable) {
    std::vector<std::pair<int, int64_t>> found;
    const auto q = Hash256::FromHex(value);
    for (size_t i = 0; i < rows.size(); ++i) {
      const store::Signal& s = rows[i];
      if (!s.live() || s.type != type || !readable.contains(s.bank_id)) continue;
      if (type == SignalType::kPdq) {
        const int d = HammingDistance(*q, hashes[i]);
        if (d <= kRadius) found.emplace_back(d, s.id);
      } else if (s.value == value) {
        found.emplace_back(0, s.id);
      }
    }
    // Exact hits come in the order the matcher's map got them (load order, then refresh
    // order), which full and lean share; the oracle checks the set.
    std::sort(found.begin(), found.end());
    std::vector<int64_t> ids;
    for (const auto& f : found) {
      if (ids.size() == kMaxMatchesPerSignal) break;
      ids.push_back(f.second);
    }
    return ids;
  }

  // Full and lean agree on every stored value (and near variants of the PDQ ones), with
  // and without a bank filter, on Get for every id, and with the oracle.
  void Compare(const Matcher& full, const Matcher& lean, const std::string& stage) {
    const auto rows = AllSignals();
    ASSERT_FALSE(rows.empty());
    std::vector<Hash256> hashes(rows.size());  // decoded once for the oracle
    for (size_t i = 0; i < rows.size(); ++i) {
      if (rows[i].type == SignalType::kPdq) hashes[i] = *Hash256::FromHex(rows[i].value);
    }
    EXPECT_EQ(full.live_signals(), lean.live_signals()) << stage;
    EXPECT_EQ(full.BankVersions(), lean.BankVersions()) << stage;
    const std::set<int64_t> all_banks(banks_.begin(), banks_.end());
    const std::set<int64_t> two_banks = {banks_[0], banks_[2]};
    int checked = 0, hits = 0;
    for (size_t row = 0; row < rows.size(); ++row) {
      const store::Signal& s = rows[row];
      for (const std::set<int64_t>* readable : {&all_banks, &two_banks}) {
        // The bank filter on every fourth signal: enough to see it applied before the cap.
        if (readable == &two_banks && row % 4 != 0) continue;
        auto can = [readable](int64_t b) { return readable->contains(b); };
        std::vector<std::string> queries = {s.value};
        if (s.type == SignalType::kPdq) {
          queries.push_back(FlipBits(*Hash256::FromHex(s.value), 25, rng_).ToHex());
        }
        for (const std::string& q : queries) {
          auto a = full.Match(s.type, q, kRadius, can);
          auto b = lean.Match(s.type, q, kRadius, can);
          const std::string where = stage + " signal " + std::to_string(s.id);
          ExpectSameHits(a, b, where);
          if (!IsMediaSignalType(s.type)) {
            std::vector<int64_t> got;
            for (const auto& h : a) got.push_back(h.info.id);
            if (s.type != SignalType::kPdq) std::sort(got.begin(), got.end());
            EXPECT_EQ(got, OracleIds(rows, hashes, s.type, q, *readable)) << where;
          }
          ++checked;
          hits += static_cast<int>(a.size());
        }
      }
    }
    EXPECT_GT(hits, checked / 2) << stage;  // most queries find something
    int64_t max_id = 0;
    for (const auto& s : rows) max_id = std::max(max_id, s.id);
    for (int64_t id = 0; id <= max_id + 3; ++id) {
      auto a = full.Get(id);
      auto b = lean.Get(id);
      ASSERT_EQ(a.has_value(), b.has_value()) << stage << " Get " << id;
      if (a) ExpectSameInfo(*a, *b, stage + " Get " + std::to_string(id));
    }
  }

  std::string db_;
  std::unique_ptr<store::Store> store_;
  std::vector<int64_t> banks_;
  int64_t org_ = 0;
  std::mt19937_64 rng_{20261129};
  std::vector<Hash256> pdq_bases_;
  std::vector<Hash256> vpdq_bases_ = {RandomHash(rng_), RandomHash(rng_), RandomHash(rng_)};
};

TEST_P(MatcherLoadTest, LeanLoadAnswersLikeTheFullLoadBeforeAndAfterRefresh) {
  AddRandom(2000);
  // Audio and TMK values from real encoders (a handful: they are large).
  std::vector<store::SignalInput> media;
  for (uint32_t seed : {1u, 2u}) {
    std::string v = AudioValue(seed);
    ASSERT_FALSE(v.empty());
    media.push_back({SignalType::kAudio, v, -1, {"severity:high"}, "file:tones"});
  }
  const std::string tmk_dir = std::string(VIGIL_TESTDATA_DIR) + "/video/expected-tmk";
  std::vector<std::string> tmk_files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(tmk_dir, ec)) {
    if (e.path().extension() == ".tmk") tmk_files.push_back(e.path().string());
  }
  std::sort(tmk_files.begin(), tmk_files.end());
  tmk_files.resize(std::min<size_t>(tmk_files.size(), 2));
  for (const auto& f : tmk_files) {
    auto bytes = ReadFileBytes(f, 1 << 20);
    ASSERT_TRUE(bytes.ok());
    media.push_back({SignalType::kTmk, Base64(*bytes), -1, {}, "file:tmk"});
  }
  // SQLite only: PostgreSQL refuses values this large in the signals_by_value btree index
  // ("index row requires 351152 bytes, maximum size is 8191"), a store limit of its own.
  if (GetParam() == Backend::kSqlite) {
    auto added = store_->AddSignals("test", banks_[1], media, org_);
    ASSERT_TRUE(added.ok()) << added.status().ToString();
  }
  RemoveSome(150);

  Matcher full, lean;
  ASSERT_TRUE(full.Load(*store_).ok());
  Matcher::LoadOptions lo;
  lo.provenance = Loader();
  ASSERT_TRUE(lean.Load(*store_, lo).ok());
  EXPECT_GT(lean.last_load_stats().pdq, 1000u);
  Compare(full, lean, "loaded");

  // Changes after the load: new signals, removals, removed ones brought back, labels merged
  // into live ones; then every bank refreshed on both.
  AddRandom(300);
  RemoveSome(100);
  auto rows = AllSignals();
  std::map<int64_t, std::vector<store::SignalInput>> again;
  for (int i = 0; i < 60; ++i) {
    const store::Signal& s = rows[rng_() % rows.size()];
    again[s.bank_id].push_back({s.type, s.value, 100, {"entity:synthetic-group"}, ""});
  }
  for (auto& [bank, in] : again) ASSERT_TRUE(store_->AddSignals("test", bank, in, 0).ok());
  for (int64_t b : banks_) {
    ASSERT_TRUE(full.RefreshBank(*store_, b).ok());
    ASSERT_TRUE(lean.RefreshBank(*store_, b).ok());
  }
  Compare(full, lean, "refreshed");
}

TEST_P(MatcherLoadTest, BankFilterAndConcurrentLookups) {
  AddRandom(600);
  Matcher full, lean;
  auto only_beta = [&](const store::Bank& b) { return b.id == banks_[1]; };
  ASSERT_TRUE(full.Load(*store_, only_beta).ok());
  Matcher::LoadOptions lo;
  lo.include = only_beta;
  lo.provenance = Loader();
  ASSERT_TRUE(lean.Load(*store_, lo).ok());
  EXPECT_EQ(full.live_signals(), lean.live_signals());
  EXPECT_EQ(lean.BankVersions().size(), 1u);

  // Several threads matching at once through the loader (its own store, its own mutex).
  const auto rows = AllSignals();
  std::atomic<int> mismatches{0}, found{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = static_cast<size_t>(t); i < rows.size(); i += 4) {
        auto all = [](int64_t) { return true; };
        auto a = full.Match(rows[i].type, rows[i].value, kRadius, all);
        auto b = lean.Match(rows[i].type, rows[i].value, kRadius, all);
        found += static_cast<int>(b.size());
        bool same = a.size() == b.size();
        for (size_t k = 0; same && k < a.size(); ++k) {
          same = a[k].info.id == b[k].info.id && a[k].info.labels == b[k].info.labels &&
                 a[k].info.value == b[k].info.value && a[k].distance == b[k].distance;
        }
        if (!same) ++mismatches;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_GT(found.load(), 0);
}

TEST_P(MatcherLoadTest, AFailingLoaderLeavesProvenanceOutAndIsAskedAgain) {
  AddRandom(50);
  int calls = 0;
  bool fail = true;
  Matcher lean;
  Matcher::LoadOptions lo;
  lo.provenance = [&](std::span<const int64_t> ids) -> Result<std::vector<store::Signal>> {
    ++calls;
    if (fail) return Status::Unavailable("synthetic outage");
    return store_->GetSignalsById(ids);
  };
  ASSERT_TRUE(lean.Load(*store_, lo).ok());
  const auto rows = AllSignals();
  const store::Signal& s = rows.front();
  auto a = lean.Get(s.id);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->bank_id, s.bank_id);
  EXPECT_EQ(a->type, s.type);
  EXPECT_TRUE(a->value.empty());
  EXPECT_EQ(calls, 1);
  fail = false;
  auto b = lean.Get(s.id);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->value, s.value);
  EXPECT_EQ(b->labels, s.labels);
  EXPECT_EQ(calls, 2);
  (void)lean.Get(s.id);  // cached now
  EXPECT_EQ(calls, 2);
  EXPECT_FALSE(lean.Get(999'999'999).has_value());
  EXPECT_EQ(calls, 2);  // unknown ids never reach the store
}

// The PDQ snapshot (--index-cache): written by a lean load, used by the next one at the
// same bank versions (answers unchanged), ignored and rewritten after a change or damage.
TEST_P(MatcherLoadTest, PdqSnapshotIsUsedAtTheSameVersionsOnly) {
  AddRandom(800);
  RemoveSome(30);
  const std::string dir = ::testing::TempDir() + "/pdq-cache-" +
                          store::testing::BackendName(GetParam()) + "-" +
                          std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  Matcher::LoadOptions lo;
  lo.provenance = Loader();
  lo.pdq_cache_dir = dir;
  Matcher full, first, second;
  ASSERT_TRUE(full.Load(*store_).ok());
  ASSERT_TRUE(first.Load(*store_, lo).ok());
  EXPECT_EQ(first.last_load_stats().pdq_cache.rfind("written", 0), 0u)
      << first.last_load_stats().pdq_cache;
  ASSERT_TRUE(second.Load(*store_, lo).ok());
  EXPECT_EQ(second.last_load_stats().pdq_cache, "hit");
  EXPECT_GT(second.last_load_stats().pdq, 300u);
  Compare(full, second, "snapshot");

  // A change: the snapshot no longer fits; the next load reads the store and rewrites it.
  AddRandom(40);
  for (int64_t b : banks_) {
    ASSERT_TRUE(full.RefreshBank(*store_, b).ok());
    ASSERT_TRUE(second.RefreshBank(*store_, b).ok());
  }
  Compare(full, second, "snapshot refreshed");
  Matcher third;
  ASSERT_TRUE(third.Load(*store_, lo).ok());
  EXPECT_EQ(third.last_load_stats().pdq_cache.rfind("written", 0), 0u)
      << third.last_load_stats().pdq_cache;
  Matcher fourth;
  ASSERT_TRUE(fourth.Load(*store_, lo).ok());
  EXPECT_EQ(fourth.last_load_stats().pdq_cache, "hit");
  int files = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    ++files;
    if (f.path().extension() == ".entries") {  // damage it: one byte in the middle
      auto bytes = ReadFileBytes(f.path().string(), 1 << 26);
      ASSERT_TRUE(bytes.ok());
      (*bytes)[bytes->size() / 2] ^= 0x5a;
      ASSERT_TRUE(WriteFileAtomic(f.path().string(), bytes->data(), bytes->size()).ok());
    }
  }
  EXPECT_EQ(files, 2);  // the stale snapshot was removed
  Matcher fifth;
  ASSERT_TRUE(fifth.Load(*store_, lo).ok());
  EXPECT_NE(fifth.last_load_stats().pdq_cache.find("checksum"), std::string::npos)
      << fifth.last_load_stats().pdq_cache;
  Compare(full, fifth, "snapshot damaged");
  std::filesystem::remove_all(dir);
}

std::string Name(const ::testing::TestParamInfo<Backend>& info) {
  return store::testing::BackendName(info.param);
}

INSTANTIATE_TEST_SUITE_P(Backends, MatcherLoadTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), Name);

}  // namespace
}  // namespace vigil::match
