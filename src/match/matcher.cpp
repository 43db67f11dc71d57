#include "match/matcher.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "core/file.h"

namespace vigil::match {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string ExactKey(store::SignalType type, std::string_view value) {
  std::string key(store::SignalTypeName(type));
  key.push_back('\0');
  key += value;
  return key;
}

// --- the PDQ snapshot (LoadOptions::pdq_cache_dir) ------------------------------------
// Two files per set of bank versions, named by a hash of it: pdq-<key>.mih (MihIndex::Save,
// checksummed) and pdq-<key>.entries:
//   "VGLPDQE1" | u32 length | "bank:version,..." | u64 n | n x (i64 id, i64 bank) | u64 sum
// (little-endian; sum: Checksum over every byte before it).
constexpr char kEntriesMagic[8] = {'V', 'G', 'L', 'P', 'D', 'Q', 'E', '1'};
// Largest entries file read: 2^31 signals.
constexpr uint64_t kMaxEntriesFileBytes = uint64_t{16} << 31;

uint64_t Checksum(const uint8_t* p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * 0x100000001b3ull;
    h ^= h >> 29;
  }
  for (; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

template <typename T>
void Put(std::vector<uint8_t>* out, T v) {
  const size_t at = out->size();
  out->resize(at + sizeof v);
  std::memcpy(out->data() + at, &v, sizeof v);
}

std::string CacheBase(const std::string& dir, const std::string& versions) {
  char key[17];
  const uint64_t h = Checksum(reinterpret_cast<const uint8_t*>(versions.data()), versions.size());
  std::snprintf(key, sizeof key, "%016llx", static_cast<unsigned long long>(h));
  return dir + "/pdq-" + key;
}

Status WriteEntries(const std::string& path, const std::string& versions,
                    const std::vector<std::pair<int64_t, int64_t>>& entries) {
  std::vector<uint8_t> out(kEntriesMagic, kEntriesMagic + 8);
  out.reserve(32 + versions.size() + entries.size() * 16);
  Put(&out, static_cast<uint32_t>(versions.size()));
  out.insert(out.end(), versions.begin(), versions.end());
  Put(&out, static_cast<uint64_t>(entries.size()));
  for (const auto& [id, bank] : entries) {
    Put(&out, id);
    Put(&out, bank);
  }
  Put(&out, Checksum(out.data(), out.size()));
  return WriteFileAtomic(path, out.data(), out.size());
}

Result<std::vector<std::pair<int64_t, int64_t>>> ReadEntries(const std::string& path,
                                                             const std::string& versions) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<uint8_t> b, ReadFileBytes(path, kMaxEntriesFileBytes));
  auto bad = [&](const char* why) { return Status::Corruption(path + ": " + why); };
  if (b.size() < 8 + 4 + 8 + 8 || std::memcmp(b.data(), kEntriesMagic, 8) != 0) {
    return bad("not a PDQ snapshot");
  }
  uint64_t sum;
  std::memcpy(&sum, b.data() + b.size() - 8, 8);
  if (Checksum(b.data(), b.size() - 8) != sum) return bad("checksum mismatch");
  uint32_t vlen;
  std::memcpy(&vlen, b.data() + 8, 4);
  if (uint64_t{vlen} + 8 + 4 + 8 + 8 > b.size()) return bad("truncated");
  if (std::string_view(reinterpret_cast<const char*>(b.data() + 12), vlen) != versions) {
    return Status::NotFound(path + ": other bank versions");
  }
  uint64_t n;
  std::memcpy(&n, b.data() + 12 + vlen, 8);
  const size_t body = 12 + size_t{vlen} + 8;
  if (n > (b.size() - body - 8) / 16 || body + n * 16 + 8 != b.size()) return bad("bad length");
  std::vector<std::pair<int64_t, int64_t>> out(n);
  for (uint64_t i = 0; i < n; ++i) {
    std::memcpy(&out[i].first, b.data() + body + i * 16, 8);
    std::memcpy(&out[i].second, b.data() + body + i * 16 + 8, 8);
  }
  return out;
}

}  // namespace

