#include "delivery/webhook.h"

#include <gtest/gtest.h>

#include "delivery/test_servers.h"

namespace vigil::delivery {
namespace {

const std::string kSecret = "webhook-secret-0123456789";

WebhookOptions FastOptions(std::vector<std::chrono::milliseconds>* waits) {
  WebhookOptions o;
  o.max_attempts = 4;
  o.base_backoff = std::chrono::milliseconds(100);
  o.max_backoff = std::chrono::milliseconds(1000);
  o.attempt_timeout = std::chrono::milliseconds(3000);
  o.jitter_seed = 7;
  o.sleep = [waits](std::chrono::milliseconds d) { waits->push_back(d); };
  return o;
}

TEST(Backoff, GrowsExponentiallyWithBoundedJitter) {
  using ms = std::chrono::milliseconds;
  EXPECT_EQ(BackoffDelay(0, ms(100), ms(10000), 0.0), ms(50));
  EXPECT_EQ(BackoffDelay(0, ms(100), ms(10000), 0.999), ms(99));
  EXPECT_EQ(BackoffDelay(3, ms(100), ms(10000), 0.0), ms(400));
  EXPECT_EQ(BackoffDelay(3, ms(100), ms(10000), 0.5), ms(600));
  EXPECT_EQ(BackoffDelay(40, ms(100), ms(10000), 0.0), ms(5000));  // capped, no overflow
  EXPECT_LE(BackoffDelay(40, ms(100), ms(10000), 0.999), ms(10000));
  EXPECT_TRUE(IsRetryableHttpStatus(503));
  EXPECT_TRUE(IsRetryableHttpStatus(429));
  EXPECT_FALSE(IsRetryableHttpStatus(400));
  EXPECT_FALSE(IsRetryableHttpStatus(200));
}

TEST(Webhook, DeliversSignedJsonWithIdempotencyKey) {
  testing::TestWebhookServer server(kSecret);
  std::vector<std::chrono::milliseconds> waits;
  WebhookClient client(FastOptions(&waits));
  auto r =
      client.Deliver({server.url("/referrals?x=1"), kSecret}, R"({"a":1})", "vigil-referral-1");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->http_status, 200);
  EXPECT_EQ(r->attempts, 1);
  EXPECT_EQ(r->remote_reference, "R-1");
  auto got = server.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].target, "/referrals?x=1");
  EXPECT_EQ(got[0].body, R"({"a":1})");
  EXPECT_EQ(got[0].idempotency_key, "vigil-referral-1");
  EXPECT_TRUE(got[0].signature_ok) << got[0].signature;
  EXPECT_TRUE(waits.empty());
}

TEST(Webhook, RetriesTransientFailuresWithTheSameKey) {
  testing::TestWebhookServer server(kSecret);
  server.Script({503, 429, 500});
  std::vector<std::chrono::milliseconds> waits;
  WebhookClient client(FastOptions(&waits));
  auto r = client.Deliver({server.url(), kSecret}, "{}", "k-2");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->attempts, 4);
  ASSERT_EQ(waits.size(), 3u);
  EXPECT_GE(waits[0].count(), 50);
  EXPECT_LT(waits[0].count(), 100);
  EXPECT_GE(waits[1].count(), 1000);  // Retry-After: 1 (capped at max_backoff)
  EXPECT_GE(waits[2].count(), 200);
  auto got = server.received();
  ASSERT_EQ(got.size(), 4u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].idempotency_key, "k-2");
    EXPECT_EQ(got[i].attempt, std::to_string(i + 1));
    EXPECT_TRUE(got[i].signature_ok);
  }
}

TEST(Webhook, GivesUpAfterMaxAttempts) {
  testing::TestWebhookServer server(kSecret);
  server.Script({502, 502, 502, 502, 502});
  std::vector<std::chrono::milliseconds> waits;
  WebhookClient client(FastOptions(&waits));
  auto r = client.Deliver({server.url(), kSecret}, "{}", "k");
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("4 attempt"), std::string::npos) << r.status().message();
  EXPECT_EQ(server.count(), 4);
}

TEST(Webhook, PermanentRefusalIsNotRetried) {
  testing::TestWebhookServer server(kSecret);
  server.Script({403});
  std::vector<std::chrono::milliseconds> waits;
  WebhookClient client(FastOptions(&waits));
  auto r = client.Deliver({server.url(), kSecret}, "{}", "k");
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(server.count(), 1);
}

TEST(Webhook, ConnectionRefusedIsRetriedThenUnavailable) {
  int port = 0;
  {
    testing::TestWebhookServer gone(kSecret);
    port = gone.port();
  }
  std::vector<std::chrono::milliseconds> waits;
  WebhookClient client(FastOptions(&waits));
  auto r = client.Deliver({"http://127.0.0.1:" + std::to_string(port) + "/", kSecret}, "{}", "k");
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(waits.size(), 3u);
}

TEST(Webhook, RefusesBadEndpoints) {
  std::vector<std::chrono::milliseconds> waits;
  WebhookClient client(FastOptions(&waits));
  EXPECT_EQ(client.Deliver({"ftp://x/", kSecret}, "{}", "k").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(client.Deliver({"not a url", kSecret}, "{}", "k").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(client.Deliver({"http://u:p@127.0.0.1/", kSecret}, "{}", "k").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(client.Deliver({"http://127.0.0.1/", "short"}, "{}", "k").status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil::delivery
