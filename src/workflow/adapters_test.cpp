#include "workflow/adapters.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <thread>

namespace vigil::workflow {
namespace {

// Answers `n` HTTP requests on loopback with a fixed status and body, then stops.
class TinyHttpServer {
 public:
  TinyHttpServer(int status, std::string body, int n) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 4);
    thread_ = std::thread([this, status, body, n] {
      for (int i = 0; i < n; ++i) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        char buf[4096];
        std::string req;
        while (req.find("\r\n\r\n") == std::string::npos) {
          ssize_t got = ::read(c, buf, sizeof buf);
          if (got <= 0) break;
          req.append(buf, static_cast<size_t>(got));
        }
        std::string resp =
            "HTTP/1.1 " + std::to_string(status) +
            " X\r\nContent-Type: text/html\r\nConnection: close\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\n\r\n" + body;
        (void)!::write(c, resp.data(), resp.size());
        ::close(c);
      }
    });
  }
  ~TinyHttpServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

TEST(Adapters, StoreAuditSinkWritesTheHashChain) {
  std::string path = std::string(VIGIL_BINARY_DIR) + "/workflow_adapters_test.db";
  std::filesystem::remove(path);
  auto store = store::OpenStore(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  StoreAuditSink sink(store->get());
  MemoryReferralRepository repo;
  FakeClock clock;
  ReferralService svc(&repo, &sink, &clock, nullptr);
  ConfirmedItem c;
  c.url = "https://v.example/1";
  c.platform_id = "youtube";
  ReferRequest req;
  req.actor = "user:alice";
  req.org = "org-a";
  req.items = {c};
  auto out = svc.Refer(req);
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE(svc.RecordDelivery("system:dispatcher", out->created[0], DeliveryReceipt{}).ok());
  std::vector<store::AuditEntry> entries;
  ASSERT_TRUE((*store)
                  ->ForEachAudit(0,
                                 [&](const store::AuditEntry& e) {
                                   entries.push_back(e);
                                   return true;
                                 })
                  .ok());
  std::vector<std::string> actions;
  for (const auto& e : entries) {
    if (e.action.rfind("referral.", 0) == 0) actions.push_back(e.action + " " + e.after);
  }
  EXPECT_EQ(actions,
            (std::vector<std::string>{"referral.create pending", "referral.state delivered"}));
  auto report = (*store)->VerifyAudit();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok);
  store->reset();
  std::filesystem::remove(path);
}

TEST(Adapters, RegistryScopeAndAttribution) {
  auto reg = collect::PlatformRegistry::Parse(
      R"({"version":1,"platforms":[
        {"id":"videohost","name":"V","operator":"V Inc","category":"video","domains":["v.example"],"referral":["api"],"tco_hosting_service":true},
        {"id":"shortener","name":"S","operator":"S Inc","category":"link_shortener","domains":["s.example"],"referral":["email"],"tco_hosting_service":false}]})",
      "test");
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  auto scope = RegistryTcoScope(&*reg);
  EXPECT_TRUE(scope("videohost"));
  EXPECT_FALSE(scope("shortener"));
  EXPECT_TRUE(scope("never-heard-of-it"));
  auto item = ConfirmedItemFromUrl(*reg, "HTTPS://www.V.example/watch?utm_source=x&v=1#t");
  ASSERT_TRUE(item.ok()) << item.status().ToString();
  EXPECT_EQ(item->platform_id, "videohost");
  EXPECT_EQ(item->url, "https://www.v.example/watch?v=1");
  auto unknown = ConfirmedItemFromUrl(*reg, "https://other.example.org/x");
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->platform_id, "unknown:example.org");
  EXPECT_FALSE(ConfirmedItemFromUrl(*reg, "mailto:a@b").ok());
}

TEST(Adapters, FetcherProberSeesStatusAndRemovalPage) {
  collect::FetchOptions opt;
  opt.allow_loopback = true;
  opt.timeout = std::chrono::milliseconds(5000);
  FetcherProber prober(opt, {{"videohost", {"This video has been removed"}}});
  {
    TinyHttpServer srv(410, "gone", 1);
    auto p = prober.Probe("videohost", "http://127.0.0.1:" + std::to_string(srv.port()) + "/v/1");
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(p->http_status, 410);
    EXPECT_FALSE(p->removal_page);
  }
  {
    TinyHttpServer srv(200, "<html>This video has been removed</html>", 2);
    std::string url = "http://127.0.0.1:" + std::to_string(srv.port()) + "/v/2";
    auto p = prober.Probe("videohost", url);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(p->http_status, 200);
    EXPECT_TRUE(p->removal_page);
    auto other = prober.Probe("filehost", url);  // markers are per platform
    ASSERT_TRUE(other.ok());
    EXPECT_FALSE(other->removal_page);
  }
  // Without the loopback opt-in the safe fetcher refuses.
  FetcherProber strict(collect::FetchOptions{});
  EXPECT_EQ(strict.Probe("videohost", "http://127.0.0.1:9/x").status().code(),
            StatusCode::kPermissionDenied);
}

TEST(Adapters, RegistryRemovalMarkersAndFetchBody) {
  auto reg = collect::PlatformRegistry::Parse(
      R"({"version":1,"platforms":[
        {"id":"videohost","name":"V","operator":"V Inc","category":"video","domains":["v.example"],"referral":["api"],"tco_hosting_service":true,"removal_markers":["This video has been removed","/removed"]},
        {"id":"plain","name":"P","operator":"P Inc","category":"video","domains":["p.example"],"tco_hosting_service":true}]})",
      "test");
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  auto m = RemovalMarkers(*reg, {{"videohost", {"/removed", "Gone for good"}}, {"other", {""}}});
  ASSERT_EQ(m.size(), 1u);  // "plain" has none; "other" only an empty one
  EXPECT_EQ(m["videohost"],
            (std::vector<std::string>{"This video has been removed", "/removed", "Gone for good"}));
  EXPECT_FALSE(
      collect::PlatformRegistry::Parse(
          R"({"platforms":[{"id":"x","name":"X","category":"video","domains":["x.example"],"tco_hosting_service":true,"removal_markers":"nope"}]})",
          "bad")
          .ok());

  collect::FetchOptions opt;
  opt.allow_loopback = true;
  opt.timeout = std::chrono::milliseconds(5000);
  collect::SafeFetcher fetcher(opt);
  auto fetch = FetchBody(&fetcher);
  {
    TinyHttpServer srv(200, "synthetic medium bytes", 1);
    auto got = fetch("http://127.0.0.1:" + std::to_string(srv.port()) + "/m.jpg");
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, "synthetic medium bytes");
  }
  {
    TinyHttpServer srv(404, "no", 1);
    auto got = fetch("http://127.0.0.1:" + std::to_string(srv.port()) + "/m.jpg");
    EXPECT_EQ(got.status().code(), StatusCode::kUnavailable);
    EXPECT_NE(got.status().message().find("404"), std::string::npos);
  }
  collect::SafeFetcher strict;
  EXPECT_EQ(FetchBody(&strict)("http://127.0.0.1:9/m.jpg").status().code(),
            StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace vigil::workflow
