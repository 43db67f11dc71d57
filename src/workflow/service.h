// ReferralService: the referral workflow's rules, from confirmed items to "removed".
//
// - Refer: confirmed items are grouped per hosting platform into referral packages. An item
//   whose canonical URL or content (sha256) is already in an open referral to the same
//   platform under the same legal route is merged into it (the referral names both
//   organisations; nothing is sent twice). An item touching an active deconfliction hold
//   goes into a held referral: nothing is sent, the holder is told (HoldNotifier), and the
//   referring organisation only ever sees the state "held".
// - TCO removal orders carry the Annex I fields; items not disseminated to the public, or
//   on a platform that is not a TCO hosting service, are split off into a voluntary
//   referral flagged out_of_tco_scope. A platform's first order needs the Art. 3(2)
//   12-hour notice unless it is an emergency; otherwise the whole request is refused.
// - Delivery: PendingDeliveries / RecordDelivery / RecordDeliveryFailure for push channels
//   (delivery/dispatcher.h), PullForPlatform for platforms that fetch their notices.
//   Receipt starts the TCO clock.
// - Feedback (feedback.h) moves the state machine (model.h: IsTransitionAllowed); an
//   illegal transition is FailedPrecondition and changes nothing. Clarification requests
//   and Annex III reasons pause the clock; ProvideClarification / "resumed" restart it.
// - FlagOverdue reports orders past their deadline (once each, audited).
// - RunDueRechecks re-fetches referred URLs on a schedule until they are gone; when every
//   URL of a referral is gone it is marked removed (verified).
//
// Every change is stored through the repository and recorded through the AuditSink with
// actor, action, before and after. If recording fails, the call fails.
//
// Thread safety: all methods may be called from any thread; one mutex serialises them
// (the repository and audit sink are only used under it).
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "workflow/audit_sink.h"
#include "workflow/clock.h"
#include "workflow/feedback.h"
#include "workflow/model.h"
#include "workflow/repository.h"
#include "workflow/tco.h"

namespace vigil::workflow {

// Re-check schedule defaults: first look an hour after delivery, then back off to at most
// a day between looks, and give up after 60 looks (about two months).
inline constexpr int64_t kDefaultRecheckFirstDelayMs = kMsPerHour;
inline constexpr int64_t kDefaultRecheckMaxIntervalMs = 24 * kMsPerHour;
inline constexpr int kDefaultRecheckMaxChecks = 60;

// Told when a referral touches a hold. Called under the service lock: must not call back.
class HoldNotifier {
 public:
  virtual ~HoldNotifier() = default;
  virtual void OnHoldHit(const HoldHit& hit) = 0;
};

// What a re-check found at a URL.
struct ProbeResult {
  int http_status = 0;
  bool removal_page = false;  // the platform's "this content was removed" page
  std::string final_url;
};

// Fetches a referred URL (adapters.h wraps collect's SafeFetcher). A transport failure is
// an error Status: recorded as an unknown outcome, retried on the schedule.
class UrlProber {
 public:
  virtual ~UrlProber() = default;
  virtual Result<ProbeResult> Probe(std::string_view platform_id, std::string_view url) = 0;
};

struct ServiceOptions {
  ResumePolicy resume_policy = ResumePolicy::kRestart;
  int64_t recheck_first_delay_ms = kDefaultRecheckFirstDelayMs;
  int64_t recheck_max_interval_ms = kDefaultRecheckMaxIntervalMs;
  int recheck_max_checks = kDefaultRecheckMaxChecks;
  // Whether a platform is a hosting service provider in the TCO sense (the registry's
  // tco_hosting_service). Unset: every platform is.
  std::function<bool(std::string_view platform_id)> is_tco_hosting_service;
  // Checks a request that names an operation (workflow/operation.h): OK, or why `org` may
  // not refer under it now. Called inside Refer's change, before anything is written; it
  // must not call back into the service. Unset: operation names are free strings.
  std::function<Status(std::string_view operation, std::string_view org, int64_t now_ms)>
      check_operation;
};

// One confirmed item to refer.
struct ConfirmedItem {
  int64_t item_id = 0;
  std::string url;  // canonical (collect::CanonicalizeUrl)
  std::string platform_id;
  std::string account;
  int64_t captured_ms = 0;
  std::string sha256;
  std::string pdq;
  std::vector<std::string> labels;
  int tier = 0;
  std::string reason;
  std::string evidence_ref;
  bool public_dissemination = true;
};

// The Annex I fields an authority fills in once per request; urls, addressee and times are
// filled per platform by the service.
struct OrderTemplate {
  std::string issuing_authority;
  std::string issuing_member_state;
  std::string authority_contact;
  std::string reference;
  std::vector<TcoGround> grounds;
  std::string reasons;
  std::string redress;
  bool emergency = false;
  bool confidential = false;
  // Per platform: addressee (legal name) and Art. 15 contact point. Missing ones stay empty.
  std::function<std::pair<std::string, std::string>(std::string_view platform_id)> addressee;
};

struct ReferRequest {
  std::string actor;      // "user:alice"
  std::string org;        // the referring organisation
  std::string operation;  // recorded on referrals this request creates (statistics)
  LegalRoute route = LegalRoute::kVoluntary;
  std::vector<ConfirmedItem> items;
  std::optional<OrderTemplate> order;  // required for kTcoRemovalOrder
};

struct ReferOutcome {
  std::vector<int64_t> created;  // new referrals (pending or held)
  std::vector<int64_t> merged;   // existing referrals the items were merged into
  int items_new = 0;
  int items_merged = 0;
  int items_held = 0;
  int items_out_of_tco_scope = 0;
};

struct RecheckSummary {
  int checked = 0;
  int gone = 0;
  int live = 0;
  int errors = 0;
  std::vector<int64_t> verified_removed;  // referrals whose every URL is now gone
};

struct ReferralFilter {
  std::optional<ReferralState> state;
  std::string operation;    // empty: any
  std::string platform_id;  // empty: any
  std::string org;          // empty: any; else referrals naming this organisation
};

class ReferralService {
 public:
  // `repo`, `audit`, `clock` and `notifier` (may be null) must outlive the service.
  ReferralService(ReferralRepository* repo, AuditSink* audit, const Clock* clock,
                  HoldNotifier* notifier, ServiceOptions options = {});

