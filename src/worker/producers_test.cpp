// The producers of the scale-out queue, end to end on loopback with one JetStream node and
// a throwaway PostgreSQL: `vigil scan --nats` (items stored by scan, media hashed by a
// worker, exactly once), `vigil serve --nats` (202 + poll, bank changes reaching a running
// worker, queue and worker lines on /metrics) and work items that name a URL (fetched by
// the worker from a loopback HTTP server; a failing URL ends in the dead letters).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "media/encode.h"
#include "pipeline/media_hasher.h"
#include "store/sql.h"
#include "store/store.h"
#include "worker/publisher.h"
#include "worker/test_cluster.h"
#include "worker/work_item.h"

namespace vigil::worker {
namespace {

using namespace std::chrono_literals;
using testing::NatsCluster;
using testing::PgServer;

constexpr auto kWait = 30s;

std::string NoisePng(int seed) {
  constexpr int kSide = 64;
  std::mt19937 rng(static_cast<uint32_t>(seed) * 2654435761u + 7);
  std::vector<uint8_t> px(kSide * kSide * 3);
  for (int by = 0; by < kSide; by += 8) {
    for (int bx = 0; bx < kSide; bx += 8) {
      uint8_t v = static_cast<uint8_t>(rng());
      for (int y = by; y < by + 8; ++y) {
        for (int x = bx; x < bx + 8; ++x) {
          for (int c = 0; c < 3; ++c) px[(y * kSide + x) * 3 + c] = v;
        }
      }
    }
  }
  auto png = media::EncodePng(px, kSide, kSide, 3);
  return png.ok() ? std::string(png->begin(), png->end()) : std::string();
}

std::string PdqOf(const std::string& png) {
  auto h = pipeline::HashImageBytes({reinterpret_cast<const uint8_t*>(png.data()), png.size()}, {});
  return h.ok() ? h->pdq.hash.ToHex() : std::string();
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

struct HttpAnswer {
  int status = 0;
  std::string body;
};

// One HTTP/1.1 request on loopback with Connection: close; status 0 if it failed.
HttpAnswer Http(int port, const std::string& method, const std::string& target,
                const std::string& token, const std::string& body = "",
                const std::string& type = "application/json") {
  HttpAnswer out;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return out;
  }
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
  if (!body.empty() || method == "POST") {
    req += "Content-Type: " + type + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  for (size_t sent = 0; sent < req.size();) {
    ssize_t n = send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string resp;
  char buf[8192];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) resp.append(buf, static_cast<size_t>(n));
  close(fd);
  size_t sp = resp.find(' ');
  size_t head_end = resp.find("\r\n\r\n");
  if (sp == std::string::npos || head_end == std::string::npos) return out;
  out.status = std::atoi(resp.c_str() + sp + 1);
  out.body = resp.substr(head_end + 4);
  // The server may answer chunked; the tests only search the body, so strip chunk sizes.
  if (resp.substr(0, head_end).find("chunked") != std::string::npos) {
    std::string plain;
    size_t at = 0;
    while (at < out.body.size()) {
      size_t eol = out.body.find("\r\n", at);
      if (eol == std::string::npos) break;
      size_t n = std::strtoul(out.body.c_str() + at, nullptr, 16);
      if (n == 0) break;
      plain += out.body.substr(eol + 2, n);
      at = eol + 2 + n + 2;
    }
    out.body = plain;
  }
  return out;
}

// Serves fixed bytes at /ok.png and 404 elsewhere, on loopback, until destroyed.
class MediaServer {
 public:
  explicit MediaServer(std::string bytes) : bytes_(std::move(bytes)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    listen(fd_, 16);
    thread_ = std::thread([this] { Loop(); });
  }
  ~MediaServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  int port() const { return port_; }
  int hits() const { return hits_.load(); }

 private:
  void Loop() {
    while (!stop_) {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      ++hits_;
      bool ok = req.rfind("GET /ok.png ", 0) == 0;
      std::string body = ok ? bytes_ : "not here";
      std::string resp = std::string(ok ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.1 404 Not Found\r\n") +
                         "Content-Type: " + (ok ? "image/png" : "text/plain") +
                         "\r\nContent-Length: " + std::to_string(body.size()) +
                         "\r\nConnection: close\r\n\r\n" + body;
      send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
      close(c);
    }
  }
  std::string bytes_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> hits_{0};
  std::thread thread_;
};

class Producers : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (testing::NatsServerBinary().empty() || testing::PostgresBinDir().empty()) return;
    auto c = NatsCluster::Start(1);
    if (!c.ok()) {
      setup_error_ = c.status().ToString();
      return;
    }
    nats_ = std::move(c).value();
    auto p = PgServer::Start();
    if (!p.ok()) {
      setup_error_ = p.status().ToString();
      return;
    }
    pg_ = std::move(p).value();
  }
  static void TearDownTestSuite() {
    nats_.reset();
    pg_.reset();
    ShutdownNats();
  }

  void SetUp() override {
    if (testing::NatsServerBinary().empty() || testing::PostgresBinDir().empty()) {
      GTEST_SKIP() << "nats-server or PostgreSQL 15 is not installed";
    }
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
    name_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name_) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    names_.work_stream = "P" + name_ + "_WORK";
    names_.bank_stream = "P" + name_ + "_BANKS";
    dir_ = std::filesystem::temp_directory_path() /
           ("vigil-producers-" + std::to_string(getpid()) + "-" + name_);
    std::filesystem::create_directories(dir_);
    std::string dbname = "p" + std::to_string(getpid()) + "_" + name_;
    for (char& c : dbname) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto db = pg_->CreateDatabase(dbname);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = *db;
    auto st = store::OpenStore(db_);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    store_ = std::move(st).value();
    auto pub = WorkPublisher::Connect(nats_->urls(), "test", names_, {});
    ASSERT_TRUE(pub.ok()) << pub.status().ToString();
    pub_ = std::move(pub).value();
  }

