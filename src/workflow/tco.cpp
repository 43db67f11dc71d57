#include "workflow/tco.h"

#include <algorithm>

#include "workflow/clock.h"

namespace vigil::workflow {

TcoClockState ComputeTcoClock(const RemovalOrder& order, int64_t now_ms, ResumePolicy policy) {
  TcoClockState s;
  if (order.received_ms == 0) return s;
  s.started = true;
  s.complied = order.complied_ms != 0;
  // The clock is read at compliance time once complied, so a late removal stays late.
  const int64_t t = s.complied ? order.complied_ms : now_ms;

  std::vector<DeadlinePause> pauses = order.pauses;
  std::sort(pauses.begin(), pauses.end(),
            [](const DeadlinePause& a, const DeadlinePause& b) { return a.start_ms < b.start_ms; });
  int64_t deadline = order.received_ms + kTcoRemovalDeadlineMs;
  for (const DeadlinePause& p : pauses) {
    if (p.start_ms > t) break;
    // A pause opened after the hour had already run out does not undo the lateness.
    if (p.start_ms >= deadline) continue;
    const int64_t start = std::max(p.start_ms, order.received_ms);
    const bool open = p.end_ms == 0 || p.end_ms > t;
    const int64_t end = open ? t : p.end_ms;
    s.paused_total_ms += std::max<int64_t>(0, end - start);
    if (open) {
      s.paused = true;
      s.remaining_ms = std::max<int64_t>(0, deadline - start);
      return s;
    }
    deadline =
        policy == ResumePolicy::kRestart ? end + kTcoRemovalDeadlineMs : deadline + (end - start);
  }
  s.deadline_ms = deadline;
  s.remaining_ms = std::max<int64_t>(0, deadline - t);
  s.overdue = t > deadline;
  return s;
}

Status CheckFirstOrderNotice(int64_t notice_ms, int64_t now_ms, bool emergency) {
  if (emergency) return Status::OK();
  if (notice_ms == 0) {
    return Status::FailedPrecondition(
        "a platform's first removal order needs 12 hours' prior notice (TCO Art. 3(2)); "
        "record the notice first or mark the order as an emergency");
  }
  if (now_ms - notice_ms < kTcoFirstOrderNoticeMs) {
    return Status::FailedPrecondition(
        "a platform's first removal order needs 12 hours' prior notice (TCO Art. 3(2)); "
        "notice was given at " +
        FormatRfc3339(notice_ms) + ", the order may be issued from " +
        FormatRfc3339(notice_ms + kTcoFirstOrderNoticeMs) + " unless it is an emergency");
  }
  return Status::OK();
}

}  // namespace vigil::workflow
