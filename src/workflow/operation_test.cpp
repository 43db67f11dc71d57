// Operations (validation, the referral rule and the service hook) and the DSA
// statement-of-reasons records (golden example, CSV quoting). Synthetic, benign data only.
#include "workflow/operation.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "workflow/clock.h"
#include "workflow/service.h"
#include "workflow/sor.h"

namespace vigil::workflow {
namespace {

namespace json = boost::json;

constexpr int64_t kT0 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

Operation Op() {
  Operation op;
  op.name = "action-day-1";
  op.title = "Synthetic action day";
  op.start_ms = kT0;
  op.end_ms = kT0 + 24 * kMsPerHour;
  op.organisations = {"org-a", "org-b"};
  op.sources = {"scan:telegram"};
  op.state = OperationState::kActive;
  return op;
}

TEST(Operation, Validation) {
  EXPECT_TRUE(ValidateOperation(Op()).ok());
  Operation bad = Op();
  bad.name = "has space";
  EXPECT_EQ(ValidateOperation(bad).code(), StatusCode::kInvalidArgument);
  bad = Op();
  bad.name = "";
  EXPECT_EQ(ValidateOperation(bad).code(), StatusCode::kInvalidArgument);
  bad = Op();
  bad.end_ms = bad.start_ms - 1;
  EXPECT_EQ(ValidateOperation(bad).code(), StatusCode::kInvalidArgument);
  bad = Op();
  bad.organisations.clear();
  EXPECT_EQ(ValidateOperation(bad).code(), StatusCode::kInvalidArgument);
  bad = Op();
  bad.sources.assign(kMaxOperationSources + 1, "s");
  EXPECT_EQ(ValidateOperation(bad).code(), StatusCode::kInvalidArgument);
  Operation open = Op();
  open.end_ms = 0;  // open-ended
  EXPECT_TRUE(ValidateOperation(open).ok());
  EXPECT_EQ(*ParseOperationState("closed"), OperationState::kClosed);
  EXPECT_FALSE(ParseOperationState("finished").ok());
}

TEST(Operation, ReferralRule) {
  const Operation op = Op();
  EXPECT_TRUE(CheckReferralInOperation(op, "org-a", kT0 + kMsPerHour).ok());
  EXPECT_EQ(CheckReferralInOperation(op, "org-c", kT0 + kMsPerHour).code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckReferralInOperation(op, "org-a", kT0 - 1).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckReferralInOperation(op, "org-a", op.end_ms + 1).code(),
            StatusCode::kFailedPrecondition);
  Operation closed = op;
  closed.state = OperationState::kClosed;
  EXPECT_EQ(CheckReferralInOperation(closed, "org-a", kT0 + kMsPerHour).code(),
            StatusCode::kFailedPrecondition);
}

TEST(Operation, ServiceAppliesTheHookOnlyToNamedOperations) {
  MemoryReferralRepository repo;
  MemoryAuditSink audit;
  FakeClock clock(kT0 + kMsPerHour);
  ServiceOptions so;
  const Operation op = Op();
  int calls = 0;
  so.check_operation = [&](std::string_view name, std::string_view org, int64_t now) -> Status {
    ++calls;
    if (name != op.name) return Status::OK();  // unknown: a free string
    return CheckReferralInOperation(op, org, now);
  };
  ReferralService svc(&repo, &audit, &clock, nullptr, so);
  ReferRequest req;
  req.actor = "user:test";
  req.org = "org-c";
  req.operation = op.name;
  ConfirmedItem item;
  item.url = "https://videohost.example/v/1";
  item.platform_id = "videohost";
  req.items = {item};
  auto denied = svc.Refer(req);
  EXPECT_EQ(denied.status().code(), StatusCode::kPermissionDenied);
  req.org = "org-a";
  EXPECT_TRUE(svc.Refer(req).ok());
  req.operation = "some-free-name";
  req.items[0].url = "https://videohost.example/v/2";
  EXPECT_TRUE(svc.Refer(req).ok());
  req.operation.clear();
  req.items[0].url = "https://videohost.example/v/3";
  EXPECT_TRUE(svc.Refer(req).ok());
  EXPECT_EQ(calls, 3);  // not called without an operation
}

// --- statements of reasons ----------------------------------------------------------------

Referral Decided() {
  Referral r;
  r.id = 7;
  r.platform_id = "videohost";
  r.route = LegalRoute::kVoluntary;
  r.state = ReferralState::kAcknowledged;
  r.lead_org = "org-a";
  r.operation = "action-day-1";
  r.organisations = {"org-a"};
  r.created_ms = kT0;
  ReferralItem a;
  a.url = "https://videohost.example/v/1";
  a.captured_ms = kT0 - 24 * kMsPerHour;
  a.pdq = "ab";
  a.reason = "glorifies an attack, says \"join\", then\nmore";
  a.removed_ms = kT0 + 2 * kMsPerHour;
  ReferralItem b;  // not (yet) removed: no record
  b.url = "https://videohost.example/v/2";
  r.items = {a, b};
  r.history = {{kT0 + kMsPerHour, "platform:videohost", ReferralState::kDelivered,
                ReferralState::kAcknowledged, ""}};
  return r;
}

TEST(StatementsOfReasons, GoldenVoluntaryRemoval) {
  auto recs = StatementsOfReasons({Decided()}, {});
  ASSERT_EQ(recs.size(), 1u);
  const std::string expected =
      R"j({"puid":"vigil-7-1","referral_id":7,"platform_id":"videohost",)j"
      R"j("url":"https://videohost.example/v/1","operation":"action-day-1","route":"voluntary",)j"
      R"j("decision_visibility":["DECISION_VISIBILITY_CONTENT_REMOVED"],)j"
      R"j("decision_ground":"DECISION_GROUND_INCOMPATIBLE_CONTENT",)j"
      R"j("illegal_content_legal_ground":"","illegal_content_explanation":"",)j"
      R"j("incompatible_content_ground":"Terms of service of videohost (voluntary referral)",)j"
      R"j("incompatible_content_explanation":"glorifies an attack, says \"join\", then\nmore",)j"
      R"j("incompatible_content_illegal":"Yes","source_type":"SOURCE_ARTICLE_16",)j"
      R"j("source_identity":"org-a","category":"STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",)j"
      R"j("category_specification":["KEYWORD_TERRORIST_CONTENT"],)j"
      R"j("content_type":["CONTENT_TYPE_IMAGE"],"content_type_other":"",)j"
      R"j("content_date":"2025-12-31","application_date":"2026-01-01",)j"
      R"j("territorial_scope":["AT","BE","BG","CY","CZ","DE","DK","EE","ES","FI","FR","GR",)j"
      R"j("HR","HU","IE","IS","IT","LI","LT","LU","LV","MT","NL","NO","PL","PT","RO","SE",)j"
      R"j("SI","SK"],"decision_facts":"Referral 7 (voluntary) by org-a on 2026-01-01; the )j"
      R"j(platform reported the content removed on 2026-01-01.",)j"
      R"j("automated_detection":"No","automated_decision":"AUTOMATED_DECISION_NOT_AUTOMATED"})j";
  EXPECT_EQ(json::serialize(recs[0]), expected);

  // The CSV: header, then one line; commas, quotes and the newline quoted.
  const std::string csv = StatementsOfReasonsCsv(recs);
  const std::string header =
      "puid,referral_id,platform_id,url,operation,route,decision_visibility,decision_ground,"
      "illegal_content_legal_ground,illegal_content_explanation,incompatible_content_ground,"
      "incompatible_content_explanation,incompatible_content_illegal,category,"
      "category_specification,content_type,content_type_other,content_date,application_date,"
      "territorial_scope,decision_facts,source_type,source_identity,automated_detection,"
      "automated_decision\r\n";
  ASSERT_EQ(csv.substr(0, header.size()), header);
  const std::string line = csv.substr(header.size());
  EXPECT_EQ(line.rfind("vigil-7-1,7,videohost,https://videohost.example/v/1,action-day-1,"
                       "voluntary,\"[\"\"DECISION_VISIBILITY_CONTENT_REMOVED\"\"]\",",
                       0),
            0u);
  EXPECT_NE(line.find(",\"glorifies an attack, says \"\"join\"\", then\nmore\","),
            std::string::npos);
  // No comma, quote or line break: not quoted.
  EXPECT_NE(line.find(",Referral 7 (voluntary) by org-a on 2026-01-01; the platform reported the "
                      "content removed on 2026-01-01.,"),
            std::string::npos);
  EXPECT_EQ(line.substr(line.size() - 2), "\r\n");
}

