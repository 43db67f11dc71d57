#include "text/signal.h"

#include "core/json_escape.h"

namespace vigil::text {

Result<TextSignal> ComputeTextSignal(std::string_view utf8, uint64_t max_bytes) {
  TextSignal s;
  VIGIL_ASSIGN_OR_RETURN(s.normalized, NormalizeText(utf8, max_bytes));
  VIGIL_ASSIGN_OR_RETURN(s.matching, Skeleton(s.normalized, UINT64_MAX));
  VIGIL_ASSIGN_OR_RETURN(s.language, DetectLanguage(utf8, max_bytes));
  if (!s.matching.empty()) {
    VIGIL_ASSIGN_OR_RETURN(MinHash m, ComputeMinHash(s.matching));
    s.minhash = m;
  }
  return s;
}

std::string TextSignalJson(const TextSignal& s) {
  std::string out = "{\"lang\":" + JsonQuote(s.language.code) +
                    ",\"lang_percent\":" + std::to_string(s.language.percent) +
                    ",\"lang_reliable\":" + (s.language.reliable ? "true" : "false") +
                    ",\"normalized\":" + JsonQuote(s.normalized) + ",\"minhash\":";
  out += s.minhash ? JsonQuote(MinHashToHex(*s.minhash)) : "null";
  out += "}";
  return out;
}

}  // namespace vigil::text
