#include "workflow/stats.h"

#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <sstream>

#include "workflow/clock.h"
#include "workflow/tco.h"

namespace vigil::workflow {
namespace json = boost::json;
namespace {

bool EverIn(const Referral& r, ReferralState s) {
  if (r.state == s) return true;
  for (const auto& c : r.history) {
    if (c.to == s) return true;
  }
  return false;
}

int64_t FirstDelivery(const Referral& r) {
  if (r.order && r.order->received_ms) return r.order->received_ms;
  int64_t first = 0;
  for (const auto& d : r.receipts) {
    if (d.delivered_ms && (first == 0 || d.delivered_ms < first)) first = d.delivered_ms;
  }
  return first;
}

int64_t RemovedAt(const Referral& r) {
  if (r.order && r.order->complied_ms) return r.order->complied_ms;
  for (const auto& c : r.history) {
    if (c.to == ReferralState::kRemoved) return c.at_ms;
  }
  return r.removal_verified_ms;
}

std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

constexpr const char* kCounters[] = {"referrals",
                                     "urls_referred",
                                     "delivered",
                                     "acknowledged",
                                     "removed",
                                     "geo_blocked",
                                     "rejected",
                                     "cannot_comply",
                                     "pending",
                                     "held",
                                     "withdrawn",
                                     "removal_orders",
                                     "overdue_orders",
                                     "orders_removed_within_deadline",
                                     "median_time_to_removal_ms",
                                     "p90_time_to_removal_ms"};

bool InScope(const Referral& r, const ReportScope& s) {
  return r.created_ms >= s.from_ms && (s.to_ms == 0 || r.created_ms <= s.to_ms);
}

}  // namespace

int64_t Percentile(std::vector<int64_t> values, int pct) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t rank = (static_cast<size_t>(pct) * values.size() + 99) / 100;
  return values[std::max<size_t>(rank, 1) - 1];
}

void Stats::Add(const Referral& r, int64_t now) {
  using S = ReferralState;
  ++referrals;
  urls += static_cast<int64_t>(r.items.size());
  if (FirstDelivery(r)) ++delivered;
  if (EverIn(r, S::kAcknowledged)) ++acknowledged;
  const bool was_removed = EverIn(r, S::kRemoved);
  if (was_removed) ++removed;
  if (EverIn(r, S::kGeoBlocked)) ++geo_blocked;
  if (r.state == S::kRejected) ++rejected;
  if (EverIn(r, S::kCannotComply)) ++cannot_comply;
  if (r.state == S::kPending || r.state == S::kDeliveryFailed) ++pending;
  if (r.state == S::kHeld) ++held;
  if (r.state == S::kWithdrawn) ++withdrawn;
  if (r.order) {
    ++orders;
    TcoClockState c = ComputeTcoClock(*r.order, now);
    if (c.overdue || r.order->overdue_flagged_ms) {
      ++overdue;
    } else if (c.complied) {
      ++removed_within_deadline;
    }
  }
  if (was_removed) {
    int64_t from = FirstDelivery(r), to = RemovedAt(r);
    if (from && to >= from) times_to_removal_ms.push_back(to - from);
  }
}

json::object Stats::ToJson(const std::string& key) const {
  return {{"key", key},
          {"referrals", referrals},
          {"urls_referred", urls},
          {"delivered", delivered},
          {"acknowledged", acknowledged},
          {"removed", removed},
          {"geo_blocked", geo_blocked},
          {"rejected", rejected},
          {"cannot_comply", cannot_comply},
          {"pending", pending},
          {"held", held},
          {"withdrawn", withdrawn},
          {"removal_orders", orders},
          {"overdue_orders", overdue},
          {"orders_removed_within_deadline", removed_within_deadline},
          {"median_time_to_removal_ms", Percentile(times_to_removal_ms, 50)},
          {"p90_time_to_removal_ms", Percentile(times_to_removal_ms, 90)}};
}

json::object TransparencyReportJson(const std::vector<Referral>& referrals,
                                    const ReportScope& scope) {
  std::map<std::pair<std::string, std::string>, Stats> rows;  // (route, platform)
  std::map<std::string, Stats> per_route;
  std::map<std::string, int64_t> reasons;
  for (const auto& r : referrals) {
    if (!InScope(r, scope)) continue;
    std::string route(LegalRouteName(r.route));
    rows[{route, r.platform_id}].Add(r, scope.now_ms);
    per_route[route].Add(r, scope.now_ms);
    if (r.cannot_comply) ++reasons[std::string(CannotComplyReasonName(*r.cannot_comply))];
  }
  json::object routes;
  for (const auto& [route, s] : per_route) routes[route] = s.ToJson(route);
  json::array per_platform;
  for (const auto& [key, s] : rows) {
    json::object o = s.ToJson(key.second);
    o["route"] = key.first;
    per_platform.push_back(std::move(o));
  }
  json::object reason_counts;
  for (const auto& [k, n] : reasons) reason_counts[k] = n;
  json::value orders = routes.contains("tco_removal_order")
                           ? routes["tco_removal_order"]
                           : json::value(Stats().ToJson("tco_removal_order"));
  return {{"type", "vigil.transparency_report"},
          {"version", 1},
          {"regulation", "Regulation (EU) 2021/784 Art. 7(3) (competent authority)"},
          {"organisation", scope.organisation},
          {"period", json::object{{"from", FormatRfc3339(scope.from_ms)},
                                  {"to", FormatRfc3339(scope.to_ms ? scope.to_ms : scope.now_ms)}}},
          {"generated_at", FormatRfc3339(scope.now_ms)},
          {"removal_orders", std::move(orders)},
          {"referrals", std::move(routes)},
          {"cannot_comply_reasons", std::move(reason_counts)},
          {"per_platform", std::move(per_platform)}};
}

std::string TransparencyReportCsv(const std::vector<Referral>& referrals,
                                  const ReportScope& scope) {
  std::map<std::pair<std::string, std::string>, Stats> rows;
  for (const auto& r : referrals) {
    if (InScope(r, scope))
      rows[{std::string(LegalRouteName(r.route)), r.platform_id}].Add(r, scope.now_ms);
  }
  std::ostringstream out;
  out << "route,platform";
  for (const char* k : kCounters) out << ',' << k;
  out << '\n';
  for (const auto& [key, s] : rows) {
    json::object o = s.ToJson(key.second);
    out << CsvField(key.first) << ',' << CsvField(key.second);
    for (const char* k : kCounters) out << ',' << o.at(k).as_int64();
    out << '\n';
  }
  return out.str();
}

}  // namespace vigil::workflow
