#include "index/kernels.h"

// GCC 12 warns inside its own AVX-512 headers (the _mm512_undefined_* pass-through
// operands) when they are inlined into target-attributed functions; the warning is about
// the header, not this file.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#else
#include <immintrin.h>
#endif

#include <algorithm>
#include <bit>

#include "core/cpu.h"

namespace vigil::index::internal {
namespace {

// A tile of 128 blocks (1024 hashes, 32 KiB) stays in L1 while every query streams past
// it, so the scan is bound by popcount throughput rather than memory bandwidth.
constexpr size_t kTileBlocks = 128;

inline int Clamp(int radius) { return radius > 256 ? 256 : radius; }

// ---------------------------------------------------------------- scalar

void ScanBlocksScalar(const Block8* blocks, size_t n, const Hash256* queries, size_t nq, int radius,
                      uint32_t query_base, std::vector<Hit>* out) {
  const size_t nblocks = (n + 7) / 8;
  for (size_t b0 = 0; b0 < nblocks; b0 += kTileBlocks) {
    const size_t b1 = std::min(nblocks, b0 + kTileBlocks);
    for (size_t q = 0; q < nq; ++q) {
      const Hash256& qh = queries[q];
      for (size_t b = b0; b < b1; ++b) {
        const Block8& blk = blocks[b];
        for (int lane = 0; lane < 8; ++lane) {
          int d = std::popcount(blk.w[0][lane] ^ qh.w[0]) +
                  std::popcount(blk.w[1][lane] ^ qh.w[1]) +
                  std::popcount(blk.w[2][lane] ^ qh.w[2]) + std::popcount(blk.w[3][lane] ^ qh.w[3]);
          size_t pos = b * 8 + lane;
          if (d <= radius && pos < n) {
            out->push_back({static_cast<uint32_t>(query_base + q), static_cast<uint32_t>(pos),
                            static_cast<uint32_t>(d)});
          }
        }
      }
    }
  }
}

void BlockDistancesScalar(const Block8* blocks, size_t n, const Hash256& q, uint16_t* dist) {
  for (size_t pos = 0; pos < n; ++pos) {
    const Block8& blk = blocks[pos / 8];
    size_t lane = pos % 8;
    dist[pos] = static_cast<uint16_t>(
        std::popcount(blk.w[0][lane] ^ q.w[0]) + std::popcount(blk.w[1][lane] ^ q.w[1]) +
        std::popcount(blk.w[2][lane] ^ q.w[2]) + std::popcount(blk.w[3][lane] ^ q.w[3]));
  }
}

void ScanHashesScalar(const Hash256* hashes, size_t n, const Hash256& q, int radius,
                      uint32_t pos_base, std::vector<PosDist>* out) {
  for (size_t j = 0; j < n; ++j) {
    int d = HammingDistance(hashes[j], q);
    if (d <= radius)
      out->push_back({static_cast<uint32_t>(pos_base + j), static_cast<uint32_t>(d)});
  }
}

size_t FilterEntriesScalar(const uint32_t* e, size_t n, int pos_bits, uint32_t qrem, int allowed,
                           uint32_t* out) {
  const uint32_t pos_mask = pos_bits >= 32 ? ~0u : (1u << pos_bits) - 1;
  size_t k = 0;
  for (size_t i = 0; i < n; ++i) {
    uint32_t rem = pos_bits >= 32 ? 0 : e[i] >> pos_bits;
    out[k] = e[i] & pos_mask;
    k += std::popcount(rem ^ qrem) <= allowed;
  }
  return k;
}

// ---------------------------------------------------------------- AVX2

#define VIGIL_AVX2 __attribute__((target("avx2,popcnt")))

VIGIL_AVX2 inline __m256i PopcountBytes(__m256i v) {
  const __m256i lookup = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1,
                                          2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i low = _mm256_set1_epi8(0x0f);
  __m256i lo = _mm256_and_si256(v, low);
  __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
  return _mm256_add_epi8(_mm256_shuffle_epi8(lookup, lo), _mm256_shuffle_epi8(lookup, hi));
}

// Distances of four hashes (one half of a block) to the query, as four 64-bit lanes.
VIGIL_AVX2 inline __m256i HalfBlockDistances(const Block8& blk, int half, const __m256i* qv) {
  __m256i acc = PopcountBytes(_mm256_xor_si256(
      _mm256_load_si256(reinterpret_cast<const __m256i*>(&blk.w[0][half * 4])), qv[0]));
  for (int k = 1; k < 4; ++k) {
    // Byte counts are at most 8 per word, 32 over four words: no overflow before the sum.
    acc = _mm256_add_epi8(
        acc, PopcountBytes(_mm256_xor_si256(
                 _mm256_load_si256(reinterpret_cast<const __m256i*>(&blk.w[k][half * 4])), qv[k])));
  }
  return _mm256_sad_epu8(acc, _mm256_setzero_si256());
}

VIGIL_AVX2 void ScanBlocksAvx2(const Block8* blocks, size_t n, const Hash256* queries, size_t nq,
                               int radius, uint32_t query_base, std::vector<Hit>* out) {
  const size_t nblocks = (n + 7) / 8;
  const __m256i rad = _mm256_set1_epi64x(radius);
  for (size_t b0 = 0; b0 < nblocks; b0 += kTileBlocks) {
    const size_t b1 = std::min(nblocks, b0 + kTileBlocks);
    for (size_t q = 0; q < nq; ++q) {
      __m256i qv[4];
      for (int k = 0; k < 4; ++k) qv[k] = _mm256_set1_epi64x(static_cast<int64_t>(queries[q].w[k]));
      for (size_t b = b0; b < b1; ++b) {
        for (int half = 0; half < 2; ++half) {
          __m256i d = HalfBlockDistances(blocks[b], half, qv);
          int over = _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(d, rad)));
          int within = ~over & 0xf;
          if (!within) continue;
          alignas(32) uint64_t ds[4];
          _mm256_store_si256(reinterpret_cast<__m256i*>(ds), d);
          while (within) {
            int lane = std::countr_zero(static_cast<unsigned>(within));
            within &= within - 1;
            size_t pos = b * 8 + half * 4 + lane;
            if (pos < n) {
              out->push_back({static_cast<uint32_t>(query_base + q), static_cast<uint32_t>(pos),
                              static_cast<uint32_t>(ds[lane])});
            }
          }
        }
      }
    }
  }
}

