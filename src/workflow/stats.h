// Referral statistics and the transparency report (issue 7 item 9), as pure functions over
// referral records, so the REST API (GET /api/v1/referrals/stats, /reports/transparency)
// and the CLI (`vigil report transparency`) give the same numbers.
//
// Counting rules (docs/referrals.md): a referral counts once per outcome it ever reached
// (a removal after geo-blocking counts in both); "delivered" is having a delivery receipt;
// time to removal runs from the first receipt (an order's received_ms) to the removal
// (an order's complied_ms, else the first "removed" status change, else re-check
// verification); median and p90 are nearest-rank; an order is overdue if its clock says so
// now or FlagOverdue flagged it.
//
// Thread safety: Stats is a plain value; functions are pure.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "workflow/model.h"

namespace vigil::workflow {

class Stats {
 public:
  void Add(const Referral& r, int64_t now_ms);
  // {"key":..,"referrals":..,"urls_referred":..,...,"median_time_to_removal_ms":..}
  boost::json::object ToJson(const std::string& key) const;

  int64_t referrals = 0, urls = 0, delivered = 0, acknowledged = 0, removed = 0, geo_blocked = 0,
          rejected = 0, cannot_comply = 0, pending = 0, held = 0, withdrawn = 0, orders = 0,
          overdue = 0, removed_within_deadline = 0;
  std::vector<int64_t> times_to_removal_ms;
};

// Nearest-rank percentile of `values` (sorted or not); 0 for none.
int64_t Percentile(std::vector<int64_t> values, int pct);

struct ReportScope {
  std::string organisation;
  int64_t from_ms = 0;  // referrals created in [from_ms, to_ms]
  int64_t to_ms = 0;
  int64_t now_ms = 0;
};

// TCO Art. 7(3)-style transparency report of a competent authority: removal orders issued
// and their outcome (removed / within the hour / overdue / cannot comply by Annex III
// reason), the other routes alongside, and one row per (route, platform).
boost::json::object TransparencyReportJson(const std::vector<Referral>& referrals,
                                           const ReportScope& scope);
// The per-(route, platform) rows as CSV with a header line.
std::string TransparencyReportCsv(const std::vector<Referral>& referrals, const ReportScope& scope);

}  // namespace vigil::workflow
