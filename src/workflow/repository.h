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
#include "workflow/reversal.h"

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

  // --- reversal (reversal.h) --------------------------------------------------------------
  // The defaults refuse (Unsupported): a repository without banks cannot reverse.
  virtual Result<int64_t> NextReversalId() { return Unsupported(); }
  virtual Result<int64_t> NextReversalNoticeId() { return Unsupported(); }
  // Records every value of `content` as reversed (by reversal `reversal_id`, with `reason`)
  // and marks every live signal of the same type and value reversed: in every bank, or only
  // in `bank` when it is not empty (NotFound if no such bank). A marked signal is
  // tombstoned with reversed_ms and the reason, under one new version per bank touched.
  // Returns the signals marked (a signal already reversed is not marked again).
  virtual Result<std::vector<ReversedSignal>> ReverseContent(
      int64_t reversal_id, std::string_view bank, const std::vector<ContentSignal>& content,
      std::string_view reason, int64_t at_ms) {
    (void)reversal_id, (void)bank, (void)content, (void)reason, (void)at_ms;
    return Unsupported();
  }
  // The values of `content` reversed at some time (none by default).
  virtual Result<std::vector<ContentSignal>> FindReversed(
      const std::vector<ContentSignal>& content) {
    (void)content;
    return std::vector<ContentSignal>{};
  }
  // Every hash of stored item `item_id`'s media (none by default or when unknown).
  virtual Result<std::vector<ContentSignal>> ItemSignals(int64_t item_id) {
    (void)item_id;
    return std::vector<ContentSignal>{};
  }
  // Referrals (any state) with an item whose sha256 or pdq is in `content`, or whose stored
  // item's media carry one of its values.
  virtual Result<ContentReferrals> FindReferralsWithContent(
      const std::vector<ContentSignal>& content) {
    (void)content;
    return Unsupported();
  }
  // Inserts or replaces (by id).
  virtual Status PutReversalNotice(const ReversalNotice& n) {
    (void)n;
    return Unsupported();
  }
  virtual Result<ReversalNotice> GetReversalNotice(int64_t id) {  // NotFound
    return Status::NotFound("reversal notice " + std::to_string(id) + " not found");
  }
  // Notices in id order: those not delivered yet (pending or delivery_failed) when
  // `undelivered`, else all; only `platform_id`'s when it is not empty; at most `limit`
  // (0: all); only those of `referral_id` when it is not 0.
  virtual Result<std::vector<ReversalNotice>> ListReversalNotices(bool undelivered,
                                                                  std::string_view platform_id,
                                                                  size_t limit,
                                                                  int64_t referral_id = 0) {
    (void)undelivered, (void)platform_id, (void)limit, (void)referral_id;
    return std::vector<ReversalNotice>{};
  }

 private:
  static Status Unsupported() {
    return Status::Unsupported("this referral repository keeps no banks: reversal unsupported");
  }
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

  // Reversal over an in-memory bank of signals (tests): AddBankSignal puts a live signal
  // into bank `bank` (created on first use, id from 1 in order of creation).
  void AddBankSignal(std::string_view bank, const ContentSignal& signal);
  // The bank signal's state: -1 if it is not there, 0 live, else its reversed_ms.
  int64_t BankSignalReversedMs(std::string_view bank, const ContentSignal& signal) const;
  int64_t BankVersion(std::string_view bank) const;
  Result<int64_t> NextReversalId() override { return ++last_reversal_id_; }
  Result<int64_t> NextReversalNoticeId() override { return ++last_notice_id_; }
  Result<std::vector<ReversedSignal>> ReverseContent(int64_t reversal_id, std::string_view bank,
                                                     const std::vector<ContentSignal>& content,
                                                     std::string_view reason,
                                                     int64_t at_ms) override;
  Result<std::vector<ContentSignal>> FindReversed(
      const std::vector<ContentSignal>& content) override;
  Result<ContentReferrals> FindReferralsWithContent(
      const std::vector<ContentSignal>& content) override;
  Status PutReversalNotice(const ReversalNotice& n) override;
  Result<ReversalNotice> GetReversalNotice(int64_t id) override;
  Result<std::vector<ReversalNotice>> ListReversalNotices(bool undelivered,
                                                          std::string_view platform_id,
                                                          size_t limit,
                                                          int64_t referral_id = 0) override;

 private:
  struct MemBank {
    int64_t id = 0;
    int64_t version = 0;
    std::map<ContentSignal, int64_t> signals;  // -> reversed_ms (0: live)
  };
  void Unindex(const Referral& r);
  void Index(const Referral& r);

  int64_t last_referral_id_ = 0;
  int64_t last_hold_id_ = 0;
  std::map<int64_t, Referral> referrals_;
  // "platform\nurl" and "platform\nsha256" -> open referral ids.
  std::map<std::string, std::set<int64_t>, std::less<>> open_by_key_;
  std::map<int64_t, Hold> holds_;
  std::map<std::string, int64_t, std::less<>> notices_;
  int64_t last_reversal_id_ = 0;
  int64_t last_notice_id_ = 0;
  std::map<std::string, MemBank, std::less<>> banks_;
  std::set<ContentSignal> reversed_;
  std::map<int64_t, ReversalNotice> reversal_notices_;
};

}  // namespace vigil::workflow
