#include "index/mih_index.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <unordered_set>

#include "index/mih_segment.h"

static_assert(std::endian::native == std::endian::little,
              "the index file format is little-endian and used in place");

namespace vigil::index {

namespace internal {

struct SegmentRef {
  // shared_ptr: an immutable segment is shared by every snapshot that contains it.
  std::shared_ptr<const MihSegment> seg;
  // Deletion bitmap (bit per position), copied on write; null when nothing is deleted.
  std::shared_ptr<const std::vector<uint64_t>> deleted;
  size_t deleted_count = 0;

  size_t live() const { return seg->size() - deleted_count; }
  const uint64_t* bits() const { return deleted ? deleted->data() : nullptr; }
};

// Append-only: sized once, the writer fills slots beyond every published count.
struct MihDelta {
  explicit MihDelta(size_t capacity) : hashes(capacity), ids(capacity) {}
  std::vector<Hash256> hashes;
  std::vector<uint64_t> ids;
};

struct MihSnapshot {
  std::vector<SegmentRef> segments;
  std::shared_ptr<const MihDelta> delta;
  size_t delta_count = 0;
  std::shared_ptr<const std::vector<uint64_t>> delta_deleted;
  size_t delta_deleted_count = 0;
  size_t size = 0;  // live entries
};

}  // namespace internal

namespace {

using internal::MihDelta;
using internal::MihSegment;
using internal::MihSnapshot;
using internal::PosDist;
using internal::SegmentRef;

constexpr char kMagic[8] = {'V', 'I', 'G', 'I', 'L', 'M', 'I', 'H'};
constexpr uint32_t kFileVersion = 1;
constexpr size_t kHeaderBytes = 128;

// On-disk header, little-endian, 128 bytes; the body (a segment block) follows at byte 128.
struct FileHeader {
  char magic[8];
  uint32_t version;
  uint32_t header_bytes;
  uint64_t count;
  uint32_t tables;
  uint32_t substring_bits;
  uint32_t top_bits;
  uint32_t rem_bits;
  uint32_t pos_bits;
  uint32_t flags;
  uint64_t body_bytes;
  uint64_t body_checksum;
  uint8_t reserved[56];
  uint64_t header_checksum;  // Checksum64 of the 120 bytes before it
};
static_assert(sizeof(FileHeader) == kHeaderBytes);

inline bool Bit(const uint64_t* bits, size_t pos) {
  return bits && ((bits[pos >> 6] >> (pos & 63)) & 1);
}

class AlignedCopy final : public internal::SegmentStorage {
 public:
  explicit AlignedCopy(std::span<const uint8_t> bytes)
      : data_(static_cast<uint8_t*>(
            std::aligned_alloc(64, (std::max<size_t>(bytes.size(), 1) + 63) & ~size_t{63}))) {
    if (!bytes.empty()) std::memcpy(data_, bytes.data(), bytes.size());
  }
  ~AlignedCopy() override { std::free(data_); }
  AlignedCopy(const AlignedCopy&) = delete;
  AlignedCopy& operator=(const AlignedCopy&) = delete;
  const uint8_t* data() const override { return data_; }

 private:
  uint8_t* data_;
};

class Mapping final : public internal::SegmentStorage {
 public:
  Mapping(void* addr, size_t size) : addr_(addr), size_(size) {}
  ~Mapping() override { munmap(addr_, size_); }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  const uint8_t* data() const override { return static_cast<const uint8_t*>(addr_); }

