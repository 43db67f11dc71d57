// worker_bench (issue 10): the scale-out path against the inline single-process one, on
// this machine, all on loopback:
//   inline    hash + match + one store transaction per batch, no broker (one process)
//   publish   messages/s into the work stream (async publish, R1 single node and R3 cluster)
//   workers   items/s with 1 and 2 `Worker`s (threads here; `vigil worker` is the same code)
//   ready     start to ready of a new worker whose index holds --signals PDQ hashes
//
//   worker_bench [--items 2000] [--signals 1000000] [--side 256]
//
// Starts its own nats-server(s) and PostgreSQL (scripts/pg-test-server.sh) in /tmp and stops
// them at the end. Images are generated, benign blocky noise (--side pixels square, PNG).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "media/encode.h"
#include "store/sql.h"
#include "store/store.h"
#include "worker/jetstream.h"
#include "worker/test_cluster.h"
#include "worker/work_item.h"
#include "worker/worker.h"

namespace {

using namespace vigil;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string ImagePng(int seed, int side) {
  std::mt19937 rng(static_cast<uint32_t>(seed) * 2654435761u + 7);
  std::vector<uint8_t> px(static_cast<size_t>(side) * side * 3);
  const int block = std::max(1, side / 8);
  for (int y = 0; y < side; ++y) {
    for (int x = 0; x < side; ++x) {
      uint32_t h = static_cast<uint32_t>((y / block) * 131 + (x / block) * 7 + seed * 7919);
      for (int c = 0; c < 3; ++c) {
        px[(static_cast<size_t>(y) * side + x) * 3 + c] =
            static_cast<uint8_t>((h * 2654435761u >> (8 * c)) ^ (rng() & 15));
      }
    }
  }
  auto png = media::EncodePng(px, side, side, 3);
  return png.ok() ? std::string(png->begin(), png->end()) : std::string();
}

int64_t CountLedger(const std::string& db) {
  auto conn = store::sql::OpenPostgres(db, 2);
  if (!conn.ok()) return -1;
  auto rows = (*conn)->Query("SELECT COUNT(*) FROM work_ledger", {});
  if (!rows.ok() || !(*rows)->Next().value_or(false)) return -1;
  return (*rows)->Int(0);
}

// The servers this bench started; stopped on every exit path (Die too), so a failed run
// leaves no nats-server or postgres behind.
std::unique_ptr<worker::testing::PgServer> g_pg;
std::unique_ptr<worker::testing::NatsCluster> g_one, g_three;

void StopServers() {
  g_one.reset();
  g_three.reset();
  g_pg.reset();
}

void Die(const std::string& what, const Status& s) {
  std::fprintf(stderr, "worker_bench: %s: %s\n", what.c_str(), s.ToString().c_str());
  StopServers();
  std::_Exit(1);
}

std::vector<std::string> Messages(const std::vector<std::string>& images, const std::string& tag) {
  std::vector<std::string> out;
  for (size_t i = 0; i < images.size(); ++i) {
    worker::WorkItem w;
    w.key = tag + ":" + std::to_string(i);
    w.source = "bench";
    w.media.push_back({"image", "", "", images[i]});
    out.push_back(worker::EncodeWorkItem(w));
  }
  return out;
}

double Publish(worker::JetStream& js, const worker::QueueNames& names,
               const std::vector<std::string>& msgs, const std::string& tag) {
  auto t = Clock::now();
  for (size_t i = 0; i < msgs.size(); ++i) {
    Status s = js.PublishAsync(names.work_subject(), msgs[i], tag + ":" + std::to_string(i));
    if (!s.ok()) Die("publish", s);
  }
  auto r = js.PublishFlush(60s);
  if (!r.ok() || *r != 0) Die("publish flush", r.ok() ? Status::Internal("rejected") : r.status());
  return static_cast<double>(msgs.size()) / Since(t);
}

}  // namespace

