#include "workflow/service.h"

#include <gtest/gtest.h>

#include <map>

#include "workflow/service_test_env.h"

namespace vigil::workflow {
namespace {

constexpr int64_t kMin = kMsPerMinute;

class RecordingNotifier : public HoldNotifier {
 public:
  void OnHoldHit(const HoldHit& hit) override { hits.push_back(hit); }
  std::vector<HoldHit> hits;
};

class ScriptedProber : public UrlProber {
 public:
  Result<ProbeResult> Probe(std::string_view, std::string_view url) override {
    ++calls;
    auto it = status.find(std::string(url));
    if (it == status.end()) return Status::Unavailable("connection refused");
    ProbeResult p;
    p.http_status = it->second;
    p.removal_page = removal_page.count(std::string(url)) > 0;
    return p;
  }
  std::map<std::string, int> status;
  std::map<std::string, bool> removal_page;
  int calls = 0;
};

ConfirmedItem Item(std::string url, std::string platform, std::string sha = "") {
  ConfirmedItem c;
  c.url = std::move(url);
  c.platform_id = std::move(platform);
  c.account = "channel-1";
  c.captured_ms = 1'767'000'000'000;
  c.sha256 = std::move(sha);
  c.labels = {"content_type:video"};
  c.tier = 1;
  c.reason = "synthetic test item";
  c.evidence_ref = "evidence:1";
  return c;
}

OrderTemplate Order(bool emergency = false) {
  OrderTemplate t;
  t.issuing_authority = "Test Authority";
  t.issuing_member_state = "NL";
  t.authority_contact = "tco@authority.example";
  t.reference = "TCO-2026-001";
  t.grounds = {TcoGround::kIncites};
  t.reasons = "synthetic reasons";
  t.redress = "appeal to the test court within two months";
  t.emergency = emergency;
  t.addressee = [](std::string_view p) {
    return std::make_pair(std::string(p) + " Ltd", "legal@" + std::string(p) + ".example");
  };
  return t;
}

class ServiceTest : public ::testing::TestWithParam<testing::ServiceTestBackend> {
 protected:
  ServiceTest()
      : env_(GetParam().make()),
        svc_(std::make_unique<ReferralService>(env_->repo(), env_->audit(), &clock_, &notifier_,
                                               Options())),
        service_(*svc_) {}
  static ServiceOptions Options() {
    ServiceOptions o;
    o.is_tco_hosting_service = [](std::string_view p) { return p != "not-hosting"; };
    return o;
  }

  ReferRequest Request(std::string org, LegalRoute route, std::vector<ConfirmedItem> items) {
    ReferRequest r;
    r.actor = "user:" + org;
    r.org = org;
    r.route = route;
    r.items = std::move(items);
    if (route == LegalRoute::kTcoRemovalOrder) r.order = Order();
    return r;
  }

  int64_t DeliverOne(int64_t id) {
    DeliveryReceipt rc;
    rc.channel = "webhook";
    rc.endpoint = "http://127.0.0.1/hook";
    rc.attempts = 1;
    rc.status_code = 200;
    EXPECT_TRUE(service_.RecordDelivery("system:dispatcher", id, rc).ok());
    return id;
  }

  Status Feed(int64_t id, FeedbackKind kind, std::string platform = "videohost") {
    Feedback f;
    f.referral_id = id;
    f.kind = kind;
    if (kind == FeedbackKind::kRejected) f.reason = "not in breach";
    if (kind == FeedbackKind::kCannotComply)
      f.cannot_comply_reason = CannotComplyReason::kForceMajeure;
    return service_.ApplyFeedback("platform:" + platform, platform, f);
  }

  int CountAudit(std::string_view action) {
    int n = 0;
    for (const auto& e : env_->Events()) n += e.action == action;
    return n;
  }

