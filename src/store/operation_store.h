// SqlOperationStore: operations ("action days", workflow/operation.h) in the store's
// database (migration 5 of sql_store.cpp), their live counters, and the referrals a DSA
// statement-of-reasons export needs, on SQLite and PostgreSQL alike.
//
// Every change (create, update) commits with its audit entry ("operation.create",
// "operation.update": actor, the operation as JSON before and after) in one transaction.
//
// Counters come from SQL aggregates over the referral tables' indexed columns
// (referrals_by_operation, the events' and items' primary keys): only referrals that are
// removal orders or reached "removed" are decoded, and they go through workflow::Stats so
// overdue orders and time to removal are computed exactly as everywhere else.
// CountersByDecoding is the plain reference (every referral of the operation decoded into
// Stats); tests check that both agree.
//
// Thread safety: like the Store it wraps (one connection): one thread at a time; the
// server calls it under its store mutex. The Store must outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/store.h"
#include "workflow/model.h"
#include "workflow/operation.h"

namespace vigil::store {

class SqlOperationStore {
 public:
  // InvalidArgument if `store` is not a SQL store.
  static Result<std::unique_ptr<SqlOperationStore>> Create(Store* store);

  // Validates and stores a new operation (created_ms/updated_ms = now_ms, created_by =
  // actor). AlreadyExists if the name is taken.
  Result<workflow::Operation> CreateOperation(std::string_view actor, workflow::Operation op,
                                              int64_t now_ms);
  // NotFound if there is none.
  Result<workflow::Operation> Get(std::string_view name);
  // Operations `org` takes part in (empty: all), by name.
  Result<std::vector<workflow::Operation>> List(std::string_view org);
  // Applies `change` to the stored operation, validates the result and stores it with an
  // audit entry. The name cannot change. An error from `change` changes nothing.
  Result<workflow::Operation> Update(std::string_view actor, std::string_view name,
                                     const std::function<Status(workflow::Operation&)>& change,
                                     int64_t now_ms);

  // Live counters (see the file comment).
  Result<workflow::OperationCounters> Counters(const workflow::Operation& op, int64_t now_ms);
  // The reference: every referral of the operation decoded into workflow::Stats.
  Result<workflow::OperationCounters> CountersByDecoding(const workflow::Operation& op,
                                                         int64_t now_ms);

  // Referrals on which a platform took a decision (an item reported removed, or the
  // referral moved to removed or geo-blocked), updated at or after `since_ms`, optionally
  // only those naming `org`, of `operation`, to `platform`; in id order. Nothing else is
  // decoded.
  Result<std::vector<workflow::Referral>> DecidedReferrals(std::string_view org,
                                                           std::string_view operation,
                                                           std::string_view platform,
                                                           int64_t since_ms);

 private:
  explicit SqlOperationStore(Store* store) : store_(store) {}
  Status Write(std::string_view actor, std::string_view action, const workflow::Operation* before,
               const workflow::Operation& after, bool insert);
  Result<std::optional<int64_t>> ItemsCollected(const workflow::Operation& op);

  Store* store_;
};

// ServiceOptions::check_operation over the store: a referral naming an operation that
// exists must pass workflow::CheckReferralInOperation; an unknown name passes (a free
// string, as before operations existed). Reads only; takes no lock (the workflow calls it
// inside its change, when the caller already owns the connection).
std::function<Status(std::string_view operation, std::string_view org, int64_t now_ms)>
OperationGate(Store* store);

}  // namespace vigil::store
