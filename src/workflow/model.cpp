#include "workflow/model.h"

#include <array>
#include <utility>

namespace vigil::workflow {
namespace {

template <typename E, size_t N>
Result<E> ParseByName(std::string_view name, const std::array<std::pair<E, std::string_view>, N>& t,
                      std::string_view what) {
  for (const auto& [e, n] : t) {
    if (n == name) return e;
  }
  return Status::InvalidArgument("unknown " + std::string(what) + " '" + std::string(name) + "'");
}

template <typename E, size_t N>
std::string_view NameOf(E e, const std::array<std::pair<E, std::string_view>, N>& t) {
  for (const auto& [v, n] : t) {
    if (v == e) return n;
  }
  return "unknown";
}

constexpr std::array<std::pair<LegalRoute, std::string_view>, 3> kRoutes{{
    {LegalRoute::kVoluntary, "voluntary"},
    {LegalRoute::kTcoRemovalOrder, "tco_removal_order"},
    {LegalRoute::kDsaArt9Order, "dsa_art9_order"},
}};

constexpr std::array<std::pair<ReferralState, std::string_view>, 12> kStates{{
    {ReferralState::kHeld, "held"},
    {ReferralState::kPending, "pending"},
    {ReferralState::kDeliveryFailed, "delivery_failed"},
    {ReferralState::kDelivered, "delivered"},
    {ReferralState::kAcknowledged, "acknowledged"},
    {ReferralState::kClarificationRequested, "clarification_requested"},
    {ReferralState::kCannotComply, "cannot_comply"},
    {ReferralState::kGeoBlocked, "geo_blocked"},
    {ReferralState::kRemoved, "removed"},
    {ReferralState::kRejected, "rejected"},
    {ReferralState::kWithdrawn, "withdrawn"},
    {ReferralState::kReinstated, "reinstated"},
}};

constexpr std::array<std::pair<TcoGround, std::string_view>, 5> kGrounds{{
    {TcoGround::kIncites, "art2_7_a"},
    {TcoGround::kSolicitsOffence, "art2_7_b"},
    {TcoGround::kSolicitsGroup, "art2_7_c"},
    {TcoGround::kInstructs, "art2_7_d"},
    {TcoGround::kThreatens, "art2_7_e"},
}};

constexpr std::array<std::pair<CannotComplyReason, std::string_view>, 4> kReasons{{
    {CannotComplyReason::kForceMajeure, "force_majeure"},
    {CannotComplyReason::kDeFactoImpossibility, "de_facto_impossibility"},
    {CannotComplyReason::kManifestError, "manifest_error"},
    {CannotComplyReason::kInsufficientInformation, "insufficient_information"},
}};

constexpr std::array<std::pair<HoldKind, std::string_view>, 3> kHoldKinds{{
    {HoldKind::kUrl, "url"},
    {HoldKind::kAccount, "account"},
    {HoldKind::kHash, "hash"},
}};

}  // namespace

std::string_view LegalRouteName(LegalRoute r) { return NameOf(r, kRoutes); }
Result<LegalRoute> ParseLegalRoute(std::string_view name) {
  return ParseByName(name, kRoutes, "legal route");
}
std::string_view ReferralStateName(ReferralState s) { return NameOf(s, kStates); }
Result<ReferralState> ParseReferralState(std::string_view name) {
  return ParseByName(name, kStates, "referral state");
}
std::string_view TcoGroundName(TcoGround g) { return NameOf(g, kGrounds); }
Result<TcoGround> ParseTcoGround(std::string_view name) {
  return ParseByName(name, kGrounds, "TCO ground");
}
std::string_view CannotComplyReasonName(CannotComplyReason r) { return NameOf(r, kReasons); }
Result<CannotComplyReason> ParseCannotComplyReason(std::string_view name) {
  return ParseByName(name, kReasons, "cannot-comply reason");
}
std::string_view HoldKindName(HoldKind k) { return NameOf(k, kHoldKinds); }
Result<HoldKind> ParseHoldKind(std::string_view name) {
  return ParseByName(name, kHoldKinds, "hold kind");
}

std::string_view TcoGroundDescription(TcoGround g) {
  switch (g) {
    case TcoGround::kIncites:
      return "incites the commission of terrorist offences, including by glorifying them "
             "(Art. 2(7)(a))";
    case TcoGround::kSolicitsOffence:
      return "solicits a person or group to commit or contribute to terrorist offences "
             "(Art. 2(7)(b))";
    case TcoGround::kSolicitsGroup:
      return "solicits a person or group to participate in the activities of a terrorist "
             "group (Art. 2(7)(c))";
    case TcoGround::kInstructs:
      return "provides instruction on making or using explosives, firearms, other weapons, "
             "noxious substances or other methods for terrorist offences (Art. 2(7)(d))";
    case TcoGround::kThreatens:
      return "constitutes a threat to commit a terrorist offence (Art. 2(7)(e))";
  }
  return "";
}

std::string_view PauseKindName(PauseKind k) {
  return k == PauseKind::kClarification ? "clarification" : "force_majeure";
}

std::string_view UrlStatusName(UrlStatus s) {
  switch (s) {
    case UrlStatus::kUnknown: return "unknown";
    case UrlStatus::kLive: return "live";
    case UrlStatus::kGone: return "gone";
  }
  return "unknown";
}

bool IsTerminal(ReferralState s) {
  return s == ReferralState::kRemoved || s == ReferralState::kRejected ||
         s == ReferralState::kWithdrawn || s == ReferralState::kReinstated;
}

bool IsWithPlatform(ReferralState s) {
  return s == ReferralState::kDelivered || s == ReferralState::kAcknowledged ||
         s == ReferralState::kClarificationRequested || s == ReferralState::kCannotComply ||
         s == ReferralState::kGeoBlocked;
}

bool IsTransitionAllowed(ReferralState from, ReferralState to) {
  using S = ReferralState;
  switch (from) {
    case S::kHeld: return to == S::kPending || to == S::kWithdrawn;
    case S::kPending:
      return to == S::kDelivered || to == S::kDeliveryFailed || to == S::kHeld ||
             to == S::kWithdrawn;
    case S::kDeliveryFailed: return to == S::kPending || to == S::kDelivered || to == S::kWithdrawn;
    case S::kDelivered:
    case S::kAcknowledged:
    case S::kClarificationRequested:
    case S::kCannotComply:
      return (to == S::kAcknowledged || to == S::kClarificationRequested ||
              to == S::kCannotComply || to == S::kGeoBlocked || to == S::kRemoved ||
              to == S::kRejected || to == S::kWithdrawn) &&
             to != from;
    case S::kGeoBlocked: return to == S::kRemoved || to == S::kWithdrawn;
    case S::kRemoved: return to == S::kReinstated;
    case S::kRejected:
    case S::kWithdrawn:
    case S::kReinstated: return false;
  }
  return false;
}

}  // namespace vigil::workflow