VIGIL_AVX2 void BlockDistancesAvx2(const Block8* blocks, size_t n, const Hash256& q,
                                   uint16_t* dist) {
  __m256i qv[4];
  for (int k = 0; k < 4; ++k) qv[k] = _mm256_set1_epi64x(static_cast<int64_t>(q.w[k]));
  const size_t nblocks = (n + 7) / 8;
  for (size_t b = 0; b < nblocks; ++b) {
    alignas(32) uint64_t ds[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(ds), HalfBlockDistances(blocks[b], 0, qv));
    _mm256_store_si256(reinterpret_cast<__m256i*>(ds + 4), HalfBlockDistances(blocks[b], 1, qv));
    for (size_t lane = 0; lane < 8 && b * 8 + lane < n; ++lane)
      dist[b * 8 + lane] = static_cast<uint16_t>(ds[lane]);
  }
}

VIGIL_AVX2 void ScanHashesAvx2(const Hash256* hashes, size_t n, const Hash256& q, int radius,
                               uint32_t pos_base, std::vector<PosDist>* out) {
  const __m256i qv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q.w.data()));
  for (size_t j = 0; j < n; ++j) {
    __m256i x = _mm256_xor_si256(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(hashes[j].w.data())), qv);
    __m256i s = _mm256_sad_epu8(PopcountBytes(x), _mm256_setzero_si256());
    int d = static_cast<int>(_mm256_extract_epi64(s, 0) + _mm256_extract_epi64(s, 1) +
                             _mm256_extract_epi64(s, 2) + _mm256_extract_epi64(s, 3));
    if (d <= radius)
      out->push_back({static_cast<uint32_t>(pos_base + j), static_cast<uint32_t>(d)});
  }
}

VIGIL_AVX2 size_t FilterEntriesAvx2(const uint32_t* e, size_t n, int pos_bits, uint32_t qrem,
                                    int allowed, uint32_t* out) {
  // The remainders are short (at most 23 bits); the scalar popcnt loop is branch-free and
  // AVX2 has no compress, so this level reuses it with the popcnt instruction enabled.
  const uint32_t pos_mask = (1u << pos_bits) - 1;
  size_t k = 0;
  for (size_t i = 0; i < n; ++i) {
    out[k] = e[i] & pos_mask;
    k += std::popcount((e[i] >> pos_bits) ^ qrem) <= allowed;
  }
  return k;
}

