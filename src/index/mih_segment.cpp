#include "index/mih_segment.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace vigil::index::internal {
namespace {

constexpr size_t Align64(size_t x) { return (x + 63) & ~size_t{63}; }

class HeapStorage final : public SegmentStorage {
 public:
  explicit HeapStorage(size_t bytes)
      : data_(static_cast<uint8_t*>(std::aligned_alloc(64, Align64(std::max<size_t>(bytes, 64))))) {
  }
  ~HeapStorage() override { std::free(data_); }
  HeapStorage(const HeapStorage&) = delete;
  HeapStorage& operator=(const HeapStorage&) = delete;
  const uint8_t* data() const override { return data_; }
  uint8_t* mutable_data() { return data_; }

 private:
  uint8_t* data_;
};

// Number of keys within distance t of a key of `bits` bits: sum_{i<=t} C(bits, i).
double BallSize(int bits, int t) {
  double total = 0, c = 1;
  for (int i = 0; i <= t && i <= bits; ++i) {
    total += c;
    c = c * (bits - i) / (i + 1);
  }
  return total;
}

inline uint64_t Rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

// Scratch buffers reused across searches on one thread, so a query allocates nothing once
// warm.
struct Scratch {
  std::vector<uint32_t> probe_bucket;
  std::vector<uint8_t> probe_table;
  std::vector<uint8_t> probe_allowed;
  std::vector<uint32_t> lo, hi;
  std::vector<uint32_t> cands;
  std::vector<PosDist> found;
};

Scratch& ThreadScratch() {
  thread_local Scratch s;
  return s;
}

inline bool IsDeleted(const uint64_t* deleted, uint32_t pos) {
  return deleted && ((deleted[pos >> 6] >> (pos & 63)) & 1);
}

}  // namespace

SegmentParams SegmentParams::For(uint64_t n) {
  SegmentParams p;
  p.pos_bits = n <= 2 ? 1 : std::bit_width(n - 1);
  p.top_bits = std::clamp(p.pos_bits - kGroupBits, 0, kSubBits);
  p.rem_bits = kSubBits - p.top_bits;
  return p;
}

SegmentLayout SegmentLayout::For(uint64_t n, const SegmentParams& p) {
  SegmentLayout l;
  size_t at = 0;
  l.hashes = at;
  at = Align64(at + n * sizeof(Hash256));
  l.ids = at;
  at = Align64(at + n * sizeof(uint64_t));
  for (int t = 0; t < kTables; ++t) {
    l.offsets[t] = at;
    at = Align64(at + ((size_t{1} << p.top_bits) + 1) * sizeof(uint32_t));
    l.entries[t] = at;
    at = Align64(at + n * sizeof(uint32_t));
  }
  l.total = at;
  return l;
}

uint32_t Substring(const Hash256& h, int table) {
  const int bit = kSubBits * table;
  const int word = bit >> 6, off = bit & 63;
  uint64_t v = h.w[word] >> off;
  if (off > 64 - kSubBits && word < 3) v |= h.w[word + 1] << (64 - off);
  return static_cast<uint32_t>(v & ((uint64_t{1} << kSubBits) - 1));
}

uint64_t Checksum64(const void* data, size_t size, uint64_t seed) {
  constexpr uint64_t P1 = 0x9E3779B185EBCA87ULL, P2 = 0xC2B2AE3D27D4EB4FULL,
                     P3 = 0x165667B19E3779F9ULL, P4 = 0x85EBCA77C2B2AE63ULL,
                     P5 = 0x27D4EB2F165667C5ULL;
  auto round = [&](uint64_t acc, uint64_t in) { return Rotl(acc + in * P2, 31) * P1; };
  auto merge = [&](uint64_t acc, uint64_t v) { return (acc ^ round(0, v)) * P1 + P4; };
  auto read64 = [](const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  };
  const uint8_t* p = static_cast<const uint8_t*>(data);
  const uint8_t* end = p + size;
  uint64_t h;
  if (size >= 32) {
    uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
    for (; p + 32 <= end; p += 32) {
      v1 = round(v1, read64(p));
      v2 = round(v2, read64(p + 8));
      v3 = round(v3, read64(p + 16));
      v4 = round(v4, read64(p + 24));
    }
    h = Rotl(v1, 1) + Rotl(v2, 7) + Rotl(v3, 12) + Rotl(v4, 18);
    h = merge(h, v1);
    h = merge(h, v2);
    h = merge(h, v3);
    h = merge(h, v4);
  } else {
    h = seed + P5;
  }
  h += size;
  for (; p + 8 <= end; p += 8) h = Rotl(h ^ round(0, read64(p)), 27) * P1 + P4;
  for (; p < end; ++p) h = Rotl(h ^ (*p * P5), 11) * P1;
  h ^= h >> 33;
  h *= P2;
  h ^= h >> 29;
  h *= P3;
  h ^= h >> 32;
  return h;
}

