// The TCO removal-order clock (Regulation (EU) 2021/784 Art. 3), as pure functions over a
// RemovalOrder so that every case is testable with plain numbers.
//
// - The provider must remove or disable the content within one hour of receipt (Art. 3(3)).
// - When it reports force majeure or de facto impossibility (Art. 3(7)), or a manifest
//   error or insufficient information and asks for clarification (Art. 3(8)), the clock
//   stops; it applies again once the reasons cease or the clarification is given.
//   ResumePolicy says how: kRestart (the Regulation's text: "the time limit shall apply as
//   soon as ..." — a fresh hour from the resumption; the default) or kPauseRemaining (only
//   the time left before the pause).
// - Before a platform's first order the authority must give 12 hours' notice of the
//   procedures and deadlines, unless the order is a duly justified emergency (Art. 3(2)).
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>

#include "workflow/model.h"

namespace vigil::workflow {

inline constexpr int64_t kTcoRemovalDeadlineMs = 1 * 60 * 60 * 1000;    // Art. 3(3)
inline constexpr int64_t kTcoFirstOrderNoticeMs = 12 * 60 * 60 * 1000;  // Art. 3(2)

enum class ResumePolicy { kRestart, kPauseRemaining };

struct TcoClockState {
  bool started = false;   // received (delivered) yet
  bool paused = false;    // a pause is open now
  bool complied = false;  // removed or disabled
  // When the hour runs out (unset while paused, before receipt, or after compliance).
  std::optional<int64_t> deadline_ms;
  int64_t remaining_ms = 0;  // time left (0 when overdue or not running)
  bool overdue = false;      // running and past the deadline, or complied late
  int64_t paused_total_ms = 0;
};

// The clock of `order` at `now_ms`.
TcoClockState ComputeTcoClock(const RemovalOrder& order, int64_t now_ms,
                              ResumePolicy policy = ResumePolicy::kRestart);

// Whether the first order to a platform may be issued at `now_ms`: OK if `emergency`, or
// notice was given at least 12 hours earlier; FailedPrecondition otherwise, saying when it
// becomes possible. `notice_ms` 0 means no notice recorded.
Status CheckFirstOrderNotice(int64_t notice_ms, int64_t now_ms, bool emergency);

}  // namespace vigil::workflow
