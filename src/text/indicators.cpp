#include "text/indicators.h"

#include <unicode/regex.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <deque>
#include <utility>

namespace vigil::text {

std::string_view IndicatorKindName(IndicatorKind k) {
  switch (k) {
    case IndicatorKind::kWord: return "word";
    case IndicatorKind::kSubstring: return "sub";
    case IndicatorKind::kRegex: return "regex";
  }
  return "unknown";
}

namespace {

// Aho-Corasick over bytes. Edges are sorted (byte, child) pairs rather than 256-entry
// tables: a large keyword list has millions of nodes and most have one child.
class Automaton {
 public:
  Automaton() { nodes_.emplace_back(); }

  void Add(std::string_view pattern, uint32_t pattern_index) {
    int32_t node = 0;
    for (unsigned char c : pattern) {
      int32_t next = Child(node, c);
      if (next < 0) {
        next = static_cast<int32_t>(nodes_.size());
        auto& edges = nodes_[node].edges;
        edges.insert(std::lower_bound(edges.begin(), edges.end(), std::make_pair(c, int32_t{0})),
                     {c, next});
        nodes_.emplace_back();
      }
      node = next;
    }
    nodes_[node].outputs.push_back(pattern_index);
  }

  // Failure links (longest proper suffix that is also a path) and output links (nearest
  // node on the failure chain that ends a pattern), breadth first.
  void Build() {
    std::deque<int32_t> queue;
    for (const auto& [c, child] : nodes_[0].edges) {
      nodes_[child].fail = 0;
      queue.push_back(child);
    }
    while (!queue.empty()) {
      const int32_t node = queue.front();
      queue.pop_front();
      for (const auto& [c, child] : nodes_[node].edges) {
        int32_t f = nodes_[node].fail;
        while (f > 0 && Child(f, c) < 0) f = nodes_[f].fail;
        const int32_t target = Child(f, c);
        nodes_[child].fail = (target >= 0 && target != child) ? target : 0;
        const int32_t fl = nodes_[child].fail;
        nodes_[child].output_link = nodes_[fl].outputs.empty() ? nodes_[fl].output_link : fl;
        queue.push_back(child);
      }
    }
  }

  // Calls visit(pattern_index, end_offset) for every occurrence; stops when it returns false.
  template <typename Visit>
  void Scan(std::string_view text, Visit&& visit) const {
    int32_t node = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      const auto c = static_cast<unsigned char>(text[i]);
      int32_t next;
      while ((next = Child(node, c)) < 0 && node != 0) node = nodes_[node].fail;
      node = next < 0 ? 0 : next;
      for (int32_t o = nodes_[node].outputs.empty() ? nodes_[node].output_link : node; o > 0;
           o = nodes_[o].output_link) {
        for (uint32_t p : nodes_[o].outputs) {
          if (!visit(p, i + 1)) return;
        }
      }
    }
  }

 private:
  struct Node {
    std::vector<std::pair<unsigned char, int32_t>> edges;
    std::vector<uint32_t> outputs;
    int32_t fail = 0;
    int32_t output_link = 0;  // 0: none (the root never ends a pattern)
  };

  int32_t Child(int32_t node, unsigned char c) const {
    const auto& edges = nodes_[node].edges;
    auto it = std::lower_bound(edges.begin(), edges.end(), std::make_pair(c, int32_t{0}));
    return (it != edges.end() && it->first == c) ? it->second : -1;
  }

  std::vector<Node> nodes_;
};

struct Keyword {
  std::string id;
  IndicatorKind kind;
  std::string pattern;  // matching form
};

struct Regex {
  std::string id;
  std::unique_ptr<icu::RegexPattern> pattern;
};

bool ValidId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
  });
}

bool AtBoundary(std::string_view text, size_t begin, size_t end) {
  return (begin == 0 || text[begin - 1] == ' ') && (end == text.size() || text[end] == ' ');
}

// Byte offset in UTF-8 of UTF-16 index `u16` of `s`.
size_t Utf8Offset(const icu::UnicodeString& s, int32_t u16) {
  std::string prefix;
  s.tempSubString(0, u16).toUTF8String(prefix);
  return prefix.size();
}

}  // namespace

struct IndicatorList::Impl {
  std::vector<Keyword> keywords;
  std::vector<Regex> regexes;
  Automaton automaton;
};

IndicatorList::IndicatorList() : impl_(std::make_unique<Impl>()) {}
IndicatorList::~IndicatorList() = default;
IndicatorList::IndicatorList(IndicatorList&&) noexcept = default;
IndicatorList& IndicatorList::operator=(IndicatorList&&) noexcept = default;

size_t IndicatorList::size() const { return impl_->keywords.size() + impl_->regexes.size(); }