ProvenanceLoader OwnStoreProvenanceLoader(
    std::function<Result<std::unique_ptr<store::Store>>()> open) {
  struct State {
    std::mutex mu;
    std::function<Result<std::unique_ptr<store::Store>>()> open;
    std::unique_ptr<store::Store> store;
  };
  auto state = std::make_shared<State>();
  state->open = std::move(open);
  return [state](std::span<const int64_t> ids) -> Result<std::vector<store::Signal>> {
    std::lock_guard lock(state->mu);
    if (!state->store) {
      VIGIL_ASSIGN_OR_RETURN(state->store, state->open());
    }
    auto rows = state->store->GetSignalsById(ids);
    if (!rows.ok()) state->store.reset();  // a lost connection: reopen next time
    return rows;
  };
}

Matcher::Matcher()
    : pdq_(std::make_unique<index::MihIndex>()), media_(std::make_unique<MediaIndex>()) {}

Status Matcher::Load(store::Store& store) { return Load(store, LoadOptions{}); }

Status Matcher::Load(store::Store& store, const std::function<bool(const store::Bank&)>& include) {
  LoadOptions options;
  options.include = include;
  return Load(store, options);
}

Matcher::Provenance Matcher::ProvenanceOf(const store::Signal& s) {
  return Provenance{s.value, s.quality, s.labels, s.contributor_org_id, s.source_exchange};
}

void Matcher::AddLoadedLocked(int64_t id, int64_t bank_id, store::SignalType type,
                              std::string_view value, std::vector<uint64_t>* pdq_ids,
                              std::vector<Hash256>* pdq_hashes) {
  if (type == store::SignalType::kPdq) {
    auto h = Hash256::FromHex(value);
    if (h.ok()) {
      pdq_ids->push_back(static_cast<uint64_t>(id));
      pdq_hashes->push_back(*h);
    }
  } else {
    exact_[ExactKey(type, value)].push_back(id);
    // A media value that does not parse still matches exactly.
    if (IsMediaSignalType(type)) (void)media_->Add(id, type, std::string(value));
  }
  base_.push_back(Entry{id, bank_id, type, true});
  ++live_;
}

