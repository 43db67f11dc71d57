#include "server/operations_api.h"

#include <boost/json.hpp>
#include <charconv>

#include "server/json_args.h"
#include "workflow/operation.h"
#include "workflow/sor.h"

namespace vigil::server {
namespace json = boost::json;
namespace wf = workflow;

namespace {

// Largest operation request body accepted (bytes): 256 sources of 2 KiB fit.
constexpr size_t kMaxOperationBodyBytes = 1 << 20;

Result<json::object> ParseOperationBody(const std::string& body) {
  if (body.size() > kMaxOperationBodyBytes) {
    return Status::ResourceExhausted("request body larger than 1 MiB");
  }
  return ParseBody(body, true);
}

Result<std::optional<std::string>> OptStr(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::optional<std::string>();
  if (!v->is_string())
    return Status::InvalidArgument("'" + std::string(key) + "' must be a string");
  return std::optional<std::string>(std::string(v->as_string()));
}

Result<std::optional<std::vector<std::string>>> OptStrs(const json::object& o,
                                                        std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::optional<std::vector<std::string>>();
  if (!v->is_array()) return Status::InvalidArgument("'" + std::string(key) + "' must be an array");
  std::vector<std::string> out;
  for (const auto& e : v->as_array()) {
    if (!e.is_string()) {
      return Status::InvalidArgument("'" + std::string(key) + "' must be an array of strings");
    }
    out.emplace_back(e.as_string());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

std::string Query(const Request& r, const std::string& key) {
  auto it = r.query.find(key);
  return it == r.query.end() ? std::string() : it->second;
}

Result<int64_t> QueryInt(const Request& r, const std::string& key, int64_t fallback) {
  auto it = r.query.find(key);
  if (it == r.query.end()) return fallback;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || p != it->second.data() + it->second.size() || v < 0) {
    return Status::InvalidArgument("query parameter '" + key + "' must be a non-negative integer");
  }
  return v;
}

Response JsonResponse(const json::value& v, int status = 200) {
  return Response::Json(json::serialize(v), status);
}

}  // namespace

class OperationsApi::Impl {
 public:
  std::mutex* store_mu = nullptr;
  const wf::Clock* clock = nullptr;
  std::function<std::string(int64_t)> org_name;
  std::unique_ptr<store::SqlOperationStore> ops;

  template <typename F>
  auto WithStore(F&& fn) {
    std::lock_guard lock(*store_mu);
    return fn();
  }

  std::string Org(const RouteContext& c) { return org_name(c.principal->user.org_id); }

  // The operation, if the caller's organisation takes part in it; else 404.
  Result<wf::Operation> Visible(const RouteContext& c) {
    const std::string& name = c.Param("name");
    auto op = WithStore([&] { return ops->Get(name); });
    if (!op.ok()) return op.status();
    if (!op->HasOrganisation(Org(c))) {
      return Status::NotFound("operation '" + name + "' not found");
    }
    return op;
  }

  Result<json::object> WithCounters(const wf::Operation& op) {
    json::object o = wf::OperationToJson(op);
    VIGIL_ASSIGN_OR_RETURN(wf::OperationCounters c,
                           WithStore([&] { return ops->Counters(op, clock->NowMs()); }));
    o["counters"] = c.ToJson();
    return o;
  }

  // Applies the optional fields of a create or PATCH body.
  Status Apply(const json::object& b, wf::Operation& op) {
    VIGIL_ASSIGN_OR_RETURN(auto title, OptStr(b, "title"));
    if (title) op.title = *title;
    VIGIL_ASSIGN_OR_RETURN(auto state, OptStr(b, "state"));
    if (state) {
      VIGIL_ASSIGN_OR_RETURN(op.state, wf::ParseOperationState(*state));
    }
    VIGIL_ASSIGN_OR_RETURN(op.start_ms, OptInt(b, "start_ms", op.start_ms));
    VIGIL_ASSIGN_OR_RETURN(op.end_ms, OptInt(b, "end_ms", op.end_ms));
    VIGIL_ASSIGN_OR_RETURN(auto sources, OptStrs(b, "sources"));
    if (sources) op.sources = std::move(*sources);
    VIGIL_ASSIGN_OR_RETURN(auto orgs, OptStrs(b, "organisations"));
    if (orgs) op.organisations.insert(op.organisations.end(), orgs->begin(), orgs->end());
    return Status::OK();
  }

  Result<Response> List(const RouteContext& c) {
    const std::string counters = Query(c.request, "counters");
    const bool with_counters = counters == "true" || counters == "1";
    VIGIL_ASSIGN_OR_RETURN(auto all, WithStore([&] { return ops->List(Org(c)); }));
    json::array a;
    for (const auto& op : all) {
      if (with_counters) {
        VIGIL_ASSIGN_OR_RETURN(json::object o, WithCounters(op));
        a.push_back(std::move(o));
      } else {
        a.push_back(wf::OperationToJson(op));
      }
    }
    return JsonResponse(json::object{{"operations", std::move(a)}});
  }

