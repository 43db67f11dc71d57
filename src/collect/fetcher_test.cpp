#include "collect/fetcher.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>

#include "collect/source.h"

namespace vigil::collect {
namespace {

// A tiny HTTP/1.1 server on 127.0.0.1 (an ephemeral port), one thread per connection;
// just enough protocol for the fetcher's tests. Nothing leaves the machine.
class LoopbackServer {
 public:
  using Handler = std::function<void(int fd, const std::string& path)>;

  explicit LoopbackServer(Handler handler) : handler_(std::move(handler)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd_, 16);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~LoopbackServer() {
    stop_ = true;
    acceptor_.join();
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& t : workers_) t.join();
    close(fd_);
  }
  int port() const { return port_; }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  bool stopping() const { return stop_; }

  static void Send(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }
  static void Respond(int fd, int status, const std::string& headers, const std::string& body) {
    Send(fd, "HTTP/1.1 " + std::to_string(status) + " X\r\n" + headers + "Content-Length: " +
                 std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
  }

 private:
  void AcceptLoop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::lock_guard<std::mutex> lock(mu_);
      workers_.emplace_back([this, c] {
        std::string req;
        char buf[4096];
        while (req.find("\r\n\r\n") == std::string::npos && req.size() < 65536) {
          ssize_t n = recv(c, buf, sizeof buf, 0);
          if (n <= 0) break;
          req.append(buf, static_cast<size_t>(n));
        }
        auto sp1 = req.find(' ');
        auto sp2 = req.find(' ', sp1 + 1);
        std::string path = sp1 == std::string::npos ? "" : req.substr(sp1 + 1, sp2 - sp1 - 1);
        handler_(c, path);
        shutdown(c, SHUT_RDWR);
        close(c);
      });
    }
  }

  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
};

const std::string kPngBytes = std::string("\x89PNG\r\n\x1A\n", 8) + std::string(100, 'p');

class FetcherTest : public ::testing::Test {
 protected:
  FetcherTest() : server_([this](int fd, const std::string& path) { Handle(fd, path); }) {}

  void Handle(int fd, const std::string& path) {
    using S = LoopbackServer;
    std::string self = "http://localhost:" + std::to_string(server_.port());
    if (path == "/png") {
      S::Respond(fd, 200, "Content-Type: text/plain\r\n", kPngBytes);
    } else if (path == "/big") {
      S::Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n");
    } else if (path == "/big-unsized") {
      S::Send(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
      for (int i = 0; i < 64 && !server_.stopping(); ++i) S::Send(fd, std::string(4096, 'x'));
    } else if (path == "/slow") {
      for (int i = 0; i < 40 && !server_.stopping(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      S::Respond(fd, 200, "", "late");
    } else if (path == "/to-private") {
      S::Respond(fd, 302, "Location: http://10.1.2.3/x\r\n", "");
    } else if (path == "/to-metadata") {
      S::Respond(fd, 301, "Location: http://169.254.169.254/latest/meta-data/\r\n", "");
    } else if (path == "/to-v6-private") {
      S::Respond(fd, 307, "Location: http://[fd00::1]:8080/\r\n", "");
    } else if (path == "/to-mapped") {
      S::Respond(fd, 302, "Location: http://[::ffff:192.168.0.1]/\r\n", "");
    } else if (path == "/to-ftp") {
      S::Respond(fd, 302, "Location: ftp://files.example/x\r\n", "");
    } else if (path == "/to-png") {
      S::Respond(fd, 302, "Location: /png\r\n", "");
    } else if (path == "/to-localhost") {
      S::Respond(fd, 302, "Location: " + self + "/png\r\n", "");
    } else if (path == "/loop") {
      S::Respond(fd, 302, "Location: /loop\r\n", "");
    } else if (path == "/feed") {
      S::Respond(fd, 200, "Content-Type: application/octet-stream\r\n",
                 "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title>"
                 "<link>https://feed.example/</link><item><guid>g1</guid><description>"
                 "https://vk.com/wall-1_2</description></item></channel></rss>");
    } else if (path == "/outbox") {
      S::Respond(
          fd, 200, "Content-Type: application/activity+json\r\n",
          R"({"@context": "https://www.w3.org/ns/activitystreams", "type": "OrderedCollection",
                     "first": "/outbox?page=1"})");
    } else if (path.rfind("/outbox?page=", 0) == 0) {
      int page = std::stoi(path.substr(13));
      std::string next =
          page < 3 ? ", \"next\": \"/outbox?page=" + std::to_string(page + 1) + "\"" : "";
      S::Respond(fd, 200, "Content-Type: application/activity+json\r\n",
                 R"({"type": "OrderedCollectionPage", "orderedItems": [{"type": "Create",
                   "actor": "https://social.example/users/a", "object": {"type": "Note",
                   "id": "https://social.example/s/)" +
                     std::to_string(page) + R"(", "content": "<p>https://odysee.com/x</p>"}}])" +
                     next + "}");
    } else {
      S::Respond(fd, 404, "", "not found");
    }
  }

  SafeFetcher LoopbackFetcher(std::chrono::milliseconds timeout = std::chrono::seconds(5),
                              uint64_t max_bytes = 1 << 20) {
    FetchOptions o;
    o.allow_loopback = true;
    o.timeout = timeout;
    o.max_bytes = max_bytes;
    return SafeFetcher(o);
  }

  LoopbackServer server_;
};

