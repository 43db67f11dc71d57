#include "text/lang.h"

#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <climits>
#include <map>

namespace vigil::text {

Result<LanguageGuess> DetectLanguage(std::string_view utf8, uint64_t max_bytes) {
  if (utf8.size() > max_bytes) {
    return Status::ResourceExhausted("text of " + std::to_string(utf8.size()) +
                                     " bytes exceeds the limit of " + std::to_string(max_bytes));
  }
  if (utf8.size() > static_cast<size_t>(INT_MAX)) {
    return Status::ResourceExhausted("text too large for CLD2");
  }
  CLD2::CLDHints hints = {nullptr, nullptr, CLD2::UNKNOWN_ENCODING, CLD2::UNKNOWN_LANGUAGE};
  CLD2::Language language3[3];
  int percent3[3] = {};
  double scores3[3] = {};
  int text_bytes = 0;
  bool reliable = false;
  int valid_prefix = 0;
  const CLD2::Language top = CLD2::ExtDetectLanguageSummaryCheckUTF8(
      utf8.data(), static_cast<int>(utf8.size()), /*is_plain_text=*/true, &hints, /*flags=*/0,
      language3, percent3, scores3, /*resultchunkvector=*/nullptr, &text_bytes, &reliable,
      &valid_prefix);
  if (valid_prefix < static_cast<int>(utf8.size())) {
    return Status::InvalidArgument("text is not valid UTF-8 (byte " + std::to_string(valid_prefix) +
                                   ")");
  }
  LanguageGuess g;
  if (top != CLD2::UNKNOWN_LANGUAGE) {
    g.code = CLD2::LanguageCode(top);
    g.name = CLD2::LanguageName(top);
    g.percent = percent3[0];
    g.reliable = reliable;
  }
  return g;
}

std::string DominantScript(std::string_view utf8) {
  std::map<UScriptCode, size_t> counts;
  const auto* p = reinterpret_cast<const uint8_t*>(utf8.data());
  const int32_t n = static_cast<int32_t>(std::min<size_t>(utf8.size(), INT32_MAX));
  for (int32_t i = 0; i < n;) {
    UChar32 c;
    U8_NEXT(p, i, n, c);
    if (c < 0 || !u_isalpha(c)) continue;
    UErrorCode err = U_ZERO_ERROR;
    const UScriptCode script = uscript_getScript(c, &err);
    if (U_SUCCESS(err) && script != USCRIPT_COMMON && script != USCRIPT_INHERITED) ++counts[script];
  }
  UScriptCode best = USCRIPT_INVALID_CODE;
  size_t best_count = 0;
  for (const auto& [script, count] : counts) {
    if (count > best_count) {
      best = script;
      best_count = count;
    }
  }
  if (best == USCRIPT_INVALID_CODE) return "";
  return uscript_getName(best);
}

}  // namespace vigil::text
