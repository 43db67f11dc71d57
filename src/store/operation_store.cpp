#include "store/operation_store.h"

#include <algorithm>
#include <boost/json.hpp>
#include <limits>
#include <optional>

#include "store/sql.h"
#include "store/sql_store.h"
#include "store/store_sql.h"
#include "workflow/codec.h"
#include "workflow/stats.h"

namespace vigil::store {
namespace {

using namespace store_sql;  // I, S, Conn, Q, X
namespace wf = workflow;

// One integer from a one-row query (0 for no row).
Result<int64_t> Scalar(Store* s, const std::string& q, std::vector<Param> p) {
  VIGIL_ASSIGN_OR_RETURN(auto rows, Q(s, q, std::move(p)));
  VIGIL_ASSIGN_OR_RETURN(bool found, rows->Next());
  return found && !rows->IsNull(0) ? rows->Int(0) : int64_t{0};
}

std::string Json(const wf::Operation& op) {
  return boost::json::serialize(wf::OperationToJson(op));
}

Result<wf::Operation> Load(Store* s, std::string_view name) {
  wf::Operation op;
  {
    VIGIL_ASSIGN_OR_RETURN(auto rows, Q(s,
                                        "SELECT name, title, start_ms, end_ms, state, created_by, "
                                        "created_ms, updated_ms FROM operations WHERE name = ?",
                                        {S(name)}));
    VIGIL_ASSIGN_OR_RETURN(bool found, rows->Next());
    if (!found) return Status::NotFound("operation '" + std::string(name) + "' not found");
    op.name = rows->Text(0);
    op.title = rows->Text(1);
    op.start_ms = rows->Int(2);
    op.end_ms = rows->Int(3);
    VIGIL_ASSIGN_OR_RETURN(op.state, wf::ParseOperationState(rows->Text(4)));
    op.created_by = rows->Text(5);
    op.created_ms = rows->Int(6);
    op.updated_ms = rows->Int(7);
  }
  {
    VIGIL_ASSIGN_OR_RETURN(
        auto rows,
        Q(s, "SELECT org FROM operation_orgs WHERE operation = ? ORDER BY org", {S(name)}));
    while (true) {
      VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
      if (!more) break;
      op.organisations.push_back(rows->Text(0));
    }
  }
  {
    VIGIL_ASSIGN_OR_RETURN(
        auto rows,
        Q(s, "SELECT source FROM operation_sources WHERE operation = ? ORDER BY pos", {S(name)}));
    while (true) {
      VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
      if (!more) break;
      op.sources.push_back(rows->Text(0));
    }
  }
  return op;
}

// Organisations sorted and unique: the stored order (operation_orgs is keyed by name).
void Normalise(wf::Operation& op) {
  std::sort(op.organisations.begin(), op.organisations.end());
  op.organisations.erase(std::unique(op.organisations.begin(), op.organisations.end()),
                         op.organisations.end());
}

constexpr const char* kOperationFilter = "operation = ?";

}  // namespace

Result<std::unique_ptr<SqlOperationStore>> SqlOperationStore::Create(Store* store) {
  if (!store || !RawConnectionForTesting(*store)) {
    return Status::InvalidArgument("the operation store needs a SQL store");
  }
  return std::unique_ptr<SqlOperationStore>(new SqlOperationStore(store));
}

Status SqlOperationStore::Write(std::string_view actor, std::string_view action,
                                const wf::Operation* before, const wf::Operation& op, bool insert) {
  VIGIL_RETURN_IF_ERROR(BeginWriteTransaction(*store_));
  Status s = [&]() -> Status {
    if (insert) {
      VIGIL_ASSIGN_OR_RETURN(
          int64_t taken,
          Scalar(store_, "SELECT COUNT(*) FROM operations WHERE name = ?", {S(op.name)}));
      if (taken) return Status::AlreadyExists("operation '" + op.name + "' already exists");
      VIGIL_RETURN_IF_ERROR(X(store_,
                              "INSERT INTO operations (name, title, start_ms, end_ms, state, "
                              "created_by, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                              {S(op.name), S(op.title), I(op.start_ms), I(op.end_ms),
                               S(wf::OperationStateName(op.state)), S(op.created_by),
                               I(op.created_ms), I(op.updated_ms)})
                                .status());
    } else {
      VIGIL_ASSIGN_OR_RETURN(
          int64_t n, X(store_,
                       "UPDATE operations SET title = ?, start_ms = ?, "
                       "end_ms = ?, state = ?, updated_ms = ? WHERE name = ?",
                       {S(op.title), I(op.start_ms), I(op.end_ms),
                        S(wf::OperationStateName(op.state)), I(op.updated_ms), S(op.name)}));
      if (n == 0) return Status::NotFound("operation '" + op.name + "' not found");
      VIGIL_RETURN_IF_ERROR(
          X(store_, "DELETE FROM operation_orgs WHERE operation = ?", {S(op.name)}).status());
      VIGIL_RETURN_IF_ERROR(
          X(store_, "DELETE FROM operation_sources WHERE operation = ?", {S(op.name)}).status());
    }
    for (const auto& org : op.organisations) {
      VIGIL_RETURN_IF_ERROR(X(store_, "INSERT INTO operation_orgs (operation, org) VALUES (?, ?)",
                              {S(op.name), S(org)})
                                .status());
    }
    for (size_t i = 0; i < op.sources.size(); ++i) {
      VIGIL_RETURN_IF_ERROR(
          X(store_, "INSERT INTO operation_sources (operation, pos, source) VALUES (?, ?, ?)",
            {S(op.name), I(static_cast<int64_t>(i)), S(op.sources[i])})
              .status());
    }
    return AppendAuditInTransaction(*store_, actor, action, "operation:" + op.name,
                                    before ? Json(*before) : std::string(), Json(op), "{}")
        .status();
  }();
  if (!s.ok()) {
    (void)Conn(store_).ExecScript("ROLLBACK");
    return s;
  }
  Status c = Conn(store_).ExecScript("COMMIT");
  if (!c.ok()) (void)Conn(store_).ExecScript("ROLLBACK");
  return c;
}

