// SqlOperationStore on SQLite and PostgreSQL: operations with audited changes, the rule for
// referrals under an operation (through ReferralService and OperationGate), live counters
// by SQL aggregates agreeing with the decode-everything reference, and the referrals the
// statement-of-reasons export reads. Synthetic, benign data only.
#include "store/operation_store.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "store/referral_store.h"
#include "store/sql_store.h"
#include "store/test_db.h"
#include "workflow/clock.h"
#include "workflow/service.h"
#include "workflow/sor.h"

namespace vigil::store {
namespace {

namespace wf = workflow;
namespace json = boost::json;

constexpr int64_t kT0 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
constexpr int64_t kHour = wf::kMsPerHour;

class OperationStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    clock_.Set(kT0 + kHour);
    db_ = testing::NewDatabase(GetParam());
    ASSERT_FALSE(db_.empty());
    auto s = OpenStore(db_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = *std::move(s);
    auto r = SqlReferralRepository::Create(store_.get());
    ASSERT_TRUE(r.ok());
    repo_ = *std::move(r);
    auto o = SqlOperationStore::Create(store_.get());
    ASSERT_TRUE(o.ok());
    ops_ = *std::move(o);
    wf::ServiceOptions so;
    so.check_operation = OperationGate(store_.get());
    service_ =
        std::make_unique<wf::ReferralService>(repo_.get(), repo_.get(), &clock_, nullptr, so);
  }

  wf::Operation Op() {
    wf::Operation op;
    op.name = "action-day-1";
    op.title = "Synthetic action day";
    op.start_ms = kT0;
    op.end_ms = kT0 + 48 * kHour;
    op.organisations = {"org-b", "org-a"};
    op.sources = {"scan:telegram", "scan:rss"};
    op.state = wf::OperationState::kActive;
    return op;
  }

  wf::ReferRequest Request(const std::string& url, std::string org = "org-a",
                           std::string operation = "action-day-1") {
    wf::ReferRequest req;
    req.actor = "user:" + org;
    req.org = std::move(org);
    req.operation = std::move(operation);
    wf::ConfirmedItem c;
    c.url = url;
    c.platform_id = "videohost";
    c.captured_ms = kT0;
    c.reason = "synthetic";
    req.items.push_back(c);
    return req;
  }