  FakeClock clock_;
  RecordingNotifier notifier_;
  std::unique_ptr<testing::ServiceTestEnv> env_;
  std::unique_ptr<ReferralService> svc_;
  ReferralService& service_;
};

TEST_P(ServiceTest, GroupsItemsPerPlatform) {
  auto out = service_.Refer(
      Request("org-a", LegalRoute::kVoluntary,
              {Item("https://v.example/1", "videohost"), Item("https://f.example/a", "filehost"),
               Item("https://v.example/2", "videohost")}));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->created.size(), 2u);
  EXPECT_EQ(out->items_new, 3);
  auto list = service_.List({});
  ASSERT_TRUE(list.ok());
  std::map<std::string, size_t> sizes;
  for (const auto& r : *list) {
    sizes[r.platform_id] = r.items.size();
    EXPECT_EQ(r.state, ReferralState::kPending);
    EXPECT_EQ(r.organisations, std::vector<std::string>{"org-a"});
    EXPECT_FALSE(r.idempotency_key.empty());
  }
  EXPECT_EQ(sizes["videohost"], 2u);
  EXPECT_EQ(sizes["filehost"], 1u);
  EXPECT_EQ(CountAudit("referral.create"), 2);
}

TEST_P(ServiceTest, RejectsBadRequests) {
  EXPECT_EQ(service_.Refer(Request("org-a", LegalRoute::kVoluntary, {})).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(service_.Refer(Request("org-a", LegalRoute::kVoluntary, {Item("", "videohost")}))
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  auto no_order =
      Request("org-a", LegalRoute::kTcoRemovalOrder, {Item("https://v/1", "videohost")});
  no_order.order.reset();
  EXPECT_EQ(service_.Refer(no_order).status().code(), StatusCode::kInvalidArgument);
  auto no_grounds =
      Request("org-a", LegalRoute::kTcoRemovalOrder, {Item("https://v/1", "videohost")});
  no_grounds.order->grounds.clear();
  EXPECT_EQ(service_.Refer(no_grounds).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(service_.List({})->empty());
  EXPECT_TRUE(env_->Events().empty());
}

TEST_P(ServiceTest, SameUrlFromTwoAgenciesIsOneNoticeNamingBoth) {
  auto a =
      service_.Refer(Request("org-a", LegalRoute::kVoluntary, {Item("https://v/1", "videohost")}));
  ASSERT_TRUE(a.ok());
  auto b =
      service_.Refer(Request("org-b", LegalRoute::kVoluntary, {Item("https://v/1", "videohost")}));
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->created.empty());
  ASSERT_EQ(b->merged.size(), 1u);
  EXPECT_EQ(b->merged[0], a->created[0]);
  EXPECT_EQ(b->items_merged, 1);
  auto r = service_.Get(a->created[0]);
  EXPECT_EQ(r->organisations, (std::vector<std::string>{"org-a", "org-b"}));
  EXPECT_EQ(r->items.size(), 1u);
  EXPECT_EQ(r->items[0].organisations, (std::vector<std::string>{"org-a", "org-b"}));
  EXPECT_EQ(CountAudit("referral.merge"), 1);
  // Once delivered, a third agency's referral of the same URL is recorded, not re-sent.
  DeliverOne(a->created[0]);
  auto c =
      service_.Refer(Request("org-c", LegalRoute::kVoluntary, {Item("https://v/1", "videohost")}));
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->created.empty());
  EXPECT_EQ(service_.Get(a->created[0])->organisations.size(), 3u);
  EXPECT_EQ(service_.PendingDeliveries(0)->size(), 0u);
}

TEST_P(ServiceTest, SameContentElsewhereJoinsAPendingNotice) {
  auto a = service_.Refer(
      Request("org-a", LegalRoute::kVoluntary, {Item("https://v/1", "videohost", "ab12")}));
  auto b = service_.Refer(
      Request("org-b", LegalRoute::kVoluntary, {Item("https://v/mirror", "videohost", "ab12")}));
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->created.empty());
  auto r = service_.Get(a->created[0]);
  ASSERT_EQ(r->items.size(), 2u);
  EXPECT_EQ(r->items[1].url, "https://v/mirror");
  EXPECT_EQ(r->items[1].organisations, std::vector<std::string>{"org-b"});
  // The same content on another platform is that platform's own notice.
  auto c = service_.Refer(
      Request("org-b", LegalRoute::kVoluntary, {Item("https://f/x", "filehost", "ab12")}));
  EXPECT_EQ(c->created.size(), 1u);
}

TEST_P(ServiceTest, DifferentRoutesAreNotMerged) {
  ASSERT_TRUE(service_.RecordPriorNotice("user:admin", "videohost", 0).ok());
  clock_.Advance(13 * kMsPerHour);
  auto a =
      service_.Refer(Request("org-a", LegalRoute::kVoluntary, {Item("https://v/1", "videohost")}));
  auto b = service_.Refer(
      Request("org-b", LegalRoute::kTcoRemovalOrder, {Item("https://v/1", "videohost")}));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->created.size(), 1u);
  EXPECT_NE(b->created[0], a->created[0]);
}

