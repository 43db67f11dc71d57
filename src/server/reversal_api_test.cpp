// Reversal end to end on loopback (issue 7 item 8): items matching org A's bank are
// referred to four platforms, sent (webhook, e-mail, pull), two platforms act (removed,
// geo-blocked), one rejects, one acknowledges; a supervisor reverses the removal. The
// webhook receiver and the SMTP sink get one reversal notice each (signed, with its own
// idempotency key), the pull platform finds its notice in the pull API, the rejecting
// platform gets nothing, the bank signal is gone from matching, and the reversed hash no
// longer leads to a referral. Everything is synthetic and benign.
#include <gtest/gtest.h>

#include <chrono>
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

class ReversalApiTest : public ServerFixture {
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
    hook_ = std::make_unique<TestWebhookServer>(kHookSecret);
    auto sink = SmtpSink::Start(db_path_ + ".mail");
    ASSERT_TRUE(sink.ok()) << sink.status().ToString();
    sink_ = std::move(*sink);
  }

  ServiceOptions Options() {
    ServiceOptions so;
    so.rate_limit_per_second = 0;
    delivery::DeliveryDirectory dir;
    EXPECT_TRUE(dir.Add({"videohost",
                         delivery::Channel::kWebhook,
                         hook_->url("/video"),
                         "",
                         kHookSecret,
                         {},
                         "",
                         ""})
                    .ok());
    EXPECT_TRUE(dir.Add({"rejecthost",
                         delivery::Channel::kWebhook,
                         hook_->url("/reject"),
                         "",
                         kHookSecret,
                         {},
                         "",
                         ""})
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
    so.referrals.registry_file = "";
    return so;
  }

  // An item of org A at `url` whose image matches A's private bank, confirmed in review.
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

  std::string State(int64_t id) {
    auto r = Get("/api/v1/referrals/" + std::to_string(id), Token(kOrgA, "analyst"));
    EXPECT_EQ(r.status, 200) << r.body;
    return std::string(r.json().at("state").as_string());
  }

  std::unique_ptr<TestWebhookServer> hook_;
  std::unique_ptr<SmtpSink> sink_;
  std::string liaison_;
  int n_ = 0;
};

