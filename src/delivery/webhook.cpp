#include "delivery/webhook.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <charconv>
#include <thread>

#include "delivery/signature.h"

namespace vigil::delivery {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

struct Target {
  bool tls = false;
  std::string host;
  std::string port;
  std::string host_header;
  std::string path;
};

Result<Target> ParseTarget(std::string_view url) {
  auto u = boost::urls::parse_uri(url);
  if (!u) return Status::InvalidArgument("webhook URL is not a URL: " + std::string(url));
  Target t;
  if (u->scheme() == "https") {
    t.tls = true;
  } else if (u->scheme() != "http") {
    return Status::InvalidArgument("webhook URL must be http or https");
  }
  t.host = u->host_address();
  if (t.host.empty()) return Status::InvalidArgument("webhook URL has no host");
  if (u->has_userinfo()) return Status::InvalidArgument("webhook URL must not carry credentials");
  t.port = u->has_port() ? std::string(u->port()) : (t.tls ? "443" : "80");
  t.host_header = std::string(u->encoded_host_and_port());
  t.path = std::string(u->encoded_path());
  if (t.path.empty()) t.path = "/";
  if (u->has_query()) t.path += "?" + std::string(u->encoded_query());
  return t;
}

struct Response {
  int status = 0;
  std::string body;
  std::string receipt;
  std::string retry_after;
};

Status NetError(std::string_view what, const boost::system::error_code& ec) {
  if (ec == beast::error::timeout)
    return Status::DeadlineExceeded(std::string(what) + ": timed out");
  return Status::Unavailable(std::string(what) + ": " + ec.message());
}

template <class Stream>
asio::awaitable<Status> Exchange(Stream& stream, http::request<http::string_body>& req,
                                 Response* out) {
  auto [wec, wn] = co_await http::async_write(stream, req, asio::as_tuple(asio::use_awaitable));
  if (wec) co_return NetError("send", wec);
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxWebhookResponseBytes);
  parser.header_limit(16 * 1024);
  auto [rec, rn] =
      co_await http::async_read(stream, buf, parser, asio::as_tuple(asio::use_awaitable));
  if (rec) co_return NetError("response", rec);
  auto& res = parser.get();
  out->status = static_cast<int>(res.result_int());
  out->body = std::move(res.body());
  if (auto it = res.find("Vigil-Receipt"); it != res.end()) out->receipt = std::string(it->value());
  if (auto it = res.find(http::field::retry_after); it != res.end()) {
    out->retry_after = std::string(it->value());
  }
  co_return Status::OK();
}

// An IP literal skips the resolver: Asio's asynchronous resolve starts a thread per I/O
// context, which was most of the cost of a loopback delivery.
asio::awaitable<Status> Connect(beast::tcp_stream& stream, const std::string& host,
                                const std::string& port) {
  boost::system::error_code aec;
  const asio::ip::address addr = asio::ip::make_address(host, aec);
  if (!aec) {
    unsigned p = 0;
    auto [ptr, pec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (pec != std::errc() || p == 0 || p > 65535) co_return Status::InvalidArgument("bad port");
    auto [cec] = co_await stream.async_connect(tcp::endpoint(addr, static_cast<uint16_t>(p)),
                                               asio::as_tuple(asio::use_awaitable));
    if (cec) co_return NetError("connect", cec);
    co_return Status::OK();
  }
  tcp::resolver resolver(co_await asio::this_coro::executor);
  auto [ec, results] =
      co_await resolver.async_resolve(host, port, asio::as_tuple(asio::use_awaitable));
  if (ec) co_return NetError("resolve " + host, ec);
  auto [cec, ep] = co_await stream.async_connect(results, asio::as_tuple(asio::use_awaitable));
  if (cec) co_return NetError("connect", cec);
  co_return Status::OK();
}

asio::awaitable<void> Attempt(const Target& t, http::request<http::string_body>& req,
                              std::chrono::milliseconds timeout, asio::ssl::context* tls,
                              Response* out, Status* status) {
  auto ex = co_await asio::this_coro::executor;
  beast::tcp_stream stream(ex);
  stream.expires_after(timeout);
  Status connected = co_await Connect(stream, t.host, t.port);
  if (!connected.ok()) {
    *status = connected;
    co_return;
  }
  if (!t.tls) {
    *status = co_await Exchange(stream, req, out);
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return;
  }
  beast::ssl_stream<beast::tcp_stream> s(std::move(stream), *tls);
  if (!SSL_set_tlsext_host_name(s.native_handle(), t.host.c_str())) {
    *status = Status::Unavailable("TLS: cannot set server name");
    co_return;
  }
  s.set_verify_mode(asio::ssl::verify_peer);
  s.set_verify_callback(asio::ssl::host_name_verification(t.host));
  auto [hec] = co_await s.async_handshake(asio::ssl::stream_base::client,
                                          asio::as_tuple(asio::use_awaitable));
  if (hec) {
    *status = NetError("TLS handshake", hec);
    co_return;
  }
  *status = co_await Exchange(s, req, out);
  auto [sec] = co_await s.async_shutdown(asio::as_tuple(asio::use_awaitable));
  (void)sec;  // many servers close without a TLS close_notify; the response is complete
}

std::string ReceiptFromBody(const std::string& body) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return {};
  const auto* r = v.as_object().if_contains("receipt_id");
  if (r == nullptr) return {};
  if (const auto* s = r->if_string()) return std::string(s->subview().substr(0, 256));
  if (const auto* i = r->if_int64()) return std::to_string(*i);
  return {};
}

}  // namespace

