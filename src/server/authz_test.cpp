// The authorisation matrix: every route x every role x own and other organisation.
// A role without the route's permission gets 403 whatever the target (so a refusal says
// nothing about existence); a role with it reaches its own organisation's data (2xx) and
// gets 404 for the other organisation's, exactly as if it did not exist.
#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "server/test_client.h"

namespace vigil::server::testing {
namespace {

namespace json = boost::json;

class AuthzTest : public ServerFixture {
 protected:
  std::string Other(const std::string& org) { return org == kOrgA ? kOrgB : kOrgA; }
  std::string PrivateBank(const std::string& org) {
    return org == kOrgA ? "a-private" : "b-private";
  }
  std::string PrivateImage(const std::string& org) { return org == kOrgA ? image_a_ : image_b_; }

  // Submits an item (as the org's admin) that matches the org's private bank.
  int64_t SubmitItem(const std::string& org) {
    std::string body =
        R"({"url":"https://example.test/post","reach":100,"media":[{"signals":[{"type":"pdq","value":")" +
        PdqOf(PrivateImage(org)) + R"("}]}]})";
    auto r = Post("/api/v1/items", body, Token(org, "admin"));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json().as_object().at("item_id").as_int64();
  }

  // --- referrals ------------------------------------------------------------------------
  std::string ReferralBody(const std::string& platform) {
    return R"({"items":[{"url":"https://refer.example/)" + std::to_string(++counter_) +
           R"(","platform":")" + platform + R"("}]})";
  }
  // A new pending referral of `org` (made by its analyst).
  int64_t NewReferral(const std::string& org, const std::string& platform) {
    auto r = Post("/api/v1/referrals", ReferralBody(platform), Token(org, "analyst"));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json().at("created").as_array().at(0).as_int64();
  }
  // A referral addressed to platform `platform_org` (the platform liaison's organisation
  // name), pulled by that liaison: delivered.
  int64_t Delivered(const std::string& platform_org) {
    int64_t id = NewReferral(kOrgA, platform_org);
    auto pulled = Get("/api/v1/platform/referrals?limit=1000", Token(platform_org, "platform"));
    EXPECT_EQ(pulled.status, 200) << pulled.body;
    return id;
  }
  // A referral of `org` the platform asked a question about.
  int64_t AskedForClarification(const std::string& org) {
    const std::string platform = Other(org);
    int64_t id = NewReferral(org, platform);
    Get("/api/v1/platform/referrals?limit=1000", Token(platform, "platform"));
    auto f = Post("/api/v1/platform/feedback",
                  R"({"referral_id":)" + std::to_string(id) +
                      R"(,"status":"clarification_request","reason":"which URL?"})",
                  Token(platform, "platform"));
    EXPECT_EQ(f.status, 200) << f.body;
    return id;
  }
  int64_t NewHold(const std::string& org) {
    auto r = Post("/api/v1/holds",
                  R"({"kind":"hash","value":")" + std::string(63, 'a') +
                      std::to_string(++counter_ % 10) + R"("})",
                  Token(org, "analyst"));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json().at("id").as_int64();
  }

  int counter_ = 0;
};

struct Outcome {
  HttpResult own;
  std::optional<HttpResult> other;  // for routes that address another org's resource
};

struct Case {
  std::string route;
  Permission permission;
  std::function<Outcome(AuthzTest&, const std::string& org, const std::string& token)> run;
  // A status that also means "permitted": past the permission check, e.g. the work-queue
  // routes answer 409 on a server started without --nats.
  int also_permitted = 0;
};

