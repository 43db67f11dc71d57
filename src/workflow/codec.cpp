#include "workflow/codec.h"

#include <boost/json.hpp>

namespace vigil::workflow {
namespace json = boost::json;
namespace {

json::array Strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

// Decoding helpers: a missing member keeps the default; a wrong type is an error.
class Reader {
 public:
  explicit Reader(const json::object& o) : o_(o) {}
  Status status() const { return status_; }

  void Int(std::string_view key, int64_t& out) {
    const json::value* v = o_.if_contains(key);
    if (!v || v->is_null()) return;
    if (v->is_int64()) {
      out = v->as_int64();
    } else if (v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
      out = static_cast<int64_t>(v->as_uint64());
    } else {
      Fail(key, "an integer");
    }
  }
  void Int(std::string_view key, int& out) {
    int64_t v = out;
    Int(key, v);
    out = static_cast<int>(v);
  }
  void Bool(std::string_view key, bool& out) {
    const json::value* v = o_.if_contains(key);
    if (!v || v->is_null()) return;
    if (v->is_bool()) {
      out = v->as_bool();
    } else {
      Fail(key, "a boolean");
    }
  }
  void Str(std::string_view key, std::string& out) {
    const json::value* v = o_.if_contains(key);
    if (!v || v->is_null()) return;
    if (v->is_string()) {
      out = std::string(v->as_string());
    } else {
      Fail(key, "a string");
    }
  }
  void Strs(std::string_view key, std::vector<std::string>& out) {
    const json::array* a = Array(key);
    if (!a) return;
    for (const auto& v : *a) {
      if (!v.is_string()) return Fail(key, "an array of strings");
      out.emplace_back(v.as_string());
    }
  }
  const json::array* Array(std::string_view key) {
    const json::value* v = o_.if_contains(key);
    if (!v || v->is_null()) return nullptr;
    if (!v->is_array()) {
      Fail(key, "an array");
      return nullptr;
    }
    return &v->as_array();
  }
  const json::object* Object(std::string_view key) {
    const json::value* v = o_.if_contains(key);
    if (!v || v->is_null()) return nullptr;
    if (!v->is_object()) {
      Fail(key, "an object");
      return nullptr;
    }
    return &v->as_object();
  }
  template <typename E>
  void Enum(std::string_view key, E& out, Result<E> (*parse)(std::string_view)) {
    std::string name;
    Str(key, name);
    if (name.empty()) return;
    auto e = parse(name);
    if (!e.ok()) {
      if (status_.ok()) status_ = e.status();
      return;
    }
    out = *e;
  }
  void Merge(Status s) {
    if (status_.ok() && !s.ok()) status_ = std::move(s);
  }

