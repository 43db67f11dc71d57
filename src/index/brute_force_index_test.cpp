#include "index/brute_force_index.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "index/test_util.h"

namespace vigil::index {
namespace {

std::vector<Match> Naive(const std::vector<uint64_t>& ids, const std::vector<Hash256>& hs,
                         const Hash256& q, int radius) {
  std::vector<Match> out;
  for (size_t i = 0; i < ids.size(); ++i) {
    int d = HammingDistance(q, hs[i]);
    if (d <= radius) out.push_back({ids[i], d});
  }
  std::sort(out.begin(), out.end(), MatchLess);
  return out;
}

TEST(BruteForceIndex, MatchesNaiveLoopAtEveryLevel) {
  auto hs = testing::ClusteredHashes(3001, 1);
  std::vector<uint64_t> ids(hs.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = 1000 + i * 7;
  auto qs = testing::MixedQueries(hs, 40, 2);
  for (auto level : {internal::KernelLevel::kScalar, internal::KernelLevel::kAvx2,
                     internal::KernelLevel::kAvx512}) {
    if (!internal::LevelSupported(level)) continue;
    BruteForceIndex idx(level);
    ASSERT_TRUE(idx.AddBatch(ids, hs).ok());
    EXPECT_EQ(idx.Size(), hs.size());
    for (int radius : {0, 1, 15, 31, 32, 47, 63, 64, 100}) {
      auto batch = idx.SearchBatch(qs, radius);
      for (size_t i = 0; i < qs.size(); ++i) {
        auto want = Naive(ids, hs, qs[i], radius);
        ASSERT_EQ(batch[i], want) << internal::LevelName(level) << " r=" << radius;
        ASSERT_EQ(idx.Search(qs[i], radius), want);
      }
    }
  }
}

TEST(BruteForceIndex, RemoveAndKnn) {
  auto hs = testing::UniformHashes(100, 3);
  BruteForceIndex idx;
  for (size_t i = 0; i < hs.size(); ++i) ASSERT_TRUE(idx.Add(i % 50, hs[i]).ok());
  EXPECT_EQ(idx.Remove(7), 2u);
  EXPECT_EQ(idx.Remove(7), 0u);
  EXPECT_EQ(idx.Size(), 98u);
  EXPECT_TRUE(idx.Search(hs[7], 0).empty());
  EXPECT_EQ(idx.Search(hs[8], 0), (std::vector<Match>{{8, 0}}));
  std::vector<uint64_t> gone = {1, 2, 3};
  EXPECT_EQ(idx.RemoveBatch(gone), 6u);
  EXPECT_EQ(idx.Size(), 92u);
  auto knn = idx.Knn(hs[10], 3);
  ASSERT_EQ(knn.size(), 3u);
  EXPECT_EQ(knn[0], (Match{10, 0}));
  EXPECT_LE(knn[1].distance, knn[2].distance);
  EXPECT_EQ(idx.Knn(hs[10], 1000).size(), 92u);
  EXPECT_TRUE(idx.Search(hs[10], -1).empty());
  EXPECT_FALSE(idx.AddBatch(std::vector<uint64_t>{1}, std::vector<Hash256>{}).ok());
}

}  // namespace
}  // namespace vigil::index
