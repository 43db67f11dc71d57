#include "server/http_server.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url.hpp>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <optional>
#include <thread>
#include <vector>

#include "server/api_error.h"

namespace vigil::server {
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

Status ParseListen(std::string_view listen, HttpServerOptions* options) {
  std::string_view host, port;
  if (!listen.empty() && listen.front() == '[') {
    size_t close = listen.find(']');
    if (close == std::string_view::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      return Status::InvalidArgument("--listen: expected [ipv6]:port, got '" + std::string(listen) +
                                     "'");
    }
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else {
    size_t colon = listen.rfind(':');
    if (colon == std::string_view::npos) {
      return Status::InvalidArgument("--listen: expected host:port, got '" + std::string(listen) +
                                     "'");
    }
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
  }
  unsigned p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || end != port.data() + port.size() || p > 65535 || host.empty()) {
    return Status::InvalidArgument("--listen: bad host or port in '" + std::string(listen) + "'");
  }
  boost::system::error_code addr_ec;
  net::ip::make_address(std::string(host), addr_ec);
  if (addr_ec) {
    return Status::InvalidArgument("--listen: '" + std::string(host) +
                                   "' is not an IP address (use 127.0.0.1, 0.0.0.0 or ::)");
  }
  options->address = std::string(host);
  options->port = static_cast<uint16_t>(p);
  return Status::OK();
}

namespace {

struct Shared {
  Service& service;
  HttpServerOptions options;
  std::atomic<size_t> open{0};
};

// One connection. CRTP over the stream type so plain and TLS sessions share the HTTP
// logic (the pattern of Beast's "advanced server, flex" example).
template <class Derived>
class Session {
 public:
  explicit Session(Shared& shared) : shared_(shared) {
    shared_.open.fetch_add(1);
    shared_.service.transport_metrics().connections_open.fetch_add(1);
    shared_.service.transport_metrics().connections_total.fetch_add(1);
  }
  ~Session() {
    shared_.open.fetch_sub(1);
    shared_.service.transport_metrics().connections_open.fetch_sub(1);
  }

 protected:
  Derived& derived() { return static_cast<Derived&>(*this); }

  void DoRead() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(shared_.options.max_header_bytes));
    parser_->body_limit(shared_.options.max_body_bytes);
    // The first request must start promptly; a kept-alive connection may idle longer.
    beast::get_lowest_layer(derived().stream())
        .expires_after(first_ ? shared_.options.request_timeout : shared_.options.idle_timeout);
    http::async_read_header(
        derived().stream(), buffer_, *parser_,
        beast::bind_front_handler(&Session::OnHeader, derived().shared_from_this()));
  }

