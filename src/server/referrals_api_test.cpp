// Referrals end to end on loopback (issue 7 item 10): items are submitted and confirmed
// through the API, referred (grouped per platform, one touching another organisation's
// hold), sent to a test webhook receiver, a local SMTP sink and a pull account, platform
// feedback comes back (signed callbacks and the liaison API), and the statistics, the
// transparency report and the audit chain add up. Everything is synthetic and benign.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>

#include "delivery/signature.h"
#include "delivery/test_servers.h"
#include "server/test_client.h"

namespace vigil::server::testing {
namespace {

namespace json = boost::json;
using delivery::testing::SmtpSink;
using delivery::testing::TestWebhookServer;

constexpr const char* kHookSecret = "webhook-secret-0123456789";
constexpr const char* kMailSecret = "mail-callback-secret-0123";
constexpr const char* kPullSecret = "pull-callback-secret-0123";

class ReferralApiTest : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    // The pull platform's liaison: an organisation named like the platform id.
    auto st = store::OpenStore(db_path_);
    ASSERT_TRUE(st.ok());
    auto org = (*st)->CreateOrganisation("test", "bighost", "a hosting platform");
    ASSERT_TRUE(org.ok());
    store::User u;
    u.org_id = org->id;
    u.role = "platform";
    u.name = "liaison@bighost";
    auto user = (*st)->CreateUser("test", u);
    ASSERT_TRUE(user.ok());
    auto tok = (*st)->CreateApiToken("test", user->id, "test", 0);
    ASSERT_TRUE(tok.ok());
    liaison_ = tok->secret;
  }

  ServiceOptions Options() {
    ServiceOptions so;
    so.rate_limit_per_second = 0;
    delivery::DeliveryDirectory dir;
    EXPECT_TRUE(dir.Add({"videohost",
                         delivery::Channel::kWebhook,
                         hook_->url(),
                         "",
                         kHookSecret,
                         {},
                         "Videohost Ltd",
                         "tco@videohost.example"})
                    .ok());
    EXPECT_TRUE(dir.Add({"filehost",
                         delivery::Channel::kEmail,
                         "",
                         "abuse@filehost.example",
                         kMailSecret,
                         {},
                         "",
                         ""})
                    .ok());
    EXPECT_TRUE(
        dir.Add({"bighost", delivery::Channel::kPull, "", "", kPullSecret, {}, "", ""}).ok());
    so.referrals.directory = std::move(dir);
    delivery::SmtpOptions smtp;
    smtp.port = static_cast<uint16_t>(sink_->port());
    so.referrals.smtp = smtp;
    so.referrals.webhook.base_backoff = std::chrono::milliseconds(1);
    so.referrals.webhook.max_backoff = std::chrono::milliseconds(5);
    so.referrals.registry_file = "";  // attribution by the explicit platform ids below
    so.referrals.evidence.dir = db_path_ + ".evidence";
    return so;
  }

  // Submits an item of org A (matching its private bank) at `url` and confirms it.
  int64_t ConfirmedItem(const std::string& url) {
    std::string body = R"({"url":")" + url + R"(","reach":10,"media":[{"sha256":")" +
                       std::string(63, 'e') + std::to_string(++n_ % 10) +
                       R"(","signals":[{"type":"pdq","value":")" + PdqOf(image_a_) + R"("}]}]})";
    auto r = Post("/api/v1/items", body, Token(kOrgA, "analyst"));
    EXPECT_EQ(r.status, 201) << r.body;
    int64_t id = r.json().at("item_id").as_int64();
    auto d = Post("/api/v1/review/items/" + std::to_string(id) + "/decision",
                  R"({"decision":"confirm","labels":["severity:promotional"],"tier":2})",
                  Token(kOrgA, "reviewer"));
    EXPECT_EQ(d.status, 200) << d.body;
    return id;
  }

  Response Callback(const std::string& platform, const std::string& secret,
                    const std::string& body) {
    Request r;
    r.method = "POST";
    r.path = "/callbacks/v1/" + platform + "/feedback";
    r.content_type = "application/json";
    r.body = body;
    int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    r.headers["vigil-signature"] = delivery::SignPayload(secret, now, body);
    return service_->Handle(r);
  }

  static std::string Feedback(int64_t id, const std::string& status, std::string extra = "") {
    return R"({"referral_id":)" + std::to_string(id) + R"(,"status":")" + status + "\"" + extra +
           "}";
  }

  std::unique_ptr<TestWebhookServer> hook_;
  std::unique_ptr<SmtpSink> sink_;
  std::string liaison_;
  int n_ = 0;
};

