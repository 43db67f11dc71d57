// The in-memory view of every bank's live signals, for matching without a
// database round trip: PDQ hashes in an exact MihIndex (src/index), exact-match types
// (md5, sha256, text, url, ...) in a hash map, and each signal's provenance (bank, labels,
// contributing organisation) beside them.
//
// It is loaded from the store at start and kept current by the server, which calls
// RefreshBank after every change it makes to a bank's signals (incremental: only signals
// changed since the bank version it last saw). Changes made by another process show up
// after the next RefreshBank of that bank (`vigil serve` restarts also reload).
//
// Two ways to load (issue 10: a new worker with a 1M-hash index ready in seconds):
//   full  Load(store) reads every column of every live signal and keeps each signal's
//         provenance in memory. The reference; `vigil serve` and `vigil scan` use it.
//   lean  Load(store, LoadOptions{.provenance = loader}) reads only id, bank and value,
//         one streaming query per type (Store::ForEachLiveSignalKey), decodes PDQ hex
//         straight into the index's bulk build (MihIndex::Build) and keeps per signal only
//         its bank, type and liveness (a sorted array, no strings). Provenance (value,
//         quality, labels, contributor, source exchange) is fetched through the loader by
//         signal id the first time a hit or Get needs it, and cached (at most
//         kMaxProvenanceCache entries). Match and Get answer exactly as after a full load
//         (matcher_test). `vigil worker` uses it.
// RefreshBank reads full rows in both modes, so the provenance of changed signals is the
// applied version's; provenance fetched lazily is the store's at the time of the fetch.
//
// Thread safety: any thread may call any method; lookups take a shared lock, updates an
// exclusive one (the MihIndex has its own snapshot-based locking). The provenance loader
// runs on the thread that called Match or Get, with none of the Matcher's locks held, so it
// must be safe on every thread that calls them: Store is single-threaded, so give it a
// store of its own behind a mutex (OwnStoreProvenanceLoader), never the store another
// thread uses unguarded (nor one whose guard the caller may already hold around Get).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "index/mih_index.h"
#include "match/media_index.h"
#include "store/store.h"

namespace vigil::match {

// Default PDQ match radius: ThreatExchange's recommended threshold.
inline constexpr int kDefaultPdqMaxDistance = 31;
// Matches returned for one query signal at most.
inline constexpr size_t kMaxMatchesPerSignal = 100;
// Provenance entries a lean Matcher caches at most; past this the cache starts over (the
// loader fetches again), so a long-running worker's memory stays bounded.
inline constexpr size_t kMaxProvenanceCache = 100'000;

struct SignalInfo {
  int64_t id = 0;
  int64_t bank_id = 0;
  store::SignalType type = store::SignalType::kPdq;
  std::string value;
  int quality = -1;
  std::vector<std::string> labels;
  int64_t contributor_org_id = 0;
  std::string source_exchange;
  bool live = true;
};

struct SignalHit {
  SignalInfo info;
  int distance = 0;
  // Similarity 0..1 for the media types (match/media_index.h: vpdq share of the stored
  // video's frames, tmk level 2, audio 1 - BER, text Jaccard estimate); their `distance`
  // is round(100 * (1 - score)). 1 for exact and PDQ hits.
  double score = 1.0;
};

// Full rows of the given signal ids (Store::GetSignalsById behind whatever guard that store
// needs); ids it does not return get no provenance. See the thread-safety note above.
using ProvenanceLoader =
    std::function<Result<std::vector<store::Signal>>(std::span<const int64_t> ids)>;

// A ProvenanceLoader over a Store of its own, opened by `open` on first use (and again after
// an error), guarded by its own mutex: safe from any thread.
ProvenanceLoader OwnStoreProvenanceLoader(
    std::function<Result<std::unique_ptr<store::Store>>()> open);

class Matcher {
 public:
  struct LoadOptions {
    // Only the banks for which include(bank) is true (`vigil scan --bank`); the others are
    // never loaded, so they cost no memory or load time. Empty: every bank.
    std::function<bool(const store::Bank&)> include;
    // Set: the lean load, provenance fetched through this on first use. Empty: full load.
    ProvenanceLoader provenance;
    // Lean load only: a directory for this process's PDQ snapshot (`vigil worker
    // --index-cache`): the index in the MihIndex file format (docs/index.md; mmap-ed, not
    // rebuilt) and the signals' ids and banks, valid for one set of bank versions. When
    // every loaded bank is at the version the snapshot names, PDQ comes from it and only the
    // other types from the store; otherwise the store's rows are loaded and the snapshot
    // rewritten (atomically). A damaged snapshot is ignored and rewritten. Empty: none.
    std::string pdq_cache_dir;
  };
  // Where the last Load spent its time (seconds).
  struct LoadStats {
    double read_s = 0;   // the store's rows, decoded into the maps and the id/hash arrays
    double build_s = 0;  // the PDQ index bulk build
    size_t signals = 0;  // live signals loaded
    size_t pdq = 0;      // of which PDQ
    // With pdq_cache_dir: "hit", "written", or why the snapshot was not used or written.
    std::string pdq_cache;
  };

