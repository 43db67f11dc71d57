// Audio fingerprint time per item, single thread: decode (FFmpeg) + resample + Chromaprint
// for a 3-minute synthetic recording as WAV and, when the ffmpeg tool is installed, as MP3
// and AAC; and comparison time by BER with alignment (a 20 s cut against 3 min and against
// 1 h). Prints medians of several rounds and the real-time factor (audio seconds per CPU
// second); run it via scripts/run-bench.sh.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "audio/audio.h"
#include "core/file.h"

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
constexpr int kRate = 44100;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// A synthetic melody (stereo WAV bytes): random pentatonic notes with harmonics.
std::vector<uint8_t> MelodyWav(uint32_t seed, double seconds) {
  std::mt19937 rng(seed);
  const double scale[] = {0, 2, 4, 7, 9, 12, 14, 16, 19, 21};
  const size_t n = static_cast<size_t>(seconds * kRate);
  std::vector<uint8_t> w;
  auto u32 = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i) w.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  auto u16 = [&](uint16_t v) {
    w.push_back(static_cast<uint8_t>(v));
    w.push_back(static_cast<uint8_t>(v >> 8));
  };
  auto tag = [&](const char* t) { w.insert(w.end(), t, t + 4); };
  const uint32_t data = static_cast<uint32_t>(n * 4);
  tag("RIFF");
  u32(36 + data);
  tag("WAVE");
  tag("fmt ");
  u32(16);
  u16(1);
  u16(2);
  u32(kRate);
  u32(kRate * 4);
  u16(4);
  u16(16);
  tag("data");
  u32(data);
  double t0 = 0, dur = 0, freq = 0;
  for (size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / kRate;
    if (t >= t0 + dur) {
      t0 = t;
      dur = 0.2 + 0.3 * (rng() % 1000) / 1000.0;
      freq = 220.0 * std::pow(2.0, scale[rng() % 10] / 12.0);
    }
    const double u = t - t0;
    const double v = 0.6 * std::min(1.0, u / 0.02) * std::exp(-2.0 * u) *
                     (0.5 * std::sin(2 * M_PI * freq * u) + 0.25 * std::sin(4 * M_PI * freq * u));
    const auto s = static_cast<uint16_t>(static_cast<int16_t>(v * 32000));
    u16(s);
    u16(s);
  }
  return w;
}

void Fingerprint(const char* name, const std::vector<uint8_t>& bytes, double seconds, int rounds) {
  std::vector<double> t;
  size_t items = 0;
  for (int r = 0; r < rounds; ++r) {
    const auto t0 = Clock::now();
    auto fp = vigil::audio::FingerprintAudio(bytes);
    t.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    if (!fp.ok()) {
      std::printf("%-28s error: %s\n", name, fp.status().ToString().c_str());
      return;
    }
    items = fp->raw.size();
  }
  const double m = Median(t);
  std::printf("%-28s %8.1f ms per item   %6.0fx real time   (%zu fingerprint values)\n", name,
              m * 1000, seconds / m, items);
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 5;
  const double seconds = 180;
  const auto wav = MelodyWav(1, seconds);
  std::printf("item: a %.0f s synthetic stereo melody, 44.1 kHz\n", seconds);
  Fingerprint("WAV (PCM)", wav, seconds, rounds);

  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("vigil-audio-bench-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string in = (dir / "in.wav").string();
  (void)vigil::WriteFileAtomic(in, wav.data(), wav.size());
  for (const char* ext : {"mp3", "m4a", "opus"}) {
    const std::string out = (dir / (std::string("out.") + ext)).string();
    const std::string cmd =
        "ffmpeg -nostdin -hide_banner -loglevel error -y -i '" + in + "' '" + out + "' 2>/dev/null";
    if (std::system(cmd.c_str()) != 0) {
      std::printf("%-28s skipped (no ffmpeg tool)\n", ext);
      continue;
    }
    auto bytes = vigil::ReadFileBytes(out, 1 << 30);
    if (bytes.ok()) Fingerprint(ext, *bytes, seconds, rounds);
  }
  fs::remove_all(dir);

  // Comparison cost: a 20 s cut slid over 3 min and over 1 h of fingerprint.
  std::mt19937 rng(2);
  auto random_fp = [&](double secs) {
    std::vector<uint32_t> v(static_cast<size_t>(secs / vigil::audio::kItemSeconds));
    for (auto& x : v) x = rng();
    return v;
  };
  for (double long_secs : {180.0, 3600.0}) {
    const auto a = random_fp(long_secs);
    const auto b = random_fp(20);
    std::vector<double> t;
    for (int r = 0; r < rounds; ++r) {
      const auto t0 = Clock::now();
      volatile bool m = vigil::audio::CompareFingerprints(a, b).match;
      (void)m;
      t.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
    std::printf("compare 20 s cut vs %4.0f s    %8.2f ms\n", long_secs, Median(t) * 1000);
  }
  return 0;
}
