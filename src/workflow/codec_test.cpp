#include "workflow/codec.h"

#include <gtest/gtest.h>

namespace vigil::workflow {
namespace {

Referral Full() {
  Referral r;
  r.id = 7;
  r.platform_id = "videohost";
  r.route = LegalRoute::kTcoRemovalOrder;
  r.state = ReferralState::kCannotComply;
  r.lead_org = "org-a";
  r.operation = "action-day-1";
  r.organisations = {"org-a", "org-b"};
  ReferralItem it;
  it.item_id = 3;
  it.url = "https://v.example/1";
  it.account = "channel-1";
  it.captured_ms = 11;
  it.sha256 = std::string(64, 'a');
  it.labels = {"content_type:video"};
  it.tier = 2;
  it.public_dissemination = false;
  it.organisations = {"org-a"};
  it.url_status = UrlStatus::kGone;
  it.checks.push_back({5, 404, UrlStatus::kGone, "gone"});
  r.items.push_back(it);
  RemovalOrder o;
  o.issuing_authority = "Authority";
  o.urls = {it.url};
  o.grounds = {TcoGround::kIncites, TcoGround::kThreatens};
  o.received_ms = 100;
  o.pauses.push_back({PauseKind::kForceMajeure, 120, 0, "outage"});
  r.order = o;
  r.hold_ids = {4};
  r.receipts.push_back({"webhook", "http://127.0.0.1/hook", 2, 100, 200, "R-1", "key", ""});
  r.history.push_back({1, "user:a", ReferralState::kPending, ReferralState::kDelivered, "x"});
  r.cannot_comply = CannotComplyReason::kForceMajeure;
  return r;
}

TEST(Codec, RoundTripsEveryField) {
  Referral r = Full();
  std::string once = ReferralToJson(r);
  auto back = ReferralFromJson(once);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ReferralToJson(*back), once);
  EXPECT_EQ(back->order->pauses[0].reason, "outage");
  EXPECT_EQ(back->items[0].checks[0].http_status, 404);
  EXPECT_FALSE(back->items[0].public_dissemination);
  EXPECT_EQ(*back->cannot_comply, CannotComplyReason::kForceMajeure);
}

TEST(Codec, RefusesWrongTypesAndUnknownNames) {
  EXPECT_FALSE(ReferralFromJson("[]").ok());
  EXPECT_FALSE(ReferralFromJson("{\"id\":\"x\"}").ok());
  EXPECT_FALSE(ReferralFromJson("{\"state\":\"nowhere\"}").ok());
  EXPECT_FALSE(ReferralFromJson("{\"items\":[1]}").ok());
  EXPECT_TRUE(ReferralFromJson("{\"id\":1,\"future_field\":true}").ok());
}

}  // namespace
}  // namespace vigil::workflow