  void TearDown() override {
    for (auto& [pid, log] : procs_) testing::StopProcess(pid);
    if (HasFailure()) {
      for (auto& [pid, log] : procs_) {
        std::string text = testing::ReadFile(log);
        if (text.size() > 3000) text = text.substr(text.size() - 3000);
        ADD_FAILURE() << log << ":\n" << text;
      }
    }
    pub_.reset();
    store_.reset();
    if (std::getenv("VIGIL_KEEP_TEST_DIRS") == nullptr) std::filesystem::remove_all(dir_);
  }

  std::string Log(const std::string& what) const { return (dir_ / (what + ".log")).string(); }

  void StartWorker(const std::string& name, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--nats",
                                  nats_->urls(),
                                  "--db",
                                  db_,
                                  "--name",
                                  name,
                                  "--stream",
                                  names_.work_stream,
                                  "--banks-stream",
                                  names_.bank_stream,
                                  "--retry-delay",
                                  "0.1",
                                  "--metrics-interval",
                                  "0.5",
                                  "--report-interval",
                                  "0.3"};
    args.insert(args.end(), extra.begin(), extra.end());
    procs_.emplace_back(testing::SpawnProcess(VIGIL_WORKER_RUNNER, args, Log(name)), Log(name));
  }

  int64_t Count(const std::string& sql) {
    auto conn = store::sql::OpenPostgres(db_, 2);
    if (!conn.ok()) return -1;
    auto rows = (*conn)->Query(sql, {});
    if (!rows.ok()) return -1;
    auto more = (*rows)->Next();
    if (!more.ok() || !*more) return -1;
    return (*rows)->Int(0);
  }

  bool WaitFor(const std::function<bool()>& done, std::chrono::seconds timeout = kWait) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(100ms);
    }
    return done();
  }

  // The worker's reported bank versions ("bank:version,..."), empty if none yet.
  std::string ReportedBanks(const std::string& worker) {
    auto reports = store_->ListWorkerReports();
    if (!reports.ok()) return "";
    for (const auto& r : *reports) {
      if (r.name == worker) return r.bank_versions;
    }
    return "";
  }

  static inline std::unique_ptr<NatsCluster> nats_;
  static inline std::unique_ptr<PgServer> pg_;
  static inline std::string setup_error_;
  std::string name_;
  QueueNames names_;
  std::filesystem::path dir_;
  std::string db_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<WorkPublisher> pub_;
  std::vector<std::pair<pid_t, std::string>> procs_;
};

