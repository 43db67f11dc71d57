// ReferralService::Reverse (reversal.h) over every repository with banks
// (reversal_test_env.h): bank marks, referral moves, notices, delivery bookkeeping, audit,
// and that reversed content is never referred again.
#include "workflow/reversal.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "workflow/reversal_test_env.h"
#include "workflow/service.h"

namespace vigil::workflow {
namespace {

const std::string kSha(64, 'a');
const std::string kSha2(64, 'b');
const std::string kPdq = std::string(32, 'c') + std::string(32, '0');
const std::string kOtherSha(64, 'e');

ConfirmedItem Item(std::string url, std::string platform, std::string sha, std::string pdq = "") {
  ConfirmedItem c;
  c.url = std::move(url);
  c.platform_id = std::move(platform);
  c.captured_ms = 1'767'000'000'000;
  c.sha256 = std::move(sha);
  c.pdq = std::move(pdq);
  c.labels = {"content_type:video"};
  c.reason = "synthetic test item";
  return c;
}

class ReversalTest : public ::testing::TestWithParam<testing::ReversalTestBackend> {
 protected:
  ReversalTest()
      : env_(GetParam().make()),
        svc_(std::make_unique<ReferralService>(env_->repo(), env_->audit(), &clock_, nullptr)) {}

  // A referral of `items` to `platform` by org-a, delivered; nullopt feedback: left there.
  int64_t Referred(std::vector<ConfirmedItem> items, std::optional<FeedbackKind> kind,
                   bool deliver = true) {
    ReferRequest r;
    r.actor = "user:alice";
    r.org = "org-a";
    r.items = std::move(items);
    auto out = svc_->Refer(r);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    if (!out.ok() || out->created.empty()) return 0;
    const int64_t id = out->created[0];
    if (!deliver) return id;
    DeliveryReceipt rc;
    rc.channel = "webhook";
    rc.status_code = 200;
    EXPECT_TRUE(svc_->RecordDelivery("system:dispatcher", id, rc).ok());
    if (kind) {
      Feedback f;
      f.referral_id = id;
      f.kind = *kind;
      if (*kind == FeedbackKind::kRejected) f.reason = "not in breach";
      auto ref = svc_->Get(id);
      Status s = svc_->ApplyFeedback("platform:x", ref->platform_id, f);
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
    return id;
  }

  ReferralState StateOf(int64_t id) { return svc_->Get(id)->state; }

  int CountAudit(std::string_view action) {
    int n = 0;
    for (const auto& e : env_->Events()) n += e.action == action;
    return n;
  }

  ReversalRequest ByReferral(int64_t id) {
    ReversalRequest q;
    q.actor = "user:supervisor";
    q.reason = "complaint upheld by the test court";
    q.referral_id = id;
    return q;
  }

  FakeClock clock_;
  std::unique_ptr<testing::ReversalTestEnv> env_;
  std::unique_ptr<ReferralService> svc_;
};

TEST_P(ReversalTest, ReferralReversalMarksBanksMovesReferralsAndQueuesNotices) {
  env_->AddBankSignal("bank-one", {"sha256", kSha});
  env_->AddBankSignal("bank-one", {"pdq", kPdq});
  env_->AddBankSignal("bank-two", {"sha256", kSha});
  env_->AddBankSignal("bank-two", {"sha256", kOtherSha});
  const int64_t v1 = env_->BankVersion("bank-one");
  const int64_t v2 = env_->BankVersion("bank-two");

  const int64_t removed =
      Referred({Item("https://a.example/1", "alpha", kSha, kPdq)}, FeedbackKind::kRemoved);
  const int64_t geo =
      Referred({Item("https://b.example/1", "beta", kSha)}, FeedbackKind::kGeoBlocked);
  const int64_t ack =
      Referred({Item("https://d.example/1", "delta", kSha)}, FeedbackKind::kAcknowledged);
  const int64_t rejected =
      Referred({Item("https://c.example/1", "gamma", kSha)}, FeedbackKind::kRejected);
  const int64_t pending = Referred({Item("https://e.example/1", "epsilon", kSha)}, std::nullopt,
                                   /*deliver=*/false);
  const int64_t other =
      Referred({Item("https://f.example/1", "zeta", kOtherSha)}, FeedbackKind::kRemoved);
  clock_.Advance(kMsPerHour);

  auto out = svc_->Reverse(ByReferral(removed));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_GT(out->reversal_id, 0);
  // sha256 and pdq of the item, in both banks that hold them.
  EXPECT_EQ(out->content.size(), 2u);
  EXPECT_EQ(out->signals.size(), 3u);
  EXPECT_EQ(env_->ReversedMs("bank-one", {"sha256", kSha}), clock_.NowMs());
  EXPECT_EQ(env_->ReversedMs("bank-one", {"pdq", kPdq}), clock_.NowMs());
  EXPECT_EQ(env_->ReversedMs("bank-two", {"sha256", kSha}), clock_.NowMs());
  EXPECT_EQ(env_->ReversedMs("bank-two", {"sha256", kOtherSha}), 0);
  EXPECT_GT(env_->BankVersion("bank-one"), v1);
  EXPECT_GT(env_->BankVersion("bank-two"), v2);

  EXPECT_EQ(StateOf(removed), ReferralState::kReinstated);
  EXPECT_EQ(StateOf(geo), ReferralState::kWithdrawn);
  EXPECT_EQ(StateOf(ack), ReferralState::kWithdrawn);
  EXPECT_EQ(StateOf(rejected), ReferralState::kRejected);
  EXPECT_EQ(StateOf(pending), ReferralState::kWithdrawn);
  EXPECT_EQ(StateOf(other), ReferralState::kRemoved);
  EXPECT_EQ(out->reinstated, std::vector<int64_t>{removed});
  EXPECT_EQ(out->referrals_notified, (std::vector<int64_t>{removed, geo, ack}));

  // One notice per platform that acted; none for the one that rejected or never got it.
  auto notices = svc_->PendingReversalNotices(0);
  ASSERT_TRUE(notices.ok());
  ASSERT_EQ(notices->size(), 3u);
  std::vector<std::string> platforms, keys;
  for (const auto& n : *notices) {
    platforms.push_back(n.platform_id);
    keys.push_back(n.idempotency_key);
    EXPECT_EQ(n.state, NoticeState::kPending);
    EXPECT_EQ(n.reversal_id, out->reversal_id);
    EXPECT_EQ(n.reason, "complaint upheld by the test court");
    ASSERT_EQ(n.items.size(), 1u);
    EXPECT_EQ(n.items[0].sha256, kSha);
  }
  EXPECT_EQ(platforms, (std::vector<std::string>{"alpha", "beta", "delta"}));
  EXPECT_EQ((*notices)[0].action, ReferralState::kRemoved);
  EXPECT_EQ((*notices)[0].referral_state, ReferralState::kReinstated);
  EXPECT_EQ((*notices)[1].action, ReferralState::kGeoBlocked);
  EXPECT_EQ((*notices)[2].action, ReferralState::kAcknowledged);
  auto referral = svc_->Get(removed);
  EXPECT_EQ(keys[0], referral->idempotency_key + "-reversal-" + std::to_string(out->reversal_id));
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(std::unique(keys.begin(), keys.end()), keys.end());

  // Audited: the reversal, each bank mark, each state change, each notice.
  EXPECT_EQ(CountAudit("reversal.create"), 1);
  EXPECT_EQ(CountAudit("signal.reverse"), 3);
  EXPECT_EQ(CountAudit("reversal.notice"), 3);

  // The reversed hash is never referred again (here: the same sha256 on a new URL).
  ReferRequest again;
  again.actor = "user:bob";
  again.org = "org-b";
  again.items = {Item("https://g.example/2", "alpha", kSha)};
  auto refused = svc_->Refer(again);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  again.items = {Item("https://g.example/3", "alpha", "", kPdq)};
  EXPECT_EQ(svc_->Refer(again).status().code(), StatusCode::kFailedPrecondition);
  again.items = {Item("https://g.example/4", "alpha", kSha2)};
  EXPECT_TRUE(svc_->Refer(again).ok());

  // Reversing again changes nothing more.
  auto twice = svc_->Reverse(ByReferral(removed));
  ASSERT_TRUE(twice.ok()) << twice.status().ToString();
  EXPECT_TRUE(twice->signals.empty());
  EXPECT_TRUE(twice->notices.empty());
  EXPECT_EQ(svc_->PendingReversalNotices(0)->size(), 3u);
}

TEST_P(ReversalTest, BankSignalReversalMarksOnlyThatBank) {
  env_->AddBankSignal("bank-one", {"sha256", kSha});
  env_->AddBankSignal("bank-two", {"sha256", kSha});
  const int64_t removed =
      Referred({Item("https://a.example/1", "alpha", kSha)}, FeedbackKind::kRemoved);
  ReversalRequest q;
  q.actor = "user:maintainer";
  q.reason = "false positive confirmed on appeal";
  q.bank = "bank-one";
  q.signal = {"sha256", kSha};
  auto out = svc_->Reverse(q);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->signals.size(), 1u);
  EXPECT_EQ(out->signals[0].bank, "bank-one");
  EXPECT_GT(env_->ReversedMs("bank-one", {"sha256", kSha}), 0);
  EXPECT_EQ(env_->ReversedMs("bank-two", {"sha256", kSha}), 0);
  EXPECT_EQ(StateOf(removed), ReferralState::kReinstated);
  EXPECT_EQ(out->notices.size(), 1u);

