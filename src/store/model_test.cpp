#include "store/model.h"

#include <gtest/gtest.h>

namespace vigil::store {
namespace {

TEST(Model, SignalTypesRoundTrip) {
  for (SignalType t : kAllSignalTypes) {
    auto p = ParseSignalType(SignalTypeName(t));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(*p, t);
  }
  EXPECT_EQ(*ParseSignalType(" PDQ "), SignalType::kPdq);
  EXPECT_FALSE(ParseSignalType("photo").ok());
}

TEST(Model, CanonicalValues) {
  EXPECT_EQ(*CanonicalSignalValue(SignalType::kPdq, " " + std::string(64, 'F') + "\r"),
            std::string(64, 'f'));
  EXPECT_FALSE(CanonicalSignalValue(SignalType::kPdq, std::string(63, 'f')).ok());
  EXPECT_FALSE(CanonicalSignalValue(SignalType::kMd5, std::string(31, 'a') + "g").ok());
  EXPECT_TRUE(CanonicalSignalValue(SignalType::kUrl, "https://example.org/a?b=c").ok());
  EXPECT_FALSE(CanonicalSignalValue(SignalType::kUrl, "").ok());
  EXPECT_FALSE(CanonicalSignalValue(SignalType::kText, std::string("a\x01", 2)).ok());
  EXPECT_FALSE(CanonicalSignalValue(SignalType::kText, "bad \xc3").ok());
  EXPECT_TRUE(CanonicalSignalValue(SignalType::kText, "caf\xc3\xa9").ok());
  EXPECT_FALSE(
      CanonicalSignalValue(SignalType::kText, std::string(kMaxSignalValueBytes + 1, 'a')).ok());
}

TEST(Model, Labels) {
  EXPECT_EQ(*CanonicalLabel(" Behaviour:Threat "), "behaviour:threat");
  EXPECT_FALSE(CanonicalLabel("has space").ok());
  EXPECT_FALSE(CanonicalLabel("a,b").ok());
  EXPECT_EQ(MergeLabels({"b", "a"}, {"a", "c"}), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(SplitLabels(JoinLabels({"a", "b"})), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(SplitLabels("").empty());
  for (const LabelDef& l : DefaultTaxonomy()) EXPECT_TRUE(CanonicalLabel(l.name).ok()) << l.name;
}

TEST(Model, ScopesAndBankNames) {
  EXPECT_EQ(*ParseSharingScope("organizations"), SharingScope::kOrganisations);
  EXPECT_FALSE(ParseSharingScope("friends").ok());
  EXPECT_TRUE(ValidateBankName("gifct-2026.v1_x").ok());
  EXPECT_FALSE(ValidateBankName("").ok());
  EXPECT_FALSE(ValidateBankName("a/b").ok());
}

}  // namespace
}  // namespace vigil::store
