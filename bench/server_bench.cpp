// server_bench: `vigil serve` throughput over loopback, driven by wrk.
//
// Starts the server in-process on a throwaway SQLite store whose bank holds N random PDQ
// hashes, then runs wrk (Debian's) against four routes and prints requests/s and p50/p99:
//   healthz          GET /healthz (no auth): the transport alone
//   trivial          GET /api/v1/whoami: auth + a small JSON body (the baseline)
//   match-by-hash    POST /api/v1/match with one PDQ hash (one near match in the bank)
//   hash-and-match   POST /api/v1/hash-and-match with a 1 MP JPEG
// and the ratio of each to the trivial route. Then it opens idle keep-alive connections
// and reports the server's resident memory per connection.
//
// Usage: server_bench [--signals N] [--seconds S] [--connections C] [--threads T]
//                     [--idle K]
// wrk and the server share the machine; the numbers are for that setup (say so when
// quoting them).
#include <unistd.h>

#include <boost/asio.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "media/encode.h"
#include "pipeline/media_hasher.h"
#include "server/http_server.h"
#include "server/service.h"
#include "store/store.h"

namespace {

using namespace vigil;

struct Args {
  int64_t signals = 100'000;
  int seconds = 5;
  int connections = 16;
  unsigned threads = 0;
  int idle = 2000;
};

int64_t RssBytes() {
  std::ifstream f("/proc/self/statm");
  int64_t pages = 0, rss = 0;
  f >> pages >> rss;
  return rss * sysconf(_SC_PAGESIZE);
}

std::string Jpeg1MP() {
  const int w = 1000, h = 1000;
  std::vector<uint8_t> px(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      uint8_t* p = &px[(static_cast<size_t>(y) * w + x) * 3];
      double d = std::hypot(x - 420.0, y - 560.0);
      p[0] = static_cast<uint8_t>((x * 255) / w);
      p[1] = static_cast<uint8_t>(d < 300 ? 220 : (y * 255) / h);
      p[2] = static_cast<uint8_t>(((x / 50 + y / 50) % 2) * 200);
    }
  }
  auto j = media::EncodeJpeg(px, w, h, 3);
  return j.ok() ? std::string(j->begin(), j->end()) : std::string();
}

struct WrkResult {
  double rps = 0, p50_ms = 0, p99_ms = 0;
  bool ok = false;
};

double ToMs(const std::string& num, const std::string& unit) {
  double v = std::stod(num);
  if (unit == "us") return v / 1000;
  if (unit == "s") return v * 1000;
  return v;
}

WrkResult RunWrk(const Args& a, const std::string& url, const std::string& lua) {
  std::string script = "/tmp/vigil_server_bench_" + std::to_string(getpid()) + ".lua";
  std::ofstream(script) << lua;
  std::string cmd = "wrk -t1 -c" + std::to_string(a.connections) + " -d" +
                    std::to_string(a.seconds) + "s --latency -s " + script + " " + url + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  WrkResult r;
  if (!p) return r;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  std::filesystem::remove(script);
  // wrk's text report: "Requests/sec: 1234.5", latency lines "50%  1.23ms", and
  // "Non-2xx or 3xx responses: N" when some failed.
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string first, second;
    words >> first >> second;
    if (first == "Requests/sec:") {
      r.rps = std::atof(second.c_str());
      r.ok = true;
    } else if (first == "50%" || first == "99%") {
      size_t unit = second.find_first_not_of("0123456789.");
      if (unit != std::string::npos && unit > 0) {
        double ms = ToMs(second.substr(0, unit), second.substr(unit));
        (first == "50%" ? r.p50_ms : r.p99_ms) = ms;
      }
    } else if (line.find("Non-2xx or 3xx responses:") != std::string::npos) {
      std::fprintf(stderr, "server_bench: %s: %s\n", url.c_str(), line.c_str());
      r.ok = false;
    }
  }
  if (!r.ok) std::fprintf(stderr, "%s\n", out.c_str());
  return r;
}

std::string LuaString(const std::string& bytes) {
  // A Lua long string can hold any bytes; pick a level whose closing bracket is absent.
  std::string eq;
  while (bytes.find("]" + eq + "]") != std::string::npos) eq += "=";
  return "[" + eq + "[\n" + bytes + "]" + eq + "]";
}

