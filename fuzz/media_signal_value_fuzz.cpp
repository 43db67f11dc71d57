// Fuzzes the parsers of media signal values a bank or the match API receives: the store's
// canonical forms (vPDQ entries, base64 TMK, URL-safe base64 audio, text) and what
// match::MediaIndex does with them (ParseVpdq, base64 + ParseTmk, DecodeFingerprint,
// MatchingForm + MinHash), indexing and searching. Canonicalising twice changes nothing.
#include <cstddef>
#include <cstdint>
#include <string>

#include "match/media_index.h"
#include "store/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using vigil::store::SignalType;
  const std::string value(reinterpret_cast<const char*>(data), size);
  vigil::match::MediaIndex index;
  int64_t id = 1;
  for (SignalType t :
       {SignalType::kVpdq, SignalType::kTmk, SignalType::kAudio, SignalType::kText}) {
    auto canon = vigil::store::CanonicalSignalValue(t, value);
    if (!canon.ok()) continue;
    auto again = vigil::store::CanonicalSignalValue(t, *canon);
    if (!again.ok() || *again != *canon) __builtin_trap();
    (void)index.Add(id, t, *canon);
    (void)index.Search(t, *canon);
    index.Remove(id);
    ++id;
  }
  return 0;
}