  Matcher();
  // Reads every bank's signals (full load). Call once before serving; a second Load starts
  // over.
  Status Load(store::Store& store);
  Status Load(store::Store& store, const std::function<bool(const store::Bank&)>& include);
  Status Load(store::Store& store, const LoadOptions& options);
  LoadStats last_load_stats() const;
  // Applies the bank's changes since the last version seen (the store must be guarded by
  // the caller: Store is single-threaded).
  Status RefreshBank(store::Store& store, int64_t bank_id);

  // Live signals of `type` matching `value` (canonical): within max_distance for PDQ;
  // for vpdq, tmk, audio and text equal or similar by their own rules and thresholds
  // (match/media_index.h; max_distance is not used); equal otherwise. Only in banks for
  // which readable(bank_id) is true. Nearest first.
  std::vector<SignalHit> Match(store::SignalType type, const std::string& value, int max_distance,
                               const std::function<bool(int64_t)>& readable) const;
  // Any signal seen (live or since removed), for provenance of recorded matches. After a
  // lean load, a signal whose provenance the loader failed to fetch comes back with id,
  // bank, type and liveness only (and is fetched again next time).
  std::optional<SignalInfo> Get(int64_t signal_id) const;
  size_t live_signals() const;
  // The version of every bank the index has applied, by bank id (workers record it with
  // each match and report it in their metrics); 0 for a bank never loaded.
  int64_t BankVersion(int64_t bank_id) const;
  std::vector<std::pair<int64_t, int64_t>> BankVersions() const;

 private:
  // What matching needs of a signal: 24 bytes, no strings.
  struct Entry {
    int64_t id = 0;
    int64_t bank_id = 0;
    store::SignalType type = store::SignalType::kPdq;
    bool live = true;
  };
  struct Provenance {
    std::string value;
    int quality = -1;
    std::vector<std::string> labels;
    int64_t contributor_org_id = 0;
    std::string source_exchange;
  };
  struct PendingHit {
    Entry entry;
    int distance = 0;
    double score = 1.0;
  };

  void ApplyLocked(const store::Signal& s);
  // Adds one live signal found by Load (mu_ held exclusively).
  void AddLoadedLocked(int64_t id, int64_t bank_id, store::SignalType type, std::string_view value,
                       std::vector<uint64_t>* pdq_ids, std::vector<Hash256>* pdq_hashes);
  const Entry* FindLocked(int64_t id) const;
  // Fills in provenance (cache, then the loader for what is missing) without mu_ held.
  std::vector<SignalHit> Resolve(const std::vector<PendingHit>& pending) const;
  static Provenance ProvenanceOf(const store::Signal& s);

  mutable std::shared_mutex mu_;
  std::unique_ptr<index::MihIndex> pdq_;
  std::unique_ptr<MediaIndex> media_;  // vpdq, tmk, audio, text similarity (guarded by mu_)
  // Every signal seen: the loaded ones sorted by id in base_, changes since in changed_
  // (which wins). Guarded by mu_.
  std::vector<Entry> base_;
  std::unordered_map<int64_t, Entry> changed_;
  std::unordered_map<std::string, std::vector<int64_t>> exact_;  // "type\0value" -> ids
  std::unordered_map<int64_t, int64_t> bank_versions_;
  size_t live_ = 0;
  LoadStats load_stats_;
  ProvenanceLoader loader_;  // set by a lean Load; guarded by mu_

  // Provenance by signal id: every loaded signal after a full load, a bounded cache after a
  // lean one. Lock order: mu_ before prov_mu_.
  mutable std::mutex prov_mu_;
  mutable std::unordered_map<int64_t, Provenance> prov_;
  bool lazy_ = false;  // guarded by mu_
};

}  // namespace vigil::match
