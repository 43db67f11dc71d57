// Fuzzes the index file loader (MihIndex::LoadFromBytes) and searches whatever loads.
// Mutated inputs would almost never pass the checksums, which would stop the fuzzer at the
// front door; so the target re-seals the header checksum and skips the body checksum,
// which exposes every structural check behind them (offsets, positions, sizes). Any bytes
// must give an index that searches in bounds, or a clean Status.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "index/mih_index.h"
#include "index/mih_segment.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  if (bytes.size() >= 128) {
    uint64_t sum = vigil::index::internal::Checksum64(bytes.data(), 120);
    std::memcpy(bytes.data() + 120, &sum, sizeof sum);
  }
  auto r = vigil::index::MihIndex::LoadFromBytes(bytes, {/*verify_checksum=*/false});
  if (!r.ok()) return 0;
  vigil::Hash256 q;
  for (size_t i = 0; i < 32 && i < size; ++i) q.w[i / 8] |= uint64_t{data[i]} << (8 * (i % 8));
  for (int radius : {0, 31, 63, 256}) {
    auto m = (*r)->Search(q, radius);
    for (const auto& x : m) {
      if (x.distance < 0 || x.distance > radius) __builtin_trap();
    }
  }
  (void)(*r)->Knn(q, 3);
  // The loaded index must also accept updates.
  (void)(*r)->Add(1, q);
  (void)(*r)->Remove(1);
  return 0;
}
