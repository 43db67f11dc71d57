#include "text/normalize.h"

#include <gtest/gtest.h>

#include <random>

#include "text/lang.h"
#include "text/signal.h"

namespace vigil::text {
namespace {

std::string Norm(std::string_view s) {
  auto r = NormalizeText(s);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : "";
}

std::string Match(std::string_view s) {
  auto r = MatchingForm(s);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : "";
}

TEST(Normalize, CaseWidthLigaturesPunctuationWhitespace) {
  EXPECT_EQ(Norm("  Hello,   WORLD!!\n\tＦｕｌｌ ﬁne  "), "hello world full fine");
  EXPECT_EQ(Norm("Straße"), "strasse");
  EXPECT_EQ(Norm("«quoted» — text… (1)"), "quoted text 1");
  EXPECT_EQ(Norm(""), "");
  EXPECT_EQ(Norm("?!… ---"), "");
}

TEST(Normalize, LatinDiacriticsRemoved) {
  EXPECT_EQ(Norm("Café Crème"), "cafe creme");
  EXPECT_EQ(Norm("Çok güzel İstanbul"), "cok guzel istanbul");
  // Precomposed and decomposed spellings are the same.
  EXPECT_EQ(Norm("e\xCC\x81t\xC3\xA9"), "ete");
}

TEST(Normalize, ArabicHarakatTatweelAndVariants) {
  // Vowelled and unvowelled spellings of the same words, with tatweel stretching.
  EXPECT_EQ(Norm("كَتَبَ الطَّالِبُ"), Norm("كتب الطالب"));
  EXPECT_EQ(Norm("كـــتـــب"), "كتب");
  // Alef forms, alef maqsura / yeh, ta marbuta / heh.
  EXPECT_EQ(Norm("أحمد إلى آخر ٱلمدرسة"), "احمد الي اخر المدرسه");
  EXPECT_EQ(Norm("مدرسة"), Norm("مدرسه"));
  EXPECT_EQ(Norm("على"), Norm("علي"));
  // Arabic-Indic and Persian digits become ASCII; Arabic punctuation becomes space.
  EXPECT_EQ(Norm("٢٠٢٤، ۱۴۰۳؟"), "2024 1403");
}

TEST(Normalize, PersianAndUrduLetterVariants) {
  // Persian keheh and Farsi yeh against Arabic kaf and yeh.
  EXPECT_EQ(Norm("کتاب یک"), Norm("كتاب يك"));
  // Urdu heh goal, heh doachashmee and yeh barree.
  EXPECT_EQ(Norm("ہے"), Norm("هي"));
  // ZWNJ inside Persian words is dropped.
  EXPECT_EQ(Norm("می\u200Cخواهم"), Norm("میخواهم"));
}

TEST(Normalize, CyrillicKept) { EXPECT_EQ(Norm("Привет, МИР!"), "привет мир"); }

TEST(Normalize, ConfusablesShareASkeleton) {
  // Cyrillic letters that look Latin, and digits standing in for letters.
  EXPECT_EQ(Match("\xD1\x80\xD0\xB0\xD1\x83\xD1\x80\xD0\xB0l"), Match("paypal"));  // Cyrillic р а у
  EXPECT_EQ(Match("0range"), Match("Orange"));
  EXPECT_NE(Match("orange"), Match("purple"));
}

TEST(Normalize, Idempotent) {
  const char* samples[] = {"Hello, WORLD! Ｆｕｌｌ ﬁne café",
                           "مُحَمَّدٌ ذَهَبَ إِلَى المَدْرَسَةِ",
                           "پیکان کتاب یک ۱۲۳",
                           "Погода в долине",
                           "ہم نے کتاب پڑھی",
                           "0range p\xD0\xB0ypal ǉubljana ⑴"};
  for (const char* s : samples) {
    const std::string n = Norm(s);
    EXPECT_EQ(Norm(n), n) << s;
    const std::string m = Match(s);
    auto again = Skeleton(m);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, m) << s;
  }
}

// Random strings of code points from the ranges normalisation treats specially.
TEST(Normalize, IdempotentOnRandomText) {
  const std::pair<char32_t, char32_t> pools[] = {
      {0x20, 0x7E},     {0xA0, 0x17F},    {0x300, 0x36F},   {0x370, 0x3FF},     {0x400, 0x4FF},
      {0x591, 0x5F4},   {0x600, 0x6FF},   {0x8D3, 0x8FF},   {0x1100, 0x11FF},   {0x200B, 0x206F},
      {0x2460, 0x24FF}, {0x3131, 0x318E}, {0x3300, 0x33FF}, {0xAC00, 0xAC40},   {0xFB00, 0xFB4F},
      {0xFB50, 0xFDFF}, {0xFE70, 0xFEFF}, {0xFF01, 0xFF9F}, {0x1D400, 0x1D7FF}, {0x1F300, 0x1F6FF}};
  std::mt19937 rng(42);
  for (int t = 0; t < 3000; ++t) {
    std::u32string cps;
    const int len = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < len; ++i) {
      const auto& [lo, hi] = pools[rng() % std::size(pools)];
      cps.push_back(lo + static_cast<char32_t>(rng() % (hi - lo + 1)));
    }
    std::string utf8;
    for (char32_t c : cps) {
      if (c < 0x80) {
        utf8 += static_cast<char>(c);
      } else if (c < 0x800) {
        utf8 += static_cast<char>(0xC0 | (c >> 6));
        utf8 += static_cast<char>(0x80 | (c & 0x3F));
      } else if (c < 0x10000) {
        utf8 += static_cast<char>(0xE0 | (c >> 12));
        utf8 += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        utf8 += static_cast<char>(0x80 | (c & 0x3F));
      } else {
        utf8 += static_cast<char>(0xF0 | (c >> 18));
        utf8 += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        utf8 += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        utf8 += static_cast<char>(0x80 | (c & 0x3F));
      }
    }
    auto n = NormalizeText(utf8);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    auto again = NormalizeText(*n);
    ASSERT_TRUE(again.ok());
    ASSERT_EQ(*again, *n) << "input: " << utf8;
  }
}