// scan --nats stores the items, publishes one work item per item with media, and a worker
// adds the media (hashed, matched) to those items: exactly once, even when the same folder
// is scanned again while the first work is still queued.
TEST_F(Producers, ScanPublishesWorkItemsProcessedOnce) {
  constexpr int kImages = 12;
  const auto media = dir_ / "media";
  std::filesystem::create_directories(media);
  std::vector<store::SignalInput> bank;
  for (int i = 0; i < kImages; ++i) {
    std::string png = NoisePng(100 + i);
    std::ofstream(media / ("img" + std::to_string(i) + ".png"), std::ios::binary) << png;
    if (i % 3 == 0) bank.push_back({store::SignalType::kPdq, PdqOf(png), 100, {}, ""});
  }
  store::Bank b;
  b.name = "scan-bank";
  auto created = store_->CreateBank("test", b);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  ASSERT_TRUE(store_->AddSignals("test", created->id, bank, 0).ok());

  const std::vector<std::string> scan{"scan",
                                      "--db",
                                      db_,
                                      "--nats",
                                      nats_->urls(),
                                      "--stream",
                                      names_.work_stream,
                                      "--banks-stream",
                                      names_.bank_stream,
                                      "folder:" + media.string()};
  // Twice before any worker runs: the second publishes the same keys again.
  ASSERT_EQ(testing::RunVigil(scan, Log("scan1")), 0) << testing::ReadFile(Log("scan1"));
  EXPECT_NE(testing::ReadFile(Log("scan1")).find("published        12 work items"),
            std::string::npos)
      << testing::ReadFile(Log("scan1"));
  ASSERT_EQ(testing::RunVigil(scan, Log("scan2")), 0) << testing::ReadFile(Log("scan2"));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM items"), kImages);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM media"), 0);  // not hashed by scan

  StartWorker("w1");
  ASSERT_TRUE(WaitFor([&] { return Count("SELECT COUNT(*) FROM work_ledger") == kImages; }));
  // --wait (a second folder, published while the worker runs): returns once the queue has
  // drained, with what the workers recorded for its items.
  const auto more = dir_ / "more";
  std::filesystem::create_directories(more);
  for (int i = 0; i < 3; ++i) {
    std::string png = NoisePng(200 + i);
    std::ofstream(more / ("more" + std::to_string(i) + ".png"), std::ios::binary) << png;
    if (i == 0) {
      std::vector<store::SignalInput> one{{store::SignalType::kPdq, PdqOf(png), 100, {}, ""}};
      ASSERT_TRUE(store_->AddSignals("test", created->id, one, 0).ok());
    }
  }
  ASSERT_TRUE(pub_->PublishBankVersion(created->id, store_->GetBank(created->id)->version).ok());
  ASSERT_TRUE(WaitFor([&] {
    auto r = store_->ListWorkerReports();
    return r.ok() && !r->empty() &&
           (*r)[0].bank_versions == std::to_string(created->id) + ":" +
                                        std::to_string(store_->GetBank(created->id)->version);
  }));
  std::vector<std::string> wait = scan;
  wait.back() = "folder:" + more.string();
  wait.insert(wait.end(), {"--wait", "--wait-timeout", "30"});
  ASSERT_EQ(testing::RunVigil(wait, Log("scan3")), 0) << testing::ReadFile(Log("scan3"));
  const std::string out3 = testing::ReadFile(Log("scan3"));
  EXPECT_NE(out3.find("published        3 work items"), std::string::npos) << out3;
  EXPECT_NE(out3.find("processed        3 of 3 work items"), std::string::npos) << out3;
  EXPECT_NE(out3.find("matches          1 in 1 items"), std::string::npos) << out3;

  constexpr int kAll = kImages + 3;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM work_ledger"), kAll);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM items"), kAll);  // the scan's items, no new ones
  EXPECT_EQ(Count("SELECT COUNT(*) FROM media"), kAll);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM matches"), kImages / 3 + 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM work_ledger w JOIN items i ON i.id = w.item_id "
                  "WHERE i.source_key IS NOT NULL"),
            kAll);
  // Everything done: a rescan publishes nothing.
  ASSERT_EQ(testing::RunVigil(scan, Log("scan4")), 0);
  EXPECT_NE(testing::ReadFile(Log("scan4")).find("published        0 work items"),
            std::string::npos)
      << testing::ReadFile(Log("scan4"));
}

// A work item naming a URL: the worker fetches it (loopback allowed by its flag) and hashes
// it; a URL that answers 404 is retried and then dead-lettered with the reason. Without the
// flag, the safe fetcher refuses loopback.
TEST_F(Producers, UrlWorkItemIsFetchedAndHashed) {
  const std::string png = NoisePng(7);
  MediaServer server(png);
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  WorkItem ok;
  ok.key = "url:ok";
  ok.media.push_back({});
  ok.media[0].fetch = base + "/ok.png";
  WorkItem missing;
  missing.key = "url:missing";
  missing.media.push_back({});
  missing.media[0].fetch = base + "/missing.png";
  ASSERT_TRUE(pub_->Publish(ok).ok());
  ASSERT_TRUE(pub_->Publish(missing).ok());
  StartWorker("w1", {"--allow-loopback-fetch", "1", "--max-deliver", "2"});
  ASSERT_TRUE(WaitFor([&] {
    auto st = pub_->Stats();
    return Count("SELECT COUNT(*) FROM work_ledger") == 1 && st.ok() && st->dead == 1;
  })) << Count("SELECT COUNT(*) FROM work_ledger")
      << " done";
  auto w = store_->GetWork("url:ok");
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  auto item = store_->GetItem(w->item_id);
  ASSERT_TRUE(item.ok());
  ASSERT_EQ(item->media.size(), 1u);
  EXPECT_EQ(item->media[0].uri, base + "/ok.png");
  bool has_pdq = false;
  for (const auto& s : item->media[0].signals) {
    if (s.type == store::SignalType::kPdq) has_pdq = s.value == PdqOf(png);
  }
  EXPECT_TRUE(has_pdq);
  EXPECT_NE(testing::ReadFile(Log("w1")).find("HTTP status 404"), std::string::npos);
}

