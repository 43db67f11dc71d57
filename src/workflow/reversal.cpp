#include "workflow/reversal.h"

#include <boost/json.hpp>

#include "workflow/clock.h"

namespace vigil::workflow {
namespace json = boost::json;
namespace {

std::string StrOf(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

int64_t IntOf(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v && v->is_int64()) return v->as_int64();
  if (v && v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
  return 0;
}

json::object ReceiptJson(const DeliveryReceipt& d) {
  return json::object{{"channel", d.channel},
                      {"endpoint", d.endpoint},
                      {"attempts", d.attempts},
                      {"delivered_ms", d.delivered_ms},
                      {"status_code", d.status_code},
                      {"remote_reference", d.remote_reference},
                      {"idempotency_key", d.idempotency_key},
                      {"detail", d.detail}};
}

// The action the platform had taken, in the words of its feedback.
std::string_view ActionWord(ReferralState s) {
  switch (s) {
    case ReferralState::kRemoved: return "removed";
    case ReferralState::kGeoBlocked: return "geo_blocked";
    case ReferralState::kAcknowledged: return "acknowledged";
    default: return "received";
  }
}

}  // namespace

std::string_view NoticeStateName(NoticeState s) {
  switch (s) {
    case NoticeState::kPending: return "pending";
    case NoticeState::kDelivered: return "delivered";
    case NoticeState::kDeliveryFailed: return "delivery_failed";
  }
  return "pending";
}

Result<NoticeState> ParseNoticeState(std::string_view name) {
  for (NoticeState s :
       {NoticeState::kPending, NoticeState::kDelivered, NoticeState::kDeliveryFailed}) {
    if (NoticeStateName(s) == name) return s;
  }
  return Status::InvalidArgument("unknown notice state '" + std::string(name) + "'");
}

std::string ReversalNoticeToJson(const ReversalNotice& n) {
  json::array items, attempts;
  for (const ReversedItem& it : n.items) {
    items.push_back(json::object{{"url", it.url}, {"sha256", it.sha256}, {"pdq", it.pdq}});
  }
  for (const DeliveryReceipt& d : n.attempts) attempts.push_back(ReceiptJson(d));
  return json::serialize(json::object{{"id", n.id},
                                      {"reversal_id", n.reversal_id},
                                      {"referral_id", n.referral_id},
                                      {"platform_id", n.platform_id},
                                      {"idempotency_key", n.idempotency_key},
                                      {"reason", n.reason},
                                      {"action", ReferralStateName(n.action)},
                                      {"referral_state", ReferralStateName(n.referral_state)},
                                      {"platform_reference", n.platform_reference},
                                      {"items", std::move(items)},
                                      {"state", NoticeStateName(n.state)},
                                      {"created_ms", n.created_ms},
                                      {"updated_ms", n.updated_ms},
                                      {"attempts", std::move(attempts)}});
}

Result<ReversalNotice> ReversalNoticeFromJson(std::string_view text) {
  if (text.size() > (16u << 20)) return Status::InvalidArgument("reversal notice too large");
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Status::InvalidArgument("reversal notice is not a JSON object");
  const json::object& o = v.as_object();
  ReversalNotice n;
  n.id = IntOf(o, "id");
  n.reversal_id = IntOf(o, "reversal_id");
  n.referral_id = IntOf(o, "referral_id");
  n.platform_id = StrOf(o, "platform_id");
  n.idempotency_key = StrOf(o, "idempotency_key");
  n.reason = StrOf(o, "reason");
  VIGIL_ASSIGN_OR_RETURN(n.action, ParseReferralState(StrOf(o, "action")));
  VIGIL_ASSIGN_OR_RETURN(n.referral_state, ParseReferralState(StrOf(o, "referral_state")));
  n.platform_reference = StrOf(o, "platform_reference");
  VIGIL_ASSIGN_OR_RETURN(n.state, ParseNoticeState(StrOf(o, "state")));
  n.created_ms = IntOf(o, "created_ms");
  n.updated_ms = IntOf(o, "updated_ms");
  if (const json::value* a = o.if_contains("items"); a && a->is_array()) {
    for (const auto& e : a->as_array()) {
      if (!e.is_object()) return Status::InvalidArgument("'items' must hold objects");
      const json::object& io = e.as_object();
      n.items.push_back({StrOf(io, "url"), StrOf(io, "sha256"), StrOf(io, "pdq")});
    }
  }
  if (const json::value* a = o.if_contains("attempts"); a && a->is_array()) {
    for (const auto& e : a->as_array()) {
      if (!e.is_object()) return Status::InvalidArgument("'attempts' must hold objects");
      const json::object& d = e.as_object();
      DeliveryReceipt rc;
      rc.channel = StrOf(d, "channel");
      rc.endpoint = StrOf(d, "endpoint");
      rc.attempts = static_cast<int>(IntOf(d, "attempts"));
      rc.delivered_ms = IntOf(d, "delivered_ms");
      rc.status_code = static_cast<int>(IntOf(d, "status_code"));
      rc.remote_reference = StrOf(d, "remote_reference");
      rc.idempotency_key = StrOf(d, "idempotency_key");
      rc.detail = StrOf(d, "detail");
      n.attempts.push_back(std::move(rc));
    }
  }
  return n;
}

std::string RenderReversalJson(const ReversalNotice& n, const RenderOptions& options) {
  json::object j;
  j["type"] = "vigil.reversal";
  j["version"] = 1;
  j["notice_id"] = n.id;
  j["reversal_id"] = n.reversal_id;
  j["referral_id"] = n.referral_id;
  j["idempotency_key"] = n.idempotency_key;
  j["sender"] = options.sender;
  j["platform"] = n.platform_id;
  if (!n.platform_reference.empty()) j["platform_reference"] = n.platform_reference;
  j["action_reversed"] = ActionWord(n.action);
  j["referral_state"] = ReferralStateName(n.referral_state);
  j["reason"] = n.reason;
  j["issued_at"] = FormatRfc3339(n.created_ms);
  j["request"] =
      "the removal or restriction of the content at these URLs is reversed: restore it where "
      "you removed or restricted it on our referral, and do not act on our referral for them";
  json::array items;
  for (const ReversedItem& it : n.items) {
    json::object e{{"url", it.url}};
    json::object hashes;
    if (!it.sha256.empty()) hashes["sha256"] = it.sha256;
    if (!it.pdq.empty()) hashes["pdq"] = it.pdq;
    e["hashes"] = std::move(hashes);
    items.push_back(std::move(e));
  }
  j["items"] = std::move(items);
  if (!options.callback_url.empty()) j["callback_url"] = options.callback_url;
  return json::serialize(j);
}

EmailNotice RenderReversalEmail(const ReversalNotice& n, const RenderOptions& options) {
  EmailNotice e;
  e.subject = "[" + options.sender + "] Reversal of referral " + std::to_string(n.referral_id);
  std::string b;
  b += "Reversal notice " + std::to_string(n.id) + " (reversal " + std::to_string(n.reversal_id) +
       ") for referral " + std::to_string(n.referral_id) + ".\n\n";
  b += "You " + std::string(ActionWord(n.action)) +
       " content on our referral. That decision has been reversed (complaint upheld):\n"
       "restore the content where you removed or restricted it on our referral, and do not\n"
       "act on our referral for the URLs below.\n\n";
  b += "Reason: " + n.reason + "\n";
  if (!n.platform_reference.empty()) b += "Your reference: " + n.platform_reference + "\n";
  b += "Idempotency key: " + n.idempotency_key + "\n";
  b += "Issued: " + FormatRfc3339(n.created_ms) + "\n\nURLs:\n";
  for (const ReversedItem& it : n.items) {
    b += "- " + it.url + "\n";
    if (!it.sha256.empty()) b += "  sha256 " + it.sha256 + "\n";
    if (!it.pdq.empty()) b += "  pdq " + it.pdq + "\n";
  }
  if (!options.callback_url.empty())
    b += "\nQuestions and feedback: " + options.callback_url + "\n";
  e.body = std::move(b);
  return e;
}

}  // namespace vigil::workflow
