// Reversal (issue 7, item 8): a removal is reversed (a complaint upheld, a court ruling), so
// the content must never be referred again and every platform that acted on it is told.
//
// ReferralService::Reverse (service.h) takes a referral (optionally one of its items) or a
// bank signal and, in one repository change (one database transaction with its audit
// entries on the SQL repository):
//   - records the reversed content (the items' sha256 / pdq and, for stored items, every
//     hash of their media) and marks every bank signal with the same type and value
//     reversed: tombstoned with reversed_ms and the reason, one new version per bank, so
//     matchers (RefreshBank / Load read only live signals) and exports (live signals only)
//     drop it. Refer refuses reversed content (FailedPrecondition), so a reversed hash never
//     leads to a new referral even if someone matches or types it in by hand;
//   - for every referral containing that content: removed -> reinstated; with the platform
//     (delivered, acknowledged, geo-blocked, clarification, cannot comply) -> withdrawn;
//     not yet sent (pending, held, delivery failed) -> the items are dropped, withdrawn
//     when none is left. Rejected, withdrawn and reinstated referrals are left alone. The
//     state changes only when every item of the referral is reversed; otherwise the notice
//     names the reversed URLs and the referral goes on for the others;
//   - queues one ReversalNotice per referral that reached its platform and was not
//     rejected, delivered by the Dispatcher like referrals (webhook JSON with the HMAC
//     signature and the notice's own idempotency key, e-mail) or pulled by the platform
//     (GET /api/v1/platform/referrals lists them beside referral notices).
// Matching is by exact value: a PDQ hash within the match radius of a reversed one is not
// reversed by it.
//
// Thread safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "workflow/model.h"
#include "workflow/render.h"

namespace vigil::workflow {

// Longest bank name or signal value accepted in a reversal request (bytes).
inline constexpr size_t kMaxReversalValueBytes = 4096;
// Hashes gathered from one referral's items at most (a bigger one is refused).
inline constexpr size_t kMaxReversalContent = 10'000;

// A hash or other value as banks store it (store::SignalTypeName names, canonical values).
struct ContentSignal {
  std::string type;
  std::string value;
  auto operator<=>(const ContentSignal&) const = default;
};

// A bank signal marked reversed by one call.
struct ReversedSignal {
  int64_t bank_id = 0;
  std::string bank;
  std::string type;
  std::string value;
  int64_t bank_version = 0;  // the bank's version after the change
};

// Referrals whose items carry reversed content.
struct ContentReferrals {
  std::vector<int64_t> referral_ids;  // id order
  // Stored items (store item ids) whose media carry the content: a referral item with one
  // of these item ids is reversed even if its own sha256/pdq differ.
  std::vector<int64_t> item_ids;
};

enum class NoticeState { kPending, kDelivered, kDeliveryFailed };
std::string_view NoticeStateName(NoticeState s);  // pending | delivered | delivery_failed
Result<NoticeState> ParseNoticeState(std::string_view name);

// One reversed URL as the platform is told.
struct ReversedItem {
  std::string url;
  std::string sha256;
  std::string pdq;
};

// What one platform is told about one referral.
struct ReversalNotice {
  int64_t id = 0;
  int64_t reversal_id = 0;
  int64_t referral_id = 0;
  std::string platform_id;
  // "<referral key>-reversal-<reversal id>": stable across attempts, distinct from the
  // referral's own key so the platform does not discard it as a retry of the referral.
  std::string idempotency_key;
  std::string reason;
  ReferralState action = ReferralState::kRemoved;             // what the platform had done
  ReferralState referral_state = ReferralState::kReinstated;  // where the referral is now
  std::string platform_reference;
  std::vector<ReversedItem> items;
  NoticeState state = NoticeState::kPending;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  // Every delivery attempt: successes have delivered_ms set, failures 0 and the error in
  // detail.
  std::vector<DeliveryReceipt> attempts;
};

struct ReversalRequest {
  std::string actor;
  std::string reason;  // required
  // Either a referral (and optionally one of its items, by URL or by stored item id) ...
  int64_t referral_id = 0;
  std::string item_url;
  int64_t item_id = 0;
  // ... or a signal in one bank (only that bank's signal is marked; referrals carrying the
  // value are reversed as above).
  std::string bank;
  ContentSignal signal;
};

struct ReversalOutcome {
  int64_t reversal_id = 0;
  std::vector<ContentSignal> content;   // what was reversed
  std::vector<ReversedSignal> signals;  // bank signals marked by this call
  std::vector<int64_t> reinstated;      // removed -> reinstated
  std::vector<int64_t> withdrawn;       // open -> withdrawn
  std::vector<int64_t> notices;         // notice ids queued
  std::vector<int64_t> referrals_notified;
};

// The notice's full record (what the SQL repository stores and the API shows).
std::string ReversalNoticeToJson(const ReversalNotice& n);
Result<ReversalNotice> ReversalNoticeFromJson(std::string_view json);

// What the platform receives: {"type":"vigil.reversal","version":1,...}.
std::string RenderReversalJson(const ReversalNotice& n, const RenderOptions& options = {});
EmailNotice RenderReversalEmail(const ReversalNotice& n, const RenderOptions& options = {});

}  // namespace vigil::workflow
