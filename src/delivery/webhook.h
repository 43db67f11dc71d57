// Webhook delivery: a referral notice POSTed as JSON to the platform's endpoint.
//
// Each attempt sends:
//   Content-Type: application/json
//   Idempotency-Key: <the referral's key>   (the same on every attempt: the platform
//                                            de-duplicates retries)
//   Vigil-Signature: t=..,v1=..              (signature.h, fresh timestamp per attempt)
//   Vigil-Delivery-Attempt: <n>
// A 2xx answer is a delivery receipt; its "receipt_id" (JSON body) or Vigil-Receipt header
// is kept as the platform's reference. Transport errors, timeouts, 408, 425, 429 and 5xx
// are retried with exponential backoff and jitter (a Retry-After in seconds is honoured up
// to max_backoff); other statuses are permanent refusals and not retried. http and https
// (certificate and host name verified against the system store).
//
// Endpoints come from the operator's delivery directory (directory.h), not from
// untrusted input, so loopback endpoints are allowed (tests, local relays).
//
// Thread safety: Deliver may be called from any number of threads (each call has its own
// I/O context).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace boost::asio::ssl {
class context;
}

namespace vigil::delivery {

inline constexpr int kDefaultWebhookMaxAttempts = 6;
inline constexpr std::chrono::milliseconds kDefaultWebhookBaseBackoff{1000};
inline constexpr std::chrono::milliseconds kDefaultWebhookMaxBackoff{5 * 60 * 1000};
inline constexpr std::chrono::milliseconds kDefaultWebhookAttemptTimeout{15'000};
inline constexpr size_t kMaxWebhookResponseBytes = 64 * 1024;

struct WebhookEndpoint {
  std::string url;     // http(s)://host[:port]/path
  std::string secret;  // HMAC key shared with the platform (at least kMinSecretBytes)
};

struct WebhookOptions {
  int max_attempts = kDefaultWebhookMaxAttempts;
  std::chrono::milliseconds base_backoff = kDefaultWebhookBaseBackoff;
  std::chrono::milliseconds max_backoff = kDefaultWebhookMaxBackoff;
  // Connect, TLS, request and response of one attempt together.
  std::chrono::milliseconds attempt_timeout = kDefaultWebhookAttemptTimeout;
  std::string user_agent = "vigil-delivery/0.1";
  // Tests replace these: how to wait between attempts, the signature clock, the jitter seed
  // (0: random).
  std::function<void(std::chrono::milliseconds)> sleep;
  std::function<int64_t()> now_s;
  uint64_t jitter_seed = 0;
};

struct WebhookAttempt {
  int http_status = 0;  // 0: no HTTP answer
  std::string error;    // transport error, if any
  std::chrono::milliseconds waited_before{0};
};

struct WebhookResult {
  int http_status = 0;
  int attempts = 0;
  std::string remote_reference;  // receipt id from the platform, if any
  std::string response_body;     // truncated to kMaxWebhookResponseBytes
  std::vector<WebhookAttempt> log;
};

// The wait before attempt `attempt` + 1 (attempt counts from 0): "equal jitter", half of
// min(max, base * 2^attempt) plus a uniform share `u` in [0, 1) of the other half, so waits
// grow but retries from many senders spread out.
std::chrono::milliseconds BackoffDelay(int attempt, std::chrono::milliseconds base,
                                       std::chrono::milliseconds max, double u);

// Whether an HTTP status is worth retrying.
bool IsRetryableHttpStatus(int status);

class WebhookClient {
 public:
  explicit WebhookClient(WebhookOptions options = {});
  ~WebhookClient();
  WebhookClient(const WebhookClient&) = delete;
  WebhookClient& operator=(const WebhookClient&) = delete;

  // POSTs `body`. Returns the result of the 2xx attempt; InvalidArgument for a bad URL or
  // a short secret; FailedPrecondition when the platform refused it permanently (4xx);
  // Unavailable when every attempt failed (the message names the last error).
  Result<WebhookResult> Deliver(const WebhookEndpoint& endpoint, std::string_view body,
                                std::string_view idempotency_key);

 private:
  double Jitter();

  WebhookOptions options_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
};

}  // namespace vigil::delivery
