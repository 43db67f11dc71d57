// MaintenanceLoop: a round flags overdue orders, re-checks due URLs in batches until a
// referral is verified removed, expires evidence through its callback; a failing step is
// reported and the others still run; the background thread runs rounds and stops; a
// round in progress makes RunRechecks answer Unavailable instead of overlapping.
#include "workflow/maintenance.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <thread>

#include "workflow/repository.h"

namespace vigil::workflow {
namespace {

class MapProber : public UrlProber {
 public:
  Result<ProbeResult> Probe(std::string_view, std::string_view url) override {
    ++calls;
    if (gate) {
      entered = true;
      while (gate.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::lock_guard lock(mu);
    auto it = status.find(std::string(url));
    if (it == status.end()) return Status::Unavailable("connection refused");
    ProbeResult p;
    p.http_status = it->second;
    return p;
  }
  std::mutex mu;
  std::map<std::string, int> status;
  std::atomic<int> calls{0};
  std::atomic<bool> gate{false}, entered{false};
};

class MaintenanceTest : public ::testing::Test {
 protected:
  MaintenanceTest() : service_(&repo_, &audit_, &clock_, nullptr) {}

  // A delivered referral to `platform` with `n` URLs; returns its id.
  int64_t Delivered(const std::string& platform, int n, bool order = false) {
    ReferRequest req;
    req.actor = "user:test";
    req.org = "org-a";
    req.route = order ? LegalRoute::kTcoRemovalOrder : LegalRoute::kVoluntary;
    if (order) {
      OrderTemplate t;
      t.issuing_authority = "Test Authority";
      t.grounds = {TcoGround::kIncites};
      t.reasons = "synthetic reasons";
      t.emergency = true;
      req.order = t;
    }
    for (int i = 0; i < n; ++i) {
      ConfirmedItem c;
      c.url = "https://" + platform + ".example/p/" + std::to_string(i);
      c.platform_id = platform;
      req.items.push_back(c);
    }
    auto out = service_.Refer(req);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    int64_t id = out->created.at(0);
    DeliveryReceipt rc;
    rc.channel = "manual";
    EXPECT_TRUE(service_.RecordDelivery("user:test", id, rc).ok());
    return id;
  }

  FakeClock clock_;
  MemoryReferralRepository repo_;
  MemoryAuditSink audit_;
  ReferralService service_;
  MapProber prober_;
};

TEST_F(MaintenanceTest, RoundFlagsOverdueRechecksInBatchesAndExpiresEvidence) {
  const int64_t order = Delivered("orderhost", 1, /*order=*/true);
  const int64_t many = Delivered("bighost", 40);  // more than one batch
  for (int i = 0; i < 40; ++i) {
    prober_.status["https://bighost.example/p/" + std::to_string(i)] = 404;
  }
  prober_.status["https://orderhost.example/p/0"] = 200;
  int expired_calls = 0;
  MaintenanceOptions o;
  o.interval_ms = 0;
  o.expire_evidence = [&]() -> Result<int> { return ++expired_calls; };
  std::vector<std::string> logged;
  o.log = [&](const std::string& l) { logged.push_back(l); };
  MaintenanceLoop loop(&service_, &prober_, o);

  // Nothing due yet, the order not yet late.
  MaintenanceReport r0 = loop.RunRound();
  EXPECT_TRUE(r0.ok()) << r0.Summary();
  EXPECT_TRUE(r0.overdue.empty());
  EXPECT_EQ(r0.recheck.checked, 0);
  EXPECT_EQ(r0.evidence_expired, 1);

  clock_.Advance(2 * kMsPerHour);
  MaintenanceReport r1 = loop.RunRound();
  EXPECT_TRUE(r1.ok()) << r1.Summary();
  EXPECT_EQ(r1.overdue, std::vector<int64_t>{order});
  EXPECT_EQ(r1.recheck.checked, 41);
  EXPECT_EQ(r1.recheck.gone, 40);
  EXPECT_EQ(r1.recheck.live, 1);
  EXPECT_EQ(r1.recheck.verified_removed, std::vector<int64_t>{many});
  EXPECT_EQ(service_.Get(many)->state, ReferralState::kRemoved);
  EXPECT_EQ(service_.Get(order)->state, ReferralState::kDelivered);
  EXPECT_EQ(expired_calls, 2);
  EXPECT_EQ(loop.rounds_completed(), 2);
  // The round's changes are audited by the service as usual.
  int overdue_events = 0, checks = 0;
  for (const auto& e : audit_.events()) {
    overdue_events += e.action == "order.overdue";
    checks += e.action == "referral.check";
  }
  EXPECT_EQ(overdue_events, 1);
  EXPECT_EQ(checks, 41);

  // A limit per round leaves the rest for later.
  MaintenanceOptions limited = o;
  limited.max_rechecks = 5;
  for (int i = 0; i < 20; ++i) {
    prober_.status["https://limited.example/p/" + std::to_string(i)] = 200;
  }
  Delivered("limited", 20);
  clock_.Advance(2 * kMsPerHour);
  MaintenanceLoop small(&service_, &prober_, limited);
  EXPECT_EQ(small.RunRound().recheck.checked, 5);
}

TEST_F(MaintenanceTest, AFailingStepIsReportedAndTheOthersStillRun) {
  Delivered("host", 2);
  prober_.status["https://host.example/p/0"] = 410;
  prober_.status["https://host.example/p/1"] = 410;
  clock_.Advance(2 * kMsPerHour);
  MaintenanceOptions o;
  o.interval_ms = 0;
  o.expire_evidence = []() -> Result<int> { return Status::IOError("disk gone"); };
  MaintenanceLoop loop(&service_, &prober_, o);
  MaintenanceReport r = loop.RunRound();
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("evidence"), std::string::npos);
  EXPECT_NE(r.Summary().find("disk gone"), std::string::npos);
  EXPECT_EQ(r.recheck.gone, 2);

  // No prober: the re-check step fails, the round goes on.
  MaintenanceLoop bare(&service_, nullptr, MaintenanceOptions{0});
  MaintenanceReport b = bare.RunRound();
  ASSERT_EQ(b.errors.size(), 1u);
  EXPECT_NE(b.errors[0].find("recheck"), std::string::npos);
}

TEST_F(MaintenanceTest, BackgroundThreadRunsRoundsAndStops) {
  Delivered("host", 1);
  prober_.status["https://host.example/p/0"] = 404;
  clock_.Advance(2 * kMsPerHour);
  MaintenanceOptions o;
  o.interval_ms = 5;
  o.log = [](const std::string&) {};
  MaintenanceLoop loop(&service_, &prober_, o);
  ASSERT_TRUE(loop.Start().ok());
  EXPECT_EQ(loop.Start().code(), StatusCode::kFailedPrecondition);
  for (int i = 0; i < 2000 && loop.rounds_completed() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  loop.Stop();
  EXPECT_GE(loop.rounds_completed(), 3);
  EXPECT_FALSE(loop.running());
  EXPECT_EQ(prober_.calls.load(), 1);  // gone once: never probed again
  const int64_t after = loop.rounds_completed();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(loop.rounds_completed(), after);
  loop.Stop();  // idempotent

  MaintenanceLoop disabled(&service_, &prober_, MaintenanceOptions{0});
  ASSERT_TRUE(disabled.Start().ok());
  EXPECT_FALSE(disabled.running());
}

TEST_F(MaintenanceTest, RoundsNeverOverlap) {
  Delivered("host", 1);
  prober_.status["https://host.example/p/0"] = 200;
  clock_.Advance(2 * kMsPerHour);
  MaintenanceLoop loop(&service_, &prober_, MaintenanceOptions{0});
  prober_.gate = true;
  std::thread round([&] { loop.RunRound(); });
  while (!prober_.entered.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  // A round is probing: a "re-check now" does not start a second one.
  auto now = loop.RunRechecks(0);
  EXPECT_EQ(now.status().code(), StatusCode::kUnavailable);
  prober_.gate = false;
  round.join();
  auto later = loop.RunRechecks(0);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->checked, 0);  // the round re-checked it; next look is later
  EXPECT_EQ(prober_.calls.load(), 1);
}

}  // namespace
}  // namespace vigil::workflow