void TableRadii(int radius, int* t) {
  const int total = radius + 1;
  const int base = total / kTables, extra = total % kTables;
  for (int i = 0; i < kTables; ++i) t[i] = base - 1 + (i < extra ? 1 : 0);
}

MihSegment::MihSegment(std::unique_ptr<SegmentStorage> storage, const uint8_t* block, uint64_t n)
    : storage_(std::move(storage)),
      block_(block),
      n_(n),
      params_(SegmentParams::For(n)),
      layout_(SegmentLayout::For(n, params_)) {
  hashes_ = reinterpret_cast<const Hash256*>(block_ + layout_.hashes);
  ids_ = reinterpret_cast<const uint64_t*>(block_ + layout_.ids);
  for (int t = 0; t < kTables; ++t) {
    offsets_[t] = reinterpret_cast<const uint32_t*>(block_ + layout_.offsets[t]);
    entries_[t] = reinterpret_cast<const uint32_t*>(block_ + layout_.entries[t]);
  }
}

std::unique_ptr<MihSegment> MihSegment::Build(std::span<const uint64_t> ids,
                                              std::span<const Hash256> hashes, unsigned threads) {
  const uint64_t n = std::min(ids.size(), hashes.size());
  const SegmentParams p = SegmentParams::For(n);
  const SegmentLayout l = SegmentLayout::For(n, p);
  auto storage = std::make_unique<HeapStorage>(l.total);
  uint8_t* block = storage->mutable_data();
  std::memset(block, 0, l.total);  // padding is part of the checksummed file: keep it defined
  if (n) {
    std::memcpy(block + l.hashes, hashes.data(), n * sizeof(Hash256));
    std::memcpy(block + l.ids, ids.data(), n * sizeof(uint64_t));
  }
  const Hash256* hs = reinterpret_cast<const Hash256*>(block + l.hashes);
  const size_t groups = size_t{1} << p.top_bits;

  // Counting sort of positions by substring group, table by table; within a group entries
  // stay in position order.
  auto build_table = [&](int t, std::vector<uint32_t>& keys) {
    uint32_t* off = reinterpret_cast<uint32_t*>(block + l.offsets[t]);
    uint32_t* ent = reinterpret_cast<uint32_t*>(block + l.entries[t]);
    keys.resize(n);
    for (uint64_t i = 0; i < n; ++i) {
      uint32_t key = Substring(hs[i], t);
      keys[i] = key;
      ++off[(key >> p.rem_bits) + 1];
    }
    for (size_t g = 0; g < groups; ++g) off[g + 1] += off[g];
    std::vector<uint32_t> cursor(off, off + groups);
    const uint32_t rem_mask = (1u << p.rem_bits) - 1;
    for (uint64_t i = 0; i < n; ++i) {
      uint32_t key = keys[i];
      ent[cursor[key >> p.rem_bits]++] =
          ((key & rem_mask) << p.pos_bits) | static_cast<uint32_t>(i);
    }
  };
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<uint64_t>(threads, kTables));
  if (n < 65536) threads = 1;
  if (threads <= 1) {
    std::vector<uint32_t> keys;
    for (int t = 0; t < kTables; ++t) build_table(t, keys);
  } else {
    std::vector<std::thread> pool;
    for (unsigned w = 0; w < threads; ++w) {
      pool.emplace_back([&, w] {
        std::vector<uint32_t> keys;
        for (int t = static_cast<int>(w); t < kTables; t += static_cast<int>(threads))
          build_table(t, keys);
      });
    }
    for (auto& th : pool) th.join();
  }
  const uint8_t* data = block;
  return std::unique_ptr<MihSegment>(new MihSegment(std::move(storage), data, n));
}

