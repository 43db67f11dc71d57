// The vigil REST API, independent of the transport: a Request goes in, a Response comes
// out. http_server.h puts it on the network; tests and benchmarks may call it directly.
//
// Every /api/v1 route needs a bearer token; the route table names the one permission each
// needs (auth.h), and every handler scopes what it reads and writes to the caller's
// organisation and the banks shared with it. Anything outside that scope answers exactly
// as if it did not exist (404 not_found), so nothing leaks either way.
//
// Errors: handlers return Status; Handle turns it into the one error shape through
// ErrorFromStatus (api_error.h). No exception leaves Handle.
//
// Thread safety: Handle may be called from any number of threads at once. The Store is
// single-threaded, so every store call is made under one mutex; matching, hashing,
// authentication (cached) and the review queue do not take it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "match/matcher.h"
#include "server/auth.h"
#include "server/operations_api.h"
#include "server/referrals_api.h"
#include "server/review_queue.h"
#include "server/router.h"
#include "server/work_queue.h"
#include "store/store.h"

namespace vigil::server {

// Signals in one match request, and signals in one bank add/remove request.
inline constexpr size_t kMaxSignalsPerMatchRequest = 1000;
inline constexpr size_t kMaxSignalsPerBankChange = 100'000;
// Largest PDQ radius a caller may ask for (wider searches are scans that match noise).
inline constexpr int kMaxPdqDistance = 64;
// Page sizes for list endpoints: default and most.
inline constexpr int64_t kDefaultPageSize = 100;
inline constexpr int64_t kMaxPageSize = 10'000;
inline constexpr int64_t kMaxSignalExportPage = 100'000;

struct ServiceOptions {
  double rate_limit_per_second = kDefaultRateLimitPerSecond;  // <= 0: no limit
  double rate_limit_burst = kDefaultRateLimitBurst;
  std::chrono::steady_clock::duration token_cache_ttl = kDefaultTokenCacheTtl;
  int default_pdq_max_distance = match::kDefaultPdqMaxDistance;
  // Console files served at "/"; empty: a small placeholder page.
  std::string static_dir;
  // Clock for review leases; tests pin it.
  std::function<int64_t()> now_ms;
  // Referrals, holds, delivery and the platform side (server/referrals_api.h).
  ReferralApiOptions referrals;
  // Scale-out (`serve --nats`, server/work_queue.h): asynchronous uploads, bank notices and
  // queue figures. Null: no queue (POST /api/v1/work and GET /api/v1/queue answer 409).
  std::shared_ptr<WorkQueue> work_queue;
};

// Counters the transport updates and /metrics reports.
struct TransportMetrics {
  std::atomic<int64_t> connections_open{0};
  std::atomic<int64_t> connections_total{0};
  std::atomic<int64_t> timeouts_total{0};
  std::atomic<int64_t> bad_requests_total{0};
};

class Service {
 public:
  // Loads the match index and the review queue from the store.
  static Result<std::unique_ptr<Service>> Create(std::unique_ptr<store::Store> store,
                                                 ServiceOptions options);
  ~Service();

  Response Handle(const Request& request);

  const Router& router() const { return router_; }
  TransportMetrics& transport_metrics() { return transport_; }
  // Prometheus text exposition (version 0.0.4).
  std::string MetricsText() const;

 private:
  Service(std::unique_ptr<store::Store> store, ServiceOptions options);
  void BuildRoutes();
  Result<Principal> Authenticate(const Request& request);
  void Record(const std::string& route, int status, double seconds);
  Response StaticFile(const std::string& path) const;
  // After a bank change committed (and the matcher refreshed): tells the workers through
  // the work queue, when there is one. A failed notice is logged and counted, never fails
  // the request (the next change or `vigil queue publish-banks` carries the version).
  void AnnounceBankChange(int64_t bank_id);
  // The queue and worker lines of /metrics (empty without a work queue).
  std::string QueueMetricsText();

  // Runs `fn(store)` under the store mutex.
  template <typename F>
  auto WithStore(F&& fn) {
    std::lock_guard lock(store_mu_);
    return fn(*store_);
  }

  class Handlers;
  friend class Handlers;

  std::mutex store_mu_;
  std::unique_ptr<store::Store> store_;
  ServiceOptions options_;
  Router router_;
  match::Matcher matcher_;
  ReviewQueue queue_;
  RateLimiter limiter_;
  TokenCache token_cache_;
  TransportMetrics transport_;
  std::unique_ptr<Handlers> handlers_;
  std::unique_ptr<ReferralApi> referrals_;
  std::unique_ptr<OperationsApi> operations_;  // operations_api.h

  // Banks and organisation names, read on every match; refreshed on change.
  mutable std::shared_mutex cache_mu_;
  std::unordered_map<int64_t, store::Bank> banks_;
  std::unordered_map<int64_t, std::string> org_names_;

  mutable std::mutex metrics_mu_;
  std::map<std::pair<std::string, int>, int64_t> requests_;  // (route, status) -> count
  static constexpr double kLatencyBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                               0.05,   0.1,   0.25,   0.5,   1,    2.5};
  int64_t latency_counts_[std::size(kLatencyBuckets) + 1] = {};
  double latency_sum_ = 0;
  int64_t latency_count_ = 0;
  std::atomic<int64_t> bank_notices_failed_{0};
};

}  // namespace vigil::server
