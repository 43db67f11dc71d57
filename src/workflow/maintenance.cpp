#include "workflow/maintenance.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>

namespace vigil::workflow {

std::string MaintenanceReport::Summary() const {
  std::string s = "overdue " + std::to_string(overdue.size()) + ", re-checked " +
                  std::to_string(recheck.checked) + " (gone " + std::to_string(recheck.gone) +
                  ", live " + std::to_string(recheck.live) + ", errors " +
                  std::to_string(recheck.errors) + "), verified removed " +
                  std::to_string(recheck.verified_removed.size()) + ", evidence expired " +
                  std::to_string(evidence_expired);
  for (const auto& e : errors) s += "; failed: " + e;
  return s;
}

MaintenanceLoop::MaintenanceLoop(ReferralService* service, UrlProber* prober,
                                 MaintenanceOptions options)
    : service_(service), prober_(prober), options_(std::move(options)) {}

MaintenanceLoop::~MaintenanceLoop() { Stop(); }

Status MaintenanceLoop::Start() {
  if (options_.interval_ms <= 0) return Status::OK();
  if (thread_.joinable()) return Status::FailedPrecondition("maintenance loop already started");
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = false;
  }
  stop_flag_ = false;
  thread_ = std::thread([this] { Loop(); });
  return Status::OK();
}

void MaintenanceLoop::Stop() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_flag_ = true;
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MaintenanceLoop::Log(const std::string& line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    std::fprintf(stderr, "vigil: maintenance: %s\n", line.c_str());
  }
}

void MaintenanceLoop::Loop() {
  const auto interval = std::chrono::milliseconds(options_.interval_ms);
  while (true) {
    {
      std::unique_lock lock(stop_mu_);
      if (stop_cv_.wait_for(lock, interval, [this] { return stopping_; })) return;
    }
    MaintenanceReport r = RunRound();
    // Quiet when nothing happened; one line otherwise.
    if (!r.ok() || !r.overdue.empty() || r.recheck.checked > 0 || r.evidence_expired > 0) {
      Log(r.Summary());
    }
  }
}

MaintenanceReport MaintenanceLoop::RunRound() {
  std::lock_guard lock(round_mu_);
  return RoundLocked();
}

Result<RecheckSummary> MaintenanceLoop::RunRechecks(size_t max_urls) {
  std::unique_lock lock(round_mu_, std::try_to_lock);
  if (!lock.owns_lock()) {
    return Status::Unavailable("a maintenance round is running; try again shortly");
  }
  return RechecksLocked(max_urls);
}

Result<RecheckSummary> MaintenanceLoop::RechecksLocked(size_t max_urls) {
  if (prober_ == nullptr) return Status::FailedPrecondition("no URL prober configured");
  RecheckSummary total;
  while (!stop_flag_.load()) {
    size_t batch = kMaintenanceRecheckBatch;
    if (max_urls != 0) batch = std::min(batch, max_urls - static_cast<size_t>(total.checked));
    if (batch == 0) break;
    VIGIL_ASSIGN_OR_RETURN(RecheckSummary s, service_->RunDueRechecks(*prober_, batch));
    total.checked += s.checked;
    total.gone += s.gone;
    total.live += s.live;
    total.errors += s.errors;
    total.verified_removed.insert(total.verified_removed.end(), s.verified_removed.begin(),
                                  s.verified_removed.end());
    // Fewer than asked: nothing else is due now (each probed URL is rescheduled).
    if (static_cast<size_t>(s.checked) < batch) break;
  }
  return total;
}

MaintenanceReport MaintenanceLoop::RoundLocked() {
  MaintenanceReport r;
  // The steps call into other layers; an exception must not end the server's thread.
  auto guarded = [&](const char* step, const std::function<Status()>& fn) {
    Status s;
    try {
      s = fn();
    } catch (const std::exception& e) {
      s = Status::Internal(e.what());
    }
    if (!s.ok()) r.errors.push_back(std::string(step) + ": " + s.ToString());
  };
  guarded("overdue", [&]() -> Status {
    VIGIL_ASSIGN_OR_RETURN(r.overdue, service_->FlagOverdue(options_.actor));
    return Status::OK();
  });
  guarded("recheck", [&]() -> Status {
    VIGIL_ASSIGN_OR_RETURN(r.recheck, RechecksLocked(options_.max_rechecks));
    return Status::OK();
  });
  if (options_.expire_evidence) {
    guarded("evidence", [&]() -> Status {
      VIGIL_ASSIGN_OR_RETURN(r.evidence_expired, options_.expire_evidence());
      return Status::OK();
    });
  }
  rounds_.fetch_add(1);
  return r;
}

}  // namespace vigil::workflow
