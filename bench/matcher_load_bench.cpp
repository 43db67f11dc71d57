// matcher_load_bench (issue 10): how long a new worker takes to become ready with a large PDQ
// index, on SQLite and PostgreSQL side by side, medians of --runs runs:
//   full     Matcher::Load(store): every column, provenance of every signal in memory (the
//            load every worker did before the lean one; `vigil serve` still uses it)
//   lean     Matcher::Load(store, {provenance}): id, type and value only, PDQ hex decoded
//            straight into the index's bulk build, provenance fetched lazily
//   breakdown of the lean load: the query alone (rows streamed, nothing done with them),
//            query + hex decode into the id/hash arrays, the MihIndex bulk build
//   snapshot the lean load when the worker's PDQ snapshot (--index-cache) is at the store's
//            bank versions: the index mapped from the file, ids and banks read from it
//   ready    a `Worker` (the code of `vigil worker`) started against a 1-node JetStream:
//            start to ready, i.e. connect, streams, lean load, consumer bound; without and
//            with the snapshot
//
//   matcher_load_bench [--signals 1000000] [--runs 3] [--no-worker]
//
// Starts its own PostgreSQL (scripts/pg-test-server.sh) and nats-server in /tmp and stops
// them at the end; the SQLite database is a file in /tmp. Hashes are random (benign).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "index/mih_index.h"
#include "match/matcher.h"
#include "store/store.h"
#include "worker/test_cluster.h"
#include "worker/worker.h"

