// The platform registry: which hosting service a link belongs to, and how referrals
// reach that service. The data lives in data/platforms.json (format in docs/collect.md);
// operators add or override entries with their own file of the same format.
//
// Attribution: a host matches a domain when it equals it or is a subdomain of it; a URL
// pattern "host/path" additionally needs the path to start with that prefix at a segment
// boundary. The most specific match wins (longest host, then longest path), so
// "docs.google.com/forms" beats "google.com". A link that matches nothing is reported
// as unknown with its registrable domain, never dropped.
//
// Thread safety: build and Merge from one thread; afterwards the registry is immutable
// and Attribute may be called from any number of threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "collect/url.h"
#include "core/status.h"

namespace vigil::collect {

// Largest registry file read (bytes).
inline constexpr uint64_t kMaxRegistryBytes = 16u << 20;

struct Platform {
  std::string id;                         // stable key, [a-z0-9-]
  std::string name;                       // "Example Video"
  std::string operator_name;              // the company or organisation running it
  std::string category;                   // one of PlatformCategories()
  std::vector<std::string> domains;       // ASCII host suffixes
  std::vector<std::string> url_patterns;  // "host/path-prefix"
  std::vector<std::string> referral;      // any of "email", "web_form", "api"
  // A hosting service provider in the sense of Regulation (EU) 2021/784 (TCO): it stores
  // what users provide and makes it available to the public. The registry's default
  // reading; an operator's legal assessment overrides it with their own file.
  bool tco_hosting_service = false;
  // Optional: text in the final URL or body of the platform's "this content was removed"
  // page (a 200 answer that means gone), for referral re-checks (workflow::FetcherProber).
  std::vector<std::string> removal_markers;
  std::string notes;
  std::string origin;  // the file the entry came from
};

// Points into the registry: valid while the registry lives and is not merged into.
struct Attribution {
  const Platform* platform = nullptr;  // nullptr: unknown
  std::string matched;                 // the domain or pattern that matched
  bool known() const { return platform != nullptr; }
};

// The categories a registry entry may have.
const std::vector<std::string_view>& PlatformCategories();

class PlatformRegistry {
 public:
  PlatformRegistry() = default;
  PlatformRegistry(PlatformRegistry&&) noexcept = default;
  PlatformRegistry& operator=(PlatformRegistry&&) noexcept = default;
  PlatformRegistry(const PlatformRegistry&) = delete;
  PlatformRegistry& operator=(const PlatformRegistry&) = delete;

  // Parses a registry document; errors name `origin` and the entry.
  static Result<PlatformRegistry> Parse(std::string_view json, std::string_view origin);
  static Result<PlatformRegistry> LoadFile(const std::string& path);
  // The registry shipped with vigil: $VIGIL_PLATFORMS if set, else the data/platforms.json
  // of the source tree vigil was built from.
  static Result<PlatformRegistry> LoadDefault();
  static std::string DefaultPath();

  // Adds `other`'s entries; an entry whose id already exists replaces the old one.
  void Merge(PlatformRegistry&& other);

  Attribution Attribute(const CanonicalUrl& url) const;
  Attribution AttributeHost(std::string_view ascii_host, std::string_view path) const;

  const std::vector<Platform>& platforms() const { return platforms_; }
  const Platform* Find(std::string_view id) const;

 private:
  struct Rule {
    size_t platform;
    std::string path_prefix;  // empty for a plain domain
  };
  void Reindex();

  std::vector<Platform> platforms_;
  std::unordered_map<std::string, std::vector<Rule>> by_host_;
};

}  // namespace vigil::collect