Result<IndicatorList> IndicatorList::Parse(std::string_view list_text) {
  if (list_text.size() > kMaxIndicatorListBytes) {
    return Status::ResourceExhausted("indicator list of " + std::to_string(list_text.size()) +
                                     " bytes exceeds the limit of " +
                                     std::to_string(kMaxIndicatorListBytes));
  }
  IndicatorList list;
  Impl& impl = *list.impl_;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < list_text.size()) {
    size_t eol = list_text.find('\n', pos);
    if (eol == std::string_view::npos) eol = list_text.size();
    std::string_view line = list_text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const std::string where = "indicator list line " + std::to_string(line_no) + ": ";
    const size_t t1 = line.find('\t');
    const size_t t2 = t1 == std::string_view::npos ? t1 : line.find('\t', t1 + 1);
    if (t2 == std::string_view::npos) {
      return Status::InvalidArgument(where + "expected KIND<TAB>ID<TAB>PATTERN");
    }
    const std::string_view kind = line.substr(0, t1);
    const std::string_view id = line.substr(t1 + 1, t2 - t1 - 1);
    const std::string_view pattern = line.substr(t2 + 1);
    if (!ValidId(id)) {
      return Status::InvalidArgument(where + "ID must be 1-128 characters of [A-Za-z0-9._:-]");
    }
    if (pattern.empty()) return Status::InvalidArgument(where + "empty pattern");
    if (pattern.size() > kMaxIndicatorPatternBytes) {
      return Status::ResourceExhausted(where + "pattern longer than " +
                                       std::to_string(kMaxIndicatorPatternBytes) + " bytes");
    }
    if (list.size() >= kMaxIndicators) {
      return Status::ResourceExhausted(where + "more than " + std::to_string(kMaxIndicators) +
                                       " indicators");
    }
    if (kind == "word" || kind == "sub") {
      auto form = MatchingForm(pattern);
      if (!form.ok()) return form.status().WithContext(where.substr(0, where.size() - 2));
      if (form->empty()) {
        return Status::InvalidArgument(where + "keyword is empty after normalisation");
      }
      const auto index = static_cast<uint32_t>(impl.keywords.size());
      impl.automaton.Add(*form, index);
      impl.keywords.push_back({std::string(id),
                               kind == "word" ? IndicatorKind::kWord : IndicatorKind::kSubstring,
                               std::move(*form)});
    } else if (kind == "regex") {
      if (impl.regexes.size() >= kMaxRegexIndicators) {
        return Status::ResourceExhausted(where + "more than " +
                                         std::to_string(kMaxRegexIndicators) + " regexes");
      }
      auto valid = NormalizeText(pattern);  // only to refuse invalid UTF-8 with a clear error
      if (!valid.ok()) return valid.status().WithContext(where.substr(0, where.size() - 2));
      UParseError parse_error{};
      UErrorCode err = U_ZERO_ERROR;
      std::unique_ptr<icu::RegexPattern> re(
          icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(icu::StringPiece(
                                         pattern.data(), static_cast<int32_t>(pattern.size()))),
                                     UREGEX_CASE_INSENSITIVE, parse_error, err));
      if (U_FAILURE(err) || re == nullptr) {
        return Status::InvalidArgument(where + "bad regex (" + u_errorName(err) + " at offset " +
                                       std::to_string(parse_error.offset) + ")");
      }
      impl.regexes.push_back({std::string(id), std::move(re)});
    } else {
      return Status::InvalidArgument(where + "KIND must be word, sub or regex");
    }
  }
  impl.automaton.Build();
  return list;
}

IndicatorMatches IndicatorList::MatchForms(std::string_view normalized,
                                           std::string_view matching) const {
  IndicatorMatches m;
  impl_->automaton.Scan(matching, [&](uint32_t p, size_t end) {
    const Keyword& k = impl_->keywords[p];
    const size_t begin = end - k.pattern.size();
    if (k.kind == IndicatorKind::kWord && !AtBoundary(matching, begin, end)) return true;
    if (m.hits.size() >= kMaxIndicatorHits) {
      m.truncated = true;
      return false;
    }
    m.hits.push_back({k.id, k.kind, begin, end});
    return true;
  });
  if (m.truncated || impl_->regexes.empty()) return m;
  const icu::UnicodeString text = icu::UnicodeString::fromUTF8(
      icu::StringPiece(normalized.data(), static_cast<int32_t>(normalized.size())));
  for (const Regex& r : impl_->regexes) {
    UErrorCode err = U_ZERO_ERROR;
    std::unique_ptr<icu::RegexMatcher> matcher(r.pattern->matcher(text, err));
    if (U_FAILURE(err) || matcher == nullptr) {
      m.timed_out.push_back(r.id);
      continue;
    }
    matcher->setTimeLimit(kRegexTimeLimitSteps, err);
    matcher->setStackLimit(kRegexStackLimitBytes, err);
    while (matcher->find(err) && U_SUCCESS(err)) {
      if (m.hits.size() >= kMaxIndicatorHits) {
        m.truncated = true;
        return m;
      }
      const int32_t s = matcher->start(err);
      const int32_t e = matcher->end(err);
      m.hits.push_back({r.id, IndicatorKind::kRegex, Utf8Offset(text, s), Utf8Offset(text, e)});
      if (e == s) break;  // an empty match would repeat forever; one is enough to report
    }
    if (err == U_REGEX_TIME_OUT || err == U_REGEX_STACK_OVERFLOW) m.timed_out.push_back(r.id);
  }
  return m;
}

Result<IndicatorMatches> IndicatorList::Match(std::string_view utf8) const {
  VIGIL_ASSIGN_OR_RETURN(std::string normalized, NormalizeText(utf8));
  VIGIL_ASSIGN_OR_RETURN(std::string matching, Skeleton(normalized, UINT64_MAX));
  return MatchForms(normalized, matching);
}

std::vector<IndicatorHit> IndicatorList::MatchKeywordsReference(std::string_view matching) const {
  std::vector<std::pair<size_t, IndicatorHit>> found;  // (end, hit) for the automaton's order
  for (size_t p = 0; p < impl_->keywords.size(); ++p) {
    const Keyword& k = impl_->keywords[p];
    for (size_t at = matching.find(k.pattern); at != std::string_view::npos;
         at = matching.find(k.pattern, at + 1)) {
      const size_t end = at + k.pattern.size();
      if (k.kind == IndicatorKind::kWord && !AtBoundary(matching, at, end)) continue;
      found.push_back({end, {k.id, k.kind, at, end}});
    }
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<IndicatorHit> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

}  // namespace vigil::text
