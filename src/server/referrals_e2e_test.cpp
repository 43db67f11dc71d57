// The referral chain end to end on loopback (issue 7 item 10), from the demo action day to
// "removed, verified": tools/make_demo_images writes the synthetic action day, `vigil scan`
// scans its Telegram export into the store against a demo bank of the demo originals, the
// matched posts' links on three platforms are submitted, confirmed in review and referred,
// `send` delivers to a webhook receiver (signed), an SMTP sink and a pull account, feedback
// comes back (signed callbacks and the liaison API), a re-check round against a loopback
// web server (404 for one platform's pages, a removal page for another, live pages for the
// third) marks referrals removed (verified), and the statistics and the transparency
// report add up to what was sent. Then evidence: remote media fetched and sealed (and a
// failed fetch recorded), the package exports and verifies, and the maintenance loop of a
// restarted server expires evidence past retention. Everything is synthetic and benign.
//
// The demo links are on real-looking hosts (youtube.com/demo-youtube/...): the server's
// re-checks go through LoopbackProber, which maps them to the loopback web server and
// probes through a real workflow::FetcherProber (itself tested against loopback in
// workflow_adapters_test). Nothing leaves the machine.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include "delivery/signature.h"
#include "delivery/test_servers.h"
#include "pipeline/media_hasher.h"
#include "server/test_client.h"
#include "store/evidence.h"
#include "store/referral_store.h"
#include "workflow/adapters.h"
#include "workflow/clock.h"

namespace vigil::server::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using delivery::testing::SmtpSink;
using delivery::testing::TestWebhookServer;

const std::string kBin = VIGIL_BINARY_DIR;
constexpr const char* kHookSecret = "e2e-webhook-secret-0123456789";
constexpr const char* kMailSecret = "e2e-mail-callback-secret-0123";
constexpr const char* kPullSecret = "e2e-pull-callback-secret-0123";
constexpr const char* kRemovalMarker = "This content has been removed";

struct ShellRun {
  int status = -1;
  std::string out;
};

ShellRun Sh(const std::string& cmd) {
  ShellRun r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A loopback web server standing in for the platforms' pages and a media host: each
// request's path is looked up in a table (status, body); anything else is 404.
class PageServer {
 public:
  PageServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 16);
    thread_ = std::thread([this] { Serve(); });
  }
  ~PageServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  void Set(const std::string& path, int status, std::string body) {
    std::lock_guard lock(mu_);
    pages_[path] = {status, std::move(body)};
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int port() const { return port_; }
  int64_t hits() const { return hits_.load(); }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        ssize_t got = ::read(c, buf, sizeof buf);
        if (got <= 0) break;
        req.append(buf, static_cast<size_t>(got));
      }
      ++hits_;
      // "GET /path HTTP/1.1"
      std::string path;
      size_t sp = req.find(' ');
      if (sp != std::string::npos) path = req.substr(sp + 1, req.find(' ', sp + 1) - sp - 1);
      int status = 404;
      std::string body = "not here";
      {
        std::lock_guard lock(mu_);
        auto it = pages_.find(path);
        if (it != pages_.end()) std::tie(status, body) = it->second;
      }
      std::string resp = "HTTP/1.1 " + std::to_string(status) +
                         " X\r\nContent-Type: text/html\r\nConnection: close\r\n"
                         "Content-Length: " +
                         std::to_string(body.size()) + "\r\n\r\n" + body;
      size_t off = 0;
      while (off < resp.size()) {
        ssize_t w = ::write(c, resp.data() + off, resp.size() - off);
        if (w <= 0) break;
        off += static_cast<size_t>(w);
      }
      ::close(c);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> hits_{0};
  std::mutex mu_;
  std::map<std::string, std::pair<int, std::string>> pages_;
  std::thread thread_;
};

