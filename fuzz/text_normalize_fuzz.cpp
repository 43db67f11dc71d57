// Fuzzes text normalisation, the skeleton, language identification and fingerprinting:
// any bytes give a result or a clean Status, and normalised text is a fixed point.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "text/lang.h"
#include "text/minhash.h"
#include "text/normalize.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto n = vigil::text::NormalizeText(in);
  (void)vigil::text::DetectLanguage(in);
  (void)vigil::text::DominantScript(in);
  if (!n.ok()) return 0;
  auto again = vigil::text::NormalizeText(*n, UINT64_MAX);
  if (!again.ok() || *again != *n) __builtin_trap();
  auto m = vigil::text::Skeleton(*n, UINT64_MAX);
  if (!m.ok()) __builtin_trap();
  if (!m->empty()) {
    auto fast = vigil::text::ComputeMinHash(*m);
    auto ref = vigil::text::ComputeMinHashReference(*m);
    if (!fast.ok() || !ref.ok() || !(*fast == *ref)) __builtin_trap();
  }
  return 0;
}
