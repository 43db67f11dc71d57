#include "core/hash256.h"

#include <gtest/gtest.h>

#include <random>

namespace vigil {
namespace {

Hash256 RandomHash(std::mt19937_64& rng) {
  Hash256 h;
  for (auto& w : h.w) w = rng();
  return h;
}

int NaiveDistance(const Hash256& a, const Hash256& b) {
  int d = 0;
  for (int k = 0; k < 256; ++k) d += a.GetBit(k) != b.GetBit(k);
  return d;
}

TEST(Hash256Test, HexMatchesReferenceLayout) {
  // Bit 0 is the lowest bit of the last hex digit; bit 255 the top of the first.
  Hash256 h;
  h.SetBit(0);
  EXPECT_EQ(h.ToHex(), std::string(63, '0') + "1");
  Hash256 g;
  g.SetBit(255);
  EXPECT_EQ(g.ToHex(), "8" + std::string(63, '0'));
  Hash256 k;
  k.SetBit(16);  // reference word 1, bit 0
  EXPECT_EQ(k.ToHex(), std::string(59, '0') + "10000");
}

TEST(Hash256Test, HexRoundTripProperty) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 2000; ++i) {
    Hash256 h = RandomHash(rng);
    auto parsed = Hash256::FromHex(h.ToHex());
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, h);
    std::string upper = h.ToHex();
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(*Hash256::FromHex(upper), h);
  }
}

TEST(Hash256Test, RejectsMalformedHex) {
  EXPECT_FALSE(Hash256::FromHex("").ok());
  EXPECT_FALSE(Hash256::FromHex(std::string(63, 'a')).ok());
  EXPECT_FALSE(Hash256::FromHex(std::string(65, 'a')).ok());
  std::string bad(64, '0');
  bad[10] = 'g';
  auto r = Hash256::FromHex(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("position 11"), std::string::npos);
}

TEST(Hash256Test, DistanceProperties) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    Hash256 a = RandomHash(rng), b = RandomHash(rng), c = RandomHash(rng);
    int ab = HammingDistance(a, b);
    EXPECT_EQ(ab, NaiveDistance(a, b));
    EXPECT_EQ(ab, HammingDistance(b, a));
    EXPECT_EQ(HammingDistance(a, a), 0);
    EXPECT_LE(HammingDistance(a, c), ab + HammingDistance(b, c));
    // Flipping k distinct bits moves the hash exactly k away.
    Hash256 f = a;
    int k = static_cast<int>(rng() % 257);
    for (int bit = 0; bit < k; ++bit) f.FlipBit(bit);
    EXPECT_EQ(HammingDistance(a, f), k);
  }
}

}  // namespace
}  // namespace vigil