TEST_F(ReversalApiTest, PlatformsThatActedAreToldAndTheHashIsNeverReferredAgain) {
  StartServer(Options());
  const std::string& analyst = Token(kOrgA, "analyst");
  std::map<std::string, int64_t> items;
  for (std::string p : {"videohost", "filehost", "rejecthost", "bighost"}) {
    items[p] = ConfirmedItem("https://" + p + ".example/v/1");
  }
  json::array list;
  for (const auto& [p, id] : items) list.push_back(json::object{{"item_id", id}, {"platform", p}});
  auto made = Post("/api/v1/referrals", json::serialize(json::object{{"items", list}}), analyst);
  ASSERT_EQ(made.status, 201) << made.body;
  std::map<std::string, int64_t> ref;
  const json::value made_json = made.json();
  for (const auto& v : made_json.at("created").as_array()) {
    auto r = Get("/api/v1/referrals/" + std::to_string(v.as_int64()), analyst);
    ref[std::string(r.json().at("platform").as_string())] = v.as_int64();
  }
  ASSERT_EQ(ref.size(), 4u);

  auto sent = Post("/api/v1/referrals/send", "{}", analyst);
  ASSERT_EQ(sent.status, 200) << sent.body;
  EXPECT_EQ(sent.json().at("delivered").as_int64(), 3);
  auto pulled = Get("/api/v1/platform/referrals", liaison_);
  ASSERT_EQ(pulled.status, 200) << pulled.body;
  ASSERT_EQ(pulled.json().at("notices").as_array().size(), 1u);

  // Two platforms act, one rejects, the pull platform acknowledges.
  EXPECT_EQ(Callback("videohost", kHookSecret, Feedback(ref["videohost"], "removed")).status, 200);
  EXPECT_EQ(Callback("filehost", kMailSecret,
                     Feedback(ref["filehost"], "geo_blocked", R"(,"jurisdictions":["DE"])"))
                .status,
            200);
  EXPECT_EQ(Callback("rejecthost", kHookSecret,
                     Feedback(ref["rejecthost"], "rejected", R"(,"reason":"not in breach")"))
                .status,
            200);
  auto ack = Post("/api/v1/platform/feedback", Feedback(ref["bighost"], "acknowledged"), liaison_);
  ASSERT_EQ(ack.status, 200) << ack.body;
  const size_t hooks_before = hook_->received().size();
  const size_t mails_before = sink_->Messages(1).size();

  // An analyst may not reverse; a supervisor may.
  const std::string path = "/api/v1/referrals/" + std::to_string(ref["videohost"]) + "/reverse";
  EXPECT_EQ(Post(path, R"({"reason":"complaint upheld"})", analyst).status, 403);
  EXPECT_EQ(Post(path, R"({})", Token(kOrgA, "supervisor")).status, 400);
  auto rev =
      Post(path, R"({"reason":"complaint upheld by the test court"})", Token(kOrgA, "supervisor"));
  ASSERT_EQ(rev.status, 200) << rev.body;
  auto out = rev.json().as_object();
  EXPECT_EQ(out.at("reinstated").as_array().size(), 1u);
  EXPECT_EQ(out.at("withdrawn").as_array().size(), 2u);  // geo-blocked, acknowledged
  EXPECT_EQ(out.at("notices_queued").to_number<int64_t>(), 3);
  EXPECT_GE(out.at("signals_reversed").to_number<int64_t>(), 1);
  EXPECT_EQ(State(ref["videohost"]), "reinstated");
  EXPECT_EQ(State(ref["filehost"]), "withdrawn");
  EXPECT_EQ(State(ref["bighost"]), "withdrawn");
  EXPECT_EQ(State(ref["rejecthost"]), "rejected");

  // Sending delivers the notices through the same channels.
  auto again = Post("/api/v1/referrals/send", "{}", analyst);
  ASSERT_EQ(again.status, 200) << again.body;
  auto rn = again.json().at("reversal_notices").as_object();
  EXPECT_EQ(rn.at("delivered").as_int64(), 2);
  EXPECT_EQ(rn.at("waiting_pull").as_int64(), 1);
  EXPECT_EQ(rn.at("failed").as_int64(), 0);

  auto hooks = hook_->received();
  ASSERT_EQ(hooks.size(), hooks_before + 1);
  const auto& h = hooks.back();
  EXPECT_EQ(h.target, "/video");
  EXPECT_TRUE(h.signature_ok);
  auto notice = json::parse(h.body).as_object();
  EXPECT_EQ(notice.at("type").as_string(), "vigil.reversal");
  EXPECT_EQ(notice.at("referral_id").as_int64(), ref["videohost"]);
  EXPECT_EQ(notice.at("action_reversed").as_string(), "removed");
  EXPECT_EQ(h.idempotency_key, notice.at("idempotency_key").as_string());
  EXPECT_NE(h.idempotency_key.find("-reversal-"), std::string::npos);
  for (const auto& x : hooks)
    EXPECT_EQ(x.body.find("vigil.reversal") != std::string::npos && x.target == "/reject", false);
  auto mails = sink_->Messages(mails_before + 1);
  ASSERT_EQ(mails.size(), mails_before + 1);
  EXPECT_NE(mails.back().find("Reversal of referral " + std::to_string(ref["filehost"])),
            std::string::npos);
  EXPECT_NE(mails.back().find("X-Envelope-To: abuse@filehost.example"), std::string::npos);

  // The pull platform finds its notice beside referral notices, once.
  auto pull = Get("/api/v1/platform/referrals", liaison_);
  ASSERT_EQ(pull.status, 200) << pull.body;
  auto pn = pull.json().at("notices").as_array();
  ASSERT_EQ(pn.size(), 1u);
  EXPECT_EQ(pn[0].at("type").as_string(), "vigil.reversal");
  EXPECT_EQ(pn[0].at("action_reversed").as_string(), "acknowledged");
  EXPECT_TRUE(Get("/api/v1/platform/referrals", liaison_).json().at("notices").as_array().empty());
  // Nothing is sent twice.
  auto third = Post("/api/v1/referrals/send", "{}", analyst);
  EXPECT_EQ(third.json().at("reversal_notices").at("delivered").as_int64(), 0);
  EXPECT_EQ(hook_->received().size(), hooks_before + 1);

  // The reversed hash no longer matches: a new upload of it is not queued for review ...
  auto m = Post("/api/v1/match",
                R"({"signals":[{"type":"pdq","value":")" + PdqOf(image_a_) + R"("}]})", analyst);
  ASSERT_EQ(m.status, 200) << m.body;
  const json::value m_json = m.json();
  for (const auto& hit : m_json.at("results").at(0).at("matches").as_array()) {
    EXPECT_NE(hit.at("bank").as_string(), "a-private");
  }
  std::string body = R"({"url":"https://videohost.example/v/2","reach":10,"media":[{"signals":)"
                     R"([{"type":"pdq","value":")" +
                     PdqOf(image_a_) + R"("}]}]})";
  auto sub = Post("/api/v1/items", body, analyst);
  ASSERT_EQ(sub.status, 201) << sub.body;
  EXPECT_TRUE(sub.json().at("matches").as_array().empty());
  EXPECT_FALSE(sub.json().at("queued").as_bool());
  // ... and neither it nor the hash typed in by hand can be referred.
  auto by_item =
      Post("/api/v1/referrals",
           R"({"items":[{"item_id":)" + std::to_string(sub.json().at("item_id").as_int64()) +
               R"(,"platform":"videohost"}]})",
           analyst);
  EXPECT_NE(by_item.status, 201) << by_item.body;
  auto by_hand = Post("/api/v1/referrals",
                      R"({"items":[{"url":"https://videohost.example/v/3","platform":"videohost",)"
                      R"("pdq":")" +
                          PdqOf(image_a_) + R"("}]})",
                      analyst);
  EXPECT_EQ(by_hand.status, 409) << by_hand.body;
}