TEST_P(ServiceTest, DuplicateUrlsInOneRequestAreReferredOnce) {
  auto a =
      service_.Refer(Request("org-a", LegalRoute::kVoluntary,
                             {Item("https://v/1", "videohost"), Item("https://v/1", "videohost")}));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(service_.Get(a->created[0])->items.size(), 1u);
}

TEST_P(ServiceTest, FirstTcoOrderNeedsTwelveHoursNotice) {
  auto req = Request("org-a", LegalRoute::kTcoRemovalOrder, {Item("https://v/1", "videohost")});
  auto refused = service_.Refer(req);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("videohost"), std::string::npos);
  ASSERT_TRUE(service_.RecordPriorNotice("user:admin", "videohost", 0).ok());
  clock_.Advance(11 * kMsPerHour);
  EXPECT_EQ(service_.Refer(req).status().code(), StatusCode::kFailedPrecondition);
  clock_.Advance(kMsPerHour);
  auto ok = service_.Refer(req);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  auto r = service_.Get(ok->created[0]);
  ASSERT_TRUE(r->order.has_value());
  EXPECT_TRUE(r->order->first_order_to_platform);
  EXPECT_EQ(r->order->urls, std::vector<std::string>{"https://v/1"});
  EXPECT_EQ(r->order->addressee, "videohost Ltd");
  EXPECT_EQ(r->order->issued_ms, clock_.NowMs());
  // The second order to the platform needs no notice.
  auto second = service_.Refer(
      Request("org-a", LegalRoute::kTcoRemovalOrder, {Item("https://v/2", "videohost")}));
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(service_.Get(second->created[0])->order->first_order_to_platform);
}

TEST_P(ServiceTest, EmergencyOrderSkipsTheNotice) {
  auto req = Request("org-a", LegalRoute::kTcoRemovalOrder, {Item("https://v/1", "videohost")});
  req.order = Order(/*emergency=*/true);
  auto out = service_.Refer(req);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(service_.Get(out->created[0])->order->emergency);
}

TEST_P(ServiceTest, PrivateContentIsSplitOutOfTcoScope) {
  auto priv = Item("https://v/private-chat", "videohost");
  priv.public_dissemination = false;
  auto req = Request("org-a", LegalRoute::kTcoRemovalOrder,
                     {Item("https://v/1", "videohost"), priv, Item("https://n/1", "not-hosting")});
  req.order = Order(true);
  auto out = service_.Refer(req);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->items_out_of_tco_scope, 2);
  ASSERT_EQ(out->created.size(), 3u);
  int orders = 0, out_of_scope = 0;
  for (int64_t id : out->created) {
    auto r = service_.Get(id);
    if (r->order) {
      ++orders;
      EXPECT_EQ(r->route, LegalRoute::kTcoRemovalOrder);
      EXPECT_EQ(r->items.size(), 1u);
    } else {
      ++out_of_scope;
      EXPECT_TRUE(r->out_of_tco_scope);
      EXPECT_EQ(r->route, LegalRoute::kVoluntary);
    }
  }
  EXPECT_EQ(orders, 1);
  EXPECT_EQ(out_of_scope, 2);
}

