// Video hashing throughput on the shared clips, single thread: decode only, vPDQ of every
// frame, vPDQ at one frame per second (scanning), and TMK+PDQF. Files are read into memory
// first; each figure is the median of several rounds, in process CPU time. Run it via
// scripts/run-bench.sh.
//
// Real-time factor = video duration / CPU time (goal in issue 9: >= 20x per core for vPDQ
// at 1 frame per second). The baseline, printed by run-bench.sh beside this table, is the
// ffmpeg CLI producing the 64x64 15 fps RGB stream that Meta's tmk-hash-video reads.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/file.h"
#include "video/decoder.h"
#include "video/tmk.h"
#include "video/vpdq.h"

namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Process CPU seconds (all threads): on a shared build machine wall time mostly measures
// the neighbours, CPU time measures the work.
double CpuNow() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

template <typename F>
double TimeIt(int rounds, F&& f) {
  std::vector<double> t;
  for (int r = 0; r < rounds; ++r) {
    const double t0 = CpuNow();
    f();
    t.push_back(CpuNow() - t0);
  }
  return Median(t);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace vigil;
  using namespace vigil::video;
  const std::string dir =
      (argc > 1 ? std::string(argv[1]) : std::string("../shared/testdata")) + "/video";
  const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 3;
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".mp4") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());

  std::printf("%-34s %6s %6s | %9s | %9s %6s | %9s %6s | %9s %6s\n", "clip", "frames", "secs",
              "decode/s", "vpdq-all/s", "xRT", "vpdq-1s/s", "xRT", "tmk s", "xRT");
  double tot_frames = 0, tot_secs = 0, t_dec = 0, t_all = 0, t_1s = 0, t_tmk = 0;
  for (const auto& n : names) {
    auto bytes = ReadFileBytes(dir + "/" + n + ".mp4", kDefaultMaxVideoFileBytes);
    if (!bytes.ok()) continue;
    int64_t frames = 0;
    double duration = 0;
    const double dec = TimeIt(rounds, [&] {
      auto d = VideoDecoder::Open(*bytes);
      if (!d.ok()) return;
      frames = 0;
      (void)(*d)->ForEachFrame([&](const Frame&) {
        ++frames;
        return Status::OK();
      });
      duration = frames / (*d)->info().avg_frame_rate.ToDouble();
    });
    const double all = TimeIt(rounds, [&] {
      VpdqOptions o;
      o.seconds_per_hash = 0;
      (void)HashVpdq(*bytes, o);
    });
    const double one = TimeIt(rounds, [&] { (void)HashVpdq(*bytes); });
    const double tmk = TimeIt(rounds, [&] { (void)ComputeTmk(*bytes); });
    std::printf("%-34s %6lld %6.1f | %9.0f | %10.0f %6.1f | %9.0f %6.1f | %9.3f %6.1f\n", n.c_str(),
                static_cast<long long>(frames), duration, frames / dec, frames / all,
                duration / all, frames / one, duration / one, tmk, duration / tmk);
    tot_frames += frames;
    tot_secs += duration;
    t_dec += dec;
    t_all += all;
    t_1s += one;
    t_tmk += tmk;
  }
  std::printf("%-34s %6.0f %6.1f | %9.0f | %10.0f %6.1f | %9.0f %6.1f | %9.3f %6.1f\n", "TOTAL",
              tot_frames, tot_secs, tot_frames / t_dec, tot_frames / t_all, tot_secs / t_all,
              tot_frames / t_1s, tot_secs / t_1s, t_tmk, tot_secs / t_tmk);
  std::printf(
      "(figures per second of process CPU time, all threads; frames/s count decoded "
      "source frames; xRT = video seconds per CPU second)\n");
  return 0;
}
