#include "workflow/tco.h"

#include <gtest/gtest.h>

#include "workflow/clock.h"

namespace vigil::workflow {
namespace {

constexpr int64_t T0 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
constexpr int64_t kMin = kMsPerMinute;

RemovalOrder Received(int64_t at) {
  RemovalOrder o;
  o.issued_ms = at - 5 * kMin;
  o.received_ms = at;
  return o;
}

TEST(TcoClock, NotStartedBeforeReceipt) {
  RemovalOrder o;
  TcoClockState s = ComputeTcoClock(o, T0);
  EXPECT_FALSE(s.started);
  EXPECT_FALSE(s.overdue);
  EXPECT_FALSE(s.deadline_ms.has_value());
}

TEST(TcoClock, OneHourFromReceipt) {
  RemovalOrder o = Received(T0);
  TcoClockState s = ComputeTcoClock(o, T0 + 59 * kMin);
  EXPECT_TRUE(s.started);
  EXPECT_EQ(*s.deadline_ms, T0 + kMsPerHour);
  EXPECT_EQ(s.remaining_ms, kMin);
  EXPECT_FALSE(s.overdue);
  // Exactly at the deadline is still on time; one millisecond later is not.
  EXPECT_FALSE(ComputeTcoClock(o, T0 + kMsPerHour).overdue);
  EXPECT_TRUE(ComputeTcoClock(o, T0 + kMsPerHour + 1).overdue);
  EXPECT_EQ(ComputeTcoClock(o, T0 + 2 * kMsPerHour).remaining_ms, 0);
}

TEST(TcoClock, ComplianceFreezesTheClock) {
  RemovalOrder o = Received(T0);
  o.complied_ms = T0 + 30 * kMin;
  TcoClockState s = ComputeTcoClock(o, T0 + 10 * kMsPerHour);
  EXPECT_TRUE(s.complied);
  EXPECT_FALSE(s.overdue);
  o.complied_ms = T0 + 61 * kMin;  // removed late: stays late forever
  EXPECT_TRUE(ComputeTcoClock(o, T0 + 10 * kMsPerHour).overdue);
}

TEST(TcoClock, OpenPauseStopsTheClock) {
  RemovalOrder o = Received(T0);
  o.pauses.push_back({PauseKind::kClarification, T0 + 20 * kMin, 0, "which URL?"});
  TcoClockState s = ComputeTcoClock(o, T0 + 5 * kMsPerHour);
  EXPECT_TRUE(s.paused);
  EXPECT_FALSE(s.overdue);
  EXPECT_FALSE(s.deadline_ms.has_value());
  EXPECT_EQ(s.remaining_ms, 40 * kMin);
  EXPECT_EQ(s.paused_total_ms, 5 * kMsPerHour - 20 * kMin);
}

TEST(TcoClock, RestartPolicyGivesAFreshHourAfterThePause) {
  RemovalOrder o = Received(T0);
  o.pauses.push_back({PauseKind::kForceMajeure, T0 + 50 * kMin, T0 + 3 * kMsPerHour, "outage"});
  TcoClockState s = ComputeTcoClock(o, T0 + 3 * kMsPerHour + 59 * kMin, ResumePolicy::kRestart);
  EXPECT_FALSE(s.paused);
  EXPECT_EQ(*s.deadline_ms, T0 + 4 * kMsPerHour);
  EXPECT_FALSE(s.overdue);
  EXPECT_TRUE(ComputeTcoClock(o, T0 + 4 * kMsPerHour + 1, ResumePolicy::kRestart).overdue);
}

TEST(TcoClock, PauseRemainingPolicyKeepsOnlyWhatWasLeft) {
  RemovalOrder o = Received(T0);
  o.pauses.push_back({PauseKind::kForceMajeure, T0 + 50 * kMin, T0 + 3 * kMsPerHour, "outage"});
  // 10 minutes were left at the pause.
  TcoClockState s =
      ComputeTcoClock(o, T0 + 3 * kMsPerHour + 5 * kMin, ResumePolicy::kPauseRemaining);
  EXPECT_EQ(*s.deadline_ms, T0 + 3 * kMsPerHour + 10 * kMin);
  EXPECT_EQ(s.remaining_ms, 5 * kMin);
  EXPECT_TRUE(
      ComputeTcoClock(o, T0 + 3 * kMsPerHour + 11 * kMin, ResumePolicy::kPauseRemaining).overdue);
}

TEST(TcoClock, SeveralPausesAddUp) {
  RemovalOrder o = Received(T0);
  o.pauses.push_back({PauseKind::kClarification, T0 + 10 * kMin, T0 + 20 * kMin, "q1"});
  o.pauses.push_back({PauseKind::kClarification, T0 + 30 * kMin, T0 + 50 * kMin, "q2"});
  TcoClockState pr = ComputeTcoClock(o, T0 + 60 * kMin, ResumePolicy::kPauseRemaining);
  EXPECT_EQ(*pr.deadline_ms, T0 + 90 * kMin);
  EXPECT_EQ(pr.paused_total_ms, 30 * kMin);
  TcoClockState rs = ComputeTcoClock(o, T0 + 60 * kMin, ResumePolicy::kRestart);
  EXPECT_EQ(*rs.deadline_ms, T0 + 110 * kMin);
}

TEST(TcoClock, PauseAfterTheDeadlineDoesNotRescue) {
  RemovalOrder o = Received(T0);
  o.pauses.push_back({PauseKind::kClarification, T0 + 90 * kMin, 0, "too late"});
  TcoClockState s = ComputeTcoClock(o, T0 + 100 * kMin);
  EXPECT_FALSE(s.paused);
  EXPECT_TRUE(s.overdue);
}

TEST(TcoClock, ReadingBeforeAPauseStartsIgnoresIt) {
  RemovalOrder o = Received(T0);
  o.pauses.push_back({PauseKind::kClarification, T0 + 30 * kMin, T0 + 40 * kMin, "q"});
  TcoClockState s = ComputeTcoClock(o, T0 + 10 * kMin);
  EXPECT_EQ(*s.deadline_ms, T0 + kMsPerHour);
}

TEST(TcoClock, FirstOrderNotice) {
  EXPECT_TRUE(CheckFirstOrderNotice(0, T0, /*emergency=*/true).ok());
  EXPECT_EQ(CheckFirstOrderNotice(0, T0, false).code(), StatusCode::kFailedPrecondition);
  Status early = CheckFirstOrderNotice(T0, T0 + 12 * kMsPerHour - 1, false);
  EXPECT_EQ(early.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(early.message().find("2026-01-01T12:00:00.000Z"), std::string::npos) << early.message();
  EXPECT_TRUE(CheckFirstOrderNotice(T0, T0 + 12 * kMsPerHour, false).ok());
}

TEST(Clock, FormatsRfc3339) {
  EXPECT_EQ(FormatRfc3339(T0 + 1234), "2026-01-01T00:00:01.234Z");
  EXPECT_EQ(FormatRfc3339(0), "");
  FakeClock c(T0);
  c.Advance(kMsPerHour);
  EXPECT_EQ(c.NowMs(), T0 + kMsPerHour);
  EXPECT_GT(SystemClock().NowMs(), T0 - 365 * 24 * kMsPerHour);
}

}  // namespace
}  // namespace vigil::workflow
