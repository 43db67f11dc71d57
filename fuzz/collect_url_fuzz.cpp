// Fuzzes link canonicalisation and URL extraction from text. Canonical forms must be
// fixed points: canonicalising a canonical URL gives it back unchanged. Also the date
// parser the scan stores publication times with.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collect/dates.h"
#include "collect/url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view s(reinterpret_cast<const char*>(data), size);
  auto r = vigil::collect::CanonicalizeUrl(s);
  if (r.ok()) {
    auto again = vigil::collect::CanonicalizeUrl(r->url);
    if (!again.ok() || again->url != r->url) __builtin_trap();
  }
  for (const auto& u : vigil::collect::ExtractUrlsFromText(s)) {
    if (u.empty() || u.size() > size) __builtin_trap();
  }
  (void)vigil::collect::ResolveAndCanonicalize("https://base.example/a/b", s);
  (void)vigil::collect::PublishedToEpochMs(s);
  return 0;
}
