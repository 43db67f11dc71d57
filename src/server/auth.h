// Roles, permissions and per-token rate limits.
//
// Every API caller is a user of one organisation with one role, authenticated by a bearer
// API token (the store keeps only its SHA-256). What a role may do is one table
// (RoleAllows); what data it may see is always its own organisation's plus the banks
// shared with it (the handlers in service.cpp scope every read and write).
//
// Thread safety: Role/permission functions are pure. RateLimiter and TokenCache are
// internally locked; any thread may call them.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"
#include "store/model.h"

namespace vigil::server {

enum class Role { kAdmin, kAnalyst, kReviewer, kSupervisor, kPlatform, kAuditor };
inline constexpr Role kAllRoles[] = {Role::kAdmin,      Role::kAnalyst,  Role::kReviewer,
                                     Role::kSupervisor, Role::kPlatform, Role::kAuditor};
std::string_view RoleName(Role role);
// The names above, lowercase ("admin", "analyst", ...); InvalidArgument otherwise.
Result<Role> ParseRole(std::string_view name);

// What a route needs. Each route names exactly one.
enum class Permission {
  kSelf,              // whoami, own organisation, labels: every role
  kHash,              // hash media
  kMatch,             // match signals or media
  kBankRead,          // list banks and read their signals
  kBankWrite,         // create banks, change sharing, add/remove signals
  kItemSubmit,        // submit items (recorded with their matches, queued for review)
  kItemRead,          // read items and their matches
  kReview,            // take items from the review queue and decide them
  kReviewEscalated,   // see items escalated as threat to life
  kAuditRead,         // read and verify the audit log
  kUserAdmin,         // create users and tokens, revoke tokens
  kReferralRead,      // list and read the organisation's referrals, statistics, reports
  kReferralWrite,     // refer confirmed items, send, withdraw, answer clarifications
  kReferralPlatform,  // a platform liaison: pull its notices, report feedback
  kHold,              // place, list and release deconfliction holds
  kReferralReverse,   // reverse a removal (complaint upheld): bank marks, platform notices
};
// Every permission, in declaration order (whoami lists those a role holds).
inline constexpr Permission kAllPermissions[] = {Permission::kSelf,
                                                 Permission::kHash,
                                                 Permission::kMatch,
                                                 Permission::kBankRead,
                                                 Permission::kBankWrite,
                                                 Permission::kItemSubmit,
                                                 Permission::kItemRead,
                                                 Permission::kReview,
                                                 Permission::kReviewEscalated,
                                                 Permission::kAuditRead,
                                                 Permission::kUserAdmin,
                                                 Permission::kReferralRead,
                                                 Permission::kReferralWrite,
                                                 Permission::kReferralPlatform,
                                                 Permission::kHold,
                                                 Permission::kReferralReverse};
std::string_view PermissionName(Permission p);

// The role table (documented in docs/server.md).
bool RoleAllows(Role role, Permission p);

// An authenticated caller.
struct Principal {
  store::User user;
  Role role = Role::kAuditor;
  std::string token_key;  // SHA-256 of the secret: the rate-limit key
  // "user:<name>": the actor recorded in the audit log.
  std::string actor() const { return "user:" + user.name; }
};

// Token-bucket rate limits per token.
inline constexpr double kDefaultRateLimitPerSecond = 100;
inline constexpr double kDefaultRateLimitBurst = 200;
// Buckets idle this long are forgotten (bounds memory with many tokens).
inline constexpr auto kRateLimitForgetAfter = std::chrono::minutes(10);

class RateLimiter {
 public:
  // per_second <= 0 disables limiting.
  RateLimiter(double per_second, double burst) : rate_(per_second), burst_(burst) {}
  // true if the key may make one more request now (and counts it).
  bool Allow(const std::string& key);

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point last;
  };
  double rate_, burst_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::chrono::steady_clock::time_point last_sweep_{};
};

// How long a verified token is trusted without asking the store again. Revocations through
// the API clear the cache at once; ones made elsewhere (another process) apply within this.
inline constexpr auto kDefaultTokenCacheTtl = std::chrono::seconds(5);
inline constexpr size_t kTokenCacheMaxEntries = 10'000;

class TokenCache {
 public:
  explicit TokenCache(std::chrono::steady_clock::duration ttl) : ttl_(ttl) {}
  std::optional<store::User> Get(const std::string& key);
  void Put(const std::string& key, const store::User& user);
  void Clear();

 private:
  struct Entry {
    store::User user;
    std::chrono::steady_clock::time_point at;
  };
  std::chrono::steady_clock::duration ttl_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

// Parses "Bearer <secret>" (scheme case-insensitive); Unauthenticated otherwise.
Result<std::string> BearerSecret(std::string_view authorization_header);

}  // namespace vigil::server