  void OnHeader(beast::error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    beast::get_lowest_layer(derived().stream()).expires_after(shared_.options.request_timeout);
    auto& req = parser_->get();
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      continue_.emplace(http::status::continue_, req.version());
      http::async_write(
          derived().stream(), *continue_,
          beast::bind_front_handler(&Session::OnContinue, derived().shared_from_this()));
      return;
    }
    ReadBody();
  }

  void OnContinue(beast::error_code ec, size_t) {
    if (ec) return derived().DoClose();
    ReadBody();
  }

  void ReadBody() {
    http::async_read(derived().stream(), buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, derived().shared_from_this()));
  }

  void OnReadError(beast::error_code ec) {
    auto& metrics = shared_.service.transport_metrics();
    if (ec == http::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::connection_reset || ec == net::error::operation_aborted) {
      return derived().DoClose();
    }
    if (ec == beast::error::timeout) {
      metrics.timeouts_total.fetch_add(1);
      return derived().DoClose();  // nothing useful to say to a stalled peer
    }
    if (ec == http::error::header_limit) {
      metrics.bad_requests_total.fetch_add(1);
      return SendError(
          431, kCodeHeaderTooLarge,
          "request headers exceed " + std::to_string(shared_.options.max_header_bytes) + " bytes");
    }
    if (ec == http::error::body_limit) {
      metrics.bad_requests_total.fetch_add(1);
      return SendError(
          413, kCodePayloadTooLarge,
          "request body exceeds " + std::to_string(shared_.options.max_body_bytes) + " bytes");
    }
    if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
      metrics.bad_requests_total.fetch_add(1);
      return SendError(400, kCodeBadRequest, "malformed HTTP request: " + ec.message());
    }
    return derived().DoClose();
  }

  void OnRead(beast::error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    auto req = parser_->release();
    Request r;
    r.method = std::string(req.method_string());
    auto url = boost::urls::parse_origin_form(req.target());
    if (!url) {
      return SendError(400, kCodeBadRequest, "malformed request target");
    }
    r.path = std::string(url->path());
    for (auto param : url->params()) {
      r.query[std::string(param.key)] = param.has_value ? std::string(param.value) : std::string();
    }
    r.content_type = std::string(req[http::field::content_type]);
    r.authorization = std::string(req[http::field::authorization]);
    if (auto sig = req["Vigil-Signature"]; !sig.empty()) r.headers["vigil-signature"] = sig;
    r.body = std::move(req.body());
    Response out = shared_.service.Handle(r);
    Write(std::move(out), req.version(), req.keep_alive());
  }

  void Write(Response out, unsigned version, bool keep_alive) {
    res_.emplace();
    res_->version(version);
    res_->result(static_cast<unsigned>(out.status));
    res_->set(http::field::server, "vigil");
    res_->set(http::field::content_type, out.content_type);
    res_->set("X-Content-Type-Options", "nosniff");
    for (auto& [k, v] : out.headers) res_->set(k, v);
    res_->keep_alive(keep_alive);
    res_->body() = std::move(out.body);
    res_->prepare_payload();
    http::async_write(
        derived().stream(), *res_,
        beast::bind_front_handler(&Session::OnWrite, derived().shared_from_this(), keep_alive));
  }

  void SendError(int status, std::string_view code, const std::string& message) {
    Response r = Response::Json(ErrorJson(code, message), status);
    Write(std::move(r), 11, false);
  }

  void OnWrite(bool keep_alive, beast::error_code ec, size_t) {
    if (ec || !keep_alive) return derived().DoClose();
    res_.reset();
    first_ = false;
    DoRead();
  }

  Shared& shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> res_;
  std::optional<http::response<http::empty_body>> continue_;
  bool first_ = true;
};

// shared_ptr: a session is owned by its pending asynchronous operations (Beast's model);
// it is freed when the last completion handler lets go.
class PlainSession : public Session<PlainSession>,
                     public std::enable_shared_from_this<PlainSession> {
 public:
  PlainSession(tcp::socket&& socket, Shared& shared)
      : Session(shared), stream_(std::move(socket)) {}
  beast::tcp_stream& stream() { return stream_; }
  void Run() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&PlainSession::DoRead, shared_from_this()));
  }
  // Half-closes, then reads and discards what the peer still sends for a moment before
  // closing: closing with unread input makes the kernel send a reset, which can destroy
  // the error response (413, 431) the peer has not read yet.
  void DoClose() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    Drain();
  }

 private:
  static constexpr int kMaxDrainReads = 64;  // x sizeof(drain_) = 256 KiB at most
  void Drain() {
    stream_.expires_after(std::chrono::seconds(1));
    stream_.async_read_some(net::buffer(drain_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (!ec && ++self->drain_reads_ < kMaxDrainReads)
                                return self->Drain();
                              beast::error_code ignored;
                              self->stream_.socket().close(ignored);
                            });
  }

  friend class Session<PlainSession>;
  beast::tcp_stream stream_;
  char drain_[4096];
  int drain_reads_ = 0;
};

class TlsSession : public Session<TlsSession>, public std::enable_shared_from_this<TlsSession> {
 public:
  TlsSession(tcp::socket&& socket, ssl::context& ctx, Shared& shared)
      : Session(shared), stream_(std::move(socket), ctx) {}
  beast::ssl_stream<beast::tcp_stream>& stream() { return stream_; }
  void Run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      beast::get_lowest_layer(self->stream_).expires_after(self->shared_.options.request_timeout);
      self->stream_.async_handshake(ssl::stream_base::server,
                                    beast::bind_front_handler(&TlsSession::OnHandshake, self));
    });
  }
  void OnHandshake(beast::error_code ec) {
    if (ec) {
      if (ec == beast::error::timeout) {
        shared_.service.transport_metrics().timeouts_total.fetch_add(1);
      }
      return;  // dropping the last reference closes the socket
    }
    DoRead();
  }
  void DoClose() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
      beast::error_code ec;
      beast::get_lowest_layer(self->stream_).socket().close(ec);
    });
  }

 private:
  friend class Session<TlsSession>;
  beast::ssl_stream<beast::tcp_stream> stream_;
};

}  // namespace