  q.bank = "no-such-bank";
  EXPECT_EQ(svc_->Reverse(q).status().code(), StatusCode::kNotFound);
  q.bank = "bank-one";
  q.signal = {"sha256", kSha2};
  EXPECT_EQ(svc_->Reverse(q).status().code(), StatusCode::kNotFound);
}

TEST_P(ReversalTest, OneItemOfAReferral) {
  const int64_t id = Referred(
      {Item("https://a.example/1", "alpha", kSha), Item("https://a.example/2", "alpha", kSha2)},
      FeedbackKind::kRemoved);
  ReversalRequest q = ByReferral(id);
  q.item_url = "https://a.example/1";
  auto out = svc_->Reverse(q);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  // The other item stays removed: the referral does not move; the notice names one URL.
  EXPECT_EQ(StateOf(id), ReferralState::kRemoved);
  auto notices = svc_->ReversalNoticesFor(id);
  ASSERT_EQ(notices->size(), 1u);
  ASSERT_EQ((*notices)[0].items.size(), 1u);
  EXPECT_EQ((*notices)[0].items[0].url, "https://a.example/1");
  EXPECT_EQ(CountAudit("referral.reverse"), 1);

  q.item_url = "https://a.example/2";
  ASSERT_TRUE(svc_->Reverse(q).ok());
  EXPECT_EQ(StateOf(id), ReferralState::kReinstated);
  EXPECT_EQ(svc_->ReversalNoticesFor(id)->size(), 2u);

  q.item_url = "https://a.example/none";
  EXPECT_EQ(svc_->Reverse(q).status().code(), StatusCode::kNotFound);
}

TEST_P(ReversalTest, PendingReferralLosesOnlyTheReversedItem) {
  const int64_t id = Referred(
      {Item("https://a.example/1", "alpha", kSha), Item("https://a.example/2", "alpha", kSha2)},
      std::nullopt, /*deliver=*/false);
  const int64_t other = Referred({Item("https://b.example/1", "beta", kSha)}, std::nullopt,
                                 /*deliver=*/false);
  ReversalRequest q = ByReferral(other);
  ASSERT_TRUE(svc_->Reverse(q).ok());
  auto r = svc_->Get(id);
  EXPECT_EQ(r->state, ReferralState::kPending);
  ASSERT_EQ(r->items.size(), 1u);
  EXPECT_EQ(r->items[0].url, "https://a.example/2");
  EXPECT_EQ(StateOf(other), ReferralState::kWithdrawn);
  EXPECT_TRUE(svc_->PendingReversalNotices(0)->empty());
}

TEST_P(ReversalTest, DeliveryAttemptsAndPull) {
  env_->AddBankSignal("bank-one", {"sha256", kSha});
  const int64_t a = Referred({Item("https://a.example/1", "alpha", kSha)}, FeedbackKind::kRemoved);
  const int64_t b = Referred({Item("https://b.example/1", "beta", kSha)}, FeedbackKind::kRemoved);
  auto out = svc_->Reverse(ByReferral(a));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->notices.size(), 2u);
  const int64_t na = out->notices[0];

