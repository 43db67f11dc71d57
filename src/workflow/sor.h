// DSA statement-of-reasons records (issue 7 item 9): one record per referred item that a
// platform removed or geo-blocked, with the fields of the EU DSA Transparency Database
// submission schema (Regulation (EU) 2022/2065 Art. 17 and 24(5); the database's API
// "statement" object), so an authority can hand them to a platform, compare them with what
// the platform published, or keep them as its own record of outcomes.
//
// What each field is mapped from is documented in docs/referrals.md ("DSA statements of
// reasons"). Records are built from referral records alone (pure functions); the store
// only decodes referrals that reached a platform decision (store/operation_store.h).
//
// Thread safety: pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "workflow/model.h"

namespace vigil::workflow {

// Territorial scope of a removal: every EEA country (the database's "EEA" list).
const std::vector<std::string>& EeaCountryCodes();

struct SorOptions {
  std::string platform;   // only this platform's decisions; empty: any
  std::string operation;  // only referrals of this operation; empty: any
  int64_t since_ms = 0;   // only decisions taken at or after this time
  // Voluntary referrals: SOURCE_TRUSTED_FLAGGER when the referring unit has Art. 22
  // trusted-flagger status, else SOURCE_ARTICLE_16 (a notice under Art. 16).
  bool trusted_flagger = false;
  std::string category = "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY";
  std::vector<std::string> category_specification = {"KEYWORD_TERRORIST_CONTENT"};
};

// The records, ordered by (referral id, item position). Each is a flat JSON object: the
// database's attributes (decision_visibility, decision_ground, category, content_type,
// territorial_scope, content_date, application_date, decision_facts, source_type,
// automated_detection, automated_decision, puid, ...) plus vigil's own keys (referral_id,
// platform_id, url, operation, route) for tracing back.
std::vector<boost::json::object> StatementsOfReasons(const std::vector<Referral>& referrals,
                                                     const SorOptions& options);

// {"type":"vigil.statements_of_reasons","version":1,"count":N,"statements":[...]} (the
// "statements" member is the shape of the database's multiple-statements payload).
boost::json::object StatementsOfReasonsJson(const std::vector<boost::json::object>& records);

// One line per record under a header (kSorCsvColumns); arrays are written as JSON arrays;
// fields with a comma, quote, CR or LF are quoted with inner quotes doubled (RFC 4180).
std::string StatementsOfReasonsCsv(const std::vector<boost::json::object>& records);

extern const std::vector<std::string> kSorCsvColumns;

// RFC 4180 quoting of one CSV field.
std::string CsvQuote(std::string_view s);

}  // namespace vigil::workflow
