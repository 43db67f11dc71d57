// BruteForceIndex: every query compares against every stored hash, with the blocked SIMD
// kernels of kernels.h (AVX-512 VPOPCNTDQ, AVX2 or scalar, chosen at run time).
//
// It is the reference the fast index is tested against, and the batch path: SearchBatch
// tiles the stored hashes so a tile stays in L1 while all queries pass over it, which runs
// close to the CPU's popcount throughput.
//
// Thread safety: any number of threads may search concurrently; Add/Remove take an
// exclusive lock, so readers and writers may also overlap (a reader sees the set before or
// after a write, never half of it).
#pragma once

#include <shared_mutex>
#include <vector>

#include "index/hamming_index.h"
#include "index/kernels.h"

namespace vigil::index {

class BruteForceIndex final : public HammingIndex {
 public:
  BruteForceIndex();
  // Forces a kernel level (tests compare levels); the default constructor takes the best.
  explicit BruteForceIndex(internal::KernelLevel level);

  Status Add(uint64_t id, const Hash256& hash) override;
  Status AddBatch(std::span<const uint64_t> ids, std::span<const Hash256> hashes) override;
  size_t Remove(uint64_t id) override;
  size_t RemoveBatch(std::span<const uint64_t> ids) override;
  size_t Size() const override;

  std::vector<Match> Search(const Hash256& query, int radius) const override;
  std::vector<std::vector<Match>> SearchBatch(std::span<const Hash256> queries,
                                              int radius) const override;
  std::vector<Match> Knn(const Hash256& query, size_t k, int max_radius = 256) const override;

  // Bytes held, for the benchmark's bytes-per-hash figure.
  size_t MemoryBytes() const;
  internal::KernelLevel level() const { return level_; }

 private:
  void AppendLocked(uint64_t id, const Hash256& hash);
  Hash256 HashAtLocked(size_t pos) const;
  void SetLocked(size_t pos, const Hash256& hash);
  size_t RemoveIfLocked(auto&& pred);

  const internal::KernelLevel level_;
  mutable std::shared_mutex mu_;
  std::vector<internal::Block8> blocks_;  // ceil(n/8) blocks; unused lanes are zero
  std::vector<uint64_t> ids_;             // ids_[pos]
};

}  // namespace vigil::index
