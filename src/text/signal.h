// The text signal of one piece of text (a post, a caption, OCR output): its normalised
// and matching forms, its language and its near-duplicate fingerprint, computed once.
// Thread safety: free function without shared mutable state.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "text/lang.h"
#include "text/minhash.h"
#include "text/normalize.h"

namespace vigil::text {

struct TextSignal {
  std::string normalized;  // NormalizeText
  std::string matching;    // Skeleton(normalized)
  LanguageGuess language;  // of the original text
  // Absent when nothing is left after normalisation (only punctuation, symbols or marks).
  std::optional<MinHash> minhash;
};

// Errors: InvalidArgument (not UTF-8), ResourceExhausted (over max_bytes).
Result<TextSignal> ComputeTextSignal(std::string_view utf8,
                                     uint64_t max_bytes = kDefaultMaxTextBytes);

// One JSON object (no newline): {"lang":..,"lang_reliable":..,"normalized":..,"minhash":..}.
std::string TextSignalJson(const TextSignal& s);

}  // namespace vigil::text
