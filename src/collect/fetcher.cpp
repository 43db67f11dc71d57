#include "collect/fetcher.h"

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstring>
#include <exception>
#include <optional>

#include "collect/url.h"

namespace vigil::collect {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

struct V4Range {
  uint32_t base;
  int prefix;
  const char* reason;
};

constexpr uint32_t V4(int a, int b, int c, int d) {
  return (uint32_t(a) << 24) | (uint32_t(b) << 16) | (uint32_t(c) << 8) | uint32_t(d);
}

// IANA IPv4 Special-Purpose Address Registry, plus multicast and the reserved class E.
constexpr std::array<V4Range, 15> kV4Ranges = {{
    {V4(0, 0, 0, 0), 8, "this-network"},
    {V4(10, 0, 0, 0), 8, "private"},
    {V4(100, 64, 0, 0), 10, "shared address space (CGNAT)"},
    {V4(127, 0, 0, 0), 8, "loopback"},
    {V4(169, 254, 0, 0), 16, "link-local"},
    {V4(172, 16, 0, 0), 12, "private"},
    {V4(192, 0, 0, 0), 24, "IETF protocol assignments"},
    {V4(192, 0, 2, 0), 24, "documentation"},
    {V4(192, 88, 99, 0), 24, "6to4 relay anycast"},
    {V4(192, 168, 0, 0), 16, "private"},
    {V4(198, 18, 0, 0), 15, "benchmarking"},
    {V4(198, 51, 100, 0), 24, "documentation"},
    {V4(203, 0, 113, 0), 24, "documentation"},
    {V4(224, 0, 0, 0), 4, "multicast"},
    {V4(240, 0, 0, 0), 4, "reserved"},
}};

std::string V4Reason(uint32_t a, bool allow_loopback) {
  for (const auto& r : kV4Ranges) {
    uint32_t mask = r.prefix == 0 ? 0 : ~uint32_t{0} << (32 - r.prefix);
    if ((a & mask) == r.base) {
      if (allow_loopback && std::strcmp(r.reason, "loopback") == 0) return {};
      return r.reason;
    }
  }
  return {};
}

uint32_t V4At(const asio::ip::address_v6::bytes_type& b, size_t i) {
  return (uint32_t(b[i]) << 24) | (uint32_t(b[i + 1]) << 16) | (uint32_t(b[i + 2]) << 8) |
         uint32_t(b[i + 3]);
}

std::string V6Reason(const asio::ip::address_v6& a, bool allow_loopback) {
  const auto b = a.to_bytes();
  auto prefix_is = [&](std::initializer_list<uint8_t> p, int bits) {
    // Compares the first `bits` bits of b with the bytes in p.
    size_t i = 0;
    for (uint8_t byte : p) {
      int take = std::min(8, bits - int(i) * 8);
      if (take <= 0) break;
      uint8_t mask = static_cast<uint8_t>(0xFF << (8 - take));
      if ((b[i] & mask) != (byte & mask)) return false;
      ++i;
    }
    return true;
  };
  if (a.is_loopback()) return allow_loopback ? "" : "loopback";
  if (a.is_unspecified()) return "unspecified";
  // Addresses that carry an IPv4 address are judged by it: a mapped ::ffff:10.0.0.1 or a
  // NAT64 64:ff9b::a00:1 reaches 10.0.0.1.
  if (a.is_v4_mapped()) {
    std::string r = V4Reason(V4At(b, 12), allow_loopback);
    return r.empty() ? "" : "IPv4-mapped " + r;
  }
  if (prefix_is({0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0}, 96)) {
    std::string r = V4Reason(V4At(b, 12), false);
    return r.empty() ? "" : "NAT64 " + r;
  }
  if (prefix_is({0x20, 0x02}, 16)) {
    std::string r = V4Reason(V4At(b, 2), false);
    return r.empty() ? "" : "6to4 " + r;
  }
  if (prefix_is({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 96)) return "IPv4-compatible (deprecated)";
  if (prefix_is({0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48)) return "local-use NAT64";
  if (prefix_is({0x01, 0x00, 0, 0, 0, 0, 0, 0}, 64)) return "discard-only";
  if (prefix_is({0x20, 0x01, 0x0d, 0xb8}, 32)) return "documentation";
  if (prefix_is({0x3f, 0xff}, 20)) return "documentation";
  if (prefix_is({0x20, 0x01, 0x00}, 23)) return "IETF protocol assignments (Teredo, ORCHID)";
  if (prefix_is({0xfc}, 7)) return "unique local (private)";
  if (prefix_is({0xfe, 0x80}, 10)) return "link-local";
  if (prefix_is({0xfe, 0xc0}, 10)) return "site-local (deprecated)";
  if (prefix_is({0xff}, 8)) return "multicast";
  return {};
}

bool StartsWithBytes(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

template <typename Start>
boost::system::error_code RunOp(asio::io_context& ioc, Start&& start) {
  boost::system::error_code result = asio::error::would_block;
  std::forward<Start>(start)([&](boost::system::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

Status NetError(const std::string& what, const std::string& url, boost::system::error_code ec) {
  if (ec == beast::error::timeout) return Status::DeadlineExceeded(url + ": timed out " + what);
  if (ec == http::error::body_limit) {
    return Status::ResourceExhausted(url + ": response larger than the size limit");
  }
  if (ec == http::error::header_limit) {
    return Status::ResourceExhausted(url + ": response headers larger than the limit");
  }
  return Status::Unavailable(url + ": " + what + ": " + ec.message());
}

struct HopResult {
  int status = 0;
  std::string location;
  std::string content_type;
  std::string body;
  std::string peer;
};

}  // namespace

std::string ForbiddenAddressReason(std::string_view ip, bool allow_loopback) {
  boost::system::error_code ec;
  auto a = asio::ip::make_address(std::string(ip), ec);
  if (ec) return "not an IP address";
  if (a.is_v4()) return V4Reason(a.to_v4().to_uint(), allow_loopback);
  return V6Reason(a.to_v6(), allow_loopback);
}

std::string SniffContentType(std::string_view s) {
  if (StartsWithBytes(s, "\xFF\xD8\xFF")) return "image/jpeg";
  if (StartsWithBytes(s, "\x89PNG\r\n\x1A\n")) return "image/png";
  if (StartsWithBytes(s, "GIF87a") || StartsWithBytes(s, "GIF89a")) return "image/gif";
  if (s.size() >= 12 && StartsWithBytes(s, "RIFF") && s.substr(8, 4) == "WEBP") return "image/webp";
  if (StartsWithBytes(s, "BM") && s.size() >= 26) return "image/bmp";
  if (StartsWithBytes(s, std::string_view("II*\0", 4)) ||
      StartsWithBytes(s, std::string_view("MM\0*", 4))) {
    return "image/tiff";
  }
  if (s.size() >= 12 && s.substr(4, 4) == "ftyp") return "video/mp4";
  if (StartsWithBytes(s, "\x1A\x45\xDF\xA3")) return "video/webm";
  if (StartsWithBytes(s, "%PDF-")) return "application/pdf";
  if (StartsWithBytes(s, "PK\x03\x04")) return "application/zip";
  std::string_view t = s;
  if (StartsWithBytes(t, "\xEF\xBB\xBF")) t.remove_prefix(3);
  while (!t.empty() && (t[0] == ' ' || t[0] == '\t' || t[0] == '\r' || t[0] == '\n')) {
    t.remove_prefix(1);
  }
  std::string head(t.substr(0, 4096));
  std::transform(head.begin(), head.end(), head.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? char(c + 32) : c; });
  if (!head.empty() && (head[0] == '{' || head[0] == '[')) {
    if (head.find("activitystreams") != std::string::npos ||
        head.find("\"ordereditems\"") != std::string::npos ||
        head.find("orderedcollection") != std::string::npos) {
      return "application/activity+json";
    }
    return "application/json";
  }
  if (!head.empty() && head[0] == '<') {
    if (head.find("<rss") != std::string::npos) return "application/rss+xml";
    if (head.find("<rdf:rdf") != std::string::npos) return "application/rss+xml";
    if (head.find("<feed") != std::string::npos) return "application/atom+xml";
    if (head.find("<!doctype html") != std::string::npos ||
        head.find("<html") != std::string::npos || head.find("<head") != std::string::npos ||
        head.find("<body") != std::string::npos) {
      return "text/html";
    }
    if (StartsWithBytes(head, "<?xml")) return "application/xml";
    return "text/html";
  }
  if (s.substr(0, 1024).find('\0') == std::string_view::npos && !s.empty()) return "text/plain";
  return "application/octet-stream";
}

Result<FetchResult> SafeFetcher::Fetch(std::string_view url, std::string_view accept) const {
  // Asio and OpenSSL report resource failures (no memory, no file descriptors) by
  // throwing; none of that may cross into the caller.
  try {
    return FetchUnguarded(url, accept);
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted(std::string(url.substr(0, 200)) + ": out of memory");
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string(url.substr(0, 200)) + ": " + e.what());
  }
}

Result<FetchResult> SafeFetcher::FetchUnguarded(std::string_view raw_url,
                                                std::string_view accept) const {
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  auto first = CanonicalizeUrl(raw_url);
  if (!first.ok()) {
    return Status::InvalidArgument("cannot fetch '" + std::string(raw_url.substr(0, 200)) +
                                   "': " + first.status().message());
  }
  CanonicalUrl current = std::move(first).value();
  FetchResult result;
  asio::io_context ioc;

  for (int hop = 0;; ++hop) {
    // Resolve once, check every address, connect only to checked ones.
    std::vector<tcp::endpoint> endpoints;
    if (current.host_is_ip) {
      boost::system::error_code ec;
      auto a = asio::ip::make_address(current.host, ec);
      if (ec) return Status::InvalidArgument(current.url + ": bad IP address");
      endpoints.emplace_back(a, current.port);
    } else {
      tcp::resolver resolver(ioc);
      boost::system::error_code ec;
      auto results = resolver.resolve(current.host, std::to_string(current.port), ec);
      if (ec) return Status::Unavailable(current.url + ": cannot resolve host: " + ec.message());
      for (const auto& r : results) endpoints.push_back(r.endpoint());
    }
    if (endpoints.empty()) return Status::Unavailable(current.url + ": host has no address");
    for (const auto& ep : endpoints) {
      std::string why = ForbiddenAddressReason(ep.address().to_string(), options_.allow_loopback);
      if (!why.empty()) {
        return Status::PermissionDenied("refused " + current.url + ": " + current.host + " is " +
                                        ep.address().to_string() + " (" + why + ")");
      }
    }

    HopResult hop_result;
    auto exchange = [&](auto& stream) -> Status {
      http::request<http::empty_body> req{http::verb::get, current.path_and_query, 11};
      bool default_port = (current.scheme == "http" && current.port == 80) ||
                          (current.scheme == "https" && current.port == 443);
      std::string host_header =
          current.host.find(':') != std::string::npos ? "[" + current.host + "]" : current.host;
      if (!default_port) host_header += ":" + std::to_string(current.port);
      req.set(http::field::host, host_header);
      req.set(http::field::user_agent, options_.user_agent);
      req.set(http::field::accept, accept);
      req.set(http::field::accept_encoding, "identity");
      req.set(http::field::connection, "close");
      beast::get_lowest_layer(stream).expires_at(deadline);
      auto ec = RunOp(ioc, [&](auto handler) { http::async_write(stream, req, handler); });
      if (ec) return NetError("sending request", current.url, ec);
      beast::flat_buffer buffer;
      http::response_parser<http::string_body> parser;
      parser.body_limit(options_.max_bytes);
      parser.header_limit(kMaxResponseHeaderBytes);
      beast::get_lowest_layer(stream).expires_at(deadline);
      ec = RunOp(ioc, [&](auto handler) { http::async_read(stream, buffer, parser, handler); });
      if (ec) return NetError("reading response", current.url, ec);
      auto& res = parser.get();
      hop_result.status = static_cast<int>(res.result_int());
      hop_result.location = std::string(res[http::field::location]);
      hop_result.content_type = std::string(res[http::field::content_type]);
      hop_result.body = std::move(res.body());
      return Status::OK();
    };

    beast::tcp_stream tcp_stream(ioc);
    boost::system::error_code connect_ec = asio::error::host_not_found;
    for (const auto& ep : endpoints) {
      tcp_stream.expires_at(deadline);
      connect_ec = RunOp(ioc, [&](auto handler) { tcp_stream.async_connect(ep, handler); });
      if (!connect_ec) {
        hop_result.peer = ep.address().to_string();
        break;
      }
      if (connect_ec == beast::error::timeout) break;
      tcp_stream.close();
    }
    if (connect_ec) return NetError("connecting", current.url, connect_ec);

    if (current.scheme == "https") {
      asio::ssl::context ctx(asio::ssl::context::tls_client);
      ctx.set_default_verify_paths();
      ctx.set_verify_mode(asio::ssl::verify_peer);
      beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), ctx);
      if (!current.host_is_ip &&
          !SSL_set_tlsext_host_name(stream.native_handle(), current.host.c_str())) {
        return Status::Unavailable(current.url + ": cannot set TLS server name");
      }
      stream.set_verify_callback(asio::ssl::host_name_verification(current.host));
      beast::get_lowest_layer(stream).expires_at(deadline);
      auto ec = RunOp(ioc, [&](auto handler) {
        stream.async_handshake(asio::ssl::stream_base::client, handler);
      });
      if (ec) return NetError("TLS handshake", current.url, ec);
      VIGIL_RETURN_IF_ERROR(exchange(stream));
    } else {
      VIGIL_RETURN_IF_ERROR(exchange(tcp_stream));
    }

    bool redirect =
        (hop_result.status == 301 || hop_result.status == 302 || hop_result.status == 303 ||
         hop_result.status == 307 || hop_result.status == 308) &&
        !hop_result.location.empty();
    if (!redirect) {
      result.url = current.url;
      result.status = hop_result.status;
      result.declared_type = std::move(hop_result.content_type);
      result.sniffed_type = SniffContentType(hop_result.body);
      result.body = std::move(hop_result.body);
      result.peer_address = std::move(hop_result.peer);
      return result;
    }
    if (hop >= options_.max_redirects) {
      return Status::ResourceExhausted(std::string(raw_url.substr(0, 200)) + ": more than " +
                                       std::to_string(options_.max_redirects) + " redirects");
    }
    auto next = ResolveAndCanonicalize(current.url, hop_result.location);
    if (!next.ok()) {
      return Status::PermissionDenied("refused redirect from " + current.url + " to '" +
                                      hop_result.location.substr(0, 200) +
                                      "': " + next.status().message());
    }
    result.redirects.push_back(current.url);
    current = std::move(next).value();
  }
}

}  // namespace vigil::collect
