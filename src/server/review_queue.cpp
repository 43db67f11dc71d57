#include "server/review_queue.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>

namespace vigil::server {
namespace json = boost::json;

std::string_view ReviewStateName(ReviewState s) {
  switch (s) {
    case ReviewState::kPending: return "pending";
    case ReviewState::kConfirmed: return "confirmed";
    case ReviewState::kRejected: return "rejected";
    case ReviewState::kEscalated: return "escalated";
  }
  return "unknown";
}

Result<ReviewState> ParseReviewState(std::string_view name) {
  for (auto s : {ReviewState::kPending, ReviewState::kConfirmed, ReviewState::kRejected,
                 ReviewState::kEscalated}) {
    if (ReviewStateName(s) == name) return s;
  }
  return Status::InvalidArgument("unknown review state '" + std::string(name) +
                                 "' (pending, confirmed, rejected, escalated)");
}

int SeverityTier(const std::vector<std::string>& labels) {
  int tier = 1;
  for (const auto& l : labels) {
    if (l == "severity:threat-to-life") tier = std::max(tier, 4);
    if (l == "severity:crisis") tier = std::max(tier, 3);
    if (l == "severity:designated-entity") tier = std::max(tier, 2);
  }
  return tier;
}

double PriorityScore(int severity_tier, double confidence, int64_t reach) {
  double reach_factor = 1.0 + std::log10(1.0 + static_cast<double>(std::max<int64_t>(reach, 0)));
  return severity_tier * confidence * reach_factor;
}

namespace {

int64_t IdFromTarget(std::string_view target, std::string_view prefix) {
  if (target.substr(0, prefix.size()) != prefix) return 0;
  int64_t v = 0;
  for (char c : target.substr(prefix.size())) {
    if (c < '0' || c > '9' || v > (INT64_MAX - 9) / 10) return 0;
    v = v * 10 + (c - '0');
  }
  return v;
}

int64_t GetInt(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v) return 0;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
  if (v->is_double()) return static_cast<int64_t>(v->as_double());
  return 0;
}

double GetDouble(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v) return 0;
  if (v->is_double()) return v->as_double();
  if (v->is_int64()) return static_cast<double>(v->as_int64());
  return 0;
}

std::string GetString(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return {};
  return std::string(v->as_string());
}

}  // namespace

void ReviewQueue::Apply(const store::AuditEntry& e) {
  if (e.action != "item.submit" && e.action != "review.decide" &&
      e.action != "signal.false_positive") {
    return;
  }
  boost::system::error_code ec;
  json::value v = json::parse(e.details, ec);
  if (ec || !v.is_object()) return;
  const json::object& o = v.as_object();
  std::lock_guard lock(mu_);
  if (e.action == "signal.false_positive") {
    int64_t id = IdFromTarget(e.target, "signal:");
    if (id) ++false_positives_[id];
    return;
  }
  int64_t item_id = IdFromTarget(e.target, "item:");
  if (!item_id) return;
  if (e.action == "item.submit") {
    QueueEntry q;
    q.item_id = item_id;
    q.org_id = GetInt(o, "org_id");
    q.queued = o.contains("queued") && o.at("queued").is_bool() && o.at("queued").as_bool();
    q.severity_tier = static_cast<int>(GetInt(o, "severity_tier"));
    q.confidence = GetDouble(o, "confidence");
    q.reach = GetInt(o, "reach");
    q.priority = PriorityScore(q.severity_tier, q.confidence, q.reach);
    if (auto* ids = o.if_contains("signal_ids"); ids && ids->is_array()) {
      for (const auto& id : ids->as_array()) {
        if (id.is_int64()) q.signal_ids.push_back(id.as_int64());
      }
    }
    q.submitted_ms = e.at_ms;
    entries_[item_id] = std::move(q);
    return;
  }
  auto it = entries_.find(item_id);
  if (it == entries_.end()) return;
  QueueEntry& q = it->second;
  auto state = ParseReviewState(GetString(o, "state"));
  if (!state.ok()) return;
  q.state = *state;
  q.decided_by = e.actor;
  q.decided_ms = e.at_ms;
  q.labels.clear();
  if (auto* ls = o.if_contains("labels"); ls && ls->is_array()) {
    for (const auto& l : ls->as_array()) {
      if (l.is_string()) q.labels.emplace_back(l.as_string());
    }
  }
  q.tier = static_cast<int>(GetInt(o, "tier"));
  q.note = GetString(o, "note");
  q.leased_to = 0;
  q.lease_until_ms = 0;
}

Status ReviewQueue::Replay(store::Store& store) {
  return store.ForEachAudit(0, [&](const store::AuditEntry& e) {
    Apply(e);
    return true;
  });
}

std::optional<QueueEntry> ReviewQueue::Get(int64_t item_id) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(item_id);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

int64_t ReviewQueue::OwnerOf(int64_t item_id) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(item_id);
  return it == entries_.end() ? 0 : it->second.org_id;
}

std::optional<QueueEntry> ReviewQueue::Next(int64_t org_id, bool include_escalated, int64_t user_id,
                                            int64_t now_ms, int64_t lease_ms) {
  std::lock_guard lock(mu_);
  QueueEntry* best = nullptr;
  for (auto& [id, q] : entries_) {
    if (q.org_id != org_id || !q.queued) continue;
    bool open = q.state == ReviewState::kPending ||
                (include_escalated && q.state == ReviewState::kEscalated);
    if (!open) continue;
    if (q.leased_to != 0 && q.leased_to != user_id && q.lease_until_ms > now_ms) continue;
    // Escalated items come first for those who may see them; then priority, then age.
    auto key = [](const QueueEntry& e) {
      return std::make_tuple(e.state == ReviewState::kEscalated, e.priority, -e.item_id);
    };
    if (!best || key(q) > key(*best)) best = &q;
  }
  if (!best) return std::nullopt;
  best->leased_to = user_id;
  best->lease_until_ms = now_ms + lease_ms;
  return *best;
}

std::vector<QueueEntry> ReviewQueue::List(int64_t org_id, ReviewState state, size_t limit) const {
  std::vector<QueueEntry> out;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, q] : entries_) {
      if (q.org_id == org_id && q.queued && q.state == state) out.push_back(q);
    }
  }
  std::sort(out.begin(), out.end(), [](const QueueEntry& a, const QueueEntry& b) {
    return a.priority != b.priority ? a.priority > b.priority : a.item_id < b.item_id;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

int64_t ReviewQueue::FalsePositives(int64_t signal_id) const {
  std::lock_guard lock(mu_);
  auto it = false_positives_.find(signal_id);
  return it == false_positives_.end() ? 0 : it->second;
}

}  // namespace vigil::server
