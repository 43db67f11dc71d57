// Operations ("action days", issue 7 item 9): a named, time-boxed joint effort of several
// organisations against a set of collection sources, with live counters of what it
// referred and what the platforms did with it.
//
// The name is the key referrals already carry (`Referral::operation`). A referral that
// names an operation which exists must be made by one of its organisations, while it is
// not closed, inside its window (CheckReferralInOperation; ReferralService calls it through
// ServiceOptions::check_operation). A referral naming an operation that does not exist
// keeps working as before: the name is a free string (statistics per name).
//
// Counters (OperationCounters) follow the counting rules of workflow/stats.h; the store
// computes them with SQL aggregates (store/operation_store.h) and reuses Stats for the
// parts that need the clock (overdue orders, time to removal).
//
// Thread safety: value types and pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vigil::workflow {

// Limits on what one operation holds.
inline constexpr size_t kMaxOperationNameBytes = 128;
inline constexpr size_t kMaxOperationTitleBytes = 500;
inline constexpr size_t kMaxOperationOrganisations = 64;
inline constexpr size_t kMaxOperationSources = 256;
inline constexpr size_t kMaxOperationSourceBytes = 2048;

enum class OperationState { kPlanned, kActive, kClosed };
std::string_view OperationStateName(OperationState s);  // planned | active | closed
Result<OperationState> ParseOperationState(std::string_view name);

struct Operation {
  std::string name;  // key: [A-Za-z0-9._:-], 1..kMaxOperationNameBytes
  std::string title;
  int64_t start_ms = 0;                    // window [start_ms, end_ms]
  int64_t end_ms = 0;                      // 0: open-ended
  std::vector<std::string> organisations;  // participants (organisation names)
  std::vector<std::string> sources;        // collection sources: names, paths or URLs
  OperationState state = OperationState::kPlanned;
  std::string created_by;  // audit actor
  int64_t created_ms = 0;
  int64_t updated_ms = 0;

  bool HasOrganisation(std::string_view org) const;
};

// InvalidArgument naming the first problem: bad name, too long a title or source, too many
// organisations or sources, no organisation, end before start.
Status ValidateOperation(const Operation& op);

// Whether `org` may refer under `op` at `now_ms`: PermissionDenied if it does not take part,
// FailedPrecondition if the operation is closed or `now_ms` is outside its window.
Status CheckReferralInOperation(const Operation& op, std::string_view org, int64_t now_ms);

boost::json::object OperationToJson(const Operation& op);

// Live counters of one operation. Referral outcomes count as in workflow/stats.h (once per
// outcome ever reached; rejected and held are current states).
struct OperationCounters {
  // Items the store collected inside the window from the operation's sources (an item's
  // stored `source` equal to one of them); unset when the operation names no source.
  std::optional<int64_t> items_collected;
  int64_t items_referred = 0;  // URLs in the operation's referrals
  int64_t referrals = 0;
  int64_t delivered = 0;
  int64_t acknowledged = 0;
  int64_t removed = 0;
  int64_t geo_blocked = 0;
  int64_t rejected = 0;
  int64_t held = 0;
  int64_t pending = 0;
  int64_t withdrawn = 0;
  int64_t removal_orders = 0;
  int64_t overdue_orders = 0;
  int64_t median_time_to_removal_ms = 0;
  int64_t p90_time_to_removal_ms = 0;

  boost::json::object ToJson() const;
  bool operator==(const OperationCounters&) const = default;
};

}  // namespace vigil::workflow