// https://host/path -> http://127.0.0.1:<port>/host/path, probed through a real
// FetcherProber (the safe fetcher with the loopback opt-in and the operator's markers).
class LoopbackProber final : public workflow::UrlProber {
 public:
  LoopbackProber(int port, std::map<std::string, std::vector<std::string>> markers)
      : port_(port), inner_(Options(), std::move(markers)) {}
  Result<workflow::ProbeResult> Probe(std::string_view platform, std::string_view url) override {
    ++calls;
    std::string_view rest = url;
    for (std::string_view scheme : {"https://", "http://"}) {
      if (rest.starts_with(scheme)) rest.remove_prefix(scheme.size());
    }
    return inner_.Probe(platform,
                        "http://127.0.0.1:" + std::to_string(port_) + "/" + std::string(rest));
  }
  std::atomic<int> calls{0};

 private:
  static collect::FetchOptions Options() {
    collect::FetchOptions o;
    o.allow_loopback = true;
    o.timeout = std::chrono::milliseconds(5000);
    return o;
  }
  int port_;
  workflow::FetcherProber inner_;
};

// The path a demo link has on the page server.
std::string PagePath(const std::string& url) {
  std::string rest = url.substr(url.find("://") + 3);
  return "/" + rest;
}

struct Candidate {
  int64_t scanned_item = 0;
  std::string link;  // canonical URL on a registry platform
  std::string platform;
};

class ReferralE2eTest : public ServerFixture {
 protected:
  void TearDown() override {
    ServerFixture::TearDown();
    if (!work_.empty()) fs::remove_all(work_);
  }

  ServiceOptions Options(const std::string& hook_p, const std::string& mail_p,
                         const std::string& pull_p) {
    ServiceOptions so;
    so.rate_limit_per_second = 0;
    delivery::DeliveryDirectory dir;
    EXPECT_TRUE(dir.Add({hook_p,
                         delivery::Channel::kWebhook,
                         hook_->url(),
                         "",
                         kHookSecret,
                         {},
                         hook_p + " Ltd",
                         "tco@" + hook_p + ".example"})
                    .ok());
    EXPECT_TRUE(dir.Add({mail_p,
                         delivery::Channel::kEmail,
                         "",
                         "abuse@" + mail_p + ".example",
                         kMailSecret,
                         {},
                         "",
                         ""})
                    .ok());
    EXPECT_TRUE(
        dir.Add({pull_p, delivery::Channel::kPull, "", "", kPullSecret, {kRemovalMarker}, "", ""})
            .ok());
    if (!prober_) {
      prober_ = std::make_unique<LoopbackProber>(pages_->port(), dir.RemovalMarkers());
    }
    so.referrals.directory = std::move(dir);
    delivery::SmtpOptions smtp;
    smtp.port = static_cast<uint16_t>(sink_->port());
    so.referrals.smtp = smtp;
    so.referrals.webhook.base_backoff = std::chrono::milliseconds(1);
    so.referrals.webhook.max_backoff = std::chrono::milliseconds(5);
    so.referrals.evidence.dir = (work_ / "evidence").string();
    so.referrals.evidence.retention_ms = workflow::kMsPerHour;
    so.referrals.clock = &clock_;
    so.referrals.prober = prober_.get();
    so.referrals.fetch_allow_loopback = true;  // remote evidence from the page server
    return so;
  }

  workflow::FakeClock clock_{std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count()};
  fs::path work_;
  std::unique_ptr<PageServer> pages_;
  std::unique_ptr<LoopbackProber> prober_;
  std::unique_ptr<TestWebhookServer> hook_;
  std::unique_ptr<SmtpSink> sink_;
};

