// `vigil serve`'s HTTP transport: Boost.Beast, asynchronous, HTTP/1.1 with keep-alive,
// optionally TLS (OpenSSL). It parses requests under the limits below, hands them to the
// Service (service.h) and writes the responses.
//
// Limits (named, with safe defaults; docs/server.md explains each):
//  - body size: larger bodies are refused with 413 payload_too_large before they are read;
//  - header size: larger header blocks get 431 header_too_large;
//  - request timeout: a request's header (and then its body) must arrive within this, so
//    a slowloris client that trickles bytes is cut off;
//  - idle timeout: a keep-alive connection with no new request is closed after this;
//  - connections: beyond the maximum, new connections are closed at once.
// Idle connections cost one small buffer each and no thread: they never block new ones.
//
// Thread safety: Start/Stop from one controlling thread. Requests are handled on the
// server's own threads (Service::Handle is thread-safe).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "server/service.h"

namespace vigil::server {

inline constexpr size_t kDefaultMaxBodyBytes = size_t{64} << 20;    // 64 MiB: one media file
inline constexpr size_t kDefaultMaxHeaderBytes = size_t{16} << 10;  // 16 KiB
inline constexpr auto kDefaultRequestTimeout = std::chrono::seconds(30);
inline constexpr auto kDefaultIdleTimeout = std::chrono::seconds(60);
inline constexpr size_t kDefaultMaxConnections = 10'000;
inline constexpr const char* kDefaultListen = "127.0.0.1:8080";

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;       // 0: any free port (see HttpServer::port)
  unsigned threads = 0;       // 0: one per core
  std::string tls_cert_file;  // PEM; with tls_key_file turns TLS on
  std::string tls_key_file;
  size_t max_body_bytes = kDefaultMaxBodyBytes;
  size_t max_header_bytes = kDefaultMaxHeaderBytes;
  std::chrono::milliseconds request_timeout = kDefaultRequestTimeout;
  std::chrono::milliseconds idle_timeout = kDefaultIdleTimeout;
  size_t max_connections = kDefaultMaxConnections;
};

// Splits "host:port" ("[::1]:8080" for IPv6) into options.address/port.
Status ParseListen(std::string_view listen, HttpServerOptions* options);

class HttpServer {
 public:
  HttpServer(Service& service, HttpServerOptions options);
  ~HttpServer();  // stops if running
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the threads; returns once the server accepts connections.
  Status Start();
  // The port bound (useful with port 0).
  uint16_t port() const;
  // Stops accepting, closes connections and joins the threads.
  void Stop();
  // Blocks until Stop() is called from another thread or a signal handler thread.
  void Wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::server
