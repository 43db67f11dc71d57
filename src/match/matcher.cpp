#include "match/matcher.h"

#include <algorithm>
#include <cmath>
#include <mutex>

namespace vigil::match {
namespace {

std::string ExactKey(store::SignalType type, const std::string& value) {
  std::string key(store::SignalTypeName(type));
  key.push_back('\0');
  key += value;
  return key;
}

}  // namespace

Matcher::Matcher()
    : pdq_(std::make_unique<index::MihIndex>()), media_(std::make_unique<MediaIndex>()) {}

Status Matcher::Load(store::Store& store) { return Load(store, nullptr); }

Status Matcher::Load(store::Store& store, const std::function<bool(const store::Bank&)>& include) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<store::Bank> banks, store.ListBanks());
  std::vector<uint64_t> ids;
  std::vector<Hash256> hashes;
  std::unique_lock lock(mu_);
  for (const auto& bank : banks) {
    if (include && !include(bank)) continue;
    store::SignalQuery q;
    Status st = store.ForEachSignal(bank.id, q, [&](const store::Signal& s) {
      if (!s.live()) return true;
      if (s.type == store::SignalType::kPdq) {
        auto h = Hash256::FromHex(s.value);
        if (h.ok()) {
          ids.push_back(static_cast<uint64_t>(s.id));
          hashes.push_back(*h);
        }
      } else {
        exact_[ExactKey(s.type, s.value)].push_back(s.id);
        // A media value that does not parse still matches exactly.
        if (IsMediaSignalType(s.type)) (void)media_->Add(s.id, s.type, s.value);
      }
      signals_[s.id] = SignalInfo{s.id,
                                  s.bank_id,
                                  s.type,
                                  s.value,
                                  s.quality,
                                  s.labels,
                                  s.contributor_org_id,
                                  s.source_exchange,
                                  true};
      ++live_;
      return true;
    });
    VIGIL_RETURN_IF_ERROR(st);
    bank_versions_[bank.id] = bank.version;
  }
  if (!ids.empty()) {
    VIGIL_ASSIGN_OR_RETURN(pdq_, index::MihIndex::Build(ids, hashes));
  }
  return Status::OK();
}

void Matcher::ApplyLocked(const store::Signal& s) {
  auto it = signals_.find(s.id);
  bool was_live = it != signals_.end() && it->second.live;
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
  signals_[s.id] = SignalInfo{s.id,
                              s.bank_id,
                              s.type,
                              s.value,
                              s.quality,
                              s.labels,
                              s.contributor_org_id,
                              s.source_exchange,
                              s.live()};
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

std::vector<SignalHit> Matcher::Match(store::SignalType type, const std::string& value,
                                      int max_distance,
                                      const std::function<bool(int64_t)>& readable) const {
  std::vector<SignalHit> out;
  if (type == store::SignalType::kPdq) {
    auto h = Hash256::FromHex(value);
    if (!h.ok()) return out;
    auto found = pdq_->Search(*h, max_distance);
    std::shared_lock lock(mu_);
    for (const auto& m : found) {
      auto it = signals_.find(static_cast<int64_t>(m.id));
      if (it == signals_.end() || !it->second.live || !readable(it->second.bank_id)) continue;
      out.push_back(SignalHit{it->second, m.distance});
      if (out.size() >= kMaxMatchesPerSignal) break;
    }
    return out;
  }
  std::shared_lock lock(mu_);
  if (IsMediaSignalType(type)) {
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
      auto s = signals_.find(h.id);
      if (s == signals_.end() || !s->second.live || !readable(s->second.bank_id)) continue;
      out.push_back(
          SignalHit{s->second, static_cast<int>(std::lround(100 * (1 - h.score))), h.score});
      if (out.size() >= kMaxMatchesPerSignal) break;
    }
    return out;
  }
  auto it = exact_.find(ExactKey(type, value));
  if (it == exact_.end()) return out;
  for (int64_t id : it->second) {
    auto s = signals_.find(id);
    if (s == signals_.end() || !readable(s->second.bank_id)) continue;
    out.push_back(SignalHit{s->second, 0});
    if (out.size() >= kMaxMatchesPerSignal) break;
  }
  return out;
}

std::optional<SignalInfo> Matcher::Get(int64_t signal_id) const {
  std::shared_lock lock(mu_);
  auto it = signals_.find(signal_id);
  if (it == signals_.end()) return std::nullopt;
  return it->second;
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
