// Referral throughput (issue 7): confirmed items packaged into referrals, rendered, signed
// and delivered to a loopback webhook receiver, with every receipt recorded and audited.
// Side by side in one run:
//   package   ReferralService::Refer (grouping, dedup index, holds, audit) alone
//   render    RenderNoticeJson alone
//   post      WebhookClient::Deliver of pre-rendered notices (the transport baseline)
//   pipeline  Refer + Dispatcher::DeliverPending (render + sign + POST + receipt + audit)
//   smtp      the same pipeline to the python3-aiosmtpd sink (e-mail platforms)
//   sqlite    the pipeline over the SQLite store (store/referral_store.h: rows + hash-chained
//             audit in one transaction per change), with per-notice delivery latency
// Usage: referral_bench [--referrals N] [--items K] [--smtp N] [--sqlite N] [--db PATH]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "delivery/dispatcher.h"
#include "delivery/test_servers.h"
#include "store/referral_store.h"

using namespace vigil;
using Clock = std::chrono::steady_clock;

namespace {

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::vector<workflow::ConfirmedItem> Items(int referrals, int per, const std::string& platform,
                                           int salt) {
  std::vector<workflow::ConfirmedItem> out;
  for (int r = 0; r < referrals; ++r) {
    for (int k = 0; k < per; ++k) {
      workflow::ConfirmedItem c;
      c.url = "https://" + platform + ".example/" + std::to_string(salt) + "/" + std::to_string(r) +
              "/" + std::to_string(k);
      c.platform_id = platform;
      c.account = "channel-" + std::to_string(r);
      c.captured_ms = 1'767'225'600'000;
      char hex[65];
      std::snprintf(hex, sizeof hex, "%016x%016x%016x%016x", salt, r, k, 7);
      c.sha256 = hex;
      c.labels = {"content_type:video", "severity:high"};
      c.tier = 1;
      c.reason = "synthetic benchmark item";
      c.evidence_ref = "evidence:" + std::to_string(r);
      out.push_back(std::move(c));
    }
  }
  return out;
}

// One request per referral so each becomes its own notice.
int ReferAll(workflow::ReferralService& svc, const std::vector<workflow::ConfirmedItem>& items,
             int per) {
  int created = 0;
  for (size_t i = 0; i < items.size(); i += per) {
    workflow::ReferRequest req;
    req.actor = "user:bench";
    req.org = "org-bench";
    req.items.assign(items.begin() + i, items.begin() + std::min(items.size(), i + per));
    auto out = svc.Refer(req);
    if (!out.ok()) {
      std::fprintf(stderr, "refer: %s\n", out.status().ToString().c_str());
      std::exit(1);
    }
    created += static_cast<int>(out->created.size());
  }
  return created;
}

}  // namespace