TEST_P(ServiceTest, TcoClockRunsFromReceiptAndPausesOnClarification) {
  auto req = Request("org-a", LegalRoute::kTcoRemovalOrder, {Item("https://v/1", "videohost")});
  req.order = Order(true);
  int64_t id = service_.Refer(req)->created[0];
  EXPECT_FALSE(service_.OrderClock(id)->started);
  clock_.Advance(10 * kMin);  // queued for ten minutes: the hour has not started
  const int64_t received = clock_.NowMs();
  DeliverOne(id);
  EXPECT_EQ(*service_.OrderClock(id)->deadline_ms, received + kMsPerHour);

  clock_.Advance(20 * kMin);
  Feedback q;
  q.referral_id = id;
  q.kind = FeedbackKind::kClarificationRequest;
  q.reason = "which account?";
  ASSERT_TRUE(service_.ApplyFeedback("platform:videohost", "videohost", q).ok());
  EXPECT_EQ(service_.Get(id)->state, ReferralState::kClarificationRequested);
  clock_.Advance(3 * kMsPerHour);
  EXPECT_TRUE(service_.OrderClock(id)->paused);
  EXPECT_TRUE(service_.FlagOverdue("system")->empty());

  // Only an organisation named on the referral may answer.
  EXPECT_EQ(service_.ProvideClarification("user:x", "org-x", id, "n/a").code(),
            StatusCode::kNotFound);
  ASSERT_TRUE(service_.ProvideClarification("user:a", "org-a", id, "channel-1").ok());
  EXPECT_EQ(service_.Get(id)->state, ReferralState::kAcknowledged);
  const int64_t resumed = clock_.NowMs();
  EXPECT_EQ(*service_.OrderClock(id)->deadline_ms, resumed + kMsPerHour);  // kRestart
  EXPECT_EQ(service_.ProvideClarification("user:a", "org-a", id, "again").code(),
            StatusCode::kFailedPrecondition);

  clock_.Advance(kMsPerHour + 1);
  auto flagged = service_.FlagOverdue("system:clock");
  ASSERT_EQ(flagged->size(), 1u);
  EXPECT_EQ((*flagged)[0], id);
  EXPECT_TRUE(service_.FlagOverdue("system:clock")->empty());  // flagged once
  EXPECT_EQ(CountAudit("order.overdue"), 1);
  ASSERT_TRUE(Feed(id, FeedbackKind::kRemoved).ok());
  EXPECT_TRUE(service_.OrderClock(id)->overdue);  // removed, but late
}

