#include "server/test_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cmath>
#include <filesystem>
#include <random>

#include "media/encode.h"
#include "pipeline/media_hasher.h"

namespace vigil::server::testing {
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

boost::json::value HttpResult::json() const {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec) return nullptr;
  return v;
}

HttpResult Call(uint16_t port, const std::string& method, const std::string& target,
                const std::string& body, const std::string& token,
                const std::string& content_type) {
  HttpResult out;
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return out;
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  if (!body.empty()) req.set(http::field::content_type, content_type);
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req, ec);
  if (ec) return out;
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(size_t{256} << 20);
  http::read(stream, buf, parser, ec);
  if (ec) return out;
  auto res = parser.release();
  out.status = static_cast<int>(res.result_int());
  out.body = res.body();
  out.content_type = std::string(res[http::field::content_type]);
  for (const auto& f : res) out.headers[std::string(f.name_string())] = std::string(f.value());
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return out;
}

std::string RawExchange(uint16_t port, const std::string& bytes, int timeout_ms) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  stream.expires_after(std::chrono::milliseconds(timeout_ms));
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return "<connect failed>";
  net::write(stream.socket(), net::buffer(bytes), ec);
  std::string got;
  char buf[4096];
  while (true) {
    stream.expires_after(std::chrono::milliseconds(timeout_ms));
    size_t n = stream.read_some(net::buffer(buf), ec);
    got.append(buf, n);
    if (ec) break;
  }
  return got;
}

std::string TestJpeg(int seed, int size) {
  std::vector<uint8_t> px(static_cast<size_t>(size) * size * 3);
  std::mt19937 rng(static_cast<unsigned>(seed) * 7919u + 1);
  double cx = rng() % size, cy = rng() % size, r = size / 4.0 + rng() % (size / 4);
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      uint8_t* p = &px[(static_cast<size_t>(y) * size + x) * 3];
      double d = std::hypot(x - cx, y - cy);
      int base = ((x * (seed % 5 + 1) + y * (seed % 3 + 2)) * 3) % 256;
      int v = d < r ? 255 - base : base;
      if (((x / (8 + seed % 8)) + (y / (6 + seed % 5))) % 2) v = (v + 90) % 256;
      p[0] = static_cast<uint8_t>(v);
      p[1] = static_cast<uint8_t>((v * 3 + seed * 17) % 256);
      p[2] = static_cast<uint8_t>(255 - v);
    }
  }
  auto jpeg = media::EncodeJpeg(px, size, size, 3);
  if (!jpeg.ok()) return {};
  return std::string(jpeg->begin(), jpeg->end());
}

std::string PdqOf(const std::string& jpeg) {
  auto h = pipeline::HashImageBytes(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(jpeg.data()), jpeg.size()), {});
  return h.ok() ? h->pdq.hash.ToHex() : std::string();
}

std::string FlipBits(const std::string& hex, int bits) {
  std::string out = hex;
  for (int i = 0; i < bits; ++i) {
    size_t pos = out.size() - 1 - static_cast<size_t>(i / 4);
    int digit = std::stoi(std::string(1, out[pos]), nullptr, 16) ^ (1 << (i % 4));
    out[pos] = "0123456789abcdef"[digit];
  }
  return out;
}

namespace {

std::string TempPath(const std::string& name) {
  auto dir = std::filesystem::path(VIGIL_BINARY_DIR) / "tmp" / "server_test";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

}  // namespace

void ServerFixture::SetUp() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  db_path_ = TempPath(std::string(info->test_suite_name()) + "." + info->name() + "." +
                      std::to_string(::getpid()) + ".db");
  std::filesystem::remove(db_path_);
  auto st = store::OpenStore(db_path_);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  store::Store& s = **st;
  for (const char* org : {kOrgA, kOrgB}) {
    auto o = s.CreateOrganisation("test", org, "");
    ASSERT_TRUE(o.ok()) << o.status().ToString();
    org_ids_[org] = o->id;
    for (Role role : kAllRoles) {
      store::User u;
      u.org_id = o->id;
      u.role = std::string(RoleName(role));
      u.name = u.role + "@" + org;
      auto created = s.CreateUser("test", u);
      ASSERT_TRUE(created.ok()) << created.status().ToString();
      auto t = s.CreateApiToken("test", created->id, "test", 0);
      ASSERT_TRUE(t.ok()) << t.status().ToString();
      tokens_[org][u.role] = t->secret;
    }
  }
  image_a_ = TestJpeg(1);
  image_b_ = TestJpeg(2);
  image_shared_ = TestJpeg(3);
  image_public_ = TestJpeg(4);
  struct B {
    const char* name;
    const char* owner;
    store::SharingScope scope;
    const std::string* image;
    const char* label;
  };
  for (const B& b :
       {B{"a-private", kOrgA, store::SharingScope::kPrivate, &image_a_, "severity:promotional"},
        B{"b-private", kOrgB, store::SharingScope::kPrivate, &image_b_, "severity:promotional"},
        B{"b-shared", kOrgB, store::SharingScope::kOrganisations, &image_shared_,
          "severity:crisis"},
        B{"b-public", kOrgB, store::SharingScope::kPublic, &image_public_,
          "severity:designated-entity"}}) {
    store::Bank bank;
    bank.name = b.name;
    bank.owner_org_id = org_ids_[b.owner];
    bank.scope = b.scope;
    if (b.scope == store::SharingScope::kOrganisations) bank.shared_with = {org_ids_[kOrgA]};
    auto created = s.CreateBank("test", bank);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    store::SignalInput in;
    in.type = store::SignalType::kPdq;
    in.value = PdqOf(*b.image);
    ASSERT_EQ(in.value.size(), 64u);
    in.labels = {b.label};
    in.source_exchange = "test";
    auto added = s.AddSignals("test", created->id, std::span(&in, 1), 0);
    ASSERT_TRUE(added.ok()) << added.status().ToString();
  }
  st->reset();
  StartServer();
}

void ServerFixture::StartServer(ServiceOptions so, HttpServerOptions ho) {
  StopServer();
  auto st = store::OpenStore(db_path_);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  auto svc = Service::Create(std::move(*st), std::move(so));
  ASSERT_TRUE(svc.ok()) << svc.status().ToString();
  service_ = std::move(*svc);
  ho.address = "127.0.0.1";
  ho.port = 0;
  if (ho.threads == 0) ho.threads = 2;
  server_ = std::make_unique<HttpServer>(*service_, ho);
  Status started = server_->Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  port_ = server_->port();
  ASSERT_NE(port_, 0);
}

void ServerFixture::StopServer() {
  if (server_) server_->Stop();
  server_.reset();
  service_.reset();
}

void ServerFixture::TearDown() {
  StopServer();
  std::filesystem::remove(db_path_);
  std::filesystem::remove(db_path_ + "-wal");
  std::filesystem::remove(db_path_ + "-shm");
}

}  // namespace vigil::server::testing
