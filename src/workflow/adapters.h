// The workflow's interfaces implemented by the rest of vigil (library
// vigil_workflow_adapters, so that vigil_workflow itself depends on nothing but the core):
// - StoreAuditSink: audit events into the store's hash-chained audit log.
// - FetcherProber: re-checks through collect's SafeFetcher, with per-platform removal-page
//   markers.
// - RegistryTcoScope: the platform registry's tco_hosting_service as
//   ServiceOptions::is_tco_hosting_service.
// - ConfirmedItemFromUrl: canonicalises and attributes a raw URL.
// - RemovalMarkers, FetchBody: the registry's removal pages and the safe fetcher for the
//   maintenance loop (maintenance.h) and remote evidence (store/evidence.h).
//
// Thread safety: StoreAuditSink serialises its store use with a mutex (a Store is one
// connection); FetcherProber and RegistryTcoScope are safe from any thread once built.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "collect/fetcher.h"
#include "collect/platforms.h"
#include "store/store.h"
#include "workflow/audit_sink.h"
#include "workflow/service.h"

namespace vigil::workflow {

class StoreAuditSink final : public AuditSink {
 public:
  explicit StoreAuditSink(store::Store* store) : store_(store) {}
  Status Record(const AuditEvent& e) override;

 private:
  std::mutex mu_;
  store::Store* store_;
};

class FetcherProber final : public UrlProber {
 public:
  // removal_markers: per platform id, strings whose presence in the final URL or the body
  // means "this content was removed" (the platform's removal page).
  FetcherProber(collect::FetchOptions options,
                std::map<std::string, std::vector<std::string>> removal_markers = {})
      : fetcher_(std::move(options)), markers_(removal_markers.begin(), removal_markers.end()) {}
  Result<ProbeResult> Probe(std::string_view platform_id, std::string_view url) override;

 private:
  collect::SafeFetcher fetcher_;
  std::map<std::string, std::vector<std::string>, std::less<>> markers_;
};

// Reads `registry` (which must outlive the returned function).
std::function<bool(std::string_view)> RegistryTcoScope(const collect::PlatformRegistry* registry);

// Removal-page markers per platform for FetcherProber: the registry's `removal_markers`
// plus the operator's own (the delivery directory's), without duplicates.
std::map<std::string, std::vector<std::string>> RemovalMarkers(
    const collect::PlatformRegistry& registry,
    const std::map<std::string, std::vector<std::string>>& operator_markers);

// Reads a URL's bytes through `fetcher` (which must outlive the function), for evidence of
// media that exist only at a URL: the body of a 2xx answer; Unavailable("http <status>")
// for any other status; the fetcher's own errors (refused address, size limit, timeout).
std::function<Result<std::string>(std::string_view url)> FetchBody(
    const collect::SafeFetcher* fetcher);

// A ConfirmedItem for `raw_url`: canonical URL and platform id ("unknown:<domain>" when the
// registry does not know the host). InvalidArgument / Unsupported from canonicalisation.
Result<ConfirmedItem> ConfirmedItemFromUrl(const collect::PlatformRegistry& registry,
                                           std::string_view raw_url);

}  // namespace vigil::workflow
