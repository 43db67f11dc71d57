// Every SIMD kernel level against the scalar one.
#include "index/kernels.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "index/test_util.h"

namespace vigil::index::internal {
namespace {

using testing::ClusteredHashes;
using testing::MixedQueries;

std::vector<Block8> ToBlocks(const std::vector<Hash256>& hs) {
  std::vector<Block8> b((hs.size() + 7) / 8);
  for (size_t i = 0; i < hs.size(); ++i) {
    for (int k = 0; k < 4; ++k) b[i / 8].w[k][i % 8] = hs[i].w[k];
  }
  return b;
}

std::vector<KernelLevel> Levels() {
  std::vector<KernelLevel> v;
  for (auto l : {KernelLevel::kScalar, KernelLevel::kAvx2, KernelLevel::kAvx512}) {
    if (LevelSupported(l)) v.push_back(l);
  }
  return v;
}

bool HitLess(const Hit& a, const Hit& b) {
  return std::tie(a.query, a.pos, a.distance) < std::tie(b.query, b.pos, b.distance);
}

TEST(Kernels, ScanBlocksAllLevelsAgree) {
  for (size_t n : {0u, 1u, 7u, 8u, 9u, 1000u, 2053u}) {
    auto db = ClusteredHashes(n, n + 1);
    auto qs = MixedQueries(db, 37, 5);
    auto blocks = ToBlocks(db);
    for (int radius : {-1, 0, 10, 31, 64, 128, 256, 300}) {
      std::vector<Hit> want;
      for (size_t q = 0; q < qs.size(); ++q) {
        for (size_t j = 0; j < n; ++j) {
          int d = HammingDistance(qs[q], db[j]);
          if (radius >= 0 && d <= radius) {
            want.push_back({static_cast<uint32_t>(q + 100), static_cast<uint32_t>(j),
                            static_cast<uint32_t>(d)});
          }
        }
      }
      for (KernelLevel level : Levels()) {
        std::vector<Hit> got;
        ScanBlocks(level, blocks.data(), n, qs.data(), qs.size(), radius, 100, &got);
        std::sort(got.begin(), got.end(), HitLess);
        ASSERT_EQ(got.size(), want.size()) << LevelName(level) << " n=" << n << " r=" << radius;
        for (size_t i = 0; i < got.size(); ++i) {
          ASSERT_EQ(got[i].query, want[i].query);
          ASSERT_EQ(got[i].pos, want[i].pos);
          ASSERT_EQ(got[i].distance, want[i].distance);
        }
      }
    }
  }
}

TEST(Kernels, DistancesAndHashScanAgree) {
  for (size_t n : {0u, 1u, 8u, 15u, 16u, 17u, 999u}) {
    auto db = ClusteredHashes(n, n + 7);
    auto qs = MixedQueries(db, 9, 3);
    auto blocks = ToBlocks(db);
    for (const Hash256& q : qs) {
      for (KernelLevel level : Levels()) {
        std::vector<uint16_t> dist(n + 1, 999);
        BlockDistances(level, blocks.data(), n, q, dist.data());
        for (size_t j = 0; j < n; ++j)
          ASSERT_EQ(dist[j], HammingDistance(q, db[j])) << LevelName(level);
        ASSERT_EQ(dist[n], 999) << "wrote past the end";
        for (int radius : {0, 20, 40, 256}) {
          std::vector<PosDist> got;
          ScanHashes(level, db.data(), n, q, radius, 5, &got);
          std::sort(got.begin(), got.end(), [](auto& a, auto& b) { return a.pos < b.pos; });
          std::vector<PosDist> want;
          for (size_t j = 0; j < n; ++j) {
            int d = HammingDistance(q, db[j]);
            if (d <= radius)
              want.push_back({static_cast<uint32_t>(j + 5), static_cast<uint32_t>(d)});
          }
          ASSERT_EQ(got.size(), want.size()) << LevelName(level);
          for (size_t i = 0; i < got.size(); ++i) {
            ASSERT_EQ(got[i].pos, want[i].pos);
            ASSERT_EQ(got[i].distance, want[i].distance);
          }
        }
      }
    }
  }
}

TEST(Kernels, FilterEntriesAgree) {
  std::mt19937_64 rng(11);
  for (int pos_bits : {1, 9, 17, 24, 29}) {
    const int rem_bits = 32 - pos_bits > 23 ? 23 : 32 - pos_bits;
    for (size_t n : {0u, 1u, 15u, 16u, 17u, 100u}) {
      std::vector<uint32_t> e(n);
      for (auto& x : e)
        x = static_cast<uint32_t>(rng()) &
            (rem_bits + pos_bits >= 32 ? ~0u : (1u << (rem_bits + pos_bits)) - 1);
      uint32_t qrem = static_cast<uint32_t>(rng()) & ((1u << rem_bits) - 1);
      for (int allowed : {0, 1, 3, 23}) {
        std::vector<uint32_t> want(n + 1), got(n + 1);
        size_t kw =
            FilterEntries(KernelLevel::kScalar, e.data(), n, pos_bits, qrem, allowed, want.data());
        for (KernelLevel level : Levels()) {
          size_t kg = FilterEntries(level, e.data(), n, pos_bits, qrem, allowed, got.data());
          ASSERT_EQ(kg, kw) << LevelName(level);
          for (size_t i = 0; i < kg; ++i) ASSERT_EQ(got[i], want[i]);
        }
      }
    }
  }
}

TEST(Kernels, VerifyCandidatesAgree) {
  auto db = ClusteredHashes(500, 3);
  auto qs = MixedQueries(db, 5, 4);
  std::vector<uint32_t> cands;
  for (uint32_t i = 0; i < 500; i += 3) cands.push_back(i);
  for (const Hash256& q : qs) {
    std::vector<PosDist> want;
    VerifyCandidates(KernelLevel::kScalar, db.data(), cands.data(), cands.size(), q, 40, &want);
    for (KernelLevel level : Levels()) {
      std::vector<PosDist> got;
      VerifyCandidates(level, db.data(), cands.data(), cands.size(), q, 40, &got);
      ASSERT_EQ(got.size(), want.size());
      for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i].pos, want[i].pos);
    }
  }
}

}  // namespace
}  // namespace vigil::index::internal