TEST(ForbiddenAddress, SpecialPurposeRangesAreRefused) {
  for (const char* ip : {"10.0.0.1",
                         "172.16.5.4",
                         "172.31.255.255",
                         "192.168.1.1",
                         "100.64.0.1",
                         "127.0.0.1",
                         "127.1.2.3",
                         "169.254.169.254",
                         "0.0.0.0",
                         "224.0.0.1",
                         "239.255.255.250",
                         "255.255.255.255",
                         "240.0.0.1",
                         "192.0.2.1",
                         "198.18.0.1",
                         "::1",
                         "::",
                         "fe80::1",
                         "fc00::1",
                         "fd12:3456::1",
                         "ff02::1",
                         "::ffff:10.0.0.1",
                         "::ffff:127.0.0.1",
                         "64:ff9b::a00:1",
                         "2002:a00:1::1",
                         "2001:db8::1",
                         "2001::1",
                         "fec0::1",
                         "::10.0.0.1"}) {
    EXPECT_NE(ForbiddenAddressReason(ip, false), "") << ip;
  }
  for (const char* ip :
       {"93.184.215.14", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111",
        "2a00:1450:4001::1", "64:ff9b::5db8:d70e", "2002:5db8:d70e::1"}) {
    EXPECT_EQ(ForbiddenAddressReason(ip, false), "") << ip;
  }
  // Loopback may be allowed for tests, nothing else.
  EXPECT_EQ(ForbiddenAddressReason("127.0.0.1", true), "");
  EXPECT_EQ(ForbiddenAddressReason("::1", true), "");
  EXPECT_NE(ForbiddenAddressReason("10.0.0.1", true), "");
  EXPECT_NE(ForbiddenAddressReason("169.254.1.1", true), "");
}

TEST(SniffContentType, TrustsBytesNotNames) {
  EXPECT_EQ(SniffContentType(kPngBytes), "image/png");
  EXPECT_EQ(SniffContentType("\xFF\xD8\xFF\xE0"), "image/jpeg");
  EXPECT_EQ(SniffContentType("  <?xml version='1.0'?><rss>"), "application/rss+xml");
  EXPECT_EQ(SniffContentType("<?xml version='1.0'?>\n<feed xmlns="), "application/atom+xml");
  EXPECT_EQ(SniffContentType("<!DOCTYPE html><p>"), "text/html");
  EXPECT_EQ(SniffContentType("{\"orderedItems\": []}"), "application/activity+json");
  EXPECT_EQ(SniffContentType("{\"a\": 1}"), "application/json");
  EXPECT_EQ(SniffContentType(std::string("\0\1\2", 3)), "application/octet-stream");
}