Result<std::unique_ptr<MihSegment>> MihSegment::Open(std::unique_ptr<SegmentStorage> storage,
                                                     const uint8_t* block, uint64_t n) {
  if (n > kMaxIndexEntries) {
    return Status::Corruption("segment claims " + std::to_string(n) + " entries, more than " +
                              std::to_string(kMaxIndexEntries));
  }
  std::unique_ptr<MihSegment> seg(new MihSegment(std::move(storage), block, n));
  const size_t groups = size_t{1} << seg->params_.top_bits;
  for (int t = 0; t < kTables; ++t) {
    const uint32_t* off = seg->offsets_[t];
    if (off[0] != 0 || off[groups] != n) {
      return Status::Corruption("table " + std::to_string(t) + ": offsets do not span the entries");
    }
    for (size_t g = 0; g < groups; ++g) {
      if (off[g] > off[g + 1]) {
        return Status::Corruption("table " + std::to_string(t) + ": offsets decrease at group " +
                                  std::to_string(g));
      }
    }
    const uint32_t* ent = seg->entries_[t];
    const uint32_t pos_mask = (1u << seg->params_.pos_bits) - 1;
    const uint32_t rem_limit = seg->params_.rem_bits;
    uint32_t bad = 0;
    for (uint64_t i = 0; i < n; ++i) {
      // Branch-free over the whole table; the rare fault is located afterwards.
      bad |= static_cast<uint32_t>((ent[i] & pos_mask) >= n);
      if (seg->params_.pos_bits + static_cast<int>(rem_limit) < 32)
        bad |= ent[i] >> (seg->params_.pos_bits + rem_limit);
    }
    if (bad)
      return Status::Corruption("table " + std::to_string(t) +
                                ": an entry points outside the segment");
  }
  return seg;
}

bool MihSegment::UsesTables(int radius) const {
  if (radius < 0 || n_ < 256) return false;
  int t[kTables];
  TableRadii(radius, t);
  // Costs in nanoseconds, fitted to measurements on an AVX-512 Xeon (docs/index.md): a
  // probe (two dependent random reads, offsets then group) ~55, a filtered entry ~1, a
  // verified candidate (random 32-byte read) ~20; a scan streams memory at ~2.5 per hash.
  const double group = static_cast<double>(n_) / static_cast<double>(size_t{1} << params_.top_bits);
  double cost = 0;
  for (int i = 0; i < kTables; ++i) {
    if (t[i] < 0) continue;
    double probes = BallSize(params_.top_bits, t[i]);
    double cands = static_cast<double>(n_) * BallSize(kSubBits, t[i]) / double(1 << kSubBits);
    cost += probes * 55 + probes * group + cands * 20;
  }
  return cost < static_cast<double>(n_) * 2.5;
}

void MihSegment::Search(const Hash256& query, int radius, KernelLevel level,
                        const uint64_t* deleted, std::vector<PosDist>* out, Plan plan) const {
  if (radius < 0 || n_ == 0) return;
  if (radius > 256) radius = 256;
  const bool tables = plan == Plan::kAuto ? UsesTables(radius) : plan == Plan::kTables;
  if (tables) return SearchTables(query, radius, level, deleted, out);
  size_t start = out->size();
  ScanHashes(level, hashes_, n_, query, radius, 0, out);
  if (deleted) {
    auto it = std::remove_if(out->begin() + static_cast<ptrdiff_t>(start), out->end(),
                             [&](const PosDist& pd) { return IsDeleted(deleted, pd.pos); });
    out->erase(it, out->end());
  }
}