std::chrono::milliseconds BackoffDelay(int attempt, std::chrono::milliseconds base,
                                       std::chrono::milliseconds max, double u) {
  int64_t cap = base.count();
  for (int i = 0; i < attempt && cap < max.count(); ++i) cap *= 2;
  cap = std::min<int64_t>(cap, max.count());
  const int64_t half = cap / 2;
  return std::chrono::milliseconds(half +
                                   static_cast<int64_t>(u * static_cast<double>(cap - half)));
}

bool IsRetryableHttpStatus(int s) {
  return s == 408 || s == 425 || s == 429 || (s >= 500 && s <= 599);
}

WebhookClient::WebhookClient(WebhookOptions options)
    : options_(std::move(options)),
      tls_(std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client)),
      rng_(options_.jitter_seed != 0 ? options_.jitter_seed : std::random_device{}()) {
  boost::system::error_code ec;
  tls_->set_default_verify_paths(ec);  // without a store, https attempts fail verification
  if (!options_.sleep)
    options_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  if (!options_.now_s) {
    options_.now_s = [] {
      return std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  if (options_.max_attempts < 1) options_.max_attempts = 1;
}

WebhookClient::~WebhookClient() = default;

double WebhookClient::Jitter() {
  std::lock_guard<std::mutex> lock(rng_mu_);
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
}

Result<WebhookResult> WebhookClient::Deliver(const WebhookEndpoint& endpoint, std::string_view body,
                                             std::string_view idempotency_key) {
  VIGIL_ASSIGN_OR_RETURN(Target t, ParseTarget(endpoint.url));
  if (endpoint.secret.size() < kMinSecretBytes) {
    return Status::InvalidArgument("webhook secret is shorter than " +
                                   std::to_string(kMinSecretBytes) + " bytes");
  }
  WebhookResult result;
  std::chrono::milliseconds waited{0};
  Status last;
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    http::request<http::string_body> req{http::verb::post, t.path, 11};
    req.set(http::field::host, t.host_header);
    req.set(http::field::user_agent, options_.user_agent);
    req.set(http::field::content_type, "application/json");
    req.set(kIdempotencyHeader, idempotency_key);
    req.set(kSignatureHeader, SignPayload(endpoint.secret, options_.now_s(), body));
    req.set("Vigil-Delivery-Attempt", std::to_string(attempt + 1));
    req.set(http::field::connection, "close");
    req.body() = std::string(body);
    req.prepare_payload();

    Response resp;
    Status st = Status::Internal("webhook attempt did not run");
    {
      asio::io_context ioc;
      asio::co_spawn(ioc, Attempt(t, req, options_.attempt_timeout, tls_.get(), &resp, &st),
                     [&st](std::exception_ptr e) {
                       if (e) st = Status::Internal("webhook attempt failed unexpectedly");
                     });
      ioc.run();
    }
    WebhookAttempt log;
    log.waited_before = waited;
    log.http_status = resp.status;
    if (!st.ok()) log.error = st.message();
    result.log.push_back(log);
    result.attempts = attempt + 1;

    if (st.ok() && resp.status >= 200 && resp.status < 300) {
      result.http_status = resp.status;
      result.remote_reference =
          !resp.receipt.empty() ? resp.receipt.substr(0, 256) : ReceiptFromBody(resp.body);
      result.response_body = std::move(resp.body);
      return result;
    }
    if (st.ok() && !IsRetryableHttpStatus(resp.status)) {
      return Status::FailedPrecondition("webhook refused with HTTP " + std::to_string(resp.status) +
                                        " after " + std::to_string(attempt + 1) + " attempt(s)");
    }
    last = st.ok() ? Status::Unavailable("HTTP " + std::to_string(resp.status)) : st;
    if (attempt + 1 == options_.max_attempts) break;
    waited = BackoffDelay(attempt, options_.base_backoff, options_.max_backoff, Jitter());
    int64_t retry_after = 0;
    if (!resp.retry_after.empty()) {
      auto [p, ec] = std::from_chars(
          resp.retry_after.data(), resp.retry_after.data() + resp.retry_after.size(), retry_after);
      if (ec != std::errc()) retry_after = 0;
    }
    if (retry_after > 0) {
      waited = std::max(
          waited, std::min(std::chrono::milliseconds(retry_after * 1000), options_.max_backoff));
    }
    options_.sleep(waited);
  }
  return Status::Unavailable("webhook delivery failed after " + std::to_string(result.attempts) +
                             " attempt(s): " + last.message());
}

}  // namespace vigil::delivery
