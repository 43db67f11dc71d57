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

}  // namespace vigil::workflow
