// Index benchmark (issue 3): vigil's MIH index vs FAISS IndexBinaryMultiHash vs vigil's
// brute-force scan, side by side in one run, on synthetic 256-bit hashes.
//
//   index_bench [--n N] [--queries Q] [--data uniform|clustered|both] [--radii 31,63]
//               [--seconds S] [--no-faiss]
//
// Datasets: uniform random hashes, and clustered ones (families of 20 near-duplicates at
// 0..40 bits from a random centre, like real PDQ lists). Q queries: half are db entries with
// 0..30 bits flipped (true matches), half fresh random hashes. Ground truth is the
// brute-force batch scan. Single-query rates are measured one query at a time on one
// thread, over all queries or until S seconds have passed (slow methods see a prefix).
// Recall compares each method's result set with the truth on the queries it ran.
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/cpu.h"
#include "index/brute_force_index.h"
#include "index/mih_index.h"
#include "index/test_util.h"

#ifdef VIGIL_HAVE_FAISS
#include <faiss/IndexBinaryHash.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <omp.h>
#endif

namespace {

using vigil::Hash256;
using vigil::index::Match;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// CPU time of this thread: on a shared machine, queries per CPU-second is the steadier
// per-core figure (wall-clock q/s is printed too).
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

size_t RssBytes() {
  std::ifstream f("/proc/self/statm");
  size_t pages = 0, rss = 0;
  f >> pages >> rss;
  return rss * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

struct Args {
  size_t n = 1'000'000;
  size_t queries = 10'000;
  std::string data = "both";
  std::vector<int> radii = {31, 63};
  double seconds = 5;
  bool faiss = true;
  bool scan = true;  // --no-scan: skip brute force and recall (tuning runs)
};

struct Row {
  std::string method;
  int radius;
  double build_s = 0;
  double bytes_per_hash = 0;
  size_t queries_run = 0;
  double qps = 0;
  double cpu_qps = 0;
  double recall = 0;
  bool exact = false;
};

// Recall = matches found / true matches, over the queries run; exact = identical lists.
void Score(const std::vector<std::vector<Match>>& truth, const std::vector<std::vector<Match>>& got,
           size_t nq, Row* row) {
  size_t want = 0, found = 0;
  bool exact = true;
  for (size_t i = 0; i < nq; ++i) {
    want += truth[i].size();
    std::vector<uint64_t> t, g;
    for (auto& m : truth[i]) t.push_back(m.id);
    for (auto& m : got[i]) g.push_back(m.id);
    std::sort(t.begin(), t.end());
    std::sort(g.begin(), g.end());
    std::vector<uint64_t> both;
    std::set_intersection(t.begin(), t.end(), g.begin(), g.end(), std::back_inserter(both));
    found += both.size();
    if (truth[i] != got[i]) exact = false;
  }
  row->recall = want ? static_cast<double>(found) / static_cast<double>(want) : 1.0;
  row->exact = exact;
  row->queries_run = nq;
}

template <typename F>
void TimeQueries(const std::vector<Hash256>& qs, double seconds,
                 std::vector<std::vector<Match>>* out, size_t* ran, double* qps, double* cpu_qps,
                 F&& search) {
  out->assign(qs.size(), {});
  auto t0 = Clock::now();
  double c0 = ThreadCpuSeconds();
  size_t i = 0;
  for (; i < qs.size(); ++i) {
    (*out)[i] = search(qs[i]);
    if ((i & 15) == 15 && Since(t0) > seconds) {
      ++i;
      break;
    }
  }
  double el = Since(t0);
  *ran = i;
  *qps = static_cast<double>(i) / el;
  *cpu_qps = static_cast<double>(i) / (ThreadCpuSeconds() - c0);
}

void Print(const Row& r) {
  std::printf(
      "  %-26s r=%-3d build %7.2f s  %6.1f B/hash  %8.0f q/s wall %8.0f q/s per CPU-s  (%zu "
      "queries)  recall %.4f%s\n",
      r.method.c_str(), r.radius, r.build_s, r.bytes_per_hash, r.qps, r.cpu_qps, r.queries_run,
      r.recall, r.exact ? "  exact" : "");
}

void RunDataset(const Args& a, bool clustered) {
  const char* name = clustered ? "clustered" : "uniform";
  std::printf("\n== N=%zu %s, %zu queries (half with true matches)\n", a.n, name, a.queries);
  std::fflush(stdout);
  auto db = clustered ? vigil::index::testing::ClusteredHashes(a.n, 42)
                      : vigil::index::testing::UniformHashes(a.n, 42);
  auto qs = vigil::index::testing::MixedQueries(db, a.queries, 43, 30);
  std::vector<uint64_t> ids(a.n);
  for (size_t i = 0; i < a.n; ++i) ids[i] = i;

  // Brute force: ground truth via the batch path, then one query at a time.
  std::vector<std::vector<std::vector<Match>>> truth(a.radii.size());
  if (a.scan) {
    size_t rss0 = RssBytes();
    auto t0 = Clock::now();
    vigil::index::BruteForceIndex bf;
    if (!bf.AddBatch(ids, db).ok()) std::abort();
    double build = Since(t0);
    double bph = static_cast<double>(bf.MemoryBytes()) / static_cast<double>(a.n);
    (void)rss0;
    for (size_t ri = 0; ri < a.radii.size(); ++ri) {
      int r = a.radii[ri];
      auto tb = Clock::now();
      double cb = ThreadCpuSeconds();
      truth[ri] = bf.SearchBatch(qs, r);
      double el = Since(tb), cel = ThreadCpuSeconds() - cb;
      double cmps = static_cast<double>(a.n) * static_cast<double>(qs.size()) / el;
      double ccmps = static_cast<double>(a.n) * static_cast<double>(qs.size()) / cel;
      size_t hits = 0, with = 0;
      for (auto& v : truth[ri]) {
        hits += v.size();
        with += !v.empty();
      }
      std::printf(
          "  brute-force batch (%s)  r=%-3d %.2f G compares/s wall, %.2f G per CPU-s = %.0f%% of "
          "the 4.5G popcount limit; %zu true matches, %zu queries with a match\n",
          vigil::index::internal::LevelName(bf.level()), r, cmps / 1e9, ccmps / 1e9,
          ccmps / 4.5e9 * 100, hits, with);
      Row row{"brute-force (1 query)", r, build, bph};
      std::vector<std::vector<Match>> got;
      TimeQueries(qs, a.seconds / 2, &got, &row.queries_run, &row.qps, &row.cpu_qps,
                  [&](const Hash256& q) { return bf.Search(q, r); });
      Score(truth[ri], got, row.queries_run, &row);
      Print(row);
      std::fflush(stdout);
    }
  }

  // vigil MIH.
  {
    auto t0 = Clock::now();
    auto mih = vigil::index::MihIndex::Build(ids, db);
    double build = Since(t0);
    if (!mih.ok()) std::abort();
    auto t1 = Clock::now();
    vigil::index::MihIndex::Options single;
    single.build_threads = 1;
    auto mih1 = vigil::index::MihIndex::Build(ids, db, single);
    double build1 = Since(t1);
    mih1 = vigil::Status::Internal("freed");
    double bph = static_cast<double>((*mih)->GetStats().memory_bytes) / static_cast<double>(a.n);
    std::printf("  vigil MIH build: %.2f s on %u threads, %.2f s on 1 (%.2f s per million)\n",
                build, std::thread::hardware_concurrency(), build1,
                build1 / (static_cast<double>(a.n) / 1e6));
    for (size_t ri = 0; ri < a.radii.size(); ++ri) {
      int r = a.radii[ri];
      Row row{"vigil MIH", r, build, bph};
      std::vector<std::vector<Match>> got;
      TimeQueries(qs, a.seconds, &got, &row.queries_run, &row.qps, &row.cpu_qps,
                  [&](const Hash256& q) { return (*mih)->Search(q, r); });
      if (a.scan) Score(truth[ri], got, row.queries_run, &row);
      Print(row);
      std::fflush(stdout);
    }
    // Save/load (mmap) of this index.
    std::string path = "/tmp/vigil_index_bench_" + std::to_string(getpid()) + ".vidx";
    auto ts = Clock::now();
    if (!(*mih)->Save(path).ok()) std::abort();
    double save = Since(ts);
    mih = vigil::Status::Internal("freed");
    auto tl = Clock::now();
    auto loaded = vigil::index::MihIndex::Load(path);
    double load = Since(tl);
    if (!loaded.ok()) std::abort();
    auto tn = Clock::now();
    auto loaded_nock = vigil::index::MihIndex::Load(path, {false});
    double load_nock = Since(tn);
    std::printf(
        "  vigil MIH file: save %.2f s, load %.3f s (checksum + structure), %.3f s (structure "
        "only)\n",
        save, load, load_nock);
    std::remove(path.c_str());
  }

#ifdef VIGIL_HAVE_FAISS
  if (a.faiss) {
    omp_set_num_threads(1);
    size_t rss0 = RssBytes();
    auto t0 = Clock::now();
    // 8 tables of 32 bits; with nflip = 3 flips per table the search is exact up to
    // radius 8 * 4 - 1 = 31 (pigeonhole). Wider radii would need nflip = 7 (millions of
    // probes per table), so FAISS runs at r <= 31 only.
    faiss::IndexBinaryMultiHash fi(256, 8, 32);
    fi.nflip = 3;
    fi.add(static_cast<int64_t>(a.n), reinterpret_cast<const uint8_t*>(db.data()));
    double build = Since(t0);
    double bph = static_cast<double>(RssBytes() - rss0) / static_cast<double>(a.n);
    for (size_t ri = 0; ri < a.radii.size(); ++ri) {
      int r = a.radii[ri];
      if (r > 31) {
        std::printf("  %-26s r=%-3d n/a (needs nflip=7: C(32,<=7) = 4.3M probes per table)\n",
                    "FAISS IndexBinaryMultiHash", r);
        continue;
      }
      Row row{"FAISS IndexBinaryMultiHash", r, build, bph};
      std::vector<std::vector<Match>> got;
      TimeQueries(
          qs, a.seconds, &got, &row.queries_run, &row.qps, &row.cpu_qps, [&](const Hash256& q) {
            faiss::RangeSearchResult res(1);
            // FAISS binary range search keeps distances < radius: pass r + 1 for "<= r".
            fi.range_search(1, reinterpret_cast<const uint8_t*>(&q), r + 1, &res);
            std::vector<Match> out;
            for (size_t j = res.lims[0]; j < res.lims[1]; ++j) {
              out.push_back(
                  {static_cast<uint64_t>(res.labels[j]), static_cast<int>(res.distances[j])});
            }
            std::sort(out.begin(), out.end(), vigil::index::MatchLess);
            return out;
          });
      if (a.scan) Score(truth[ri], got, row.queries_run, &row);
      Print(row);
      std::fflush(stdout);
    }
  }
#endif
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "index_bench: %s needs a value\n", s.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (s == "--n")
      a.n = std::stoull(next());
    else if (s == "--queries")
      a.queries = std::stoull(next());
    else if (s == "--data")
      a.data = next();
    else if (s == "--seconds")
      a.seconds = std::stod(next());
    else if (s == "--no-faiss")
      a.faiss = false;
    else if (s == "--no-scan")
      a.scan = false;
    else if (s == "--radii") {
      a.radii.clear();
      std::string v = next();
      for (size_t p = 0; p < v.size();) {
        size_t c = v.find(',', p);
        a.radii.push_back(std::stoi(v.substr(p, c - p)));
        p = c == std::string::npos ? v.size() : c + 1;
      }
    } else {
      std::fprintf(stderr,
                   "usage: index_bench [--n N] [--queries Q] [--data uniform|clustered|both] "
                   "[--radii 31,63] [--seconds S] [--no-faiss]\n");
      return 2;
    }
  }
  std::printf("index_bench: cpu %s, kernels %s, 1 thread per query\n",
              vigil::cpu::Describe(vigil::cpu::Detect()).c_str(),
              vigil::index::internal::LevelName(vigil::index::internal::BestLevel()));
  if (a.data == "uniform" || a.data == "both") RunDataset(a, false);
  if (a.data == "clustered" || a.data == "both") RunDataset(a, true);
  return 0;
}
