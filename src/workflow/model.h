// The referral domain: what is referred to a hosting platform, by which legal route, and
// where it stands. Plain values; ReferralService (service.h) owns every change to them.
//
// A referral is one notice to one platform: one or more confirmed items (URLs with their
// hashes, labels and evidence), the organisations that referred them (two agencies
// referring the same URL get one notice naming both), a legal route and, for an EU TCO
// removal order, the fields of the Regulation's Annex I template and the one-hour clock.
//
// Names of enums (…Name / Parse…) are stable: they are stored, exported, sent to
// platforms and accepted from their callbacks.
//
// Thread safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vigil::workflow {

// Limits on what one referral may hold (a bigger batch is split by the caller).
inline constexpr size_t kMaxItemsPerReferral = 1000;
inline constexpr size_t kMaxOrganisationsPerReferral = 64;
// Re-check results kept per URL (the oldest are dropped first).
inline constexpr size_t kMaxChecksKept = 64;
// Longest free-text field (reasons, notes) accepted from anyone (bytes).
inline constexpr size_t kMaxTextBytes = 4096;

// The legal basis a referral is sent under.
enum class LegalRoute {
  kVoluntary,        // the platform's own terms of service (a referral, not an order)
  kTcoRemovalOrder,  // Regulation (EU) 2021/784 Art. 3: remove within one hour
  kDsaArt9Order,     // Regulation (EU) 2022/2065 Art. 9: order to act against illegal content
};
std::string_view LegalRouteName(LegalRoute r);  // voluntary | tco_removal_order | dsa_art9_order
Result<LegalRoute> ParseLegalRoute(std::string_view name);

// Where a referral stands. See IsTransitionAllowed for the state machine.
enum class ReferralState {
  kHeld,                    // blocked by a deconfliction hold; not sent
  kPending,                 // ready to be delivered (or pulled)
  kDeliveryFailed,          // every delivery attempt failed; an operator retries or withdraws
  kDelivered,               // the platform has it (delivery receipt)
  kAcknowledged,            // the platform confirmed it is handling it
  kClarificationRequested,  // the platform asked a question (TCO clock paused)
  kCannotComply,            // Annex III reasons (TCO clock paused)
  kGeoBlocked,              // access disabled in some jurisdictions
  kRemoved,                 // gone (reported by the platform or verified by re-check)
  kRejected,                // the platform declined, with a reason
  kWithdrawn,               // the referring organisation took it back
  kReinstated,              // a removal reversed (complaint upheld)
};
std::string_view ReferralStateName(ReferralState s);
Result<ReferralState> ParseReferralState(std::string_view name);
// Whether a referral may move from `from` to `to`. Everything else is refused with
// FailedPrecondition by the service.
bool IsTransitionAllowed(ReferralState from, ReferralState to);
// No way out except reversal (removed -> reinstated): removed, rejected, withdrawn,
// reinstated.
bool IsTerminal(ReferralState s);
// Delivered to the platform at some point and not closed: re-checks run, feedback applies.
bool IsWithPlatform(ReferralState s);

// Regulation (EU) 2021/784 Art. 2(7): what makes material terrorist content.
enum class TcoGround {
  kIncites,          // (a) incites the commission of terrorist offences (incl. glorification)
  kSolicitsOffence,  // (b) solicits a person or group to commit or contribute to one
  kSolicitsGroup,    // (c) solicits participation in the activities of a terrorist group
  kInstructs,        // (d) instruction on making or using explosives, weapons, methods
  kThreatens,        // (e) a threat to commit one of those offences
};
std::string_view TcoGroundName(TcoGround g);  // art2_7_a .. art2_7_e
std::string_view TcoGroundDescription(TcoGround g);
Result<TcoGround> ParseTcoGround(std::string_view name);

// Annex III: why a hosting service provider cannot comply with a removal order.
enum class CannotComplyReason {
  kForceMajeure,             // Art. 3(7): force majeure ...
  kDeFactoImpossibility,     // ... or de facto impossibility not attributable to it
  kManifestError,            // Art. 3(8): the order contains manifest errors
  kInsufficientInformation,  // Art. 3(8): the order does not contain sufficient information
};
std::string_view CannotComplyReasonName(CannotComplyReason r);
Result<CannotComplyReason> ParseCannotComplyReason(std::string_view name);

// Why the TCO clock is paused.
enum class PauseKind { kClarification, kForceMajeure };
std::string_view PauseKindName(PauseKind k);

struct DeadlinePause {
  PauseKind kind = PauseKind::kClarification;
  int64_t start_ms = 0;
  int64_t end_ms = 0;  // 0: still paused
  std::string reason;
};

// Annex I of Regulation (EU) 2021/784 (the removal order template), plus the clock.
struct RemovalOrder {
  // Section A: the issuing competent authority.
  std::string issuing_authority;     // name
  std::string issuing_member_state;  // ISO 3166-1 alpha-2
  std::string authority_contact;     // contact details (e-mail, phone)
  std::string reference;             // the authority's file number
  // Section B: the addressee (hosting service provider, its legal representative) and its
  // contact point under Art. 15.
  std::string addressee;
  std::string addressee_contact_point;
  int64_t issued_ms = 0;  // date and time of issuing
  // Section B: the exact URLs; Section C: grounds under Art. 2(7) and the statement of
  // reasons; Section G: information about redress (court, time limits).
  std::vector<std::string> urls;
  std::vector<TcoGround> grounds;
  std::string reasons;
  std::string redress;
  // Art. 3(2): the 12-hour prior notice before a platform's first order may be skipped in
  // a duly justified emergency.
  bool emergency = false;
  // Art. 11(3): the authority asked that the content provider not be told yet.
  bool confidential = false;
  bool first_order_to_platform = false;

