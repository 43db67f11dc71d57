// MihSegment: one immutable multi-index-hashing table set over up to kMaxIndexEntries
// hashes, in one contiguous block of memory that is also the on-disk format (so a saved
// segment is used in place through mmap). Internal to MihIndex; see docs/index.md.
//
// Design. The 256 bits are cut into kTables = 11 substrings of kSubBits = 23 bits (bits
// 253..255 are not indexed, which the pigeonhole argument below allows). For radius r the
// tables get radii t_i with sum(t_i + 1) = r + 1, so a hash within r of the query is
// within t_i of it on at least one substring i (generalised pigeonhole). Table i is a
// sorted array: entries grouped by the top `top_bits` of substring i, an offsets array over
// those groups, and each 32-bit entry packs the substring's low `rem_bits` bits above the
// position of the hash. A probe flips d <= t_i of the top bits and keeps the entries whose
// low bits differ in at most t_i - d bits (one SIMD filter over a contiguous run), so the
// large ball of 23-bit keys becomes a small number of short sequential scans. Candidates
// are verified against the full hashes (exact distance), duplicates dropped.
//
// Thread safety: immutable after construction; any number of threads may search.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/hash256.h"
#include "core/status.h"
#include "index/hamming_index.h"
#include "index/kernels.h"

namespace vigil::index::internal {

inline constexpr int kTables = 11;
inline constexpr int kSubBits = 23;
// Target average group size is 2^kGroupBits entries: long enough for a SIMD filter, short
// enough that a probe reads one or two cache lines per distinct group.
inline constexpr int kGroupBits = 6;

struct SegmentParams {
  int pos_bits = 1;         // bits of a position in an entry
  int top_bits = 0;         // substring bits that pick a group (offsets has 2^top_bits + 1 slots)
  int rem_bits = kSubBits;  // substring bits stored in the entry

  static SegmentParams For(uint64_t n);
  friend bool operator==(const SegmentParams&, const SegmentParams&) = default;
};

// Byte offsets of each section inside a segment's block; every section starts on 64 bytes.
struct SegmentLayout {
  size_t hashes = 0;
  size_t ids = 0;
  size_t offsets[kTables] = {};
  size_t entries[kTables] = {};
  size_t total = 0;

  static SegmentLayout For(uint64_t n, const SegmentParams& p);
};

// Memory a segment lives in: heap (built) or a read-only file mapping (loaded).
class SegmentStorage {
 public:
  virtual ~SegmentStorage() = default;
  virtual const uint8_t* data() const = 0;
};

// Substring `table` of a hash (23 bits).
uint32_t Substring(const Hash256& h, int table);

// 64-bit checksum (XXH64's construction) used by the file format.
uint64_t Checksum64(const void* data, size_t size, uint64_t seed = 0);

class MihSegment {
 public:
  // Copies the entries into a new heap block and builds the tables (using up to `threads`
  // threads). n <= kMaxIndexEntries.
  static std::unique_ptr<MihSegment> Build(std::span<const uint64_t> ids,
                                           std::span<const Hash256> hashes, unsigned threads = 0);

  // Wraps `block` (n entries, layout For(n)) after checking its structure: offsets monotone
  // and ending at n, every entry's position < n. Returns Corruption naming the first fault.
  static Result<std::unique_ptr<MihSegment>> Open(std::unique_ptr<SegmentStorage> storage,
                                                  const uint8_t* block, uint64_t n);

  uint64_t size() const { return n_; }
  const SegmentParams& params() const { return params_; }
  const Hash256& hash(size_t pos) const { return hashes_[pos]; }
  uint64_t id(size_t pos) const { return ids_[pos]; }
  const Hash256* hashes() const { return hashes_; }
  const uint64_t* ids() const { return ids_; }
  const uint8_t* block() const { return block_; }
  size_t block_bytes() const { return layout_.total; }

  // Appends {position, distance} for every live entry within `radius` (positions whose bit
  // is set in `deleted`, if given, are skipped). Picks the tables or a plain scan by an
  // estimate of their costs. Unordered; each position at most once.
  enum class Plan { kAuto, kTables, kScan };  // kTables/kScan force a path (tests)
  void Search(const Hash256& query, int radius, KernelLevel level, const uint64_t* deleted,
              std::vector<PosDist>* out, Plan plan = Plan::kAuto) const;

  // Whether Search would use the tables for this radius (exposed for tests and benches).
  bool UsesTables(int radius) const;

 private:
  MihSegment(std::unique_ptr<SegmentStorage> storage, const uint8_t* block, uint64_t n);
  void SearchTables(const Hash256& query, int radius, KernelLevel level, const uint64_t* deleted,
                    std::vector<PosDist>* out) const;

  std::unique_ptr<SegmentStorage> storage_;
  const uint8_t* block_;
  uint64_t n_;
  SegmentParams params_;
  SegmentLayout layout_;
  const Hash256* hashes_;
  const uint64_t* ids_;
  const uint32_t* offsets_[kTables];
  const uint32_t* entries_[kTables];
};

// Radii per table for a search radius r: sum(t_i + 1) = r + 1; t_i = -1 skips table i.
void TableRadii(int radius, int* t);

}  // namespace vigil::index::internal
