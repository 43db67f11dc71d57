// OCR time per item, single thread, on the generated test images (src/ocr/testdata: three
// lines of benign text each, 900 px wide, in nine languages): script detection plus
// recognition with a warm engine (models loaded), and the one-off cost of loading each
// script's models. Prints medians of several rounds; run it via scripts/run-bench.sh.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "core/file.h"
#include "ocr/ocr.h"

namespace {

// Process CPU time, not wall time: the numbers hold on a busy machine (the build machine
// is shared), and every measured path is single-threaded.
struct CpuClock {
  using duration = std::chrono::nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<CpuClock>;
  static constexpr bool is_steady = true;
  static time_point now() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return time_point(duration(static_cast<rep>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec));
  }
};
using Clock = CpuClock;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "src/ocr/testdata";
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  auto engine = vigil::ocr::OcrEngine::Create();
  if (!engine.ok()) {
    std::fprintf(stderr, "ocr: %s\n", engine.status().ToString().c_str());
    return 1;
  }
  std::printf("%-10s %-9s %-6s %-20s %10s %10s\n", "image", "script", "via", "models", "first ms",
              "warm ms");
  std::vector<double> all;
  for (const char* lang : {"en", "fr", "de", "it", "tr", "ru", "ar", "fa", "ur"}) {
    const std::string path = dir + "/text-" + lang + ".png";
    auto bytes = vigil::ReadFileBytes(path, 1 << 24);
    if (!bytes.ok()) {
      std::fprintf(stderr, "%s: %s\n", path.c_str(), bytes.status().ToString().c_str());
      return 1;
    }
    std::vector<double> t;
    double first = 0;
    vigil::ocr::OcrResult last;
    for (int r = 0; r <= rounds; ++r) {
      const auto t0 = Clock::now();
      auto res = (*engine)->RecognizeFile(*bytes);
      const double s = std::chrono::duration<double>(Clock::now() - t0).count();
      if (!res.ok()) {
        std::fprintf(stderr, "%s: %s\n", path.c_str(), res.status().ToString().c_str());
        return 1;
      }
      last = *res;
      if (r == 0) {
        first = s;  // includes loading the script's models the first time they are used
      } else {
        t.push_back(s);
      }
    }
    all.push_back(Median(t));
    std::printf("%-10s %-9s %-6s %-20s %10.0f %10.0f\n", lang, last.script.c_str(),
                last.script_source.c_str(), last.languages.c_str(), first * 1000, Median(t) * 1000);
  }
  std::printf("median warm OCR time per image: %.0f ms\n", Median(all) * 1000);
  return 0;
}