  DeliveryReceipt fail;
  fail.channel = "webhook";
  fail.attempts = 6;
  fail.detail = "503 from the platform";
  ASSERT_TRUE(svc_->RecordReversalAttempt("system:dispatcher", na, fail, false).ok());
  DeliveryReceipt ok;
  ok.channel = "webhook";
  ok.attempts = 1;
  ok.status_code = 200;
  ASSERT_TRUE(svc_->RecordReversalAttempt("system:dispatcher", na, ok, true).ok());
  EXPECT_EQ(svc_->RecordReversalAttempt("system:dispatcher", na, ok, true).code(),
            StatusCode::kFailedPrecondition);
  auto notices = svc_->ReversalNoticesFor(a);
  ASSERT_EQ(notices->size(), 1u);
  EXPECT_EQ((*notices)[0].state, NoticeState::kDelivered);
  ASSERT_EQ((*notices)[0].attempts.size(), 2u);
  EXPECT_EQ((*notices)[0].attempts[0].delivered_ms, 0);
  EXPECT_EQ((*notices)[0].attempts[1].idempotency_key, (*notices)[0].idempotency_key);

  auto pulled = svc_->PullReversalsForPlatform("beta", "user:liaison", 10);
  ASSERT_TRUE(pulled.ok());
  ASSERT_EQ(pulled->size(), 1u);
  EXPECT_EQ((*pulled)[0].referral_id, b);
  EXPECT_EQ((*pulled)[0].state, NoticeState::kDelivered);
  EXPECT_TRUE(svc_->PendingReversalNotices(0)->empty());
  EXPECT_TRUE(svc_->PullReversalsForPlatform("beta", "user:liaison", 10)->empty());
  EXPECT_EQ(CountAudit("reversal.deliver"), 2);
  EXPECT_EQ(CountAudit("reversal.delivery_failed"), 1);
}

TEST_P(ReversalTest, BadRequests) {
  ReversalRequest q;
  q.actor = "user:x";
  q.reason = "r";
  EXPECT_EQ(svc_->Reverse(q).status().code(), StatusCode::kInvalidArgument);
  q.referral_id = 999;
  EXPECT_EQ(svc_->Reverse(q).status().code(), StatusCode::kNotFound);
  q.bank = "bank";
  EXPECT_EQ(svc_->Reverse(q).status().code(), StatusCode::kInvalidArgument);
  q = ByReferral(1);
  q.reason.clear();
  EXPECT_EQ(svc_->Reverse(q).status().code(), StatusCode::kInvalidArgument);
}

TEST(ReversalNotice, JsonRoundTripAndRendering) {
  ReversalNotice n;
  n.id = 7;
  n.reversal_id = 3;
  n.referral_id = 12;
  n.platform_id = "alpha";
  n.idempotency_key = "vigil-referral-12-reversal-3";
  n.reason = "complaint upheld";
  n.action = ReferralState::kGeoBlocked;
  n.referral_state = ReferralState::kWithdrawn;
  n.items = {{"https://a.example/1", kSha, kPdq}};
  n.state = NoticeState::kDeliveryFailed;
  DeliveryReceipt d;
  d.channel = "email";
  d.detail = "421 try later";
  n.attempts = {d};
  auto back = ReversalNoticeFromJson(ReversalNoticeToJson(n));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ReversalNoticeToJson(*back), ReversalNoticeToJson(n));

  const std::string j = RenderReversalJson(n, {"Test Unit", "https://unit.example/cb"});
  EXPECT_NE(j.find(R"("type":"vigil.reversal")"), std::string::npos);
  EXPECT_NE(j.find(R"("action_reversed":"geo_blocked")"), std::string::npos);
  EXPECT_NE(j.find(n.idempotency_key), std::string::npos);
  EmailNotice e = RenderReversalEmail(n, {"Test Unit", ""});
  EXPECT_NE(e.subject.find("Reversal of referral 12"), std::string::npos);
  EXPECT_NE(e.body.find("https://a.example/1"), std::string::npos);
  EXPECT_FALSE(ReversalNoticeFromJson("[]").ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, ReversalTest,
                         ::testing::ValuesIn(testing::ReversalTestBackends()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace vigil::workflow
