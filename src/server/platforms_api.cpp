#include "server/platforms_api.h"

#include <boost/json.hpp>
#include <memory>

#include "collect/platforms.h"

namespace vigil::server {

void AddPlatformRoutes(Router& router) {
  namespace json = boost::json;
  // Shared by the route's handler, which std::function must be able to copy.
  auto registry =
      std::make_shared<Result<collect::PlatformRegistry>>(collect::PlatformRegistry::LoadDefault());
  router.Add(
      Route{"GET", "/api/v1/platforms", false, Permission::kSelf,
            [registry](const RouteContext&) -> Result<Response> {
              if (!registry->ok()) {
                return Status::Unavailable("platform registry not loaded: " +
                                           registry->status().message());
              }
              json::array a;
              for (const collect::Platform& p : (*registry)->platforms()) {
                auto strings = [](const std::vector<std::string>& v) {
                  json::array out;
                  for (const auto& s : v) out.emplace_back(s);
                  return out;
                };
                a.push_back(json::object{{"id", p.id},
                                         {"name", p.name},
                                         {"operator", p.operator_name},
                                         {"category", p.category},
                                         {"domains", strings(p.domains)},
                                         {"url_patterns", strings(p.url_patterns)},
                                         {"referral", strings(p.referral)},
                                         {"tco_hosting_service", p.tco_hosting_service},
                                         {"notes", p.notes}});
              }
              return Response::Json(json::serialize(json::object{{"platforms", std::move(a)}}));
            }});
}

}  // namespace vigil::server
