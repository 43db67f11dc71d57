// Scale-out end to end: a 3-node JetStream cluster (streams with 3 replicas), a throwaway
// PostgreSQL and `vigil worker` processes, all on loopback. Each case processes a generated
// backlog of benign noise images (every 10th one in a bank) and then checks the store: every
// work key done exactly once, one item per key, exactly the expected matches, none twice.
// The fault cases kill -9 a worker mid-batch, kill the stream's leader node, and restart
// PostgreSQL while work is in flight; nothing is done by hand to recover.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "media/encode.h"
#include "pipeline/media_hasher.h"
#include "store/sql.h"
#include "store/store.h"
#include "worker/jetstream.h"
#include "worker/test_cluster.h"
#include "worker/work_item.h"

namespace vigil::worker {
namespace {

using namespace std::chrono_literals;
using testing::NatsCluster;
using testing::PgServer;

constexpr int kImageSide = 64;
constexpr int kMatchEvery = 10;  // every 10th image's PDQ is in the bank
constexpr auto kCaseTimeout = 40s;

std::string ImagePng(int seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed) * 2654435761u + 1);
  std::vector<uint8_t> px(kImageSide * kImageSide * 3);
  // Blocky noise: PDQ of per-pixel noise is dominated by its low-pass, so use 8x8 blocks.
  for (int by = 0; by < kImageSide; by += 8) {
    for (int bx = 0; bx < kImageSide; bx += 8) {
      uint8_t v = static_cast<uint8_t>(rng());
      for (int y = by; y < by + 8; ++y) {
        for (int x = bx; x < bx + 8; ++x) {
          for (int c = 0; c < 3; ++c) px[(y * kImageSide + x) * 3 + c] = v;
        }
      }
    }
  }
  auto png = media::EncodePng(px, kImageSide, kImageSide, 3);
  return png.ok() ? std::string(png->begin(), png->end()) : std::string();
}

std::string PdqOf(const std::string& png) {
  auto h = pipeline::HashImageBytes({reinterpret_cast<const uint8_t*>(png.data()), png.size()}, {});
  return h.ok() ? h->pdq.hash.ToHex() : std::string();
}