TEST_F(ReferralE2eTest, DemoActionDayFromScanToVerifiedRemoval) {
  const auto t_start = std::chrono::steady_clock::now();
  work_ = fs::path(db_path_ + ".e2e");
  fs::remove_all(work_);
  fs::create_directories(work_);
  StopServer();  // the store is prepared offline, as an operator would

  // 1. The demo action day and a demo bank of the first eight originals (run-demo.sh's).
  const fs::path demo = work_ / "demo";
  ShellRun gen = Sh("'" + kBin + "/make_demo_images' --small '" + demo.string() + "' 2>&1");
  ASSERT_EQ(gen.status, 0) << gen.out;
  const fs::path day = demo / "action-day" / "telegram";
  ASSERT_TRUE(fs::exists(day / "result.json"));
  {
    auto st = store::OpenStore(db_path_);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    store::Bank bank;
    bank.name = "demo-bank";
    bank.owner_org_id = org_ids_[kOrgA];
    bank.scope = store::SharingScope::kPrivate;
    auto created = (*st)->CreateBank("test", bank);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    std::vector<store::SignalInput> in;
    for (int i = 0; i < 8; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "demo-%02d.jpg", i);
      std::string bytes = ReadAll(demo / "originals" / name);
      auto h = pipeline::HashImageBytes(
          std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()),
          {});
      ASSERT_TRUE(h.ok()) << name << ": " << h.status().ToString();
      in.push_back(
          {store::SignalType::kPdq, h->pdq.hash.ToHex(), 100, {"severity:promotional"}, "demo"});
    }
    ASSERT_TRUE((*st)->AddSignals("test", created->id, in, 0).ok());
  }

  // 2. vigil scan: the Telegram export against the demo bank.
  ShellRun scan =
      Sh("'" + kBin + "/vigil' scan --db '" + db_path_ +
         "' --actor cli:e2e --bank demo-bank --format jsonl '" + day.string() + "' 2>/dev/null");
  ASSERT_EQ(scan.status, 0) << scan.out.substr(0, 2000);
  std::vector<int64_t> matched;
  {
    std::istringstream lines(scan.out);
    std::string line;
    while (std::getline(lines, line)) {
      boost::system::error_code ec;
      json::value v = json::parse(line, ec);
      if (ec || !v.is_object() || !v.as_object().contains("store")) continue;
      const auto& s = v.at("store").as_object();
      if (!s.at("matches").as_array().empty()) matched.push_back(s.at("item_id").as_int64());
    }
  }
  ASSERT_GE(matched.size(), 10u) << scan.out.substr(scan.out.size() > 2000 ? scan.out.size() - 2000
                                                                           : 0);

  // The matched posts link to copies on other platforms: refer those on the three
  // platforms with the most links (one per delivery channel).
  std::vector<Candidate> all;
  std::map<std::string, int> per_platform;
  std::map<int64_t, store::Item> items;
  {
    auto st = store::OpenStore(db_path_);
    ASSERT_TRUE(st.ok());
    for (int64_t id : matched) {
      auto item = (*st)->GetItem(id);
      ASSERT_TRUE(item.ok());
      items[id] = *item;
      auto links = (*st)->ListLinks(id);
      ASSERT_TRUE(links.ok());
      for (const auto& l : *links) {
        if (l.platform.empty() || l.platform == "telegram") continue;
        all.push_back({id, l.url, l.platform});
        ++per_platform[l.platform];
      }
    }
  }
  std::vector<std::pair<int, std::string>> ranked;
  for (const auto& [p, n] : per_platform) ranked.push_back({-n, p});
  std::sort(ranked.begin(), ranked.end());
  ASSERT_GE(ranked.size(), 3u);
  const std::string hook_p = ranked[0].second, mail_p = ranked[1].second, pull_p = ranked[2].second;
  std::map<std::string, std::vector<Candidate>> chosen;
  for (const auto& c : all) {
    if (c.platform == hook_p || c.platform == mail_p || c.platform == pull_p) {
      chosen[c.platform].push_back(c);
    }
  }

  // The pull platform's liaison: an organisation named like the platform id.
  std::string liaison;
  {
    auto st = store::OpenStore(db_path_);
    ASSERT_TRUE(st.ok());
    auto org = (*st)->CreateOrganisation("test", pull_p, "a hosting platform");
    ASSERT_TRUE(org.ok());
    store::User u;
    u.org_id = org->id;
    u.role = "platform";
    u.name = "liaison@" + pull_p;
    auto user = (*st)->CreateUser("test", u);
    ASSERT_TRUE(user.ok());
    auto tok = (*st)->CreateApiToken("test", user->id, "test", 0);
    ASSERT_TRUE(tok.ok());
    liaison = tok->secret;
  }

  pages_ = std::make_unique<PageServer>();
  hook_ = std::make_unique<TestWebhookServer>(kHookSecret);
  auto sink = SmtpSink::Start((work_ / "mail").string());
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  sink_ = std::move(*sink);
  StartServer(Options(hook_p, mail_p, pull_p));
  const std::string& analyst = Token(kOrgA, "analyst");
  const std::string& reviewer = Token(kOrgA, "reviewer");

  // 3. Review: each link is submitted with the post's photo (matched again by the server
  //    against the demo bank, queued) and confirmed. The webhook platform's copies are
  //    media known only by URL (on the page server); one of the e-mail platform's is a
  //    URL that no longer answers.
  std::vector<int64_t> to_refer;
  int remote_media = 0;
  bool broken_one = false;
  for (const auto& [platform, cands] : chosen) {
    for (const auto& c : cands) {
      const store::Item& item = items[c.scanned_item];
      ASSERT_FALSE(item.media.empty());
      const store::Media& m = item.media[0];
      std::string pdq;
      for (const auto& s : m.signals) {
        if (s.type == store::SignalType::kPdq) pdq = s.value;
      }
      ASSERT_EQ(pdq.size(), 64u);
      std::string uri = m.uri;
      if (platform == hook_p) {
        const std::string path = "/media/" + m.sha256 + ".jpg";
        pages_->Set(path, 200,
                    ReadAll(fs::path(m.uri).is_absolute() ? fs::path(m.uri) : day / m.uri));
        uri = pages_->Url(path);
        ++remote_media;
      } else if (platform == mail_p && !broken_one) {
        uri = pages_->Url("/media/gone.jpg");
        broken_one = true;
      }
      json::object media{{"kind", "image"},
                         {"uri", uri},
                         {"sha256", m.sha256},
                         {"signals", json::array{json::object{{"type", "pdq"}, {"value", pdq}}}}};
      json::object body{{"url", c.link},
                        {"account", "synthetic-demo-garden-channel"},
                        {"reach", 100},
                        {"media", json::array{media}}};
      auto r = Post("/api/v1/items", json::serialize(body), analyst);
      ASSERT_EQ(r.status, 201) << r.body;
      ASSERT_TRUE(r.json().at("queued").as_bool()) << r.body;
      const int64_t id = r.json().at("item_id").as_int64();
      auto d =
          Post("/api/v1/review/items/" + std::to_string(id) + "/decision",
               R"({"decision":"confirm","labels":["severity:promotional"],"tier":2})", reviewer);
      ASSERT_EQ(d.status, 200) << d.body;
      to_refer.push_back(id);
    }
  }
  const size_t n_hook = chosen[hook_p].size(), n_mail = chosen[mail_p].size(),
               n_pull = chosen[pull_p].size();
  const size_t n_urls = n_hook + n_mail + n_pull;

  // 4. Refer: one referral per platform, attributed through the shipped registry.
  json::array refs;
  for (int64_t id : to_refer) refs.push_back(json::object{{"item_id", id}});
  auto created = Post(
      "/api/v1/referrals",
      json::serialize(json::object{{"operation", "demo-action-day"}, {"items", std::move(refs)}}),
      analyst);
  ASSERT_EQ(created.status, 201) << created.body;
  ASSERT_EQ(created.json().at("created").as_array().size(), 3u) << created.body;
  std::map<std::string, int64_t> rid;
  const json::value listed = Get("/api/v1/referrals", analyst).json();
  for (const auto& r : listed.at("referrals").as_array()) {
    rid[std::string(r.at("platform").as_string())] = r.at("id").as_int64();
  }
  ASSERT_EQ(rid.size(), 3u);

  // 5. Send: webhook (signed) and e-mail delivered, the pull platform waits for its pull.
  auto sent = Post("/api/v1/referrals/send", "{}", analyst);
  ASSERT_EQ(sent.status, 200) << sent.body;
  EXPECT_EQ(sent.json().at("delivered").as_int64(), 2) << sent.body;
  EXPECT_EQ(sent.json().at("waiting_pull").as_int64(), 1) << sent.body;
  ASSERT_EQ(hook_->received().size(), 1u);
  EXPECT_TRUE(hook_->received()[0].signature_ok);
  for (const auto& c : chosen[hook_p]) {
    EXPECT_NE(hook_->received()[0].body.find(c.link), std::string::npos) << c.link;
  }
  auto mails = sink_->Messages(1);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_NE(mails[0].find("abuse@" + mail_p + ".example"), std::string::npos);
  auto pulled = Get("/api/v1/platform/referrals", liaison);
  ASSERT_EQ(pulled.status, 200) << pulled.body;
  ASSERT_EQ(pulled.json().at("notices").as_array().size(), 1u);
  EXPECT_EQ(pulled.json().at("notices").at(0).at("referral_id").as_int64(), rid[pull_p]);

  // 6. Feedback: signed callbacks from the webhook and e-mail platforms, the liaison API.
  auto callback = [&](const std::string& platform, const std::string& secret,
                      const std::string& body) {
    Request r;
    r.method = "POST";
    r.path = "/callbacks/v1/" + platform + "/feedback";
    r.content_type = "application/json";
    r.body = body;
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    r.headers["vigil-signature"] = delivery::SignPayload(secret, now, body);
    return service_->Handle(r);
  };
  auto fb = [](int64_t id, const std::string& status) {
    return R"({"referral_id":)" + std::to_string(id) + R"(,"status":")" + status + "\"}";
  };
  ASSERT_EQ(callback(hook_p, kHookSecret, fb(rid[hook_p], "acknowledged")).status, 200);
  ASSERT_EQ(callback(mail_p, kMailSecret, fb(rid[mail_p], "acknowledged")).status, 200);
  auto removed = Post("/api/v1/platform/feedback", fb(rid[pull_p], "removed"), liaison);
  ASSERT_EQ(removed.status, 200) << removed.body;

  // 7. Two hours later, a re-check round: the webhook platform's pages are gone (404), the
  //    pull platform shows its removal page, the e-mail platform's are still up.
  for (const auto& c : chosen[mail_p]) pages_->Set(PagePath(c.link), 200, "<html>live</html>");
  for (const auto& c : chosen[pull_p]) {
    pages_->Set(PagePath(c.link), 200, std::string("<html>") + kRemovalMarker + "</html>");
  }
  clock_.Advance(2 * workflow::kMsPerHour);
  const auto t_recheck = std::chrono::steady_clock::now();
  auto re = Post("/api/v1/referrals/recheck", "{}", analyst);
  const double recheck_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t_recheck)
          .count();
  ASSERT_EQ(re.status, 200) << re.body;
  auto rj = re.json();
  EXPECT_EQ(rj.at("checked").as_int64(), static_cast<int64_t>(n_urls)) << re.body;
  EXPECT_EQ(rj.at("gone").as_int64(), static_cast<int64_t>(n_hook + n_pull)) << re.body;
  EXPECT_EQ(rj.at("live").as_int64(), static_cast<int64_t>(n_mail)) << re.body;
  EXPECT_EQ(rj.at("errors").as_int64(), 0) << re.body;
  std::vector<int64_t> verified;
  for (const auto& v : rj.at("verified_removed").as_array()) verified.push_back(v.as_int64());
  std::sort(verified.begin(), verified.end());
  std::vector<int64_t> want = {rid[hook_p], rid[pull_p]};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(verified, want);
  EXPECT_EQ(prober_->calls.load(), static_cast<int>(n_urls));
  // Nothing is due again right away; another organisation's call sees no ids of ours.
  auto again = Post("/api/v1/referrals/recheck", R"({"max":10})", Token(kOrgB, "analyst"));
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json().at("checked").as_int64(), 0);
  EXPECT_EQ(Post("/api/v1/referrals/recheck", R"({"max":-1})", analyst).status, 400);

  // The re-check history is on the referral.
  auto one = Get("/api/v1/referrals/" + std::to_string(rid[hook_p]), analyst).json();
  EXPECT_EQ(one.at("state").as_string(), "removed");
  EXPECT_GT(one.at("removal_verified_ms").as_int64(), 0);
  EXPECT_EQ(one.at("history").as_array().back().at("actor").as_string(), "system:recheck");
  for (const auto& it : one.at("items").as_array()) {
    EXPECT_EQ(it.at("url_status").as_string(), "gone");
    ASSERT_EQ(it.at("checks").as_array().size(), 1u);
    EXPECT_EQ(it.at("checks").at(0).at("http_status").as_int64(), 404);
  }
  auto mail_view = Get("/api/v1/referrals/" + std::to_string(rid[mail_p]), analyst).json();
  EXPECT_EQ(mail_view.at("state").as_string(), "acknowledged");
  EXPECT_EQ(mail_view.at("items").at(0).at("url_status").as_string(), "live");
  EXPECT_GT(mail_view.at("items").at(0).at("next_check_ms").as_int64(), clock_.NowMs());

  // 8. The statistics add up to what was sent.
  auto stats = Get("/api/v1/referrals/stats?group=platform", analyst);
  ASSERT_EQ(stats.status, 200) << stats.body;
  const json::value sj = stats.json();
  const auto& total = sj.at("total");
  EXPECT_EQ(total.at("referrals").as_int64(), 3);
  EXPECT_EQ(total.at("urls_referred").as_int64(), static_cast<int64_t>(n_urls));
  EXPECT_EQ(total.at("delivered").as_int64(), 3);
  EXPECT_EQ(total.at("acknowledged").as_int64(), 2);
  EXPECT_EQ(total.at("removed").as_int64(), 2);
  int64_t rows = 0, row_urls = 0;
  for (const auto& row : sj.at("rows").as_array()) {
    rows += row.at("referrals").as_int64();
    row_urls += row.at("urls_referred").as_int64();
  }
  EXPECT_EQ(rows, 3);
  EXPECT_EQ(row_urls, static_cast<int64_t>(n_urls));
  auto by_op = Get("/api/v1/referrals/stats?group=operation", analyst).json();
  ASSERT_EQ(by_op.at("rows").as_array().size(), 1u);
  EXPECT_EQ(by_op.at("rows").at(0).at("key").as_string(), "demo-action-day");
  auto rep = Get("/api/v1/reports/transparency", analyst);
  ASSERT_EQ(rep.status, 200) << rep.body;
  EXPECT_EQ(rep.json().at("referrals").at("voluntary").at("removed").as_int64(), 2) << rep.body;
  auto verify = Get("/api/v1/audit/verify", Token(kOrgA, "auditor")).json();
  EXPECT_TRUE(verify.at("ok").as_bool());

  // 9. Evidence: the remote media were fetched and sealed, the dead URL is on record.
  StopServer();
  {
    auto st = store::OpenStore(db_path_);
    ASSERT_TRUE(st.ok());
    auto repo = store::SqlReferralRepository::Create(st->get());
    ASSERT_TRUE(repo.ok());
    auto hook_ev = (*repo)->ListEvidence(rid[hook_p]);
    ASSERT_TRUE(hook_ev.ok());
    std::set<std::string> sealed_media;
    for (const auto& e : *hook_ev) {
      if (e.kind == "media") sealed_media.insert(e.sha256);
      EXPECT_NE(e.kind, "media_unavailable") << e.name;
    }
    std::set<std::string> want_media;
    for (const auto& c : chosen[hook_p]) want_media.insert(items[c.scanned_item].media[0].sha256);
    EXPECT_EQ(sealed_media, want_media);
    EXPECT_GE(remote_media, 1);
    auto mail_ev = (*repo)->ListEvidence(rid[mail_p]);
    ASSERT_TRUE(mail_ev.ok());
    int unavailable = 0;
    for (const auto& e : *mail_ev) {
      if (e.kind == "media_unavailable") {
        ++unavailable;
        EXPECT_NE(e.name.find("/media/gone.jpg"), std::string::npos) << e.name;
        EXPECT_NE(e.name.find("404"), std::string::npos) << e.name;
      }
    }
    EXPECT_EQ(unavailable, 1);
  }
  // The package of the webhook referral exports and verifies (vigil evidence).
  const fs::path pkg = work_ / "pkg";
  ShellRun ex = Sh("'" + kBin + "/vigil' evidence export " + std::to_string(rid[hook_p]) +
                   " --db '" + db_path_ + "' --out '" + pkg.string() + "' 2>&1");
  ASSERT_EQ(ex.status, 0) << ex.out;
  ShellRun vf = Sh("'" + kBin + "/vigil' evidence verify '" + pkg.string() + "' 2>&1");
  EXPECT_EQ(vf.status, 0) << vf.out;
  // The CLI's round and overdue list: nothing is due by the system clock, nothing late.
  ShellRun cli =
      Sh("'" + kBin + "/vigil' referral recheck --db '" + db_path_ + "' --allow-loopback 2>&1");
  EXPECT_EQ(cli.status, 0) << cli.out;
  EXPECT_NE(cli.out.find("\"checked\":0"), std::string::npos) << cli.out;
  ShellRun od = Sh("'" + kBin + "/vigil' referral overdue --db '" + db_path_ + "' 2>&1");
  EXPECT_EQ(od.status, 0) << od.out;
  EXPECT_NE(od.out.find("0 order(s) newly flagged"), std::string::npos) << od.out;

  // 10. `vigil serve`'s maintenance loop: restarted with rounds every 20 ms, it expires the
  //     evidence (retention one hour; the clock is two hours on) and audits each.
  ServiceOptions so = Options(hook_p, mail_p, pull_p);
  so.referrals.maintenance_interval_ms = 20;
  StartServer(std::move(so));
  const fs::path kept = work_ / "evidence";
  ASSERT_FALSE(fs::is_empty(kept));
  for (int i = 0; i < 500 && !fs::is_empty(kept); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(fs::is_empty(kept));
  StopServer();
  {
    auto st = store::OpenStore(db_path_);
    ASSERT_TRUE(st.ok());
    int sealed = 0, expired = 0;
    ASSERT_TRUE((*st)
                    ->ForEachAudit(0,
                                   [&](const store::AuditEntry& e) {
                                     sealed += e.action == "evidence.seal";
                                     expired += e.action == "evidence.expire";
                                     return true;
                                   })
                    .ok());
    EXPECT_GT(sealed, 3);
    EXPECT_EQ(expired, sealed);
    EXPECT_TRUE((*st)->VerifyAudit()->ok);
  }

  const double total_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  std::printf(
      "[ figures ] e2e: %zu scanned posts matched, %zu URLs referred to 3 platforms; re-check "
      "round of %zu URLs over loopback: %.1f ms; whole chain: %.1f s\n",
      matched.size(), n_urls, n_urls, recheck_ms, total_s);
}

}  // namespace
}  // namespace vigil::server::testing
