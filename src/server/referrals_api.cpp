#include "server/referrals_api.h"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <map>
#include <sstream>

#include "server/json_args.h"
#include "store/operation_store.h"
#include "workflow/adapters.h"
#include "workflow/codec.h"
#include "workflow/feedback.h"
#include "workflow/render.h"
#include "workflow/stats.h"
#include "workflow/tco.h"

namespace vigil::server {
namespace json = boost::json;
namespace wf = workflow;

namespace {

// --- request helpers (the same rules as service.cpp's) ---------------------------------

Result<std::string> Str(const json::object& o, std::string_view key, std::string fallback = {}) {
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) return fallback;
  if (!v->is_string())
    return Status::InvalidArgument("'" + std::string(key) + "' must be a string");
  if (v->as_string().size() > wf::kMaxTextBytes) {
    return Status::InvalidArgument("'" + std::string(key) + "' is too long");
  }
  return std::string(v->as_string());
}

Result<bool> Bool(const json::object& o, std::string_view key, bool fallback) {
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) return fallback;
  if (!v->is_bool()) return Status::InvalidArgument("'" + std::string(key) + "' must be a boolean");
  return v->as_bool();
}

Result<std::vector<std::string>> Strs(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) return out;
  if (!v->is_array()) return Status::InvalidArgument("'" + std::string(key) + "' must be an array");
  for (const auto& e : v->as_array()) {
    if (!e.is_string()) {
      return Status::InvalidArgument("'" + std::string(key) + "' must be an array of strings");
    }
    out.emplace_back(e.as_string());
  }
  return out;
}

std::string Query(const Request& r, const std::string& key) {
  auto it = r.query.find(key);
  return it == r.query.end() ? std::string() : it->second;
}

Result<int64_t> QueryInt(const Request& r, const std::string& key, int64_t fallback, int64_t lo,
                         int64_t hi) {
  auto it = r.query.find(key);
  if (it == r.query.end()) return fallback;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || p != it->second.data() + it->second.size() || v < lo || v > hi) {
    return Status::InvalidArgument("query parameter '" + key + "' must be an integer in [" +
                                   std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return v;
}

Response JsonResponse(const json::value& v, int status = 200) {
  return Response::Json(json::serialize(v), status);
}

}  // namespace

class ReferralApi::Impl {
 public:
  store::Store* store = nullptr;
  std::mutex* store_mu = nullptr;
  ReferralApiOptions options;
  ConfirmedItemLookup confirmed_item;
  OrgNameLookup org_name;
  wf::SystemClock system_clock;
  const wf::Clock* clock = nullptr;
  std::unique_ptr<store::SqlReferralRepository> repo;
  std::unique_ptr<store::HoldHitRecorder> notifier;
  std::unique_ptr<wf::ReferralService> service;
  delivery::DeliveryDirectory directory;
  std::unique_ptr<delivery::WebhookClient> webhook;
  std::unique_ptr<delivery::SmtpClient> smtp;
  std::unique_ptr<delivery::Dispatcher> dispatcher;
  std::unique_ptr<delivery::CallbackHandler> callbacks;
  collect::PlatformRegistry registry;
  ReversalRoutes reversals;  // reversal_api.h
  // Re-checks and remote evidence: collect's SafeFetcher (loopback only when configured).
  collect::SafeFetcher evidence_fetcher;
  std::unique_ptr<wf::FetcherProber> fetcher_prober;
  wf::UrlProber* prober = nullptr;
  // Last member: destroyed (stopped) first, before what its thread uses.
  std::unique_ptr<wf::MaintenanceLoop> maintenance;

  template <typename F>
  auto WithStore(F&& fn) {
    std::lock_guard lock(*store_mu);
    return fn();
  }

  std::string Org(const Principal& p) { return org_name(p.user.org_id); }