 private:
  void* addr_;
  size_t size_;
};

// Checks a whole file image; returns the entry count.
Result<uint64_t> CheckFile(const uint8_t* data, size_t size, bool verify_checksum) {
  if (size < kHeaderBytes) {
    return Status::Corruption("index file is truncated: " + std::to_string(size) +
                              " bytes, the header alone is " + std::to_string(kHeaderBytes));
  }
  FileHeader h;
  std::memcpy(&h, data, sizeof h);
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0) {
    return Status::Corruption("not a vigil index file (bad magic)");
  }
  if (h.version != kFileVersion) {
    return Status::Unsupported("index file version " + std::to_string(h.version) +
                               "; this build reads version " + std::to_string(kFileVersion));
  }
  if (internal::Checksum64(data, offsetof(FileHeader, header_checksum)) != h.header_checksum) {
    return Status::Corruption("index file header checksum mismatch");
  }
  if (h.header_bytes != kHeaderBytes || h.tables != internal::kTables ||
      h.substring_bits != internal::kSubBits || h.flags != 0) {
    return Status::Unsupported("index file uses a table layout this build does not know");
  }
  if (h.count > kMaxIndexEntries) {
    return Status::Corruption("index file claims " + std::to_string(h.count) + " entries");
  }
  const internal::SegmentParams p = internal::SegmentParams::For(h.count);
  if (static_cast<int>(h.top_bits) != p.top_bits || static_cast<int>(h.rem_bits) != p.rem_bits ||
      static_cast<int>(h.pos_bits) != p.pos_bits) {
    return Status::Corruption("index file table parameters do not match its entry count");
  }
  const size_t body = internal::SegmentLayout::For(h.count, p).total;
  if (h.body_bytes != body) {
    return Status::Corruption("index file body size does not match its entry count");
  }
  if (size < kHeaderBytes + body) {
    return Status::Corruption("index file is truncated: " + std::to_string(size) +
                              " bytes, expected " + std::to_string(kHeaderBytes + body));
  }
  if (size > kHeaderBytes + body) {
    return Status::Corruption("index file has " + std::to_string(size - kHeaderBytes - body) +
                              " unexpected trailing bytes");
  }
  if (verify_checksum && internal::Checksum64(data + kHeaderBytes, body) != h.body_checksum) {
    return Status::Corruption("index file body checksum mismatch");
  }
  return h.count;
}

Result<std::unique_ptr<MihSegment>> OpenChecked(std::unique_ptr<internal::SegmentStorage> storage,
                                                size_t size, bool verify_checksum) {
  const uint8_t* data = storage->data();
  VIGIL_ASSIGN_OR_RETURN(uint64_t n, CheckFile(data, size, verify_checksum));
  return MihSegment::Open(std::move(storage), data + kHeaderBytes, n);
}

Status WriteAll(int fd, const void* data, size_t size, const std::string& path) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    ssize_t w = ::write(fd, p, std::min<size_t>(size, size_t{1} << 30));
    if (w < 0) {
      if (errno == EINTR) continue;
      return Status::IOError(path + ": write: " + std::strerror(errno));
    }
    p += w;
    size -= static_cast<size_t>(w);
  }
  return Status::OK();
}

Status WriteSegmentFile(const std::string& path, const MihSegment& seg) {
  FileHeader h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.version = kFileVersion;
  h.header_bytes = kHeaderBytes;
  h.count = seg.size();
  h.tables = internal::kTables;
  h.substring_bits = internal::kSubBits;
  h.top_bits = static_cast<uint32_t>(seg.params().top_bits);
  h.rem_bits = static_cast<uint32_t>(seg.params().rem_bits);
  h.pos_bits = static_cast<uint32_t>(seg.params().pos_bits);
  h.body_bytes = seg.block_bytes();
  h.body_checksum = internal::Checksum64(seg.block(), seg.block_bytes());
  h.header_checksum = internal::Checksum64(&h, offsetof(FileHeader, header_checksum));

  std::string tmp = path + ".tmp.XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0)
    return Status::IOError(path + ": cannot create a temporary file: " + std::strerror(errno));
  Status st = WriteAll(fd, &h, sizeof h, path);
  if (st.ok()) st = WriteAll(fd, seg.block(), seg.block_bytes(), path);
  if (st.ok() && ::fchmod(fd, 0644) != 0)
    st = Status::IOError(path + ": chmod: " + std::strerror(errno));
  if (st.ok() && ::fsync(fd) != 0) st = Status::IOError(path + ": fsync: " + std::strerror(errno));
  if (::close(fd) != 0 && st.ok()) st = Status::IOError(path + ": close: " + std::strerror(errno));
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    st = Status::IOError(path + ": rename: " + std::strerror(errno));
  }
  if (!st.ok()) ::unlink(tmp.c_str());
  return st;
}

