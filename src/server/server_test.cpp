// The REST API over loopback: every route's behaviour, the review queue end to end, the
// limits, malformed input and TLS. Authorisation is in authz_test.cpp.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "server/test_client.h"

namespace vigil::server::testing {
namespace {

namespace json = boost::json;

class ServerTest : public ServerFixture {
 protected:
  static std::string ErrorCode(const HttpResult& r) {
    auto v = r.json();
    if (!v.is_object() || !v.as_object().contains("error")) return "<no error shape>";
    return std::string(v.at("error").at("code").as_string());
  }
  std::string MatchBody(const std::string& pdq, int max_distance = 31) {
    return R"({"max_distance":)" + std::to_string(max_distance) +
           R"(,"signals":[{"type":"pdq","value":")" + pdq + R"("}]})";
  }
  const std::string& A(const std::string& role) { return Token(kOrgA, role); }
};

TEST_F(ServerTest, HealthReadyMetricsAndConsolePlaceholder) {
  auto h = Get("/healthz", "");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, R"({"status":"ok"})");
  EXPECT_EQ(Get("/readyz", "").status, 200);
  auto root = Get("/", "");
  EXPECT_EQ(root.status, 200);
  EXPECT_NE(root.content_type.find("text/html"), std::string::npos);
  EXPECT_EQ(Get("/whoami-no-such-file", "").status, 404);
  Get("/api/v1/whoami", A("analyst"));
  auto m = Get("/metrics", "");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("vigil_http_requests_total{route=\"GET /api/v1/whoami\",status=\"200\"} 1"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("vigil_http_request_duration_seconds_bucket{le=\"+Inf\"}"),
            std::string::npos);
  EXPECT_NE(m.body.find("vigil_match_signals 4"), std::string::npos);
}

TEST_F(ServerTest, StaticFilesStayInsideTheirDirectory) {
  auto dir = std::filesystem::path(db_path_ + ".static");
  std::filesystem::create_directories(dir / "assets");
  std::ofstream(dir / "index.html") << "<h1>console</h1>";
  std::ofstream(dir / "assets" / "app.js") << "console.log(1)";
  std::ofstream(dir / ".secret") << "no";
  StartServer(ServiceOptions{.static_dir = dir.string()});
  EXPECT_EQ(Get("/", "").body, "<h1>console</h1>");
  auto js = Get("/assets/app.js", "");
  EXPECT_EQ(js.body, "console.log(1)");
  EXPECT_NE(js.content_type.find("javascript"), std::string::npos);
  EXPECT_EQ(Get("/.secret", "").status, 404);
  EXPECT_EQ(Get("/assets/../.secret", "").status, 404);
  EXPECT_EQ(Get("/%2e%2e/%2e%2e/etc/passwd", "").status, 404);
  EXPECT_EQ(Get("/../../etc/passwd", "").status, 404);
  std::filesystem::remove_all(dir);
}

TEST_F(ServerTest, WhoamiAndErrorsShareOneShape) {
  auto r = Get("/api/v1/whoami", A("reviewer"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json().at("role").as_string(), "reviewer");
  EXPECT_EQ(r.json().at("organisation").at("name").as_string(), kOrgA);
  auto none = Get("/api/v1/whoami", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(ErrorCode(none), "unauthenticated");
  EXPECT_EQ(none.headers["WWW-Authenticate"], "Bearer");
  EXPECT_EQ(ErrorCode(Get("/api/v1/nope", A("admin"))), "route_not_found");
  auto wrong = Call(port_, "DELETE", "/api/v1/whoami", "", A("admin"));
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(ErrorCode(wrong), "method_not_allowed");
  auto bad = Post("/api/v1/match", "{not json", A("analyst"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(ErrorCode(bad), "invalid_argument");
  EXPECT_EQ(Post("/api/v1/match", "[1,2]", A("analyst")).status, 400);
  EXPECT_EQ(Post("/api/v1/match", R"({"signals":"x"})", A("analyst")).status, 400);
  EXPECT_EQ(
      Post("/api/v1/match", R"({"signals":[{"type":"nope","value":"x"}]})", A("analyst")).status,
      400);
  EXPECT_EQ(
      Post("/api/v1/match", R"({"signals":[{"type":"pdq","value":"zz"}]})", A("analyst")).status,
      400);
  EXPECT_EQ(Post("/api/v1/match", MatchBody(PdqOf(image_a_), 65), A("analyst")).status, 400);
  EXPECT_EQ(Get("/api/v1/banks/a-private/signals?limit=abc", A("analyst")).status, 400);
  std::string deep(10000, '[');
  EXPECT_EQ(Post("/api/v1/match", deep, A("analyst")).status, 400);
}

TEST_F(ServerTest, HashRawAndMultipart) {
  auto raw = Post("/api/v1/hash", image_a_, A("analyst"), "image/jpeg");
  ASSERT_EQ(raw.status, 200) << raw.body;
  auto sigs = raw.json().at("signals").as_array();
  ASSERT_EQ(sigs.size(), 3u);
  EXPECT_EQ(sigs[0].at("type").as_string(), "pdq");
  EXPECT_EQ(sigs[0].at("value").as_string(), PdqOf(image_a_));
  EXPECT_EQ(sigs[1].at("type").as_string(), "md5");
  EXPECT_EQ(sigs[2].at("type").as_string(), "sha256");
  EXPECT_EQ(raw.json().at("media").at("format").as_string(), "jpeg");
  std::string body =
      "--BOUND\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.jpg\"\r\n"
      "Content-Type: image/jpeg\r\n\r\n" +
      image_a_ + "\r\n--BOUND--\r\n";
  auto mp = Post("/api/v1/hash", body, A("analyst"), "multipart/form-data; boundary=BOUND");
  ASSERT_EQ(mp.status, 200) << mp.body;
  EXPECT_EQ(mp.json().at("signals").as_array()[0].at("value").as_string(), PdqOf(image_a_));
  auto junk = Post("/api/v1/hash", "definitely not an image", A("analyst"), "image/jpeg");
  EXPECT_GE(junk.status, 400);
  EXPECT_LT(junk.status, 500);
  EXPECT_NE(ErrorCode(junk), "<no error shape>");
  EXPECT_EQ(Post("/api/v1/hash", "", A("analyst"), "image/jpeg").status, 400);
  auto badmp = Post("/api/v1/hash", "--B\r\n", A("analyst"), "multipart/form-data; boundary=B");
  EXPECT_EQ(badmp.status, 400);
}

TEST_F(ServerTest, MatchSaysWhereEachMatchCameFrom) {
  std::string pdq = FlipBits(PdqOf(image_shared_), 5);
  auto r = Post("/api/v1/match", MatchBody(pdq), A("analyst"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto results = r.json().at("results").as_array();
  ASSERT_EQ(results.size(), 1u);
  auto matches = results[0].at("matches").as_array();
  ASSERT_EQ(matches.size(), 1u);
  auto m = matches[0].as_object();
  EXPECT_EQ(m.at("bank").as_string(), "b-shared");
  EXPECT_EQ(m.at("distance").as_int64(), 5);
  EXPECT_EQ(m.at("value").as_string(), PdqOf(image_shared_));
  EXPECT_EQ(m.at("labels").as_array()[0].as_string(), "severity:crisis");
  EXPECT_EQ(m.at("contributor_org").as_string(), kOrgB);
  EXPECT_GT(m.at("signal_id").as_int64(), 0);
  EXPECT_EQ(m.at("false_positive_reports").as_int64(), 0);
  // Outside the radius: nothing.
  r = Post("/api/v1/match", MatchBody(pdq, 4), A("analyst"));
  EXPECT_TRUE(r.json().at("results").as_array()[0].at("matches").as_array().empty());
  // Restricted to named banks; an unreadable bank name is not found.
  r = Post("/api/v1/match",
           R"({"banks":["a-private"],"signals":[{"type":"pdq","value":")" + pdq + R"("}]})",
           A("analyst"));
  EXPECT_TRUE(r.json().at("results").as_array()[0].at("matches").as_array().empty());
  r = Post("/api/v1/match",
           R"({"banks":["b-private"],"signals":[{"type":"pdq","value":")" + pdq + R"("}]})",
           A("analyst"));
  EXPECT_EQ(r.status, 404);
  // Exact types match by value.
  auto hashed = Post("/api/v1/hash", image_a_, A("analyst"), "image/jpeg");
  std::string md5(hashed.json().at("signals").as_array()[1].at("value").as_string());
  auto add = Post("/api/v1/banks/a-private/signals",
                  R"({"signals":[{"type":"md5","value":")" + md5 + R"("}]})", A("analyst"));
  ASSERT_EQ(add.status, 200) << add.body;
  auto hm = Post("/api/v1/hash-and-match", image_a_, A("analyst"), "image/jpeg");
  ASSERT_EQ(hm.status, 200);
  std::set<std::string> types;
  auto hm_json = hm.json();
  for (const auto& mm : hm_json.at("matches").as_array()) {
    types.insert(std::string(mm.at("type").as_string()));
  }
  EXPECT_EQ(types, (std::set<std::string>{"pdq", "md5"}));
}

TEST_F(ServerTest, BanksCrudSignalsImportExport) {
  auto created = Post(
      "/api/v1/banks",
      R"({"name":"new-bank","description":"d","scope":"organisations","shared_with":["org-b"]})",
      A("analyst"));
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.json().at("shared_with").as_array()[0].as_string(), kOrgB);
  EXPECT_EQ(ErrorCode(Post("/api/v1/banks", R"({"name":"new-bank"})", A("analyst"))),
            "already_exists");
  EXPECT_EQ(Post("/api/v1/banks", R"({"name":"bad name!"})", A("analyst")).status, 400);
  EXPECT_EQ(Post("/api/v1/banks", R"({"name":"x","shared_with":["nobody"]})", A("analyst")).status,
            400);
  // Shared with B: B reads it, B cannot change it.
  EXPECT_EQ(Get("/api/v1/banks/new-bank", Token(kOrgB, "analyst")).status, 200);
  EXPECT_EQ(Call(port_, "PATCH", "/api/v1/banks/new-bank", R"({"description":"x"})",
                 Token(kOrgB, "analyst"))
                .status,
            403);
  std::string v1 = FlipBits(std::string(64, '0'), 40), v2 = FlipBits(std::string(64, '0'), 80);
  auto add = Post("/api/v1/banks/new-bank/signals",
                  R"({"signals":[{"type":"pdq","value":")" + v1 +
                      R"(","labels":["Severity:Crisis"],"quality":90},{"type":"pdq","value":")" +
                      v2 + R"("}]})",
                  A("analyst"));
  ASSERT_EQ(add.status, 200) << add.body;
  EXPECT_EQ(add.json().at("added").as_int64(), 2);
  EXPECT_EQ(Post("/api/v1/banks/new-bank/signals", R"({"signals":[{"type":"pdq","value":"xyz"}]})",
                 A("analyst"))
                .status,
            400);
  auto got = Get("/api/v1/banks/new-bank", A("analyst"));
  EXPECT_EQ(got.json().at("stats").at("live").as_int64(), 2);
  auto sigs = Get("/api/v1/banks/new-bank/signals", A("analyst"));
  ASSERT_EQ(sigs.json().at("signals").as_array().size(), 2u);
  EXPECT_EQ(sigs.json().at("signals").as_array()[0].at("labels").as_array()[0].as_string(),
            "severity:crisis");
  // Added signals match at once, for B too (shared).
  auto m = Post("/api/v1/match", MatchBody(v1, 0), Token(kOrgB, "platform"));
  EXPECT_EQ(m.json().at("results").as_array()[0].at("matches").as_array().size(), 1u);
  auto rm = Post("/api/v1/banks/new-bank/signals/remove",
                 R"({"signals":[{"type":"pdq","value":")" + v1 + R"("}]})", A("analyst"));
  EXPECT_EQ(rm.json().at("removed").as_int64(), 1);
  m = Post("/api/v1/match", MatchBody(v1, 0), A("analyst"));
  EXPECT_TRUE(m.json().at("results").as_array()[0].at("matches").as_array().empty());
  // Unshare: B loses it.
  auto patch =
      Call(port_, "PATCH", "/api/v1/banks/new-bank", R"({"scope":"private"})", A("analyst"));
  ASSERT_EQ(patch.status, 200) << patch.body;
  EXPECT_EQ(Get("/api/v1/banks/new-bank", Token(kOrgB, "analyst")).status, 404);
  m = Post("/api/v1/match", MatchBody(v2, 0), Token(kOrgB, "platform"));
  EXPECT_TRUE(m.json().at("results").as_array()[0].at("matches").as_array().empty());
  // Export then import into another bank.
  auto exported = Get("/api/v1/banks/new-bank/export?format=jsonl", A("analyst"));
  ASSERT_EQ(exported.status, 200) << exported.body;
  EXPECT_NE(exported.body.find(v2), std::string::npos);
  ASSERT_EQ(Post("/api/v1/banks", R"({"name":"copy"})", A("analyst")).status, 201);
  auto imported = Post("/api/v1/banks/copy/import?format=jsonl", exported.body, A("analyst"),
                       "application/x-ndjson");
  ASSERT_EQ(imported.status, 200) << imported.body;
  EXPECT_EQ(imported.json().at("added").as_int64(), 1);
  auto plain = Post("/api/v1/banks/copy/import?format=plain", v1 + ",severity:crisis\nnot-a-hash\n",
                    A("analyst"), "text/plain");
  EXPECT_EQ(plain.status, 400);
  plain = Post("/api/v1/banks/copy/import?format=plain&skip_invalid=true",
               v1 + ",severity:crisis\nnot-a-hash\n", A("analyst"), "text/plain");
  ASSERT_EQ(plain.status, 200) << plain.body;
  EXPECT_EQ(plain.json().at("added").as_int64(), 1);
  EXPECT_EQ(plain.json().at("invalid").as_int64(), 1);
  EXPECT_EQ(Get("/api/v1/banks/copy/export?format=nope", A("analyst")).status, 400);
}

TEST_F(ServerTest, ReviewQueueEndToEnd) {
  // Three items for A: promotional (own bank) with small reach, crisis (shared bank) with
  // small reach, promotional with a large reach.
  auto submit = [&](const std::string& img, int64_t reach) {
    auto r = Post("/api/v1/hash-and-match?record=true&url=https://example.test/p&reach=" +
                      std::to_string(reach),
                  img, A("analyst"), "image/jpeg");
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_TRUE(r.json().at("queued").as_bool());
    return r.json().at("item_id").as_int64();
  };
  int64_t promo = submit(image_a_, 10);
  int64_t crisis = submit(image_shared_, 10);
  int64_t viral = submit(image_a_, 10'000'000);
  // Not matching anything: stored, not queued.
  auto miss = Post("/api/v1/hash-and-match?record=true", TestJpeg(99), A("analyst"), "image/jpeg");
  ASSERT_EQ(miss.status, 201);
  EXPECT_FALSE(miss.json().at("queued").as_bool());
  // Platform staff may record; reviewers may not.
  EXPECT_EQ(
      Post("/api/v1/hash-and-match?record=true", image_a_, A("reviewer"), "image/jpeg").status,
      403);
  EXPECT_EQ(Post("/api/v1/match/media?record=true", image_a_, A("analyst"), "image/jpeg").status,
            400);

  auto queue = Get("/api/v1/review/queue", A("reviewer"));
  ASSERT_EQ(queue.status, 200);
  auto entries = queue.json().at("entries").as_array();
  ASSERT_EQ(entries.size(), 3u);
  // crisis (3 x 1 x 2.04) < viral (1 x 1 x 8) ; promo (1 x 1 x 2.04) last.
  EXPECT_EQ(entries[0].at("item_id").as_int64(), viral);
  EXPECT_EQ(entries[1].at("item_id").as_int64(), crisis);
  EXPECT_EQ(entries[2].at("item_id").as_int64(), promo);

  // next: highest priority, leased to the reviewer; a second reviewer gets the next one.
  auto n1 = Get("/api/v1/review/next", A("reviewer"));
  ASSERT_EQ(n1.status, 200);
  EXPECT_EQ(n1.json().at("entry").at("item_id").as_int64(), viral);
  EXPECT_FALSE(n1.json().at("entry").at("item").at("matches").as_array().empty());
  auto n2 = Get("/api/v1/review/next", A("supervisor"));
  EXPECT_EQ(n2.json().at("entry").at("item_id").as_int64(), crisis);

  auto decide = [&](int64_t id, const std::string& body, const std::string& role) {
    return Post("/api/v1/review/items/" + std::to_string(id) + "/decision", body, A(role));
  };
  auto conf = decide(viral, R"({"decision":"confirm","labels":["severity:promotional"],"tier":2})",
                     "reviewer");
  ASSERT_EQ(conf.status, 200) << conf.body;
  EXPECT_EQ(conf.json().at("entry").at("state").as_string(), "confirmed");
  EXPECT_EQ(ErrorCode(decide(viral, R"({"decision":"reject"})", "reviewer")),
            "failed_precondition");
  EXPECT_EQ(decide(promo, R"({"decision":"maybe"})", "reviewer").status, 400);
  EXPECT_EQ(decide(promo, R"({"decision":"confirm","tier":9})", "reviewer").status, 400);
  EXPECT_EQ(decide(promo, R"({"decision":"confirm","labels":["Not A Label!"]})", "reviewer").status,
            400);
  EXPECT_EQ(
      decide(miss.json().at("item_id").as_int64(), R"({"decision":"confirm"})", "reviewer").status,
      409);
  // Reject: a false positive recorded against the matched signal.
  ASSERT_EQ(decide(promo, R"({"decision":"reject","note":"benign lookalike"})", "reviewer").status,
            200);
  auto m = Post("/api/v1/match", MatchBody(PdqOf(image_a_)), A("analyst"));
  EXPECT_EQ(m.json()
                .at("results")
                .as_array()[0]
                .at("matches")
                .as_array()[0]
                .at("false_positive_reports")
                .as_int64(),
            1);
  // Escalate: only supervisors see and decide it afterwards.
  ASSERT_EQ(decide(crisis, R"({"decision":"escalate"})", "reviewer").status, 200);
  EXPECT_TRUE(Get("/api/v1/review/next", A("reviewer")).json().at("entry").is_null());
  EXPECT_EQ(Get("/api/v1/review/queue?state=escalated", A("reviewer")).status, 403);
  auto esc = Get("/api/v1/review/queue?state=escalated", A("supervisor"));
  ASSERT_EQ(esc.json().at("entries").as_array().size(), 1u);
  EXPECT_EQ(esc.json().at("entries").as_array()[0].at("tier").as_int64(), 4);
  EXPECT_EQ(decide(crisis, R"({"decision":"confirm"})", "reviewer").status, 409);
  EXPECT_EQ(Get("/api/v1/review/next", A("supervisor")).json().at("entry").at("item_id").as_int64(),
            crisis);

  // The queue survives a restart: it is rebuilt from the audit log.
  StartServer();
  auto confirmed = Get("/api/v1/review/queue?state=confirmed", A("reviewer"));
  ASSERT_EQ(confirmed.json().at("entries").as_array().size(), 1u);
  EXPECT_EQ(confirmed.json().at("entries").as_array()[0].at("decided_by").as_string(),
            "user:reviewer@org-a");
  EXPECT_EQ(Get("/api/v1/review/queue?state=escalated", A("supervisor"))
                .json()
                .at("entries")
                .as_array()
                .size(),
            1u);
  m = Post("/api/v1/match", MatchBody(PdqOf(image_a_)), A("analyst"));
  EXPECT_EQ(m.json()
                .at("results")
                .as_array()[0]
                .at("matches")
                .as_array()[0]
                .at("false_positive_reports")
                .as_int64(),
            1);
  // Items and their matches.
  auto item = Get("/api/v1/items/" + std::to_string(viral), A("analyst"));
  ASSERT_EQ(item.status, 200) << item.body;
  EXPECT_EQ(item.json().at("url").as_string(), "https://example.test/p");
  EXPECT_EQ(item.json().at("review").at("state").as_string(), "confirmed");
  auto im = Get("/api/v1/items/" + std::to_string(viral) + "/matches", A("analyst"));
  ASSERT_EQ(im.json().at("matches").as_array().size(), 1u);
  EXPECT_EQ(im.json().at("matches").as_array()[0].at("bank").as_string(), "a-private");
  EXPECT_EQ(Get("/api/v1/items/abc", A("analyst")).status, 400);
  EXPECT_EQ(Get("/api/v1/items/999999", A("analyst")).status, 404);
  // Every decision is in the audit log, whose chain verifies.
  auto audit = Get("/api/v1/audit?limit=1000", A("auditor"));
  int decisions = 0;
  auto audit_json = audit.json();
  for (const auto& e : audit_json.at("entries").as_array()) {
    if (e.at("action").as_string() == "review.decide") ++decisions;
  }
  EXPECT_EQ(decisions, 3);
  auto verify = Get("/api/v1/audit/verify", A("auditor"));
  EXPECT_TRUE(verify.json().at("ok").as_bool()) << verify.body;
}

TEST_F(ServerTest, UsersAndTokens) {
  auto u = Post("/api/v1/users", R"({"name":"carol","email":"c@example.test","role":"reviewer"})",
                A("admin"));
  ASSERT_EQ(u.status, 201) << u.body;
  EXPECT_EQ(u.json().at("org_id").as_int64(), org_ids_[kOrgA]);
  EXPECT_EQ(Post("/api/v1/users", R"({"name":"dave","role":"root"})", A("admin")).status, 400);
  auto t = Post("/api/v1/users/carol/tokens", R"({"name":"laptop"})", A("admin"));
  ASSERT_EQ(t.status, 201) << t.body;
  std::string secret(t.json().at("secret").as_string());
  EXPECT_TRUE(secret.starts_with("vgl_"));
  EXPECT_EQ(Get("/api/v1/whoami", secret).json().at("user").at("name").as_string(), "carol");
  auto list = Get("/api/v1/users/carol/tokens", A("admin"));
  EXPECT_EQ(list.body.find(secret), std::string::npos);  // never shown again
  int64_t id = t.json().at("token").at("id").as_int64();
  EXPECT_EQ(
      Call(port_, "DELETE", "/api/v1/users/carol/tokens/" + std::to_string(id), "", A("admin"))
          .status,
      200);
  EXPECT_EQ(Get("/api/v1/whoami", secret).status, 401);
}

TEST_F(ServerTest, RateLimitPerToken) {
  StartServer(ServiceOptions{.rate_limit_per_second = 0.001, .rate_limit_burst = 3});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Get("/api/v1/whoami", A("analyst")).status, 200);
  auto r = Get("/api/v1/whoami", A("analyst"));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(ErrorCode(r), "rate_limited");
  EXPECT_EQ(r.headers["Retry-After"], "1");
  EXPECT_EQ(Get("/api/v1/whoami", A("reviewer")).status, 200);  // per token
}