int Run(const Args& a) {
  if (std::system("command -v wrk >/dev/null 2>&1") != 0) {
    std::fprintf(stderr,
                 "server_bench: wrk not found (apt-get install wrk; scripts/install-deps.sh)\n");
    return 1;
  }
  auto dir =
      std::filesystem::temp_directory_path() / ("vigil_server_bench_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string db = (dir / "bench.db").string();
  std::string token, near_hash;
  {
    auto st = store::OpenStore(db);
    if (!st.ok()) return std::fprintf(stderr, "%s\n", st.status().ToString().c_str()), 1;
    auto org = (*st)->CreateOrganisation("bench", "bench", "");
    store::User u;
    u.org_id = org->id;
    u.name = "bench";
    u.role = "admin";
    auto user = (*st)->CreateUser("bench", u);
    token = (*st)->CreateApiToken("bench", user->id, "bench", 0)->secret;
    store::Bank b;
    b.name = "loaded";
    b.owner_org_id = org->id;
    auto bank = (*st)->CreateBank("bench", b);
    std::mt19937_64 rng(42);
    std::vector<store::SignalInput> sigs(static_cast<size_t>(a.signals));
    for (auto& s : sigs) {
      Hash256 h;
      for (auto& w : h.w) w = rng();
      s.type = store::SignalType::kPdq;
      s.value = h.ToHex();
      s.labels = {"severity:promotional"};
    }
    auto t0 = std::chrono::steady_clock::now();
    auto added = (*st)->AddSignals("bench", bank->id, sigs, 0);
    if (!added.ok()) return std::fprintf(stderr, "%s\n", added.status().ToString().c_str()), 1;
    std::printf("bank: %lld random PDQ hashes stored in %.1f s\n",
                static_cast<long long>(a.signals),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    // A query 5 bits from a stored hash: exactly one match at distance 5.
    auto h = *Hash256::FromHex(sigs[sigs.size() / 2].value);
    for (int i = 0; i < 5; ++i) h.w[0] ^= uint64_t{1} << (i * 7);
    near_hash = h.ToHex();
  }
  auto st = store::OpenStore(db);
  server::ServiceOptions so;
  so.rate_limit_per_second = 0;  // measuring the server, not the limiter
  auto t0 = std::chrono::steady_clock::now();
  auto service = server::Service::Create(std::move(*st), so);
  if (!service.ok()) return std::fprintf(stderr, "%s\n", service.status().ToString().c_str()), 1;
  std::printf("server: loaded the match index in %.2f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  server::HttpServerOptions ho;
  ho.port = 0;
  ho.threads = a.threads;
  server::HttpServer srv(**service, ho);
  if (!srv.Start().ok()) return 1;
  std::string base = "http://127.0.0.1:" + std::to_string(srv.port());
  std::string auth = "wrk.headers[\"Authorization\"] = \"Bearer " + token + "\"\n";
  std::string jpeg = Jpeg1MP();
  std::printf("machine: %u cores; server threads %u; wrk -t1 -c%d -d%ds on the same machine\n",
              std::thread::hardware_concurrency(),
              a.threads ? a.threads : std::thread::hardware_concurrency(), a.connections,
              a.seconds);
  std::printf("1 MP JPEG: %zu bytes\n\n", jpeg.size());

  struct Case {
    const char* name;
    std::string path, lua;
  };
  std::vector<Case> cases = {
      {"healthz (no auth)", "/healthz", ""},
      {"trivial JSON (whoami)", "/api/v1/whoami", auth},
      {"match-by-hash", "/api/v1/match",
       auth + "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n" +
           "wrk.body = '{\"signals\":[{\"type\":\"pdq\",\"value\":\"" + near_hash + "\"}]}'\n"},
      {"hash-and-match 1MP JPEG", "/api/v1/hash-and-match",
       auth + "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"image/jpeg\"\nwrk.body = " +
           LuaString(jpeg) + "\n"},
  };
  std::printf("%-26s %12s %10s %10s %10s\n", "route", "requests/s", "p50 ms", "p99 ms",
              "vs trivial");
  std::vector<WrkResult> results;
  double trivial = 0;
  for (const auto& c : cases) {
    results.push_back(RunWrk(a, base + c.path, c.lua));
    if (std::string(c.name).rfind("trivial", 0) == 0) trivial = results.back().rps;
  }
  for (size_t i = 0; i < cases.size(); ++i) {
    const WrkResult& r = results[i];
    std::printf("%-26s %12.0f %10.2f %10.2f %9.1f%%%s\n", cases[i].name, r.rps, r.p50_ms, r.p99_ms,
                trivial > 0 ? 100.0 * r.rps / trivial : 0.0, r.ok ? "" : "  (errors)");
  }
  std::fflush(stdout);

  // Memory per idle keep-alive connection: RSS of this process (the server; client sockets
  // are kernel memory) before and after opening them.
  namespace net = boost::asio;
  net::io_context ioc;
  std::vector<net::ip::tcp::socket> idle;
  int64_t before = RssBytes();
  int64_t open_before = (*service)->transport_metrics().connections_open.load();
  for (int i = 0; i < a.idle; ++i) {
    idle.emplace_back(ioc);
    boost::system::error_code ec;
    idle.back().connect({net::ip::make_address("127.0.0.1"), srv.port()}, ec);
    if (ec) {
      idle.pop_back();
      break;
    }
  }
  for (int i = 0; i < 100 && (*service)->transport_metrics().connections_open.load() - open_before <
                                 static_cast<int64_t>(idle.size());
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  int64_t after = RssBytes();
  std::printf("\nidle connections: %zu open, server RSS +%.1f KiB in all, %.2f KiB each\n",
              idle.size(), (after - before) / 1024.0,
              idle.empty() ? 0.0 : (after - before) / 1024.0 / idle.size());
  idle.clear();
  srv.Stop();
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    long long v = std::atoll(argv[i + 1]);
    if (k == "--signals")
      a.signals = v;
    else if (k == "--seconds")
      a.seconds = static_cast<int>(v);
    else if (k == "--connections")
      a.connections = static_cast<int>(v);
    else if (k == "--threads")
      a.threads = static_cast<unsigned>(v);
    else if (k == "--idle")
      a.idle = static_cast<int>(v);
    else {
      std::fprintf(stderr,
                   "usage: server_bench [--signals N] [--seconds S] [--connections C] "
                   "[--threads T] [--idle K]\n");
      return 2;
    }
  }
  return Run(a);
}
