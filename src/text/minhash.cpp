#include "text/minhash.h"

#include <unicode/utf8.h>

#include <algorithm>
#include <set>

namespace vigil::text {
namespace {

// Odd multipliers and offsets of the multiply-shift hash family, from a fixed SplitMix64
// stream: fingerprints must be the same on every machine and in every version, so these
// never change.
struct HashFamily {
  std::array<uint64_t, kMinHashSize> a{};
  std::array<uint64_t, kMinHashSize> b{};
  HashFamily() {
    uint64_t state = 0x766967696c746578ULL;  // "vigiltex"
    auto next = [&state] {
      uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      return z ^ (z >> 31);
    };
    for (int i = 0; i < kMinHashSize; ++i) {
      a[i] = next() | 1;
      b[i] = next();
    }
  }
};

const HashFamily& Family() {
  static const HashFamily f;
  return f;
}

uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 33)) * 0xff51afd7ed558ccdULL;
  z = (z ^ (z >> 33)) * 0xc4ceb9fe1a85ec53ULL;
  return z ^ (z >> 33);
}

// 64-bit hash of a shingle of code points (order-sensitive).
uint64_t ShingleHash(const UChar32* cps, int n) {
  uint64_t h = 0x9ae16a3b2f90404fULL;
  for (int i = 0; i < n; ++i) h = Mix64(h ^ static_cast<uint32_t>(cps[i])) + 0x9e3779b97f4a7c15ULL;
  return Mix64(h ^ static_cast<uint64_t>(n));
}

uint32_t Permute(uint64_t x, int i) {
  const HashFamily& f = Family();
  return static_cast<uint32_t>((f.a[i] * x + f.b[i]) >> 32);
}

Result<std::vector<UChar32>> CodePoints(std::string_view s) {
  std::vector<UChar32> cps;
  cps.reserve(s.size());
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const int32_t n = static_cast<int32_t>(std::min<size_t>(s.size(), INT32_MAX));
  if (s.size() > static_cast<size_t>(n)) return Status::ResourceExhausted("text too large");
  for (int32_t i = 0; i < n;) {
    UChar32 c;
    U8_NEXT(p, i, n, c);
    if (c < 0) return Status::InvalidArgument("text is not valid UTF-8");
    cps.push_back(c);
  }
  if (cps.empty())
    return Status::InvalidArgument("no text to fingerprint (empty after normalisation)");
  return cps;
}

}  // namespace

Result<MinHash> ComputeMinHash(std::string_view matching_form) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<UChar32> cps, CodePoints(matching_form));
  const HashFamily& f = Family();
  MinHash m;
  m.values.fill(UINT32_MAX);
  const int n = static_cast<int>(cps.size());
  const int k = std::min(n, kShingleLength);
  // A repeated shingle cannot lower a minimum, so duplicates need no set.
  for (int start = 0; start + k <= n; ++start) {
    const uint64_t x = ShingleHash(cps.data() + start, k);
    for (int i = 0; i < kMinHashSize; ++i) {
      const uint32_t h = static_cast<uint32_t>((f.a[i] * x + f.b[i]) >> 32);
      m.values[i] = std::min(m.values[i], h);
    }
  }
  return m;
}

Result<MinHash> ComputeMinHashReference(std::string_view matching_form) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<UChar32> cps, CodePoints(matching_form));
  std::set<std::vector<UChar32>> shingles;
  const size_t k = std::min<size_t>(cps.size(), kShingleLength);
  for (size_t start = 0; start + k <= cps.size(); ++start) {
    shingles.emplace(cps.begin() + start, cps.begin() + start + k);
  }
  MinHash m;
  for (int i = 0; i < kMinHashSize; ++i) {
    uint32_t best = UINT32_MAX;
    for (const auto& s : shingles) {
      best = std::min(best, Permute(ShingleHash(s.data(), static_cast<int>(s.size())), i));
    }
    m.values[i] = best;
  }
  return m;
}

double Similarity(const MinHash& a, const MinHash& b) {
  int same = 0;
  for (int i = 0; i < kMinHashSize; ++i) same += a.values[i] == b.values[i];
  return static_cast<double>(same) / kMinHashSize;
}

std::string MinHashToHex(const MinHash& m) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(kMinHashSize * 8);
  for (uint32_t v : m.values) {
    for (int shift = 28; shift >= 0; shift -= 4) out.push_back(kDigits[(v >> shift) & 0xf]);
  }
  return out;
}

Result<MinHash> MinHashFromHex(std::string_view hex) {
  if (hex.size() != kMinHashSize * 8) {
    return Status::InvalidArgument("text fingerprint must be " + std::to_string(kMinHashSize * 8) +
                                   " hex digits, got " + std::to_string(hex.size()));
  }
  MinHash m;
  for (int i = 0; i < kMinHashSize; ++i) {
    uint32_t v = 0;
    for (int j = 0; j < 8; ++j) {
      const char c = hex[i * 8 + j];
      int d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        d = c - 'A' + 10;
      } else {
        return Status::InvalidArgument("text fingerprint has a non-hex character");
      }
      v = (v << 4) | static_cast<uint32_t>(d);
    }
    m.values[i] = v;
  }
  return m;
}

namespace {

uint64_t BandKey(const MinHash& m, int band) {
  uint64_t h = Mix64(static_cast<uint64_t>(band) + 1);
  for (int r = 0; r < kLshRows; ++r) h = Mix64(h ^ m.values[band * kLshRows + r]);
  return h;
}

void SortAndTrim(std::vector<TextMatch>& out, size_t max_results) {
  std::sort(out.begin(), out.end(), [](const TextMatch& x, const TextMatch& y) {
    return x.similarity != y.similarity ? x.similarity > y.similarity : x.id < y.id;
  });
  if (out.size() > max_results) out.resize(max_results);
}

}  // namespace

void TextIndex::Add(uint64_t id, const MinHash& m) {
  const auto pos = static_cast<uint32_t>(entries_.size());
  entries_.push_back({id, m});
  for (int b = 0; b < kLshBands; ++b) bands_[b][BandKey(m, b)].push_back(pos);
}

std::vector<TextMatch> TextIndex::Query(const MinHash& query, double min_similarity,
                                        size_t max_results) const {
  std::vector<uint32_t> candidates;
  for (int b = 0; b < kLshBands; ++b) {
    auto it = bands_[b].find(BandKey(query, b));
    if (it != bands_[b].end())
      candidates.insert(candidates.end(), it->second.begin(), it->second.end());
  }
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  std::vector<TextMatch> out;
  for (uint32_t pos : candidates) {
    const double s = Similarity(query, entries_[pos].hash);
    if (s >= min_similarity) out.push_back({entries_[pos].id, s});
  }
  SortAndTrim(out, max_results);
  return out;
}

std::vector<TextMatch> TextIndex::QueryBruteForce(const MinHash& query, double min_similarity,
                                                  size_t max_results) const {
  std::vector<TextMatch> out;
  for (const Entry& e : entries_) {
    const double s = Similarity(query, e.hash);
    if (s >= min_similarity) out.push_back({e.id, s});
  }
  SortAndTrim(out, max_results);
  return out;
}

}  // namespace vigil::text