TEST_F(ServerTest, BodyAndHeaderLimits) {
  HttpServerOptions ho;
  ho.max_body_bytes = 1000;
  ho.max_header_bytes = 2000;
  StartServer({}, ho);
  auto big = Post("/api/v1/hash", std::string(5000, 'x'), A("analyst"), "image/jpeg");
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(ErrorCode(big), "payload_too_large");
  std::string req =
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(5000, 'a') + "\r\n\r\n";
  EXPECT_NE(RawExchange(port_, req).find("431"), std::string::npos);
  EXPECT_EQ(Get("/healthz", "").status, 200);
}

TEST_F(ServerTest, MalformedRequestsNeverCrash) {
  for (const std::string& junk :
       {std::string("\x16\x03\x01\x02\x00garbage\r\n\r\n"), std::string("GET\r\n\r\n"),
        std::string("GET / HTTP/9.9\r\n\r\n"),
        std::string("POST /api/v1/hash HTTP/1.1\r\n"
                    "Content-Length: -5\r\n\r\n"),
        std::string("POST /api/v1/hash HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
        std::string("GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n"),
        std::string("GET http://evil/ HTTP/1.1\r\nHost: x\r\n\r\n"), std::string(1, '\0')}) {
    std::string got = RawExchange(port_, junk, 1000);
    if (!got.empty()) {
      EXPECT_TRUE(got.starts_with("HTTP/1.1 4")) << got.substr(0, 40);
    }
  }
  EXPECT_EQ(Get("/healthz", "").status, 200);
}

TEST_F(ServerTest, SlowAndIdleConnectionsNeverBlockNewOnes) {
  HttpServerOptions ho;
  ho.request_timeout = std::chrono::milliseconds(300);
  ho.idle_timeout = std::chrono::milliseconds(500);
  ho.threads = 1;  // one thread: a blocked thread would block everyone
  StartServer({}, ho);
  namespace net = boost::asio;
  net::io_context ioc;
  std::vector<std::unique_ptr<net::ip::tcp::socket>> idle;
  for (int i = 0; i < 100; ++i) {
    auto s = std::make_unique<net::ip::tcp::socket>(ioc);
    s->connect({net::ip::make_address("127.0.0.1"), port_});
    if (i % 2)
      net::write(*s, net::buffer(std::string("GET /healthz HTTP/1.1\r\nHo")));  // slowloris
    idle.push_back(std::move(s));
  }
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Get("/healthz", "").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1000));
  // After the timeouts the server has closed all of them.
  std::this_thread::sleep_for(std::chrono::milliseconds(900));
  int closed = 0;
  for (auto& s : idle) {
    char c;
    boost::system::error_code ec;
    s->non_blocking(true);
    s->read_some(net::buffer(&c, 1), ec);
    if (ec == net::error::eof || ec == net::error::connection_reset) ++closed;
  }
  EXPECT_EQ(closed, 100);
  auto metrics = Get("/metrics", "");
  EXPECT_NE(metrics.body.find("vigil_http_timeouts_total 100"), std::string::npos) << metrics.body;
  // A kept-alive connection is closed after the idle timeout too.
  std::string two = RawExchange(port_, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 3000);
  EXPECT_TRUE(two.starts_with("HTTP/1.1 200"));
}

