// Fuzzes the referral record decoder (workflow/codec.h, what the SQL repository reads
// back) and the reversal notice decoder (workflow/reversal.h): any document either fails to
// decode, or decodes to a record whose encoding decodes to the same encoding (a fixed point
// after one round).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "workflow/codec.h"
#include "workflow/reversal.h"

using namespace vigil::workflow;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view s(reinterpret_cast<const char*>(data), size);
  if (auto n = ReversalNoticeFromJson(s); n.ok()) {
    const std::string once = ReversalNoticeToJson(*n);
    auto back = ReversalNoticeFromJson(once);
    if (!back.ok() || ReversalNoticeToJson(*back) != once) __builtin_trap();
  }
  auto r = ReferralFromJson(s);
  if (!r.ok()) return 0;
  const std::string once = ReferralToJson(*r);
  auto back = ReferralFromJson(once);
  if (!back.ok() || ReferralToJson(*back) != once) __builtin_trap();
  return 0;
}