TEST(Normalize, RefusesInvalidUtf8AndOversizedText) {
  auto bad = NormalizeText("abc\xC3(def");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("byte 3"), std::string::npos);
  EXPECT_FALSE(NormalizeText("\xED\xA0\x80").ok());  // a UTF-16 surrogate in UTF-8
  auto big = NormalizeText(std::string(100, 'a'), 10);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kResourceExhausted);
}

TEST(Lang, IdentifiesLanguagesInSeveralScripts) {
  struct Case {
    const char* text;
    const char* code;
  } cases[] = {
      {"The weather in the valley was mild this spring and the farmers planted early.", "en"},
      {"Le temps dans la vallée était doux ce printemps et les fermiers ont semé tôt.", "fr"},
      {"Das Wetter im Tal war in diesem Frühling mild und die Bauern haben früh gesät.", "de"},
      {"Погода в долине этой весной была мягкой, и фермеры посеяли рано.", "ru"},
      {"الطقس في الوادي كان معتدلا هذا الربيع وزرع المزارعون مبكرا", "ar"},
      {"هوای دره در این بهار معتدل بود و کشاورزان زود کاشتند", "fa"},
      {"اس بہار وادی میں موسم معتدل تھا اور کسانوں نے جلدی بویا", "ur"},
  };
  for (const Case& c : cases) {
    auto g = DetectLanguage(c.text);
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    EXPECT_EQ(g->code, c.code) << c.text;
    EXPECT_TRUE(g->reliable) << c.text;
  }
  auto empty = DetectLanguage("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->code, "un");
  EXPECT_FALSE(DetectLanguage("ab\xFF").ok());
}

TEST(Lang, DominantScript) {
  EXPECT_EQ(DominantScript("hello мир world"), "Latin");
  EXPECT_EQ(DominantScript("مرحبا hello بالعالم"), "Arabic");
  EXPECT_EQ(DominantScript("Привет, мир"), "Cyrillic");
  EXPECT_EQ(DominantScript("123 !!"), "");
}

TEST(Signal, CombinesFormsLanguageAndFingerprint) {
  auto s = ComputeTextSignal("The weather in the valley was mild this spring.");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->normalized, "the weather in the valley was mild this spring");
  ASSERT_TRUE(s->minhash.has_value());
  const std::string json = TextSignalJson(*s);
  EXPECT_NE(json.find("\"lang\":\"en\""), std::string::npos);
  EXPECT_NE(json.find("\"minhash\":\""), std::string::npos);
  auto none = ComputeTextSignal("!!! ...");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->minhash.has_value());
  EXPECT_NE(TextSignalJson(*none).find("\"minhash\":null"), std::string::npos);
}

}  // namespace
}  // namespace vigil::text
