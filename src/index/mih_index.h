// MihIndex: the exact Hamming-range index for 256-bit hashes (multi-index hashing).
//
// Structure. A snapshot is a list of immutable segments (mih_segment.h: 11 substring
// tables over up to 2^31 hashes each) plus a small append-only delta that is scanned, plus
// deletion bitmaps. Add appends to the delta; a full delta becomes a segment, and segments
// of similar size are merged (log-structured), so the cost of adds is amortised O(log n)
// rebuild work per entry and no add ever rebuilds the whole index. Remove marks positions
// in a copy of the affected bitmap; a segment more than half deleted is rebuilt.
//
// Exactness. Every search is exact for every radius 0..256: a segment uses its tables when
// their estimated cost is below a scan's and scans otherwise (wide radii), never trading
// recall for speed.
//
// Threading contract. Any number of threads may call the const methods (Search,
// SearchBatch, Knn, Size, Save, GetStats) at any time, concurrently with one another and
// with a writer. Writers (Add, AddBatch, Remove, RemoveBatch, Compact) are serialised by an
// internal mutex, so any thread may call them too, but they run one at a time. A reader
// takes the current snapshot (one shared_ptr copy under a short lock) and searches it
// without locks; a writer builds the next snapshot beside it and publishes it by swapping
// the pointer. A search therefore sees the index before or after a write, never half of it.
//
// Files. Save writes one compacted segment in the versioned, checksummed format described
// in docs/index.md, atomically (temporary file, fsync, rename). Load maps the file
// read-only and uses it in place: a 10M-hash index opens in the time it takes to verify
// its checksum and structure, with no rebuild. A damaged file is refused with Corruption.
#pragma once

#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "index/hamming_index.h"
#include "index/kernels.h"

namespace vigil::index {

namespace internal {
class MihSegment;
struct MihSnapshot;
struct MihDelta;
}  // namespace internal

// Entries the delta holds before it becomes a segment: scanning 4096 hashes (128 KiB) costs
// a few microseconds per query.
inline constexpr size_t kDefaultDeltaCapacity = 4096;
// Largest index file Load accepts (bytes): 2^31 entries need about 150 GiB.
inline constexpr uint64_t kMaxIndexFileBytes = uint64_t{256} << 30;

class MihIndex final : public HammingIndex {
 public:
  struct Options {
    size_t delta_capacity = kDefaultDeltaCapacity;
    internal::KernelLevel level = internal::BestLevel();
    unsigned build_threads = 0;  // 0 = all cores
  };
  struct LoadOptions {
    // Reads the whole body once to check its checksum. Off only for tests and fuzzing,
    // which still get every structural check.
    bool verify_checksum = true;
    internal::KernelLevel level = internal::BestLevel();
  };
  struct Stats {
    size_t entries = 0;
    size_t segments = 0;
    size_t delta_entries = 0;
    size_t deleted_entries = 0;  // marked, not yet compacted away
    size_t memory_bytes = 0;     // segment blocks + delta + bitmaps
  };

  MihIndex();
  explicit MihIndex(Options options);
  ~MihIndex() override;
  MihIndex(const MihIndex&) = delete;
  MihIndex& operator=(const MihIndex&) = delete;

  // Bulk build: one segment over all entries.
  static Result<std::unique_ptr<MihIndex>> Build(std::span<const uint64_t> ids,
                                                 std::span<const Hash256> hashes, Options options);
  static Result<std::unique_ptr<MihIndex>> Build(std::span<const uint64_t> ids,
                                                 std::span<const Hash256> hashes) {
    return Build(ids, hashes, Options{});
  }
  // Opens a file written by Save (memory-mapped, used in place).
  static Result<std::unique_ptr<MihIndex>> Load(const std::string& path, LoadOptions options);
  static Result<std::unique_ptr<MihIndex>> Load(const std::string& path) {
    return Load(path, LoadOptions{});
  }
  // Same checks on bytes in memory (copied); for tests and the fuzz target.
  static Result<std::unique_ptr<MihIndex>> LoadFromBytes(std::span<const uint8_t> bytes,
                                                         LoadOptions options);
  // Writes the current snapshot, compacted into one segment, to `path` atomically.
  Status Save(const std::string& path) const;

  Status Add(uint64_t id, const Hash256& hash) override;
  Status AddBatch(std::span<const uint64_t> ids, std::span<const Hash256> hashes) override;
  size_t Remove(uint64_t id) override;
  size_t RemoveBatch(std::span<const uint64_t> ids) override;
  size_t Size() const override;
  // Merges everything into one segment, dropping deleted entries.
  Status Compact();

  std::vector<Match> Search(const Hash256& query, int radius) const override;
  std::vector<std::vector<Match>> SearchBatch(std::span<const Hash256> queries,
                                              int radius) const override;
  std::vector<Match> Knn(const Hash256& query, size_t k, int max_radius = 256) const override;

  Stats GetStats() const;

 private:
  // shared_ptr: a snapshot is shared by the index and every reader searching it; it is
  // freed when the last of them lets go.
  std::shared_ptr<const internal::MihSnapshot> Current() const;
  void Publish(std::shared_ptr<const internal::MihSnapshot> next);
  void SearchSnapshot(const internal::MihSnapshot& s, const Hash256& query, int radius,
                      std::vector<Match>* out) const;
  size_t RemoveIfLocked(auto&& pred);
  Status FlushDeltaLocked(internal::MihSnapshot* next);
  void MergeTailLocked(internal::MihSnapshot* next);

  Options options_;
  std::mutex writer_mu_;        // serialises writers
  mutable std::mutex snap_mu_;  // guards snapshot_ (the pointer, not what it points to)
  std::shared_ptr<const internal::MihSnapshot> snapshot_;
  std::shared_ptr<internal::MihDelta> delta_;  // the writer appends beyond readers' counts
};

}  // namespace vigil::index
