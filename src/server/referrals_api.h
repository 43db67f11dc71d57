// The referral routes of the REST API (docs/openapi.yaml, tags referrals, holds, platform;
// docs/referrals.md): create referrals from confirmed items, list/show them, send them
// through the delivery dispatcher (webhook, SMTP, pull), the pull API and feedback for a
// platform liaison, signed platform callbacks, deconfliction holds, statistics per platform
// and per operation, and the TCO Art. 7-style transparency report; re-checks on demand
// and the maintenance loop (overdue orders, re-checks, evidence expiry) when configured.
//
// Scope: an organisation sees only referrals naming it (ReferralService::ViewFor: a held
// referral only says "held"), its own holds and the hits on them. A platform liaison (role
// platform) acts for the platform whose id is its organisation's name, and sees only the
// notices addressed to it. Anything else answers 404 as if it did not exist.
//
// Locking: the workflow's SqlReferralRepository shares the server's Store, so it takes the
// server's store mutex for each workflow call (and nothing holds that mutex while calling
// the workflow). Deliveries run outside both locks.
//
// Thread safety: all handlers may run on any number of threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "collect/platforms.h"
#include "delivery/directory.h"
#include "delivery/dispatcher.h"
#include "delivery/smtp.h"
#include "delivery/webhook.h"
#include "server/reversal_api.h"
#include "server/router.h"
#include "store/evidence.h"
#include "store/referral_store.h"
#include "workflow/clock.h"
#include "workflow/maintenance.h"
#include "workflow/service.h"

namespace vigil::server {

inline constexpr int64_t kMaxReferralItemsPerRequest = 10'000;
inline constexpr int64_t kMaxPullBatch = 1000;
// Most URLs one POST /api/v1/referrals/recheck may probe.
inline constexpr int64_t kMaxRechecksPerRequest = 10'000;

struct ReferralApiOptions {
  // The operator's delivery directory (delivery/directory.h): a file, or an object (tests).
  // Neither: every platform is pull (registry "api") or manual.
  std::string directory_file;
  std::optional<delivery::DeliveryDirectory> directory;
  // The SMTP relay for e-mail platforms; unset: e-mail deliveries fail with a clear reason.
  std::optional<delivery::SmtpOptions> smtp;
  delivery::WebhookOptions webhook;
  delivery::DispatchOptions dispatch;
  // Platform attribution of URLs (collect/platforms.h); unset: the shipped registry if it
  // loads, else every host is "unknown:<domain>".
  std::optional<std::string> registry_file;
  // Evidence preservation at referral time (store/evidence.h); empty dir: none.
  store::EvidenceOptions evidence;
  // Clock for the workflow (TCO deadlines); tests pin it. Unset: the system clock.
  const workflow::Clock* clock = nullptr;
  // Scheduled work (workflow/maintenance.h): overdue orders, re-checks, evidence expiry, one
  // round every maintenance_interval_ms on a background thread. 0 (the default here, so
  // that embedding and tests run nothing behind their back): no thread; POST
  // /api/v1/referrals/recheck still runs re-checks on demand. `vigil serve` defaults to
  // workflow::kDefaultMaintenanceIntervalMs.
  int64_t maintenance_interval_ms = 0;
  size_t max_rechecks_per_round = workflow::kDefaultMaintenanceMaxRechecks;
  // Re-checks and remote evidence go through collect's SafeFetcher, which refuses private
  // and loopback addresses; this lets it read loopback (tests and demos only).
  bool fetch_allow_loopback = false;
  // Tests: re-checks through this prober instead of the FetcherProber (e.g. one that maps
  // demo hosts to a loopback server). Must outlive the API.
  workflow::UrlProber* prober = nullptr;
  // Reversals (reversal_api.h): told the banks whose signals a reversal marked (the server
  // refreshes its matcher). Unset: nothing to tell.
  std::function<Status(const std::vector<int64_t>& bank_ids)> banks_changed;
};

// What the server knows about a stored item, for referring it (review state and labels
// live in the server's review queue). NotFound unless it belongs to `org_id`;
// FailedPrecondition unless it is confirmed.
using ConfirmedItemLookup =
    std::function<Result<workflow::ConfirmedItem>(int64_t item_id, int64_t org_id)>;
using OrgNameLookup = std::function<std::string(int64_t org_id)>;

class ReferralApi {
 public:
  // `store` and `store_mu` are the server's (they must outlive the API).
  static Result<std::unique_ptr<ReferralApi>> Create(store::Store* store, std::mutex* store_mu,
                                                     ReferralApiOptions options,
                                                     ConfirmedItemLookup confirmed_item,
                                                     OrgNameLookup org_name);
  ~ReferralApi();

  // Registers the routes (see docs/openapi.yaml).
  void AddRoutes(Router& router);

  workflow::ReferralService& service() { return *service_; }
  // One maintenance round now (what the background loop does), on the calling thread.
  workflow::MaintenanceReport RunMaintenanceRound();
  // POST /api/v1/banks/{name}/signals/reverse (reversal_api.h): the server routes it here
  // after checking that `bank` is the caller's to change.
  Result<Response> ReverseBankSignal(const RouteContext& c, std::string_view bank);

 private:
  ReferralApi() = default;
  class Impl;
  std::unique_ptr<Impl> impl_;
  workflow::ReferralService* service_ = nullptr;
};

}  // namespace vigil::server
