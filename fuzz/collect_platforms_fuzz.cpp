// Fuzzes the platform registry parser and attribution of the first URL in the input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collect/links.h"
#include "collect/platforms.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view s(reinterpret_cast<const char*>(data), size);
  auto reg = vigil::collect::PlatformRegistry::Parse(s, "fuzz.json");
  if (reg.ok()) {
    for (const auto& p : reg->platforms()) {
      for (const auto& d : p.domains) {
        if (d.find_first_not_of("0123456789.") == std::string::npos) continue;  // IPs: unknown
        auto link = vigil::collect::AnalyzeLink("https://" + d + "/x", *reg);
        if (link.platform == "unknown") __builtin_trap();  // its own domain must match
      }
    }
  }
  return 0;
}
