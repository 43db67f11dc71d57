// Popcount kernels behind the Hamming indexes, with run-time dispatch.
//
// Every kernel exists at three levels: scalar (portable), AVX2 (nibble-lookup popcount)
// and AVX-512 VPOPCNTDQ. Each level is compiled with __attribute__((target(...))) on its
// own functions, never with a global -march, so one binary runs on any x86-64 and uses the
// best level the CPU offers (BestLevel()). Tests run every level the CPU supports against
// the scalar one.
//
// Thread safety: pure functions over caller-owned memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/hash256.h"

namespace vigil::index::internal {

// Eight hashes stored word-major, so one 512-bit register holds the same word of eight
// hashes: w[k][j] is word k of hash j. This is the brute-force scan's layout.
struct alignas(64) Block8 {
  uint64_t w[4][8];
};

enum class KernelLevel { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };

// The fastest level this CPU supports.
KernelLevel BestLevel();
// Whether `level` can run on this CPU.
bool LevelSupported(KernelLevel level);
const char* LevelName(KernelLevel level);

struct Hit {
  uint32_t query;
  uint32_t pos;
  uint32_t distance;
};

struct PosDist {
  uint32_t pos;
  uint32_t distance;
};

// For queries [0, nq) against hashes [0, n) of `blocks` (lanes at n and beyond are
// ignored), appends {query_base + q, j, d} for every pair with d <= radius. Queries are
// processed in cache-sized tiles, so the order of hits is unspecified.
void ScanBlocks(KernelLevel level, const Block8* blocks, size_t n, const Hash256* queries,
                size_t nq, int radius, uint32_t query_base, std::vector<Hit>* out);

// dist[j] = distance(query, hash j) for j in [0, n).
void BlockDistances(KernelLevel level, const Block8* blocks, size_t n, const Hash256& query,
                    uint16_t* dist);

// Hashes stored one after another (the index segments' layout): appends {pos_base + j, d}
// for each hashes[j] within radius.
void ScanHashes(KernelLevel level, const Hash256* hashes, size_t n, const Hash256& query,
                int radius, uint32_t pos_base, std::vector<PosDist>* out);

// Multi-index-hashing bucket filter. Each entry is (remainder << pos_bits) | position;
// writes the position of every entry whose remainder differs from qrem in at most
// `allowed` bits to out[0..] and returns how many. `out` must have room for n values.
size_t FilterEntries(KernelLevel level, const uint32_t* entries, size_t n, int pos_bits,
                     uint32_t qrem, int allowed, uint32_t* out);

// Appends {pos, d} for each candidate position whose hash is within radius (candidates
// may repeat; so may the output). Prefetches ahead, since candidates are random reads.
void VerifyCandidates(KernelLevel level, const Hash256* hashes, const uint32_t* cands, size_t n,
                      const Hash256& query, int radius, std::vector<PosDist>* out);

}  // namespace vigil::index::internal