class ScaleOut : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (testing::NatsServerBinary().empty() || testing::PostgresBinDir().empty()) return;
    auto c = NatsCluster::Start(3);
    if (!c.ok()) {
      setup_error_ = c.status().ToString();
      return;
    }
    cluster_ = std::move(c).value();
    auto p = PgServer::Start();
    if (!p.ok()) {
      setup_error_ = p.status().ToString();
      return;
    }
    pg_ = std::move(p).value();
  }
  static void TearDownTestSuite() {
    cluster_.reset();
    pg_.reset();
    ShutdownNats();
  }

  void SetUp() override {
    if (testing::NatsServerBinary().empty()) {
      GTEST_SKIP() << "nats-server is not installed (scripts/install-deps.sh installs it)";
    }
    if (testing::PostgresBinDir().empty()) {
      GTEST_SKIP() << "PostgreSQL 15 is not installed (scripts/install-deps.sh installs it)";
    }
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
    name_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name_) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    names_.work_stream = name_ + "_WORK";
    names_.bank_stream = name_ + "_BANKS";
    dir_ = std::filesystem::temp_directory_path() /
           ("vigil-worker-" + std::to_string(getpid()) + "-" + name_);
    std::filesystem::create_directories(dir_);
    std::string dbname = "w" + std::to_string(getpid()) + "_" + name_;
    for (char& c : dbname) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto db = pg_->CreateDatabase(dbname);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = *db;
    auto st = store::OpenStore(db_);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    store_ = std::move(st).value();
    store::Bank b;
    b.name = "generated";
    auto bank = store_->CreateBank("test", b);
    ASSERT_TRUE(bank.ok()) << bank.status().ToString();
    bank_id_ = bank->id;
    // The cluster must have elected its JetStream leaders before streams can be made.
    auto deadline = std::chrono::steady_clock::now() + 20s;
    Status s;
    do {
      auto js = JetStream::Connect(cluster_->urls(), "test");
      if (js.ok()) {
        js_ = std::move(js).value();
        s = js_->EnsureWorkQueue(names_, StreamOptions());
        if (s.ok()) s = js_->EnsureBankStream(names_, StreamOptions());
        if (s.ok()) break;
      } else {
        s = js.status();
      }
      std::this_thread::sleep_for(250ms);
    } while (std::chrono::steady_clock::now() < deadline);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  void TearDown() override {
    for (pid_t p : workers_) testing::StopProcess(p);
    if (HasFailure()) {
      for (size_t i = 0; i < workers_.size(); ++i) {
        std::string log = WorkerLog(static_cast<int>(i));
        std::string text = testing::ReadFile(log);
        if (text.size() > 4000) text = text.substr(text.size() - 4000);
        ADD_FAILURE() << "worker " << i << " log tail:\n" << text;
      }
    }
    js_.reset();
    store_.reset();
    if (std::getenv("VIGIL_KEEP_TEST_DIRS") == nullptr) std::filesystem::remove_all(dir_);
  }

  static StreamSetup StreamOptions() {
    StreamSetup s;
    s.replicas = 3;
    s.ack_wait = 2s;  // a killed worker's batch comes back quickly
    s.max_deliver = 3;
    return s;
  }

  std::string WorkerLog(int i) const {
    return (dir_ / ("worker" + std::to_string(i) + ".log")).string();
  }

  // Generates n images; every kMatchEvery-th PDQ goes into the bank (in two versions when
  // split: the first half now, the second later). Returns the keys.
  void Generate(int n) {
    images_.clear();
    for (int i = 0; i < n; ++i) images_.push_back(ImagePng(i + 1000 * bank_id_));
  }

  Status AddBankSignals(int from, int to) {
    std::vector<store::SignalInput> in;
    for (int i = from; i < to; ++i) {
      if (i % kMatchEvery != 0) continue;
      in.push_back({store::SignalType::kPdq, PdqOf(images_[i]), 100, {"test:generated"}, ""});
    }
    VIGIL_ASSIGN_OR_RETURN(store::ChangeResult r, store_->AddSignals("test", bank_id_, in, 0));
    bank_version_ = r.version;
    return js_->Publish(BankSubject(names_.bank_stream, bank_id_), std::to_string(r.version), "");
  }

  std::string Key(int i) const { return "gen:" + name_ + ":" + std::to_string(i); }

  Status Enqueue() {
    for (size_t i = 0; i < images_.size(); ++i) {
      WorkItem w;
      w.key = Key(static_cast<int>(i));
      w.source = "test";
      w.media.push_back({"image", "generated:" + std::to_string(i), "", images_[i]});
      VIGIL_RETURN_IF_ERROR(js_->PublishAsync(names_.work_subject(), EncodeWorkItem(w), w.key));
    }
    VIGIL_ASSIGN_OR_RETURN(int64_t rejected, js_->PublishFlush(10s));
    if (rejected != 0) return Status::Internal(std::to_string(rejected) + " rejected");
    return Status::OK();
  }

  void StartWorkers(int n) {
    for (int i = 0; i < n; ++i) {
      workers_.push_back(testing::SpawnProcess(VIGIL_WORKER_RUNNER,
                                               {"--nats",
                                                cluster_->urls(),
                                                "--db",
                                                db_,
                                                "--name",
                                                "w" + std::to_string(i),
                                                "--stream",
                                                names_.work_stream,
                                                "--banks-stream",
                                                names_.bank_stream,
                                                "--replicas",
                                                "3",
                                                "--ack-wait",
                                                "2",
                                                "--max-deliver",
                                                "3",
                                                "--retry-delay",
                                                "0.2",
                                                "--batch",
                                                "16",
                                                "--metrics-interval",
                                                "0.2"},
                                               WorkerLog(i)));
    }
  }

  // Waits until every worker's log shows the bank at `version`.
  bool WaitForBankVersion(int64_t version) {
    const std::string needle = "banks " + std::to_string(bank_id_) + ":" + std::to_string(version);
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      bool all = true;
      for (size_t i = 0; i < workers_.size(); ++i) {
        if (testing::ReadFile(WorkerLog(static_cast<int>(i))).find(needle) == std::string::npos) {
          all = false;
        }
      }
      if (all) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  // COUNT(*) of a query on the test database, -1 if it is unreachable.
  int64_t Count(const std::string& sql) {
    auto conn = store::sql::OpenPostgres(db_, 2);
    if (!conn.ok()) return -1;
    auto rows = (*conn)->Query(sql, {});
    if (!rows.ok()) return -1;
    auto more = (*rows)->Next();
    if (!more.ok() || !*more) return -1;
    return (*rows)->Int(0);
  }

  bool WaitForDone(int64_t n, std::chrono::seconds timeout = kCaseTimeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (Count("SELECT COUNT(*) FROM work_ledger") >= n) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  void ExpectExactlyOnce() {
    const int64_t n = static_cast<int64_t>(images_.size());
    int64_t expected_matches = (n + kMatchEvery - 1) / kMatchEvery;
    EXPECT_EQ(Count("SELECT COUNT(*) FROM work_ledger"), n);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM items"), n);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM media"), n);
    EXPECT_EQ(Count("SELECT COUNT(DISTINCT item_id) FROM work_ledger"), n);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM matches"), expected_matches);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM (SELECT item_id FROM matches GROUP BY item_id "
                    "HAVING COUNT(*) > 1) d"),
              0);
    EXPECT_EQ(Count("SELECT SUM(matches) FROM work_ledger"), expected_matches);
    // Every matched key is one whose image is in the bank.
    for (int i = 0; i < n; i += kMatchEvery) {
      auto rec = store_->GetWork(Key(i));
      ASSERT_TRUE(rec.ok()) << Key(i) << ": " << rec.status().ToString();
      EXPECT_EQ(rec->matches, 1) << Key(i);
    }
    auto audit = store_->VerifyAudit();
    ASSERT_TRUE(audit.ok());
    EXPECT_TRUE(audit->ok) << audit->problem;
  }

  // Waits until some but not all work is done, so a fault lands mid-backlog.
  void WaitForSomeDone(int64_t at_least) {
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline &&
           Count("SELECT COUNT(*) FROM work_ledger") < at_least) {
      std::this_thread::sleep_for(20ms);
    }
  }

  static inline std::unique_ptr<NatsCluster> cluster_;
  static inline std::unique_ptr<PgServer> pg_;
  static inline std::string setup_error_;

  std::string name_;
  QueueNames names_;
  std::filesystem::path dir_;
  std::string db_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<JetStream> js_;
  int64_t bank_id_ = 0;
  int64_t bank_version_ = 0;
  std::vector<std::string> images_;
  std::vector<pid_t> workers_;
};

