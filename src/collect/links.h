// Link analysis: one raw link -> canonical URL, registrable domain and platform.
// Thread safety: free functions; the registry is only read.
#pragma once

#include <string>
#include <string_view>

#include "collect/platforms.h"

namespace vigil::collect {

struct AnalyzedLink {
  std::string raw;        // as the source wrote it
  std::string canonical;  // empty when the link could not be canonicalised
  std::string host;
  std::string registrable_domain;    // what unknown links are counted by
  std::string platform = "unknown";  // registry id, or "unknown"
  std::string platform_name;
  std::string category;
  bool tco_hosting_service = false;
  std::string error;  // why `canonical` is empty (malformed, not a web link)
};

AnalyzedLink AnalyzeLink(std::string_view raw, const PlatformRegistry& registry);

}  // namespace vigil::collect