void MihSegment::SearchTables(const Hash256& query, int radius, KernelLevel level,
                              const uint64_t* deleted, std::vector<PosDist>* out) const {
  Scratch& s = ThreadScratch();
  s.probe_bucket.clear();
  s.probe_table.clear();
  s.probe_allowed.clear();
  int t[kTables];
  TableRadii(radius, t);
  const int top = params_.top_bits, rem = params_.rem_bits;
  const uint32_t rem_mask = (1u << rem) - 1;
  uint32_t qrem[kTables];

  // 1. Probes: for each table, every group within t_i of the query's group, with the
  //    number of bits left for the remainder filter.
  for (int i = 0; i < kTables; ++i) {
    if (t[i] < 0) continue;
    const uint32_t key = Substring(query, i);
    const uint32_t qtop = key >> rem;
    qrem[i] = key & rem_mask;
    for (int d = 0; d <= t[i] && d <= top; ++d) {
      const uint8_t allowed = static_cast<uint8_t>(std::min(t[i] - d, rem));
      if (d == 0) {
        s.probe_bucket.push_back(qtop);
        s.probe_table.push_back(static_cast<uint8_t>(i));
        s.probe_allowed.push_back(allowed);
        continue;
      }
      // Gosper's hack: every top-bits mask with exactly d bits set.
      uint32_t m = (1u << d) - 1;
      const uint32_t limit = 1u << top;
      while (m < limit) {
        s.probe_bucket.push_back(qtop ^ m);
        s.probe_table.push_back(static_cast<uint8_t>(i));
        s.probe_allowed.push_back(allowed);
        uint32_t c = m & -m, r = m + c;
        m = (((r ^ m) >> 2) / c) | r;
      }
    }
  }
  const size_t np = s.probe_bucket.size();

  // 2+3. A software pipeline over the probes: the offsets of probe j + kOffAhead are
  //    prefetched, the bounds of probe j read (and its group's first lines prefetched),
  //    and probe j - kGroupAhead filtered, so the dependent random reads overlap.
  constexpr size_t kOffAhead = 24, kGroupAhead = 8;
  s.lo.resize(np);
  s.hi.resize(np);
  size_t nc = 0;  // s.cands is grown, never shrunk or zero-filled per query
  for (size_t j = 0; j < kOffAhead && j < np; ++j) {
    __builtin_prefetch(offsets_[s.probe_table[j]] + s.probe_bucket[j]);
  }
  for (size_t j = 0; j < np + kGroupAhead; ++j) {
    if (j < np) {
      if (j + kOffAhead < np) {
        __builtin_prefetch(offsets_[s.probe_table[j + kOffAhead]] + s.probe_bucket[j + kOffAhead]);
      }
      const uint32_t* off = offsets_[s.probe_table[j]] + s.probe_bucket[j];
      const uint32_t lo = off[0], hi = off[1];
      s.lo[j] = lo;
      s.hi[j] = hi;
      const uint32_t* first = entries_[s.probe_table[j]] + lo;
      __builtin_prefetch(first);
      if (hi - lo > 16) __builtin_prefetch(first + 16);
    }
    if (j < kGroupAhead) continue;
    const size_t p = j - kGroupAhead;
    const uint32_t len = s.hi[p] - s.lo[p];
    if (len == 0) continue;
    const int ti = s.probe_table[p];
    if (s.cands.size() < nc + len) s.cands.resize(std::max(2 * s.cands.size(), nc + len + 1024));
    nc += FilterEntries(level, entries_[ti] + s.lo[p], len, params_.pos_bits, qrem[ti],
                        s.probe_allowed[p], s.cands.data() + nc);
  }

  // 4. Verify candidates on the full hash; the same hash may come from several tables.
  s.found.clear();
  VerifyCandidates(level, hashes_, s.cands.data(), nc, query, radius, &s.found);
  if (s.found.size() > 1) {
    std::sort(s.found.begin(), s.found.end(),
              [](const PosDist& a, const PosDist& b) { return a.pos < b.pos; });
  }
  uint32_t last = UINT32_MAX;
  for (const PosDist& pd : s.found) {
    if (pd.pos == last) continue;
    last = pd.pos;
    if (!IsDeleted(deleted, pd.pos)) out->push_back(pd);
  }
}

}  // namespace vigil::index::internal
