#include "workflow/model.h"

#include <gtest/gtest.h>

namespace vigil::workflow {
namespace {

constexpr ReferralState kAll[] = {
    ReferralState::kHeld,           ReferralState::kPending,
    ReferralState::kDeliveryFailed, ReferralState::kDelivered,
    ReferralState::kAcknowledged,   ReferralState::kClarificationRequested,
    ReferralState::kCannotComply,   ReferralState::kGeoBlocked,
    ReferralState::kRemoved,        ReferralState::kRejected,
    ReferralState::kWithdrawn,      ReferralState::kReinstated};

TEST(Model, NamesRoundTrip) {
  for (ReferralState s : kAll) {
    auto p = ParseReferralState(ReferralStateName(s));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(*p, s);
  }
  for (auto r : {LegalRoute::kVoluntary, LegalRoute::kTcoRemovalOrder, LegalRoute::kDsaArt9Order}) {
    EXPECT_EQ(*ParseLegalRoute(LegalRouteName(r)), r);
  }
  for (auto g : {TcoGround::kIncites, TcoGround::kSolicitsOffence, TcoGround::kSolicitsGroup,
                 TcoGround::kInstructs, TcoGround::kThreatens}) {
    EXPECT_EQ(*ParseTcoGround(TcoGroundName(g)), g);
    EXPECT_FALSE(TcoGroundDescription(g).empty());
  }
  EXPECT_EQ(TcoGroundName(TcoGround::kIncites), "art2_7_a");
  EXPECT_EQ(TcoGroundName(TcoGround::kThreatens), "art2_7_e");
  for (auto c :
       {CannotComplyReason::kForceMajeure, CannotComplyReason::kDeFactoImpossibility,
        CannotComplyReason::kManifestError, CannotComplyReason::kInsufficientInformation}) {
    EXPECT_EQ(*ParseCannotComplyReason(CannotComplyReasonName(c)), c);
  }
  EXPECT_EQ(ParseReferralState("gone").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseHoldKind("nope").status().code(), StatusCode::kInvalidArgument);
}

TEST(Model, TerminalStatesHaveNoWayOutButReversal) {
  for (ReferralState to : kAll) {
    EXPECT_FALSE(IsTransitionAllowed(ReferralState::kRejected, to));
    EXPECT_FALSE(IsTransitionAllowed(ReferralState::kWithdrawn, to));
    EXPECT_FALSE(IsTransitionAllowed(ReferralState::kReinstated, to));
    EXPECT_EQ(IsTransitionAllowed(ReferralState::kRemoved, to), to == ReferralState::kReinstated);
  }
}

TEST(Model, NothingReachesThePlatformWithoutDelivery) {
  for (ReferralState from : {ReferralState::kHeld, ReferralState::kPending}) {
    for (ReferralState to : {ReferralState::kAcknowledged, ReferralState::kRemoved,
                             ReferralState::kRejected, ReferralState::kCannotComply,
                             ReferralState::kClarificationRequested, ReferralState::kGeoBlocked}) {
      EXPECT_FALSE(IsTransitionAllowed(from, to))
          << ReferralStateName(from) << "->" << ReferralStateName(to);
    }
  }
  EXPECT_FALSE(IsTransitionAllowed(ReferralState::kHeld, ReferralState::kDelivered));
  EXPECT_TRUE(IsTransitionAllowed(ReferralState::kHeld, ReferralState::kPending));
  EXPECT_TRUE(IsTransitionAllowed(ReferralState::kPending, ReferralState::kDelivered));
  EXPECT_TRUE(IsTransitionAllowed(ReferralState::kDelivered, ReferralState::kRemoved));
  EXPECT_TRUE(IsTransitionAllowed(ReferralState::kCannotComply, ReferralState::kAcknowledged));
  EXPECT_FALSE(IsTransitionAllowed(ReferralState::kAcknowledged, ReferralState::kAcknowledged));
  EXPECT_FALSE(IsTransitionAllowed(ReferralState::kGeoBlocked, ReferralState::kAcknowledged));
}

TEST(Model, ClassifiesStates) {
  int with_platform = 0, terminal = 0;
  for (ReferralState s : kAll) {
    with_platform += IsWithPlatform(s);
    terminal += IsTerminal(s);
    EXPECT_FALSE(IsWithPlatform(s) && IsTerminal(s));
  }
  EXPECT_EQ(with_platform, 5);
  EXPECT_EQ(terminal, 4);
}

}  // namespace
}  // namespace vigil::workflow
