#include "text/minhash.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "text/normalize.h"

namespace vigil::text {
namespace {

MinHash Fp(std::string_view text) {
  auto form = MatchingForm(text);
  EXPECT_TRUE(form.ok());
  auto m = ComputeMinHash(*form);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? *m : MinHash{};
}

// Invented, benign sentences from a small vocabulary, reproducible from a seed.
std::string RandomText(std::mt19937& rng, int words) {
  static const char* kWords[] = {"river",  "garden",  "lamp",    "window",  "orange",   "bicycle",
                                 "music",  "harbor",  "pencil",  "cloud",   "market",   "bridge",
                                 "kettle", "meadow",  "violin",  "lantern", "mountain", "bread",
                                 "ticket", "library", "sunrise", "puzzle",  "carpet",   "forest"};
  std::uniform_int_distribution<int> pick(0, std::size(kWords) - 1);
  std::string s;
  for (int i = 0; i < words; ++i) {
    if (i) s += ' ';
    s += kWords[pick(rng)];
  }
  return s;
}

double ExactJaccard(std::string_view a, std::string_view b) {
  auto shingles = [](std::string_view s) {
    std::set<std::string> out;  // ASCII test strings: bytes are code points
    const size_t k = std::min<size_t>(s.size(), kShingleLength);
    for (size_t i = 0; i + k <= s.size(); ++i) out.emplace(s.substr(i, k));
    return out;
  };
  const auto sa = shingles(a), sb = shingles(b);
  size_t common = 0;
  for (const auto& x : sa) common += sb.count(x);
  return static_cast<double>(common) / static_cast<double>(sa.size() + sb.size() - common);
}

TEST(MinHash, FastPathEqualsReference) {
  std::mt19937 rng(7);
  std::vector<std::string> texts = {"a",          "abcd",      "abcde", "aaaaaaaaaaaa",
                                    "مدرسه كتاب", "πpᴎʙeᴛ ʍᴎp"};
  for (int i = 0; i < 50; ++i) texts.push_back(RandomText(rng, 1 + i % 17));
  for (const auto& t : texts) {
    auto fast = ComputeMinHash(t);
    auto ref = ComputeMinHashReference(t);
    ASSERT_TRUE(fast.ok() && ref.ok());
    EXPECT_EQ(*fast, *ref) << t;
  }
}

TEST(MinHash, EstimatesJaccard) {
  std::mt19937 rng(11);
  for (int i = 0; i < 30; ++i) {
    const std::string a = RandomText(rng, 40);
    std::string b = a;
    // Replace a growing share of the text.
    b.replace(0, b.size() * i / 30, RandomText(rng, 40 * i / 30 + 1));
    const double exact = ExactJaccard(a, b);
    const double estimate = Similarity(*ComputeMinHash(a), *ComputeMinHash(b));
    EXPECT_NEAR(estimate, exact, 0.15) << i;
  }
}

TEST(MinHash, RetypedCopiesMatchAndUnrelatedTextsDoNot) {
  const std::string original =
      "The harvest festival will open on Saturday at the old market square, with music, "
      "bread from the village bakery and a lantern parade after sunset.";
  EXPECT_EQ(Similarity(Fp(original), Fp("THE HARVEST FESTIVAL will open on saturday at the old "
                                        "market square -- with music; bread from the village "
                                        "bakery, and a lantern parade after sunset!!")),
            1.0);
  EXPECT_GE(Similarity(Fp(original), Fp("The harvest festival opens on Saturday at the old "
                                        "market square, with music, bread from the village "
                                        "bakery and a lantern parade after sunset.")),
            kDefaultNearDuplicateSimilarity);
  EXPECT_LT(Similarity(Fp(original), Fp("Our library will be closed next week while the "
                                        "carpets are cleaned and the windows repaired.")),
            0.1);
  // Arabic with and without harakat and tatweel, Persian letters for Arabic ones.
  EXPECT_EQ(Similarity(Fp("سَيُفْتَتَحُ مَهْرَجَانُ الحَصَادِ يَوْمَ السَّبْتِ فِي السُّوقِ القَدِيمَةِ"),
                       Fp("سيفتتح مهرجـــان الحصاد يوم السبت في السوق القديمة")),
            1.0);
  EXPECT_EQ(Similarity(Fp("کتاب کوچک یک"), Fp("كتاب كوچك يك")), 1.0);
  // Homoglyphs: Cyrillic о and а in a Latin sentence.
  EXPECT_EQ(Similarity(Fp("the old market square"), Fp("the \xD0\xBEld m\xD0\xB0rket square")),
            1.0);
}

TEST(MinHash, HexRoundTripAndErrors) {
  const MinHash m = Fp("a short benign sentence");
  const std::string hex = MinHashToHex(m);
  EXPECT_EQ(hex.size(), 1024u);
  auto back = MinHashFromHex(hex);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, m);
  EXPECT_FALSE(MinHashFromHex("abc").ok());
  std::string bad = hex;
  bad[5] = 'g';
  EXPECT_FALSE(MinHashFromHex(bad).ok());
  EXPECT_FALSE(ComputeMinHash("").ok());
  EXPECT_FALSE(ComputeMinHash("\xFF").ok());
}

TEST(TextIndex, AgreesWithBruteForceAndFindsNearDuplicates) {
  std::mt19937 rng(3);
  TextIndex index;
  std::vector<std::string> texts;
  for (int i = 0; i < 1500; ++i) {
    texts.push_back(RandomText(rng, 12 + i % 20));
    index.Add(static_cast<uint64_t>(i), *ComputeMinHash(texts.back()));
  }
  EXPECT_EQ(index.size(), 1500u);
  int found = 0;
  for (int q = 0; q < 100; ++q) {
    // A near-duplicate: one word changed near the end.
    std::string query = texts[q * 7];
    query.replace(query.size() - 4, 4, "kettle");
    const MinHash qm = *ComputeMinHash(query);
    const auto lsh = index.Query(qm, 0.5, 10);
    const auto brute = index.QueryBruteForce(qm, 0.5, 1500);
    // Everything the index returns is what the scan returns for that entry.
    for (const auto& m : lsh) {
      auto it = std::find_if(brute.begin(), brute.end(),
                             [&](const TextMatch& b) { return b.id == m.id; });
      ASSERT_NE(it, brute.end());
      EXPECT_EQ(it->similarity, m.similarity);
    }
    // Entries at 0.7 or more are found with probability above 0.99 each.
    for (const auto& b : brute) {
      if (b.similarity < 0.7) continue;
      EXPECT_TRUE(
          std::any_of(lsh.begin(), lsh.end(), [&](const TextMatch& m) { return m.id == b.id; }))
          << "missed " << b.id << " at " << b.similarity;
    }
    found += !lsh.empty() && lsh[0].id == static_cast<uint64_t>(q * 7);
  }
  EXPECT_GE(found, 98);
}

}  // namespace
}  // namespace vigil::text