  // The clock. received_ms is the delivery receipt time; the one hour runs from it.
  int64_t received_ms = 0;
  std::vector<DeadlinePause> pauses;
  int64_t complied_ms = 0;         // removed or disabled
  int64_t overdue_flagged_ms = 0;  // when FlagOverdue first saw it late
};

enum class UrlStatus { kUnknown, kLive, kGone };
std::string_view UrlStatusName(UrlStatus s);

// One re-check of one URL.
struct CheckRecord {
  int64_t at_ms = 0;
  int http_status = 0;  // 0: no HTTP answer
  UrlStatus outcome = UrlStatus::kUnknown;
  std::string detail;
};

// One confirmed item as referred.
struct ReferralItem {
  int64_t item_id = 0;  // the store's item id (0 if not stored)
  std::string url;      // canonical
  std::string account;  // account or channel
  int64_t captured_ms = 0;
  std::string sha256;  // content hash, lowercase hex (may be empty)
  std::string pdq;     // perceptual hash, lowercase hex (may be empty)
  std::vector<std::string> labels;
  int tier = 0;  // severity tier, 1 = most severe; 0 = unset
  std::string reason;
  std::string evidence_ref;  // where the preserved copy is (evidence package id, object key)
  // False for content not disseminated to the public (a private chat): out of TCO scope.
  bool public_dissemination = true;
  std::vector<std::string> organisations;  // who referred this item

  int64_t removed_ms = 0;  // the platform reported this URL removed
  UrlStatus url_status = UrlStatus::kUnknown;
  int64_t next_check_ms = 0;  // 0: not scheduled
  int checks_done = 0;
  std::vector<CheckRecord> checks;  // newest last, at most kMaxChecksKept
};

struct StatusChange {
  int64_t at_ms = 0;
  std::string actor;
  ReferralState from = ReferralState::kPending;
  ReferralState to = ReferralState::kPending;
  std::string note;
};

// Proof that a notice reached the platform.
struct DeliveryReceipt {
  std::string channel;   // webhook | email | pull | manual
  std::string endpoint;  // URL, mailbox or account (never a secret)
  int attempts = 0;
  int64_t delivered_ms = 0;
  int status_code = 0;           // HTTP status or SMTP reply code
  std::string remote_reference;  // the platform's ticket or queue id, if it gave one
  std::string idempotency_key;
  std::string detail;
};

struct Referral {
  int64_t id = 0;
  std::string platform_id;
  LegalRoute route = LegalRoute::kVoluntary;
  ReferralState state = ReferralState::kPending;
  std::string lead_org;   // the organisation that created it
  std::string operation;  // the operation ("action day") it counts towards; may be empty
  std::vector<std::string> organisations;  // everyone who referred something in it
  std::vector<ReferralItem> items;
  std::optional<RemovalOrder> order;  // for kTcoRemovalOrder
  // Content out of TCO scope (not public, or the platform is not a hosting service in the
  // TCO sense) that was split from an order and sent as a voluntary referral instead.
  bool out_of_tco_scope = false;
  // Deconfliction holds that block it. Never shown to the referring organisation.
  std::vector<int64_t> hold_ids;
  std::string idempotency_key;  // stable for every delivery attempt of this notice
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  std::vector<DeliveryReceipt> receipts;
  std::vector<StatusChange> history;
  std::string platform_reference;  // the platform's ticket id from feedback
  std::string last_reason;         // rejection / cannot-comply / clarification text
  std::optional<CannotComplyReason> cannot_comply;
  int64_t removal_verified_ms = 0;  // every URL found gone by re-check
};

// What a deconfliction hold covers.
enum class HoldKind { kUrl, kAccount, kHash };
std::string_view HoldKindName(HoldKind k);
Result<HoldKind> ParseHoldKind(std::string_view name);

// An organisation's "do not refer": an investigation relies on the content staying up.
struct Hold {
  int64_t id = 0;
  std::string org;  // the holder
  HoldKind kind = HoldKind::kUrl;
  std::string value;        // canonical URL, account, or sha256/pdq hex
  std::string platform_id;  // for kAccount: which platform (empty: any)
  std::string note;         // the holder's own note; never shown to others
  int64_t created_ms = 0;
  int64_t expires_ms = 0;   // 0: until released
  int64_t released_ms = 0;  // 0: active
  bool ActiveAt(int64_t now_ms) const {
    return released_ms == 0 && (expires_ms == 0 || now_ms < expires_ms);
  }
};

// What the holder is told when a referral touches its hold.
struct HoldHit {
  int64_t hold_id = 0;
  std::string holder_org;
  int64_t referral_id = 0;
  std::string referring_org;
  std::string platform_id;
  std::string matched;  // the URL, account or hash that matched
  int64_t at_ms = 0;
};

}  // namespace vigil::workflow
