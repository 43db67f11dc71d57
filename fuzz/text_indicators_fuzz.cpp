// Fuzzes the indicator-list parser and matcher: the input's first line (up to a NUL byte)
// is matched against a list parsed from the rest. Any bytes give a result or a clean
// Status, and the automaton agrees with the plain search.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <tuple>
#include <vector>

#include "text/indicators.h"
#include "text/normalize.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t split = in.find('\0');
  const std::string_view text = split == std::string_view::npos ? in : in.substr(0, split);
  const std::string_view list_text =
      split == std::string_view::npos ? std::string_view() : in.substr(split + 1);
  auto list = vigil::text::IndicatorList::Parse(list_text);
  if (!list.ok()) return 0;
  auto n = vigil::text::NormalizeText(text);
  if (!n.ok()) return 0;
  auto m = vigil::text::Skeleton(*n, UINT64_MAX);
  if (!m.ok()) return 0;
  const auto fast = list->MatchForms(*n, *m);
  if (fast.truncated) return 0;
  auto ref = list->MatchKeywordsReference(*m);
  using Key = std::tuple<size_t, size_t, std::string>;
  std::vector<Key> a, b;
  for (const auto& h : fast.hits) {
    if (h.kind != vigil::text::IndicatorKind::kRegex) a.emplace_back(h.end, h.begin, h.id);
  }
  for (const auto& h : ref) b.emplace_back(h.end, h.begin, h.id);
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  if (a != b) __builtin_trap();
  return 0;
}