  Result<Response> Create(const RouteContext& c) {
    VIGIL_ASSIGN_OR_RETURN(json::object b, ParseOperationBody(c.request.body));
    wf::Operation op;
    VIGIL_ASSIGN_OR_RETURN(auto name, OptStr(b, "name"));
    if (!name || name->empty()) return Status::InvalidArgument("'name' is required");
    op.name = *name;
    op.organisations.push_back(Org(c));  // the creator always takes part
    op.start_ms = clock->NowMs();
    VIGIL_RETURN_IF_ERROR(Apply(b, op));
    VIGIL_ASSIGN_OR_RETURN(wf::Operation made, WithStore([&] {
                             return ops->CreateOperation(c.principal->actor(), op, clock->NowMs());
                           }));
    return JsonResponse(wf::OperationToJson(made), 201);
  }

  Result<Response> Show(const RouteContext& c) {
    VIGIL_ASSIGN_OR_RETURN(wf::Operation op, Visible(c));
    VIGIL_ASSIGN_OR_RETURN(json::object o, WithCounters(op));
    return JsonResponse(o);
  }

  Result<Response> Change(const RouteContext& c, const json::object& b) {
    VIGIL_ASSIGN_OR_RETURN(wf::Operation op, Visible(c));
    VIGIL_ASSIGN_OR_RETURN(wf::Operation after, WithStore([&] {
                             return ops->Update(
                                 c.principal->actor(), op.name,
                                 [&](wf::Operation& o) { return Apply(b, o); }, clock->NowMs());
                           }));
    return JsonResponse(wf::OperationToJson(after));
  }

  Result<Response> Patch(const RouteContext& c) {
    VIGIL_ASSIGN_OR_RETURN(json::object b, ParseOperationBody(c.request.body));
    if (b.contains("name")) return Status::InvalidArgument("an operation cannot be renamed");
    return Change(c, b);
  }

  Result<Response> AddOrganisations(const RouteContext& c) {
    VIGIL_ASSIGN_OR_RETURN(json::object b, ParseOperationBody(c.request.body));
    VIGIL_ASSIGN_OR_RETURN(auto orgs, OptStrs(b, "organisations"));
    if (!orgs || orgs->empty()) {
      return Status::InvalidArgument("'organisations' must list at least one organisation");
    }
    return Change(c, json::object{{"organisations", json::value_from(*orgs)}});
  }

  Result<Response> Statements(const RouteContext& c) {
    std::string format = Query(c.request, "format");
    if (format.empty()) format = "json";
    if (format != "json" && format != "csv") {
      return Status::InvalidArgument("'format' must be json or csv");
    }
    wf::SorOptions so;
    so.operation = Query(c.request, "operation");
    so.platform = Query(c.request, "platform");
    VIGIL_ASSIGN_OR_RETURN(so.since_ms, QueryInt(c.request, "since_ms", 0));
    const std::string org = Org(c);
    VIGIL_ASSIGN_OR_RETURN(auto decided, WithStore([&] {
                             return ops->DecidedReferrals(org, so.operation, so.platform,
                                                          so.since_ms);
                           }));
    auto records = wf::StatementsOfReasons(decided, so);
    if (format == "csv") {
      Response r;
      r.content_type = "text/csv; charset=utf-8";
      r.body = wf::StatementsOfReasonsCsv(records);
      return r;
    }
    return JsonResponse(wf::StatementsOfReasonsJson(records));
  }
};

OperationsApi::~OperationsApi() = default;

Result<std::unique_ptr<OperationsApi>> OperationsApi::Create(
    store::Store* store, std::mutex* store_mu, const wf::Clock* clock,
    std::function<std::string(int64_t)> org_name) {
  std::unique_ptr<OperationsApi> api(new OperationsApi());
  api->impl_ = std::make_unique<Impl>();
  Impl& m = *api->impl_;
  m.store_mu = store_mu;
  m.clock = clock;
  m.org_name = std::move(org_name);
  VIGIL_ASSIGN_OR_RETURN(m.ops, store::SqlOperationStore::Create(store));
  return api;
}

void OperationsApi::AddRoutes(Router& router) {
  Impl* m = impl_.get();
  auto add = [&](std::string method, std::string pattern, Permission perm,
                 Result<Response> (Impl::*fn)(const RouteContext&)) {
    router.Add(Route{std::move(method), std::move(pattern), false, perm,
                     [m, fn](const RouteContext& c) { return (m->*fn)(c); }});
  };
  using P = Permission;
  add("GET", "/api/v1/operations", P::kReferralRead, &Impl::List);
  add("POST", "/api/v1/operations", P::kReferralWrite, &Impl::Create);
  add("GET", "/api/v1/operations/{name}", P::kReferralRead, &Impl::Show);
  add("PATCH", "/api/v1/operations/{name}", P::kReferralWrite, &Impl::Patch);
  add("POST", "/api/v1/operations/{name}/organisations", P::kReferralWrite,
      &Impl::AddOrganisations);
  add("GET", "/api/v1/reports/statements-of-reasons", P::kReferralRead, &Impl::Statements);
}

}  // namespace vigil::server