  // --- JSON views ------------------------------------------------------------------------
  json::object ReferralJson(const wf::Referral& r) {
    json::object o = wf::ReferralToJsonObject(r);
    o.erase("hold_ids");
    if (r.order) {
      wf::TcoClockState c = wf::ComputeTcoClock(*r.order, clock->NowMs());
      json::object& ord = o["order"].as_object();
      ord["clock"] =
          json::object{{"started", c.started},           {"paused", c.paused},
                       {"complied", c.complied},         {"overdue", c.overdue},
                       {"remaining_ms", c.remaining_ms}, {"paused_total_ms", c.paused_total_ms}};
      if (c.deadline_ms) ord["clock"].as_object()["deadline_ms"] = *c.deadline_ms;
    }
    return o;
  }

  Result<wf::Referral> Visible(const RouteContext& c) {
    VIGIL_ASSIGN_OR_RETURN(int64_t id, ParseReferralId(c.Param("id")));
    return service->ViewFor(Org(*c.principal), id);
  }

  // --- create ----------------------------------------------------------------------------
  Result<wf::ConfirmedItem> ItemFrom(const json::object& o, const Principal& p) {
    wf::ConfirmedItem item;
    VIGIL_ASSIGN_OR_RETURN(int64_t item_id, OptInt(o, "item_id", 0));
    if (item_id > 0) {
      VIGIL_ASSIGN_OR_RETURN(item, confirmed_item(item_id, p.user.org_id));
    }
    VIGIL_ASSIGN_OR_RETURN(std::string url, Str(o, "url", item.url));
    if (url.empty()) return Status::InvalidArgument("each item needs an item_id or a url");
    VIGIL_ASSIGN_OR_RETURN(std::string platform, Str(o, "platform"));
    // Canonical URL and platform from the registry, unless the caller names the platform.
    auto attributed = wf::ConfirmedItemFromUrl(registry, url);
    if (attributed.ok()) {
      item.url = attributed->url;
      if (platform.empty()) platform = attributed->platform_id;
    } else if (platform.empty()) {
      return attributed.status();
    } else {
      item.url = url;
    }
    item.platform_id = platform;
    VIGIL_ASSIGN_OR_RETURN(item.account, Str(o, "account", item.account));
    VIGIL_ASSIGN_OR_RETURN(item.captured_ms, OptInt(o, "captured_ms", item.captured_ms));
    VIGIL_ASSIGN_OR_RETURN(item.sha256, Str(o, "sha256", item.sha256));
    VIGIL_ASSIGN_OR_RETURN(item.pdq, Str(o, "pdq", item.pdq));
    if (o.contains("labels")) {
      VIGIL_ASSIGN_OR_RETURN(item.labels, Strs(o, "labels"));
    }
    VIGIL_ASSIGN_OR_RETURN(int64_t tier, OptInt(o, "tier", item.tier));
    if (tier < 0 || tier > 4) return Status::InvalidArgument("'tier' must be in [0, 4]");
    item.tier = static_cast<int>(tier);
    VIGIL_ASSIGN_OR_RETURN(item.reason, Str(o, "reason", item.reason));
    VIGIL_ASSIGN_OR_RETURN(item.evidence_ref, Str(o, "evidence_ref", item.evidence_ref));
    VIGIL_ASSIGN_OR_RETURN(item.public_dissemination, Bool(o, "public", true));
    return item;
  }