TEST_F(ReversalApiTest, BankMaintainerReversesASignal) {
  StartServer(Options());
  const std::string& analyst = Token(kOrgA, "analyst");
  const std::string value = PdqOf(image_a_);
  const std::string reverse = "/api/v1/banks/a-private/signals/reverse";
  auto bad = Post(reverse, R"({"type":"pdq","value":")" + value + R"("})", analyst);
  EXPECT_EQ(bad.status, 400) << bad.body;
  auto missing = Post(
      reverse,
      R"({"type":"sha256","value":")" + std::string(64, '1') + R"(","reason":"appeal upheld"})",
      analyst);
  EXPECT_EQ(missing.status, 404) << missing.body;
  // Another organisation's bank does not exist for the caller.
  EXPECT_EQ(Post("/api/v1/banks/b-private/signals/reverse",
                 R"({"type":"pdq","value":")" + value + R"(","reason":"x"})", analyst)
                .status,
            404);
  auto ok = Post(reverse, R"({"type":"pdq","value":")" + value + R"(","reason":"appeal upheld"})",
                 analyst);
  ASSERT_EQ(ok.status, 200) << ok.body;
  auto sigs = ok.json().at("signals").as_array();
  ASSERT_EQ(sigs.size(), 1u);
  EXPECT_EQ(sigs[0].at("bank").as_string(), "a-private");
  // The matcher dropped it at once.
  auto m =
      Post("/api/v1/match", R"({"signals":[{"type":"pdq","value":")" + value + R"("}]})", analyst);
  ASSERT_EQ(m.status, 200);
  const json::value m_json = m.json();
  for (const auto& hit : m_json.at("results").at(0).at("matches").as_array()) {
    EXPECT_NE(hit.at("bank").as_string(), "a-private");
  }
  // The bank's export leaves it out; reversing again changes nothing.
  auto exported = Get("/api/v1/banks/a-private/export?format=plain", analyst);
  EXPECT_EQ(exported.body.find(value), std::string::npos) << exported.body;
  auto twice =
      Post(reverse, R"({"type":"pdq","value":")" + value + R"(","reason":"again"})", analyst);
  ASSERT_EQ(twice.status, 200) << twice.body;
  EXPECT_TRUE(twice.json().at("signals").as_array().empty());
}

}  // namespace
}  // namespace vigil::server::testing