// ---------------------------------------------------------------- AVX-512 VPOPCNTDQ

#define VIGIL_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vpopcntdq,popcnt")))

VIGIL_AVX512 inline __m512i BlockDistances512(const Block8& blk, const __m512i* qv) {
  __m512i d = _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_load_si512(blk.w[0]), qv[0]));
  d = _mm512_add_epi64(d,
                       _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_load_si512(blk.w[1]), qv[1])));
  d = _mm512_add_epi64(d,
                       _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_load_si512(blk.w[2]), qv[2])));
  d = _mm512_add_epi64(d,
                       _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_load_si512(blk.w[3]), qv[3])));
  return d;
}

VIGIL_AVX512 void EmitHits(__mmask8 m, __m512i d, size_t b, size_t n, uint32_t query,
                           std::vector<Hit>* out) {
  alignas(64) uint64_t ds[8];
  _mm512_store_si512(ds, d);
  unsigned bits = m;
  while (bits) {
    int lane = std::countr_zero(bits);
    bits &= bits - 1;
    size_t pos = b * 8 + lane;
    if (pos < n)
      out->push_back({query, static_cast<uint32_t>(pos), static_cast<uint32_t>(ds[lane])});
  }
}

VIGIL_AVX512 void ScanBlocksAvx512(const Block8* blocks, size_t n, const Hash256* queries,
                                   size_t nq, int radius, uint32_t query_base,
                                   std::vector<Hit>* out) {
  const size_t nblocks = (n + 7) / 8;
  const __m512i rad = _mm512_set1_epi64(radius);
  for (size_t b0 = 0; b0 < nblocks; b0 += kTileBlocks) {
    const size_t b1 = std::min(nblocks, b0 + kTileBlocks);
    for (size_t q = 0; q < nq; ++q) {
      __m512i qv[4];
      for (int k = 0; k < 4; ++k) qv[k] = _mm512_set1_epi64(static_cast<int64_t>(queries[q].w[k]));
      size_t b = b0;
      // Two blocks per step: two independent add chains keep the popcount unit busy.
      for (; b + 2 <= b1; b += 2) {
        __m512i d0 = BlockDistances512(blocks[b], qv);
        __m512i d1 = BlockDistances512(blocks[b + 1], qv);
        __mmask8 m0 = _mm512_cmple_epu64_mask(d0, rad);
        __mmask8 m1 = _mm512_cmple_epu64_mask(d1, rad);
        if (__builtin_expect((m0 | m1) != 0, 0)) {
          if (m0) EmitHits(m0, d0, b, n, static_cast<uint32_t>(query_base + q), out);
          if (m1) EmitHits(m1, d1, b + 1, n, static_cast<uint32_t>(query_base + q), out);
        }
      }
      if (b < b1) {
        __m512i d0 = BlockDistances512(blocks[b], qv);
        __mmask8 m0 = _mm512_cmple_epu64_mask(d0, rad);
        if (m0) EmitHits(m0, d0, b, n, static_cast<uint32_t>(query_base + q), out);
      }
    }
  }
}

VIGIL_AVX512 void BlockDistancesAvx512(const Block8* blocks, size_t n, const Hash256& q,
                                       uint16_t* dist) {
  __m512i qv[4];
  for (int k = 0; k < 4; ++k) qv[k] = _mm512_set1_epi64(static_cast<int64_t>(q.w[k]));
  const size_t nblocks = (n + 7) / 8;
  for (size_t b = 0; b < nblocks; ++b) {
    __m128i d16 = _mm512_cvtepi64_epi16(BlockDistances512(blocks[b], qv));
    if (b * 8 + 8 <= n) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dist + b * 8), d16);
    } else {
      alignas(16) uint16_t tmp[8];
      _mm_store_si128(reinterpret_cast<__m128i*>(tmp), d16);
      for (size_t lane = 0; b * 8 + lane < n; ++lane) dist[b * 8 + lane] = tmp[lane];
    }
  }
}