  Result<Response> Create(const RouteContext& c) {
    const Principal& p = *c.principal;
    VIGIL_ASSIGN_OR_RETURN(json::object body, ParseBody(c.request.body, true));
    wf::ReferRequest req;
    req.actor = p.actor();
    req.org = Org(p);
    VIGIL_ASSIGN_OR_RETURN(req.operation, Str(body, "operation"));
    VIGIL_ASSIGN_OR_RETURN(std::string route, Str(body, "route", "voluntary"));
    VIGIL_ASSIGN_OR_RETURN(req.route, wf::ParseLegalRoute(route));
    auto* items = body.if_contains("items");
    if (!items || !items->is_array() || items->as_array().empty()) {
      return Status::InvalidArgument("'items' must list at least one item");
    }
    if (static_cast<int64_t>(items->as_array().size()) > kMaxReferralItemsPerRequest) {
      return Status::InvalidArgument("at most 10000 items per request");
    }
    for (const auto& v : items->as_array()) {
      if (!v.is_object()) return Status::InvalidArgument("each item must be an object");
      VIGIL_ASSIGN_OR_RETURN(wf::ConfirmedItem item, ItemFrom(v.as_object(), p));
      req.items.push_back(std::move(item));
    }
    if (auto* ov = body.if_contains("order"); ov && !ov->is_null()) {
      if (!ov->is_object()) return Status::InvalidArgument("'order' must be an object");
      const json::object& o = ov->as_object();
      wf::OrderTemplate t;
      VIGIL_ASSIGN_OR_RETURN(t.issuing_authority, Str(o, "issuing_authority"));
      VIGIL_ASSIGN_OR_RETURN(t.issuing_member_state, Str(o, "issuing_member_state"));
      VIGIL_ASSIGN_OR_RETURN(t.authority_contact, Str(o, "authority_contact"));
      VIGIL_ASSIGN_OR_RETURN(t.reference, Str(o, "reference"));
      VIGIL_ASSIGN_OR_RETURN(auto grounds, Strs(o, "grounds"));
      for (const auto& g : grounds) {
        VIGIL_ASSIGN_OR_RETURN(wf::TcoGround ground, wf::ParseTcoGround(g));
        t.grounds.push_back(ground);
      }
      VIGIL_ASSIGN_OR_RETURN(t.reasons, Str(o, "reasons"));
      VIGIL_ASSIGN_OR_RETURN(t.redress, Str(o, "redress"));
      VIGIL_ASSIGN_OR_RETURN(t.emergency, Bool(o, "emergency", false));
      VIGIL_ASSIGN_OR_RETURN(t.confidential, Bool(o, "confidential", false));
      t.addressee = [this](std::string_view platform) {
        const delivery::PlatformEndpoint* e = directory.Find(platform);
        return e ? std::make_pair(e->addressee, e->contact_point)
                 : std::make_pair(std::string(), std::string());
      };
      req.order = std::move(t);
    }
    VIGIL_ASSIGN_OR_RETURN(wf::ReferOutcome out, service->Refer(req));
    if (!options.evidence.dir.empty()) {
      for (int64_t id : out.created) {
        VIGIL_ASSIGN_OR_RETURN(wf::Referral r, service->Get(id));
        // Media known only by URL are fetched without holding the store lock.
        VIGIL_ASSIGN_OR_RETURN(auto remote,
                               WithStore([&] { return store::ListRemoteMedia(*repo, r); }));
        auto fetched = store::FetchRemoteMedia(remote, wf::FetchBody(&evidence_fetcher));
        VIGIL_RETURN_IF_ERROR(WithStore([&] {
          return store::PreserveEvidence(*repo, r, options.evidence, clock->NowMs(), fetched)
              .status();
        }));
      }
    }
    json::array created, merged;
    for (int64_t id : out.created) created.emplace_back(id);
    for (int64_t id : out.merged) merged.emplace_back(id);
    return JsonResponse(json::object{{"created", std::move(created)},
                                     {"merged", std::move(merged)},
                                     {"items_new", out.items_new},
                                     {"items_merged", out.items_merged},
                                     {"items_held", out.items_held},
                                     {"items_out_of_tco_scope", out.items_out_of_tco_scope}},
                        201);
  }

  // --- list and statistics ---------------------------------------------------------------
  Result<std::vector<wf::Referral>> Scoped(const RouteContext& c, bool newest_first) {
    store::ReferralQuery q;
    q.org = Org(*c.principal);
    q.platform_id = Query(c.request, "platform");
    q.operation = Query(c.request, "operation");
    q.state = Query(c.request, "state");
    if (!q.state.empty()) VIGIL_RETURN_IF_ERROR(wf::ParseReferralState(q.state).status());
    q.newest_first = newest_first;
    VIGIL_ASSIGN_OR_RETURN(auto found, WithStore([&] { return repo->Find(q); }));
    // Through the organisation's view (held ones only say "held").
    std::vector<wf::Referral> out;
    for (const auto& r : found) {
      auto v = service->ViewFor(q.org, r.id);
      if (v.ok()) out.push_back(std::move(v).value());
    }
    return out;
  }