Result<wf::Operation> SqlOperationStore::CreateOperation(std::string_view actor, wf::Operation op,
                                                         int64_t now_ms) {
  if (actor.empty()) return Status::InvalidArgument("an operation change needs an actor");
  Normalise(op);
  VIGIL_RETURN_IF_ERROR(wf::ValidateOperation(op));
  op.created_by = std::string(actor);
  op.created_ms = now_ms;
  op.updated_ms = now_ms;
  VIGIL_RETURN_IF_ERROR(Write(actor, "operation.create", nullptr, op, true));
  return op;
}

Result<wf::Operation> SqlOperationStore::Get(std::string_view name) { return Load(store_, name); }

Result<std::vector<wf::Operation>> SqlOperationStore::List(std::string_view org) {
  std::vector<std::string> names;
  {
    VIGIL_ASSIGN_OR_RETURN(auto rows,
                           org.empty() ? Q(store_, "SELECT name FROM operations ORDER BY name", {})
                                       : Q(store_,
                                           "SELECT operation FROM operation_orgs WHERE org = ? "
                                           "ORDER BY operation",
                                           {S(org)}));
    while (true) {
      VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
      if (!more) break;
      names.push_back(rows->Text(0));
    }
  }
  std::vector<wf::Operation> out;
  for (const auto& n : names) {
    VIGIL_ASSIGN_OR_RETURN(wf::Operation op, Load(store_, n));
    out.push_back(std::move(op));
  }
  return out;
}

