#include "collect/links.h"

namespace vigil::collect {

AnalyzedLink AnalyzeLink(std::string_view raw, const PlatformRegistry& registry) {
  AnalyzedLink out;
  out.raw = std::string(raw.substr(0, kMaxUrlBytes));
  auto canonical = CanonicalizeUrl(raw);
  if (!canonical.ok()) {
    out.error = canonical.status().message();
    return out;
  }
  out.canonical = canonical->url;
  out.host = canonical->host;
  out.registrable_domain = canonical->registrable_domain;
  Attribution a = registry.Attribute(*canonical);
  if (a.known()) {
    out.platform = a.platform->id;
    out.platform_name = a.platform->name;
    out.category = a.platform->category;
    out.tco_hosting_service = a.platform->tco_hosting_service;
  }
  return out;
}

}  // namespace vigil::collect