  Result<Response> List(const RouteContext& c) {
    VIGIL_ASSIGN_OR_RETURN(int64_t limit, QueryInt(c.request, "limit", 100, 1, 10'000));
    VIGIL_ASSIGN_OR_RETURN(auto all, Scoped(c, true));
    json::array a;
    for (const auto& r : all) {
      if (static_cast<int64_t>(a.size()) >= limit) break;
      a.push_back(ReferralJson(r));
    }
    return JsonResponse(json::object{{"referrals", std::move(a)}});
  }

  Result<Response> StatsRoute(const RouteContext& c) {
    std::string group = Query(c.request, "group");
    if (group.empty()) group = "platform";
    if (group != "platform" && group != "operation") {
      return Status::InvalidArgument("'group' must be platform or operation");
    }
    VIGIL_ASSIGN_OR_RETURN(auto all, Scoped(c, false));
    const int64_t now = clock->NowMs();
    std::map<std::string, wf::Stats> rows;
    wf::Stats total;
    for (const auto& r : all) {
      rows[group == "platform" ? r.platform_id : r.operation].Add(r, now);
      total.Add(r, now);
    }
    json::array a;
    for (auto& [k, s] : rows) a.push_back(s.ToJson(k));
    return JsonResponse(
        json::object{{"group", group}, {"rows", std::move(a)}, {"total", total.ToJson("total")}});
  }

  Result<Response> Transparency(const RouteContext& c) {
    std::string format = Query(c.request, "format");
    if (format.empty()) format = "json";
    if (format != "json" && format != "csv") {
      return Status::InvalidArgument("'format' must be json or csv");
    }
    wf::ReportScope scope;
    scope.organisation = Org(*c.principal);
    scope.now_ms = clock->NowMs();
    VIGIL_ASSIGN_OR_RETURN(scope.from_ms, QueryInt(c.request, "from_ms", 0, 0, INT64_MAX));
    VIGIL_ASSIGN_OR_RETURN(scope.to_ms, QueryInt(c.request, "to_ms", 0, 0, INT64_MAX));
    VIGIL_ASSIGN_OR_RETURN(auto all, Scoped(c, false));
    if (format == "csv") {
      Response r;
      r.content_type = "text/csv; charset=utf-8";
      r.body = wf::TransparencyReportCsv(all, scope);
      return r;
    }
    return JsonResponse(wf::TransparencyReportJson(all, scope));
  }

  // --- delivery --------------------------------------------------------------------------
  Result<json::object> Deliver(std::vector<wf::Referral> pending) {
    delivery::DispatchSummary sum;
    for (const auto& r : pending) VIGIL_RETURN_IF_ERROR(dispatcher->DeliverOne(r, &sum));
    return json::object{{"delivered", sum.delivered},
                        {"failed", sum.failed},
                        {"waiting_pull", sum.waiting_pull},
                        {"waiting_manual", sum.waiting_manual}};
  }

  Result<Response> SendAll(const RouteContext& c) {
    VIGIL_ASSIGN_OR_RETURN(json::object body, ParseBody(c.request.body, false));
    VIGIL_ASSIGN_OR_RETURN(std::string platform, Str(body, "platform"));
    VIGIL_ASSIGN_OR_RETURN(int64_t limit, OptInt(body, "limit", 1000));
    if (limit < 1 || limit > 10'000)
      return Status::InvalidArgument("'limit' must be in [1, 10000]");
    const std::string org = Org(*c.principal);
    VIGIL_ASSIGN_OR_RETURN(auto pending, service->PendingDeliveries(0, platform));
    std::vector<wf::Referral> mine;
    for (auto& r : pending) {
      if (static_cast<int64_t>(mine.size()) >= limit) break;
      if (std::find(r.organisations.begin(), r.organisations.end(), org) != r.organisations.end())
        mine.push_back(std::move(r));
    }
    VIGIL_ASSIGN_OR_RETURN(json::object sum, Deliver(std::move(mine)));
    VIGIL_ASSIGN_OR_RETURN(json::object rev,
                           reversals.DeliverNotices(org, platform, static_cast<size_t>(limit)));
    sum["reversal_notices"] = std::move(rev);
    return JsonResponse(sum);
  }

  Result<Response> SendOne(const RouteContext& c) {
    VIGIL_ASSIGN_OR_RETURN(wf::Referral v, Visible(c));
    if (v.state == wf::ReferralState::kDeliveryFailed) {
      VIGIL_RETURN_IF_ERROR(service->RetryDelivery(c.principal->actor(), v.id));
    } else if (v.state != wf::ReferralState::kPending) {
      return Status::FailedPrecondition("referral " + std::to_string(v.id) + " is " +
                                        std::string(wf::ReferralStateName(v.state)) +
                                        ", not waiting for delivery");
    }
    VIGIL_ASSIGN_OR_RETURN(wf::Referral full, service->Get(v.id));
    VIGIL_ASSIGN_OR_RETURN(json::object sum, Deliver({full}));
    VIGIL_ASSIGN_OR_RETURN(wf::Referral after, service->ViewFor(Org(*c.principal), v.id));
    return JsonResponse(
        json::object{{"summary", std::move(sum)}, {"referral", ReferralJson(after)}});
  }

  // --- re-checks -------------------------------------------------------------------------
  Result<Response> Recheck(const RouteContext& c) {
    VIGIL_ASSIGN_OR_RETURN(json::object body, ParseBody(c.request.body, false));
    VIGIL_ASSIGN_OR_RETURN(
        int64_t max, OptInt(body, "max", static_cast<int64_t>(options.max_rechecks_per_round)));
    if (max < 0 || max > kMaxRechecksPerRequest) {
      return Status::InvalidArgument("'max' must be in [0, " +
                                     std::to_string(kMaxRechecksPerRequest) + "]");
    }
    VIGIL_ASSIGN_OR_RETURN(wf::RecheckSummary sum,
                           maintenance->RunRechecks(static_cast<size_t>(max)));
    // The round covers every organisation's due URLs; ids are shown only for the caller's.
    const std::string org = Org(*c.principal);
    json::array verified;
    for (int64_t id : sum.verified_removed) {
      if (service->ViewFor(org, id).ok()) verified.emplace_back(id);
    }
    return JsonResponse(json::object{{"checked", sum.checked},
                                     {"gone", sum.gone},
                                     {"live", sum.live},
                                     {"errors", sum.errors},
                                     {"verified_removed", std::move(verified)}});
  }

  // --- platform side ---------------------------------------------------------------------
  Result<Response> Pull(const RouteContext& c) {
    VIGIL_ASSIGN_OR_RETURN(int64_t limit, QueryInt(c.request, "limit", 100, 1, kMaxPullBatch));
    const std::string platform = Org(*c.principal);
    VIGIL_ASSIGN_OR_RETURN(auto got, service->PullForPlatform(platform, c.principal->actor(),
                                                              static_cast<size_t>(limit)));
    json::array a;
    for (const auto& r : got)
      a.push_back(json::parse(wf::RenderNoticeJson(r, options.dispatch.render)));
    // Reversal notices ("type":"vigil.reversal") share the batch.
    if (got.size() < static_cast<size_t>(limit)) {
      VIGIL_ASSIGN_OR_RETURN(
          json::array rev,
          reversals.Pull(platform, c.principal->actor(), static_cast<size_t>(limit) - got.size()));
      for (auto& v : rev) a.push_back(std::move(v));
    }
    return JsonResponse(json::object{{"notices", std::move(a)}});
  }

  Result<Response> StateOf(int64_t id) {
    VIGIL_ASSIGN_OR_RETURN(wf::Referral r, service->Get(id));
    return JsonResponse(
        json::object{{"referral_id", id}, {"state", wf::ReferralStateName(r.state)}});
  }

  Result<Response> Feedback(const RouteContext& c) {
    if (c.request.body.size() > wf::kMaxFeedbackBytes) {
      return Status::ResourceExhausted("feedback larger than 256 KiB");
    }
    VIGIL_ASSIGN_OR_RETURN(wf::Feedback f, wf::ParseFeedbackJson(c.request.body));
    const std::string platform = Org(*c.principal);
    VIGIL_RETURN_IF_ERROR(
        service->ApplyFeedback("platform:" + platform + "/" + c.principal->actor(), platform, f));
    return StateOf(f.referral_id);
  }

  Result<Response> Callback(const RouteContext& c) {
    const std::string platform = c.Param("platform");
    auto sig = c.request.headers.find("vigil-signature");
    std::string header = sig == c.request.headers.end() ? std::string() : sig->second;
    VIGIL_RETURN_IF_ERROR(callbacks->Handle(platform, header, c.request.body));
    VIGIL_ASSIGN_OR_RETURN(wf::Feedback f, wf::ParseFeedbackJson(c.request.body));
    return StateOf(f.referral_id);
  }

  // --- holds -----------------------------------------------------------------------------
  json::object HoldJson(const wf::Hold& h) {
    json::object o = wf::HoldToJsonObject(h);
    o.erase("org");
    o["active"] = h.ActiveAt(clock->NowMs());
    return o;
  }

  Result<Response> CreateHold(const RouteContext& c) {
    VIGIL_ASSIGN_OR_RETURN(json::object body, ParseBody(c.request.body, true));
    wf::Hold h;
    h.org = Org(*c.principal);
    VIGIL_ASSIGN_OR_RETURN(std::string kind, Str(body, "kind"));
    VIGIL_ASSIGN_OR_RETURN(h.kind, wf::ParseHoldKind(kind));
    VIGIL_ASSIGN_OR_RETURN(h.value, Str(body, "value"));
    if (h.value.empty()) return Status::InvalidArgument("'value' is required");
    if (h.kind == wf::HoldKind::kUrl) {
      auto canon = wf::ConfirmedItemFromUrl(registry, h.value);
      if (canon.ok()) h.value = canon->url;
    }
    VIGIL_ASSIGN_OR_RETURN(h.platform_id, Str(body, "platform"));
    VIGIL_ASSIGN_OR_RETURN(h.note, Str(body, "note"));
    VIGIL_ASSIGN_OR_RETURN(h.expires_ms, OptInt(body, "expires_ms", 0));
    VIGIL_ASSIGN_OR_RETURN(wf::Hold placed, service->PlaceHold(c.principal->actor(), h));
    return JsonResponse(HoldJson(placed), 201);
  }

  Result<Response> ListHolds(const RouteContext& c) {
    const std::string org = Org(*c.principal);
    VIGIL_ASSIGN_OR_RETURN(auto holds, service->ListHolds(org));
    VIGIL_ASSIGN_OR_RETURN(auto hits, WithStore([&] { return repo->ListHoldHits(org); }));
    json::array ha, xa;
    for (const auto& h : holds) ha.push_back(HoldJson(h));
    for (const auto& x : hits) {
      json::object o = wf::HoldHitToJsonObject(x);
      xa.push_back(std::move(o));
    }
    return JsonResponse(json::object{{"holds", std::move(ha)}, {"hits", std::move(xa)}});
  }

  Result<Response> ReleaseHold(const RouteContext& c) {
    int64_t id = 0;
    const std::string& t = c.Param("id");
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), id);
    if (ec != std::errc() || p != t.data() + t.size()) {
      return Status::NotFound("hold " + t + " not found");
    }
    VIGIL_RETURN_IF_ERROR(service->ReleaseHold(c.principal->actor(), Org(*c.principal), id));
    return Response::Json(R"({"status":"released"})");
  }
};

ReferralApi::~ReferralApi() {
  if (impl_ && impl_->maintenance) impl_->maintenance->Stop();
}

wf::MaintenanceReport ReferralApi::RunMaintenanceRound() { return impl_->maintenance->RunRound(); }

Result<Response> ReferralApi::ReverseBankSignal(const RouteContext& c, std::string_view bank) {
  return impl_->reversals.ReverseSignal(c, bank, impl_->Org(*c.principal));
}

Result<std::unique_ptr<ReferralApi>> ReferralApi::Create(store::Store* store, std::mutex* store_mu,
                                                         ReferralApiOptions options,
                                                         ConfirmedItemLookup confirmed_item,
                                                         OrgNameLookup org_name) {
  std::unique_ptr<ReferralApi> api(new ReferralApi());
  api->impl_ = std::make_unique<Impl>();
  Impl& m = *api->impl_;
  m.store = store;
  m.store_mu = store_mu;
  m.confirmed_item = std::move(confirmed_item);
  m.org_name = std::move(org_name);
  m.clock = options.clock ? options.clock : &m.system_clock;
  VIGIL_ASSIGN_OR_RETURN(m.repo, store::SqlReferralRepository::Create(store));
  m.repo->set_change_mutex(store_mu);
  m.notifier = std::make_unique<store::HoldHitRecorder>(m.repo.get());
  if (options.directory) {
    m.directory = std::move(*options.directory);
  } else if (!options.directory_file.empty()) {
    VIGIL_ASSIGN_OR_RETURN(m.directory,
                           delivery::DeliveryDirectory::LoadFile(options.directory_file));
  }
  if (options.registry_file) {
    if (!options.registry_file->empty()) {
      VIGIL_ASSIGN_OR_RETURN(m.registry,
                             collect::PlatformRegistry::LoadFile(*options.registry_file));
    }
  } else if (auto reg = collect::PlatformRegistry::LoadDefault(); reg.ok()) {
    m.registry = std::move(reg).value();
  }
  wf::ServiceOptions so;
  so.is_tco_hosting_service = wf::RegistryTcoScope(&m.registry);
  // A referral under an existing operation must fit it (store/operation_store.h).
  so.check_operation = store::OperationGate(store);
  m.service = std::make_unique<wf::ReferralService>(m.repo.get(), m.repo.get(), m.clock,
                                                    m.notifier.get(), so);
  m.webhook = std::make_unique<delivery::WebhookClient>(options.webhook);
  if (options.smtp) m.smtp = std::make_unique<delivery::SmtpClient>(*options.smtp);
  m.dispatcher = std::make_unique<delivery::Dispatcher>(
      m.service.get(), &m.directory, m.webhook.get(), m.smtp.get(), options.dispatch);
  m.callbacks = std::make_unique<delivery::CallbackHandler>(m.service.get(), &m.directory);
  m.reversals = ReversalRoutes{m.service.get(), m.dispatcher.get(), options.dispatch.render,
                               options.banks_changed};

  collect::FetchOptions fetch;
  fetch.allow_loopback = options.fetch_allow_loopback;
  collect::FetchOptions media_fetch = fetch;
  media_fetch.max_bytes = store::kMaxRemoteEvidenceBytes;
  m.evidence_fetcher = collect::SafeFetcher(media_fetch);
  if (options.prober != nullptr) {
    m.prober = options.prober;
  } else {
    m.fetcher_prober = std::make_unique<wf::FetcherProber>(
        fetch, wf::RemovalMarkers(m.registry, m.directory.RemovalMarkers()));
    m.prober = m.fetcher_prober.get();
  }
  wf::MaintenanceOptions mo;
  mo.interval_ms = options.maintenance_interval_ms;
  mo.max_rechecks = options.max_rechecks_per_round;
  mo.expire_evidence = [mp = &m]() -> Result<int> {
    return mp->WithStore(
        [&] { return store::ExpireEvidence(*mp->repo, mp->clock->NowMs(), "system:retention"); });
  };
  m.maintenance = std::make_unique<wf::MaintenanceLoop>(m.service.get(), m.prober, mo);
  m.options = std::move(options);
  api->service_ = m.service.get();
  VIGIL_RETURN_IF_ERROR(m.maintenance->Start());
  return api;
}

void ReferralApi::AddRoutes(Router& router) {
  Impl* m = impl_.get();
  auto add = [&](std::string method, std::string pattern, Permission perm,
                 Result<Response> (Impl::*fn)(const RouteContext&)) {
    router.Add(Route{std::move(method), std::move(pattern), false, perm,
                     [m, fn](const RouteContext& c) { return (m->*fn)(c); }});
  };
  using P = Permission;
  add("GET", "/api/v1/referrals", P::kReferralRead, &Impl::List);
  add("POST", "/api/v1/referrals", P::kReferralWrite, &Impl::Create);
  add("POST", "/api/v1/referrals/send", P::kReferralWrite, &Impl::SendAll);
  add("GET", "/api/v1/referrals/stats", P::kReferralRead, &Impl::StatsRoute);
  add("POST", "/api/v1/referrals/recheck", P::kReferralWrite, &Impl::Recheck);
  router.Add(Route{"GET", "/api/v1/referrals/{id}", false, P::kReferralRead,
                   [m](const RouteContext& c) -> Result<Response> {
                     VIGIL_ASSIGN_OR_RETURN(wf::Referral r, m->Visible(c));
                     return JsonResponse(m->ReferralJson(r));
                   }});
  add("POST", "/api/v1/referrals/{id}/send", P::kReferralWrite, &Impl::SendOne);
  router.Add(Route{"POST", "/api/v1/referrals/{id}/reverse", false, P::kReferralReverse,
                   [m](const RouteContext& c) {
                     return m->reversals.ReverseReferral(c, m->Org(*c.principal));
                   }});
  router.Add(Route{"POST", "/api/v1/referrals/{id}/withdraw", false, P::kReferralWrite,
                   [m](const RouteContext& c) -> Result<Response> {
                     VIGIL_ASSIGN_OR_RETURN(wf::Referral v, m->Visible(c));
                     VIGIL_ASSIGN_OR_RETURN(json::object body, ParseBody(c.request.body, false));
                     VIGIL_ASSIGN_OR_RETURN(std::string reason, Str(body, "reason"));
                     const std::string org = m->Org(*c.principal);
                     VIGIL_RETURN_IF_ERROR(
                         m->service->Withdraw(c.principal->actor(), org, v.id, reason));
                     VIGIL_ASSIGN_OR_RETURN(wf::Referral after, m->service->ViewFor(org, v.id));
                     return JsonResponse(m->ReferralJson(after));
                   }});
  router.Add(Route{"POST", "/api/v1/referrals/{id}/clarification", false, P::kReferralWrite,
                   [m](const RouteContext& c) -> Result<Response> {
                     VIGIL_ASSIGN_OR_RETURN(wf::Referral v, m->Visible(c));
                     VIGIL_ASSIGN_OR_RETURN(json::object body, ParseBody(c.request.body, true));
                     VIGIL_ASSIGN_OR_RETURN(std::string note, Str(body, "note"));
                     if (note.empty()) return Status::InvalidArgument("'note' is required");
                     const std::string org = m->Org(*c.principal);
                     VIGIL_RETURN_IF_ERROR(
                         m->service->ProvideClarification(c.principal->actor(), org, v.id, note));
                     VIGIL_ASSIGN_OR_RETURN(wf::Referral after, m->service->ViewFor(org, v.id));
                     return JsonResponse(m->ReferralJson(after));
                   }});
  router.Add(Route{"POST", "/api/v1/platform-notices", false, P::kReferralWrite,
                   [m](const RouteContext& c) -> Result<Response> {
                     VIGIL_ASSIGN_OR_RETURN(json::object body, ParseBody(c.request.body, true));
                     VIGIL_ASSIGN_OR_RETURN(std::string platform, Str(body, "platform"));
                     if (platform.empty()) return Status::InvalidArgument("'platform' is required");
                     VIGIL_ASSIGN_OR_RETURN(int64_t at, OptInt(body, "at_ms", 0));
                     VIGIL_RETURN_IF_ERROR(
                         m->service->RecordPriorNotice(c.principal->actor(), platform, at));
                     return Response::Json(R"({"status":"recorded"})");
                   }});
  add("GET", "/api/v1/holds", P::kHold, &Impl::ListHolds);
  add("POST", "/api/v1/holds", P::kHold, &Impl::CreateHold);
  add("DELETE", "/api/v1/holds/{id}", P::kHold, &Impl::ReleaseHold);
  add("GET", "/api/v1/reports/transparency", P::kReferralRead, &Impl::Transparency);
  add("GET", "/api/v1/platform/referrals", P::kReferralPlatform, &Impl::Pull);
  add("POST", "/api/v1/platform/feedback", P::kReferralPlatform, &Impl::Feedback);
  router.Add(Route{"POST", "/callbacks/v1/{platform}/feedback", true, P::kSelf,
                   [m](const RouteContext& c) { return m->Callback(c); }});
}

}  // namespace vigil::server