  // Packages `request.items` per platform; see the file comment. InvalidArgument for a bad
  // request (no items, no URL or platform, a TCO route without an order template or
  // grounds), FailedPrecondition for a first TCO order without notice. All or nothing.
  Result<ReferOutcome> Refer(const ReferRequest& request);

  // --- deconfliction --------------------------------------------------------------------
  // Places a hold. Pending (not yet delivered) referrals it touches become held and the
  // holder is told about each.
  Result<Hold> PlaceHold(std::string_view actor, const Hold& hold);
  // Releases a hold; only its holder may (PermissionDenied otherwise). Held referrals with
  // no other active hold become pending.
  Status ReleaseHold(std::string_view actor, std::string_view org, int64_t hold_id);
  // The holder's own holds.
  Result<std::vector<Hold>> ListHolds(std::string_view org);

  // --- TCO ------------------------------------------------------------------------------
  // Records the Art. 3(2) notice to a platform (at_ms 0: now).
  Status RecordPriorNotice(std::string_view actor, std::string_view platform_id, int64_t at_ms);
  Result<TcoClockState> OrderClock(int64_t referral_id);
  // Flags orders now past their deadline; returns the ids flagged by this call.
  Result<std::vector<int64_t>> FlagOverdue(std::string_view actor);
  // The issuer answers a clarification request: the clock runs again.
  Status ProvideClarification(std::string_view actor, std::string_view org, int64_t referral_id,
                              std::string_view note);

  // --- delivery -------------------------------------------------------------------------
  // Pending referrals in id order (at most `limit`; 0 = all), optionally for one platform.
  Result<std::vector<Referral>> PendingDeliveries(size_t limit, std::string_view platform_id = {});
  // The notice reached the platform: pending/delivery_failed -> delivered; starts the clock.
  Status RecordDelivery(std::string_view actor, int64_t referral_id, DeliveryReceipt receipt);
  // Every attempt failed: pending -> delivery_failed.
  Status RecordDeliveryFailure(std::string_view actor, int64_t referral_id,
                               std::string_view detail);
  // An operator tries again: delivery_failed -> pending.
  Status RetryDelivery(std::string_view actor, int64_t referral_id);
  // The pull API: the platform's account fetches its pending notices; each returned one is
  // recorded as delivered (channel "pull", endpoint `account`).
  Result<std::vector<Referral>> PullForPlatform(std::string_view platform_id,
                                                std::string_view account, size_t limit);