Status Matcher::Load(store::Store& store, const LoadOptions& options) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<store::Bank> banks, store.ListBanks());
  std::vector<uint64_t> ids;
  std::vector<Hash256> hashes;
  std::unique_lock lock(mu_);
  // Start over: a reload also reclaims what removals left behind.
  pdq_ = std::make_unique<index::MihIndex>();
  media_ = std::make_unique<MediaIndex>();
  base_.clear();
  changed_.clear();
  exact_.clear();
  bank_versions_.clear();
  live_ = 0;
  load_stats_ = {};
  loader_ = options.provenance;
  lazy_ = static_cast<bool>(loader_);
  {
    std::lock_guard plock(prov_mu_);
    prov_.clear();
  }
  const auto read_start = Clock::now();
  std::string cache_versions, cache_path;  // set: write the PDQ snapshot after the build
  // The banks loaded, by their position in ListBanks order (the full load's order).
  std::unordered_map<int64_t, size_t> bank_pos;
  for (const auto& bank : banks) {
    if (options.include && !options.include(bank)) continue;
    bank_pos.emplace(bank.id, bank_pos.size());
    bank_versions_[bank.id] = bank.version;
  }
  if (!lazy_) {
    for (const auto& bank : banks) {
      if (!bank_pos.contains(bank.id)) continue;
      store::SignalQuery q;
      VIGIL_RETURN_IF_ERROR(store.ForEachSignal(bank.id, q, [&](const store::Signal& s) {
        if (!s.live()) return true;
        AddLoadedLocked(s.id, s.bank_id, s.type, s.value, &ids, &hashes);
        std::lock_guard plock(prov_mu_);
        prov_.insert_or_assign(s.id, ProvenanceOf(s));
        return true;
      }));
    }
  } else {
    // One streaming query per type (over the (type, id) index), of all banks or, with a
    // filter, of each bank kept. Media values are kept aside and indexed in the full load's
    // order (bank, then id) below.
    struct MediaRow {
      size_t pos;
      int64_t id, bank_id;
      store::SignalType type;
      std::string value;
    };
    std::vector<MediaRow> media_rows;
    const bool all_banks = !options.include;
    std::vector<int64_t> scopes;  // 0 = every bank
    if (all_banks) {
      scopes.push_back(0);
    } else {
      for (const auto& bank : banks) {
        if (bank_pos.contains(bank.id)) scopes.push_back(bank.id);
      }
    }
    // The PDQ snapshot, if one was written at exactly these bank versions.
    std::string versions, cache_base;
    bool pdq_cached = false;
    if (!options.pdq_cache_dir.empty()) {
      for (const auto& bank : banks) {
        if (!bank_pos.contains(bank.id)) continue;
        if (!versions.empty()) versions += ',';
        versions += std::to_string(bank.id) + ":" + std::to_string(bank.version);
      }
      cache_base = CacheBase(options.pdq_cache_dir, versions);
      std::error_code ec;
      Result<std::vector<std::pair<int64_t, int64_t>>> entries =
          Status::NotFound("no snapshot at these bank versions");
      if (std::filesystem::exists(cache_base + ".entries", ec)) {
        entries = ReadEntries(cache_base + ".entries", versions);
      }
      if (entries.ok()) {
        auto index = index::MihIndex::Load(cache_base + ".mih");
        if (index.ok() && (*index)->Size() == entries->size()) {
          pdq_ = std::move(index).value();
          for (const auto& [id, bank] : *entries) {
            base_.push_back(Entry{id, bank, store::SignalType::kPdq, true});
          }
          live_ += entries->size();
          load_stats_.pdq = entries->size();
          pdq_cached = true;
          load_stats_.pdq_cache = "hit";
        } else {
          load_stats_.pdq_cache = index.ok() ? "index size differs" : index.status().ToString();
        }
      } else {
        load_stats_.pdq_cache = entries.status().ToString();
      }
    }
    int64_t last_bank = -1;
    size_t last_pos = 0;
    for (store::SignalType type : store::kAllSignalTypes) {
      if (type == store::SignalType::kPdq && pdq_cached) continue;
      const bool media = IsMediaSignalType(type);
      for (int64_t scope : scopes) {
        VIGIL_RETURN_IF_ERROR(
            store.ForEachLiveSignalKey(type, scope, [&](const store::LiveSignalKey& k) {
              if (k.bank_id != last_bank) {  // rows of one bank come in runs
                auto it = bank_pos.find(k.bank_id);
                if (it == bank_pos.end()) return true;  // a bank created since ListBanks
                last_bank = k.bank_id;
                last_pos = it->second;
              }
              if (media) {
                media_rows.push_back({last_pos, k.id, k.bank_id, k.type, std::string(k.value)});
              } else {
                AddLoadedLocked(k.id, k.bank_id, k.type, k.value, &ids, &hashes);
              }
              return true;
            }));
      }
    }
    std::sort(media_rows.begin(), media_rows.end(), [](const MediaRow& a, const MediaRow& b) {
      return a.pos != b.pos ? a.pos < b.pos : a.id < b.id;
    });
    for (const MediaRow& r : media_rows) {
      AddLoadedLocked(r.id, r.bank_id, r.type, r.value, &ids, &hashes);
    }
    if (!options.pdq_cache_dir.empty() && !pdq_cached) {
      // Built below; written after the build (the snapshot's ids and banks are these).
      cache_versions = versions;
      cache_path = cache_base;
    }
  }
  // Each bank (full) or type (lean) comes in id order: sort once if they interleave.
  auto by_id = [](const Entry& a, const Entry& b) { return a.id < b.id; };
  if (!std::is_sorted(base_.begin(), base_.end(), by_id)) {
    std::sort(base_.begin(), base_.end(), by_id);
  }
  if (lazy_) {
    // A value in several banks: its ids in the full load's order (bank, then id).
    for (auto& [key, v] : exact_) {
      if (v.size() < 2) continue;
      auto order = [&](int64_t id) {
        const Entry* e = FindLocked(id);
        return std::make_pair(e ? bank_pos[e->bank_id] : 0, id);
      };
      std::sort(v.begin(), v.end(), [&](int64_t a, int64_t b) { return order(a) < order(b); });
    }
  }
  load_stats_.read_s = Seconds(Clock::now() - read_start);
  load_stats_.signals = live_;
  if (load_stats_.pdq_cache != "hit") load_stats_.pdq = ids.size();
  const auto build_start = Clock::now();
  if (!ids.empty()) {
    VIGIL_ASSIGN_OR_RETURN(pdq_, index::MihIndex::Build(ids, hashes));
  }
  load_stats_.build_s = Seconds(Clock::now() - build_start);
  if (!cache_path.empty()) {
    // Not fatal: the next start loads from the store again.
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(cache_path).parent_path(), ec);
    std::vector<std::pair<int64_t, int64_t>> entries;
    entries.reserve(ids.size());
    for (const Entry& e : base_) {
      if (e.type == store::SignalType::kPdq) entries.emplace_back(e.id, e.bank_id);
    }
    // Only hashes that decoded are in the index; the entries must say the same.
    Status w = entries.size() == pdq_->Size()
                   ? pdq_->Save(cache_path + ".mih")
                   : Status::FailedPrecondition("malformed PDQ values in the store");
    if (w.ok()) w = WriteEntries(cache_path + ".entries", cache_versions, entries);
    const std::string why = load_stats_.pdq_cache;  // why the snapshot was not used
    load_stats_.pdq_cache = (w.ok() ? "written" : "not written: " + w.ToString()) +
                            (why.empty() ? "" : " (" + why + ")");
    if (w.ok()) {  // older snapshots are stale now
      const std::string keep = std::filesystem::path(cache_path).filename().string();
      for (const auto& f : std::filesystem::directory_iterator(
               std::filesystem::path(cache_path).parent_path(), ec)) {
        const std::string name = f.path().filename().string();
        if (name.starts_with("pdq-") && !name.starts_with(keep)) {
          std::filesystem::remove(f.path(), ec);
        }
      }
    }
  }
  return Status::OK();
}

