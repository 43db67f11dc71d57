#include "workflow/feedback.h"

#include <gtest/gtest.h>

namespace vigil::workflow {
namespace {

TEST(Feedback, ParsesEveryStatus) {
  for (auto k : {FeedbackKind::kAcknowledged, FeedbackKind::kRemoved, FeedbackKind::kGeoBlocked,
                 FeedbackKind::kRejected, FeedbackKind::kCannotComply,
                 FeedbackKind::kClarificationRequest, FeedbackKind::kResumed}) {
    Feedback f;
    f.referral_id = 7;
    f.kind = k;
    f.reason = "because";
    if (k == FeedbackKind::kCannotComply)
      f.cannot_comply_reason = CannotComplyReason::kManifestError;
    if (k == FeedbackKind::kGeoBlocked) f.jurisdictions = {"DE", "FR"};
    f.urls = {"https://v.example/1"};
    f.platform_reference = "T-1";
    f.reported_ms = 1'767'225'600'000;
    auto back = ParseFeedbackJson(FeedbackToJson(f));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->kind, k);
    EXPECT_EQ(back->referral_id, 7);
    EXPECT_EQ(back->urls, f.urls);
    EXPECT_EQ(back->jurisdictions, f.jurisdictions);
    EXPECT_EQ(back->reason, "because");
    EXPECT_EQ(back->platform_reference, "T-1");
    EXPECT_EQ(back->reported_ms, f.reported_ms);
    EXPECT_EQ(back->cannot_comply_reason, f.cannot_comply_reason);
  }
}

TEST(Feedback, IgnoresUnknownMembers) {
  auto f = ParseFeedbackJson(R"({"referral_id":3,"status":"removed","x-platform":{"a":1}})");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->kind, FeedbackKind::kRemoved);
}

TEST(Feedback, RejectsMalformedDocuments) {
  const char* bad[] = {
      "",
      "not json",
      "[]",
      R"({"status":"removed"})",
      R"({"referral_id":0,"status":"removed"})",
      R"({"referral_id":-4,"status":"removed"})",
      R"({"referral_id":"3","status":"removed"})",
      R"({"referral_id":3.5,"status":"removed"})",
      R"({"referral_id":3})",
      R"({"referral_id":3,"status":"deleted"})",
      R"({"referral_id":3,"status":7})",
      R"({"referral_id":3,"status":"cannot_comply"})",
      R"({"referral_id":3,"status":"cannot_comply","cannot_comply_reason":"bored"})",
      R"({"referral_id":3,"status":"rejected"})",
      R"({"referral_id":3,"status":"removed","urls":"https://x"})",
      R"({"referral_id":3,"status":"removed","urls":[1]})",
      R"({"referral_id":3,"status":"removed","urls":[""]})",
      R"({"referral_id":3,"status":"removed","reported_at_ms":-1})",
      R"({"referral_id":18446744073709551615,"status":"removed"})",
      R"({"referral_id":3,"status":"removed","a":[[[[[[[[[[1]]]]]]]]]]})",
      "{\"referral_id\":3,\"status\":\"rem\xff\"}",
  };
  for (const char* b : bad) {
    auto f = ParseFeedbackJson(b);
    EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument) << b;
  }
  std::string huge = R"({"referral_id":3,"status":"rejected","reason":")" +
                     std::string(kMaxTextBytes + 1, 'x') + "\"}";
  EXPECT_EQ(ParseFeedbackJson(huge).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseFeedbackJson(std::string(kMaxFeedbackBytes + 1, ' ')).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil::workflow
