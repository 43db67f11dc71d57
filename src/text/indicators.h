// Indicator lists: keywords and patterns that a bank holds (slogans, group names, channel
// handles), in any script, matched on normalised text so spelling variants, diacritics,
// letter variants and homoglyph substitutions do not hide them.
//
// Text format (UTF-8), one indicator per line, three fields separated by a TAB:
//   KIND <TAB> ID <TAB> PATTERN
// KIND is `word` (the keyword as whole words: it starts and ends at a word boundary of the
// normalised text), `sub` (the keyword anywhere, for scripts written without spaces and
// for handles), or `regex` (an ICU regular expression, case-insensitive, run on the
// normalised form of the text; write it for normalised text: lower case, no diacritics,
// punctuation turned into single spaces). ID is 1-128 characters of [A-Za-z0-9._:-].
// Keywords are themselves normalised to the matching form (text/normalize.h). Lines that
// are empty or start with `#` are ignored. Parse errors name the line.
//
// Keywords are found in one pass with an Aho-Corasick automaton over the bytes of the
// matching form (tested against a plain search per keyword); each regex runs separately
// under an ICU time limit, and one that runs out is reported, not fatal.
//
// Thread safety: an IndicatorList is immutable after Parse; any number of threads may call
// Match on it at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "text/normalize.h"

namespace vigil::text {

// Most indicators in one list, and the largest list file.
inline constexpr size_t kMaxIndicators = 100'000;
inline constexpr uint64_t kMaxIndicatorListBytes = uint64_t{32} << 20;  // 32 MiB
// Longest single pattern (bytes, before normalisation).
inline constexpr size_t kMaxIndicatorPatternBytes = 1024;
// Regexes each scan the whole text; keep their number modest.
inline constexpr size_t kMaxRegexIndicators = 1000;
// ICU's match-time limit per regex and text, in its "steps" (roughly milliseconds).
inline constexpr int32_t kRegexTimeLimitSteps = 50;
// ICU's backtracking stack limit per match (bytes).
inline constexpr int32_t kRegexStackLimitBytes = 1 << 20;
// Most hits reported for one text; matching stops there and says so.
inline constexpr size_t kMaxIndicatorHits = 1000;

enum class IndicatorKind { kWord, kSubstring, kRegex };
std::string_view IndicatorKindName(IndicatorKind k);  // "word", "sub", "regex"

struct IndicatorHit {
  std::string id;
  IndicatorKind kind = IndicatorKind::kWord;
  // Byte range of the hit in the form it was found in: the matching form for keywords,
  // the normalised form for regexes.
  size_t begin = 0;
  size_t end = 0;
};

struct IndicatorMatches {
  std::vector<IndicatorHit> hits;      // in order of position, keywords then regexes
  std::vector<std::string> timed_out;  // ids of regexes that hit the time limit
  bool truncated = false;              // kMaxIndicatorHits was reached
};

class IndicatorList {
 public:
  IndicatorList();
  ~IndicatorList();
  IndicatorList(IndicatorList&&) noexcept;
  IndicatorList& operator=(IndicatorList&&) noexcept;

  // Errors: InvalidArgument (bad line, bad regex, keyword empty after normalisation),
  // ResourceExhausted (over a limit above).
  static Result<IndicatorList> Parse(std::string_view list_text);

  size_t size() const;

  // Normalises `utf8` and matches every indicator.
  Result<IndicatorMatches> Match(std::string_view utf8) const;
  // The same, for a caller that already has both forms.
  IndicatorMatches MatchForms(std::string_view normalized, std::string_view matching) const;

  // Keyword hits by a plain search for each keyword (no automaton): the reference for tests.
  std::vector<IndicatorHit> MatchKeywordsReference(std::string_view matching) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::text