VIGIL_AVX512 void ScanHashesAvx512(const Hash256* hashes, size_t n, const Hash256& q, int radius,
                                   uint32_t pos_base, std::vector<PosDist>* out) {
  const __m512i q2 =
      _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q.w.data())));
  const __m512i rad = _mm512_set1_epi64(radius);
  const uint64_t* base = hashes[0].w.data();
  size_t j = 0;
  // Eight hashes per step: two per register, then per-hash sums by unpack and lane shuffles.
  // The sums come out in hash order 0,2,1,3,4,6,5,7.
  static constexpr int kOrder[8] = {0, 2, 1, 3, 4, 6, 5, 7};
  for (; j + 8 <= n; j += 8) {
    const uint64_t* p = base + j * 4;
    __m512i a = _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(p), q2));
    __m512i b = _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(p + 8), q2));
    __m512i c = _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(p + 16), q2));
    __m512i d = _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(p + 24), q2));
    __m512i s1 = _mm512_add_epi64(_mm512_unpacklo_epi64(a, b), _mm512_unpackhi_epi64(a, b));
    __m512i s2 = _mm512_add_epi64(_mm512_unpacklo_epi64(c, d), _mm512_unpackhi_epi64(c, d));
    __m512i t1 = _mm512_shuffle_i64x2(s1, s2, _MM_SHUFFLE(2, 0, 2, 0));
    __m512i t2 = _mm512_shuffle_i64x2(s1, s2, _MM_SHUFFLE(3, 1, 3, 1));
    __m512i sum = _mm512_add_epi64(t1, t2);
    __mmask8 m = _mm512_cmple_epu64_mask(sum, rad);
    if (__builtin_expect(m != 0, 0)) {
      alignas(64) uint64_t ds[8];
      _mm512_store_si512(ds, sum);
      unsigned bits = m;
      while (bits) {
        int k = std::countr_zero(bits);
        bits &= bits - 1;
        out->push_back(
            {static_cast<uint32_t>(pos_base + j + kOrder[k]), static_cast<uint32_t>(ds[k])});
      }
    }
  }
  for (; j < n; ++j) {
    int dd = HammingDistance(hashes[j], q);
    if (dd <= radius)
      out->push_back({static_cast<uint32_t>(pos_base + j), static_cast<uint32_t>(dd)});
  }
}

VIGIL_AVX512 size_t FilterEntriesAvx512(const uint32_t* e, size_t n, int pos_bits, uint32_t qrem,
                                        int allowed, uint32_t* out) {
  const __m512i qr = _mm512_set1_epi32(static_cast<int>(qrem));
  const __m512i al = _mm512_set1_epi32(allowed);
  const __m512i pm = _mm512_set1_epi32(static_cast<int>((1u << pos_bits) - 1));
  const __m128i shift = _mm_cvtsi32_si128(pos_bits);
  size_t k = 0;
  for (size_t i = 0; i < n; i += 16) {
    __mmask16 live = n - i >= 16 ? __mmask16(0xffff) : __mmask16((1u << (n - i)) - 1);
    __m512i v = _mm512_maskz_loadu_epi32(live, e + i);
    __m512i d = _mm512_popcnt_epi32(_mm512_xor_si512(_mm512_srl_epi32(v, shift), qr));
    __mmask16 m = _mm512_mask_cmple_epu32_mask(live, d, al);
    _mm512_mask_compressstoreu_epi32(out + k, m, _mm512_and_si512(v, pm));
    k += std::popcount(static_cast<unsigned>(m));
  }
  return k;
}

template <typename Dist>
inline void VerifyLoop(const Hash256* hashes, const uint32_t* cands, size_t n, const Hash256& q,
                       int radius, std::vector<PosDist>* out, Dist dist) {
  constexpr size_t kAhead = 16;
  for (size_t c = 0; c < n; ++c) {
    if (c + kAhead < n) __builtin_prefetch(&hashes[cands[c + kAhead]]);
    const uint32_t pos = cands[c];
    const int d = dist(hashes[pos], q);
    if (d <= radius) out->push_back({pos, static_cast<uint32_t>(d)});
  }
}

void VerifyScalar(const Hash256* hashes, const uint32_t* cands, size_t n, const Hash256& q,
                  int radius, std::vector<PosDist>* out) {
  VerifyLoop(hashes, cands, n, q, radius, out,
             [](const Hash256& a, const Hash256& b) { return HammingDistance(a, b); });
}

