// Platform feedback on a referral: what a platform reports through the API or a signed
// callback (delivery/callback.h checks the signature first), as a value and its JSON form.
//
// JSON (one object; unknown members are ignored so platforms may add their own):
//   {"referral_id": 12, "status": "removed", "urls": ["https://..."],
//    "reason": "...", "cannot_comply_reason": "force_majeure",
//    "jurisdictions": ["DE"], "platform_reference": "T-77", "reported_at_ms": 1767225600000}
// status is one of FeedbackKindName; referral_id and status are required.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "workflow/model.h"

namespace vigil::workflow {

// Largest feedback document accepted (bytes) and most URLs / jurisdictions in one.
inline constexpr size_t kMaxFeedbackBytes = 256 * 1024;
inline constexpr size_t kMaxFeedbackUrls = kMaxItemsPerReferral;
inline constexpr size_t kMaxFeedbackJurisdictions = 64;

enum class FeedbackKind {
  kAcknowledged,          // received, being handled
  kRemoved,               // removed (all URLs, or those listed)
  kGeoBlocked,            // access disabled in `jurisdictions`
  kRejected,              // declined; `reason` says why
  kCannotComply,          // Annex III: `cannot_comply_reason` says which
  kClarificationRequest,  // a question for the issuer; `reason` holds it
  kResumed,               // the force majeure / impossibility has ceased
};
std::string_view FeedbackKindName(FeedbackKind k);
// acknowledged | removed | geo_blocked | rejected | cannot_comply | clarification_request |
// resumed
Result<FeedbackKind> ParseFeedbackKind(std::string_view name);

struct Feedback {
  int64_t referral_id = 0;
  FeedbackKind kind = FeedbackKind::kAcknowledged;
  std::vector<std::string> urls;  // empty: the whole referral
  std::string reason;
  std::optional<CannotComplyReason> cannot_comply_reason;
  std::vector<std::string> jurisdictions;  // ISO 3166-1 alpha-2, for geo_blocked
  std::string platform_reference;
  int64_t reported_ms = 0;  // the platform's own timestamp (informational)
};

// Parses and checks one feedback document. InvalidArgument naming the problem for
// malformed JSON, a missing or wrong-typed member, an unknown status or reason, a
// cannot_comply without its reason, text over kMaxTextBytes or a document over the limits.
Result<Feedback> ParseFeedbackJson(std::string_view json);
std::string FeedbackToJson(const Feedback& f);

}  // namespace vigil::workflow
