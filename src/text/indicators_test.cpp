#include "text/indicators.h"

#include <gtest/gtest.h>

#include <random>
#include <tuple>

namespace vigil::text {
namespace {

// Invented, benign indicators: a slogan in several scripts, a handle, and a pattern.
constexpr char kList[] =
    "# demo indicator list (benign placeholders)\n"
    "word\tslogan.en\tgreen lantern society\n"
    "word\tslogan.ar\tجمعية الفانوس الأخضر\n"
    "word\tslogan.ru\tобщество зелёного фонаря\n"
    "word\tslogan.fa\tانجمن فانوس سبز\n"
    "sub\thandle.1\tlanternfan\n"
    "regex\tcode.1\\b\tfestival[ -]?(code|pass) [0-9]{4}\\b\n"
    "\n";

std::vector<std::string> Ids(const IndicatorMatches& m) {
  std::vector<std::string> ids;
  for (const auto& h : m.hits) ids.push_back(h.id);
  return ids;
}

TEST(Indicators, ParsesAndMatchesInSeveralScripts) {
  auto list = IndicatorList::Parse(kList);
  ASSERT_FALSE(list.ok());  // "code.1\b" is not a valid ID
  std::string fixed = kList;
  fixed.replace(fixed.find("code.1\\b"), 8, "code.1");
  list = IndicatorList::Parse(fixed);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(list->size(), 6u);

  auto m = list->Match("Welcome to the GREEN-Lantern   Society picnic!");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(Ids(*m), std::vector<std::string>{"slogan.en"});
  // Not a whole word.
  EXPECT_TRUE(list->Match("greenlantern societyx")->hits.empty());
  // Homoglyphs (Cyrillic е and о) and diacritics do not hide it.
  EXPECT_EQ(Ids(*list->Match("gr\xD0\xB5\xD0\xB5n lant\xD0\xB5rn s\xD0\xBE"
                             "ciety")),
            std::vector<std::string>{"slogan.en"});
  // Arabic with harakat, tatweel and a different alef.
  EXPECT_EQ(Ids(*list->Match("هذه جَمْعِيَّةُ الفـــانوس الاخضر في المدينة")),
            std::vector<std::string>{"slogan.ar"});
  // Russian with ё written as е.
  EXPECT_EQ(Ids(*list->Match("Общество зеленого фонаря собирается")),
            std::vector<std::string>{"slogan.ru"});
  // Persian with Arabic yeh and kaf letters typed instead.
  EXPECT_EQ(Ids(*list->Match("دیدار انجمن فانوس سبز")), std::vector<std::string>{"slogan.fa"});
  // Substring and regex indicators.
  auto both = list->Match("follow @LanternFan2024 for the Festival-Pass 2031 draw");
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(Ids(*both), (std::vector<std::string>{"handle.1", "code.1"}));
  EXPECT_EQ(both->hits[1].kind, IndicatorKind::kRegex);
  EXPECT_TRUE(both->timed_out.empty());
  EXPECT_FALSE(both->truncated);
}

TEST(Indicators, ParseErrorsNameTheLine) {
  struct Case {
    const char* text;
    const char* expect;
  } cases[] = {
      {"word\tid\n", "line 1"},
      {"# c\nphrase\tid\tx\n", "line 2"},
      {"word\tbad id\tx\n", "ID must be"},
      {"word\tid\t!!!\n", "empty after normalisation"},
      {"regex\tid\t(unclosed\n", "bad regex"},
      {"word\tid\tab\xFF\n", "UTF-8"},
  };
  for (const Case& c : cases) {
    auto r = IndicatorList::Parse(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos) << r.status().message();
  }
  std::string too_long = "word\tid\t" + std::string(kMaxIndicatorPatternBytes + 1, 'a');
  EXPECT_EQ(IndicatorList::Parse(too_long).status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(IndicatorList::Parse("").ok());
}

TEST(Indicators, AutomatonEqualsPlainSearch) {
  std::mt19937 rng(5);
  auto random_word = [&](int len) {
    std::string w;
    for (int i = 0; i < len; ++i) w += static_cast<char>('a' + rng() % 3);
    return w;
  };
  std::string list_text;
  for (int i = 0; i < 60; ++i) {
    list_text += std::string(i % 2 ? "sub" : "word") + "\tk" + std::to_string(i) + "\t" +
                 random_word(1 + static_cast<int>(rng() % 5)) + "\n";
  }
  auto list = IndicatorList::Parse(list_text);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  auto key = [](const IndicatorHit& h) { return std::make_tuple(h.end, h.begin, h.id); };
  for (int t = 0; t < 200; ++t) {
    std::string text;
    for (int w = 0; w < 10; ++w)
      text += (w ? " " : "") + random_word(1 + static_cast<int>(rng() % 6));
    const IndicatorMatches fast = list->MatchForms(text, text);
    auto ref = list->MatchKeywordsReference(text);
    if (ref.size() > kMaxIndicatorHits) ref.resize(kMaxIndicatorHits);
    std::vector<std::tuple<size_t, size_t, std::string>> a, b;
    for (const auto& h : fast.hits) a.push_back(key(h));
    for (const auto& h : ref) b.push_back(key(h));
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    ASSERT_EQ(a, b) << text;
  }
}

TEST(Indicators, CatastrophicRegexIsReportedNotFatal) {
  auto list = IndicatorList::Parse("regex\tslow\t(a+)+b\nword\tw\taaa\n");
  ASSERT_TRUE(list.ok());
  auto m = list->Match(std::string(40, 'a'));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->timed_out, std::vector<std::string>{"slow"});
  EXPECT_TRUE(m->hits.empty());  // "aaa" is not a whole word of "aaaa...a"
}

TEST(Indicators, HitsAreCapped) {
  auto list = IndicatorList::Parse("sub\ta\ta\n");
  ASSERT_TRUE(list.ok());
  auto m = list->Match(std::string(kMaxIndicatorHits + 10, 'a'));
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->truncated);
  EXPECT_EQ(m->hits.size(), kMaxIndicatorHits);
}

}  // namespace
}  // namespace vigil::text
