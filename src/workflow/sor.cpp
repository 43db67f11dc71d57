#include "workflow/sor.h"

#include <boost/json.hpp>
#include <optional>
#include <sstream>

#include "workflow/clock.h"

namespace vigil::workflow {
namespace json = boost::json;
namespace {

// The database's limits on free-text attributes (characters; we count bytes, which is
// stricter for non-ASCII text).
constexpr size_t kGroundChars = 500;
constexpr size_t kExplanationChars = 2000;
constexpr size_t kFactsChars = 5000;

std::string Clip(std::string s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  // Never cut inside a UTF-8 sequence.
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s;
}

std::string Day(int64_t ms) { return ms > 0 ? FormatRfc3339(ms).substr(0, 10) : std::string(); }

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

json::array Arr(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

int64_t FirstChangeTo(const Referral& r, ReferralState s) {
  for (const auto& c : r.history) {
    if (c.to == s) return c.at_ms;
  }
  return 0;
}

struct Decision {
  bool removed = false;  // else geo-blocked
  int64_t at_ms = 0;
};

// The platform's decision on one item, if it took one: a per-URL removal report, else the
// referral's first move to removed (feedback, or a re-check while it was with the
// platform), else its first move to geo-blocked.
std::optional<Decision> DecisionFor(const Referral& r, const ReferralItem& it) {
  if (it.removed_ms) return Decision{true, it.removed_ms};
  if (int64_t at = FirstChangeTo(r, ReferralState::kRemoved)) return Decision{true, at};
  if (int64_t at = FirstChangeTo(r, ReferralState::kGeoBlocked)) return Decision{false, at};
  return std::nullopt;
}

}  // namespace

const std::vector<std::string>& EeaCountryCodes() {
  static const std::vector<std::string> kEea = {
      "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
      "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK"};
  return kEea;
}

const std::vector<std::string> kSorCsvColumns = {"puid",
                                                 "referral_id",
                                                 "platform_id",
                                                 "url",
                                                 "operation",
                                                 "route",
                                                 "decision_visibility",
                                                 "decision_ground",
                                                 "illegal_content_legal_ground",
                                                 "illegal_content_explanation",
                                                 "incompatible_content_ground",
                                                 "incompatible_content_explanation",
                                                 "incompatible_content_illegal",
                                                 "category",
                                                 "category_specification",
                                                 "content_type",
                                                 "content_type_other",
                                                 "content_date",
                                                 "application_date",
                                                 "territorial_scope",
                                                 "decision_facts",
                                                 "source_type",
                                                 "source_identity",
                                                 "automated_detection",
                                                 "automated_decision"};

std::string CsvQuote(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::vector<json::object> StatementsOfReasons(const std::vector<Referral>& referrals,
                                              const SorOptions& opt) {
  std::vector<json::object> out;
  for (const Referral& r : referrals) {
    if (!opt.platform.empty() && r.platform_id != opt.platform) continue;
    if (!opt.operation.empty() && r.operation != opt.operation) continue;
    for (size_t pos = 0; pos < r.items.size(); ++pos) {
      const ReferralItem& it = r.items[pos];
      auto d = DecisionFor(r, it);
      if (!d || d->at_ms < opt.since_ms) continue;
      json::object o;
      o["puid"] = "vigil-" + std::to_string(r.id) + "-" + std::to_string(pos + 1);
      o["referral_id"] = r.id;
      o["platform_id"] = r.platform_id;
      o["url"] = it.url;
      o["operation"] = r.operation;
      o["route"] = LegalRouteName(r.route);
      o["decision_visibility"] = json::array{d->removed ? "DECISION_VISIBILITY_CONTENT_REMOVED"
                                                        : "DECISION_VISIBILITY_CONTENT_DISABLED"};
      const std::string orgs = Join(r.organisations, ", ");
      std::string explanation = it.reason.empty() ? "Referred as terrorist content." : it.reason;
      if (r.route == LegalRoute::kVoluntary) {
        o["decision_ground"] = "DECISION_GROUND_INCOMPATIBLE_CONTENT";
        o["illegal_content_legal_ground"] = "";
        o["illegal_content_explanation"] = "";
        o["incompatible_content_ground"] =
            Clip("Terms of service of " + r.platform_id + " (voluntary referral)", kGroundChars);
        o["incompatible_content_explanation"] = Clip(explanation, kExplanationChars);
        o["incompatible_content_illegal"] = "Yes";
        o["source_type"] = opt.trusted_flagger ? "SOURCE_TRUSTED_FLAGGER" : "SOURCE_ARTICLE_16";
        o["source_identity"] = Clip(orgs, kGroundChars);
      } else {
        std::string ground, identity;
        if (r.route == LegalRoute::kTcoRemovalOrder) {
          std::vector<std::string> g;
          if (r.order) {
            for (TcoGround x : r.order->grounds) g.emplace_back(TcoGroundName(x));
          }
          ground =
              "Regulation (EU) 2021/784 Art. 3 removal order; terrorist content under Art. 2(7)";
          if (!g.empty()) ground += " (" + Join(g, ", ") + ")";
          if (r.order && !r.order->reasons.empty()) explanation = r.order->reasons;
          identity = "Removal order";
          if (r.order) {
            identity += " " + r.order->reference + " issued by " + r.order->issuing_authority;
            if (!r.order->issuing_member_state.empty())
              identity += " (" + r.order->issuing_member_state + ")";
          }
        } else {
          ground = "Regulation (EU) 2022/2065 Art. 9 order to act against illegal content";
          identity = "Art. 9 order from " + orgs;
        }
        o["decision_ground"] = "DECISION_GROUND_ILLEGAL_CONTENT";
        o["illegal_content_legal_ground"] = Clip(ground, kGroundChars);
        o["illegal_content_explanation"] = Clip(explanation, kExplanationChars);
        o["incompatible_content_ground"] = "";
        o["incompatible_content_explanation"] = "";
        o["incompatible_content_illegal"] = "";
        // The database has no source type for orders of authorities: "other notification",
        // with the order named in source_identity.
        o["source_type"] = "SOURCE_TYPE_OTHER_NOTIFICATION";
        o["source_identity"] = Clip(identity, kGroundChars);
      }
      o["category"] = opt.category;
      o["category_specification"] = Arr(opt.category_specification);
      if (!it.pdq.empty()) {
        o["content_type"] = json::array{"CONTENT_TYPE_IMAGE"};
        o["content_type_other"] = "";
      } else {
        o["content_type"] = json::array{"CONTENT_TYPE_OTHER"};
        o["content_type_other"] = "content at a referred URL";
      }
      o["content_date"] = Day(it.captured_ms ? it.captured_ms : r.created_ms);
      o["application_date"] = Day(d->at_ms);
      std::vector<std::string> scope;
      if (d->removed) {
        scope = EeaCountryCodes();
      } else if (r.order && !r.order->issuing_member_state.empty()) {
        scope = {r.order->issuing_member_state};
      }
      o["territorial_scope"] = Arr(scope);
      std::string facts = "Referral " + std::to_string(r.id) + " (" +
                          std::string(LegalRouteName(r.route)) + ") by " + orgs + " on " +
                          Day(r.created_ms) + "; the platform reported the content " +
                          (d->removed ? "removed" : "geo-blocked") + " on " + Day(d->at_ms) + ".";
      if (!it.labels.empty()) facts += " Labels: " + Join(it.labels, ", ") + ".";
      if (!it.sha256.empty()) facts += " SHA-256 " + it.sha256 + ".";
      o["decision_facts"] = Clip(facts, kFactsChars);
      // The platform learned of the content from the notice, and vigil does not know how
      // the platform decided: the safe reading.
      o["automated_detection"] = "No";
      o["automated_decision"] = "AUTOMATED_DECISION_NOT_AUTOMATED";
      out.push_back(std::move(o));
    }
  }
  return out;
}

json::object StatementsOfReasonsJson(const std::vector<json::object>& records) {
  json::array a;
  for (const auto& r : records) a.push_back(r);
  return {{"type", "vigil.statements_of_reasons"},
          {"version", 1},
          {"count", records.size()},
          {"statements", std::move(a)}};
}

std::string StatementsOfReasonsCsv(const std::vector<json::object>& records) {
  std::ostringstream out;
  for (size_t i = 0; i < kSorCsvColumns.size(); ++i) out << (i ? "," : "") << kSorCsvColumns[i];
  out << "\r\n";
  for (const auto& r : records) {
    for (size_t i = 0; i < kSorCsvColumns.size(); ++i) {
      if (i) out << ',';
      const json::value* v = r.if_contains(kSorCsvColumns[i]);
      if (!v || v->is_null()) continue;
      if (v->is_string()) {
        out << CsvQuote(v->as_string());
      } else {
        out << CsvQuote(json::serialize(*v));
      }
    }
    out << "\r\n";
  }
  return out.str();
}

}  // namespace vigil::workflow
