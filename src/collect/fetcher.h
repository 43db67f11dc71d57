// The safe fetcher: the one way vigil reads a URL from the internet.
//
// Rules (docs/collect.md): http and https only; the host is resolved once and every
// address checked (private, loopback, link-local, multicast, CGNAT, documentation,
// benchmarking, reserved and IPv4-embedding IPv6 ranges are refused); the connection goes
// to the address that was checked, never through a second lookup; every redirect is a new
// URL that goes through the same checks; size, time and redirect count are bounded; the
// content type is sniffed from the bytes, the server's Content-Type is only reported.
// Loopback (127.0.0.0/8, ::1) is allowed only when FetchOptions::allow_loopback is set,
// which tests do; nothing else can be allowed.
//
// Thread safety: Fetch is reentrant; each call uses its own I/O context. A SafeFetcher
// may be shared between threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vigil::collect {

inline constexpr uint64_t kDefaultFetchMaxBytes = 32u << 20;              // body bytes
inline constexpr std::chrono::milliseconds kDefaultFetchTimeout{20'000};  // whole fetch
inline constexpr int kDefaultFetchMaxRedirects = 5;
inline constexpr uint32_t kMaxResponseHeaderBytes = 64 * 1024;

struct FetchOptions {
  uint64_t max_bytes = kDefaultFetchMaxBytes;
  // Covers connection, TLS handshake, request and response of every hop together.
  // DNS resolution runs on the system resolver, bounded by its own timeout.
  std::chrono::milliseconds timeout = kDefaultFetchTimeout;
  int max_redirects = kDefaultFetchMaxRedirects;
  bool allow_loopback = false;  // tests only
  std::string user_agent = "vigil-collect/0.1 (+https://github.com/vigil)";
  std::string accept = "*/*";
};

struct FetchResult {
  std::string url;                     // the URL finally read (after redirects)
  std::vector<std::string> redirects;  // each URL that redirected, in order
  int status = 0;
  std::string declared_type;  // the server's Content-Type (not trusted)
  std::string sniffed_type;   // from the bytes: SniffContentType
  std::string body;
  std::string peer_address;  // the IP address connected to for the final hop
};

// Why an address may not be fetched ("private", "loopback", ...), or empty if public.
// `ip` is a textual IPv4 or IPv6 address.
std::string ForbiddenAddressReason(std::string_view ip, bool allow_loopback);

// A MIME type from the first bytes: image/jpeg, image/png, image/gif, image/webp,
// image/bmp, image/tiff, video/mp4, video/webm, application/pdf, application/zip,
// application/json, application/rss+xml, application/atom+xml,
// application/activity+json, text/html, application/xml, text/plain, or
// application/octet-stream.
std::string SniffContentType(std::string_view bytes);

class SafeFetcher {
 public:
  explicit SafeFetcher(FetchOptions options = {}) : options_(std::move(options)) {}

  // GETs `url` following redirects within the limits. Errors: InvalidArgument (not an
  // http(s) URL), PermissionDenied (a refused address, on the first hop or any
  // redirect), ResourceExhausted (body or redirect limit), DeadlineExceeded (timeout),
  // Unavailable (DNS, connection, TLS or HTTP failure). A non-2xx final status is not an
  // error: FetchResult::status carries it.
  Result<FetchResult> Fetch(std::string_view url) const { return Fetch(url, options_.accept); }
  // The same with this request's Accept header (e.g. application/activity+json).
  Result<FetchResult> Fetch(std::string_view url, std::string_view accept) const;

  const FetchOptions& options() const { return options_; }

 private:
  Result<FetchResult> FetchUnguarded(std::string_view url, std::string_view accept) const;

  FetchOptions options_;
};

}  // namespace vigil::collect