// serve --nats: an upload to POST /api/v1/work answers 202 and is polled until a worker has
// done it; a bank change through the API reaches the running worker (its index version
// moves) and the queue and the worker show on /metrics and GET /api/v1/queue.
TEST_F(Producers, ServeQueuesUploadsAndAnnouncesBankChanges) {
  ASSERT_EQ(
      testing::RunVigil({"token", "create", "--db", db_, "--org", "default", "--role", "admin"},
                        Log("token")),
      0);
  std::string token = testing::ReadFile(Log("token"));
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  token = token.substr(token.rfind('\n') == std::string::npos ? 0 : token.rfind('\n') + 1);
  const int port = FreePort();
  procs_.emplace_back(
      testing::SpawnVigil({"serve", "--db", db_, "--listen", "127.0.0.1:" + std::to_string(port),
                           "--console", "none", "--nats", nats_->urls(), "--stream",
                           names_.work_stream, "--banks-stream", names_.bank_stream},
                          Log("serve")),
      Log("serve"));
  StartWorker("w1");
  ASSERT_TRUE(WaitFor([&] { return Http(port, "GET", "/healthz", "").status == 200; }));
  ASSERT_TRUE(WaitFor([&] { return !ReportedBanks("w1").empty(); }));

  // A bank made and filled through the API: the worker's index follows.
  const std::string png = NoisePng(42);
  auto made = Http(port, "POST", "/api/v1/banks", token, R"({"name":"api-bank"})");
  ASSERT_EQ(made.status, 201) << made.body;
  auto added = Http(port, "POST", "/api/v1/banks/api-bank/signals", token,
                    R"({"signals":[{"type":"pdq","value":")" + PdqOf(png) + R"("}]})");
  ASSERT_EQ(added.status, 200) << added.body;
  auto bank = store_->FindBank("api-bank");
  ASSERT_TRUE(bank.ok());
  const std::string applied = std::to_string(bank->id) + ":" + std::to_string(bank->version);
  EXPECT_TRUE(WaitFor([&] { return ReportedBanks("w1").find(applied) != std::string::npos; }, 15s))
      << "worker reports " << ReportedBanks("w1") << ", want " << applied;

  // 202, then pending or done, then done with the match.
  auto queued =
      Http(port, "POST", "/api/v1/work?url=https://example.org/p/1", token, png, "image/png");
  ASSERT_EQ(queued.status, 202) << queued.body;
  const std::string marker = R"("work_key":")";
  size_t at = queued.body.find(marker);
  ASSERT_NE(at, std::string::npos) << queued.body;
  const std::string key = queued.body.substr(
      at + marker.size(), queued.body.find('"', at + marker.size()) - at - marker.size());
  HttpAnswer polled;
  EXPECT_TRUE(WaitFor([&] {
    polled = Http(port, "GET", "/api/v1/work/" + key, token);
    return polled.body.find(R"("status":"done")") != std::string::npos;
  })) << polled.status
      << " " << polled.body;
  EXPECT_NE(polled.body.find(R"("bank":"api-bank")"), std::string::npos) << polled.body;
  // Another organisation's key (or a made-up one) is not found.
  EXPECT_EQ(Http(port, "GET", "/api/v1/work/api-999-abc", token).status, 404);

  // The queue on /metrics and in the API.
  std::string metrics;
  EXPECT_TRUE(WaitFor([&] {
    metrics = Http(port, "GET", "/metrics", "").body;
    return metrics.find("vigil_worker_processed_total{worker=\"w1\"} 1") != std::string::npos;
  })) << metrics;
  for (const char* line :
       {"vigil_queue_depth 0", "vigil_queue_in_flight 0", "vigil_queue_dead_letters 0",
        "vigil_worker_rate{worker=\"w1\"} ", "vigil_worker_bank_version{worker=\"w1\",bank=\""}) {
    EXPECT_NE(metrics.find(line), std::string::npos) << line << "\n" << metrics;
  }
  auto q = Http(port, "GET", "/api/v1/queue", token);
  EXPECT_EQ(q.status, 200);
  EXPECT_NE(q.body.find(R"("name":"w1")"), std::string::npos) << q.body;
  EXPECT_NE(q.body.find(R"("depth":0)"), std::string::npos) << q.body;
}

}  // namespace
}  // namespace vigil::worker