TEST_F(ReferralApiTest, ReferDeliverFeedbackStatistics) {
  hook_ = std::make_unique<TestWebhookServer>(kHookSecret);
  auto sink = SmtpSink::Start(db_path_ + ".mail");
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  sink_ = std::move(*sink);
  StartServer(Options());
  const std::string& analyst = Token(kOrgA, "analyst");

  // Org B investigates an account on videohost: a hold.
  auto hold = Post("/api/v1/holds",
                   R"({"kind":"account","value":"watched-channel","platform":"videohost",)"
                   R"("note":"operation nightjar"})",
                   Token(kOrgB, "analyst"));
  ASSERT_EQ(hold.status, 201) << hold.body;

  int64_t v1 = ConfirmedItem("https://videohost.example/v/1");
  int64_t v2 = ConfirmedItem("https://videohost.example/v/2");
  int64_t f1 = ConfirmedItem("https://filehost.example/f/1");
  int64_t b1 = ConfirmedItem("https://bighost.example/p/1");
  int64_t held = ConfirmedItem("https://videohost.example/v/3");
  std::string body = R"({"operation":"action-day-1","items":[)"
                     R"({"item_id":)" +
                     std::to_string(v1) +
                     R"(,"platform":"videohost"},)"
                     R"({"item_id":)" +
                     std::to_string(v2) +
                     R"(,"platform":"videohost"},)"
                     R"({"item_id":)" +
                     std::to_string(f1) +
                     R"(,"platform":"filehost"},)"
                     R"({"item_id":)" +
                     std::to_string(b1) +
                     R"(,"platform":"bighost"},)"
                     R"({"item_id":)" +
                     std::to_string(held) +
                     R"(,"platform":"videohost","account":"watched-channel"}]})";
  auto created = Post("/api/v1/referrals", body, analyst);
  ASSERT_EQ(created.status, 201) << created.body;
  auto cj = created.json();
  EXPECT_EQ(cj.at("created").as_array().size(), 4u);  // 3 platforms + 1 held
  EXPECT_EQ(cj.at("items_new").as_int64(), 4);
  EXPECT_EQ(cj.at("items_held").as_int64(), 1);
  // Unconfirmed or foreign items are refused.
  EXPECT_EQ(Post("/api/v1/referrals", R"({"items":[{"item_id":999999}]})", analyst).status, 404);

  // The holder is told; the referrer only sees "held".
  auto holds = Get("/api/v1/holds", Token(kOrgB, "analyst")).json();
  ASSERT_EQ(holds.at("hits").as_array().size(), 1u);
  EXPECT_EQ(holds.at("hits").at(0).at("referring_org").as_string(), kOrgA);
  auto held_list = Get("/api/v1/referrals?state=held", analyst).json();
  ASSERT_EQ(held_list.at("referrals").as_array().size(), 1u);
  EXPECT_EQ(held_list.at("referrals").at(0).as_object().count("hold_ids"), 0u);
  EXPECT_EQ(json::serialize(held_list).find("nightjar"), std::string::npos);

  // Send: webhook, e-mail, pull (waits), held (not sent).
  auto t0 = std::chrono::steady_clock::now();
  auto sent = Post("/api/v1/referrals/send", "{}", analyst);
  double send_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(sent.status, 200) << sent.body;
  auto sj = sent.json();
  EXPECT_EQ(sj.at("delivered").as_int64(), 2) << sent.body;
  EXPECT_EQ(sj.at("waiting_pull").as_int64(), 1) << sent.body;
  EXPECT_EQ(sj.at("failed").as_int64(), 0) << sent.body;
  ASSERT_EQ(hook_->received().size(), 1u);
  EXPECT_TRUE(hook_->received()[0].signature_ok);
  EXPECT_FALSE(hook_->received()[0].idempotency_key.empty());
  EXPECT_NE(hook_->received()[0].body.find("https://videohost.example/v/2"), std::string::npos);
  auto mails = sink_->Messages(1);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_NE(mails[0].find("abuse@filehost.example"), std::string::npos);
  std::printf("[ figures ] send of 3 referrals (webhook + SMTP + pull) over loopback: %.1f ms\n",
              send_ms);

  // Find the ids per platform.
  std::map<std::string, int64_t> id;
  auto listed = Get("/api/v1/referrals", analyst).json();
  for (const auto& r : listed.at("referrals").as_array()) {
    if (r.at("state").as_string() != "held")
      id[std::string(r.at("platform").as_string())] = r.at("id").as_int64();
  }
  ASSERT_EQ(id.size(), 3u);

  // The pull account gets its notice once; nobody else's.
  auto pulled = Get("/api/v1/platform/referrals", liaison_);
  ASSERT_EQ(pulled.status, 200) << pulled.body;
  ASSERT_EQ(pulled.json().at("notices").as_array().size(), 1u);
  EXPECT_EQ(pulled.json().at("notices").at(0).at("referral_id").as_int64(), id["bighost"]);
  EXPECT_EQ(Get("/api/v1/platform/referrals", liaison_).json().at("notices").as_array().size(), 0u);

  // Feedback: signed callbacks for the webhook and e-mail platforms, the API for the pull one.
  auto cb = Callback("videohost", kHookSecret, Feedback(id["videohost"], "acknowledged"));
  ASSERT_EQ(cb.status, 200) << cb.body;
  cb = Callback("videohost", kHookSecret, Feedback(id["videohost"], "removed"));
  ASSERT_EQ(cb.status, 200) << cb.body;
  EXPECT_NE(cb.body.find("\"removed\""), std::string::npos);
  // A wrong signature, and a platform reporting on another platform's referral, are refused.
  EXPECT_EQ(
      Callback("videohost", "not-the-secret-at-all!!", Feedback(id["videohost"], "removed")).status,
      401);
  EXPECT_EQ(
      Callback("filehost", kMailSecret, Feedback(id["videohost"], "rejected", R"(,"reason":"x")"))
          .status,
      404);
  cb = Callback("filehost", kMailSecret,
                Feedback(id["filehost"], "rejected", R"(,"reason":"not illegal under our terms")"));
  ASSERT_EQ(cb.status, 200) << cb.body;
  auto fb = Post("/api/v1/platform/feedback",
                 Feedback(id["bighost"], "geo_blocked", R"(,"jurisdictions":["DE"])"), liaison_);
  ASSERT_EQ(fb.status, 200) << fb.body;
  fb = Post("/api/v1/platform/feedback", Feedback(id["bighost"], "removed"), liaison_);
  ASSERT_EQ(fb.status, 200) << fb.body;
  // An illegal transition is a conflict and changes nothing.
  EXPECT_EQ(
      Post("/api/v1/platform/feedback", Feedback(id["bighost"], "acknowledged"), liaison_).status,
      409);

  // Statistics add up.
  auto stats = Get("/api/v1/referrals/stats?group=platform", analyst);
  ASSERT_EQ(stats.status, 200) << stats.body;
  auto st = stats.json();
  const auto& total = st.at("total");
  EXPECT_EQ(total.at("referrals").as_int64(), 4);
  EXPECT_EQ(total.at("urls_referred").as_int64(), 5);
  EXPECT_EQ(total.at("delivered").as_int64(), 3);
  EXPECT_EQ(total.at("acknowledged").as_int64(), 1);
  EXPECT_EQ(total.at("removed").as_int64(), 2);
  EXPECT_EQ(total.at("geo_blocked").as_int64(), 1);
  EXPECT_EQ(total.at("rejected").as_int64(), 1);
  EXPECT_EQ(total.at("held").as_int64(), 1);
  EXPECT_GE(total.at("p90_time_to_removal_ms").as_int64(),
            total.at("median_time_to_removal_ms").as_int64());
  int64_t sum = 0;
  for (const auto& row : st.at("rows").as_array()) sum += row.at("referrals").as_int64();
  EXPECT_EQ(sum, 4);
  auto by_op = Get("/api/v1/referrals/stats?group=operation", analyst).json();
  ASSERT_EQ(by_op.at("rows").as_array().size(), 1u);
  EXPECT_EQ(by_op.at("rows").at(0).at("key").as_string(), "action-day-1");
  // Org B referred nothing: its statistics are empty (scoped per organisation).
  EXPECT_EQ(Get("/api/v1/referrals/stats", Token(kOrgB, "analyst"))
                .json()
                .at("total")
                .at("referrals")
                .as_int64(),
            0);

  // Transparency report, JSON and CSV.
  auto rep = Get("/api/v1/reports/transparency", analyst);
  ASSERT_EQ(rep.status, 200) << rep.body;
  EXPECT_EQ(rep.json().at("referrals").at("voluntary").at("removed").as_int64(), 2);
  auto csv = Get("/api/v1/reports/transparency?format=csv", analyst);
  ASSERT_EQ(csv.status, 200);
  EXPECT_NE(csv.content_type.find("text/csv"), std::string::npos);
  EXPECT_EQ(std::count(csv.body.begin(), csv.body.end(), '\n'), 4);  // header + 3 platforms

  // The status history is on the referral; the audit chain verifies.
  auto one = Get("/api/v1/referrals/" + std::to_string(id["videohost"]), analyst).json();
  EXPECT_EQ(one.at("state").as_string(), "removed");
  EXPECT_EQ(one.at("history").as_array().size(), 4u);  // created, delivered, ack, removed
  EXPECT_EQ(one.at("receipts").at(0).at("channel").as_string(), "webhook");
  auto verify = Get("/api/v1/audit/verify", Token(kOrgA, "auditor")).json();
  EXPECT_TRUE(verify.at("ok").as_bool());
  // Org B cannot see org A's referral.
  EXPECT_EQ(
      Get("/api/v1/referrals/" + std::to_string(id["videohost"]), Token(kOrgB, "analyst")).status,
      404);
}

}  // namespace
}  // namespace vigil::server::testing
