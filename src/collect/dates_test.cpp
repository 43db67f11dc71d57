#include "collect/dates.h"

#include <gtest/gtest.h>

#include <string>

namespace vigil::collect {
namespace {

TEST(Dates, IsoAndRfc822) {
  const int64_t t = 1'795'860'000'000;                      // 2026-11-28T10:00:00Z
  EXPECT_EQ(PublishedToEpochMs("2026-11-28T10:00:00"), t);  // Telegram: no zone = UTC
  EXPECT_EQ(PublishedToEpochMs("2026-11-28T10:00:00Z"), t);
  EXPECT_EQ(PublishedToEpochMs("2026-11-28T10:00:00.250Z"), t);
  EXPECT_EQ(PublishedToEpochMs("2026-11-28T12:00:00+02:00"), t);
  EXPECT_EQ(PublishedToEpochMs("2026-11-28 05:30:00 -0430"), t);
  EXPECT_EQ(PublishedToEpochMs("Sat, 28 Nov 2026 10:00:00 +0000"), t);
  EXPECT_EQ(PublishedToEpochMs("28 Nov 2026 11:00:00 +0100"), t);
}

TEST(Dates, GarbageIsZero) {
  EXPECT_EQ(PublishedToEpochMs(""), 0);
  EXPECT_EQ(PublishedToEpochMs("yesterday"), 0);
  EXPECT_EQ(PublishedToEpochMs("99999999-01-01T00:00:00"), 0);
  EXPECT_EQ(PublishedToEpochMs(std::string(100, '2')), 0);
}

}  // namespace
}  // namespace vigil::collect
