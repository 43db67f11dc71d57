// HammingIndex: exact search of 256-bit hashes (PDQ and friends) by Hamming distance.
//
// Two implementations share this interface:
//  - BruteForceIndex (brute_force_index.h): a blocked SIMD scan. The test oracle, and the
//    fastest way to run a large batch of queries against a set.
//  - MihIndex (mih_index.h): multi-index hashing; sublinear for the radii perceptual hash
//    lists use (up to ~31 at 10M hashes), and a scan where that would be cheaper.
// Both are exact: every stored entry within the radius is returned, for every radius
// 0..256. There is no approximate mode.
//
// Entries are (id, hash) pairs. Ids are the caller's (a database row, a line number); an id
// may be stored more than once, with the same or different hashes, and each stored entry is
// matched on its own. Remove(id) removes every entry with that id.
//
// Thread safety is stated by each implementation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/hash256.h"
#include "core/status.h"

namespace vigil::index {

// Largest number of entries one index holds. Positions are 32-bit inside the index.
inline constexpr size_t kMaxIndexEntries = size_t{1} << 31;

struct Match {
  uint64_t id = 0;
  int distance = 0;

  friend bool operator==(const Match&, const Match&) = default;
};

// The order every search returns: nearest first, then by id.
inline bool MatchLess(const Match& a, const Match& b) {
  return a.distance != b.distance ? a.distance < b.distance : a.id < b.id;
}

class HammingIndex {
 public:
  virtual ~HammingIndex() = default;

  // Adds one entry. ResourceExhausted beyond kMaxIndexEntries.
  virtual Status Add(uint64_t id, const Hash256& hash) = 0;
  // Adds ids[i] -> hashes[i]; InvalidArgument if the spans differ in length. All or nothing.
  virtual Status AddBatch(std::span<const uint64_t> ids, std::span<const Hash256> hashes) = 0;
  // Removes every entry with this id; returns how many there were.
  virtual size_t Remove(uint64_t id) = 0;
  // Removes every entry whose id is listed; returns how many entries went.
  virtual size_t RemoveBatch(std::span<const uint64_t> ids) = 0;
  // Number of entries stored.
  virtual size_t Size() const = 0;

  // Every entry within `radius` (inclusive) of `query`, ordered by MatchLess. A negative
  // radius matches nothing; a radius above 256 is 256.
  virtual std::vector<Match> Search(const Hash256& query, int radius) const = 0;
  // Search() for each query; result[i] belongs to queries[i].
  virtual std::vector<std::vector<Match>> SearchBatch(std::span<const Hash256> queries,
                                                      int radius) const = 0;
  // The k nearest entries within max_radius, ordered by MatchLess (ties at the k-th distance
  // are broken by smaller id, so the answer is deterministic).
  virtual std::vector<Match> Knn(const Hash256& query, size_t k, int max_radius = 256) const = 0;
};

}  // namespace vigil::index