  // --- feedback and lifecycle -----------------------------------------------------------
  // Applies feedback from `platform_id` (the authenticated sender). NotFound if the
  // referral does not exist or is not addressed to that platform (no probing of other
  // platforms' ids); FailedPrecondition for an illegal transition.
  Status ApplyFeedback(std::string_view actor, std::string_view platform_id, const Feedback& f);
  // The referring organisation (any named one) takes a referral back.
  Status Withdraw(std::string_view actor, std::string_view org, int64_t referral_id,
                  std::string_view reason);
  // A removal was reversed (complaint upheld): removed -> reinstated.
  Status Reinstate(std::string_view actor, int64_t referral_id, std::string_view reason);

  // --- reversal (reversal.h) ------------------------------------------------------------
  // Reverses a referral's content (all items, or the one named) or one bank signal: marks
  // the signals in the banks, moves every referral carrying the content (see reversal.h)
  // and queues a notice per platform that had it; all in one repository change, audited
  // ("reversal.create", "signal.reverse", "referral.state", "referral.reverse",
  // "reversal.notice"). InvalidArgument (no reason, neither or both of referral and
  // signal), NotFound (referral, item, bank or signal in that bank), Unsupported (a
  // repository without banks). Reversing what is already reversed changes nothing more.
  Result<ReversalOutcome> Reverse(const ReversalRequest& request);
  // Notices not delivered yet (pending or delivery_failed), id order, at most `limit`
  // (0 = all), optionally for one platform.
  Result<std::vector<ReversalNotice>> PendingReversalNotices(size_t limit,
                                                             std::string_view platform_id = {});
  // A delivery attempt of a notice: delivered (receipt.delivered_ms set, 0: now) or failed
  // (delivered_ms < 0 on input; the error in detail). Either way the attempt is kept.
  // FailedPrecondition for a notice already delivered.
  Status RecordReversalAttempt(std::string_view actor, int64_t notice_id, DeliveryReceipt attempt,
                               bool delivered);
  // The pull API: the platform's pending notices, each recorded as delivered (channel
  // "pull", endpoint `account`).
  Result<std::vector<ReversalNotice>> PullReversalsForPlatform(std::string_view platform_id,
                                                               std::string_view account,
                                                               size_t limit);
  // Every notice about one referral, oldest first.
  Result<std::vector<ReversalNotice>> ReversalNoticesFor(int64_t referral_id);

  // --- re-checks ------------------------------------------------------------------------
  // Probes up to `max_urls` URLs whose check is due (0 = all), records each outcome.
  Result<RecheckSummary> RunDueRechecks(UrlProber& prober, size_t max_urls);

  // --- views ----------------------------------------------------------------------------
  // The full record (operators and the platform's own notices).
  Result<Referral> Get(int64_t referral_id);
  // What organisation `org` may see: NotFound unless it is named on the referral; hold
  // ids stripped (a held referral only says "held").
  Result<Referral> ViewFor(std::string_view org, int64_t referral_id);
  Result<std::vector<Referral>> List(const ReferralFilter& filter);

  const Clock& clock() const { return *clock_; }

 private:
  Status Transition(Referral& r, ReferralState to, std::string_view actor, std::string_view note,
                    std::string_view details_json);
  Status Audit(std::string_view actor, std::string_view action, std::string_view target,
               std::string_view before, std::string_view after, std::string_view details);
  Status Save(Referral& r);
  std::vector<const Hold*> MatchingHolds(const std::vector<Hold>& holds,
                                         const std::string& platform, const ReferralItem& item,
                                         int64_t now) const;
  void ScheduleChecks(Referral& r, int64_t now);

  // The service lock plus the repository's change bracket (see ReferralRepository).
  class ChangeLock;

  std::mutex mu_;
  ReferralRepository* repo_;
  AuditSink* audit_;
  const Clock* clock_;
  HoldNotifier* notifier_;
  ServiceOptions options_;
};

}  // namespace vigil::workflow
