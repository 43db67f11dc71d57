#include "server/reversal_api.h"

#include <boost/json.hpp>
#include <charconv>
#include <set>

#include "server/json_args.h"

namespace vigil::server {
namespace json = boost::json;
namespace wf = workflow;

namespace {

Result<std::string> Text(const json::object& o, std::string_view key, bool required) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) {
    if (required) return Status::InvalidArgument("'" + std::string(key) + "' is required");
    return std::string();
  }
  if (!v->is_string())
    return Status::InvalidArgument("'" + std::string(key) + "' must be a string");
  if (v->as_string().size() > wf::kMaxTextBytes) {
    return Status::InvalidArgument("'" + std::string(key) + "' is too long");
  }
  if (required && v->as_string().empty()) {
    return Status::InvalidArgument("'" + std::string(key) + "' is required");
  }
  return std::string(v->as_string());
}

}  // namespace

Result<Response> ReversalRoutes::Answer(const wf::ReversalOutcome& out, std::string_view org,
                                        bool with_signals) const {
  std::set<int64_t> banks;
  for (const auto& s : out.signals) banks.insert(s.bank_id);
  if (banks_changed && !banks.empty()) {
    VIGIL_RETURN_IF_ERROR(banks_changed(std::vector<int64_t>(banks.begin(), banks.end())));
  }
  auto visible = [&](const std::vector<int64_t>& ids) {
    json::array a;
    for (int64_t id : ids) {
      if (service->ViewFor(org, id).ok()) a.emplace_back(id);
    }
    return a;
  };
  json::array content;
  for (const auto& c : out.content) {
    content.push_back(json::object{{"type", c.type}, {"value", c.value}});
  }
  json::object o{{"reversal_id", out.reversal_id},
                 {"content", std::move(content)},
                 {"signals_reversed", out.signals.size()},
                 {"reinstated", visible(out.reinstated)},
                 {"withdrawn", visible(out.withdrawn)},
                 {"referrals_notified", visible(out.referrals_notified)},
                 {"notices_queued", out.notices.size()},
                 {"referrals_changed", out.reinstated.size() + out.withdrawn.size()}};
  if (with_signals) {
    json::array a;
    for (const auto& s : out.signals) {
      a.push_back(json::object{
          {"bank", s.bank}, {"type", s.type}, {"value", s.value}, {"version", s.bank_version}});
    }
    o["signals"] = std::move(a);
  }
  return Response::Json(json::serialize(o));
}

Result<Response> ReversalRoutes::ReverseReferral(const RouteContext& c,
                                                 std::string_view org) const {
  VIGIL_ASSIGN_OR_RETURN(int64_t id, ParseReferralId(c.Param("id")));
  VIGIL_RETURN_IF_ERROR(service->ViewFor(org, id).status());
  VIGIL_ASSIGN_OR_RETURN(json::object body, ParseBody(c.request.body, true));
  wf::ReversalRequest req;
  req.actor = c.principal->actor();
  req.referral_id = id;
  VIGIL_ASSIGN_OR_RETURN(req.reason, Text(body, "reason", true));
  if (const json::value* item = body.if_contains("item"); item && !item->is_null()) {
    if (item->is_string()) {
      req.item_url = std::string(item->as_string());
    } else {
      VIGIL_ASSIGN_OR_RETURN(req.item_id, OptInt(body, "item", 0));
      if (req.item_id <= 0) return Status::InvalidArgument("'item' must be a URL or an item id");
    }
  }
  VIGIL_ASSIGN_OR_RETURN(wf::ReversalOutcome out, service->Reverse(req));
  return Answer(out, org, false);
}

Result<Response> ReversalRoutes::ReverseSignal(const RouteContext& c, std::string_view bank,
                                               std::string_view org) const {
  VIGIL_ASSIGN_OR_RETURN(json::object body, ParseBody(c.request.body, true));
  wf::ReversalRequest req;
  req.actor = c.principal->actor();
  req.bank = std::string(bank);
  VIGIL_ASSIGN_OR_RETURN(req.signal.type, Text(body, "type", true));
  VIGIL_ASSIGN_OR_RETURN(req.signal.value, Text(body, "value", true));
  VIGIL_ASSIGN_OR_RETURN(req.reason, Text(body, "reason", true));
  VIGIL_ASSIGN_OR_RETURN(wf::ReversalOutcome out, service->Reverse(req));
  return Answer(out, org, true);
}

Result<json::object> ReversalRoutes::DeliverNotices(std::string_view org, std::string_view platform,
                                                    size_t limit) const {
  VIGIL_ASSIGN_OR_RETURN(auto pending, service->PendingReversalNotices(0, platform));
  delivery::DispatchSummary sum;
  size_t sent = 0;
  for (const auto& n : pending) {
    if (limit != 0 && sent >= limit) break;
    if (!org.empty() && !service->ViewFor(org, n.referral_id).ok()) continue;
    ++sent;
    Status s = dispatcher->DeliverReversal(n, &sum);
    if (!s.ok() && s.code() != StatusCode::kFailedPrecondition) return s;
  }
  return json::object{{"delivered", sum.delivered},
                      {"failed", sum.failed},
                      {"waiting_pull", sum.waiting_pull},
                      {"waiting_manual", sum.waiting_manual}};
}

Result<json::array> ReversalRoutes::Pull(std::string_view platform, std::string_view account,
                                         size_t limit) const {
  VIGIL_ASSIGN_OR_RETURN(auto got, service->PullReversalsForPlatform(platform, account, limit));
  json::array a;
  for (const auto& n : got) a.push_back(json::parse(wf::RenderReversalJson(n, render)));
  return a;
}

}  // namespace vigil::server
