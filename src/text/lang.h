// Language identification through CLD2 (Debian's libcld2): which language a text is in,
// so a reviewer sees it and a caller can pick language-specific handling (OCR models,
// translation). Run it on the original text, not the normalised form: case and
// diacritics help CLD2.
// Thread safety: free function; CLD2's tables are read-only.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "text/normalize.h"

namespace vigil::text {

struct LanguageGuess {
  std::string code = "un";  // ISO 639-1 where one exists ("en", "ar", "fa", "ur"), "un" unknown
  std::string name = "Unknown";  // CLD2's English name ("ENGLISH", "ARABIC", ...)
  int percent = 0;               // share of the text's letters in this language (0..100)
  bool reliable = false;         // CLD2's own verdict; short texts are rarely reliable
};

// Errors: InvalidArgument (not UTF-8), ResourceExhausted (over max_bytes).
Result<LanguageGuess> DetectLanguage(std::string_view utf8,
                                     uint64_t max_bytes = kDefaultMaxTextBytes);

// The Unicode script most of the text's letters are in, by ICU's long script names
// ("Latin", "Arabic", "Cyrillic", "Han", ...; Tesseract's OSD uses the same names), or ""
// when there are no letters. Invalid UTF-8 is skipped.
std::string DominantScript(std::string_view utf8);

}  // namespace vigil::text
