// store_bench: bulk import of N PDQ hashes with labels into a fresh bank, on SQLite and on
// PostgreSQL, through the same path as `vigil bank import` (parse a plain hash file, then
// one AddSignals transaction). Also times streaming the live hashes back (the index hook).
//
//   store_bench [--n 1000000] [--backend sqlite|postgres|both] [--pg CONNINFO]
//
// With --backend postgres and no --pg, a throwaway server is started with
// scripts/pg-test-server.sh (as the tests do) and stopped at the end.
// Goals (issue 4): 1M on SQLite < 10 s, on PostgreSQL < 30 s.
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>

#include "formats/formats.h"
#include "store/store.h"

namespace {

using namespace vigil;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string MakeFile(int64_t n) {
  static const char* kLabels[] = {"behaviour:glorification", "behaviour:recruitment",
                                  "severity:promotional", "content:image",
                                  "severity:designated-entity"};
  std::mt19937_64 rng(42);
  std::string out;
  out.reserve(static_cast<size_t>(n) * 100);
  char buf[80];
  for (int64_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%016llx%016llx%016llx%016llx",
                  static_cast<unsigned long long>(rng()), static_cast<unsigned long long>(rng()),
                  static_cast<unsigned long long>(rng()), static_cast<unsigned long long>(rng()));
    out += buf;
    out += ',';
    out += kLabels[i % 5];
    if (i % 3 == 0) {
      out += ',';
      out += kLabels[(i + 2) % 5];
    }
    out += '\n';
  }
  return out;
}

int RunOne(const std::string& name, const std::string& db, const std::string& file, int64_t n) {
  auto t0 = Clock::now();
  auto store = store::OpenStore(db);
  if (!store.ok()) {
    std::fprintf(stderr, "store_bench: %s: %s\n", name.c_str(), store.status().ToString().c_str());
    return 1;
  }
  store::Bank b;
  b.name = "bench";
  auto bank = (*store)->CreateBank("bench", b);
  if (!bank.ok()) {
    std::fprintf(stderr, "store_bench: %s\n", bank.status().ToString().c_str());
    return 1;
  }
  double open_s = Since(t0);
  auto t1 = Clock::now();
  formats::ParseOptions po;
  po.default_type = store::SignalType::kPdq;
  auto parsed = formats::ParseSignals(formats::Format::kPlain, file, po);
  if (!parsed.ok() || !parsed->issues.empty()) {
    std::fprintf(stderr, "store_bench: parse failed\n");
    return 1;
  }
  double parse_s = Since(t1);
  std::vector<store::SignalInput> inputs;
  inputs.reserve(parsed->records.size());
  for (auto& r : parsed->records) inputs.push_back(std::move(r.signal));
  auto t2 = Clock::now();
  auto added = (*store)->AddSignals("bench", bank->id, inputs, 0);
  if (!added.ok()) {
    std::fprintf(stderr, "store_bench: %s\n", added.status().ToString().c_str());
    return 1;
  }
  double add_s = Since(t2);
  auto t3 = Clock::now();
  int64_t streamed = 0;
  Status st = (*store)->ForEachLiveHash(store::SignalType::kPdq, 0,
                                        [&](int64_t, const Hash256&) { ++streamed; });
  double stream_s = Since(t3);
  if (!st.ok() || streamed != n) {
    std::fprintf(stderr, "store_bench: streamed %lld of %lld\n", static_cast<long long>(streamed),
                 static_cast<long long>(n));
    return 1;
  }
  std::printf(
      "%-9s %9lld  import %7.2f s (parse %5.2f + store %6.2f)  stream %6.2f s  open %5.2f s\n",
      name.c_str(), static_cast<long long>(n), parse_s + add_s, parse_s, add_s, stream_s, open_s);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t n = 1'000'000;
  std::string backend = "both", pg;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--n" && i + 1 < argc) {
      n = std::atoll(argv[++i]);
    } else if (a == "--backend" && i + 1 < argc) {
      backend = argv[++i];
    } else if (a == "--pg" && i + 1 < argc) {
      pg = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: store_bench [--n N] [--backend sqlite|postgres|both] [--pg CONNINFO]\n");
      return 2;
    }
  }
  std::string file = MakeFile(n);
  std::printf(
      "store_bench: bulk import of %lld PDQ hashes with labels (plain format, one "
      "transaction)\n",
      static_cast<long long>(n));
  int rc = 0;
  char tmpl[] = "/tmp/vigil-bench.XXXXXX";
  std::string dir = mkdtemp(tmpl) ? tmpl : "/tmp";
  if (backend == "sqlite" || backend == "both") {
    rc |= RunOne("sqlite", dir + "/bench.db", file, n);
  }
  if (backend == "postgres" || backend == "both") {
    std::string script = std::string(VIGIL_SOURCE_DIR) + "/scripts/pg-test-server.sh";
    bool started = false;
    std::string pg_dir;
    if (pg.empty()) {
      // Its own top-level directory: the server runs as `postgres` when we are root and
      // could not enter our 0700 scratch directory.
      char pg_tmpl[] = "/tmp/vigil-bench-pg.XXXXXX";
      pg_dir = mkdtemp(pg_tmpl) ? pg_tmpl : dir + "/pg";
      std::string cmd = script + " start " + pg_dir;
      FILE* p = popen(cmd.c_str(), "r");
      std::array<char, 512> buf{};
      if (p && fgets(buf.data(), buf.size(), p)) pg = buf.data();
      int prc = p ? pclose(p) : -1;
      while (!pg.empty() && pg.back() == '\n') pg.pop_back();
      if (prc != 0 || pg.empty()) {
        std::fprintf(stderr, "store_bench: could not start PostgreSQL\n");
        return 1;
      }
      started = true;
    }
    rc |= RunOne("postgres", pg, file, n);
    if (started && std::system((script + " stop " + pg_dir).c_str()) != 0) rc = 1;
  }
  std::filesystem::remove_all(dir);
  return rc;
}
