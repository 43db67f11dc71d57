// Storage for referrals, holds and per-platform TCO notices: a small interface so that the
// workflow's logic (service.h) is tested on its own over MemoryReferralRepository, and a
// database-backed implementation can be slotted in.
//
// The repository only stores; it enforces nothing. ReferralService serialises every call,
// so implementations need not be thread-safe (MemoryReferralRepository is not).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "workflow/model.h"

namespace vigil::workflow {

class ReferralRepository {
 public:
  virtual ~ReferralRepository() = default;

  // Bracket one service call: ReferralService calls BeginChange when it takes its lock and
  // EndChange before it lets go. A database-backed repository runs the call's writes (and,
  // when it is also the audit sink, their audit entries) in one transaction that EndChange
  // commits, or rolls back if any write or audit append of the call failed; EndChange's
  // status is that of the commit. The defaults do nothing (memory needs no transaction).
  virtual Status BeginChange() { return Status::OK(); }
  virtual Status EndChange() { return Status::OK(); }

  virtual Result<int64_t> NextReferralId() = 0;
  // Inserts or replaces (by id).
  virtual Status PutReferral(const Referral& r) = 0;
  virtual Result<Referral> GetReferral(int64_t id) = 0;  // NotFound
  // All referrals in id order; fn returns false to stop.
  virtual Status ForEachReferral(const std::function<bool(const Referral&)>& fn) = 0;
  // Ids of referrals to `platform_id` that are not terminal and contain an item with this
  // URL (if non-empty) or this sha256 (if non-empty), in id order.
  virtual Result<std::vector<int64_t>> FindOpenReferrals(std::string_view platform_id,
                                                         std::string_view url,
                                                         std::string_view sha256) = 0;

  virtual Result<int64_t> NextHoldId() = 0;
  virtual Status PutHold(const Hold& h) = 0;
  virtual Result<Hold> GetHold(int64_t id) = 0;  // NotFound
  virtual Result<std::vector<Hold>> ListHolds() = 0;

  // When the competent authority gave a platform the Art. 3(2) notice (0: never), and
  // how many removal orders it has been sent.
  virtual Status PutPlatformNotice(std::string_view platform_id, int64_t at_ms) = 0;
  virtual Result<int64_t> GetPlatformNotice(std::string_view platform_id) = 0;
};

class MemoryReferralRepository final : public ReferralRepository {
 public:
  Result<int64_t> NextReferralId() override { return ++last_referral_id_; }
  Status PutReferral(const Referral& r) override;
  Result<Referral> GetReferral(int64_t id) override;
  Status ForEachReferral(const std::function<bool(const Referral&)>& fn) override;
  Result<std::vector<int64_t>> FindOpenReferrals(std::string_view platform_id, std::string_view url,
                                                 std::string_view sha256) override;
  Result<int64_t> NextHoldId() override { return ++last_hold_id_; }
  Status PutHold(const Hold& h) override;
  Result<Hold> GetHold(int64_t id) override;
  Result<std::vector<Hold>> ListHolds() override;
  Status PutPlatformNotice(std::string_view platform_id, int64_t at_ms) override;
  Result<int64_t> GetPlatformNotice(std::string_view platform_id) override;

 private:
  void Unindex(const Referral& r);
  void Index(const Referral& r);

  int64_t last_referral_id_ = 0;
  int64_t last_hold_id_ = 0;
  std::map<int64_t, Referral> referrals_;
  // "platform\nurl" and "platform\nsha256" -> open referral ids.
  std::map<std::string, std::set<int64_t>, std::less<>> open_by_key_;
  std::map<int64_t, Hold> holds_;
  std::map<std::string, int64_t, std::less<>> notices_;
};

}  // namespace vigil::workflow
