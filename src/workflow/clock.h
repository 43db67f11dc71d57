// Time for the referral workflow. Every deadline (the one-hour TCO clock, the 12-hour
// prior notice, re-check schedules) is computed from a Clock the caller passes in, so
// tests drive time by hand with FakeClock instead of sleeping.
//
// Times are milliseconds since the Unix epoch, UTC, as in store/model.h.
//
// Thread safety: NowMs may be called from any thread; FakeClock's setters too (atomic).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace vigil::workflow {

inline constexpr int64_t kMsPerSecond = 1000;
inline constexpr int64_t kMsPerMinute = 60 * kMsPerSecond;
inline constexpr int64_t kMsPerHour = 60 * kMsPerMinute;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override;
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_ms = 1'767'225'600'000)  // 2026-01-01T00:00:00Z
      : now_ms_(start_ms) {}
  int64_t NowMs() const override { return now_ms_.load(); }
  void Set(int64_t ms) { now_ms_.store(ms); }
  void Advance(int64_t ms) { now_ms_.fetch_add(ms); }

 private:
  std::atomic<int64_t> now_ms_;
};

// "2026-01-01T00:00:00.000Z" (RFC 3339, UTC, milliseconds); "" for 0.
std::string FormatRfc3339(int64_t ms);

}  // namespace vigil::workflow
