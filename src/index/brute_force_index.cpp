#include "index/brute_force_index.h"

#include <algorithm>
#include <mutex>
#include <unordered_set>

namespace vigil::index {

using internal::Block8;
using internal::Hit;

BruteForceIndex::BruteForceIndex() : BruteForceIndex(internal::BestLevel()) {}

BruteForceIndex::BruteForceIndex(internal::KernelLevel level)
    : level_(internal::LevelSupported(level) ? level : internal::KernelLevel::kScalar) {}

void BruteForceIndex::SetLocked(size_t pos, const Hash256& hash) {
  Block8& b = blocks_[pos / 8];
  for (int k = 0; k < 4; ++k) b.w[k][pos % 8] = hash.w[k];
}

Hash256 BruteForceIndex::HashAtLocked(size_t pos) const {
  const Block8& b = blocks_[pos / 8];
  Hash256 h;
  for (int k = 0; k < 4; ++k) h.w[k] = b.w[k][pos % 8];
  return h;
}

void BruteForceIndex::AppendLocked(uint64_t id, const Hash256& hash) {
  size_t pos = ids_.size();
  if (pos % 8 == 0) blocks_.emplace_back();
  SetLocked(pos, hash);
  ids_.push_back(id);
}

Status BruteForceIndex::Add(uint64_t id, const Hash256& hash) {
  std::unique_lock lock(mu_);
  if (ids_.size() >= kMaxIndexEntries) {
    return Status::ResourceExhausted("index is full (" + std::to_string(kMaxIndexEntries) +
                                     " entries)");
  }
  AppendLocked(id, hash);
  return Status::OK();
}

Status BruteForceIndex::AddBatch(std::span<const uint64_t> ids, std::span<const Hash256> hashes) {
  if (ids.size() != hashes.size()) {
    return Status::InvalidArgument("AddBatch: " + std::to_string(ids.size()) + " ids but " +
                                   std::to_string(hashes.size()) + " hashes");
  }
  std::unique_lock lock(mu_);
  if (ids_.size() + ids.size() > kMaxIndexEntries) {
    return Status::ResourceExhausted("index is full (" + std::to_string(kMaxIndexEntries) +
                                     " entries)");
  }
  blocks_.reserve((ids_.size() + ids.size() + 7) / 8);
  ids_.reserve(ids_.size() + ids.size());
  for (size_t i = 0; i < ids.size(); ++i) AppendLocked(ids[i], hashes[i]);
  return Status::OK();
}

size_t BruteForceIndex::RemoveIfLocked(auto&& pred) {
  size_t removed = 0;
  size_t pos = 0;
  while (pos < ids_.size()) {
    if (!pred(ids_[pos])) {
      ++pos;
      continue;
    }
    // Move the last entry into the hole: order inside the index carries no meaning.
    size_t last = ids_.size() - 1;
    SetLocked(pos, HashAtLocked(last));
    ids_[pos] = ids_[last];
    SetLocked(last, Hash256{});
    ids_.pop_back();
    if (ids_.size() % 8 == 0) blocks_.pop_back();
    ++removed;
  }
  return removed;
}

size_t BruteForceIndex::Remove(uint64_t id) {
  std::unique_lock lock(mu_);
  return RemoveIfLocked([id](uint64_t x) { return x == id; });
}

size_t BruteForceIndex::RemoveBatch(std::span<const uint64_t> ids) {
  std::unordered_set<uint64_t> set(ids.begin(), ids.end());
  std::unique_lock lock(mu_);
  return RemoveIfLocked([&set](uint64_t x) { return set.count(x) != 0; });
}

size_t BruteForceIndex::Size() const {
  std::shared_lock lock(mu_);
  return ids_.size();
}

size_t BruteForceIndex::MemoryBytes() const {
  std::shared_lock lock(mu_);
  return blocks_.capacity() * sizeof(Block8) + ids_.capacity() * sizeof(uint64_t);
}

std::vector<Match> BruteForceIndex::Search(const Hash256& query, int radius) const {
  return SearchBatch(std::span<const Hash256>(&query, 1), radius)[0];
}

std::vector<std::vector<Match>> BruteForceIndex::SearchBatch(std::span<const Hash256> queries,
                                                             int radius) const {
  std::vector<std::vector<Match>> results(queries.size());
  if (radius < 0) return results;
  std::shared_lock lock(mu_);
  // Queries go in groups so the hit list stays small even when the radius is wide.
  constexpr size_t kQueryGroup = 256;
  std::vector<Hit> hits;
  for (size_t q0 = 0; q0 < queries.size(); q0 += kQueryGroup) {
    size_t nq = std::min(kQueryGroup, queries.size() - q0);
    hits.clear();
    internal::ScanBlocks(level_, blocks_.data(), ids_.size(), queries.data() + q0, nq, radius,
                         static_cast<uint32_t>(q0), &hits);
    for (const Hit& h : hits) {
      results[h.query].push_back({ids_[h.pos], static_cast<int>(h.distance)});
    }
  }
  for (auto& r : results) std::sort(r.begin(), r.end(), MatchLess);
  return results;
}

std::vector<Match> BruteForceIndex::Knn(const Hash256& query, size_t k, int max_radius) const {
  std::vector<Match> out;
  if (k == 0 || max_radius < 0) return out;
  std::shared_lock lock(mu_);
  std::vector<uint16_t> dist(ids_.size());
  internal::BlockDistances(level_, blocks_.data(), ids_.size(), query, dist.data());
  for (size_t pos = 0; pos < ids_.size(); ++pos) {
    if (dist[pos] <= max_radius) out.push_back({ids_[pos], dist[pos]});
  }
  if (out.size() > k) {
    std::nth_element(out.begin(), out.begin() + static_cast<ptrdiff_t>(k - 1), out.end(),
                     MatchLess);
    out.resize(k);
  }
  std::sort(out.begin(), out.end(), MatchLess);
  return out;
}

}  // namespace vigil::index
