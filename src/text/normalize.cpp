#include "text/normalize.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uspoof.h>
#include <unicode/utf8.h>

#include <memory>
#include <mutex>

namespace vigil::text {
namespace {

// Byte offset of the first invalid UTF-8 sequence, or -1 if the text is valid.
int64_t FirstInvalidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const int32_t n = static_cast<int32_t>(s.size());
  int32_t i = 0;
  while (i < n) {
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(p, i, n, c);
    if (c < 0) return start;
  }
  return -1;
}

Status CheckInput(std::string_view s, uint64_t max_bytes) {
  if (s.size() > max_bytes) {
    return Status::ResourceExhausted("text of " + std::to_string(s.size()) +
                                     " bytes exceeds the limit of " + std::to_string(max_bytes));
  }
  // ICU indexes with int32_t; the limit above normally keeps far below that.
  if (s.size() > static_cast<uint64_t>(INT32_MAX / 4)) {
    return Status::ResourceExhausted("text too large for ICU");
  }
  const int64_t bad = FirstInvalidUtf8(s);
  if (bad >= 0) {
    return Status::InvalidArgument("text is not valid UTF-8 (byte " + std::to_string(bad) + ")");
  }
  return Status::OK();
}

bool IsArabicMark(UChar32 c) {
  return (c >= 0x0610 && c <= 0x061A) || (c >= 0x064B && c <= 0x065F) || c == 0x0670 ||
         (c >= 0x06D6 && c <= 0x06DC) || (c >= 0x06DF && c <= 0x06E4) || c == 0x06E7 ||
         c == 0x06E8 || (c >= 0x06EA && c <= 0x06ED) || (c >= 0x08D3 && c <= 0x08FF);
}

// Arabic-script letter variants people type interchangeably (and OCR confuses), mapped to
// one representative. Returns c itself when it is not a variant.
UChar32 UnifyLetter(UChar32 c) {
  switch (c) {
    case 0x0622:
    case 0x0623:
    case 0x0625:  // precomposed alef forms (NFD splits them anyway)
    case 0x0671:
    case 0x0672:
    case 0x0673:
    case 0x0675: return 0x0627;  // alef
    case 0x0649:                 // alef maqsura
    case 0x06CC:                 // Farsi yeh
    case 0x06D0:                 // yeh (Pashto/Uighur e)
    case 0x06D2:                 // Urdu yeh barree
    case 0x0626:                 // yeh with hamza (when not decomposed)
      return 0x064A;
    case 0x0629:  // ta marbuta
    case 0x06C1:  // Urdu heh goal
    case 0x06BE:  // heh doachashmee
    case 0x06D5:  // ae
      return 0x0647;
    case 0x06A9:  // keheh (Persian/Urdu kaf)
    case 0x06AA:  // swash kaf
      return 0x0643;
    case 0x0624:  // waw with hamza
      return 0x0648;
    default: break;
  }
  if (c >= 0x0660 && c <= 0x0669) return '0' + (c - 0x0660);  // Arabic-Indic digits
  if (c >= 0x06F0 && c <= 0x06F9) return '0' + (c - 0x06F0);  // Persian digits
  return c;
}

bool IsSpaceLike(UChar32 c) {
  switch (u_charType(c)) {
    case U_DASH_PUNCTUATION:
    case U_START_PUNCTUATION:
    case U_END_PUNCTUATION:
    case U_CONNECTOR_PUNCTUATION:
    case U_OTHER_PUNCTUATION:
    case U_INITIAL_PUNCTUATION:
    case U_FINAL_PUNCTUATION:
    case U_MATH_SYMBOL:
    case U_CURRENCY_SYMBOL:
    case U_MODIFIER_SYMBOL:
    case U_OTHER_SYMBOL:
    case U_SPACE_SEPARATOR:
    case U_LINE_SEPARATOR:
    case U_PARAGRAPH_SEPARATOR:
    case U_CONTROL_CHAR:
    case U_ENCLOSING_MARK: return true;
    default: return false;
  }
}

bool IsDropped(UChar32 c) {
  if (c == 0x0640) return true;  // tatweel (kashida): typographic stretching only
  if (c >= 0x0300 && c <= 0x036F) return true;
  if (IsArabicMark(c)) return true;
  return u_charType(c) == U_FORMAT_CHAR;  // ZWJ/ZWNJ, bidi marks, BOM, soft hyphen
}

struct Icu {
  const icu::Normalizer2* nfkc_cf = nullptr;
  const icu::Normalizer2* nfd = nullptr;
  const icu::Normalizer2* nfc = nullptr;
  USpoofChecker* spoof = nullptr;  // never freed: lives as long as the process
  Status status;
};

const Icu& GetIcu() {
  static const Icu icu = [] {
    Icu r;
    UErrorCode err = U_ZERO_ERROR;
    r.nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(err);
    r.nfd = icu::Normalizer2::getNFDInstance(err);
    r.nfc = icu::Normalizer2::getNFCInstance(err);
    if (U_SUCCESS(err)) r.spoof = uspoof_open(&err);
    if (U_FAILURE(err)) r.status = Status::Internal(std::string("ICU: ") + u_errorName(err));
    return r;
  }();
  return icu;
}

// Steps 3 to 5 of the contract, on NFKC-casefolded input.
Result<std::string> Fold(const icu::UnicodeString& folded, const Icu& icu) {
  UErrorCode err = U_ZERO_ERROR;
  icu::UnicodeString decomposed = icu.nfd->normalize(folded, err);
  if (U_FAILURE(err)) return Status::Internal(std::string("ICU NFD: ") + u_errorName(err));
  icu::UnicodeString out;
  bool pending_space = false;
  for (int32_t i = 0; i < decomposed.length();) {
    const UChar32 c = decomposed.char32At(i);
    i += U16_LENGTH(c);
    if (IsDropped(c)) continue;
    if (IsSpaceLike(c) || u_isUWhiteSpace(c)) {
      pending_space = !out.isEmpty();
      continue;
    }
    if (pending_space) {
      out.append(static_cast<UChar>(' '));
      pending_space = false;
    }
    out.append(UnifyLetter(c));
  }
  icu::UnicodeString composed = icu.nfc->normalize(out, err);
  if (U_FAILURE(err)) return Status::Internal(std::string("ICU NFC: ") + u_errorName(err));
  std::string utf8;
  composed.toUTF8String(utf8);
  return utf8;
}

}  // namespace

