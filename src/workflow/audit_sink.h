// Where the workflow writes its audit trail. Every state change of a referral, an order or
// a hold produces one AuditEvent (actor, action, target, before, after, details); the
// store's hash-chained audit log implements this interface (adapters.h: StoreAuditSink),
// tests use MemoryAuditSink.
//
// Actions are "referral.create", "referral.merge", "referral.state", "referral.deliver",
// "referral.check", "order.overdue", "hold.place", "hold.release", "hold.hit", ...
// (docs/referrals.md lists them). Targets are "referral:<id>" or "hold:<id>".
//
// Thread safety: implementations say; MemoryAuditSink is thread-safe.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"

namespace vigil::workflow {

struct AuditEvent {
  int64_t at_ms = 0;
  std::string actor;
  std::string action;
  std::string target;
  std::string before;
  std::string after;
  std::string details;  // JSON object
};

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  // A failure here fails the change that caused it (the service does not report success
  // for a change it could not attribute).
  virtual Status Record(const AuditEvent& event) = 0;
};

class MemoryAuditSink final : public AuditSink {
 public:
  Status Record(const AuditEvent& event) override {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(event);
    return Status::OK();
  }
  std::vector<AuditEvent> events() const {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<AuditEvent> events_;
};

}  // namespace vigil::workflow