__attribute__((target("popcnt"))) void VerifyPopcnt(const Hash256* hashes, const uint32_t* cands,
                                                    size_t n, const Hash256& q, int radius,
                                                    std::vector<PosDist>* out) {
  VerifyLoop(hashes, cands, n, q, radius, out, [](const Hash256& a, const Hash256& b) {
    return static_cast<int>(
        __builtin_popcountll(a.w[0] ^ b.w[0]) + __builtin_popcountll(a.w[1] ^ b.w[1]) +
        __builtin_popcountll(a.w[2] ^ b.w[2]) + __builtin_popcountll(a.w[3] ^ b.w[3]));
  });
}

}  // namespace

void VerifyCandidates(KernelLevel level, const Hash256* hashes, const uint32_t* cands, size_t n,
                      const Hash256& query, int radius, std::vector<PosDist>* out) {
  if (level == KernelLevel::kScalar) return VerifyScalar(hashes, cands, n, query, radius, out);
  return VerifyPopcnt(hashes, cands, n, query, radius, out);
}

bool LevelSupported(KernelLevel level) {
  const cpu::Features& f = cpu::Detect();
  switch (level) {
    case KernelLevel::kScalar: return true;
    case KernelLevel::kAvx2: return f.avx2 && f.popcnt;
    case KernelLevel::kAvx512: return f.avx512f && f.avx512bw && f.avx512vpopcntdq && f.popcnt;
  }
  return false;
}

KernelLevel BestLevel() {
  static const KernelLevel best = [] {
    if (LevelSupported(KernelLevel::kAvx512)) return KernelLevel::kAvx512;
    if (LevelSupported(KernelLevel::kAvx2)) return KernelLevel::kAvx2;
    return KernelLevel::kScalar;
  }();
  return best;
}

const char* LevelName(KernelLevel level) {
  switch (level) {
    case KernelLevel::kScalar: return "scalar";
    case KernelLevel::kAvx2: return "avx2";
    case KernelLevel::kAvx512: return "avx512vpopcntdq";
  }
  return "?";
}

void ScanBlocks(KernelLevel level, const Block8* blocks, size_t n, const Hash256* queries,
                size_t nq, int radius, uint32_t query_base, std::vector<Hit>* out) {
  if (radius < 0 || n == 0) return;
  radius = Clamp(radius);
  switch (level) {
    case KernelLevel::kAvx512:
      return ScanBlocksAvx512(blocks, n, queries, nq, radius, query_base, out);
    case KernelLevel::kAvx2: return ScanBlocksAvx2(blocks, n, queries, nq, radius, query_base, out);
    case KernelLevel::kScalar:
      return ScanBlocksScalar(blocks, n, queries, nq, radius, query_base, out);
  }
}

void BlockDistances(KernelLevel level, const Block8* blocks, size_t n, const Hash256& query,
                    uint16_t* dist) {
  switch (level) {
    case KernelLevel::kAvx512: return BlockDistancesAvx512(blocks, n, query, dist);
    case KernelLevel::kAvx2: return BlockDistancesAvx2(blocks, n, query, dist);
    case KernelLevel::kScalar: return BlockDistancesScalar(blocks, n, query, dist);
  }
}

void ScanHashes(KernelLevel level, const Hash256* hashes, size_t n, const Hash256& query,
                int radius, uint32_t pos_base, std::vector<PosDist>* out) {
  if (radius < 0 || n == 0) return;
  radius = Clamp(radius);
  switch (level) {
    case KernelLevel::kAvx512: return ScanHashesAvx512(hashes, n, query, radius, pos_base, out);
    case KernelLevel::kAvx2: return ScanHashesAvx2(hashes, n, query, radius, pos_base, out);
    case KernelLevel::kScalar: return ScanHashesScalar(hashes, n, query, radius, pos_base, out);
  }
}

size_t FilterEntries(KernelLevel level, const uint32_t* entries, size_t n, int pos_bits,
                     uint32_t qrem, int allowed, uint32_t* out) {
  if (allowed < 0) return 0;
  switch (level) {
    case KernelLevel::kAvx512: return FilterEntriesAvx512(entries, n, pos_bits, qrem, allowed, out);
    case KernelLevel::kAvx2: return FilterEntriesAvx2(entries, n, pos_bits, qrem, allowed, out);
    case KernelLevel::kScalar: return FilterEntriesScalar(entries, n, pos_bits, qrem, allowed, out);
  }
  return 0;
}

}  // namespace vigil::index::internal
