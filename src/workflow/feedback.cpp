#include "workflow/feedback.h"

#include <array>
#include <boost/json.hpp>
#include <utility>

namespace vigil::workflow {
namespace json = boost::json;
namespace {

constexpr std::array<std::pair<FeedbackKind, std::string_view>, 7> kKinds{{
    {FeedbackKind::kAcknowledged, "acknowledged"},
    {FeedbackKind::kRemoved, "removed"},
    {FeedbackKind::kGeoBlocked, "geo_blocked"},
    {FeedbackKind::kRejected, "rejected"},
    {FeedbackKind::kCannotComply, "cannot_comply"},
    {FeedbackKind::kClarificationRequest, "clarification_request"},
    {FeedbackKind::kResumed, "resumed"},
}};

Status Bad(std::string_view m) {
  std::string s = "feedback: ";
  s.append(m);
  return Status::InvalidArgument(std::move(s));
}

// "feedback: 'key' what". Built with append: g++ 12 warns (-Wrestrict, a false positive,
// GCC bug 105329) on chains of std::string operator+ once inlined.
Status BadKey(std::string_view key, std::string_view what) {
  std::string s = "'";
  s.append(key);
  s += "' ";
  s.append(what);
  return Bad(s);
}

// An optional string member, at most `max` bytes.
Status GetString(const json::object& o, std::string_view key, size_t max, std::string* out) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return Status::OK();
  const json::string* s = v->if_string();
  if (s == nullptr) return BadKey(key, "must be a string");
  if (s->size() > max) return BadKey(key, "is too long");
  out->assign(s->data(), s->size());
  return Status::OK();
}

Status GetStringArray(const json::object& o, std::string_view key, size_t max_items,
                      std::vector<std::string>* out) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return Status::OK();
  const json::array* a = v->if_array();
  if (a == nullptr) return BadKey(key, "must be an array of strings");
  if (a->size() > max_items) return BadKey(key, "has too many entries");
  for (const json::value& e : *a) {
    const json::string* s = e.if_string();
    if (s == nullptr || s->empty() || s->size() > kMaxTextBytes) {
      return BadKey(key, "entries must be non-empty strings");
    }
    out->emplace_back(s->data(), s->size());
  }
  return Status::OK();
}

Result<int64_t> GetInt(const json::object& o, std::string_view key, bool required) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) {
    if (required) return BadKey(key, "is required");
    return int64_t{0};
  }
  if (const int64_t* i = v->if_int64()) return *i;
  if (const uint64_t* u = v->if_uint64()) {
    if (*u <= static_cast<uint64_t>(INT64_MAX)) return static_cast<int64_t>(*u);
  }
  return BadKey(key, "must be an integer");
}

}  // namespace

std::string_view FeedbackKindName(FeedbackKind k) {
  for (const auto& [v, n] : kKinds) {
    if (v == k) return n;
  }
  return "unknown";
}

Result<FeedbackKind> ParseFeedbackKind(std::string_view name) {
  for (const auto& [v, n] : kKinds) {
    if (n == name) return v;
  }
  return Bad("unknown status '" + std::string(name.substr(0, 64)) + "'");
}

Result<Feedback> ParseFeedbackJson(std::string_view text) {
  if (text.size() > kMaxFeedbackBytes) return Bad("document larger than the limit");
  json::parse_options popt;
  popt.max_depth = 8;
  boost::system::error_code ec;
  json::value root = json::parse(text, ec, json::storage_ptr(), popt);
  if (ec) return Bad("not valid JSON (" + ec.message() + ")");
  const json::object* o = root.if_object();
  if (o == nullptr) return Bad("not a JSON object");

  Feedback f;
  VIGIL_ASSIGN_OR_RETURN(f.referral_id, GetInt(*o, "referral_id", true));
  if (f.referral_id <= 0) return Bad("'referral_id' must be positive");
  std::string status;
  VIGIL_RETURN_IF_ERROR(GetString(*o, "status", 64, &status));
  if (status.empty()) return Bad("'status' is required");
  VIGIL_ASSIGN_OR_RETURN(f.kind, ParseFeedbackKind(status));
  VIGIL_RETURN_IF_ERROR(GetString(*o, "reason", kMaxTextBytes, &f.reason));
  VIGIL_RETURN_IF_ERROR(GetString(*o, "platform_reference", 256, &f.platform_reference));
  VIGIL_RETURN_IF_ERROR(GetStringArray(*o, "urls", kMaxFeedbackUrls, &f.urls));
  VIGIL_RETURN_IF_ERROR(
      GetStringArray(*o, "jurisdictions", kMaxFeedbackJurisdictions, &f.jurisdictions));
  VIGIL_ASSIGN_OR_RETURN(f.reported_ms, GetInt(*o, "reported_at_ms", false));
  if (f.reported_ms < 0) return Bad("'reported_at_ms' must not be negative");
  std::string reason;
  VIGIL_RETURN_IF_ERROR(GetString(*o, "cannot_comply_reason", 64, &reason));
  if (!reason.empty()) {
    auto r = ParseCannotComplyReason(reason);
    if (!r.ok()) return Bad(r.status().message());
    f.cannot_comply_reason = *r;
  }
  if (f.kind == FeedbackKind::kCannotComply && !f.cannot_comply_reason) {
    return Bad("'cannot_comply' needs 'cannot_comply_reason' (Annex III)");
  }
  if (f.kind == FeedbackKind::kRejected && f.reason.empty()) {
    return Bad("'rejected' needs a 'reason'");
  }
  return f;
}

std::string FeedbackToJson(const Feedback& f) {
  json::object o;
  o["referral_id"] = f.referral_id;
  o["status"] = FeedbackKindName(f.kind);
  if (!f.urls.empty()) {
    json::array a;
    for (const auto& u : f.urls) a.emplace_back(u);
    o["urls"] = std::move(a);
  }
  if (!f.reason.empty()) o["reason"] = f.reason;
  if (f.cannot_comply_reason)
    o["cannot_comply_reason"] = CannotComplyReasonName(*f.cannot_comply_reason);
  if (!f.jurisdictions.empty()) {
    json::array a;
    for (const auto& j : f.jurisdictions) a.emplace_back(j);
    o["jurisdictions"] = std::move(a);
  }
  if (!f.platform_reference.empty()) o["platform_reference"] = f.platform_reference;
  if (f.reported_ms != 0) o["reported_at_ms"] = f.reported_ms;
  return json::serialize(o);
}

}  // namespace vigil::workflow
