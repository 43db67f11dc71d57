// The reversal routes of the REST API (issue 7 item 8; workflow/reversal.h, docs/referrals.md):
//   POST /api/v1/referrals/{id}/reverse        {reason, item?}   permission referral.reverse
//   POST /api/v1/banks/{name}/signals/reverse  {type, value, reason}   bank.write, own bank
// and the reversal half of sending (POST /api/v1/referrals/send delivers pending reversal
// notices through the same Dispatcher) and of the pull API (GET /api/v1/platform/referrals
// lists them beside referral notices, "type":"vigil.reversal").
//
// Scope: a reversal changes every referral and bank holding the content, but the answer
// names only the referrals the caller's organisation is on and counts the rest (another
// organisation's private banks and referrals are not revealed).
//
// Thread safety: const methods; the service and dispatcher are thread-safe. Call without
// the server's store mutex held (the workflow takes it).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <functional>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "delivery/dispatcher.h"
#include "server/router.h"
#include "workflow/render.h"
#include "workflow/service.h"

namespace vigil::server {

struct ReversalRoutes {
  workflow::ReferralService* service = nullptr;
  delivery::Dispatcher* dispatcher = nullptr;
  workflow::RenderOptions render;
  // Told the banks whose signals a reversal marked, so the server's matcher drops them at
  // once (Matcher::RefreshBank). Unset: nothing to tell.
  std::function<Status(const std::vector<int64_t>& bank_ids)> banks_changed;

  // `org` is the caller's organisation: NotFound unless the referral names it.
  Result<Response> ReverseReferral(const RouteContext& c, std::string_view org) const;
  // The caller has checked that `bank` is the principal's to change.
  Result<Response> ReverseSignal(const RouteContext& c, std::string_view bank,
                                 std::string_view org) const;
  // Pushes undelivered notices (of referrals naming `org`; empty: all) by each platform's
  // channel, optionally for one platform, at most `limit`.
  Result<boost::json::object> DeliverNotices(std::string_view org, std::string_view platform,
                                             size_t limit) const;
  // The platform's pending notices as rendered JSON, each recorded as delivered.
  Result<boost::json::array> Pull(std::string_view platform, std::string_view account,
                                  size_t limit) const;

 private:
  Result<Response> Answer(const workflow::ReversalOutcome& out, std::string_view org,
                          bool with_signals) const;
};

}  // namespace vigil::server