class AuthzMatrix : public AuthzTest {
 public:
  std::vector<Case> Cases() {
    auto& t = *this;
    std::vector<Case> c;
    auto get = [&t](std::string path) {
      return [&t, path](AuthzTest&, const std::string&, const std::string& tok) {
        return Outcome{t.Get(path, tok), std::nullopt};
      };
    };
    c.push_back({"GET /api/v1/whoami", Permission::kSelf, get("/api/v1/whoami")});
    c.push_back({"GET /api/v1/labels", Permission::kSelf, get("/api/v1/labels")});
    c.push_back({"GET /api/v1/platforms", Permission::kSelf, get("/api/v1/platforms")});
    c.push_back({"POST /api/v1/users", Permission::kUserAdmin,
                 [&t](AuthzTest&, const std::string&, const std::string& tok) {
                   std::string body = R"({"name":"new-user-)" + std::to_string(++t.counter_) +
                                      R"(","role":"analyst"})";
                   return Outcome{t.Post("/api/v1/users", body, tok), std::nullopt};
                 }});
    c.push_back({"GET /api/v1/users/{name}", Permission::kUserAdmin,
                 [&t](AuthzTest&, const std::string& org, const std::string& tok) {
                   return Outcome{t.Get("/api/v1/users/analyst@" + org, tok),
                                  t.Get("/api/v1/users/analyst@" + t.Other(org), tok)};
                 }});
    c.push_back({"POST /api/v1/users/{name}/tokens", Permission::kUserAdmin,
                 [&t](AuthzTest&, const std::string& org, const std::string& tok) {
                   return Outcome{
                       t.Post("/api/v1/users/analyst@" + org + "/tokens", "{}", tok),
                       t.Post("/api/v1/users/analyst@" + t.Other(org) + "/tokens", "{}", tok)};
                 }});
    c.push_back({"GET /api/v1/users/{name}/tokens", Permission::kUserAdmin,
                 [&t](AuthzTest&, const std::string& org, const std::string& tok) {
                   return Outcome{t.Get("/api/v1/users/analyst@" + org + "/tokens", tok),
                                  t.Get("/api/v1/users/analyst@" + t.Other(org) + "/tokens", tok)};
                 }});
    c.push_back(
        {"DELETE /api/v1/users/{name}/tokens/{id}", Permission::kUserAdmin,
         [&t](AuthzTest&, const std::string& org, const std::string& tok) {
           // A fresh token of the org's auditor, minted by its admin.
           auto made =
               t.Post("/api/v1/users/auditor@" + org + "/tokens", "{}", t.Token(org, "admin"));
           int64_t id = made.json().as_object().at("token").as_object().at("id").as_int64();
           auto other = t.Post("/api/v1/users/auditor@" + t.Other(org) + "/tokens", "{}",
                               t.Token(t.Other(org), "admin"));
           int64_t other_id = other.json().as_object().at("token").as_object().at("id").as_int64();
           return Outcome{
               Call(t.port_, "DELETE",
                    "/api/v1/users/auditor@" + org + "/tokens/" + std::to_string(id), "", tok),
               Call(t.port_, "DELETE",
                    "/api/v1/users/auditor@" + t.Other(org) + "/tokens/" + std::to_string(other_id),
                    "", tok)};
         }});
    c.push_back(
        {"POST /api/v1/hash", Permission::kHash,
         [&t](AuthzTest&, const std::string&, const std::string& tok) {
           return Outcome{t.Post("/api/v1/hash", t.image_a_, tok, "image/jpeg"), std::nullopt};
         }});
    c.push_back({"POST /api/v1/match", Permission::kMatch,
                 [&t](AuthzTest&, const std::string&, const std::string& tok) {
                   std::string body =
                       R"({"signals":[{"type":"pdq","value":")" + PdqOf(t.image_a_) + R"("}]})";
                   return Outcome{t.Post("/api/v1/match", body, tok), std::nullopt};
                 }});
    c.push_back({"POST /api/v1/match/media", Permission::kMatch,
                 [&t](AuthzTest&, const std::string&, const std::string& tok) {
                   return Outcome{t.Post("/api/v1/match/media", t.image_a_, tok, "image/jpeg"),
                                  std::nullopt};
                 }});
    c.push_back({"POST /api/v1/hash-and-match", Permission::kMatch,
                 [&t](AuthzTest&, const std::string&, const std::string& tok) {
                   return Outcome{t.Post("/api/v1/hash-and-match", t.image_a_, tok, "image/jpeg"),
                                  std::nullopt};
                 }});
    c.push_back({"GET /api/v1/banks", Permission::kBankRead, get("/api/v1/banks")});
    c.push_back({"POST /api/v1/banks", Permission::kBankWrite,
                 [&t](AuthzTest&, const std::string&, const std::string& tok) {
                   std::string body = R"({"name":"bank-)" + std::to_string(++t.counter_) + R"("})";
                   return Outcome{t.Post("/api/v1/banks", body, tok), std::nullopt};
                 }});
    c.push_back({"GET /api/v1/banks/{name}", Permission::kBankRead,
                 [&t](AuthzTest&, const std::string& org, const std::string& tok) {
                   return Outcome{t.Get("/api/v1/banks/" + t.PrivateBank(org), tok),
                                  t.Get("/api/v1/banks/" + t.PrivateBank(t.Other(org)), tok)};
                 }});
    c.push_back(
        {"PATCH /api/v1/banks/{name}", Permission::kBankWrite,
         [&t](AuthzTest&, const std::string& org, const std::string& tok) {
           std::string body = R"({"description":"changed"})";
           return Outcome{
               Call(t.port_, "PATCH", "/api/v1/banks/" + t.PrivateBank(org), body, tok),
               Call(t.port_, "PATCH", "/api/v1/banks/" + t.PrivateBank(t.Other(org)), body, tok)};
         }});
    c.push_back({"GET /api/v1/banks/{name}/signals", Permission::kBankRead,
                 [&t](AuthzTest&, const std::string& org, const std::string& tok) {
                   return Outcome{
                       t.Get("/api/v1/banks/" + t.PrivateBank(org) + "/signals", tok),
                       t.Get("/api/v1/banks/" + t.PrivateBank(t.Other(org)) + "/signals", tok)};
                 }});
    c.push_back(
        {"GET /api/v1/banks/{name}/export", Permission::kBankRead,
         [&t](AuthzTest&, const std::string& org, const std::string& tok) {
           return Outcome{
               t.Get("/api/v1/banks/" + t.PrivateBank(org) + "/export?format=jsonl", tok),
               t.Get("/api/v1/banks/" + t.PrivateBank(t.Other(org)) + "/export?format=jsonl", tok)};
         }});
    auto sig_body = [](int n) {
      std::string v = FlipBits(std::string(64, '0'), n % 200 + 1);
      return R"({"signals":[{"type":"pdq","value":")" + v +
             R"(","labels":["severity:promotional"]}]})";
    };
    c.push_back({"POST /api/v1/banks/{name}/signals", Permission::kBankWrite,
                 [&t, sig_body](AuthzTest&, const std::string& org, const std::string& tok) {
                   int n = ++t.counter_;
                   return Outcome{
                       t.Post("/api/v1/banks/" + t.PrivateBank(org) + "/signals", sig_body(n), tok),
                       t.Post("/api/v1/banks/" + t.PrivateBank(t.Other(org)) + "/signals",
                              sig_body(n), tok)};
                 }});
    c.push_back(
        {"POST /api/v1/banks/{name}/signals/remove", Permission::kBankWrite,
         [&t, sig_body](AuthzTest&, const std::string& org, const std::string& tok) {
           int n = ++t.counter_;
           return Outcome{
               t.Post("/api/v1/banks/" + t.PrivateBank(org) + "/signals/remove", sig_body(n), tok),
               t.Post("/api/v1/banks/" + t.PrivateBank(t.Other(org)) + "/signals/remove",
                      sig_body(n), tok)};
         }});
    c.push_back(
        {"POST /api/v1/banks/{name}/import", Permission::kBankWrite,
         [&t](AuthzTest&, const std::string& org, const std::string& tok) {
           std::string line = FlipBits(std::string(64, 'f'), ++t.counter_ % 200 + 1) + "\n";
           return Outcome{
               t.Post("/api/v1/banks/" + t.PrivateBank(org) + "/import?format=plain", line, tok,
                      "text/plain"),
               t.Post("/api/v1/banks/" + t.PrivateBank(t.Other(org)) + "/import?format=plain", line,
                      tok, "text/plain")};
         }});
    c.push_back({"POST /api/v1/items", Permission::kItemSubmit,
                 [&t](AuthzTest&, const std::string& org, const std::string& tok) {
                   std::string body = R"({"media":[{"signals":[{"type":"pdq","value":")" +
                                      PdqOf(t.PrivateImage(org)) + R"("}]}]})";
                   return Outcome{t.Post("/api/v1/items", body, tok), std::nullopt};
                 }});
    c.push_back({"GET /api/v1/items/{id}", Permission::kItemRead,
                 [&t](AuthzTest&, const std::string& org, const std::string& tok) {
                   return Outcome{
                       t.Get("/api/v1/items/" + std::to_string(t.items_[org]), tok),
                       t.Get("/api/v1/items/" + std::to_string(t.items_[t.Other(org)]), tok)};
                 }});
    c.push_back(
        {"GET /api/v1/items/{id}/matches", Permission::kItemRead,
         [&t](AuthzTest&, const std::string& org, const std::string& tok) {
           return Outcome{
               t.Get("/api/v1/items/" + std::to_string(t.items_[org]) + "/matches", tok),
               t.Get("/api/v1/items/" + std::to_string(t.items_[t.Other(org)]) + "/matches", tok)};
         }});
    c.push_back({"GET /api/v1/review/next", Permission::kReview, get("/api/v1/review/next")});
    c.push_back({"GET /api/v1/review/queue", Permission::kReview, get("/api/v1/review/queue")});
    c.push_back(
        {"POST /api/v1/review/items/{id}/decision", Permission::kReview,
         [&t](AuthzTest&, const std::string& org, const std::string& tok) {
           int64_t own = t.SubmitItem(org);
           int64_t other = t.SubmitItem(t.Other(org));
           std::string body = R"({"decision":"confirm","labels":["severity:promotional"]})";
           return Outcome{
               t.Post("/api/v1/review/items/" + std::to_string(own) + "/decision", body, tok),
               t.Post("/api/v1/review/items/" + std::to_string(other) + "/decision", body, tok)};
         }});
    c.push_back({"GET /api/v1/audit", Permission::kAuditRead, get("/api/v1/audit")});
    c.push_back({"GET /api/v1/audit/verify", Permission::kAuditRead, get("/api/v1/audit/verify")});

    // --- referrals, holds, platform side (referrals_api.cpp) ---------------------------
    c.push_back({"GET /api/v1/referrals", Permission::kReferralRead, get("/api/v1/referrals")});
    c.push_back({"GET /api/v1/referrals/stats", Permission::kReferralRead,
                 get("/api/v1/referrals/stats?group=operation")});
    c.push_back({"GET /api/v1/reports/transparency", Permission::kReferralRead,
                 get("/api/v1/reports/transparency?format=csv")});
    // --- operations, statements of reasons (operations_api.cpp) --------------------------
    c.push_back({"GET /api/v1/reports/statements-of-reasons", Permission::kReferralRead,
                 get("/api/v1/reports/statements-of-reasons?format=csv")});
    c.push_back({"GET /api/v1/operations", Permission::kReferralRead,
                 get("/api/v1/operations?counters=true")});
    c.push_back({"POST /api/v1/operations", Permission::kReferralWrite,
                 [&t](AuthzTest&, const std::string&, const std::string& tok) {
                   std::string body =
                       R"({"name":"authz-op-)" + std::to_string(++t.counter_) + R"("})";
                   return Outcome{t.Post("/api/v1/operations", body, tok), std::nullopt};
                 }});
    // The caller's organisation's operation and the other organisation's (made by admins).
    auto on_operation = [&t](std::string method, std::string suffix, std::string body) {
      return [&t, method, suffix, body](AuthzTest&, const std::string& org,
                                        const std::string& tok) {
        auto make = [&t, &suffix](const std::string& o) {
          std::string name = "authz-op-" + std::to_string(++t.counter_);
          auto r =
              t.Post("/api/v1/operations", R"({"name":")" + name + R"("})", t.Token(o, "admin"));
          EXPECT_EQ(r.status, 201) << r.body;
          return "/api/v1/operations/" + name + suffix;
        };
        std::string own = make(org), other = make(t.Other(org));
        return Outcome{Call(t.port_, method, own, body, tok),
                       Call(t.port_, method, other, body, tok)};
      };
    };
    c.push_back(
        {"GET /api/v1/operations/{name}", Permission::kReferralRead, on_operation("GET", "", "")});
    c.push_back({"PATCH /api/v1/operations/{name}", Permission::kReferralWrite,
                 on_operation("PATCH", "", R"({"title":"renamed"})")});
    c.push_back({"POST /api/v1/operations/{name}/organisations", Permission::kReferralWrite,
                 on_operation("POST", "/organisations", R"({"organisations":["org-z"]})")});
    c.push_back({"POST /api/v1/referrals", Permission::kReferralWrite,
                 [&t](AuthzTest&, const std::string&, const std::string& tok) {
                   return Outcome{t.Post("/api/v1/referrals", t.ReferralBody("some-platform"), tok),
                                  std::nullopt};
                 }});
    c.push_back({"POST /api/v1/referrals/send", Permission::kReferralWrite,
                 [&t](AuthzTest&, const std::string&, const std::string& tok) {
                   return Outcome{t.Post("/api/v1/referrals/send", "{}", tok), std::nullopt};
                 }});
    c.push_back({"POST /api/v1/referrals/recheck", Permission::kReferralWrite,
                 [&t](AuthzTest&, const std::string&, const std::string& tok) {
                   return Outcome{t.Post("/api/v1/referrals/recheck", "{}", tok), std::nullopt};
                 }});
    c.push_back({"POST /api/v1/work", Permission::kItemSubmit,
                 [&t](AuthzTest&, const std::string&, const std::string& tok) {
                   return Outcome{t.Post("/api/v1/work", "", tok), std::nullopt};
                 },
                 409});
    c.push_back(
        {"GET /api/v1/work/{key}", Permission::kItemRead,
         [&t](AuthzTest&, const std::string&, const std::string& tok) {
           return Outcome{Call(t.port_, "GET", "/api/v1/work/api-1-x", "", tok), std::nullopt};
         },
         404});  // an unknown key (or another organisation's) reads as absent
    c.push_back({"GET /api/v1/queue", Permission::kItemRead,
                 [&t](AuthzTest&, const std::string&, const std::string& tok) {
                   return Outcome{Call(t.port_, "GET", "/api/v1/queue", "", tok), std::nullopt};
                 },
                 409});
    c.push_back({"POST /api/v1/platform-notices", Permission::kReferralWrite,
                 [&t](AuthzTest&, const std::string&, const std::string& tok) {
                   return Outcome{t.Post("/api/v1/platform-notices", R"({"platform":"p"})", tok),
                                  std::nullopt};
                 }});
    auto on_referral = [&t](std::string suffix, std::string body) {
      return [&t, suffix, body](AuthzTest&, const std::string& org, const std::string& tok) {
        int64_t own = t.NewReferral(org, "some-platform");
        int64_t other = t.NewReferral(t.Other(org), "some-platform");
        auto path = [&](int64_t id) { return "/api/v1/referrals/" + std::to_string(id) + suffix; };
        if (suffix.empty()) return Outcome{t.Get(path(own), tok), t.Get(path(other), tok)};
        return Outcome{t.Post(path(own), body, tok), t.Post(path(other), body, tok)};
      };
    };
    c.push_back({"GET /api/v1/referrals/{id}", Permission::kReferralRead, on_referral("", "")});
    c.push_back(
        {"POST /api/v1/referrals/{id}/send", Permission::kReferralWrite, on_referral("/send", "")});
    c.push_back({"POST /api/v1/referrals/{id}/withdraw", Permission::kReferralWrite,
                 on_referral("/withdraw", R"({"reason":"test"})")});
    c.push_back({"POST /api/v1/referrals/{id}/reverse", Permission::kReferralReverse,
                 on_referral("/reverse", R"({"reason":"complaint upheld"})")});
    c.push_back(
        {"POST /api/v1/banks/{name}/signals/reverse", Permission::kBankWrite,
         [&t](AuthzTest&, const std::string& org, const std::string& tok) {
           // A fresh signal in each organisation's private bank (added by its admin).
           auto add = [&t](const std::string& o) {
             std::string value = std::string(62, 'c') + std::to_string(10 + ++t.counter_ % 90);
             auto r = t.Post("/api/v1/banks/" + t.PrivateBank(o) + "/signals",
                             R"({"signals":[{"type":"sha256","value":")" + value + R"("}]})",
                             t.Token(o, "admin"));
             EXPECT_EQ(r.status, 200) << r.body;
             return R"({"type":"sha256","value":")" + value + R"(","reason":"appeal upheld"})";
           };
           std::string own = add(org), other = add(t.Other(org));
           return Outcome{
               t.Post("/api/v1/banks/" + t.PrivateBank(org) + "/signals/reverse", own, tok),
               t.Post("/api/v1/banks/" + t.PrivateBank(t.Other(org)) + "/signals/reverse", other,
                      tok)};
         }});
    c.push_back({"POST /api/v1/referrals/{id}/clarification", Permission::kReferralWrite,
                 [&t](AuthzTest&, const std::string& org, const std::string& tok) {
                   int64_t own = t.AskedForClarification(org);
                   int64_t other = t.AskedForClarification(t.Other(org));
                   auto path = [](int64_t id) {
                     return "/api/v1/referrals/" + std::to_string(id) + "/clarification";
                   };
                   std::string body = R"({"note":"the exact URL is the second one"})";
                   return Outcome{t.Post(path(own), body, tok), t.Post(path(other), body, tok)};
                 }});
    c.push_back({"GET /api/v1/holds", Permission::kHold, get("/api/v1/holds")});
    c.push_back({"POST /api/v1/holds", Permission::kHold,
                 [&t](AuthzTest&, const std::string&, const std::string& tok) {
                   return Outcome{t.Post("/api/v1/holds",
                                         R"({"kind":"account","value":"acct-)" +
                                             std::to_string(++t.counter_) + R"("})",
                                         tok),
                                  std::nullopt};
                 }});
    c.push_back({"DELETE /api/v1/holds/{id}", Permission::kHold,
                 [&t](AuthzTest&, const std::string& org, const std::string& tok) {
                   int64_t own = t.NewHold(org);
                   int64_t other = t.NewHold(t.Other(org));
                   auto path = [](int64_t id) { return "/api/v1/holds/" + std::to_string(id); };
                   return Outcome{Call(t.port_, "DELETE", path(own), "", tok),
                                  Call(t.port_, "DELETE", path(other), "", tok)};
                 }});
    c.push_back({"GET /api/v1/platform/referrals", Permission::kReferralPlatform,
                 get("/api/v1/platform/referrals")});
    c.push_back({"POST /api/v1/platform/feedback", Permission::kReferralPlatform,
                 [&t](AuthzTest&, const std::string& org, const std::string& tok) {
                   // A notice addressed to the caller's platform (its organisation's
                   // name), and one addressed to the other organisation's platform.
                   int64_t own = t.Delivered(org);
                   int64_t other = t.Delivered(t.Other(org));
                   auto body = [](int64_t id) {
                     return R"({"referral_id":)" + std::to_string(id) +
                            R"(,"status":"acknowledged"})";
                   };
                   return Outcome{t.Post("/api/v1/platform/feedback", body(own), tok),
                                  t.Post("/api/v1/platform/feedback", body(other), tok)};
                 }});
    return c;
  }

  std::map<std::string, int64_t> items_;
};