struct HttpServer::Impl {
  Impl(Service& service, HttpServerOptions options)
      : shared{service, std::move(options)}, acceptor(ioc), tls_ctx(ssl::context::tls_server) {}

  void Accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
        return Accept();
      }
      if (shared.open.load() >= shared.options.max_connections) {
        beast::error_code ignored;
        socket.close(ignored);
      } else if (tls) {
        std::make_shared<TlsSession>(std::move(socket), tls_ctx, shared)->Run();
      } else {
        std::make_shared<PlainSession>(std::move(socket), shared)->Run();
      }
      Accept();
    });
  }

  Shared shared;  // declared before ioc: sessions destroyed with ioc still refer to it
  net::io_context ioc;
  tcp::acceptor acceptor;
  ssl::context tls_ctx;
  bool tls = false;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::condition_variable stopped_cv;
  bool running = false;
};

HttpServer::HttpServer(Service& service, HttpServerOptions options)
    : impl_(std::make_unique<Impl>(service, std::move(options))) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  Impl& m = *impl_;
  const auto& o = m.shared.options;
  if (!o.tls_cert_file.empty() || !o.tls_key_file.empty()) {
    if (o.tls_cert_file.empty() || o.tls_key_file.empty()) {
      return Status::InvalidArgument("TLS needs both --tls-cert and --tls-key");
    }
    boost::system::error_code ec;
    m.tls_ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                              ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                              ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                          ec);
    m.tls_ctx.use_certificate_chain_file(o.tls_cert_file, ec);
    if (ec) return Status::InvalidArgument("--tls-cert " + o.tls_cert_file + ": " + ec.message());
    m.tls_ctx.use_private_key_file(o.tls_key_file, ssl::context::pem, ec);
    if (ec) return Status::InvalidArgument("--tls-key " + o.tls_key_file + ": " + ec.message());
    m.tls = true;
  }
  boost::system::error_code ec;
  auto address = net::ip::make_address(o.address, ec);
  if (ec) return Status::InvalidArgument("bad listen address '" + o.address + "'");
  tcp::endpoint ep(address, o.port);
  m.acceptor.open(ep.protocol(), ec);
  if (!ec) m.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) m.acceptor.bind(ep, ec);
  if (!ec) m.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Unavailable("cannot listen on " + o.address + ":" + std::to_string(o.port) +
                               ": " + ec.message());
  }
  m.Accept();
  unsigned n = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  {
    std::lock_guard lock(m.mu);
    m.running = true;
  }
  for (unsigned i = 0; i < n; ++i) {
    m.threads.emplace_back([&m] {
      // A handler that throws is a bug; log it and keep serving.
      while (true) {
        try {
          m.ioc.run();
          return;
        } catch (const std::exception& e) {
          std::fprintf(stderr, "vigil: serve: unexpected exception: %s\n", e.what());
        }
      }
    });
  }
  return Status::OK();
}

uint16_t HttpServer::port() const {
  boost::system::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void HttpServer::Stop() {
  Impl& m = *impl_;
  {
    std::lock_guard lock(m.mu);
    if (!m.running) return;
    m.running = false;
  }
  net::post(m.ioc, [&m] {
    boost::system::error_code ec;
    m.acceptor.close(ec);
  });
  m.ioc.stop();
  for (auto& t : m.threads) t.join();
  m.threads.clear();
  m.stopped_cv.notify_all();
}

void HttpServer::Wait() {
  std::unique_lock lock(impl_->mu);
  impl_->stopped_cv.wait(lock, [&] { return !impl_->running; });
}

}  // namespace vigil::server
