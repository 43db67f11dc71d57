// Near-duplicate text fingerprints: MinHash over character shingles of the matching form
// (text/normalize.h), and an index that finds near-duplicates by LSH banding.
//
// A fingerprint is kMinHashSize 32-bit minima, one per hash function, over the set of
// kShingleLength-code-point shingles of the text. The fraction of equal positions between
// two fingerprints estimates the Jaccard similarity of their shingle sets (standard error
// about 0.044 at 128 hashes). Texts shorter than one shingle are one shingle.
//
// The index splits each fingerprint into kLshBands bands of kLshRows values; two texts
// share a band (and become candidates) with probability 1-(1-J^r)^b, which at 32x4 is
// 0.99 for J = 0.7, 0.86 for J = 0.5, 0.06 for J = 0.2. Candidates are then checked by
// their estimated similarity, so the index returns exactly what a scan of every stored
// fingerprint would for the candidates it finds (tested against QueryBruteForce).
//
// Thread safety: MinHash values are plain data. TextIndex: Add needs exclusive access;
// any number of threads may call the const methods together when nobody adds.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"

namespace vigil::text {

inline constexpr int kShingleLength = 5;  // code points per shingle
inline constexpr int kMinHashSize = 128;
inline constexpr int kLshBands = 32;
inline constexpr int kLshRows = kMinHashSize / kLshBands;
// Estimated Jaccard similarity at or above which two texts are near-duplicates. Re-typed
// copies with a few edits score 0.6-0.9; unrelated texts on the same topic below 0.1.
inline constexpr double kDefaultNearDuplicateSimilarity = 0.5;

struct MinHash {
  std::array<uint32_t, kMinHashSize> values{};

  friend bool operator==(const MinHash&, const MinHash&) = default;
};

// Fingerprint of `matching_form` (the output of MatchingForm; other UTF-8 works but will
// not match normalised copies). Errors: InvalidArgument for empty text or invalid UTF-8.
Result<MinHash> ComputeMinHash(std::string_view matching_form);

// Plain reference implementation (a std::set of shingles, then a minimum per hash function)
// for tests: ComputeMinHash must agree with it exactly.
Result<MinHash> ComputeMinHashReference(std::string_view matching_form);

// Fraction of positions where a and b agree: the Jaccard estimate, 0..1.
double Similarity(const MinHash& a, const MinHash& b);

// Lower-case hex of the 128 values, big-endian each (1024 characters), and back.
std::string MinHashToHex(const MinHash& m);
Result<MinHash> MinHashFromHex(std::string_view hex);

struct TextMatch {
  uint64_t id = 0;
  double similarity = 0;
};

class TextIndex {
 public:
  // Stores `m` under `id` (ids need not be unique; each Add is its own entry).
  void Add(uint64_t id, const MinHash& m);
  size_t size() const { return entries_.size(); }

  // Entries whose similarity to `query` is at least `min_similarity`, best first (ties by
  // id), at most `max_results`.
  std::vector<TextMatch> Query(const MinHash& query,
                               double min_similarity = kDefaultNearDuplicateSimilarity,
                               size_t max_results = 100) const;
  // The same answer by comparing with every entry (no LSH): the reference for tests, and
  // what Query approximates.
  std::vector<TextMatch> QueryBruteForce(const MinHash& query,
                                         double min_similarity = kDefaultNearDuplicateSimilarity,
                                         size_t max_results = 100) const;

 private:
  struct Entry {
    uint64_t id;
    MinHash hash;
  };
  std::vector<Entry> entries_;
  // One table per band: band key -> entry positions.
  std::array<std::unordered_map<uint64_t, std::vector<uint32_t>>, kLshBands> bands_;
};

}  // namespace vigil::text
