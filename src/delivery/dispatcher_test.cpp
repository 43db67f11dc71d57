// End to end on loopback: refer, dispatch to a webhook receiver and an SMTP sink, take
// signed platform callbacks, and check the trail.
#include "delivery/dispatcher.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "delivery/test_servers.h"

namespace vigil::delivery {
namespace {

using workflow::FeedbackKind;
using workflow::ReferralState;

const std::string kSecret = "platform-shared-secret-0123";

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.Set(std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count());
    auto sink = testing::SmtpSink::Start(std::string(VIGIL_BINARY_DIR) + "/smtp-sink-dispatch");
    ASSERT_TRUE(sink.ok()) << sink.status().ToString();
    sink_ = std::move(sink).value();
    ASSERT_TRUE(directory_.Add({"videohost", Channel::kWebhook, hook_.url(), "", kSecret}).ok());
    ASSERT_TRUE(directory_
                    .Add({"filehost", Channel::kEmail, "", "abuse@filehost.example",
                          "filehost-secret-0123456"})
                    .ok());
    ASSERT_TRUE(directory_.Add({"bighost", Channel::kPull, "", "", kSecret}).ok());
    SmtpOptions so;
    so.port = static_cast<uint16_t>(sink_->port());
    smtp_ = std::make_unique<SmtpClient>(so);
    WebhookOptions wo;
    wo.sleep = [](std::chrono::milliseconds) {};
    wo.max_attempts = 3;
    webhook_ = std::make_unique<WebhookClient>(wo);
  }

  workflow::ConfirmedItem Item(std::string url, std::string platform) {
    workflow::ConfirmedItem c;
    c.url = std::move(url);
    c.platform_id = std::move(platform);
    c.sha256 = std::string(64, 'c');
    c.labels = {"content_type:image"};
    c.reason = "synthetic test content";
    c.evidence_ref = "evidence:1";
    return c;
  }

  std::string Signed(const workflow::Feedback& f, std::string* header, int64_t skew_s = 0) {
    std::string body = workflow::FeedbackToJson(f);
    *header = SignPayload(kSecret, clock_.NowMs() / 1000 + skew_s, body);
    return body;
  }

  workflow::FakeClock clock_;
  workflow::MemoryReferralRepository repo_;
  workflow::MemoryAuditSink audit_;
  workflow::ReferralService service_{&repo_, &audit_, &clock_, nullptr};
  testing::TestWebhookServer hook_{kSecret};
  std::unique_ptr<testing::SmtpSink> sink_;
  DeliveryDirectory directory_;
  std::unique_ptr<SmtpClient> smtp_;
  std::unique_ptr<WebhookClient> webhook_;
};

