#include "workflow/render.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace vigil::workflow {
namespace {

Referral Sample(bool order) {
  Referral r;
  r.id = 42;
  r.platform_id = "videohost";
  r.route = order ? LegalRoute::kTcoRemovalOrder : LegalRoute::kVoluntary;
  r.organisations = {"org-a", "org-b"};
  r.idempotency_key = "vigil-referral-42";
  r.created_ms = 1'767'225'600'000;
  r.hold_ids = {9};
  ReferralItem it;
  it.url = "https://v.example/watch?v=1";
  it.account = "channel \"one\"";
  it.captured_ms = 1'767'225'600'000;
  it.sha256 = std::string(64, 'a');
  it.pdq = std::string(64, 'b');
  it.labels = {"content_type:video", "severity:high"};
  it.tier = 1;
  it.reason = "synthetic";
  it.evidence_ref = "evidence:42";
  r.items.push_back(it);
  if (order) {
    RemovalOrder o;
    o.issuing_authority = "Test Authority";
    o.issuing_member_state = "NL";
    o.reference = "TCO-1";
    o.addressee = "Videohost Ltd";
    o.issued_ms = r.created_ms;
    o.urls = {it.url};
    o.grounds = {TcoGround::kIncites, TcoGround::kInstructs};
    o.reasons = "synthetic reasons";
    o.redress = "court X, two months";
    o.emergency = true;
    r.order = o;
  }
  return r;
}

TEST(Render, NoticeJsonCarriesThePackage) {
  RenderOptions opt;
  opt.sender = "Test IRU";
  opt.callback_url = "https://vigil.example/api/v1/feedback";
  std::string s = RenderNoticeJson(Sample(true), opt);
  boost::system::error_code ec;
  auto v = boost::json::parse(s, ec);
  ASSERT_FALSE(ec) << s;
  auto& o = v.as_object();
  EXPECT_EQ(o.at("referral_id").as_int64(), 42);
  EXPECT_EQ(o.at("route").as_string(), "tco_removal_order");
  EXPECT_EQ(o.at("idempotency_key").as_string(), "vigil-referral-42");
  EXPECT_EQ(o.at("organisations").as_array().size(), 2u);
  auto& item = o.at("items").as_array().at(0).as_object();
  EXPECT_EQ(item.at("account").as_string(), "channel \"one\"");
  EXPECT_EQ(item.at("hashes").as_object().at("sha256").as_string(), std::string(64, 'a'));
  EXPECT_EQ(item.at("captured_at").as_string(), "2026-01-01T00:00:00.000Z");
  auto& order = o.at("removal_order").as_object();
  EXPECT_EQ(order.at("deadline_minutes").as_int64(), 60);
  EXPECT_EQ(order.at("grounds").as_array().size(), 2u);
  EXPECT_EQ(order.at("grounds").as_array()[1].as_object().at("ground").as_string(), "art2_7_d");
  EXPECT_EQ(o.at("feedback").as_object().at("callback_url").as_string(), opt.callback_url);
  // Holds are internal.
  EXPECT_EQ(s.find("hold"), std::string::npos);
}

TEST(Render, EmailHasAnnexISections) {
  EmailNotice e = RenderNoticeEmail(Sample(true));
  EXPECT_NE(e.subject.find("REMOVAL ORDER"), std::string::npos);
  for (const char* s : {"A. Issuing authority: Test Authority", "B. Addressee: Videohost Ltd",
                        "ONE HOUR", "C. Grounds", "G. Redress: court X", "emergency",
                        "https://v.example/watch?v=1", "Evidence: evidence:42", "Annex III"}) {
    EXPECT_NE(e.body.find(s), std::string::npos) << s;
  }
  EmailNotice v = RenderNoticeEmail(Sample(false));
  EXPECT_NE(v.subject.find("[Referral]"), std::string::npos);
  EXPECT_EQ(v.body.find("REMOVAL ORDER"), std::string::npos);
}

}  // namespace
}  // namespace vigil::workflow
