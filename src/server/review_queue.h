// The review queue: items with matches wait here for a person's decision.
//
// Priority = severity tier x confidence x reach factor, highest first:
//  - severity tier: the highest "severity:*" label among the matched signals
//    (threat-to-life 4, crisis 3, designated-entity 2, promotional or none 1);
//  - confidence: of the nearest match, 1 - distance/64 for PDQ (clamped to >= 0.05),
//    1 for exact matches;
//  - reach factor: 1 + log10(1 + reach), where reach is the audience the submitter
//    reported (views, followers; 0 if unknown).
//
// Source of truth: the audit log. The store (issue 4) has no review table yet, so the
// queue is an adapter over the store's public API: every submission and decision is an
// audit entry ("item.submit", "review.decide", "signal.false_positive") whose details
// carry the queue state as JSON, and Replay rebuilds the queue from the log at start.
// Nothing is lost across restarts and every state change is attributable.
//
// Thread safety: internally locked; any thread may call any method.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/store.h"

namespace vigil::server {

// How long "next" reserves an item for the reviewer who took it.
inline constexpr int64_t kDefaultReviewLeaseMs = 5 * 60 * 1000;

enum class ReviewState { kPending, kConfirmed, kRejected, kEscalated };
std::string_view ReviewStateName(ReviewState s);  // pending | confirmed | rejected | escalated
Result<ReviewState> ParseReviewState(std::string_view name);

struct QueueEntry {
  int64_t item_id = 0;
  int64_t org_id = 0;   // the organisation that submitted the item
  bool queued = false;  // false: submitted without matches, never reviewed
  int severity_tier = 1;
  double confidence = 0;
  int64_t reach = 0;
  double priority = 0;
  std::vector<int64_t> signal_ids;  // matched signals
  ReviewState state = ReviewState::kPending;
  int64_t submitted_ms = 0;
  // The last decision.
  std::string decided_by;
  int64_t decided_ms = 0;
  std::vector<std::string> labels;
  int tier = 0;
  std::string note;
  // The reviewer holding it (from "next") until lease_until_ms.
  int64_t leased_to = 0;
  int64_t lease_until_ms = 0;
};

// Severity tier of a set of labels (see the file comment).
int SeverityTier(const std::vector<std::string>& labels);
double PriorityScore(int severity_tier, double confidence, int64_t reach);

class ReviewQueue {
 public:
  // Rebuilds the queue from the audit log. Call once before serving.
  Status Replay(store::Store& store);

  // Applies the state change an audit entry records (unknown actions are ignored). The
  // server appends the entry to the store first, then applies it here.
  void Apply(const store::AuditEntry& entry);

  std::optional<QueueEntry> Get(int64_t item_id) const;
  // The organisation that submitted an item through the API, or 0.
  int64_t OwnerOf(int64_t item_id) const;
  // Highest-priority pending item of `org_id` not leased to someone else (escalated ones
  // too when include_escalated), leased to `user_id` until now_ms + lease_ms.
  std::optional<QueueEntry> Next(int64_t org_id, bool include_escalated, int64_t user_id,
                                 int64_t now_ms, int64_t lease_ms = kDefaultReviewLeaseMs);
  // Queued items of `org_id` in `state`, highest priority first.
  std::vector<QueueEntry> List(int64_t org_id, ReviewState state, size_t limit) const;
  // False-positive reports recorded against a signal.
  int64_t FalsePositives(int64_t signal_id) const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<int64_t, QueueEntry> entries_;
  std::unordered_map<int64_t, int64_t> false_positives_;
};

}  // namespace vigil::server
