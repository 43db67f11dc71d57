// Link canonicalisation: one spelling per resource, so that the same link posted in a
// hundred places is counted, attributed and referred once.
//
// Canonical form (http and https only): lower-case scheme and host; IDN hosts in
// punycode (UTS #46, non-transitional); no trailing dot; no userinfo; no default port;
// no fragment; percent-encoding normalised (upper-case hex, unreserved characters
// decoded, dot segments removed); an empty path becomes "/"; tracking parameters
// (utm_*, fbclid, gclid, ...) removed, the remaining parameters kept in their order
// (order can matter to the server). Telegram deep links (tg://resolve?domain=x) become
// https://t.me/x. A link without a scheme ("example.org/a") is read as http.
//
// Thread safety: free functions; the public suffix list is loaded once, read-only, and
// shared by all threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vigil::collect {

// Longest URL accepted (bytes); browsers and servers refuse far shorter ones in practice.
inline constexpr size_t kMaxUrlBytes = 8 * 1024;

struct CanonicalUrl {
  std::string url;                 // the canonical spelling
  std::string scheme;              // "http" or "https"
  std::string host;                // ASCII (punycode); IPv6 without brackets
  uint16_t port = 0;               // effective port (80/443 when none was given)
  std::string path_and_query;      // "/a/b?x=1" as in `url`
  std::string registrable_domain;  // "example.co.uk"; the host itself for IPs and suffixes
  bool host_is_ip = false;
};

// Canonicalises one link. Errors: InvalidArgument (not a URL, bad host, too long),
// Unsupported (a scheme other than http/https, e.g. mailto:).
Result<CanonicalUrl> CanonicalizeUrl(std::string_view raw);

// Resolves `ref` (absolute or relative, e.g. an href) against `base` and canonicalises
// the result. `base` must be an absolute http(s) URL.
Result<CanonicalUrl> ResolveAndCanonicalize(std::string_view base, std::string_view ref);

// True for query keys that only track the click (utm_*, fbclid, gclid, ...).
bool IsTrackingParameter(std::string_view key);

// The registrable domain ("eTLD+1") of an ASCII host by the public suffix list, or the
// host itself when it has none (an IP address, a bare suffix, a single label).
std::string RegistrableDomain(std::string_view ascii_host);

// URLs written in plain text ("see https://a.example/x, and www.b.example."): http(s)
// links and www. hosts, with trailing punctuation and unbalanced closing brackets
// trimmed. Returns them in order of appearance, as written (not canonicalised).
std::vector<std::string> ExtractUrlsFromText(std::string_view text);

}  // namespace vigil::collect
