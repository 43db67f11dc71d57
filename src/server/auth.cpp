#include "server/auth.h"

#include <algorithm>
#include <cctype>

namespace vigil::server {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin: return "admin";
    case Role::kAnalyst: return "analyst";
    case Role::kReviewer: return "reviewer";
    case Role::kSupervisor: return "supervisor";
    case Role::kPlatform: return "platform";
    case Role::kAuditor: return "auditor";
  }
  return "unknown";
}

Result<Role> ParseRole(std::string_view name) {
  for (Role r : kAllRoles) {
    if (RoleName(r) == name) return r;
  }
  return Status::InvalidArgument("unknown role '" + std::string(name) +
                                 "' (admin, analyst, reviewer, supervisor, platform, auditor)");
}

std::string_view PermissionName(Permission p) {
  switch (p) {
    case Permission::kSelf: return "self";
    case Permission::kHash: return "hash";
    case Permission::kMatch: return "match";
    case Permission::kBankRead: return "bank.read";
    case Permission::kBankWrite: return "bank.write";
    case Permission::kItemSubmit: return "item.submit";
    case Permission::kItemRead: return "item.read";
    case Permission::kReview: return "review";
    case Permission::kReviewEscalated: return "review.escalated";
    case Permission::kAuditRead: return "audit.read";
    case Permission::kUserAdmin: return "user.admin";
    case Permission::kReferralRead: return "referral.read";
    case Permission::kReferralWrite: return "referral.write";
    case Permission::kReferralPlatform: return "referral.platform";
    case Permission::kHold: return "hold";
    case Permission::kReferralReverse: return "referral.reverse";
  }
  return "unknown";
}

bool RoleAllows(Role role, Permission p) {
  using P = Permission;
  if (p == P::kSelf) return true;
  switch (role) {
    case Role::kAdmin: return true;
    case Role::kAnalyst:
      return p == P::kHash || p == P::kMatch || p == P::kBankRead || p == P::kBankWrite ||
             p == P::kItemSubmit || p == P::kItemRead || p == P::kReferralRead ||
             p == P::kReferralWrite || p == P::kHold;
    case Role::kReviewer:
      return p == P::kHash || p == P::kMatch || p == P::kBankRead || p == P::kItemRead ||
             p == P::kReview || p == P::kReferralRead;
    case Role::kSupervisor:
      return p == P::kHash || p == P::kMatch || p == P::kBankRead || p == P::kItemRead ||
             p == P::kReview || p == P::kReviewEscalated || p == P::kReferralRead ||
             p == P::kReferralWrite || p == P::kHold || p == P::kReferralReverse;
    case Role::kPlatform:
      // A hosting platform's liaison checks its own uploads and handles the notices
      // addressed to its platform; it never reads hash lists or other referrals.
      return p == P::kHash || p == P::kMatch || p == P::kItemSubmit || p == P::kItemRead ||
             p == P::kReferralPlatform;
    case Role::kAuditor:
      return p == P::kAuditRead || p == P::kBankRead || p == P::kItemRead || p == P::kReferralRead;
  }
  return false;
}

bool RateLimiter::Allow(const std::string& key) {
  if (rate_ <= 0) return true;
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  if (now - last_sweep_ > kRateLimitForgetAfter) {
    std::erase_if(buckets_,
                  [&](const auto& kv) { return now - kv.second.last > kRateLimitForgetAfter; });
    last_sweep_ = now;
  }
  auto [it, inserted] = buckets_.try_emplace(key);
  Bucket& b = it->second;
  if (inserted) {
    b.tokens = burst_;
  } else {
    double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
  }
  b.last = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

std::optional<store::User> TokenCache::Get(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (std::chrono::steady_clock::now() - it->second.at > ttl_) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.user;
}

void TokenCache::Put(const std::string& key, const store::User& user) {
  std::lock_guard lock(mu_);
  if (entries_.size() >= kTokenCacheMaxEntries) entries_.clear();
  entries_[key] = Entry{user, std::chrono::steady_clock::now()};
}

void TokenCache::Clear() {
  std::lock_guard lock(mu_);
  entries_.clear();
}

Result<std::string> BearerSecret(std::string_view h) {
  constexpr std::string_view kScheme = "bearer ";
  if (h.size() <= kScheme.size()) {
    return Status::Unauthenticated("missing bearer token (Authorization: Bearer <token>)");
  }
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(h[i])) != kScheme[i]) {
      return Status::Unauthenticated("Authorization must use the Bearer scheme");
    }
  }
  std::string_view secret = h.substr(kScheme.size());
  while (!secret.empty() && secret.front() == ' ') secret.remove_prefix(1);
  while (!secret.empty() && secret.back() == ' ') secret.remove_suffix(1);
  if (secret.empty()) return Status::Unauthenticated("empty bearer token");
  return std::string(secret);
}

}  // namespace vigil::server
