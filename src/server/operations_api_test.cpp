// Operations and the DSA statement-of-reasons export over HTTP on loopback: create, list,
// show with counters, PATCH and add organisations with the referral routes' permissions and
// organisation scope; referrals under an operation follow its rules; a removal reported by
// the platform's liaison becomes one statement-of-reasons record (JSON and CSV).
// Everything is synthetic and benign.
#include <gtest/gtest.h>

#include <chrono>

#include "server/test_client.h"

namespace vigil::server::testing {
namespace {

namespace json = boost::json;

class OperationsApiTest : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    // The platform's liaison: an organisation named like the platform id.
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
    ServiceOptions so;
    so.rate_limit_per_second = 0;
    StartServer(so);
  }
  static int64_t Now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  HttpResult Patch(const std::string& target, const std::string& body, const std::string& token) {
    return Call(port_, "PATCH", target, body, token);
  }
  HttpResult Refer(const std::string& url, const std::string& token,
                   const std::string& operation = "day-1") {
    return Post("/api/v1/referrals",
                R"({"operation":")" + operation + R"(","items":[{"url":")" + url +
                    R"(","platform":"bighost","reason":"synthetic, \"quoted\""}]})",
                token);
  }
  std::string liaison_;
};

TEST_F(OperationsApiTest, OperationsCountersAndStatementsOfReasons) {
  const std::string& a = Token(kOrgA, "analyst");
  const std::string& b = Token(kOrgB, "analyst");
  const std::string body = R"({"name":"day-1","title":"Synthetic action day","start_ms":)" +
                           std::to_string(Now() - 60'000) + R"(,"end_ms":)" +
                           std::to_string(Now() + 86'400'000) +
                           R"(,"state":"active","sources":["api:none"]})";
  // Reviewers may read referrals but not change them.
  EXPECT_EQ(Post("/api/v1/operations", body, Token(kOrgA, "reviewer")).status, 403);
  auto made = Post("/api/v1/operations", body, a);
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(json::serialize(made.json().at("organisations")), R"(["org-a"])");
  EXPECT_EQ(made.json().at("created_by").as_string().size() > 0, true);
  EXPECT_EQ(Post("/api/v1/operations", body, a).status, 409);
  EXPECT_EQ(Post("/api/v1/operations", R"({"name":"bad name"})", a).status, 400);

  // Org B does not take part yet: the operation does not exist for it, and it may not refer
  // under it.
  EXPECT_EQ(Get("/api/v1/operations/day-1", b).status, 404);
  EXPECT_EQ(Get("/api/v1/operations", b).json().at("operations").as_array().size(), 0u);
  EXPECT_EQ(Refer("https://bighost.example/p/1", b).status, 403);
  auto added = Post("/api/v1/operations/day-1/organisations", R"({"organisations":["org-b"]})", a);
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_EQ(json::serialize(added.json().at("organisations")), R"(["org-a","org-b"])");
  EXPECT_EQ(Get("/api/v1/operations", b).json().at("operations").as_array().size(), 1u);

  // Referrals under it.
  auto r1 = Refer("https://bighost.example/p/1", a);
  ASSERT_EQ(r1.status, 201) << r1.body;
  const int64_t id = r1.json().at("created").as_array()[0].as_int64();
  ASSERT_EQ(Refer("https://bighost.example/p/2", b).status, 201);
  // A free operation name still works.
  EXPECT_EQ(Refer("https://bighost.example/p/3", a, "not-an-operation").status, 201);

  // The platform pulls and removes the first.
  auto pulled = Get("/api/v1/platform/referrals", liaison_);
  ASSERT_EQ(pulled.status, 200) << pulled.body;
  auto fb = Post("/api/v1/platform/feedback",
                 R"({"referral_id":)" + std::to_string(id) + R"(,"status":"removed"})", liaison_);
  ASSERT_EQ(fb.status, 200) << fb.body;

  auto shown = Get("/api/v1/operations/day-1", b);
  ASSERT_EQ(shown.status, 200) << shown.body;
  const json::value shown_json = shown.json();
  const json::object& c = shown_json.at("counters").as_object();
  EXPECT_EQ(c.at("referrals").as_int64(), 2);
  EXPECT_EQ(c.at("items_referred").as_int64(), 2);
  EXPECT_EQ(c.at("delivered").as_int64(), 2);
  EXPECT_EQ(c.at("removed").as_int64(), 1);
  EXPECT_EQ(c.at("items_collected").as_int64(), 0);
  auto listed = Get("/api/v1/operations?counters=true", a);
  EXPECT_EQ(listed.json().at("operations").as_array()[0].at("counters").at("removed").as_int64(),
            1);

  // Statements of reasons: org A's referral was removed; org B's was not.
  auto sor = Get("/api/v1/reports/statements-of-reasons?operation=day-1", a);
  ASSERT_EQ(sor.status, 200) << sor.body;
  ASSERT_EQ(sor.json().at("count").as_int64(), 1);
  const json::value sor_json = sor.json();
  const json::object& rec = sor_json.at("statements").as_array()[0].as_object();
  EXPECT_EQ(rec.at("puid").as_string(), "vigil-" + std::to_string(id) + "-1");
  EXPECT_EQ(rec.at("decision_ground").as_string(), "DECISION_GROUND_INCOMPATIBLE_CONTENT");
  EXPECT_EQ(rec.at("source_type").as_string(), "SOURCE_ARTICLE_16");
  EXPECT_EQ(Get("/api/v1/reports/statements-of-reasons", b).json().at("count").as_int64(), 0);
  auto csv = Get("/api/v1/reports/statements-of-reasons?format=csv&platform=bighost", a);
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.content_type, "text/csv; charset=utf-8");
  EXPECT_EQ(csv.body.rfind("puid,referral_id,", 0), 0u);
  EXPECT_NE(csv.body.find(",\"synthetic, \"\"quoted\"\"\","), std::string::npos) << csv.body;
  EXPECT_EQ(Get("/api/v1/reports/statements-of-reasons?format=xml", a).status, 400);

  // Close it: no more referrals under it; a bad window is refused.
  EXPECT_EQ(Patch("/api/v1/operations/day-1", R"({"end_ms":1})", b).status, 400);
  EXPECT_EQ(Patch("/api/v1/operations/day-1", R"({"name":"other"})", b).status, 400);
  auto closed = Patch("/api/v1/operations/day-1", R"({"state":"closed"})", b);
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_EQ(closed.json().at("state").as_string(), "closed");
  EXPECT_EQ(Refer("https://bighost.example/p/4", a).status, 409);
  EXPECT_EQ(Get("/api/v1/operations/nope", a).status, 404);

  // Every change is audited.
  auto st = store::OpenStore(db_path_);
  ASSERT_TRUE(st.ok());
  std::vector<std::string> actions;
  ASSERT_TRUE((*st)
                  ->ForEachAudit(0,
                                 [&](const store::AuditEntry& e) {
                                   if (e.target == "operation:day-1") actions.push_back(e.action);
                                   return true;
                                 })
                  .ok());
  EXPECT_EQ(actions,
            (std::vector<std::string>{"operation.create", "operation.update", "operation.update"}));
}

}  // namespace
}  // namespace vigil::server::testing
