// Synthetic hash sets for the index tests and benchmarks: uniform random hashes, and
// "clustered" sets of near-duplicate families like real PDQ lists (each family is a random
// centre plus members 0..40 bits away). Benign random bits; deterministic for a seed.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "core/hash256.h"

namespace vigil::index::testing {

inline Hash256 RandomHash(std::mt19937_64& rng) {
  Hash256 h;
  for (auto& w : h.w) w = rng();
  return h;
}

// `h` with exactly k distinct bits flipped.
inline Hash256 FlipBits(Hash256 h, int k, std::mt19937_64& rng) {
  Hash256 mask;
  int set = 0;
  while (set < k) {
    int b = static_cast<int>(rng() % 256);
    if (!mask.GetBit(b)) {
      mask.SetBit(b);
      ++set;
    }
  }
  for (int i = 0; i < 4; ++i) h.w[i] ^= mask.w[i];
  return h;
}

inline std::vector<Hash256> UniformHashes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Hash256> v(n);
  for (auto& h : v) h = RandomHash(rng);
  return v;
}

// Families of `family` members around random centres, members at 0..max_flip bits.
inline std::vector<Hash256> ClusteredHashes(size_t n, uint64_t seed, size_t family = 20,
                                            int max_flip = 40) {
  std::mt19937_64 rng(seed);
  std::vector<Hash256> v;
  v.reserve(n);
  while (v.size() < n) {
    Hash256 centre = RandomHash(rng);
    for (size_t i = 0; i < family && v.size() < n; ++i) {
      v.push_back(FlipBits(centre, static_cast<int>(rng() % (max_flip + 1)), rng));
    }
  }
  return v;
}

// Queries: the first half are db entries with 0..max_flip bits flipped (true matches at
// small radii), the second half fresh random hashes.
inline std::vector<Hash256> MixedQueries(const std::vector<Hash256>& db, size_t n, uint64_t seed,
                                         int max_flip = 30) {
  std::mt19937_64 rng(seed);
  std::vector<Hash256> q(n);
  for (size_t i = 0; i < n; ++i) {
    if (i < n / 2 && !db.empty()) {
      q[i] = FlipBits(db[rng() % db.size()], static_cast<int>(rng() % (max_flip + 1)), rng);
    } else {
      q[i] = RandomHash(rng);
    }
  }
  return q;
}

}  // namespace vigil::index::testing
