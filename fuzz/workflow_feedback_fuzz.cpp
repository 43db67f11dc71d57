// Fuzzes the platform feedback parser and the state machine behind it: any document either
// fails to parse, or parses to a value whose JSON form parses back to the same value; and
// applying it to a delivered TCO order never breaks the referral's invariants.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "workflow/feedback.h"
#include "workflow/service.h"

using namespace vigil::workflow;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view s(reinterpret_cast<const char*>(data), size);
  auto f = ParseFeedbackJson(s);
  if (!f.ok()) return 0;
  auto back = ParseFeedbackJson(FeedbackToJson(*f));
  if (!back.ok() || back->referral_id != f->referral_id || back->kind != f->kind ||
      back->urls != f->urls || back->reason != f->reason ||
      back->cannot_comply_reason != f->cannot_comply_reason ||
      back->jurisdictions != f->jurisdictions || back->reported_ms != f->reported_ms) {
    __builtin_trap();
  }

  FakeClock clock;
  MemoryReferralRepository repo;
  MemoryAuditSink audit;
  ReferralService svc(&repo, &audit, &clock, nullptr);
  ConfirmedItem item;
  item.url = "https://v.example/1";
  item.platform_id = "videohost";
  ReferRequest req;
  req.actor = "fuzz";
  req.org = "org";
  req.route = LegalRoute::kTcoRemovalOrder;
  req.items = {item};
  OrderTemplate t;
  t.issuing_authority = "A";
  t.grounds = {TcoGround::kIncites};
  t.reasons = "r";
  t.emergency = true;
  req.order = t;
  auto out = svc.Refer(req);
  if (!out.ok()) __builtin_trap();
  if (!svc.RecordDelivery("fuzz", out->created[0], DeliveryReceipt{}).ok()) __builtin_trap();
  Feedback g = *f;
  g.referral_id = out->created[0];
  const ReferralState before = svc.Get(g.referral_id)->state;
  auto st = svc.ApplyFeedback("platform:videohost", "videohost", g);
  const ReferralState after = svc.Get(g.referral_id)->state;
  if (!st.ok() && after != before) __builtin_trap();  // a refusal changes nothing
  if (after != before && !IsTransitionAllowed(before, after)) __builtin_trap();
  if (!svc.OrderClock(g.referral_id).ok()) __builtin_trap();
  return 0;
}