TEST_F(FetcherTest, RefusesLoopbackUnlessConfigured) {
  SafeFetcher strict;
  for (const std::string& url :
       {server_.Url("/png"), "http://localhost:" + std::to_string(server_.port()) + "/png",
        "http://[::1]:" + std::to_string(server_.port()) + "/png",
        "http://0x7f.1:" + std::to_string(server_.port()) + "/png"}) {
    auto r = strict.Fetch(url);
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().ToString();
  }
  for (const char* url : {"http://10.0.0.1/", "http://[fe80::1]/", "http://169.254.169.254/",
                          "https://192.168.1.1/", "http://[::ffff:172.16.0.1]/"}) {
    EXPECT_EQ(strict.Fetch(url).status().code(), StatusCode::kPermissionDenied) << url;
  }
  for (const char* url : {"file:///etc/passwd", "ftp://example.org/", "gopher://x/", "nonsense"}) {
    EXPECT_FALSE(strict.Fetch(url).ok()) << url;
  }
}

TEST_F(FetcherTest, FetchesAndSniffs) {
  auto r = LoopbackFetcher().Fetch(server_.Url("/png"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->declared_type, "text/plain");
  EXPECT_EQ(r->sniffed_type, "image/png");
  EXPECT_EQ(r->body, kPngBytes);
  EXPECT_EQ(r->peer_address, "127.0.0.1");
  auto missing = LoopbackFetcher().Fetch(server_.Url("/nothing"));
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
}

TEST_F(FetcherTest, EveryRedirectIsCheckedAgain) {
  auto f = LoopbackFetcher();
  for (const char* path : {"/to-private", "/to-metadata", "/to-v6-private", "/to-mapped"}) {
    auto r = f.Fetch(server_.Url(path));
    ASSERT_FALSE(r.ok()) << path;
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().ToString();
  }
  EXPECT_EQ(f.Fetch(server_.Url("/to-ftp")).status().code(), StatusCode::kPermissionDenied);
  auto ok = f.Fetch(server_.Url("/to-png"));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->redirects.size(), 1u);
  EXPECT_EQ(ok->sniffed_type, "image/png");
  auto via_name = f.Fetch(server_.Url("/to-localhost"));
  ASSERT_TRUE(via_name.ok()) << via_name.status().ToString();
  auto loop = f.Fetch(server_.Url("/loop"));
  EXPECT_EQ(loop.status().code(), StatusCode::kResourceExhausted);
}

TEST_F(FetcherTest, SizeAndTimeAreBounded) {
  auto f = LoopbackFetcher(std::chrono::milliseconds(300), 64 * 1024);
  EXPECT_EQ(f.Fetch(server_.Url("/big")).status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(f.Fetch(server_.Url("/big-unsized")).status().code(), StatusCode::kResourceExhausted);
  auto start = std::chrono::steady_clock::now();
  auto slow = f.Fetch(server_.Url("/slow"));
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(slow.status().code(), StatusCode::kDeadlineExceeded) << slow.status().ToString();
  EXPECT_LT(elapsed, std::chrono::milliseconds(1500));
}

TEST_F(FetcherTest, UrlSourcesReadThroughTheFetcher) {
  auto f = LoopbackFetcher();
  SourceOptions options;
  options.fetcher = &f;
  auto feed = ReadAllItems(server_.Url("/feed"), options);
  ASSERT_TRUE(feed.ok()) << feed.status().ToString();
  ASSERT_EQ(feed->size(), 1u);
  EXPECT_EQ((*feed)[0].links.at(0), "https://vk.com/wall-1_2");

  auto outbox = ReadAllItems(server_.Url("/outbox"), options);
  ASSERT_TRUE(outbox.ok()) << outbox.status().ToString();
  ASSERT_EQ(outbox->size(), 3u);  // three pages, one post each
  EXPECT_EQ((*outbox)[2].id, "activitypub:https://social.example/s/3");
  options.max_outbox_pages = 2;
  EXPECT_EQ(ReadAllItems(server_.Url("/outbox"), options).status().code(),
            StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace vigil::collect