// Two workers, a bank that changes while they run (followed through the bank stream), and
// three poison messages (two undecodable images, one malformed item) that end as dead letters.
TEST_F(ScaleOut, TwoWorkersProcessBacklogAndFollowBankChanges) {
  Generate(300);
  ASSERT_TRUE(AddBankSignals(0, 150).ok());
  StartWorkers(2);
  ASSERT_TRUE(WaitForBankVersion(bank_version_)) << "workers never reported the bank";
  ASSERT_TRUE(AddBankSignals(150, 300).ok());
  const int64_t v2 = bank_version_;
  ASSERT_TRUE(WaitForBankVersion(v2)) << "workers did not follow the bank change";

  ASSERT_TRUE(Enqueue().ok());
  for (int i = 0; i < 2; ++i) {
    WorkItem w;
    w.key = "poison:" + std::to_string(i);
    w.media.push_back({"image", "", "", "this is not an image"});
    ASSERT_TRUE(js_->Publish(names_.work_subject(), EncodeWorkItem(w), w.key).ok());
  }
  ASSERT_TRUE(js_->Publish(names_.work_subject(), "{not json", "poison:2").ok());
  ASSERT_TRUE(WaitForDone(300));
  ExpectExactlyOnce();
  const int64_t n = 300;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM matches WHERE bank_version = " + std::to_string(v2)),
            n / kMatchEvery);
  // Poison: 3 attempts each, then the dead letters; never in the ledger.
  auto deadline = std::chrono::steady_clock::now() + 15s;
  QueueStats st;
  while (std::chrono::steady_clock::now() < deadline) {
    auto s = js_->Stats(names_);
    if (s.ok()) st = *s;
    if (st.dead >= 3 && st.pending == 0 && st.ack_pending == 0) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(st.dead, 3u);
  EXPECT_EQ(st.pending, 0u);
  EXPECT_EQ(st.stream_messages, 0u);  // work-queue: acked work leaves the stream
  EXPECT_EQ(store_->GetWork("poison:0").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM items"), n);
}

TEST_F(ScaleOut, KillWorkerMidBatch) {
  Generate(200);
  ASSERT_TRUE(AddBankSignals(0, 200).ok());
  StartWorkers(2);
  ASSERT_TRUE(Enqueue().ok());
  WaitForSomeDone(40);
  kill(workers_[0], SIGKILL);  // holding an unacked batch: redelivered after the ack wait
  waitpid(workers_[0], nullptr, 0);
  workers_[0] = -1;
  ASSERT_TRUE(WaitForDone(200)) << Count("SELECT COUNT(*) FROM work_ledger") << " done";
  ExpectExactlyOnce();
}

TEST_F(ScaleOut, KillStreamLeaderNode) {
  Generate(200);
  ASSERT_TRUE(AddBankSignals(0, 200).ok());
  StartWorkers(2);
  ASSERT_TRUE(Enqueue().ok());
  WaitForSomeDone(40);
  auto st = js_->Stats(names_);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  int leader = cluster_->IndexOf(st->leader);
  ASSERT_GE(leader, 0) << "leader '" << st->leader << "'";
  cluster_->Kill(leader);
  EXPECT_TRUE(WaitForDone(200)) << Count("SELECT COUNT(*) FROM work_ledger") << " done";
  ASSERT_TRUE(cluster_->Restart(leader).ok());  // heal for the next case
  ExpectExactlyOnce();
}

TEST_F(ScaleOut, RestartPostgres) {
  Generate(200);
  ASSERT_TRUE(AddBankSignals(0, 200).ok());
  StartWorkers(2);
  ASSERT_TRUE(Enqueue().ok());
  WaitForSomeDone(40);
  ASSERT_TRUE(pg_->Stop().ok());
  std::this_thread::sleep_for(1500ms);
  ASSERT_TRUE(pg_->Resume().ok());
  EXPECT_TRUE(WaitForDone(200)) << Count("SELECT COUNT(*) FROM work_ledger") << " done";
  store_.reset();  // its connection died with the server
  auto s = store::OpenStore(db_);
  ASSERT_TRUE(s.ok());
  store_ = std::move(s).value();
  ExpectExactlyOnce();
}

}  // namespace
}  // namespace vigil::worker