// Live entries of a snapshot (or of some of its segments), in a stable order.
void CollectLive(const SegmentRef& ref, std::vector<uint64_t>* ids, std::vector<Hash256>* hashes) {
  const uint64_t* bits = ref.bits();
  for (size_t pos = 0; pos < ref.seg->size(); ++pos) {
    if (Bit(bits, pos)) continue;
    ids->push_back(ref.seg->id(pos));
    hashes->push_back(ref.seg->hash(pos));
  }
}

void CollectAll(const MihSnapshot& s, std::vector<uint64_t>* ids, std::vector<Hash256>* hashes) {
  ids->reserve(s.size);
  hashes->reserve(s.size);
  for (const SegmentRef& ref : s.segments) CollectLive(ref, ids, hashes);
  const uint64_t* dbits = s.delta_deleted ? s.delta_deleted->data() : nullptr;
  for (size_t i = 0; i < s.delta_count; ++i) {
    if (Bit(dbits, i)) continue;
    ids->push_back(s.delta->ids[i]);
    hashes->push_back(s.delta->hashes[i]);
  }
}

}  // namespace

MihIndex::MihIndex() : MihIndex(Options{}) {}

MihIndex::MihIndex(Options options) : options_(options) {
  if (options_.delta_capacity == 0) options_.delta_capacity = 1;
  if (!internal::LevelSupported(options_.level)) options_.level = internal::KernelLevel::kScalar;
  delta_ = std::make_shared<MihDelta>(options_.delta_capacity);
  auto s = std::make_shared<MihSnapshot>();
  s->delta = delta_;
  snapshot_ = std::move(s);
}

MihIndex::~MihIndex() = default;

std::shared_ptr<const MihSnapshot> MihIndex::Current() const {
  std::lock_guard lock(snap_mu_);
  return snapshot_;
}

void MihIndex::Publish(std::shared_ptr<const MihSnapshot> next) {
  std::shared_ptr<const MihSnapshot> old;
  {
    std::lock_guard lock(snap_mu_);
    old = std::move(snapshot_);
    snapshot_ = std::move(next);
  }
  // `old` may be the last reference; it is released here, outside the lock.
}

Result<std::unique_ptr<MihIndex>> MihIndex::Build(std::span<const uint64_t> ids,
                                                  std::span<const Hash256> hashes,
                                                  Options options) {
  if (ids.size() != hashes.size()) {
    return Status::InvalidArgument("Build: " + std::to_string(ids.size()) + " ids but " +
                                   std::to_string(hashes.size()) + " hashes");
  }
  if (ids.size() > kMaxIndexEntries) {
    return Status::ResourceExhausted("an index holds at most " + std::to_string(kMaxIndexEntries) +
                                     " entries");
  }
  auto index = std::make_unique<MihIndex>(options);
  if (ids.empty()) return index;
  auto next = std::make_shared<MihSnapshot>(*index->snapshot_);
  next->segments.push_back(
      {MihSegment::Build(ids, hashes, index->options_.build_threads), nullptr, 0});
  next->size = ids.size();
  index->Publish(std::move(next));
  return index;
}

