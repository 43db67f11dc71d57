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
// Thread safety: any thread may call any method; lookups take a shared lock, updates an
// exclusive one (the MihIndex has its own snapshot-based locking).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
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

class Matcher {
 public:
  Matcher();
  // Reads every bank's signals. Call once before serving.
  Status Load(store::Store& store);
  // Reads the signals of the banks for which include(bank) is true only (`vigil scan
  // --bank`); the others are never loaded, so they cost no memory or load time.
  Status Load(store::Store& store, const std::function<bool(const store::Bank&)>& include);
  // Applies the bank's changes since the last version seen (the store must be guarded by
  // the caller: Store is single-threaded).
  Status RefreshBank(store::Store& store, int64_t bank_id);

  // Live signals of `type` matching `value` (canonical): within max_distance for PDQ;
  // for vpdq, tmk, audio and text equal or similar by their own rules and thresholds
  // (match/media_index.h; max_distance is not used); equal otherwise. Only in banks for
  // which readable(bank_id) is true. Nearest first.
  std::vector<SignalHit> Match(store::SignalType type, const std::string& value, int max_distance,
                               const std::function<bool(int64_t)>& readable) const;
  // Any signal seen (live or since removed), for provenance of recorded matches.
  std::optional<SignalInfo> Get(int64_t signal_id) const;
  size_t live_signals() const;
  // The version of every bank the index has applied, by bank id (workers record it with
  // each match and report it in their metrics); 0 for a bank never loaded.
  int64_t BankVersion(int64_t bank_id) const;
  std::vector<std::pair<int64_t, int64_t>> BankVersions() const;

 private:
  void ApplyLocked(const store::Signal& s);

  mutable std::shared_mutex mu_;
  std::unique_ptr<index::MihIndex> pdq_;
  std::unique_ptr<MediaIndex> media_;  // vpdq, tmk, audio, text similarity (guarded by mu_)
  std::unordered_map<int64_t, SignalInfo> signals_;
  std::unordered_map<std::string, std::vector<int64_t>> exact_;  // "type\0value" -> ids
  std::unordered_map<int64_t, int64_t> bank_versions_;
  size_t live_ = 0;
};

}  // namespace vigil::match
