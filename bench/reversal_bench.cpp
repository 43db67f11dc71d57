// Reversal (issue 7 item 8): one bank signal referenced by N referrals on N platforms (half
// removed, half acknowledged) is reversed; how long the one transaction takes (bank mark,
// N referral moves, N notices, audit), and how long the Dispatcher then takes to push the N
// signed notices to a loopback webhook receiver. Baseline in the same run: N single
// Withdraw calls on a second set of N referrals (one state change + audit each).
// Usage: reversal_bench [--referrals N] [--db PATH-or-postgres-URI]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "delivery/dispatcher.h"
#include "delivery/test_servers.h"
#include "store/referral_store.h"

using namespace vigil;
using Clock = std::chrono::steady_clock;

namespace {

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

const std::string kSecret = "bench-webhook-secret-0123456";

}  // namespace

int main(int argc, char** argv) {
  int n = 1000;
  std::string db;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--referrals") && i + 1 < argc) n = std::atoi(argv[++i]);
    if (!std::strcmp(argv[i], "--db") && i + 1 < argc) db = argv[++i];
  }
  if (db.empty()) {
    db = (std::filesystem::temp_directory_path() / "vigil-reversal-bench.db").string();
    std::filesystem::remove(db);
    std::filesystem::remove(db + "-wal");
    std::filesystem::remove(db + "-shm");
  }
  auto store = store::OpenStore(db);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  auto repo = store::SqlReferralRepository::Create(store->get());
  workflow::SystemClock clock;
  workflow::ReferralService svc(repo->get(), repo->get(), &clock, nullptr);
  delivery::testing::TestWebhookServer hook(kSecret, 2);
  hook.set_record_bodies(false);
  delivery::DeliveryDirectory dir;

  const std::string sha(64, 'a'), other(64, 'b');
  store::Bank bank;
  bank.name = "bench-bank";
  auto made = (*store)->CreateBank("bench", bank);
  store::SignalInput in{store::SignalType::kSha256, sha, -1, {}, ""};
  (void)(*store)->AddSignals("bench", made->id, {&in, 1}, 0);

  // N referrals carrying the reversed hash and N others (the baseline), each on its own
  // platform (one notice per platform), delivered and acted on.
  auto refer = [&](const std::string& hash, int i, bool removed) {
    const std::string platform = "p" + std::to_string(i);
    (void)dir.Add({platform, delivery::Channel::kWebhook, hook.url(), "", kSecret, {}, "", ""});
    workflow::ReferRequest req;
    req.actor = "user:bench";
    req.org = "org-bench";
    workflow::ConfirmedItem c;
    c.url = "https://" + platform + ".example/" + hash.substr(0, 1) + "/" + std::to_string(i);
    c.platform_id = platform;
    c.sha256 = hash;
    c.reason = "synthetic benchmark item";
    req.items = {c};
    auto out = svc.Refer(req);
    const int64_t id = out->created.at(0);
    workflow::DeliveryReceipt rc;
    rc.channel = "webhook";
    (void)svc.RecordDelivery("system:bench", id, rc);
    workflow::Feedback f;
    f.referral_id = id;
    f.kind = removed ? workflow::FeedbackKind::kRemoved : workflow::FeedbackKind::kAcknowledged;
    (void)svc.ApplyFeedback("platform:" + platform, platform, f);
    return id;
  };
  auto t0 = Clock::now();
  std::vector<int64_t> baseline;
  for (int i = 0; i < n; ++i) refer(sha, i, i % 2 == 0);
  for (int i = 0; i < n; ++i) baseline.push_back(refer(other, n + i, false));
  auto t1 = Clock::now();

  workflow::ReversalRequest q;
  q.actor = "user:bench";
  q.reason = "complaint upheld (benchmark)";
  q.bank = "bench-bank";
  q.signal = {"sha256", sha};
  auto out = svc.Reverse(q);
  auto t2 = Clock::now();
  if (!out.ok()) {
    std::fprintf(stderr, "reverse: %s\n", out.status().ToString().c_str());
    return 1;
  }

  delivery::WebhookClient webhook;
  delivery::DispatchOptions opt;
  opt.batch = static_cast<size_t>(n);
  delivery::Dispatcher dispatcher(&svc, &dir, &webhook, nullptr, opt);
  auto sent = dispatcher.DeliverPendingReversals();
  auto t3 = Clock::now();

  for (int64_t id : baseline) (void)svc.Withdraw("user:bench", "org-bench", id, "baseline");
  auto t4 = Clock::now();

  std::printf("backend %s, %d referrals of the reversed hash (+%d baseline)\n",
              store::BackendFor(db) == store::Backend::kSqlite ? "sqlite" : "postgres", n, n);
  std::printf("setup (refer+deliver+feedback, %d referrals): %.3f s\n", 2 * n, Seconds(t0, t1));
  std::printf("reverse: %.3f s  (signals %zu, reinstated %zu, withdrawn %zu, notices %zu)\n",
              Seconds(t1, t2), out->signals.size(), out->reinstated.size(), out->withdrawn.size(),
              out->notices.size());
  std::printf(
      "deliver notices (signed webhook POST + attempt + audit): %.3f s  (%d delivered, %d "
      "failed) = %.0f notices/s\n",
      Seconds(t2, t3), sent.ok() ? sent->delivered : -1, sent.ok() ? sent->failed : -1,
      sent.ok() ? sent->delivered / Seconds(t2, t3) : 0.0);
  std::printf("baseline: %d single Withdraw calls: %.3f s\n", n, Seconds(t3, t4));
  std::printf("webhook received %lld\n", static_cast<long long>(hook.count()));
  return 0;
}
