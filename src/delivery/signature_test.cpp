#include "delivery/signature.h"

#include <gtest/gtest.h>

namespace vigil::delivery {
namespace {

constexpr int64_t kNow = 1'767'225'600;
const std::string kSecret = "0123456789abcdef-secret";

TEST(Signature, HmacMatchesRfc4231) {
  // RFC 4231 test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Signature, SignAndVerify) {
  std::string body = R"({"referral_id":1,"status":"removed"})";
  std::string h = SignPayload(kSecret, kNow, body);
  EXPECT_EQ(h.rfind("t=1767225600,v1=", 0), 0u);
  EXPECT_TRUE(VerifySignature(kSecret, h, body, kNow).ok());
  EXPECT_TRUE(VerifySignature(kSecret, h, body, kNow + 299).ok());
  EXPECT_EQ(VerifySignature(kSecret, h, body, kNow + 301).code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(VerifySignature(kSecret, h, body, kNow - 301).code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(VerifySignature(kSecret, h, body + " ", kNow).code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(VerifySignature("another-secret-xxxxxxx", h, body, kNow).code(),
            StatusCode::kUnauthenticated);
  // Rotation: a second v1 with the new secret is accepted alongside the old.
  std::string rotated = h + ",v1=" + SignPayload("new-secret-0123456789", kNow, body).substr(16);
  EXPECT_TRUE(VerifySignature("new-secret-0123456789", rotated, body, kNow).ok());
  EXPECT_TRUE(VerifySignature(kSecret, rotated, body, kNow).ok());
}

TEST(Signature, ReplayIsRefused) {
  ReplayGuard guard(600);
  std::string body = "{}";
  std::string h = SignPayload(kSecret, kNow, body);
  EXPECT_TRUE(VerifySignature(kSecret, h, body, kNow, 300, &guard).ok());
  Status again = VerifySignature(kSecret, h, body, kNow + 1, 300, &guard);
  EXPECT_EQ(again.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(again.message().find("replay"), std::string::npos);
  // A new timestamp is a new signature.
  EXPECT_TRUE(
      VerifySignature(kSecret, SignPayload(kSecret, kNow + 2, body), body, kNow + 2, 300, &guard)
          .ok());
}

TEST(Signature, ReplayGuardForgetsAfterTheWindowAndFailsClosedWhenFull) {
  ReplayGuard g(10, 2);
  EXPECT_TRUE(g.CheckAndRemember("a", 100));
  EXPECT_FALSE(g.CheckAndRemember("a", 105));
  EXPECT_TRUE(g.CheckAndRemember("b", 105));
  EXPECT_FALSE(g.CheckAndRemember("c", 105));  // full
  EXPECT_TRUE(g.CheckAndRemember("c", 111));   // "a" expired
}

TEST(Signature, ParsesStrictly) {
  const char* bad[] = {
      "",
      "t=1",
      "v1="
      "0000000000000000000000000000000000000000000000000000000000000000",
      "t=abc,v1=0000000000000000000000000000000000000000000000000000000000000000",
      "t=-5,v1=0000000000000000000000000000000000000000000000000000000000000000",
      "t=1,v1=00",
      "t=1,v1=ABCD000000000000000000000000000000000000000000000000000000000000",
      "t=1,t=2,v1=0000000000000000000000000000000000000000000000000000000000000000",
      "garbage"};
  for (const char* b : bad) EXPECT_FALSE(ParseSignatureHeader(b).ok()) << b;
  auto ok = ParseSignatureHeader(
      " t=5 , v0=zz, v1=0000000000000000000000000000000000000000000000000000000000000000");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->timestamp_s, 5);
  EXPECT_EQ(ok->v1.size(), 1u);
  EXPECT_FALSE(ParseSignatureHeader(std::string(2000, 'x')).ok());
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
}

}  // namespace
}  // namespace vigil::delivery