Result<wf::Operation> SqlOperationStore::Update(std::string_view actor, std::string_view name,
                                                const std::function<Status(wf::Operation&)>& change,
                                                int64_t now_ms) {
  if (actor.empty()) return Status::InvalidArgument("an operation change needs an actor");
  VIGIL_ASSIGN_OR_RETURN(wf::Operation before, Load(store_, name));
  wf::Operation after = before;
  VIGIL_RETURN_IF_ERROR(change(after));
  if (after.name != before.name) return Status::InvalidArgument("an operation cannot be renamed");
  after.created_by = before.created_by;
  after.created_ms = before.created_ms;
  after.updated_ms = now_ms;
  Normalise(after);
  VIGIL_RETURN_IF_ERROR(wf::ValidateOperation(after));
  VIGIL_RETURN_IF_ERROR(Write(actor, "operation.update", &before, after, false));
  return after;
}

Result<std::optional<int64_t>> SqlOperationStore::ItemsCollected(const wf::Operation& op) {
  if (op.sources.empty()) return std::optional<int64_t>();
  const int64_t end = op.end_ms ? op.end_ms : std::numeric_limits<int64_t>::max();
  int64_t total = 0;
  // One index range (items_by_source) per source.
  for (const auto& src : op.sources) {
    VIGIL_ASSIGN_OR_RETURN(int64_t n, Scalar(store_,
                                             "SELECT COUNT(*) FROM items WHERE source = ? AND "
                                             "collected_ms >= ? AND collected_ms <= ?",
                                             {S(src), I(op.start_ms), I(end)}));
    total += n;
  }
  return std::optional<int64_t>(total);
}

Result<wf::OperationCounters> SqlOperationStore::Counters(const wf::Operation& op, int64_t now_ms) {
  wf::OperationCounters c;
  VIGIL_ASSIGN_OR_RETURN(c.items_collected, ItemsCollected(op));
  const std::string& name = op.name;
  {
    VIGIL_ASSIGN_OR_RETURN(auto rows,
                           Q(store_,
                             std::string("SELECT state, COUNT(*) FROM referrals WHERE ") +
                                 kOperationFilter + " GROUP BY state",
                             {S(name)}));
    while (true) {
      VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
      if (!more) break;
      const std::string state = rows->Text(0);
      const int64_t n = rows->Int(1);
      c.referrals += n;
      if (state == "rejected") c.rejected += n;
      if (state == "held") c.held += n;
      if (state == "pending" || state == "delivery_failed") c.pending += n;
      if (state == "withdrawn") c.withdrawn += n;
    }
  }
  // Outcomes ever reached: every transition is in referral_events (Stats' EverIn).
  {
    VIGIL_ASSIGN_OR_RETURN(
        auto rows, Q(store_,
                     "SELECT e.to_state, COUNT(DISTINCT e.referral_id) FROM referral_events e "
                     "JOIN referrals r ON r.id = e.referral_id WHERE r.operation = ? AND "
                     "e.to_state IN ('acknowledged', 'removed', 'geo_blocked') GROUP BY e.to_state",
                     {S(name)}));
    while (true) {
      VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
      if (!more) break;
      const std::string state = rows->Text(0);
      const int64_t n = rows->Int(1);
      if (state == "acknowledged") c.acknowledged = n;
      if (state == "removed") c.removed = n;
      if (state == "geo_blocked") c.geo_blocked = n;
    }
  }
  VIGIL_ASSIGN_OR_RETURN(c.items_referred,
                         Scalar(store_,
                                "SELECT COUNT(*) FROM referral_items i JOIN referrals r ON "
                                "r.id = i.referral_id WHERE r.operation = ?",
                                {S(name)}));
  VIGIL_ASSIGN_OR_RETURN(c.delivered,
                         Scalar(store_,
                                "SELECT COUNT(DISTINCT d.referral_id) FROM referral_deliveries d "
                                "JOIN referrals r ON r.id = d.referral_id WHERE r.operation = ? "
                                "AND d.delivered_ms > 0",
                                {S(name)}));
  // What needs the clock or the record's times: orders (overdue) and removals (time to
  // removal), through Stats.
  wf::Stats st;
  {
    VIGIL_ASSIGN_OR_RETURN(auto rows,
                           Q(store_,
                             "SELECT record FROM referrals r WHERE operation = ? AND (route = "
                             "'tco_removal_order' OR EXISTS (SELECT 1 FROM referral_events e WHERE "
                             "e.referral_id = r.id AND e.to_state = 'removed')) ORDER BY id",
                             {S(name)}));
    while (true) {
      VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
      if (!more) break;
      VIGIL_ASSIGN_OR_RETURN(wf::Referral r, wf::ReferralFromJson(rows->TextView(0)));
      st.Add(r, now_ms);
    }
  }
  c.removal_orders = st.orders;
  c.overdue_orders = st.overdue;
  c.median_time_to_removal_ms = wf::Percentile(st.times_to_removal_ms, 50);
  c.p90_time_to_removal_ms = wf::Percentile(st.times_to_removal_ms, 90);
  return c;
}

