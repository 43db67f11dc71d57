// MaintenanceLoop: the referral workflow's scheduled work (issue 7 items 2, 5, 7). Each
// round, in order:
//   1. ReferralService::FlagOverdue: TCO orders past their deadline (audited once each);
//   2. ReferralService::RunDueRechecks through a UrlProber (in production FetcherProber:
//      collect's SafeFetcher), in batches of kMaintenanceRecheckBatch so that Stop is
//      honoured between batches, up to max_rechecks URLs;
//   3. evidence expiry past retention (a callback: vigil_workflow knows nothing of the
//      store; the server passes store::ExpireEvidence under its store lock).
// Each step audits through the service (or the store) as it does when called directly. A
// failing step is logged and recorded in the round's report; the next step still runs and
// the loop carries on: nothing here is fatal.
//
// Rounds never overlap: one mutex is held for a whole round, by the background thread or by
// a caller of RunRound / RunRechecks (the API's "re-check now").
//
// Thread safety: every method may be called from any thread. Start/Stop from one thread
// (the owner's). The service, prober and callbacks must outlive the loop (or Stop).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "workflow/service.h"

namespace vigil::workflow {

// Time between the starts of two background rounds. A minute keeps the TCO one-hour
// clock's overdue flags timely; a round with nothing due reads the referrals once.
inline constexpr int64_t kDefaultMaintenanceIntervalMs = kMsPerMinute;
// Most URLs one background round re-checks (the rest wait for the next round).
inline constexpr size_t kDefaultMaintenanceMaxRechecks = 500;
// URLs probed between two looks at the stop flag.
inline constexpr size_t kMaintenanceRecheckBatch = 16;

struct MaintenanceOptions {
  int64_t interval_ms = kDefaultMaintenanceIntervalMs;   // <= 0: Start runs no thread
  size_t max_rechecks = kDefaultMaintenanceMaxRechecks;  // per round; 0: every due URL
  std::string actor = "system:maintenance";              // FlagOverdue's audit actor
  // Deletes evidence past its retention; returns how many records expired. Unset: skipped.
  std::function<Result<int>()> expire_evidence;
  // Where a round's errors and non-empty results go. Unset: stderr.
  std::function<void(const std::string& line)> log;
};

// What one round did.
struct MaintenanceReport {
  std::vector<int64_t> overdue;  // orders flagged overdue by this round
  RecheckSummary recheck;
  int evidence_expired = 0;
  std::vector<std::string> errors;  // "step: message" for each step that failed
  bool ok() const { return errors.empty(); }
  // One line for the log: "overdue 1, re-checked 3 (gone 2, live 1, errors 0), ...".
  std::string Summary() const;
};

class MaintenanceLoop {
 public:
  // `prober` may be null: the round skips re-checks (logged once per round as an error).
  MaintenanceLoop(ReferralService* service, UrlProber* prober, MaintenanceOptions options = {});
  ~MaintenanceLoop();  // Stop()
  MaintenanceLoop(const MaintenanceLoop&) = delete;
  MaintenanceLoop& operator=(const MaintenanceLoop&) = delete;

  // Starts the background thread: a first round after one interval, then one per interval.
  // Does nothing when interval_ms <= 0. FailedPrecondition if already started.
  Status Start();
  // Stops the thread; a running round ends after its current batch. Idempotent.
  void Stop();
  bool running() const { return thread_.joinable(); }

  // One full round now, on the calling thread (waits for a running round to end).
  MaintenanceReport RunRound();
  // Only the re-checks (up to `max_urls`, 0: every due URL), now. Unavailable if a round is
  // running at this moment (the caller may try again; waiting could take minutes).
  Result<RecheckSummary> RunRechecks(size_t max_urls);

  int64_t rounds_completed() const { return rounds_.load(); }

 private:
  // Holds round_mu_.
  MaintenanceReport RoundLocked();
  Result<RecheckSummary> RechecksLocked(size_t max_urls);
  void Log(const std::string& line) const;
  void Loop();

  ReferralService* service_;
  UrlProber* prober_;
  MaintenanceOptions options_;
  std::mutex round_mu_;  // held for a whole round: rounds never overlap
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // under stop_mu_
  std::atomic<bool> stop_flag_{false};
  std::atomic<int64_t> rounds_{0};
  std::thread thread_;
};

}  // namespace vigil::workflow
