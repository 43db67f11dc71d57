#include "workflow/adapters.h"

#include <algorithm>

#include "collect/url.h"

namespace vigil::workflow {

Status StoreAuditSink::Record(const AuditEvent& e) {
  std::lock_guard<std::mutex> lock(mu_);
  auto r = store_->AppendAudit(e.actor, e.action, e.target, e.before, e.after, e.details);
  return r.ok() ? Status::OK() : r.status();
}

Result<ProbeResult> FetcherProber::Probe(std::string_view platform_id, std::string_view url) {
  VIGIL_ASSIGN_OR_RETURN(collect::FetchResult f, fetcher_.Fetch(url));
  ProbeResult p;
  p.http_status = f.status;
  p.final_url = f.url;
  auto m = markers_.find(platform_id);
  if (m != markers_.end()) {
    for (const std::string& marker : m->second) {
      if (marker.empty()) continue;
      if (f.url.find(marker) != std::string::npos || f.body.find(marker) != std::string::npos) {
        p.removal_page = true;
        break;
      }
    }
  }
  return p;
}

std::function<bool(std::string_view)> RegistryTcoScope(const collect::PlatformRegistry* registry) {
  return [registry](std::string_view id) {
    const collect::Platform* p = registry->Find(id);
    // Unknown platforms get the benefit of the doubt: the authority's assessment decides.
    return p == nullptr || p->tco_hosting_service;
  };
}

std::map<std::string, std::vector<std::string>> RemovalMarkers(
    const collect::PlatformRegistry& registry,
    const std::map<std::string, std::vector<std::string>>& operator_markers) {
  std::map<std::string, std::vector<std::string>> out;
  auto add = [&](const std::string& id, const std::vector<std::string>& markers) {
    auto& v = out[id];
    for (const auto& m : markers) {
      if (!m.empty() && std::find(v.begin(), v.end(), m) == v.end()) v.push_back(m);
    }
    if (v.empty()) out.erase(id);
  };
  for (const collect::Platform& p : registry.platforms()) add(p.id, p.removal_markers);
  for (const auto& [id, markers] : operator_markers) add(id, markers);
  return out;
}

std::function<Result<std::string>(std::string_view url)> FetchBody(
    const collect::SafeFetcher* fetcher) {
  return [fetcher](std::string_view url) -> Result<std::string> {
    VIGIL_ASSIGN_OR_RETURN(collect::FetchResult f, fetcher->Fetch(url));
    if (f.status < 200 || f.status > 299) {
      return Status::Unavailable("http " + std::to_string(f.status));
    }
    return std::move(f.body);
  };
}

Result<ConfirmedItem> ConfirmedItemFromUrl(const collect::PlatformRegistry& registry,
                                           std::string_view raw_url) {
  VIGIL_ASSIGN_OR_RETURN(collect::CanonicalUrl u, collect::CanonicalizeUrl(raw_url));
  ConfirmedItem c;
  c.url = u.url;
  collect::Attribution a = registry.Attribute(u);
  c.platform_id = a.known() ? a.platform->id : "unknown:" + u.registrable_domain;
  return c;
}

}  // namespace vigil::workflow
