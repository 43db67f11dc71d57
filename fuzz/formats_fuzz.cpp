// Fuzzes one import parser (VIGIL_FUZZ_FORMAT, set per target in fuzz/CMakeLists.txt):
// any bytes give records and issues or a clean Status, and
// every record it accepts is canonical (the store would take it as is).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "formats/formats.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vigil::formats::ParseOptions options;
  options.default_type =
      (size & 1) ? vigil::store::SignalType::kMd5 : vigil::store::SignalType::kPdq;
  auto parsed = vigil::formats::ParseSignals(vigil::formats::Format::VIGIL_FUZZ_FORMAT,
                                             {reinterpret_cast<const char*>(data), size}, options);
  if (!parsed.ok()) return 0;
  for (const auto& r : parsed->records) {
    auto canon = vigil::store::CanonicalSignalValue(r.signal.type, r.signal.value);
    if (!canon.ok() || *canon != r.signal.value) __builtin_trap();
    for (const auto& l : r.signal.labels) {
      auto cl = vigil::store::CanonicalLabel(l);
      if (!cl.ok() || *cl != l) __builtin_trap();
    }
  }
  if (parsed->issues.size() > vigil::formats::kMaxIssuesKept) __builtin_trap();
  return 0;
}