Matcher::LoadStats Matcher::last_load_stats() const {
  std::shared_lock lock(mu_);
  return load_stats_;
}

const Matcher::Entry* Matcher::FindLocked(int64_t id) const {
  if (auto it = changed_.find(id); it != changed_.end()) return &it->second;
  auto it = std::lower_bound(base_.begin(), base_.end(), id,
                             [](const Entry& e, int64_t v) { return e.id < v; });
  if (it == base_.end() || it->id != id) return nullptr;
  return &*it;
}

void Matcher::ApplyLocked(const store::Signal& s) {
  const Entry* old = FindLocked(s.id);
  bool was_live = old != nullptr && old->live;
  if (was_live) {
    if (s.type == store::SignalType::kPdq) {
      pdq_->Remove(static_cast<uint64_t>(s.id));
    } else {
      auto& v = exact_[ExactKey(s.type, s.value)];
      std::erase(v, s.id);
      if (v.empty()) exact_.erase(ExactKey(s.type, s.value));
      if (IsMediaSignalType(s.type)) media_->Remove(s.id);
    }
    --live_;
  }
  changed_[s.id] = Entry{s.id, s.bank_id, s.type, s.live()};
  {
    // The applied version's provenance wins over anything fetched before.
    std::lock_guard plock(prov_mu_);
    if (lazy_ && prov_.size() >= kMaxProvenanceCache) prov_.clear();
    prov_.insert_or_assign(s.id, ProvenanceOf(s));
  }
  if (!s.live()) return;
  if (s.type == store::SignalType::kPdq) {
    auto h = Hash256::FromHex(s.value);
    if (!h.ok() || !pdq_->Add(static_cast<uint64_t>(s.id), *h).ok()) return;
  } else {
    exact_[ExactKey(s.type, s.value)].push_back(s.id);
    if (IsMediaSignalType(s.type)) (void)media_->Add(s.id, s.type, s.value);
  }
  ++live_;
}

Status Matcher::RefreshBank(store::Store& store, int64_t bank_id) {
  int64_t since;
  {
    std::shared_lock lock(mu_);
    auto it = bank_versions_.find(bank_id);
    since = it == bank_versions_.end() ? 0 : it->second;
  }
  VIGIL_ASSIGN_OR_RETURN(store::Bank bank, store.GetBank(bank_id));
  if (bank.version == since) return Status::OK();
  std::vector<store::Signal> changed;
  store::SignalQuery q;
  q.since_version = since;
  q.include_removed = true;
  VIGIL_RETURN_IF_ERROR(store.ForEachSignal(bank_id, q, [&](const store::Signal& s) {
    changed.push_back(s);
    return true;
  }));
  std::unique_lock lock(mu_);
  for (const auto& s : changed) ApplyLocked(s);
  bank_versions_[bank_id] = bank.version;
  return Status::OK();
}