TEST_F(AuthzMatrix, EveryRouteEveryRoleOwnAndOtherOrganisation) {
  StartServer(ServiceOptions{.rate_limit_per_second = 0});
  items_[kOrgA] = SubmitItem(kOrgA);
  items_[kOrgB] = SubmitItem(kOrgB);
  auto cases = Cases();
  // Every authenticated route of the server has a case here.
  std::set<std::string> covered;
  for (const auto& c : cases) covered.insert(c.route);
  for (const auto& r : service_->router().routes()) {
    if (!r.is_public) {
      EXPECT_TRUE(covered.count(r.method + " " + r.pattern)) << r.pattern;
    }
  }
  for (const auto& c : cases) {
    for (const std::string org : {kOrgA, kOrgB}) {
      for (Role role : kAllRoles) {
        std::string rn(RoleName(role));
        SCOPED_TRACE(c.route + " as " + rn + " of " + org);
        Outcome out = c.run(*this, org, Token(org, rn));
        if (!RoleAllows(role, c.permission)) {
          EXPECT_EQ(out.own.status, 403) << out.own.body;
          if (out.other) {
            EXPECT_EQ(out.other->status, 403) << out.other->body;
          }
          EXPECT_EQ(out.own.json().as_object().at("error").as_object().at("code").as_string(),
                    "permission_denied");
          continue;
        }
        EXPECT_TRUE(out.own.status == 200 || out.own.status == 201 ||
                    (c.also_permitted != 0 && out.own.status == c.also_permitted))
            << out.own.status << " " << out.own.body;
        if (out.other) {
          EXPECT_EQ(out.other->status, 404) << out.other->body;
        }
      }
    }
  }
  // No token, a bad token: 401 on every authenticated route.
  for (const auto& r : service_->router().routes()) {
    if (r.is_public) continue;
    std::string path = r.pattern;
    for (auto [from, to] :
         {std::pair{"{name}", "x"}, std::pair{"{id}", "1"}, std::pair{"{key}", "k"}}) {
      if (auto p = path.find(from); p != std::string::npos) path.replace(p, strlen(from), to);
      if (auto p = path.find(from); p != std::string::npos) path.replace(p, strlen(from), to);
    }
    EXPECT_EQ(Call(port_, r.method, path, "{}", "").status, 401) << path;
    EXPECT_EQ(Call(port_, r.method, path, "{}", "vgl_not-a-token").status, 401) << path;
  }
}