TEST_F(ServerTest, Tls) {
  auto dir = std::filesystem::path(db_path_ + ".tls");
  std::filesystem::create_directories(dir);
  std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -keyout " + key +
      " -out " + cert + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "openssl command not available";
  HttpServerOptions ho;
  ho.tls_cert_file = cert;
  ho.tls_key_file = key;
  StartServer({}, ho);
  namespace net = boost::asio;
  namespace ssl = net::ssl;
  namespace beast = boost::beast;
  net::io_context ioc;
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_none);  // self-signed, test only
  beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
  beast::get_lowest_layer(stream).connect({net::ip::make_address("127.0.0.1"), port_});
  stream.handshake(ssl::stream_base::client);
  beast::http::request<beast::http::string_body> req{beast::http::verb::get, "/api/v1/whoami", 11};
  req.set(beast::http::field::host, "localhost");
  req.set(beast::http::field::authorization, "Bearer " + A("auditor"));
  beast::http::write(stream, req);
  beast::flat_buffer buf;
  beast::http::response<beast::http::string_body> res;
  beast::http::read(stream, buf, res);
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_NE(res.body().find("auditor"), std::string::npos);
  // Plain HTTP to a TLS port gets nowhere, and the server carries on.
  std::string plain = RawExchange(port_, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 1000);
  EXPECT_FALSE(plain.starts_with("HTTP/1.1 200"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vigil::server::testing