 private:
  void Fail(std::string_view key, std::string_view what) {
    if (status_.ok()) {
      status_ = Status::InvalidArgument("'" + std::string(key) + "' must be " + std::string(what));
    }
  }
  const json::object& o_;
  Status status_;
};

Result<UrlStatus> ParseUrlStatus(std::string_view name) {
  for (UrlStatus s : {UrlStatus::kUnknown, UrlStatus::kLive, UrlStatus::kGone}) {
    if (UrlStatusName(s) == name) return s;
  }
  return Status::InvalidArgument("unknown URL status '" + std::string(name) + "'");
}

Result<PauseKind> ParsePauseKind(std::string_view name) {
  for (PauseKind k : {PauseKind::kClarification, PauseKind::kForceMajeure}) {
    if (PauseKindName(k) == name) return k;
  }
  return Status::InvalidArgument("unknown pause kind '" + std::string(name) + "'");
}

json::object ItemJson(const ReferralItem& it) {
  json::array checks;
  for (const CheckRecord& c : it.checks) {
    checks.push_back(json::object{{"at_ms", c.at_ms},
                                  {"http_status", c.http_status},
                                  {"outcome", UrlStatusName(c.outcome)},
                                  {"detail", c.detail}});
  }
  return {{"item_id", it.item_id},
          {"url", it.url},
          {"account", it.account},
          {"captured_ms", it.captured_ms},
          {"sha256", it.sha256},
          {"pdq", it.pdq},
          {"labels", Strings(it.labels)},
          {"tier", it.tier},
          {"reason", it.reason},
          {"evidence_ref", it.evidence_ref},
          {"public_dissemination", it.public_dissemination},
          {"organisations", Strings(it.organisations)},
          {"removed_ms", it.removed_ms},
          {"url_status", UrlStatusName(it.url_status)},
          {"next_check_ms", it.next_check_ms},
          {"checks_done", it.checks_done},
          {"checks", std::move(checks)}};
}

json::object OrderJson(const RemovalOrder& o) {
  json::array grounds, pauses;
  for (TcoGround g : o.grounds) grounds.emplace_back(TcoGroundName(g));
  for (const DeadlinePause& p : o.pauses) {
    pauses.push_back(json::object{{"kind", PauseKindName(p.kind)},
                                  {"start_ms", p.start_ms},
                                  {"end_ms", p.end_ms},
                                  {"reason", p.reason}});
  }
  return {{"issuing_authority", o.issuing_authority},
          {"issuing_member_state", o.issuing_member_state},
          {"authority_contact", o.authority_contact},
          {"reference", o.reference},
          {"addressee", o.addressee},
          {"addressee_contact_point", o.addressee_contact_point},
          {"issued_ms", o.issued_ms},
          {"urls", Strings(o.urls)},
          {"grounds", std::move(grounds)},
          {"reasons", o.reasons},
          {"redress", o.redress},
          {"emergency", o.emergency},
          {"confidential", o.confidential},
          {"first_order_to_platform", o.first_order_to_platform},
          {"received_ms", o.received_ms},
          {"pauses", std::move(pauses)},
          {"complied_ms", o.complied_ms},
          {"overdue_flagged_ms", o.overdue_flagged_ms}};
}

Status ReadItem(const json::object& o, ReferralItem& it) {
  Reader r(o);
  r.Int("item_id", it.item_id);
  r.Str("url", it.url);
  r.Str("account", it.account);
  r.Int("captured_ms", it.captured_ms);
  r.Str("sha256", it.sha256);
  r.Str("pdq", it.pdq);
  r.Strs("labels", it.labels);
  r.Int("tier", it.tier);
  r.Str("reason", it.reason);
  r.Str("evidence_ref", it.evidence_ref);
  r.Bool("public_dissemination", it.public_dissemination);
  r.Strs("organisations", it.organisations);
  r.Int("removed_ms", it.removed_ms);
  r.Enum("url_status", it.url_status, &ParseUrlStatus);
  r.Int("next_check_ms", it.next_check_ms);
  r.Int("checks_done", it.checks_done);
  if (const json::array* a = r.Array("checks")) {
    for (const auto& v : *a) {
      if (!v.is_object()) return Status::InvalidArgument("'checks' must hold objects");
      Reader cr(v.as_object());
      CheckRecord c;
      cr.Int("at_ms", c.at_ms);
      cr.Int("http_status", c.http_status);
      cr.Enum("outcome", c.outcome, &ParseUrlStatus);
      cr.Str("detail", c.detail);
      r.Merge(cr.status());
      it.checks.push_back(std::move(c));
    }
  }
  return r.status();
}

Status ReadOrder(const json::object& o, RemovalOrder& ord) {
  Reader r(o);
  r.Str("issuing_authority", ord.issuing_authority);
  r.Str("issuing_member_state", ord.issuing_member_state);
  r.Str("authority_contact", ord.authority_contact);
  r.Str("reference", ord.reference);
  r.Str("addressee", ord.addressee);
  r.Str("addressee_contact_point", ord.addressee_contact_point);
  r.Int("issued_ms", ord.issued_ms);
  r.Strs("urls", ord.urls);
  std::vector<std::string> grounds;
  r.Strs("grounds", grounds);
  for (const auto& g : grounds) {
    auto parsed = ParseTcoGround(g);
    if (!parsed.ok()) return parsed.status();
    ord.grounds.push_back(*parsed);
  }
  r.Str("reasons", ord.reasons);
  r.Str("redress", ord.redress);
  r.Bool("emergency", ord.emergency);
  r.Bool("confidential", ord.confidential);
  r.Bool("first_order_to_platform", ord.first_order_to_platform);
  r.Int("received_ms", ord.received_ms);
  if (const json::array* a = r.Array("pauses")) {
    for (const auto& v : *a) {
      if (!v.is_object()) return Status::InvalidArgument("'pauses' must hold objects");
      Reader pr(v.as_object());
      DeadlinePause p;
      pr.Enum("kind", p.kind, &ParsePauseKind);
      pr.Int("start_ms", p.start_ms);
      pr.Int("end_ms", p.end_ms);
      pr.Str("reason", p.reason);
      r.Merge(pr.status());
      ord.pauses.push_back(std::move(p));
    }
  }
  r.Int("complied_ms", ord.complied_ms);
  r.Int("overdue_flagged_ms", ord.overdue_flagged_ms);
  return r.status();
}

}  // namespace

json::object ReferralToJsonObject(const Referral& r) {
  json::array items, hold_ids, receipts, history;
  for (const ReferralItem& it : r.items) items.push_back(ItemJson(it));
  for (int64_t h : r.hold_ids) hold_ids.emplace_back(h);
  for (const DeliveryReceipt& d : r.receipts) {
    receipts.push_back(json::object{{"channel", d.channel},
                                    {"endpoint", d.endpoint},
                                    {"attempts", d.attempts},
                                    {"delivered_ms", d.delivered_ms},
                                    {"status_code", d.status_code},
                                    {"remote_reference", d.remote_reference},
                                    {"idempotency_key", d.idempotency_key},
                                    {"detail", d.detail}});
  }
  for (const StatusChange& c : r.history) {
    history.push_back(json::object{{"at_ms", c.at_ms},
                                   {"actor", c.actor},
                                   {"from", ReferralStateName(c.from)},
                                   {"to", ReferralStateName(c.to)},
                                   {"note", c.note}});
  }
  json::object o{
      {"id", r.id},
      {"platform", r.platform_id},
      {"route", LegalRouteName(r.route)},
      {"state", ReferralStateName(r.state)},
      {"operation", r.operation},
      {"lead_org", r.lead_org},
      {"organisations", Strings(r.organisations)},
      {"items", std::move(items)},
      {"out_of_tco_scope", r.out_of_tco_scope},
      {"hold_ids", std::move(hold_ids)},
      {"idempotency_key", r.idempotency_key},
      {"created_ms", r.created_ms},
      {"updated_ms", r.updated_ms},
      {"receipts", std::move(receipts)},
      {"history", std::move(history)},
      {"platform_reference", r.platform_reference},
      {"last_reason", r.last_reason},
      {"cannot_comply_reason", r.cannot_comply ? CannotComplyReasonName(*r.cannot_comply) : ""},
      {"removal_verified_ms", r.removal_verified_ms}};
  if (r.order) o["order"] = OrderJson(*r.order);
  return o;
}

std::string ReferralToJson(const Referral& r) { return json::serialize(ReferralToJsonObject(r)); }

Result<Referral> ReferralFromJson(std::string_view text) {
  if (text.size() > kMaxRecordBytes) return Status::InvalidArgument("referral record too large");
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return Status::InvalidArgument("referral record is not JSON: " + ec.message());
  if (!v.is_object()) return Status::InvalidArgument("referral record must be an object");
  Reader r(v.as_object());
  Referral out;
  r.Int("id", out.id);
  r.Str("platform", out.platform_id);
  r.Enum("route", out.route, &ParseLegalRoute);
  r.Enum("state", out.state, &ParseReferralState);
  r.Str("operation", out.operation);
  r.Str("lead_org", out.lead_org);
  r.Strs("organisations", out.organisations);
  if (const json::array* a = r.Array("items")) {
    for (const auto& iv : *a) {
      if (!iv.is_object()) return Status::InvalidArgument("'items' must hold objects");
      ReferralItem it;
      VIGIL_RETURN_IF_ERROR(ReadItem(iv.as_object(), it));
      out.items.push_back(std::move(it));
    }
  }
  if (const json::object* o = r.Object("order")) {
    RemovalOrder ord;
    VIGIL_RETURN_IF_ERROR(ReadOrder(*o, ord));
    out.order = std::move(ord);
  }
  r.Bool("out_of_tco_scope", out.out_of_tco_scope);
  if (const json::array* a = r.Array("hold_ids")) {
    for (const auto& h : *a) {
      if (!h.is_int64()) return Status::InvalidArgument("'hold_ids' must hold integers");
      out.hold_ids.push_back(h.as_int64());
    }
  }
  r.Str("idempotency_key", out.idempotency_key);
  r.Int("created_ms", out.created_ms);
  r.Int("updated_ms", out.updated_ms);
  if (const json::array* a = r.Array("receipts")) {
    for (const auto& dv : *a) {
      if (!dv.is_object()) return Status::InvalidArgument("'receipts' must hold objects");
      Reader dr(dv.as_object());
      DeliveryReceipt d;
      dr.Str("channel", d.channel);
      dr.Str("endpoint", d.endpoint);
      dr.Int("attempts", d.attempts);
      dr.Int("delivered_ms", d.delivered_ms);
      dr.Int("status_code", d.status_code);
      dr.Str("remote_reference", d.remote_reference);
      dr.Str("idempotency_key", d.idempotency_key);
      dr.Str("detail", d.detail);
      r.Merge(dr.status());
      out.receipts.push_back(std::move(d));
    }
  }
  if (const json::array* a = r.Array("history")) {
    for (const auto& hv : *a) {
      if (!hv.is_object()) return Status::InvalidArgument("'history' must hold objects");
      Reader hr(hv.as_object());
      StatusChange c;
      hr.Int("at_ms", c.at_ms);
      hr.Str("actor", c.actor);
      hr.Enum("from", c.from, &ParseReferralState);
      hr.Enum("to", c.to, &ParseReferralState);
      hr.Str("note", c.note);
      r.Merge(hr.status());
      out.history.push_back(std::move(c));
    }
  }
  r.Str("platform_reference", out.platform_reference);
  r.Str("last_reason", out.last_reason);
  std::string cc;
  r.Str("cannot_comply_reason", cc);
  if (!cc.empty()) {
    VIGIL_ASSIGN_OR_RETURN(CannotComplyReason reason, ParseCannotComplyReason(cc));
    out.cannot_comply = reason;
  }
  r.Int("removal_verified_ms", out.removal_verified_ms);
  VIGIL_RETURN_IF_ERROR(r.status());
  return out;
}

json::object HoldToJsonObject(const Hold& h) {
  return {{"id", h.id},
          {"org", h.org},
          {"kind", HoldKindName(h.kind)},
          {"value", h.value},
          {"platform", h.platform_id},
          {"note", h.note},
          {"created_ms", h.created_ms},
          {"expires_ms", h.expires_ms},
          {"released_ms", h.released_ms}};
}

json::object HoldHitToJsonObject(const HoldHit& h) {
  return {{"hold_id", h.hold_id},
          {"referral_id", h.referral_id},
          {"referring_org", h.referring_org},
          {"platform", h.platform_id},
          {"matched", h.matched},
          {"at_ms", h.at_ms}};
}

}  // namespace vigil::workflow