int main(int argc, char** argv) {
  int n = 2000, per = 5, smtp_n = 200, sql_n = 1000;
  std::string db = "/tmp/vigil-referral-bench.db";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--sqlite")) sql_n = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--db")) db = argv[i + 1];
    if (!std::strcmp(argv[i], "--referrals")) n = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--items")) per = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--smtp")) smtp_n = std::atoi(argv[i + 1]);
  }
  const std::string secret = "bench-shared-secret-0123456789";
  delivery::testing::TestWebhookServer hook(secret, 2);
  hook.set_record_bodies(false);
  delivery::DeliveryDirectory dir;
  (void)dir.Add({"videohost", delivery::Channel::kWebhook, hook.url(), "", secret});
  delivery::WebhookClient webhook;
  workflow::SystemClock clock;

  std::printf("referral_bench: %d referrals x %d items, webhook on 127.0.0.1:%d\n", n, per,
              hook.port());
  std::printf("%-10s %10s %12s %12s\n", "stage", "referrals", "seconds", "referrals/s");

  // package
  double package_s = 0;
  {
    workflow::MemoryReferralRepository repo;
    workflow::MemoryAuditSink audit;
    workflow::ReferralService svc(&repo, &audit, &clock, nullptr);
    auto items = Items(n, per, "videohost", 1);
    auto t0 = Clock::now();
    int created = ReferAll(svc, items, per);
    package_s = Seconds(t0, Clock::now());
    std::printf("%-10s %10d %12.3f %12.0f\n", "package", created, package_s, created / package_s);

    // render
    auto all = svc.PendingDeliveries(0);
    t0 = Clock::now();
    size_t bytes = 0;
    std::vector<std::string> bodies;
    for (const auto& r : *all) bodies.push_back(workflow::RenderNoticeJson(r));
    for (const auto& b : bodies) bytes += b.size();
    double render_s = Seconds(t0, Clock::now());
    std::printf("%-10s %10zu %12.3f %12.0f  (%.0f bytes/notice)\n", "render", all->size(), render_s,
                all->size() / render_s, static_cast<double>(bytes) / all->size());

    // post: the transport alone
    t0 = Clock::now();
    for (size_t i = 0; i < bodies.size(); ++i) {
      auto res = webhook.Deliver({hook.url(), secret}, bodies[i], (*all)[i].idempotency_key);
      if (!res.ok()) {
        std::fprintf(stderr, "post: %s\n", res.status().ToString().c_str());
        return 1;
      }
    }
    double post_s = Seconds(t0, Clock::now());
    std::printf("%-10s %10zu %12.3f %12.0f\n", "post", bodies.size(), post_s,
                bodies.size() / post_s);

    // pipeline: refer + dispatch, fresh service
    workflow::MemoryReferralRepository repo2;
    workflow::MemoryAuditSink audit2;
    workflow::ReferralService svc2(&repo2, &audit2, &clock, nullptr);
    delivery::Dispatcher disp(&svc2, &dir, &webhook, nullptr, {{}, "bench@vigil.invalid", 0});
    auto items2 = Items(n, per, "videohost", 2);
    t0 = Clock::now();
    ReferAll(svc2, items2, per);
    auto sum = disp.DeliverPending();
    double pipe_s = Seconds(t0, Clock::now());
    if (!sum.ok() || sum->delivered != n) {
      std::fprintf(stderr, "pipeline: delivered %d of %d\n", sum.ok() ? sum->delivered : -1, n);
      return 1;
    }
    std::printf("%-10s %10d %12.3f %12.0f  (%.2fx the bare POST time; %zu audit events)\n",
                "pipeline", sum->delivered, pipe_s, sum->delivered / pipe_s, pipe_s / post_s,
                audit2.events().size());
  }

  // sqlite: the persistent pipeline, one notice at a time so each delivery is timed
  if (sql_n > 0) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db + suffix);
    auto st = store::OpenStore(db);
    if (!st.ok()) {
      std::fprintf(stderr, "sqlite: %s\n", st.status().ToString().c_str());
      return 1;
    }
    auto repo = store::SqlReferralRepository::Create(st->get());
    if (!repo.ok()) return 1;
    workflow::ReferralService svc(repo->get(), repo->get(), &clock, nullptr);
    delivery::Dispatcher disp(&svc, &dir, &webhook, nullptr, {{}, "bench@vigil.invalid", 0});
    auto items = Items(sql_n, per, "videohost", 4);
    auto t0 = Clock::now();
    ReferAll(svc, items, per);
    double refer_s = Seconds(t0, Clock::now());
    auto pending = svc.PendingDeliveries(0);
    if (!pending.ok()) return 1;
    std::vector<double> lat_ms;
    delivery::DispatchSummary sum;
    auto t1 = Clock::now();
    for (const auto& r : *pending) {
      auto a = Clock::now();
      if (!disp.DeliverOne(r, &sum).ok()) return 1;
      lat_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - a).count());
    }
    double deliver_s = Seconds(t1, Clock::now());
    if (sum.delivered != sql_n) {
      std::fprintf(stderr, "sqlite: delivered %d of %d\n", sum.delivered, sql_n);
      return 1;
    }
    std::sort(lat_ms.begin(), lat_ms.end());
    auto pct = [&](double p) {
      return lat_ms[std::min(lat_ms.size() - 1, size_t(p * lat_ms.size()))];
    };
    auto verify = (*st)->VerifyAudit();
    std::printf(
        "%-10s %10d %12.3f %12.0f  (refer %.0f/s, deliver %.0f/s; delivery latency p50 "
        "%.2f ms, p99 %.2f ms; audit chain %s, %lld entries)\n",
        "sqlite", sql_n, refer_s + deliver_s, sql_n / (refer_s + deliver_s), sql_n / refer_s,
        sql_n / deliver_s, pct(0.5), pct(0.99), verify.ok() && verify->ok ? "verified" : "BROKEN",
        verify.ok() ? static_cast<long long>(verify->entries) : -1LL);
  }

  // smtp
  if (smtp_n > 0) {
    auto sink = delivery::testing::SmtpSink::Start("/tmp/vigil-referral-bench-smtp");
    if (!sink.ok()) {
      std::printf("%-10s skipped: %s\n", "smtp", sink.status().ToString().c_str());
      return 0;
    }
    (void)dir.Add({"filehost", delivery::Channel::kEmail, "", "abuse@filehost.example", ""});
    delivery::SmtpOptions so;
    so.port = static_cast<uint16_t>((*sink)->port());
    delivery::SmtpClient smtp(so);
    workflow::MemoryReferralRepository repo;
    workflow::MemoryAuditSink audit;
    workflow::ReferralService svc(&repo, &audit, &clock, nullptr);
    delivery::Dispatcher disp(&svc, &dir, &webhook, &smtp, {{}, "bench@vigil.invalid", 0});
    auto items = Items(smtp_n, per, "filehost", 3);
    auto t0 = Clock::now();
    ReferAll(svc, items, per);
    auto sum = disp.DeliverPending();
    double s = Seconds(t0, Clock::now());
    if (!sum.ok() || sum->delivered != smtp_n) {
      std::fprintf(stderr, "smtp: delivered %d of %d\n", sum.ok() ? sum->delivered : -1, smtp_n);
      return 1;
    }
    std::printf("%-10s %10d %12.3f %12.0f  (python3-aiosmtpd sink)\n", "smtp", sum->delivered, s,
                sum->delivered / s);
  }
  return 0;
}