int main(int argc, char** argv) {
  int items = 2000;
  int64_t signals = 1'000'000;
  int side = 256;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--items")) items = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--signals")) signals = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--side")) side = std::atoi(argv[i + 1]);
  }
  std::printf("worker_bench: %d images %dx%d PNG, index %lld PDQ hashes, %u cores\n", items, side,
              side, static_cast<long long>(signals), std::thread::hardware_concurrency());
  std::vector<std::string> images;
  size_t bytes = 0;
  for (int i = 0; i < items; ++i) {
    images.push_back(ImagePng(i, side));
    bytes += images.back().size();
  }
  std::printf("  mean image %.1f KB\n", static_cast<double>(bytes) / items / 1024);

  {
    auto pg = worker::testing::PgServer::Start();
    if (!pg.ok()) Die("postgres", pg.status());
    g_pg = std::move(pg).value();
    auto one = worker::testing::NatsCluster::Start(1);
    if (!one.ok()) Die("nats", one.status());
    g_one = std::move(one).value();
    auto three = worker::testing::NatsCluster::Start(3);
    if (!three.ok()) Die("nats cluster", three.status());
    g_three = std::move(three).value();
  }
  auto* pg = &g_pg;
  auto* one = &g_one;
  auto* three = &g_three;

  // --- inline: the single-process path (no broker) ---------------------------------------
  {
    auto db = (*pg)->CreateDatabase("inline_bench");
    if (!db.ok()) Die("db", db.status());
    auto st = store::OpenStore(*db);
    if (!st.ok()) Die("store", st.status());
    match::Matcher m;
    if (Status s = m.Load(**st); !s.ok()) Die("load", s);
    worker::WorkerOptions o;
    o.name = "inline";
    auto t = Clock::now();
    std::vector<store::WorkResult> batch;
    for (int i = 0; i < items; ++i) {
      worker::WorkItem w;
      w.key = "inline:" + std::to_string(i);
      w.media.push_back({"image", "", "", images[i]});
      auto r = worker::ProcessWorkItem(w, m, o);
      if (!r.ok()) Die("process", r.status());
      batch.push_back(std::move(r).value());
      if (batch.size() == static_cast<size_t>(worker::kDefaultBatch) || i + 1 == items) {
        auto rec = (*st)->RecordWork("bench", batch);
        if (!rec.ok()) Die("record", rec.status());
        batch.clear();
      }
    }
    double secs = Since(t);
    std::printf("  inline (1 process, no broker)      %8.1f items/s   (%d in %.2f s)\n",
                items / secs, items, secs);
  }

  // --- publish rate ------------------------------------------------------------------------
  for (auto* cluster : {one->get(), three->get()}) {
    int replicas = cluster->size();
    auto js = worker::JetStream::Connect(cluster->urls(), "bench");
    if (!js.ok()) Die("connect", js.status());
    worker::QueueNames names;
    names.work_stream = "PUB" + std::to_string(replicas);
    worker::StreamSetup setup;
    setup.replicas = replicas;
    Status s;
    for (int tries = 0; tries < 80; ++tries) {
      s = (*js)->EnsureWorkQueue(names, setup);
      if (s.ok()) break;
      std::this_thread::sleep_for(250ms);
    }
    if (!s.ok()) Die("stream", s);
    auto msgs = Messages(images, "pub");
    double rate = Publish(**js, names, msgs, "pub");
    std::printf("  publish, R%d (%d node%s)              %8.0f messages/s (%.1f MB/s)\n", replicas,
                replicas, replicas > 1 ? "s" : " ", rate,
                rate * static_cast<double>(msgs[0].size()) / 1e6);
  }

  // --- 1 and 2 workers (R3 cluster) ------------------------------------------------------
  for (int n_workers : {1, 2}) {
    auto db = (*pg)->CreateDatabase("workers" + std::to_string(n_workers));
    if (!db.ok()) Die("db", db.status());
    {
      auto st = store::OpenStore(*db);
      if (!st.ok()) Die("store", st.status());
    }
    worker::QueueNames names;
    names.work_stream = "W" + std::to_string(n_workers);
    names.bank_stream = "B" + std::to_string(n_workers);
    auto js = worker::JetStream::Connect((*three)->urls(), "bench");
    if (!js.ok()) Die("connect", js.status());
    worker::StreamSetup setup;
    setup.replicas = 3;
    if (Status s = (*js)->EnsureWorkQueue(names, setup); !s.ok()) Die("stream", s);
    if (Status s = (*js)->EnsureBankStream(names, setup); !s.ok()) Die("stream", s);
    Publish(**js, names, Messages(images, "w"), "w");
    std::vector<std::unique_ptr<worker::Worker>> ws;
    std::vector<std::thread> threads;
    auto t = Clock::now();
    for (int i = 0; i < n_workers; ++i) {
      worker::WorkerOptions o;
      o.nats_urls = (*three)->urls();
      o.db = *db;
      o.name = "bench" + std::to_string(i);
      o.names = names;
      o.setup = setup;
      o.metrics_interval = 0ms;
      o.log = [](const std::string&) {};
      ws.push_back(std::make_unique<worker::Worker>(o));
      threads.emplace_back([w = ws.back().get()] {
        Status s = w->Run();
        if (!s.ok()) Die("worker", s);
      });
    }
    // Rate from the moment every worker is ready (the start-up is the "ready" figure).
    auto all_ready = [&] {
      for (auto& w : ws) {
        if (w->stats().ready_seconds.load() == 0) return false;
      }
      return true;
    };
    while (!all_ready()) std::this_thread::sleep_for(1ms);
    auto t_ready = Clock::now();
    int64_t done_at_ready = CountLedger(*db);
    while (CountLedger(*db) < items) std::this_thread::sleep_for(20ms);
    double total = Since(t);
    double secs = Since(t_ready);
    const int64_t timed = items - done_at_ready;
    for (auto& w : ws) w->RequestStop();
    for (auto& th : threads) th.join();
    std::printf(
        "  %d worker%s (R3 cluster, PostgreSQL)     %8.1f items/s   (%lld in %.2f s after "
        "ready; %.2f s with start)\n",
        n_workers, n_workers > 1 ? "s" : " ", static_cast<double>(timed) / secs,
        static_cast<long long>(timed), secs, total);
  }

  // --- ready time with a large index -------------------------------------------------------
  if (signals > 0) {
    auto db = (*pg)->CreateDatabase("ready_bench");
    if (!db.ok()) Die("db", db.status());
    auto st = store::OpenStore(*db);
    if (!st.ok()) Die("store", st.status());
    store::Bank b;
    b.name = "big";
    auto bank = (*st)->CreateBank("bench", b);
    if (!bank.ok()) Die("bank", bank.status());
    std::mt19937_64 rng(1);
    std::vector<store::SignalInput> in;
    in.reserve(static_cast<size_t>(signals));
    char hex[65];
    for (int64_t i = 0; i < signals; ++i) {
      std::snprintf(hex, sizeof hex, "%016llx%016llx%016llx%016llx",
                    static_cast<unsigned long long>(rng()), static_cast<unsigned long long>(rng()),
                    static_cast<unsigned long long>(rng()), static_cast<unsigned long long>(rng()));
      in.push_back({store::SignalType::kPdq, hex, 100, {}, ""});
    }
    auto t = Clock::now();
    auto added = (*st)->AddSignals("bench", bank->id, in, 0);
    if (!added.ok()) Die("import", added.status());
    std::printf("  (import of %lld hashes into PostgreSQL: %.1f s)\n",
                static_cast<long long>(signals), Since(t));
    {  // Where a worker's start-up goes: reading the rows vs building the matcher.
      auto t1 = Clock::now();
      int64_t rows = 0;
      Status s = (*st)->ForEachSignal(bank->id, {}, [&](const store::Signal&) {
        ++rows;
        return true;
      });
      if (!s.ok()) Die("read", s);
      double all_cols = Since(t1);
      t1 = Clock::now();
      s = (*st)->ForEachLiveHash(store::SignalType::kPdq, 0,
                                 [&](int64_t, const Hash256&) { ++rows; });
      if (!s.ok()) Die("read", s);
      double hashes_only = Since(t1);
      t1 = Clock::now();
      match::Matcher m;
      s = m.Load(**st);
      if (!s.ok()) Die("load", s);
      std::printf(
          "  (reading %lld signals: %.2f s all columns, %.2f s id+hash only; "
          "Matcher::Load %.2f s)\n",
          static_cast<long long>(signals), all_cols, hashes_only, Since(t1));
    }
    worker::WorkerOptions o;
    o.nats_urls = (*three)->urls();
    o.db = *db;
    o.name = "ready";
    o.names.work_stream = "READY";
    o.names.bank_stream = "READYB";
    o.setup.replicas = 3;
    o.metrics_interval = 0ms;
    o.log = [](const std::string&) {};
    {  // the streams exist already when a worker joins a running deployment
      auto js = worker::JetStream::Connect(o.nats_urls, "bench");
      if (!js.ok()) Die("connect", js.status());
      if (Status s = (*js)->EnsureWorkQueue(o.names, o.setup); !s.ok()) Die("stream", s);
      if (Status s = (*js)->EnsureBankStream(o.names, o.setup); !s.ok()) Die("stream", s);
    }
    worker::Worker w(o);
    std::thread th([&] {
      Status s = w.Run();
      if (!s.ok()) Die("worker", s);
    });
    while (w.stats().ready_seconds.load() == 0) std::this_thread::sleep_for(5ms);
    std::printf("  new worker ready, %lld-hash index   %8.2f s  (index load %.2f s; goal < 5 s)\n",
                static_cast<long long>(w.stats().index_signals.load()),
                w.stats().ready_seconds.load(), w.stats().index_load_seconds.load());
    w.RequestStop();
    th.join();
  }
  StopServers();
  return 0;
}
