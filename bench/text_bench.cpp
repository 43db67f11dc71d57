// Text signal throughput, single thread: normalisation (NFKC casefold + Arabic folding),
// the confusable skeleton, MinHash, the whole signal (with CLD2), indicator matching with
// a 10,000-keyword list, and near-duplicate lookups with the LSH index against a scan of
// every fingerprint (the plain reference). Synthetic, benign texts in Latin, Arabic and
// Cyrillic script. Prints medians of several rounds; run it via scripts/run-bench.sh.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "text/indicators.h"
#include "text/minhash.h"
#include "text/normalize.h"
#include "text/signal.h"

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

const std::vector<std::vector<std::string>>& Vocabularies() {
  static const std::vector<std::vector<std::string>> v = {
      {"river",  "garden",  "lamp",     "window", "orange", "bicycle", "music",
       "harbor", "pencil",  "cloud",    "market", "bridge", "kettle",  "meadow",
       "violin", "lantern", "mountain", "bread",  "ticket", "library", "sunrise",
       "puzzle", "carpet",  "forest",   "Café",   "Straße"},
      {"نهر",   "حديقة", "مِصْبَاح", "نافذة", "برتقال", "دراجة", "موسيقى", "ميناء", "قلم",
       "سحابة", "سوق",   "جسر",   "إبريق", "مرج",    "كمان",  "فانوس",  "جبل",   "خبز",
       "تذكرة", "مكتبة", "شروق",  "أحجية", "سجادة",  "غابة",  "مدرســة"},
      {"река",     "сад",    "лампа", "окно",       "апельсин", "велосипед",   "музыка",  "гавань",
       "карандаш", "облако", "рынок", "мост",       "чайник",   "луг",         "скрипка", "фонарь",
       "гора",     "хлеб",   "билет", "библиотека", "рассвет",  "головоломка", "ковёр",   "лес"}};
  return v;
}

std::string RandomText(std::mt19937& rng, int words) {
  const auto& vocab = Vocabularies()[rng() % Vocabularies().size()];
  std::string s;
  for (int i = 0; i < words; ++i) {
    if (i) s += (rng() % 8 == 0) ? ", " : " ";
    s += vocab[rng() % vocab.size()];
  }
  return s + ".";
}

template <typename F>
double TextsPerSecond(const std::vector<std::string>& texts, int rounds, F&& fn) {
  std::vector<double> rates;
  for (int r = 0; r < rounds; ++r) {
    const auto t0 = Clock::now();
    for (const auto& t : texts) fn(t);
    rates.push_back(texts.size() / std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return Median(rates);
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 5000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  std::mt19937 rng(1);
  std::vector<std::string> texts;
  size_t bytes = 0;
  for (int i = 0; i < n; ++i) {
    texts.push_back(RandomText(rng, 20 + static_cast<int>(rng() % 40)));
    bytes += texts.back().size();
  }
  std::printf("texts: %d synthetic posts, mean %zu bytes, Latin/Arabic/Cyrillic\n", n, bytes / n);
  std::vector<std::string> forms;
  for (const auto& t : texts) forms.push_back(*vigil::text::MatchingForm(t));

  std::printf("%-40s %12s\n", "stage (single thread)", "texts/s");
  std::printf("%-40s %12.0f\n", "NormalizeText",
              TextsPerSecond(texts, rounds,
                             [](const std::string& t) { (void)vigil::text::NormalizeText(t); }));
  std::printf("%-40s %12.0f\n", "MatchingForm (normalise + skeleton)",
              TextsPerSecond(texts, rounds,
                             [](const std::string& t) { (void)vigil::text::MatchingForm(t); }));
  std::printf("%-40s %12.0f\n", "ComputeMinHash (on the matching form)",
              TextsPerSecond(forms, rounds,
                             [](const std::string& t) { (void)vigil::text::ComputeMinHash(t); }));
  std::printf(
      "%-40s %12.0f\n", "ComputeMinHashReference (plain)",
      TextsPerSecond(std::vector<std::string>(forms.begin(), forms.begin() + n / 10), rounds,
                     [](const std::string& t) { (void)vigil::text::ComputeMinHashReference(t); }));
  std::printf("%-40s %12.0f\n", "ComputeTextSignal (all + CLD2)",
              TextsPerSecond(texts, rounds, [](const std::string& t) {
                (void)vigil::text::ComputeTextSignal(t);
              }));

  // Indicator list: 10,000 keywords drawn from the vocabularies (pairs of words).
  std::string list;
  for (int i = 0; i < 10000; ++i) {
    const auto& vocab = Vocabularies()[i % 3];
    list += "word\tk" + std::to_string(i) + "\t" + vocab[rng() % vocab.size()] + " " +
            vocab[rng() % vocab.size()] + "\n";
  }
  auto parsed_t0 = Clock::now();
  auto indicators = vigil::text::IndicatorList::Parse(list);
  const double parse_s = std::chrono::duration<double>(Clock::now() - parsed_t0).count();
  if (!indicators.ok()) {
    std::fprintf(stderr, "indicator list: %s\n", indicators.status().ToString().c_str());
    return 1;
  }
  std::printf(
      "%-40s %12.0f   (parse of the list: %.0f ms)\n", "indicators: Match, 10k keywords",
      TextsPerSecond(texts, rounds, [&](const std::string& t) { (void)indicators->Match(t); }),
      parse_s * 1000);

  // Index: every text plus near-duplicates; queries by LSH and by a full scan.
  vigil::text::TextIndex index;
  std::vector<vigil::text::MinHash> hashes;
  for (const auto& f : forms) hashes.push_back(*vigil::text::ComputeMinHash(f));
  const int copies = 20;
  const auto add_t0 = Clock::now();
  for (int c = 0; c < copies; ++c) {
    for (size_t i = 0; i < hashes.size(); ++i) {
      vigil::text::MinHash h = hashes[i];
      // Perturb copies so they are distinct entries (a few positions differ).
      for (int j = 0; j < 4; ++j) h.values[(c * 7 + j * 31) % vigil::text::kMinHashSize] ^= c + 1;
      index.Add(c * hashes.size() + i, h);
    }
  }
  const double add_s = std::chrono::duration<double>(Clock::now() - add_t0).count();
  const int queries = 200;
  std::vector<double> lsh_t, scan_t;
  size_t agree = 0, total = 0;
  for (int r = 0; r < 3; ++r) {
    auto t0 = Clock::now();
    for (int q = 0; q < queries; ++q) total += index.Query(hashes[q * 7 % hashes.size()]).size();
    lsh_t.push_back(std::chrono::duration<double>(Clock::now() - t0).count() / queries);
    t0 = Clock::now();
    for (int q = 0; q < queries; ++q)
      agree += index.QueryBruteForce(hashes[q * 7 % hashes.size()]).size();
    scan_t.push_back(std::chrono::duration<double>(Clock::now() - t0).count() / queries);
  }
  std::printf(
      "index: %zu entries (added in %.2f s); query median %.1f us (LSH) vs %.1f us "
      "(scan) = %.0fx; results LSH/scan %zu/%zu\n",
      index.size(), add_s, Median(lsh_t) * 1e6, Median(scan_t) * 1e6,
      Median(scan_t) / Median(lsh_t), total, agree);
  return 0;
}