  int64_t Refer(const std::string& url, bool order = false) {
    wf::ReferRequest req = Request(url);
    if (order) {
      req.route = wf::LegalRoute::kTcoRemovalOrder;
      wf::OrderTemplate t;
      t.issuing_authority = "Test Authority";
      t.issuing_member_state = "NL";
      t.reference = "TCO-" + url.substr(url.size() - 1);
      t.grounds = {wf::TcoGround::kIncites};
      t.reasons = "synthetic reasons";
      t.emergency = true;
      req.order = std::move(t);
    }
    auto out = service_->Refer(req);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() && !out->created.empty() ? out->created[0] : 0;
  }
  void Deliver(int64_t id) {
    wf::DeliveryReceipt rc;
    rc.channel = "webhook";
    rc.status_code = 200;
    ASSERT_TRUE(service_->RecordDelivery("system:dispatcher", id, rc).ok());
  }
  void Feedback(int64_t id, wf::FeedbackKind kind, std::vector<std::string> urls = {}) {
    wf::Feedback f;
    f.referral_id = id;
    f.kind = kind;
    f.urls = std::move(urls);
    if (kind == wf::FeedbackKind::kRejected) f.reason = "not a violation";
    Status s = service_->ApplyFeedback("platform:videohost", "videohost", f);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void AddItem(const std::string& source, int64_t collected_ms) {
    Item it;
    it.source = source;
    it.url = "https://example.org/post/" + std::to_string(++items_);
    it.collected_ms = collected_ms;
    ASSERT_TRUE(store_->AddItem("test", it).ok());
  }

  std::string db_;
  wf::FakeClock clock_;
  int items_ = 0;
  std::unique_ptr<Store> store_;
  std::unique_ptr<SqlReferralRepository> repo_;
  std::unique_ptr<SqlOperationStore> ops_;
  std::unique_ptr<wf::ReferralService> service_;
};

TEST_P(OperationStoreTest, CreateGetListUpdateAudited) {
  auto made = ops_->CreateOperation("user:alice", Op(), clock_.NowMs());
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(made->organisations, (std::vector<std::string>{"org-a", "org-b"}));
  EXPECT_EQ(ops_->CreateOperation("user:alice", Op(), clock_.NowMs()).status().code(),
            StatusCode::kAlreadyExists);
  wf::Operation bad = Op();
  bad.name = "bad name";
  EXPECT_EQ(ops_->CreateOperation("user:alice", bad, 0).status().code(),
            StatusCode::kInvalidArgument);

  auto got = ops_->Get("action-day-1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->title, "Synthetic action day");
  EXPECT_EQ(got->sources, (std::vector<std::string>{"scan:telegram", "scan:rss"}));
  EXPECT_EQ(got->created_by, "user:alice");
  EXPECT_EQ(ops_->Get("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ops_->List("org-b")->size(), 1u);
  EXPECT_EQ(ops_->List("org-c")->size(), 0u);
  EXPECT_EQ(ops_->List("")->size(), 1u);

  auto upd = ops_->Update(
      "user:bob", "action-day-1",
      [](wf::Operation& op) {
        op.organisations.push_back("org-c");
        op.state = wf::OperationState::kClosed;
        return Status::OK();
      },
      clock_.NowMs() + 5);
  ASSERT_TRUE(upd.ok()) << upd.status().ToString();
  EXPECT_EQ(ops_->Get("action-day-1")->state, wf::OperationState::kClosed);
  EXPECT_EQ(ops_->List("org-c")->size(), 1u);
  // A change that fails validation changes nothing.
  auto worse = ops_->Update(
      "user:bob", "action-day-1",
      [](wf::Operation& op) {
        op.end_ms = 1;
        return Status::OK();
      },
      0);
  EXPECT_EQ(worse.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ops_->Get("action-day-1")->end_ms, kT0 + 48 * kHour);

  std::vector<AuditEntry> entries;
  ASSERT_TRUE(store_
                  ->ForEachAudit(0,
                                 [&](const AuditEntry& e) {
                                   if (e.target == "operation:action-day-1") entries.push_back(e);
                                   return true;
                                 })
                  .ok());
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].action, "operation.create");
  EXPECT_EQ(entries[0].actor, "user:alice");
  EXPECT_TRUE(entries[0].before.empty());
  EXPECT_EQ(entries[1].action, "operation.update");
  EXPECT_EQ(entries[1].actor, "user:bob");
  EXPECT_EQ(json::parse(entries[1].before).at("state").as_string(), "active");
  EXPECT_EQ(json::parse(entries[1].after).at("state").as_string(), "closed");
  auto v = store_->VerifyAudit();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problem;
}

TEST_P(OperationStoreTest, ReferralsMustFitAnExistingOperation) {
  ASSERT_TRUE(ops_->CreateOperation("user:alice", Op(), clock_.NowMs()).ok());
  EXPECT_EQ(service_->Refer(Request("https://videohost.example/v/1", "org-c")).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_TRUE(service_->Refer(Request("https://videohost.example/v/1", "org-b")).ok());
  // An unknown operation is a free string, as before operations existed.
  EXPECT_TRUE(service_->Refer(Request("https://videohost.example/v/2", "org-c", "free")).ok());
  clock_.Set(kT0 + 49 * kHour);  // after the window
  EXPECT_EQ(service_->Refer(Request("https://videohost.example/v/3")).status().code(),
            StatusCode::kFailedPrecondition);
  clock_.Set(kT0 + kHour);
  ASSERT_TRUE(ops_->Update(
                      "user:alice", "action-day-1",
                      [](wf::Operation& op) {
                        op.state = wf::OperationState::kClosed;
                        return Status::OK();
                      },
                      clock_.NowMs())
                  .ok());
  EXPECT_EQ(service_->Refer(Request("https://videohost.example/v/4")).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_P(OperationStoreTest, CountersAgreeWithTheDecodingReference) {
  wf::Operation op = *ops_->CreateOperation("user:alice", Op(), clock_.NowMs());
  AddItem("scan:telegram", kT0 + 10);
  AddItem("scan:telegram", kT0 + 20);
  AddItem("scan:rss", kT0 + 30);
  AddItem("scan:telegram", kT0 - 1);  // before the window
  AddItem("scan:html", kT0 + 40);     // another source

  const int64_t removed = Refer("https://videohost.example/v/1");
  Deliver(removed);
  clock_.Advance(10 * wf::kMsPerMinute);
  Feedback(removed, wf::FeedbackKind::kAcknowledged);
  clock_.Advance(20 * wf::kMsPerMinute);
  Feedback(removed, wf::FeedbackKind::kRemoved);  // 30 min after delivery

  const int64_t rejected = Refer("https://videohost.example/v/2");
  Deliver(rejected);
  Feedback(rejected, wf::FeedbackKind::kRejected);

  const int64_t fast_order = Refer("https://videohost.example/v/3", true);
  Deliver(fast_order);
  clock_.Advance(5 * wf::kMsPerMinute);
  Feedback(fast_order, wf::FeedbackKind::kRemoved);  // 5 min after receipt

  const int64_t geo = Refer("https://videohost.example/v/4");
  Deliver(geo);
  Feedback(geo, wf::FeedbackKind::kGeoBlocked);

  const int64_t late_order = Refer("https://videohost.example/v/5", true);
  Deliver(late_order);

  wf::Hold h;
  h.org = "org-inv";
  h.kind = wf::HoldKind::kUrl;
  h.value = "https://videohost.example/v/6";
  ASSERT_TRUE(service_->PlaceHold("user:inv", h).ok());
  Refer("https://videohost.example/v/6");  // held
  Refer("https://videohost.example/v/7");  // pending

  // Not in the operation.
  ASSERT_TRUE(service_->Refer(Request("https://videohost.example/v/8", "org-a", "free")).ok());

  clock_.Advance(2 * kHour);  // the late order is now overdue
  auto fast = ops_->Counters(op, clock_.NowMs());
  ASSERT_TRUE(fast.ok()) << fast.status().ToString();
  auto ref = ops_->CountersByDecoding(op, clock_.NowMs());
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  EXPECT_EQ(json::serialize(fast->ToJson()), json::serialize(ref->ToJson()));
  EXPECT_TRUE(*fast == *ref);
  EXPECT_EQ(fast->items_collected, 3);
  EXPECT_EQ(fast->referrals, 7);
  EXPECT_EQ(fast->items_referred, 7);
  EXPECT_EQ(fast->delivered, 5);
  EXPECT_EQ(fast->acknowledged, 1);
  EXPECT_EQ(fast->removed, 2);
  EXPECT_EQ(fast->geo_blocked, 1);
  EXPECT_EQ(fast->rejected, 1);
  EXPECT_EQ(fast->held, 1);
  EXPECT_EQ(fast->pending, 1);
  EXPECT_EQ(fast->removal_orders, 2);
  EXPECT_EQ(fast->overdue_orders, 1);
  EXPECT_EQ(fast->median_time_to_removal_ms, 5 * wf::kMsPerMinute);
  EXPECT_EQ(fast->p90_time_to_removal_ms, 30 * wf::kMsPerMinute);

  wf::Operation no_sources = op;
  no_sources.sources.clear();
  EXPECT_FALSE(ops_->Counters(no_sources, clock_.NowMs())->items_collected.has_value());

  // The statement-of-reasons input: only referrals with a platform decision.
  auto decided = ops_->DecidedReferrals("org-a", "action-day-1", "", 0);
  ASSERT_TRUE(decided.ok()) << decided.status().ToString();
  std::vector<int64_t> ids;
  for (const auto& r : *decided) ids.push_back(r.id);
  EXPECT_EQ(ids, (std::vector<int64_t>{removed, fast_order, geo}));
  EXPECT_TRUE(ops_->DecidedReferrals("org-x", "", "", 0)->empty());
  EXPECT_TRUE(ops_->DecidedReferrals("", "", "otherhost", 0)->empty());
  EXPECT_TRUE(ops_->DecidedReferrals("", "", "", clock_.NowMs() + 1)->empty());
  auto recs = wf::StatementsOfReasons(*decided, {});
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[1].at("decision_ground").as_string(), "DECISION_GROUND_ILLEGAL_CONTENT");
  EXPECT_EQ(recs[2].at("decision_visibility").as_array()[0].as_string(),
            "DECISION_VISIBILITY_CONTENT_DISABLED");
}

TEST_P(OperationStoreTest, PartialRemovalsAreDecisionsPerItem) {
  wf::ReferRequest req = Request("https://videohost.example/v/1");
  wf::ConfirmedItem second = req.items[0];
  second.url = "https://videohost.example/v/2";
  req.items.push_back(second);
  auto out = service_->Refer(req);  // no operation exists: free string
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const int64_t id = out->created.at(0);
  Deliver(id);
  Feedback(id, wf::FeedbackKind::kRemoved, {"https://videohost.example/v/2"});
  auto decided = ops_->DecidedReferrals("", "", "videohost", 0);
  ASSERT_TRUE(decided.ok());
  ASSERT_EQ(decided->size(), 1u);
  auto recs = wf::StatementsOfReasons(*decided, {});
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].at("url").as_string(), "https://videohost.example/v/2");
  EXPECT_EQ(recs[0].at("puid").as_string(), "vigil-" + std::to_string(id) + "-2");
}

INSTANTIATE_TEST_SUITE_P(Backends, OperationStoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace vigil::store