Result<std::unique_ptr<MihIndex>> MihIndex::Load(const std::string& path, LoadOptions options) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError(path + ": " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    Status s = Status::IOError(path + ": " + std::strerror(errno));
    ::close(fd);
    return s;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument(path + ": not a regular file");
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size > kMaxIndexFileBytes) {
    ::close(fd);
    return Status::ResourceExhausted(path + ": index file larger than " +
                                     std::to_string(kMaxIndexFileBytes) + " bytes");
  }
  if (size < kHeaderBytes) {
    ::close(fd);
    return Status::Corruption(path + ": index file is truncated: " + std::to_string(size) +
                              " bytes, the header alone is " + std::to_string(kHeaderBytes));
  }
  // MAP_POPULATE maps the whole file in one call instead of one page fault per 4 KiB; the
  // checks below read every page anyway.
  void* addr = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  int map_errno = errno;
  ::close(fd);
  if (addr == MAP_FAILED) return Status::IOError(path + ": mmap: " + std::strerror(map_errno));
  auto storage = std::make_unique<Mapping>(addr, size);
  auto seg = OpenChecked(std::move(storage), size, options.verify_checksum);
  if (!seg.ok()) return seg.status().WithContext(path);
  Options o;
  o.level = options.level;
  auto index = std::make_unique<MihIndex>(o);
  auto next = std::make_shared<MihSnapshot>(*index->snapshot_);
  next->size = (*seg)->size();
  if (next->size) next->segments.push_back({std::move(*seg), nullptr, 0});
  index->Publish(std::move(next));
  return index;
}

Result<std::unique_ptr<MihIndex>> MihIndex::LoadFromBytes(std::span<const uint8_t> bytes,
                                                          LoadOptions options) {
  VIGIL_ASSIGN_OR_RETURN(auto seg, OpenChecked(std::make_unique<AlignedCopy>(bytes), bytes.size(),
                                               options.verify_checksum));
  Options o;
  o.level = options.level;
  auto index = std::make_unique<MihIndex>(o);
  auto next = std::make_shared<MihSnapshot>(*index->snapshot_);
  next->size = seg->size();
  if (next->size) next->segments.push_back({std::move(seg), nullptr, 0});
  index->Publish(std::move(next));
  return index;
}

Status MihIndex::Save(const std::string& path) const {
  auto s = Current();
  if (s->segments.size() == 1 && s->delta_count == 0 && s->segments[0].deleted_count == 0) {
    return WriteSegmentFile(path, *s->segments[0].seg);
  }
  std::vector<uint64_t> ids;
  std::vector<Hash256> hashes;
  CollectAll(*s, &ids, &hashes);
  auto seg = MihSegment::Build(ids, hashes, options_.build_threads);
  return WriteSegmentFile(path, *seg);
}

Status MihIndex::FlushDeltaLocked(MihSnapshot* next) {
  std::vector<uint64_t> ids;
  std::vector<Hash256> hashes;
  const uint64_t* dbits = next->delta_deleted ? next->delta_deleted->data() : nullptr;
  for (size_t i = 0; i < next->delta_count; ++i) {
    if (Bit(dbits, i)) continue;
    ids.push_back(delta_->ids[i]);
    hashes.push_back(delta_->hashes[i]);
  }
  if (!ids.empty()) {
    next->segments.push_back({MihSegment::Build(ids, hashes, options_.build_threads), nullptr, 0});
  }
  delta_ = std::make_shared<MihDelta>(options_.delta_capacity);
  next->delta = delta_;
  next->delta_count = 0;
  next->delta_deleted.reset();
  next->delta_deleted_count = 0;
  MergeTailLocked(next);
  return Status::OK();
}

void MihIndex::MergeTailLocked(MihSnapshot* next) {
  auto& segs = next->segments;
  // Log-structured merging: the newest segment merges into its predecessor while it is at
  // least half as large, so sizes fall geometrically and each entry is rebuilt O(log n) times.
  while (segs.size() >= 2 && segs.back().live() * 2 >= segs[segs.size() - 2].live()) {
    std::vector<uint64_t> ids;
    std::vector<Hash256> hashes;
    CollectLive(segs[segs.size() - 2], &ids, &hashes);
    CollectLive(segs.back(), &ids, &hashes);
    segs.pop_back();
    segs.pop_back();
    if (!ids.empty())
      segs.push_back({MihSegment::Build(ids, hashes, options_.build_threads), nullptr, 0});
  }
}

Status MihIndex::Add(uint64_t id, const Hash256& hash) {
  return AddBatch(std::span<const uint64_t>(&id, 1), std::span<const Hash256>(&hash, 1));
}

