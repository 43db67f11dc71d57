// What a platform receives: a referral as a JSON notice (webhook body, pull API) and as an
// e-mail (subject and plain-text body). The removal order's Annex I sections appear in
// both. The notice carries only what the platform needs to act: URLs, account, capture
// times, hashes, labels, tier, reasons and the evidence reference — never hold ids or
// other organisations' internal notes.
//
// Thread safety: pure functions.
#pragma once

#include <string>

#include "workflow/model.h"

namespace vigil::workflow {

struct RenderOptions {
  std::string sender = "vigil";  // who the notice is from (unit name)
  std::string callback_url;      // where the platform posts feedback (may be empty)
};

// {"type":"vigil.referral","version":1,"referral_id":..,"idempotency_key":..,...}
std::string RenderNoticeJson(const Referral& r, const RenderOptions& options = {});

struct EmailNotice {
  std::string subject;
  std::string body;  // plain text, lines under 100 characters where the data allows
};
EmailNotice RenderNoticeEmail(const Referral& r, const RenderOptions& options = {});

}  // namespace vigil::workflow