namespace {

using namespace vigil;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::unique_ptr<worker::testing::PgServer> g_pg;
std::unique_ptr<worker::testing::NatsCluster> g_nats;

void Die(const std::string& what, const Status& s) {
  std::fprintf(stderr, "matcher_load_bench: %s: %s\n", what.c_str(), s.ToString().c_str());
  g_nats.reset();
  g_pg.reset();
  std::_Exit(1);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

struct Figures {
  std::vector<double> full, lean, lean_read, lean_build, query, decode, build, ready;
  std::vector<double> cached, ready_cached;  // with the PDQ snapshot (--index-cache)
};

void Fill(store::Store& st, int64_t signals) {
  store::Bank b;
  b.name = "big";
  auto bank = st.CreateBank("bench", b);
  if (!bank.ok()) Die("bank", bank.status());
  std::mt19937_64 rng(1);
  std::vector<store::SignalInput> in;
  in.reserve(static_cast<size_t>(signals));
  char hex[65];
  for (int64_t i = 0; i < signals; ++i) {
    std::snprintf(hex, sizeof hex, "%016llx%016llx%016llx%016llx",
                  static_cast<unsigned long long>(rng()), static_cast<unsigned long long>(rng()),
                  static_cast<unsigned long long>(rng()), static_cast<unsigned long long>(rng()));
    in.push_back({store::SignalType::kPdq, hex, 100, {"severity:high"}, "bench"});
  }
  auto t = Clock::now();
  auto added = st.AddSignals("bench", bank->id, in, 0);
  if (!added.ok()) Die("import", added.status());
  std::printf("  (import of %lld hashes: %.1f s)\n", static_cast<long long>(signals), Since(t));
}

double WorkerReady(const std::string& db, const std::string& cache_dir) {
  worker::WorkerOptions o;
  o.nats_urls = g_nats->urls();
  o.db = db;
  o.name = "ready";
  o.names.work_stream = "READY";
  o.names.bank_stream = "READYB";
  o.metrics_interval = 0ms;
  o.index_cache_dir = cache_dir;
  o.log = [](const std::string&) {};
  worker::Worker w(o);
  Status run_status;
  std::atomic<bool> ended{false};
  std::thread th([&] {
    run_status = w.Run();
    ended.store(true);
  });
  while (w.stats().ready_seconds.load() == 0 && !ended.load()) {
    std::this_thread::sleep_for(2ms);
  }
  const double ready = w.stats().ready_seconds.load();
  w.RequestStop();
  th.join();
  if (!run_status.ok()) Die("worker", run_status);
  return ready;
}

void Measure(const std::string& db, const std::string& cache_dir, int runs, bool with_worker,
             Figures* f) {
  auto st = store::OpenStore(db);
  if (!st.ok()) Die("store", st.status());
  {  // writes the snapshot the cached runs use
    match::Matcher m;
    match::Matcher::LoadOptions o;
    o.provenance = match::OwnStoreProvenanceLoader([db] { return store::OpenStore(db); });
    o.pdq_cache_dir = cache_dir;
    auto t = Clock::now();
    if (Status s = m.Load(**st, o); !s.ok()) Die("lean load", s);
    std::printf("  (lean load writing the PDQ snapshot: %.2f s, %s)\n", Since(t),
                m.last_load_stats().pdq_cache.c_str());
  }
  for (int r = 0; r < runs; ++r) {
    {
      match::Matcher m;
      match::Matcher::LoadOptions o;
      o.provenance = match::OwnStoreProvenanceLoader([db] { return store::OpenStore(db); });
      o.pdq_cache_dir = cache_dir;
      auto t = Clock::now();
      if (Status s = m.Load(**st, o); !s.ok()) Die("cached load", s);
      f->cached.push_back(Since(t));
      if (m.last_load_stats().pdq_cache != "hit") {
        Die("cached load", Status::Internal("snapshot " + m.last_load_stats().pdq_cache));
      }
    }
    {
      match::Matcher m;
      auto t = Clock::now();
      if (Status s = m.Load(**st); !s.ok()) Die("full load", s);
      f->full.push_back(Since(t));
    }
    {
      match::Matcher m;
      match::Matcher::LoadOptions o;
      o.provenance = match::OwnStoreProvenanceLoader([db] { return store::OpenStore(db); });
      auto t = Clock::now();
      if (Status s = m.Load(**st, o); !s.ok()) Die("lean load", s);
      f->lean.push_back(Since(t));
      f->lean_read.push_back(m.last_load_stats().read_s);
      f->lean_build.push_back(m.last_load_stats().build_s);
    }
    {  // the lean load's parts, one at a time (the bench's bank holds PDQ hashes only)
      int64_t rows = 0;
      auto t = Clock::now();
      Status s =
          (*st)->ForEachLiveSignalKey(store::SignalType::kPdq, 0, [&](const store::LiveSignalKey&) {
            ++rows;
            return true;
          });
      if (!s.ok()) Die("query", s);
      f->query.push_back(Since(t));
      std::vector<uint64_t> ids;
      std::vector<Hash256> hashes;
      t = Clock::now();
      s = (*st)->ForEachLiveSignalKey(store::SignalType::kPdq, 0,
                                      [&](const store::LiveSignalKey& k) {
                                        auto h = Hash256::FromHex(k.value);
                                        if (h.ok()) {
                                          ids.push_back(static_cast<uint64_t>(k.id));
                                          hashes.push_back(*h);
                                        }
                                        return true;
                                      });
      if (!s.ok()) Die("query", s);
      f->decode.push_back(Since(t) - f->query.back());
      t = Clock::now();
      auto index = index::MihIndex::Build(ids, hashes);
      if (!index.ok()) Die("build", index.status());
      f->build.push_back(Since(t));
    }
    if (with_worker) {
      f->ready.push_back(WorkerReady(db, ""));
      f->ready_cached.push_back(WorkerReady(db, cache_dir));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  int64_t signals = 1'000'000;
  int runs = 3;
  bool with_worker = true;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--signals") && i + 1 < argc) signals = std::atoll(argv[++i]);
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) runs = std::max(1, std::atoi(argv[++i]));
    if (!std::strcmp(argv[i], "--no-worker")) with_worker = false;
  }
  std::printf("matcher_load_bench: %lld PDQ hashes in one bank, medians of %d runs, %u cores\n",
              static_cast<long long>(signals), runs, std::thread::hardware_concurrency());
  {
    auto pg = worker::testing::PgServer::Start();
    if (!pg.ok()) Die("postgres", pg.status());
    g_pg = std::move(pg).value();
    if (with_worker) {
      auto nats = worker::testing::NatsCluster::Start(1);
      if (!nats.ok()) Die("nats", nats.status());
      g_nats = std::move(nats).value();
    }
  }
  char tmpl[] = "/tmp/matcher_load_bench.XXXXXX";
  const char* dir = mkdtemp(tmpl);
  if (!dir) Die("tmp", Status::Internal("mkdtemp failed"));
  const std::string sqlite_db = std::string(dir) + "/bench.db";
  auto pg_db = g_pg->CreateDatabase("load_bench");
  if (!pg_db.ok()) Die("db", pg_db.status());

  std::vector<std::pair<std::string, std::string>> dbs = {{"SQLite", sqlite_db},
                                                          {"PostgreSQL", *pg_db}};
  std::vector<Figures> figures(dbs.size());
  for (size_t i = 0; i < dbs.size(); ++i) {
    std::printf("  %s:\n", dbs[i].first.c_str());
    {
      auto st = store::OpenStore(dbs[i].second);
      if (!st.ok()) Die("store", st.status());
      Fill(**st, signals);
    }
    Measure(dbs[i].second, std::string(dir) + "/cache-" + std::to_string(i), runs, with_worker,
            &figures[i]);
  }
  std::printf("\n  %-34s %12s %12s\n", "median seconds", dbs[0].first.c_str(),
              dbs[1].first.c_str());
  auto row = [&](const char* name, std::vector<double> Figures::*field) {
    std::printf("  %-34s %12.3f %12.3f\n", name, Median(figures[0].*field),
                Median(figures[1].*field));
  };
  row("Matcher::Load full (before)", &Figures::full);
  row("Matcher::Load lean (after)", &Figures::lean);
  row("  lean: rows read + decoded", &Figures::lean_read);
  row("  lean: index bulk build", &Figures::lean_build);
  row("  parts: query only", &Figures::query);
  row("  parts: + hex decode", &Figures::decode);
  row("  parts: MihIndex::Build", &Figures::build);
  row("Matcher::Load lean + PDQ snapshot hit", &Figures::cached);
  if (with_worker) {
    row("new worker ready (lean, goal < 5)", &Figures::ready);
    row("new worker ready (lean + snapshot)", &Figures::ready_cached);
  }
  std::printf("  all runs, full:");
  for (auto& f : figures) {
    for (double v : f.full) std::printf(" %.2f", v);
    std::printf(" |");
  }
  std::printf("\n  all runs, lean:");
  for (auto& f : figures) {
    for (double v : f.lean) std::printf(" %.2f", v);
    std::printf(" |");
  }
  std::printf("\n");
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  g_nats.reset();
  g_pg.reset();
  return 0;
}
