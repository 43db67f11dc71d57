// Moves pending referrals to platforms and platform feedback back into the workflow.
//
// Dispatcher::DeliverPending takes the service's pending referrals and, per platform as the
// delivery directory says: webhook -> RenderNoticeJson, signed POST with the referral's
// idempotency key and retries; email -> RenderNoticeEmail over SMTP; pull -> left for the
// platform's account to fetch (ReferralService::PullForPlatform); manual -> left for an
// operator (web forms). Success records a delivery receipt (which starts a TCO order's
// clock); exhausted retries or a permanent refusal record a delivery failure.
//
// CallbackHandler verifies a platform's signed callback (HMAC with the platform's
// directory secret, timestamp window, replay refusal), parses the feedback and applies it
// as actor "platform:<id>".
//
// Thread safety: DeliverPending and Handle may be called from any thread; they share only
// the (thread-safe) service, clients and replay guard.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "delivery/directory.h"
#include "delivery/signature.h"
#include "delivery/smtp.h"
#include "delivery/webhook.h"
#include "workflow/render.h"
#include "workflow/reversal.h"
#include "workflow/service.h"

namespace vigil::delivery {

struct DispatchOptions {
  workflow::RenderOptions render;
  std::string from_address = "referrals@vigil.invalid";
  size_t batch = 100;  // referrals per DeliverPending call
  std::string actor = "system:dispatcher";
};

struct DispatchSummary {
  int delivered = 0;
  int failed = 0;
  int waiting_pull = 0;
  int waiting_manual = 0;
};

class Dispatcher {
 public:
  // All pointers must outlive the dispatcher; smtp may be null (e-mail platforms then
  // count as failed deliveries with a clear reason).
  Dispatcher(workflow::ReferralService* service, const DeliveryDirectory* directory,
             WebhookClient* webhook, const SmtpClient* smtp, DispatchOptions options = {});

  Result<DispatchSummary> DeliverPending();
  // Delivers one pending referral by its platform's channel.
  Status DeliverOne(const workflow::Referral& r, DispatchSummary* summary);

  // Reversal notices (workflow/reversal.h) take the same channels: webhook ->
  // RenderReversalJson signed and POSTed with the notice's own idempotency key, email ->
  // RenderReversalEmail, pull -> left for the platform's account (the pull API lists it),
  // manual -> left for an operator. Every push attempt is recorded on the notice
  // (ReferralService::RecordReversalAttempt). Counted in the same summary fields.
  Result<DispatchSummary> DeliverPendingReversals();
  Status DeliverReversal(const workflow::ReversalNotice& n, DispatchSummary* summary);

 private:
  // One push by webhook or e-mail; fills `rc` (channel, endpoint, attempts, codes) and
  // returns why it failed, if it did. `json`/`email` render the body only for the channel
  // used.
  Status Push(Channel ch, const PlatformEndpoint& ep, std::string_view key,
              const std::function<std::string()>& json,
              const std::function<workflow::EmailNotice()>& email,
              std::vector<std::pair<std::string, std::string>> headers,
              workflow::DeliveryReceipt* rc);

  workflow::ReferralService* service_;
  const DeliveryDirectory* directory_;
  WebhookClient* webhook_;
  const SmtpClient* smtp_;
  DispatchOptions options_;
};

class CallbackHandler {
 public:
  CallbackHandler(workflow::ReferralService* service, const DeliveryDirectory* directory,
                  int64_t tolerance_s = kDefaultSignatureToleranceS)
      : service_(service),
        directory_(directory),
        tolerance_s_(tolerance_s),
        replay_(2 * tolerance_s) {}

  // Unauthenticated (unknown platform, no secret, bad/stale/replayed signature),
  // InvalidArgument (bad feedback), NotFound / FailedPrecondition from the service.
  // The signature is checked before the body is parsed.
  Status Handle(std::string_view platform_id, std::string_view signature_header,
                std::string_view body);

 private:
  workflow::ReferralService* service_;
  const DeliveryDirectory* directory_;
  int64_t tolerance_s_;
  ReplayGuard replay_;
};

}  // namespace vigil::delivery
