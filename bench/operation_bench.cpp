// Operation counters (issue 7 item 9): SqlOperationStore::Counters (SQL aggregates, decodes
// only orders and removed referrals) vs CountersByDecoding (every referral of the operation
// decoded into workflow::Stats), on an operation with N referrals (default 10,000) among as
// many of another operation. Both must agree; prints the median of 5 runs each.
//
//   operation_bench [N] [DB]   DB: a SQLite file (default a temporary one) or a PostgreSQL
//                              conninfo; the database must be new.
// Synthetic, benign records only.
#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "store/operation_store.h"
#include "store/referral_store.h"
#include "workflow/clock.h"

namespace wf = vigil::workflow;
using vigil::Status;

namespace {

constexpr int64_t kT0 = 1'767'225'600'000;

wf::Referral Make(int64_t id, const std::string& operation) {
  using S = wf::ReferralState;
  wf::Referral r;
  r.id = id;
  r.platform_id = id % 3 ? "videohost" : "filehost";
  r.lead_org = "org-a";
  r.organisations = {"org-a"};
  r.operation = operation;
  r.created_ms = kT0 + id * 1000;
  r.updated_ms = r.created_ms + 60'000;
  r.idempotency_key = "key-" + std::to_string(id);
  for (int i = 0; i < 3; ++i) {
    wf::ReferralItem it;
    it.url = "https://videohost.example/v/" + std::to_string(id) + "/" + std::to_string(i);
    it.sha256 = std::string(64, 'a');
    it.pdq = std::string(64, 'b');
    it.captured_ms = kT0;
    it.labels = {"content_type:video", "severity:promotional"};
    it.reason = "synthetic benchmark item";
    it.evidence_ref = "item:" + std::to_string(id);
    r.items.push_back(it);
  }
  // The outcome mix by id / 2, so both operations get every kind.
  const int64_t k = id / 2;
  if (k % 10 == 0) {
    r.route = wf::LegalRoute::kTcoRemovalOrder;
    r.order = wf::RemovalOrder{};
    r.order->issuing_authority = "Test Authority";
    r.order->reference = "TCO-" + std::to_string(id);
    r.order->grounds = {wf::TcoGround::kIncites};
    r.order->reasons = "synthetic reasons";
  }
  const int64_t t = r.created_ms;
  std::vector<S> path;
  switch (k % 6) {
    case 0: path = {S::kDelivered, S::kAcknowledged, S::kRemoved}; break;
    case 1: path = {S::kDelivered, S::kRejected}; break;
    case 2: path = {S::kDelivered, S::kAcknowledged}; break;
    case 3: path = {S::kDelivered, S::kGeoBlocked}; break;
    case 4:
      path = {};
      r.state = S::kHeld;
      break;
    default: path = {S::kDelivered}; break;
  }
  S from = S::kPending;
  int64_t at = t;
  for (S to : path) {
    at += 10 * 60'000;
    r.history.push_back({at, "system", from, to, ""});
    from = to;
    if (to == S::kDelivered) {
      wf::DeliveryReceipt d;
      d.channel = "webhook";
      d.delivered_ms = at;
      d.attempts = 1;
      d.status_code = 200;
      r.receipts.push_back(d);
      if (r.order) r.order->received_ms = at;
    }
    if (to == S::kRemoved && r.order) r.order->complied_ms = at;
  }
  if (!path.empty()) r.state = path.back();
  return r;
}

template <typename F>
double MedianMs(F&& fn) {
  std::vector<double> t;
  for (int i = 0; i < 5; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    t.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[2];
}

int Die(const std::string& what, const Status& s) {
  std::fprintf(stderr, "operation_bench: %s: %s\n", what.c_str(), s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 10'000;
  std::string db = argc > 2 ? argv[2] : "";
  if (db.empty()) {
    db = (std::filesystem::temp_directory_path() / "vigil-operation-bench.db").string();
    std::filesystem::remove(db);
  }
  auto st = vigil::store::OpenStore(db);
  if (!st.ok()) return Die("open " + db, st.status());
  auto repo = vigil::store::SqlReferralRepository::Create(st->get());
  auto ops = vigil::store::SqlOperationStore::Create(st->get());
  if (!repo.ok() || !ops.ok()) return Die("create", Status::Internal("repository"));
  wf::Operation op;
  op.name = "bench-day";
  op.start_ms = kT0;
  op.organisations = {"org-a"};
  op.sources = {"scan:telegram"};
  op.state = wf::OperationState::kActive;
  auto made = (*ops)->CreateOperation("bench", op, kT0);
  if (!made.ok()) return Die("create operation", made.status());

  auto t0 = std::chrono::steady_clock::now();
  if (Status s = (*repo)->BeginChange(); !s.ok()) return Die("begin", s);
  for (int64_t i = 1; i <= 2 * n; ++i) {
    // Odd ids in the operation, even ones in another: the aggregates must use the index.
    Status s = (*repo)->PutReferral(Make(i, i % 2 ? "bench-day" : "other-day"));
    if (!s.ok()) return Die("put", s);
  }
  if (Status s = (*repo)->EndChange(); !s.ok()) return Die("commit", s);
  const double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const int64_t now = kT0 + 3 * 24 * wf::kMsPerHour;
  wf::OperationCounters fast, ref;
  Status err;
  const double fast_ms = MedianMs([&] {
    auto c = (*ops)->Counters(*made, now);
    if (!c.ok())
      err = c.status();
    else
      fast = *c;
  });
  const double ref_ms = MedianMs([&] {
    auto c = (*ops)->CountersByDecoding(*made, now);
    if (!c.ok())
      err = c.status();
    else
      ref = *c;
  });
  if (!err.ok()) return Die("counters", err);
  std::printf("backend %s, %lld referrals in the operation (%lld in the store), loaded in %.1f s\n",
              db.find('=') != std::string::npos ? "postgres" : "sqlite", static_cast<long long>(n),
              static_cast<long long>(2 * n), load_s);
  std::printf("%-40s %10.1f ms\n", "Counters (SQL aggregates)", fast_ms);
  std::printf("%-40s %10.1f ms\n", "CountersByDecoding (every record)", ref_ms);
  std::printf("speed-up %.1fx; agree: %s\n", ref_ms / fast_ms, fast == ref ? "yes" : "NO");
  std::printf("%s\n", boost::json::serialize(fast.ToJson()).c_str());
  return fast == ref ? 0 : 1;
}
