#include "workflow/operation.h"

#include <algorithm>
#include <boost/json.hpp>

#include "workflow/clock.h"

namespace vigil::workflow {
namespace json = boost::json;

std::string_view OperationStateName(OperationState s) {
  switch (s) {
    case OperationState::kPlanned: return "planned";
    case OperationState::kActive: return "active";
    case OperationState::kClosed: return "closed";
  }
  return "planned";
}

Result<OperationState> ParseOperationState(std::string_view name) {
  for (OperationState s :
       {OperationState::kPlanned, OperationState::kActive, OperationState::kClosed}) {
    if (OperationStateName(s) == name) return s;
  }
  return Status::InvalidArgument("unknown operation state '" + std::string(name) +
                                 "' (planned, active, closed)");
}

bool Operation::HasOrganisation(std::string_view org) const {
  return std::find(organisations.begin(), organisations.end(), org) != organisations.end();
}

Status ValidateOperation(const Operation& op) {
  if (op.name.empty() || op.name.size() > kMaxOperationNameBytes) {
    return Status::InvalidArgument("an operation name has 1 to " +
                                   std::to_string(kMaxOperationNameBytes) + " characters");
  }
  // The name travels in URL paths and CSV cells: keep it to a safe alphabet.
  for (char c : op.name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) {
      return Status::InvalidArgument(
          "an operation name may only hold letters, digits and - _ . : (got '" + op.name + "')");
    }
  }
  if (op.title.size() > kMaxOperationTitleBytes) {
    return Status::InvalidArgument("the operation title is too long");
  }
  if (op.organisations.empty()) {
    return Status::InvalidArgument("an operation needs at least one organisation");
  }
  if (op.organisations.size() > kMaxOperationOrganisations) {
    return Status::InvalidArgument("at most " + std::to_string(kMaxOperationOrganisations) +
                                   " organisations per operation");
  }
  for (const auto& o : op.organisations) {
    if (o.empty() || o.size() > 200) return Status::InvalidArgument("bad organisation name");
  }
  if (op.sources.size() > kMaxOperationSources) {
    return Status::InvalidArgument("at most " + std::to_string(kMaxOperationSources) +
                                   " sources per operation");
  }
  for (const auto& s : op.sources) {
    if (s.empty() || s.size() > kMaxOperationSourceBytes) {
      return Status::InvalidArgument("a source has 1 to " +
                                     std::to_string(kMaxOperationSourceBytes) + " characters");
    }
  }
  if (op.start_ms < 0 || op.end_ms < 0) {
    return Status::InvalidArgument("window times must not be negative");
  }
  if (op.end_ms != 0 && op.end_ms < op.start_ms) {
    return Status::InvalidArgument("the operation window ends before it starts");
  }
  return Status::OK();
}

Status CheckReferralInOperation(const Operation& op, std::string_view org, int64_t now_ms) {
  if (!op.HasOrganisation(org)) {
    return Status::PermissionDenied("organisation '" + std::string(org) +
                                    "' does not take part in operation '" + op.name + "'");
  }
  if (op.state == OperationState::kClosed) {
    return Status::FailedPrecondition("operation '" + op.name + "' is closed");
  }
  if (now_ms < op.start_ms || (op.end_ms != 0 && now_ms > op.end_ms)) {
    return Status::FailedPrecondition(
        "operation '" + op.name + "' runs from " + FormatRfc3339(op.start_ms) + " to " +
        (op.end_ms ? FormatRfc3339(op.end_ms) : "open end") + "; now is outside its window");
  }
  return Status::OK();
}

json::object OperationToJson(const Operation& op) {
  json::array orgs, sources;
  for (const auto& o : op.organisations) orgs.emplace_back(o);
  for (const auto& s : op.sources) sources.emplace_back(s);
  return {{"name", op.name},
          {"title", op.title},
          {"start_ms", op.start_ms},
          {"end_ms", op.end_ms},
          {"start", FormatRfc3339(op.start_ms)},
          {"end", FormatRfc3339(op.end_ms)},
          {"organisations", std::move(orgs)},
          {"sources", std::move(sources)},
          {"state", OperationStateName(op.state)},
          {"created_by", op.created_by},
          {"created_ms", op.created_ms},
          {"updated_ms", op.updated_ms}};
}

json::object OperationCounters::ToJson() const {
  json::object o{{"items_referred", items_referred},
                 {"referrals", referrals},
                 {"delivered", delivered},
                 {"acknowledged", acknowledged},
                 {"removed", removed},
                 {"geo_blocked", geo_blocked},
                 {"rejected", rejected},
                 {"held", held},
                 {"pending", pending},
                 {"withdrawn", withdrawn},
                 {"removal_orders", removal_orders},
                 {"overdue_orders", overdue_orders},
                 {"median_time_to_removal_ms", median_time_to_removal_ms},
                 {"p90_time_to_removal_ms", p90_time_to_removal_ms}};
  if (items_collected) {
    o["items_collected"] = *items_collected;
  } else {
    o["items_collected"] = nullptr;
  }
  return o;
}

}  // namespace vigil::workflow