Result<wf::OperationCounters> SqlOperationStore::CountersByDecoding(const wf::Operation& op,
                                                                    int64_t now_ms) {
  wf::OperationCounters c;
  VIGIL_ASSIGN_OR_RETURN(c.items_collected, ItemsCollected(op));
  wf::Stats st;
  {
    VIGIL_ASSIGN_OR_RETURN(
        auto rows,
        Q(store_, "SELECT record FROM referrals WHERE operation = ? ORDER BY id", {S(op.name)}));
    while (true) {
      VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
      if (!more) break;
      VIGIL_ASSIGN_OR_RETURN(wf::Referral r, wf::ReferralFromJson(rows->TextView(0)));
      st.Add(r, now_ms);
    }
  }
  c.items_referred = st.urls;
  c.referrals = st.referrals;
  c.delivered = st.delivered;
  c.acknowledged = st.acknowledged;
  c.removed = st.removed;
  c.geo_blocked = st.geo_blocked;
  c.rejected = st.rejected;
  c.held = st.held;
  c.pending = st.pending;
  c.withdrawn = st.withdrawn;
  c.removal_orders = st.orders;
  c.overdue_orders = st.overdue;
  c.median_time_to_removal_ms = wf::Percentile(st.times_to_removal_ms, 50);
  c.p90_time_to_removal_ms = wf::Percentile(st.times_to_removal_ms, 90);
  return c;
}

Result<std::vector<wf::Referral>> SqlOperationStore::DecidedReferrals(std::string_view org,
                                                                      std::string_view operation,
                                                                      std::string_view platform,
                                                                      int64_t since_ms) {
  std::string q =
      "SELECT record FROM referrals r WHERE updated_ms >= ? AND (EXISTS (SELECT 1 FROM "
      "referral_items i WHERE i.referral_id = r.id AND i.removed_ms > 0) OR EXISTS (SELECT 1 "
      "FROM referral_events e WHERE e.referral_id = r.id AND e.to_state IN ('removed', "
      "'geo_blocked')))";
  std::vector<Param> p{I(since_ms)};
  if (!org.empty()) {
    q += " AND id IN (SELECT referral_id FROM referral_orgs WHERE org = ?)";
    p.push_back(S(org));
  }
  if (!operation.empty()) {
    q += " AND operation = ?";
    p.push_back(S(operation));
  }
  if (!platform.empty()) {
    q += " AND platform_id = ?";
    p.push_back(S(platform));
  }
  q += " ORDER BY id";
  VIGIL_ASSIGN_OR_RETURN(auto rows, Q(store_, q, std::move(p)));
  std::vector<wf::Referral> out;
  while (true) {
    VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
    if (!more) break;
    VIGIL_ASSIGN_OR_RETURN(wf::Referral r, wf::ReferralFromJson(rows->TextView(0)));
    out.push_back(std::move(r));
  }
  return out;
}

std::function<Status(std::string_view, std::string_view, int64_t)> OperationGate(Store* store) {
  return [store](std::string_view operation, std::string_view org, int64_t now_ms) -> Status {
    auto op = Load(store, operation);
    if (op.status().code() == StatusCode::kNotFound) return Status::OK();
    if (!op.ok()) return op.status();
    return wf::CheckReferralInOperation(*op, org, now_ms);
  };
}

}  // namespace vigil::store