TEST_F(DispatcherTest, FromReferralToRemoved) {
  workflow::ReferRequest req;
  req.actor = "user:alice";
  req.org = "org-a";
  req.items = {Item("https://v.example/1", "videohost"), Item("https://f.example/1", "filehost"),
               Item("https://b.example/1", "bighost"), Item("https://w.example/1", "formhost")};
  auto out = service_.Refer(req);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->created.size(), 4u);

  DispatchOptions opt;
  opt.render.sender = "Test IRU";
  opt.render.callback_url = "https://vigil.test/api/v1/platform-feedback";
  Dispatcher dispatcher(&service_, &directory_, webhook_.get(), smtp_.get(), opt);
  auto sum = dispatcher.DeliverPending();
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  EXPECT_EQ(sum->delivered, 2);
  EXPECT_EQ(sum->waiting_pull, 1);
  EXPECT_EQ(sum->waiting_manual, 1);
  EXPECT_EQ(sum->failed, 0);

  // The webhook got a signed JSON notice; the mailbox got the e-mail.
  auto hooks = hook_.received();
  ASSERT_EQ(hooks.size(), 1u);
  EXPECT_TRUE(hooks[0].signature_ok);
  auto notice = boost::json::parse(hooks[0].body).as_object();
  const int64_t video_id = notice.at("referral_id").as_int64();
  EXPECT_EQ(notice.at("platform").as_string(), "videohost");
  EXPECT_EQ(hooks[0].idempotency_key, notice.at("idempotency_key").as_string());
  auto mails = sink_->Messages(1);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_NE(mails[0].find("X-Envelope-To: abuse@filehost.example"), std::string::npos);
  EXPECT_NE(mails[0].find("https://f.example/1"), std::string::npos);

  auto video = service_.Get(video_id);
  EXPECT_EQ(video->state, ReferralState::kDelivered);
  EXPECT_EQ(video->receipts[0].remote_reference, "R-1");
  // Pull: the platform's account fetches it.
  auto pulled = service_.PullForPlatform("bighost", "account:bighost-tns", 10);
  ASSERT_EQ(pulled->size(), 1u);
  // Nothing is sent twice.
  auto again = dispatcher.DeliverPending();
  EXPECT_EQ(again->delivered, 0);
  EXPECT_EQ(hook_.count(), 1);

  // Signed callbacks move the state machine.
  CallbackHandler cb(&service_, &directory_);
  workflow::Feedback ack;
  ack.referral_id = video_id;
  ack.kind = FeedbackKind::kAcknowledged;
  ack.platform_reference = "VH-77";
  std::string h;
  std::string body = Signed(ack, &h);
  ASSERT_TRUE(cb.Handle("videohost", h, body).ok());
  EXPECT_EQ(cb.Handle("videohost", h, body).code(), StatusCode::kUnauthenticated);  // replay
  EXPECT_EQ(service_.Get(video_id)->platform_reference, "VH-77");

  workflow::Feedback removed;
  removed.referral_id = video_id;
  removed.kind = FeedbackKind::kRemoved;
  body = Signed(removed, &h);
  EXPECT_EQ(cb.Handle("videohost", h, body + " ").code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(cb.Handle("filehost", h, body).code(), StatusCode::kUnauthenticated);  // its own secret
  std::string stale_h;
  std::string stale = Signed(removed, &stale_h, -3600);
  EXPECT_EQ(cb.Handle("videohost", stale_h, stale).code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(cb.Handle("unknown", h, body).code(), StatusCode::kUnauthenticated);
  body = Signed(removed, &h, 1);
  ASSERT_TRUE(cb.Handle("videohost", h, body).ok());
  EXPECT_EQ(service_.Get(video_id)->state, ReferralState::kRemoved);

  // A platform cannot touch another platform's referral even with a valid signature.
  workflow::Feedback foreign;
  foreign.referral_id = pulled->front().id;
  foreign.kind = FeedbackKind::kRemoved;
  body = Signed(foreign, &h, 2);
  EXPECT_EQ(cb.Handle("videohost", h, body).code(), StatusCode::kNotFound);
  // Malformed feedback with a valid signature.
  body = R"({"referral_id":1,"status":"exploded"})";
  h = SignPayload(kSecret, clock_.NowMs() / 1000 + 3, body);
  EXPECT_EQ(cb.Handle("videohost", h, body).code(), StatusCode::kInvalidArgument);
}

TEST_F(DispatcherTest, FailedDeliveryIsRecorded) {
  hook_.Script({500, 500, 500});
  workflow::ReferRequest req;
  req.actor = "user:alice";
  req.org = "org-a";
  req.items = {Item("https://v.example/9", "videohost")};
  auto out = service_.Refer(req);
  ASSERT_TRUE(out.ok());
  Dispatcher dispatcher(&service_, &directory_, webhook_.get(), smtp_.get());
  auto sum = dispatcher.DeliverPending();
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(sum->failed, 1);
  auto r = service_.Get(out->created[0]);
  EXPECT_EQ(r->state, ReferralState::kDeliveryFailed);
  EXPECT_NE(r->last_reason.find("webhook"), std::string::npos);
  ASSERT_TRUE(service_.RetryDelivery("user:op", r->id).ok());
  EXPECT_EQ(dispatcher.DeliverPending()->delivered, 1);
}

// Reversal notices (workflow/reversal.h) take the referral's channels: a failed webhook
// attempt is recorded on the notice and the next run delivers it with the same key.
TEST_F(DispatcherTest, ReversalNoticesTakeThePlatformsChannels) {
  workflow::ReferRequest req;
  req.actor = "user:alice";
  req.org = "org-a";
  req.items = {Item("https://v.example/r", "videohost"), Item("https://f.example/r", "filehost")};
  auto out = service_.Refer(req);
  ASSERT_TRUE(out.ok());
  Dispatcher dispatcher(&service_, &directory_, webhook_.get(), smtp_.get());
  ASSERT_EQ(dispatcher.DeliverPending()->delivered, 2);
  for (int64_t id : out->created) {
    workflow::Feedback f;
    f.referral_id = id;
    f.kind = FeedbackKind::kRemoved;
    auto r = service_.Get(id);
    ASSERT_TRUE(service_.ApplyFeedback("platform:x", r->platform_id, f).ok());
  }
  workflow::ReversalRequest q;
  q.actor = "user:supervisor";
  q.reason = "complaint upheld";
  q.referral_id = out->created[0];
  auto rev = service_.Reverse(q);
  ASSERT_TRUE(rev.ok()) << rev.status().ToString();
  ASSERT_EQ(rev->notices.size(), 2u);  // both items carry the same sha256

  hook_.Script({503, 503, 503});
  const int64_t hooks_before = hook_.count();
  auto first = dispatcher.DeliverPendingReversals();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->failed, 1);
  EXPECT_EQ(first->delivered, 1);  // the e-mail
  auto second = dispatcher.DeliverPendingReversals();
  EXPECT_EQ(second->delivered, 1);
  EXPECT_EQ(dispatcher.DeliverPendingReversals()->delivered, 0);

  auto hooks = hook_.received();
  ASSERT_EQ(hook_.count(), hooks_before + 4);  // three refused attempts, one accepted
  EXPECT_TRUE(hooks.back().signature_ok);
  auto notice = boost::json::parse(hooks.back().body).as_object();
  EXPECT_EQ(notice.at("type").as_string(), "vigil.reversal");
  EXPECT_EQ(hooks.back().idempotency_key, notice.at("idempotency_key").as_string());
  EXPECT_EQ(hooks[hooks.size() - 2].idempotency_key, hooks.back().idempotency_key);
  auto notices = service_.ReversalNoticesFor(notice.at("referral_id").as_int64());
  ASSERT_EQ(notices->size(), 1u);
  ASSERT_EQ((*notices)[0].attempts.size(), 2u);
  EXPECT_EQ((*notices)[0].attempts[0].delivered_ms, 0);
  EXPECT_NE((*notices)[0].attempts[0].detail.find("webhook"), std::string::npos);
  EXPECT_EQ((*notices)[0].state, workflow::NoticeState::kDelivered);
  auto mails = sink_->Messages(2);
  ASSERT_EQ(mails.size(), 2u);
  EXPECT_NE(mails.back().find("Reversal of referral"), std::string::npos);
  EXPECT_NE(mails.back().find("X-Vigil-Reversal"), std::string::npos);
}

}  // namespace
}  // namespace vigil::delivery