Status MihIndex::AddBatch(std::span<const uint64_t> ids, std::span<const Hash256> hashes) {
  if (ids.size() != hashes.size()) {
    return Status::InvalidArgument("AddBatch: " + std::to_string(ids.size()) + " ids but " +
                                   std::to_string(hashes.size()) + " hashes");
  }
  if (ids.empty()) return Status::OK();
  std::lock_guard wlock(writer_mu_);
  auto cur = Current();
  if (cur->size + ids.size() > kMaxIndexEntries) {
    return Status::ResourceExhausted("an index holds at most " + std::to_string(kMaxIndexEntries) +
                                     " entries");
  }
  auto next = std::make_shared<MihSnapshot>(*cur);
  if (ids.size() >= options_.delta_capacity) {
    // A large batch becomes a segment of its own straight away.
    next->segments.push_back({MihSegment::Build(ids, hashes, options_.build_threads), nullptr, 0});
    MergeTailLocked(next.get());
  } else {
    for (size_t i = 0; i < ids.size(); ++i) {
      if (next->delta_count == options_.delta_capacity)
        VIGIL_RETURN_IF_ERROR(FlushDeltaLocked(next.get()));
      // Slot delta_count is beyond what any published snapshot shows, so readers never see
      // it being written.
      delta_->hashes[next->delta_count] = hashes[i];
      delta_->ids[next->delta_count] = ids[i];
      ++next->delta_count;
    }
  }
  next->size += ids.size();
  Publish(std::move(next));
  return Status::OK();
}

size_t MihIndex::RemoveIfLocked(auto&& pred) {
  auto cur = Current();
  auto next = std::make_shared<MihSnapshot>(*cur);
  size_t removed = 0;
  std::vector<SegmentRef> kept;
  for (SegmentRef& ref : next->segments) {
    const uint64_t* bits = ref.bits();
    const uint64_t* ids = ref.seg->ids();
    std::shared_ptr<std::vector<uint64_t>> copy;
    for (size_t pos = 0; pos < ref.seg->size(); ++pos) {
      if (!pred(ids[pos]) || Bit(bits, pos)) continue;
      if (!copy) {
        copy = ref.deleted ? std::make_shared<std::vector<uint64_t>>(*ref.deleted)
                           : std::make_shared<std::vector<uint64_t>>((ref.seg->size() + 63) / 64);
      }
      (*copy)[pos >> 6] |= uint64_t{1} << (pos & 63);
      ++ref.deleted_count;
      ++removed;
    }
    if (copy) ref.deleted = std::move(copy);
    if (ref.live() == 0) continue;
    if (ref.deleted_count * 2 > ref.seg->size()) {
      // Mostly deleted: rebuild smaller rather than keep scanning dead entries.
      std::vector<uint64_t> live_ids;
      std::vector<Hash256> live_hashes;
      CollectLive(ref, &live_ids, &live_hashes);
      kept.push_back(
          {MihSegment::Build(live_ids, live_hashes, options_.build_threads), nullptr, 0});
    } else {
      kept.push_back(std::move(ref));
    }
  }
  next->segments = std::move(kept);
  {
    const uint64_t* bits = next->delta_deleted ? next->delta_deleted->data() : nullptr;
    std::shared_ptr<std::vector<uint64_t>> copy;
    for (size_t i = 0; i < next->delta_count; ++i) {
      if (!pred(next->delta->ids[i]) || Bit(bits, i)) continue;
      if (!copy) {
        copy = next->delta_deleted
                   ? std::make_shared<std::vector<uint64_t>>(*next->delta_deleted)
                   : std::make_shared<std::vector<uint64_t>>((options_.delta_capacity + 63) / 64);
      }
      (*copy)[i >> 6] |= uint64_t{1} << (i & 63);
      ++next->delta_deleted_count;
      ++removed;
    }
    if (copy) next->delta_deleted = std::move(copy);
  }
  if (removed == 0) return 0;
  next->size -= removed;
  Publish(std::move(next));
  return removed;
}

size_t MihIndex::Remove(uint64_t id) {
  std::lock_guard wlock(writer_mu_);
  return RemoveIfLocked([id](uint64_t x) { return x == id; });
}