TEST(StatementsOfReasons, OrdersGeoBlockingAndFilters) {
  Referral r = Decided();
  r.id = 8;
  r.route = LegalRoute::kTcoRemovalOrder;
  r.order = RemovalOrder{};
  r.order->issuing_authority = "Test Authority";
  r.order->issuing_member_state = "NL";
  r.order->reference = "TCO-1";
  r.order->grounds = {TcoGround::kIncites, TcoGround::kInstructs};
  r.order->reasons = "synthetic reasons";
  for (auto& it : r.items) it.removed_ms = 0;
  r.history.push_back({kT0 + 3 * kMsPerHour, "platform:videohost", ReferralState::kAcknowledged,
                       ReferralState::kGeoBlocked, ""});
  auto recs = StatementsOfReasons({r}, {});
  ASSERT_EQ(recs.size(), 2u);  // the whole referral was geo-blocked: both items
  const json::object& o = recs[0];
  EXPECT_EQ(o.at("decision_visibility").as_array()[0].as_string(),
            "DECISION_VISIBILITY_CONTENT_DISABLED");
  EXPECT_EQ(o.at("decision_ground").as_string(), "DECISION_GROUND_ILLEGAL_CONTENT");
  EXPECT_EQ(o.at("illegal_content_legal_ground").as_string(),
            "Regulation (EU) 2021/784 Art. 3 removal order; terrorist content under Art. 2(7) "
            "(art2_7_a, art2_7_d)");
  EXPECT_EQ(o.at("illegal_content_explanation").as_string(), "synthetic reasons");
  EXPECT_EQ(o.at("source_type").as_string(), "SOURCE_TYPE_OTHER_NOTIFICATION");
  EXPECT_EQ(o.at("source_identity").as_string(),
            "Removal order TCO-1 issued by Test Authority (NL)");
  EXPECT_EQ(json::serialize(o.at("territorial_scope")), R"(["NL"])");
  EXPECT_EQ(o.at("content_type").as_array()[0].as_string(), "CONTENT_TYPE_IMAGE");
  EXPECT_EQ(recs[1].at("content_type").as_array()[0].as_string(), "CONTENT_TYPE_OTHER");

  SorOptions later;
  later.since_ms = kT0 + 4 * kMsPerHour;
  EXPECT_TRUE(StatementsOfReasons({r}, later).empty());
  SorOptions other;
  other.platform = "otherhost";
  EXPECT_TRUE(StatementsOfReasons({r}, other).empty());
  SorOptions tf;
  tf.trusted_flagger = true;
  EXPECT_EQ(StatementsOfReasons({Decided()}, tf)[0].at("source_type").as_string(),
            "SOURCE_TRUSTED_FLAGGER");
  auto doc = StatementsOfReasonsJson(recs);
  EXPECT_EQ(doc.at("count").as_uint64(), 2u);
}

TEST(StatementsOfReasons, CsvQuoting) {
  EXPECT_EQ(CsvQuote("plain"), "plain");
  EXPECT_EQ(CsvQuote("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvQuote("say \"x\""), "\"say \"\"x\"\"\"");
  EXPECT_EQ(CsvQuote("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvQuote("cr\r"), "\"cr\r\"");
  EXPECT_EQ(CsvQuote(""), "");
}

}  // namespace
}  // namespace vigil::workflow
