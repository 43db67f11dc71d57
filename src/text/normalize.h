// Text normalisation: the canonical form that text fingerprints and indicator lists are
// computed on, so that re-typed, re-encoded or lightly disguised copies of a statement
// compare equal.
//
// NormalizeText applies, in order:
//   1. UTF-8 validation (invalid input is refused, never guessed at);
//   2. ICU NFKC case folding (compatibility forms, full-width letters, ligatures, case);
//   3. canonical decomposition, then removal of Latin combining diacritics
//      (U+0300..U+036F), Arabic harakat and Quranic marks, tatweel (U+0640) and format
//      characters (ZWJ/ZWNJ, bidi marks, BOM);
//   4. unification of Arabic-script letter variants: alef forms to bare alef, alef maqsura
//      and the Persian/Urdu yeh forms to Arabic yeh, ta marbuta and the Urdu heh forms to
//      heh, Persian/Urdu keheh to Arabic kaf, Arabic-Indic and Persian digits to ASCII;
//   5. every punctuation, symbol, control and separator character becomes one space;
//      runs of spaces collapse and the ends are trimmed; then canonical composition.
// Skeleton() additionally maps confusable characters (Cyrillic "а" and Latin "a", "0" and
// "O", ...) to ICU's confusable skeleton (UTS #39), then case-folds again. Fingerprints and
// keyword indicators use the skeleton; language identification and regular-expression
// indicators use the normalised form (the skeleton is not meant to be read).
//
// Both functions are idempotent: applying one to its own output changes nothing.
// Thread safety: free functions; the ICU objects they share are immutable after first use.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace vigil::text {

// Largest text accepted by the text signals (bytes of UTF-8): a long article or a
// transcript, far more than a post.
inline constexpr uint64_t kDefaultMaxTextBytes = uint64_t{1} << 20;  // 1 MiB

// Errors: InvalidArgument (not UTF-8), ResourceExhausted (over max_bytes).
Result<std::string> NormalizeText(std::string_view utf8, uint64_t max_bytes = kDefaultMaxTextBytes);

// The confusable skeleton of already-normalised text (the output of NormalizeText).
// Errors: InvalidArgument (not UTF-8), ResourceExhausted (over max_bytes), Internal (ICU).
Result<std::string> Skeleton(std::string_view normalized,
                             uint64_t max_bytes = kDefaultMaxTextBytes);

// NormalizeText then Skeleton: the form fingerprints and keywords are computed on.
Result<std::string> MatchingForm(std::string_view utf8, uint64_t max_bytes = kDefaultMaxTextBytes);

}  // namespace vigil::text
