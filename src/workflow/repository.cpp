#include "workflow/repository.h"

namespace vigil::workflow {
namespace {

std::string Key(std::string_view platform, std::string_view kind, std::string_view value) {
  std::string k(platform);
  k += '\n';
  k += kind;
  k += '\n';
  k += value;
  return k;
}

}  // namespace

void MemoryReferralRepository::Unindex(const Referral& r) {
  for (const ReferralItem& it : r.items) {
    for (auto key : {Key(r.platform_id, "u", it.url), Key(r.platform_id, "h", it.sha256)}) {
      auto f = open_by_key_.find(key);
      if (f == open_by_key_.end()) continue;
      f->second.erase(r.id);
      if (f->second.empty()) open_by_key_.erase(f);
    }
  }
}

void MemoryReferralRepository::Index(const Referral& r) {
  if (IsTerminal(r.state)) return;
  for (const ReferralItem& it : r.items) {
    if (!it.url.empty()) open_by_key_[Key(r.platform_id, "u", it.url)].insert(r.id);
    if (!it.sha256.empty()) open_by_key_[Key(r.platform_id, "h", it.sha256)].insert(r.id);
  }
}

Status MemoryReferralRepository::PutReferral(const Referral& r) {
  if (r.id <= 0) return Status::InvalidArgument("referral without an id");
  auto it = referrals_.find(r.id);
  if (it != referrals_.end()) Unindex(it->second);
  referrals_[r.id] = r;
  Index(r);
  if (r.id > last_referral_id_) last_referral_id_ = r.id;
  return Status::OK();
}

Result<Referral> MemoryReferralRepository::GetReferral(int64_t id) {
  auto it = referrals_.find(id);
  if (it == referrals_.end())
    return Status::NotFound("referral " + std::to_string(id) + " not found");
  return it->second;
}

Status MemoryReferralRepository::ForEachReferral(const std::function<bool(const Referral&)>& fn) {
  for (const auto& [id, r] : referrals_) {
    if (!fn(r)) break;
  }
  return Status::OK();
}

Result<std::vector<int64_t>> MemoryReferralRepository::FindOpenReferrals(
    std::string_view platform_id, std::string_view url, std::string_view sha256) {
  std::set<int64_t> ids;
  if (!url.empty()) {
    auto f = open_by_key_.find(Key(platform_id, "u", url));
    if (f != open_by_key_.end()) ids.insert(f->second.begin(), f->second.end());
  }
  if (!sha256.empty()) {
    auto f = open_by_key_.find(Key(platform_id, "h", sha256));
    if (f != open_by_key_.end()) ids.insert(f->second.begin(), f->second.end());
  }
  return std::vector<int64_t>(ids.begin(), ids.end());
}

Status MemoryReferralRepository::PutHold(const Hold& h) {
  if (h.id <= 0) return Status::InvalidArgument("hold without an id");
  holds_[h.id] = h;
  if (h.id > last_hold_id_) last_hold_id_ = h.id;
  return Status::OK();
}

Result<Hold> MemoryReferralRepository::GetHold(int64_t id) {
  auto it = holds_.find(id);
  if (it == holds_.end()) return Status::NotFound("hold " + std::to_string(id) + " not found");
  return it->second;
}

Result<std::vector<Hold>> MemoryReferralRepository::ListHolds() {
  std::vector<Hold> out;
  out.reserve(holds_.size());
  for (const auto& [id, h] : holds_) out.push_back(h);
  return out;
}

Status MemoryReferralRepository::PutPlatformNotice(std::string_view platform_id, int64_t at_ms) {
  notices_[std::string(platform_id)] = at_ms;
  return Status::OK();
}

Result<int64_t> MemoryReferralRepository::GetPlatformNotice(std::string_view platform_id) {
  auto it = notices_.find(platform_id);
  return it == notices_.end() ? int64_t{0} : it->second;
}

// --- reversal over in-memory banks (tests) -------------------------------------------------

void MemoryReferralRepository::AddBankSignal(std::string_view bank, const ContentSignal& signal) {
  auto [it, fresh] = banks_.try_emplace(std::string(bank));
  if (fresh) it->second.id = static_cast<int64_t>(banks_.size());
  it->second.signals[signal] = 0;
  ++it->second.version;
}

int64_t MemoryReferralRepository::BankSignalReversedMs(std::string_view bank,
                                                       const ContentSignal& signal) const {
  auto b = banks_.find(bank);
  if (b == banks_.end()) return -1;
  auto s = b->second.signals.find(signal);
  return s == b->second.signals.end() ? -1 : s->second;
}

int64_t MemoryReferralRepository::BankVersion(std::string_view bank) const {
  auto b = banks_.find(bank);
  return b == banks_.end() ? 0 : b->second.version;
}

Result<std::vector<ReversedSignal>> MemoryReferralRepository::ReverseContent(
    int64_t reversal_id, std::string_view bank, const std::vector<ContentSignal>& content,
    std::string_view reason, int64_t at_ms) {
  (void)reversal_id, (void)reason;
  if (!bank.empty()) {
    auto b = banks_.find(bank);
    if (b == banks_.end()) return Status::NotFound("bank '" + std::string(bank) + "' not found");
    for (const ContentSignal& c : content) {
      if (!b->second.signals.count(c)) {
        return Status::NotFound(c.type + " signal not in bank '" + std::string(bank) + "'");
      }
    }
  }
  reversed_.insert(content.begin(), content.end());
  std::vector<ReversedSignal> out;
  for (auto& [name, b] : banks_) {
    if (!bank.empty() && name != bank) continue;
    bool bumped = false;
    for (const ContentSignal& c : content) {
      auto s = b.signals.find(c);
      if (s == b.signals.end() || s->second != 0) continue;
      if (!bumped) ++b.version, bumped = true;
      s->second = at_ms;
      out.push_back(ReversedSignal{b.id, name, c.type, c.value, b.version});
    }
  }
  return out;
}

Result<std::vector<ContentSignal>> MemoryReferralRepository::FindReversed(
    const std::vector<ContentSignal>& content) {
  std::vector<ContentSignal> out;
  for (const ContentSignal& c : content) {
    if (reversed_.count(c)) out.push_back(c);
  }
  return out;
}

Result<ContentReferrals> MemoryReferralRepository::FindReferralsWithContent(
    const std::vector<ContentSignal>& content) {
  std::set<ContentSignal> want(content.begin(), content.end());
  ContentReferrals out;
  for (const auto& [id, r] : referrals_) {
    for (const ReferralItem& it : r.items) {
      if ((!it.sha256.empty() && want.count({"sha256", it.sha256})) ||
          (!it.pdq.empty() && want.count({"pdq", it.pdq}))) {
        out.referral_ids.push_back(id);
        break;
      }
    }
  }
  return out;
}

Status MemoryReferralRepository::PutReversalNotice(const ReversalNotice& n) {
  if (n.id <= 0) return Status::InvalidArgument("reversal notice without an id");
  reversal_notices_[n.id] = n;
  if (n.id > last_notice_id_) last_notice_id_ = n.id;
  return Status::OK();
}

Result<ReversalNotice> MemoryReferralRepository::GetReversalNotice(int64_t id) {
  auto it = reversal_notices_.find(id);
  if (it == reversal_notices_.end()) {
    return Status::NotFound("reversal notice " + std::to_string(id) + " not found");
  }
  return it->second;
}

Result<std::vector<ReversalNotice>> MemoryReferralRepository::ListReversalNotices(
    bool undelivered, std::string_view platform_id, size_t limit, int64_t referral_id) {
  std::vector<ReversalNotice> out;
  for (const auto& [id, n] : reversal_notices_) {
    if (limit != 0 && out.size() >= limit) break;
    if (undelivered && n.state == NoticeState::kDelivered) continue;
    if (!platform_id.empty() && n.platform_id != platform_id) continue;
    if (referral_id != 0 && n.referral_id != referral_id) continue;
    out.push_back(n);
  }
  return out;
}

}  // namespace vigil::workflow