Result<std::string> NormalizeText(std::string_view utf8, uint64_t max_bytes) {
  VIGIL_RETURN_IF_ERROR(CheckInput(utf8, max_bytes));
  const Icu& icu = GetIcu();
  VIGIL_RETURN_IF_ERROR(icu.status);
  UErrorCode err = U_ZERO_ERROR;
  const icu::UnicodeString in = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  icu::UnicodeString folded = icu.nfkc_cf->normalize(in, err);
  if (U_FAILURE(err)) return Status::Internal(std::string("ICU NFKC_CF: ") + u_errorName(err));
  return Fold(folded, icu);
}

Result<std::string> Skeleton(std::string_view normalized, uint64_t max_bytes) {
  VIGIL_RETURN_IF_ERROR(CheckInput(normalized, max_bytes));
  const Icu& icu = GetIcu();
  VIGIL_RETURN_IF_ERROR(icu.status);
  UErrorCode err = U_ZERO_ERROR;
  const icu::UnicodeString in = icu::UnicodeString::fromUTF8(
      icu::StringPiece(normalized.data(), static_cast<int32_t>(normalized.size())));
  icu::UnicodeString skeleton;
  uspoof_getSkeletonUnicodeString(icu.spoof, 0, in, skeleton, &err);
  if (U_FAILURE(err)) return Status::Internal(std::string("ICU skeleton: ") + u_errorName(err));
  // The skeleton's prototypes are not case-folded ("0" becomes "O"); fold again so the
  // result is a fixed point of both steps.
  icu::UnicodeString folded = icu.nfkc_cf->normalize(skeleton, err);
  if (U_FAILURE(err)) return Status::Internal(std::string("ICU NFKC_CF: ") + u_errorName(err));
  return Fold(folded, icu);
}

Result<std::string> MatchingForm(std::string_view utf8, uint64_t max_bytes) {
  VIGIL_ASSIGN_OR_RETURN(std::string normalized, NormalizeText(utf8, max_bytes));
  // Normalisation can grow text (NFKC expands ligatures); the limit applies to the input.
  return Skeleton(normalized, UINT64_MAX);
}

}  // namespace vigil::text