// Content scoping: what a permitted caller sees never includes the other organisation's
// private data, and includes what was shared with it.
TEST_F(AuthzTest, MatchesAndListsAreScopedEitherWay) {
  StartServer(ServiceOptions{.rate_limit_per_second = 0});
  struct Want {
    std::string org;
    std::set<std::string> visible;
  };
  for (const auto& w : {Want{kOrgA, {"a-private", "b-shared", "b-public"}},
                        Want{kOrgB, {"b-private", "b-shared", "b-public"}}}) {
    SCOPED_TRACE(w.org);
    std::set<std::string> listed;
    auto banks = Get("/api/v1/banks", Token(w.org, "analyst"));
    ASSERT_EQ(banks.status, 200);
    auto banks_json = banks.json();
    for (const auto& b : banks_json.at("banks").as_array()) {
      listed.insert(std::string(b.at("name").as_string()));
      // Only the owner learns whom a bank is shared with.
      bool owner = b.at("owner_org").as_string() == w.org;
      EXPECT_EQ(b.as_object().contains("shared_with"), owner);
    }
    EXPECT_EQ(listed, w.visible);
    std::set<std::string> matched;
    for (const auto* img : {&image_a_, &image_b_, &image_shared_, &image_public_}) {
      for (const char* route : {"/api/v1/match/media", "/api/v1/hash-and-match"}) {
        auto r = Post(route, *img, Token(w.org, "platform"), "image/jpeg");
        ASSERT_EQ(r.status, 200) << r.body;
        auto r_json = r.json();
        for (const auto& m : r_json.at("matches").as_array()) {
          matched.insert(std::string(m.at("bank").as_string()));
          EXPECT_FALSE(m.at("contributor_org").as_string().empty());
        }
      }
    }
    EXPECT_EQ(matched, w.visible);
  }
  // The review queue and the audit log are per organisation.
  int64_t a_item = SubmitItem(kOrgA);
  auto next_b = Get("/api/v1/review/next", Token(kOrgB, "reviewer"));
  ASSERT_EQ(next_b.status, 200);
  EXPECT_TRUE(next_b.json().at("entry").is_null());
  auto next_a = Get("/api/v1/review/next", Token(kOrgA, "reviewer"));
  ASSERT_EQ(next_a.status, 200);
  EXPECT_EQ(next_a.json().at("entry").at("item_id").as_int64(), a_item);
  auto audit_b = Get("/api/v1/audit?limit=10000", Token(kOrgB, "auditor"));
  ASSERT_EQ(audit_b.status, 200);
  auto audit_b_json = audit_b.json();
  for (const auto& e : audit_b_json.at("entries").as_array()) {
    EXPECT_NE(e.at("target").as_string(), "item:" + std::to_string(a_item));
    EXPECT_TRUE(e.at("actor").as_string().ends_with(std::string("@") + kOrgB)) << e;
  }
}

}  // namespace
}  // namespace vigil::server::testing