size_t MihIndex::RemoveBatch(std::span<const uint64_t> ids) {
  if (ids.empty()) return 0;
  std::unordered_set<uint64_t> set(ids.begin(), ids.end());
  std::lock_guard wlock(writer_mu_);
  return RemoveIfLocked([&set](uint64_t x) { return set.count(x) != 0; });
}

Status MihIndex::Compact() {
  std::lock_guard wlock(writer_mu_);
  auto cur = Current();
  auto next = std::make_shared<MihSnapshot>();
  std::vector<uint64_t> ids;
  std::vector<Hash256> hashes;
  CollectAll(*cur, &ids, &hashes);
  if (!ids.empty())
    next->segments.push_back({MihSegment::Build(ids, hashes, options_.build_threads), nullptr, 0});
  delta_ = std::make_shared<MihDelta>(options_.delta_capacity);
  next->delta = delta_;
  next->size = ids.size();
  Publish(std::move(next));
  return Status::OK();
}

size_t MihIndex::Size() const { return Current()->size; }

MihIndex::Stats MihIndex::GetStats() const {
  auto s = Current();
  Stats st;
  st.entries = s->size;
  st.segments = s->segments.size();
  st.delta_entries = s->delta_count - s->delta_deleted_count;
  st.deleted_entries = s->delta_deleted_count;
  st.memory_bytes = options_.delta_capacity * (sizeof(Hash256) + sizeof(uint64_t));
  for (const SegmentRef& ref : s->segments) {
    st.deleted_entries += ref.deleted_count;
    st.memory_bytes += ref.seg->block_bytes() + (ref.deleted ? ref.deleted->size() * 8 : 0);
  }
  return st;
}

void MihIndex::SearchSnapshot(const MihSnapshot& s, const Hash256& query, int radius,
                              std::vector<Match>* out) const {
  if (radius < 0) return;
  if (radius > 256) radius = 256;
  thread_local std::vector<PosDist> found;
  for (const SegmentRef& ref : s.segments) {
    found.clear();
    ref.seg->Search(query, radius, options_.level, ref.bits(), &found);
    for (const PosDist& pd : found)
      out->push_back({ref.seg->id(pd.pos), static_cast<int>(pd.distance)});
  }
  if (s.delta_count) {
    found.clear();
    internal::ScanHashes(options_.level, s.delta->hashes.data(), s.delta_count, query, radius, 0,
                         &found);
    const uint64_t* dbits = s.delta_deleted ? s.delta_deleted->data() : nullptr;
    for (const PosDist& pd : found) {
      if (!Bit(dbits, pd.pos))
        out->push_back({s.delta->ids[pd.pos], static_cast<int>(pd.distance)});
    }
  }
}

std::vector<Match> MihIndex::Search(const Hash256& query, int radius) const {
  std::vector<Match> out;
  auto s = Current();
  SearchSnapshot(*s, query, radius, &out);
  std::sort(out.begin(), out.end(), MatchLess);
  return out;
}

std::vector<std::vector<Match>> MihIndex::SearchBatch(std::span<const Hash256> queries,
                                                      int radius) const {
  std::vector<std::vector<Match>> results(queries.size());
  auto s = Current();  // one snapshot for the whole batch
  for (size_t i = 0; i < queries.size(); ++i) {
    SearchSnapshot(*s, queries[i], radius, &results[i]);
    std::sort(results[i].begin(), results[i].end(), MatchLess);
  }
  return results;
}

std::vector<Match> MihIndex::Knn(const Hash256& query, size_t k, int max_radius) const {
  std::vector<Match> out;
  if (k == 0 || max_radius < 0) return out;
  max_radius = std::min(max_radius, 256);
  auto s = Current();
  // Exact: a range search at radius R returns every entry within R, so once it holds k
  // entries the k nearest are among them. Grow R until it does.
  for (int r : {7, 15, 31, 63, 127, 256}) {
    const int radius = std::min(r, max_radius);
    out.clear();
    SearchSnapshot(*s, query, radius, &out);
    if (out.size() >= k || radius == max_radius) break;
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