TEST_P(ServiceTest, ForceMajeurePausesUntilResumed) {
  auto req = Request("org-a", LegalRoute::kTcoRemovalOrder, {Item("https://v/1", "videohost")});
  req.order = Order(true);
  int64_t id = service_.Refer(req)->created[0];
  DeliverOne(id);
  clock_.Advance(30 * kMin);
  ASSERT_TRUE(Feed(id, FeedbackKind::kCannotComply).ok());
  auto r = service_.Get(id);
  EXPECT_EQ(r->state, ReferralState::kCannotComply);
  ASSERT_EQ(r->order->pauses.size(), 1u);
  EXPECT_EQ(r->order->pauses[0].kind, PauseKind::kForceMajeure);
  clock_.Advance(5 * kMsPerHour);
  EXPECT_TRUE(service_.FlagOverdue("system")->empty());
  // Force majeure is not the issuer's to end.
  EXPECT_EQ(service_.ProvideClarification("user:a", "org-a", id, "?").code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(Feed(id, FeedbackKind::kResumed).ok());
  EXPECT_EQ(*service_.OrderClock(id)->deadline_ms, clock_.NowMs() + kMsPerHour);
  clock_.Advance(30 * kMin);
  ASSERT_TRUE(Feed(id, FeedbackKind::kRemoved).ok());
  auto clock = service_.OrderClock(id);
  EXPECT_TRUE(clock->complied);
  EXPECT_FALSE(clock->overdue);
}

TEST_P(ServiceTest, RemovalDuringAPauseEndsIt) {
  auto req = Request("org-a", LegalRoute::kTcoRemovalOrder, {Item("https://v/1", "videohost")});
  req.order = Order(true);
  int64_t id = service_.Refer(req)->created[0];
  DeliverOne(id);
  clock_.Advance(10 * kMin);
  ASSERT_TRUE(Feed(id, FeedbackKind::kCannotComply).ok());
  clock_.Advance(3 * kMsPerHour);
  ASSERT_TRUE(Feed(id, FeedbackKind::kRemoved).ok());
  auto r = service_.Get(id);
  EXPECT_NE(r->order->pauses[0].end_ms, 0);
  auto c = service_.OrderClock(id);
  EXPECT_TRUE(c->complied);
  EXPECT_FALSE(c->paused);
  EXPECT_FALSE(c->overdue);
  EXPECT_TRUE(service_.FlagOverdue("system")->empty());
}

TEST_P(ServiceTest, PauseRemainingPolicy) {
  ServiceOptions o;
  o.resume_policy = ResumePolicy::kPauseRemaining;
  ReferralService svc(env_->repo(), env_->audit(), &clock_, nullptr, o);
  auto req = Request("org-a", LegalRoute::kTcoRemovalOrder, {Item("https://v/1", "videohost")});
  req.order = Order(true);
  int64_t id = svc.Refer(req)->created[0];
  DeliveryReceipt rc;
  rc.channel = "email";
  ASSERT_TRUE(svc.RecordDelivery("system", id, rc).ok());
  clock_.Advance(45 * kMin);
  Feedback f;
  f.referral_id = id;
  f.kind = FeedbackKind::kClarificationRequest;
  ASSERT_TRUE(svc.ApplyFeedback("platform:videohost", "videohost", f).ok());
  clock_.Advance(2 * kMsPerHour);
  ASSERT_TRUE(svc.ProvideClarification("user:a", "org-a", id, "answer").ok());
  EXPECT_EQ(*svc.OrderClock(id)->deadline_ms, clock_.NowMs() + 15 * kMin);
}

TEST_P(ServiceTest, StateMachineRefusesIllegalFeedback) {
  int64_t id =
      service_.Refer(Request("org-a", LegalRoute::kVoluntary, {Item("https://v/1", "videohost")}))
          ->created[0];
  // Nothing was sent yet: no feedback can apply.
  EXPECT_EQ(Feed(id, FeedbackKind::kAcknowledged).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Feed(id, FeedbackKind::kRemoved).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(service_.Get(id)->state, ReferralState::kPending);
  DeliverOne(id);
  // Another platform cannot touch it, or even learn it exists.
  EXPECT_EQ(Feed(id, FeedbackKind::kRemoved, "filehost").code(), StatusCode::kNotFound);
  EXPECT_EQ(Feed(999, FeedbackKind::kRemoved).code(), StatusCode::kNotFound);
  ASSERT_TRUE(Feed(id, FeedbackKind::kAcknowledged).ok());
  ASSERT_TRUE(Feed(id, FeedbackKind::kAcknowledged).ok());  // a retried callback
  EXPECT_EQ(Feed(id, FeedbackKind::kResumed).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(Feed(id, FeedbackKind::kRejected).ok());
  EXPECT_EQ(service_.Get(id)->last_reason, "not in breach");
  EXPECT_EQ(Feed(id, FeedbackKind::kRemoved).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(service_.Withdraw("user:a", "org-a", id, "x").code(), StatusCode::kFailedPrecondition);
  auto r = service_.Get(id);
  EXPECT_EQ(r->state, ReferralState::kRejected);
  // history: created, delivered, acknowledged, rejected
  ASSERT_EQ(r->history.size(), 4u);
  EXPECT_EQ(r->history[3].actor, "platform:videohost");
  EXPECT_EQ(r->history[3].to, ReferralState::kRejected);
}

TEST_P(ServiceTest, EveryStateChangeIsAudited) {
  int64_t id =
      service_.Refer(Request("org-a", LegalRoute::kVoluntary, {Item("https://v/1", "videohost")}))
          ->created[0];
  DeliverOne(id);
  ASSERT_TRUE(Feed(id, FeedbackKind::kAcknowledged).ok());
  ASSERT_TRUE(Feed(id, FeedbackKind::kGeoBlocked).ok());
  ASSERT_TRUE(Feed(id, FeedbackKind::kRemoved).ok());
  ASSERT_TRUE(service_.Reinstate("user:admin", id, "complaint upheld").ok());
  std::vector<std::pair<std::string, std::string>> moves;
  for (const auto& e : env_->Events()) {
    EXPECT_FALSE(e.actor.empty());
    EXPECT_EQ(e.target, "referral:" + std::to_string(id));
    if (e.action == "referral.state") moves.emplace_back(e.before, e.after);
  }
  std::vector<std::pair<std::string, std::string>> want = {{"pending", "delivered"},
                                                           {"delivered", "acknowledged"},
                                                           {"acknowledged", "geo_blocked"},
                                                           {"geo_blocked", "removed"},
                                                           {"removed", "reinstated"}};
  EXPECT_EQ(moves, want);
  EXPECT_EQ(service_.Get(id)->history.size(), 6u);
}

TEST_P(ServiceTest, PartialRemoval) {
  int64_t id =
      service_
          .Refer(Request("org-a", LegalRoute::kVoluntary,
                         {Item("https://v/1", "videohost"), Item("https://v/2", "videohost")}))
          ->created[0];
  DeliverOne(id);
  Feedback f;
  f.referral_id = id;
  f.kind = FeedbackKind::kRemoved;
  f.urls = {"https://v/1"};
  ASSERT_TRUE(service_.ApplyFeedback("platform:videohost", "videohost", f).ok());
  EXPECT_EQ(service_.Get(id)->state, ReferralState::kAcknowledged);
  f.urls = {"https://v/not-in-it"};
  EXPECT_EQ(service_.ApplyFeedback("platform:videohost", "videohost", f).code(),
            StatusCode::kInvalidArgument);
  f.urls = {"https://v/2"};
  ASSERT_TRUE(service_.ApplyFeedback("platform:videohost", "videohost", f).ok());
  EXPECT_EQ(service_.Get(id)->state, ReferralState::kRemoved);
}

TEST_P(ServiceTest, DeliveryFailureAndRetry) {
  int64_t id =
      service_.Refer(Request("org-a", LegalRoute::kVoluntary, {Item("https://v/1", "videohost")}))
          ->created[0];
  EXPECT_EQ(service_.RetryDelivery("user:op", id).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(service_.RecordDeliveryFailure("system:dispatcher", id, "503 x5").ok());
  EXPECT_TRUE(service_.PendingDeliveries(0)->empty());
  ASSERT_TRUE(service_.RetryDelivery("user:op", id).ok());
  EXPECT_EQ(service_.PendingDeliveries(0)->size(), 1u);
  DeliverOne(id);
  EXPECT_EQ(service_.Get(id)->receipts.size(), 1u);
  EXPECT_EQ(service_.Get(id)->receipts[0].idempotency_key, service_.Get(id)->idempotency_key);
}

TEST_P(ServiceTest, PullApiDeliversOnce) {
  (void)service_.Refer(
      Request("org-a", LegalRoute::kVoluntary,
              {Item("https://v/1", "videohost"), Item("https://f/1", "filehost")}));
  auto pulled = service_.PullForPlatform("videohost", "account:trust-and-safety", 10);
  ASSERT_TRUE(pulled.ok());
  ASSERT_EQ(pulled->size(), 1u);
  EXPECT_EQ((*pulled)[0].state, ReferralState::kDelivered);
  EXPECT_EQ((*pulled)[0].receipts[0].channel, "pull");
  EXPECT_TRUE(service_.PullForPlatform("videohost", "account:trust-and-safety", 10)->empty());
  EXPECT_EQ(service_.PendingDeliveries(0)->size(), 1u);  // filehost's is still waiting
}

TEST_P(ServiceTest, HoldBlocksReferralAndTellsOnlyTheHolder) {
  Hold h;
  h.org = "org-investigator";
  h.kind = HoldKind::kUrl;
  h.value = "https://v/1";
  h.note = "operation nightjar";
  auto placed = service_.PlaceHold("user:inv", h);
  ASSERT_TRUE(placed.ok());
  auto out =
      service_.Refer(Request("org-a", LegalRoute::kVoluntary,
                             {Item("https://v/1", "videohost"), Item("https://v/2", "videohost")}));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->items_held, 1);
  EXPECT_EQ(out->items_new, 1);
  ASSERT_EQ(out->created.size(), 2u);
  int64_t held_id = 0;
  for (int64_t id : out->created) {
    if (service_.Get(id)->state == ReferralState::kHeld) held_id = id;
  }
  ASSERT_NE(held_id, 0);
  // Only the unblocked one is sent.
  auto pending = service_.PendingDeliveries(0);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ(pending->front().items[0].url, "https://v/2");
  // The holder was told, with the referral and the referring organisation.
  ASSERT_EQ(notifier_.hits.size(), 1u);
  EXPECT_EQ(notifier_.hits[0].holder_org, "org-investigator");
  EXPECT_EQ(notifier_.hits[0].referring_org, "org-a");
  EXPECT_EQ(notifier_.hits[0].referral_id, held_id);
  // The referring organisation sees "held" and nothing about who or why.
  auto view = service_.ViewFor("org-a", held_id);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->state, ReferralState::kHeld);
  EXPECT_TRUE(view->hold_ids.empty());
  EXPECT_EQ(service_.ListHolds("org-a")->size(), 0u);
  EXPECT_EQ(service_.ReleaseHold("user:a", "org-a", placed->id).code(), StatusCode::kNotFound);
  for (const auto& e : env_->Events()) {
    EXPECT_EQ(e.details.find("nightjar"), std::string::npos);
  }
  // The holder releases it: the referral goes out.
  ASSERT_TRUE(service_.ReleaseHold("user:inv", "org-investigator", placed->id).ok());
  EXPECT_EQ(service_.Get(held_id)->state, ReferralState::kPending);
  EXPECT_EQ(service_.PendingDeliveries(0)->size(), 2u);
  EXPECT_EQ(service_.ReleaseHold("user:inv", "org-investigator", placed->id).code(),
            StatusCode::kFailedPrecondition);
}

TEST_P(ServiceTest, HoldOnAccountAndHashAndExpiry) {
  Hold acc;
  acc.org = "org-inv";
  acc.kind = HoldKind::kAccount;
  acc.value = "channel-1";
  acc.platform_id = "filehost";
  ASSERT_TRUE(service_.PlaceHold("user:inv", acc).ok());
  Hold hash;
  hash.org = "org-inv";
  hash.kind = HoldKind::kHash;
  hash.value = "ff00";
  hash.expires_ms = clock_.NowMs() + kMsPerHour;
  ASSERT_TRUE(service_.PlaceHold("user:inv", hash).ok());
  auto out = service_.Refer(Request("org-a", LegalRoute::kVoluntary,
                                    {Item("https://v/1", "videohost"),             // other platform
                                     Item("https://f/1", "filehost"),              // account hold
                                     Item("https://v/3", "videohost", "ff00")}));  // hash hold
  EXPECT_EQ(out->items_held, 2);
  clock_.Advance(2 * kMsPerHour);  // the hash hold has expired
  auto later = service_.Refer(
      Request("org-a", LegalRoute::kVoluntary, {Item("https://v/4", "videohost", "ff00")}));
  EXPECT_EQ(later->items_held, 0);
}

TEST_P(ServiceTest, HoldPlacedLaterStopsAPendingReferral) {
  int64_t id =
      service_.Refer(Request("org-a", LegalRoute::kVoluntary, {Item("https://v/1", "videohost")}))
          ->created[0];
  Hold h;
  h.org = "org-inv";
  h.value = "https://v/1";
  auto placed = service_.PlaceHold("user:inv", h);
  ASSERT_TRUE(placed.ok());
  EXPECT_EQ(service_.Get(id)->state, ReferralState::kHeld);
  ASSERT_EQ(notifier_.hits.size(), 1u);
  EXPECT_EQ(notifier_.hits[0].referral_id, id);
  // A second agency referring the same URL joins the held referral; the holder hears again.
  auto b =
      service_.Refer(Request("org-b", LegalRoute::kVoluntary, {Item("https://v/1", "videohost")}));
  EXPECT_EQ(b->items_held, 1);
  EXPECT_TRUE(b->created.empty());
  EXPECT_EQ(notifier_.hits.size(), 2u);
  EXPECT_EQ(service_.Get(id)->organisations, (std::vector<std::string>{"org-a", "org-b"}));
  ASSERT_TRUE(service_.ReleaseHold("user:inv", "org-inv", placed->id).ok());
  EXPECT_EQ(service_.Get(id)->state, ReferralState::kPending);
}

TEST_P(ServiceTest, ViewForHidesOtherAgenciesDetails) {
  auto a = service_.Refer(
      Request("org-a", LegalRoute::kVoluntary, {Item("https://v/1", "videohost", "aa")}));
  auto item_b = Item("https://v/2", "videohost", "aa");
  item_b.reason = "org-b internal reason";
  item_b.evidence_ref = "org-b:evidence:9";
  (void)service_.Refer(Request("org-b", LegalRoute::kVoluntary, {item_b}));
  auto view = service_.ViewFor("org-a", a->created[0]);
  ASSERT_EQ(view->items.size(), 2u);
  EXPECT_TRUE(view->items[1].reason.empty());
  EXPECT_TRUE(view->items[1].evidence_ref.empty());
  EXPECT_EQ(view->items[0].reason, "synthetic test item");
  EXPECT_EQ(service_.ViewFor("org-z", a->created[0]).status().code(), StatusCode::kNotFound);
}

TEST_P(ServiceTest, RechecksUntilGoneThenVerifiedRemoved) {
  int64_t id =
      service_
          .Refer(Request("org-a", LegalRoute::kVoluntary,
                         {Item("https://v/1", "videohost"), Item("https://v/2", "videohost")}))
          ->created[0];
  ScriptedProber prober;
  prober.status = {{"https://v/1", 200}, {"https://v/2", 200}};
  EXPECT_EQ(service_.RunDueRechecks(prober, 0)->checked, 0);  // not delivered: nothing due
  DeliverOne(id);
  EXPECT_EQ(service_.RunDueRechecks(prober, 0)->checked, 0);  // first check after an hour
  clock_.Advance(kMsPerHour);
  auto s1 = service_.RunDueRechecks(prober, 0);
  EXPECT_EQ(s1->checked, 2);
  EXPECT_EQ(s1->live, 2);
  prober.status["https://v/1"] = 404;
  clock_.Advance(2 * kMsPerHour);  // next look backs off to 2h
  auto s2 = service_.RunDueRechecks(prober, 0);
  EXPECT_EQ(s2->gone, 1);
  EXPECT_EQ(service_.Get(id)->state, ReferralState::kDelivered);
  prober.status.erase("https://v/2");  // a transport error: unknown, retried
  clock_.Advance(4 * kMsPerHour);
  auto s3 = service_.RunDueRechecks(prober, 0);
  EXPECT_EQ(s3->errors, 1);
  EXPECT_EQ(s3->checked, 1);  // v/1 is gone: no longer checked
  prober.status["https://v/2"] = 200;
  prober.removal_page["https://v/2"] = true;
  clock_.Advance(8 * kMsPerHour);
  auto s4 = service_.RunDueRechecks(prober, 0);
  ASSERT_EQ(s4->verified_removed.size(), 1u);
  auto r = service_.Get(id);
  EXPECT_EQ(r->state, ReferralState::kRemoved);
  EXPECT_NE(r->removal_verified_ms, 0);
  EXPECT_EQ(r->items[0].checks.size(), 2u);
  EXPECT_EQ(r->items[1].checks.size(), 4u);
  EXPECT_EQ(r->history.back().actor, "system:recheck");
  clock_.Advance(24 * kMsPerHour);
  EXPECT_EQ(service_.RunDueRechecks(prober, 0)->checked, 0);
}

TEST_P(ServiceTest, RecheckIntervalIsCapped) {
  ServiceOptions o;
  o.recheck_first_delay_ms = kMsPerHour;
  o.recheck_max_interval_ms = 4 * kMsPerHour;
  o.recheck_max_checks = 5;
  ReferralService svc(env_->repo(), env_->audit(), &clock_, nullptr, o);
  ReferRequest req = Request("org-a", LegalRoute::kVoluntary, {Item("https://v/1", "videohost")});
  int64_t id = svc.Refer(req)->created[0];
  ASSERT_TRUE(svc.RecordDelivery("system", id, DeliveryReceipt{}).ok());
  ScriptedProber prober;
  prober.status = {{"https://v/1", 200}};
  for (int i = 0; i < 10; ++i) {
    clock_.Advance(4 * kMsPerHour);
    ASSERT_TRUE(svc.RunDueRechecks(prober, 0).ok());
  }
  EXPECT_EQ(prober.calls, 5);  // gave up after recheck_max_checks
  EXPECT_EQ(svc.Get(id)->items[0].next_check_ms, 0);
}

INSTANTIATE_TEST_SUITE_P(Repositories, ServiceTest,
                         ::testing::ValuesIn(testing::ServiceTestBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace vigil::workflow
