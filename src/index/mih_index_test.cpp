// The multi-index-hashing index against the brute-force oracle.
#include "index/mih_index.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "index/brute_force_index.h"
#include "index/mih_segment.h"
#include "index/test_util.h"

namespace vigil::index {
namespace {

constexpr int kRadii[] = {0, 1, 15, 31, 32, 47, 63, 64, 100};

std::vector<uint64_t> Iota(size_t n, uint64_t base) {
  std::vector<uint64_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = base + i;
  return v;
}

void ExpectSameAsOracle(const HammingIndex& got, const HammingIndex& oracle,
                        const std::vector<Hash256>& queries, const char* what) {
  for (int radius : kRadii) {
    auto batch = got.SearchBatch(queries, radius);
    auto want = oracle.SearchBatch(queries, radius);
    for (size_t i = 0; i < queries.size(); ++i) {
      ASSERT_EQ(batch[i], want[i]) << what << " query " << i << " radius " << radius;
    }
  }
}

class MihVsOracle : public ::testing::TestWithParam<bool> {};

TEST_P(MihVsOracle, BulkBuildAllRadii) {
  const bool clustered = GetParam();
  auto hs = clustered ? testing::ClusteredHashes(20000, 5) : testing::UniformHashes(20000, 5);
  auto ids = Iota(hs.size(), 1);
  auto qs = testing::MixedQueries(hs, 60, 6, 40);
  auto mih = MihIndex::Build(ids, hs);
  ASSERT_TRUE(mih.ok());
  BruteForceIndex oracle;
  ASSERT_TRUE(oracle.AddBatch(ids, hs).ok());
  ExpectSameAsOracle(**mih, oracle, qs, clustered ? "clustered" : "uniform");
  for (size_t i = 0; i < 10; ++i) {
    for (size_t k : {1u, 5u, 50u}) {
      ASSERT_EQ((*mih)->Knn(qs[i], k), oracle.Knn(qs[i], k)) << "k=" << k;
      ASSERT_EQ((*mih)->Knn(qs[i], k, 20), oracle.Knn(qs[i], k, 20));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Data, MihVsOracle, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Clustered" : "Uniform"; });

// The table path itself, forced, at every radius the tests use (the automatic plan scans
// at wide radii, which would leave the tables untested there).
TEST(MihSegment, ForcedTablesAreExactAtWideRadii) {
  for (size_t n : {300u, 5000u}) {
    auto hs = testing::ClusteredHashes(n, n);
    auto ids = Iota(n, 0);
    auto seg = internal::MihSegment::Build(ids, hs, 1);
    auto qs = testing::MixedQueries(hs, 12, 8, 40);
    for (int radius : kRadii) {
      for (const Hash256& q : qs) {
        std::vector<internal::PosDist> got;
        seg->Search(q, radius, internal::BestLevel(), nullptr, &got,
                    internal::MihSegment::Plan::kTables);
        std::sort(got.begin(), got.end(), [](auto& a, auto& b) { return a.pos < b.pos; });
        std::vector<uint32_t> want;
        for (uint32_t j = 0; j < n; ++j) {
          if (HammingDistance(q, hs[j]) <= radius) want.push_back(j);
        }
        ASSERT_EQ(got.size(), want.size()) << "n=" << n << " r=" << radius;
        for (size_t i = 0; i < want.size(); ++i) {
          ASSERT_EQ(got[i].pos, want[i]);
          ASSERT_EQ(static_cast<int>(got[i].distance), HammingDistance(q, hs[want[i]]));
        }
      }
    }
  }
}

TEST(MihSegment, TableRadiiSatisfyPigeonhole) {
  for (int r = 0; r <= 256; ++r) {
    int t[internal::kTables];
    internal::TableRadii(r, t);
    int sum = 0;
    for (int x : t) {
      ASSERT_GE(x, -1);
      sum += x + 1;
    }
    ASSERT_EQ(sum, r + 1);
  }
}

TEST(MihIndex, InterleavedAddsAndRemovesMatchOracle) {
  MihIndex::Options o;
  o.delta_capacity = 64;  // small, so deltas flush and segments merge many times
  MihIndex mih(o);
  BruteForceIndex oracle;
  auto pool = testing::ClusteredHashes(6000, 9);
  auto qs = testing::MixedQueries(pool, 30, 10, 35);
  std::mt19937_64 rng(12);
  uint64_t next_id = 0;
  size_t at = 0;
  for (int round = 0; round < 12; ++round) {
    // Adds: some singly, some as a batch bigger than the delta.
    size_t singles = 100 + rng() % 200;
    for (size_t i = 0; i < singles && at < pool.size(); ++i, ++at) {
      ASSERT_TRUE(mih.Add(next_id, pool[at]).ok());
      ASSERT_TRUE(oracle.Add(next_id, pool[at]).ok());
      ++next_id;
    }
    size_t batch = std::min<size_t>(pool.size() - at, 150 + rng() % 150);
    std::vector<uint64_t> ids = Iota(batch, next_id);
    std::vector<Hash256> hs(pool.begin() + static_cast<ptrdiff_t>(at),
                            pool.begin() + static_cast<ptrdiff_t>(at + batch));
    ASSERT_TRUE(mih.AddBatch(ids, hs).ok());
    ASSERT_TRUE(oracle.AddBatch(ids, hs).ok());
    at += batch;
    next_id += batch;
    // Removes: random ids, some absent, one batch, and ids reused for new hashes.
    for (int i = 0; i < 40; ++i) {
      uint64_t id = rng() % (next_id + 10);
      ASSERT_EQ(mih.Remove(id), oracle.Remove(id));
    }
    std::vector<uint64_t> gone;
    for (int i = 0; i < 60; ++i) gone.push_back(rng() % next_id);
    ASSERT_EQ(mih.RemoveBatch(gone), oracle.RemoveBatch(gone));
    uint64_t reused = rng() % next_id;
    ASSERT_TRUE(mih.Add(reused, qs[round]).ok());
    ASSERT_TRUE(oracle.Add(reused, qs[round]).ok());
    ASSERT_EQ(mih.Size(), oracle.Size());
    ExpectSameAsOracle(mih, oracle, qs, "interleaved");
  }
  EXPECT_GT(mih.GetStats().segments, 0u);
  ASSERT_TRUE(mih.Compact().ok());
  EXPECT_EQ(mih.GetStats().segments, 1u);
  EXPECT_EQ(mih.GetStats().delta_entries, 0u);
  ExpectSameAsOracle(mih, oracle, qs, "compacted");
  // Removing everything leaves an empty, working index.
  std::vector<uint64_t> all = Iota(next_id, 0);
  mih.RemoveBatch(all);
  EXPECT_EQ(mih.Size(), 0u);
  EXPECT_TRUE(mih.Search(qs[0], 256).empty());
}

TEST(MihIndex, EdgeCases) {
  MihIndex empty;
  Hash256 q;
  EXPECT_TRUE(empty.Search(q, 31).empty());
  EXPECT_TRUE(empty.Knn(q, 3).empty());
  auto built = MihIndex::Build(std::vector<uint64_t>{}, std::vector<Hash256>{});
  ASSERT_TRUE(built.ok());
  EXPECT_EQ((*built)->Size(), 0u);
  EXPECT_FALSE(MihIndex::Build(std::vector<uint64_t>{1, 2}, std::vector<Hash256>{q}).ok());
  // Duplicate ids and duplicate hashes are separate entries.
  MihIndex idx;
  ASSERT_TRUE(idx.Add(5, q).ok());
  ASSERT_TRUE(idx.Add(5, q).ok());
  ASSERT_TRUE(idx.Add(6, q).ok());
  EXPECT_EQ(idx.Search(q, 0), (std::vector<Match>{{5, 0}, {5, 0}, {6, 0}}));
  EXPECT_EQ(idx.Search(q, 1000).size(), 3u);
  EXPECT_TRUE(idx.Search(q, -5).empty());
  EXPECT_EQ(idx.Remove(5), 2u);
  EXPECT_EQ(idx.Search(q, 0), (std::vector<Match>{{6, 0}}));
}

// Readers search while one writer adds and removes; entries that are never removed must
// be found by every search, whatever the writer is doing.
TEST(MihIndex, ConcurrentReadersWithOneWriter) {
  MihIndex::Options o;
  o.delta_capacity = 128;
  MihIndex idx(o);
  auto stable = testing::UniformHashes(500, 20);
  ASSERT_TRUE(idx.AddBatch(Iota(stable.size(), 0), stable).ok());
  auto churn = testing::UniformHashes(3000, 21);
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&, r] {
      size_t i = static_cast<size_t>(r);
      while (!done.load()) {
        const Hash256& q = stable[i % stable.size()];
        auto m = idx.Search(q, 0);
        bool found = std::any_of(m.begin(), m.end(),
                                 [&](const Match& x) { return x.id == i % stable.size(); });
        if (!found) failures.fetch_add(1);
        i += 7;
      }
    });
  }
  for (size_t i = 0; i < churn.size(); ++i) {
    ASSERT_TRUE(idx.Add(100000 + i, churn[i]).ok());
    if (i % 3 == 0) idx.Remove(100000 + i / 2);
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace vigil::index
