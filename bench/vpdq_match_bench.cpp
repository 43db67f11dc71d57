// vPDQ bank search latency (issue 9): one video query against a bank of N frames, through
// the exact MIH index (match::MakeMihFrameSearcher, what match::Matcher uses) and through
// the brute-force FrameSearcher (video::MakeBruteForceFrameSearcher), checking that both
// give the same matches.
//
//   vpdq_match_bench [FRAMES=100000] [FRAMES_PER_VIDEO=100] [QUERIES=20]
//
// Bank: synthetic videos whose frames come in shots (a shot's frames are within a few bits
// of each other, as consecutive PDQs of real video are); queries: copies of stored videos
// with a tenth of the frames cut, each frame perturbed by up to 23 bits, plus unrelated
// frames. Every frame has quality >= 50 so all of them are searched.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "match/media_index.h"
#include "video/vpdq.h"

namespace {

using vigil::Hash256;
using vigil::video::VpdqFrame;

Hash256 RandomHash(std::mt19937_64& rng) {
  Hash256 h;
  for (auto& w : h.w) w = rng();
  return h;
}

Hash256 Flip(Hash256 h, int bits, std::mt19937_64& rng) {
  for (int i = 0; i < bits; ++i) {
    const int b = static_cast<int>(rng() % 256);
    h.w[b / 64] ^= uint64_t{1} << (b % 64);
  }
  return h;
}

double Seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

int main(int argc, char** argv) {
  const long frames = argc > 1 ? std::atol(argv[1]) : 100000;
  const long per_video = argc > 2 ? std::atol(argv[2]) : 100;
  const int queries = argc > 3 ? std::atoi(argv[3]) : 20;
  const long videos = std::max(1L, frames / per_video);
  std::mt19937_64 rng(42);
  std::vector<std::vector<VpdqFrame>> bank(videos);
  for (auto& v : bank) {
    Hash256 shot = RandomHash(rng);
    for (long i = 0; i < per_video; ++i) {
      if (i % 10 == 0) shot = RandomHash(rng);  // a new shot every 10 s
      v.push_back({static_cast<int>(i), 50 + static_cast<int>(rng() % 51), Flip(shot, 12, rng),
                   static_cast<double>(i)});
    }
  }
  vigil::video::VpdqBank mih({}, vigil::match::MakeMihFrameSearcher());
  vigil::video::VpdqBank brute({}, vigil::video::MakeBruteForceFrameSearcher());
  auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < videos; ++i) (void)mih.Add(static_cast<uint64_t>(i), bank[i]);
  auto t1 = std::chrono::steady_clock::now();
  for (long i = 0; i < videos; ++i) (void)brute.Add(static_cast<uint64_t>(i), bank[i]);
  std::printf("bank: %ld videos x %ld frames = %ld frames (MIH build %.2f s)\n", videos, per_video,
              videos * per_video, Seconds(t0, t1));

  std::vector<std::vector<VpdqFrame>> qs;
  for (int q = 0; q < queries; ++q) {
    const auto& src = bank[rng() % videos];
    std::vector<VpdqFrame> v;
    for (const auto& f : src) {
      if (rng() % 10 == 0) continue;
      auto c = f;
      c.hash = Flip(f.hash, static_cast<int>(rng() % 24), rng);
      v.push_back(c);
    }
    for (int k = 0; k < 10; ++k) v.push_back({1000 + k, 90, RandomHash(rng), 0});
    qs.push_back(std::move(v));
  }
  double t_mih = 0, t_brute = 0;
  size_t found = 0, differ = 0;
  for (const auto& q : qs) {
    auto a = std::chrono::steady_clock::now();
    auto r1 = mih.Search(q);
    auto b = std::chrono::steady_clock::now();
    auto r2 = brute.Search(q);
    auto c = std::chrono::steady_clock::now();
    t_mih += Seconds(a, b);
    t_brute += Seconds(b, c);
    found += r1.size();
    bool same = r1.size() == r2.size();
    for (size_t i = 0; same && i < r1.size(); ++i) {
      same = r1[i].video_id == r2[i].video_id &&
             r1[i].result.compared_match_percent == r2[i].result.compared_match_percent &&
             r1[i].result.query_match_percent == r2[i].result.query_match_percent;
    }
    differ += !same;
  }
  std::printf("query: %zu frames avg; %d queries; %zu matches; %zu queries differ\n",
              qs.empty() ? 0 : qs[0].size(), queries, found, differ);
  std::printf("MIH index:   %.3f ms per video query\n", 1000 * t_mih / queries);
  std::printf("brute force: %.3f ms per video query\n", 1000 * t_brute / queries);
  std::printf("speed-up:    %.1fx\n", t_brute / std::max(t_mih, 1e-12));
  return differ ? 1 : 0;
}