std::vector<SignalHit> Matcher::Resolve(const std::vector<PendingHit>& pending) const {
  std::vector<SignalHit> out;
  out.reserve(pending.size());
  std::vector<int64_t> missing;
  ProvenanceLoader loader;
  {
    std::lock_guard plock(prov_mu_);
    for (const PendingHit& p : pending) {
      if (!prov_.contains(p.entry.id)) missing.push_back(p.entry.id);
    }
  }
  if (!missing.empty()) {
    {
      std::shared_lock lock(mu_);
      loader = loader_;
    }
    if (loader) {
      std::sort(missing.begin(), missing.end());
      missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
      // No lock held: the loader may take the caller's store guard.
      auto rows = loader(missing);
      if (rows.ok()) {
        std::lock_guard plock(prov_mu_);
        if (prov_.size() + rows->size() > kMaxProvenanceCache) prov_.clear();
        // A concurrent RefreshBank's row (the applied version) is kept over this fetch.
        for (const store::Signal& s : *rows) prov_.try_emplace(s.id, ProvenanceOf(s));
      }
    }
  }
  std::lock_guard plock(prov_mu_);
  for (const PendingHit& p : pending) {
    SignalHit hit;
    hit.info.id = p.entry.id;
    hit.info.bank_id = p.entry.bank_id;
    hit.info.type = p.entry.type;
    hit.info.live = p.entry.live;
    if (auto it = prov_.find(p.entry.id); it != prov_.end()) {
      const Provenance& pv = it->second;
      hit.info.value = pv.value;
      hit.info.quality = pv.quality;
      hit.info.labels = pv.labels;
      hit.info.contributor_org_id = pv.contributor_org_id;
      hit.info.source_exchange = pv.source_exchange;
    }
    hit.distance = p.distance;
    hit.score = p.score;
    out.push_back(std::move(hit));
  }
  return out;
}

std::vector<SignalHit> Matcher::Match(store::SignalType type, const std::string& value,
                                      int max_distance,
                                      const std::function<bool(int64_t)>& readable) const {
  std::vector<PendingHit> out;
  if (type == store::SignalType::kPdq) {
    auto h = Hash256::FromHex(value);
    if (!h.ok()) return {};
    auto found = pdq_->Search(*h, max_distance);
    std::shared_lock lock(mu_);
    for (const auto& m : found) {
      const Entry* e = FindLocked(static_cast<int64_t>(m.id));
      if (e == nullptr || !e->live || !readable(e->bank_id)) continue;
      out.push_back(PendingHit{*e, m.distance});
      if (out.size() >= kMaxMatchesPerSignal) break;
    }
  } else if (IsMediaSignalType(type)) {
    std::shared_lock lock(mu_);
    // Similarity search; exact copies score 1 there too (or are added from the exact map
    // when the stored value did not parse).
    std::vector<MediaHit> hits = media_->Search(type, value);
    if (auto ex = exact_.find(ExactKey(type, value)); ex != exact_.end()) {
      for (int64_t id : ex->second) {
        if (std::none_of(hits.begin(), hits.end(), [&](const MediaHit& h) { return h.id == id; }))
          hits.insert(hits.begin(), MediaHit{id, 1.0});
      }
    }
    for (const MediaHit& h : hits) {
      const Entry* e = FindLocked(h.id);
      if (e == nullptr || !e->live || !readable(e->bank_id)) continue;
      out.push_back(PendingHit{*e, static_cast<int>(std::lround(100 * (1 - h.score))), h.score});
      if (out.size() >= kMaxMatchesPerSignal) break;
    }
  } else {
    std::shared_lock lock(mu_);
    auto it = exact_.find(ExactKey(type, value));
    if (it == exact_.end()) return {};
    for (int64_t id : it->second) {
      const Entry* e = FindLocked(id);
      if (e == nullptr || !readable(e->bank_id)) continue;
      out.push_back(PendingHit{*e, 0});
      if (out.size() >= kMaxMatchesPerSignal) break;
    }
  }
  return Resolve(out);
}

std::optional<SignalInfo> Matcher::Get(int64_t signal_id) const {
  PendingHit p;
  {
    std::shared_lock lock(mu_);
    const Entry* e = FindLocked(signal_id);
    if (e == nullptr) return std::nullopt;
    p.entry = *e;
  }
  return Resolve({p}).front().info;
}

size_t Matcher::live_signals() const {
  std::shared_lock lock(mu_);
  return live_;
}

int64_t Matcher::BankVersion(int64_t bank_id) const {
  std::shared_lock lock(mu_);
  auto it = bank_versions_.find(bank_id);
  return it == bank_versions_.end() ? 0 : it->second;
}

std::vector<std::pair<int64_t, int64_t>> Matcher::BankVersions() const {
  std::shared_lock lock(mu_);
  std::vector<std::pair<int64_t, int64_t>> out(bank_versions_.begin(), bank_versions_.end());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace vigil::match
