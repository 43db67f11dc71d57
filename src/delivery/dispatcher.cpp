#include "delivery/dispatcher.h"

namespace vigil::delivery {

Dispatcher::Dispatcher(workflow::ReferralService* service, const DeliveryDirectory* directory,
                       WebhookClient* webhook, const SmtpClient* smtp, DispatchOptions options)
    : service_(service),
      directory_(directory),
      webhook_(webhook),
      smtp_(smtp),
      options_(std::move(options)) {}

Status Dispatcher::Push(Channel ch, const PlatformEndpoint& ep, std::string_view key,
                        const std::function<std::string()>& json,
                        const std::function<workflow::EmailNotice()>& email,
                        std::vector<std::pair<std::string, std::string>> headers,
                        workflow::DeliveryReceipt* rc) {
  rc->channel = std::string(ChannelName(ch));
  rc->idempotency_key = std::string(key);
  if (ch == Channel::kWebhook) {
    rc->endpoint = ep.url;
    auto res = webhook_->Deliver(WebhookEndpoint{ep.url, ep.secret}, json(), key);
    if (!res.ok()) return res.status();
    rc->attempts = res->attempts;
    rc->status_code = res->http_status;
    rc->remote_reference = res->remote_reference;
    return Status::OK();
  }
  // e-mail
  rc->endpoint = ep.email;
  if (smtp_ == nullptr) return Status::FailedPrecondition("no SMTP relay configured");
  workflow::EmailNotice n = email();
  SmtpMessage m;
  m.from = options_.from_address;
  m.from_name = options_.render.sender;
  m.to = {ep.email};
  m.subject = n.subject;
  m.body = n.body;
  m.message_id = "<" + std::string(key) + "@" + smtp_->options().helo_name + ">";
  m.headers = std::move(headers);
  auto res = smtp_->Send(m);
  if (!res.ok()) return res.status();
  rc->attempts = 1;
  rc->status_code = res->code;
  rc->remote_reference = res->reply;
  rc->detail = res->message_id;
  return Status::OK();
}

Status Dispatcher::DeliverOne(const workflow::Referral& r, DispatchSummary* sum) {
  const PlatformEndpoint* ep = directory_->Find(r.platform_id);
  const Channel ch = directory_->ChannelFor(r.platform_id);
  if (ch == Channel::kPull) {
    ++sum->waiting_pull;
    return Status::OK();
  }
  if (ch == Channel::kManual || ep == nullptr) {
    ++sum->waiting_manual;
    return Status::OK();
  }
  workflow::DeliveryReceipt rc;
  Status failure = Push(
      ch, *ep, r.idempotency_key, [&] { return workflow::RenderNoticeJson(r, options_.render); },
      [&] { return workflow::RenderNoticeEmail(r, options_.render); },
      {{"X-Vigil-Referral", std::to_string(r.id)}, {"X-Vigil-Idempotency-Key", r.idempotency_key}},
      &rc);
  if (failure.ok()) {
    VIGIL_RETURN_IF_ERROR(service_->RecordDelivery(options_.actor, r.id, rc));
    ++sum->delivered;
    return Status::OK();
  }
  ++sum->failed;
  return service_->RecordDeliveryFailure(options_.actor, r.id,
                                         std::string(ChannelName(ch)) + ": " + failure.message());
}

Status Dispatcher::DeliverReversal(const workflow::ReversalNotice& n, DispatchSummary* sum) {
  const PlatformEndpoint* ep = directory_->Find(n.platform_id);
  const Channel ch = directory_->ChannelFor(n.platform_id);
  if (ch == Channel::kPull) {
    ++sum->waiting_pull;
    return Status::OK();
  }
  if (ch == Channel::kManual || ep == nullptr) {
    ++sum->waiting_manual;
    return Status::OK();
  }
  workflow::DeliveryReceipt rc;
  Status failure = Push(
      ch, *ep, n.idempotency_key, [&] { return workflow::RenderReversalJson(n, options_.render); },
      [&] { return workflow::RenderReversalEmail(n, options_.render); },
      {{"X-Vigil-Referral", std::to_string(n.referral_id)},
       {"X-Vigil-Reversal", std::to_string(n.reversal_id)},
       {"X-Vigil-Idempotency-Key", n.idempotency_key}},
      &rc);
  if (failure.ok()) {
    VIGIL_RETURN_IF_ERROR(service_->RecordReversalAttempt(options_.actor, n.id, rc, true));
    ++sum->delivered;
    return Status::OK();
  }
  ++sum->failed;
  rc.detail = std::string(ChannelName(ch)) + ": " + failure.message();
  return service_->RecordReversalAttempt(options_.actor, n.id, rc, false);
}

Result<DispatchSummary> Dispatcher::DeliverPendingReversals() {
  VIGIL_ASSIGN_OR_RETURN(std::vector<workflow::ReversalNotice> pending,
                         service_->PendingReversalNotices(options_.batch));
  DispatchSummary sum;
  for (const workflow::ReversalNotice& n : pending) {
    Status s = DeliverReversal(n, &sum);
    // Delivered by a concurrent run (or pulled) meanwhile: the service refused the record.
    if (!s.ok() && s.code() != StatusCode::kFailedPrecondition) return s;
  }
  return sum;
}

Result<DispatchSummary> Dispatcher::DeliverPending() {
  VIGIL_ASSIGN_OR_RETURN(std::vector<workflow::Referral> pending,
                         service_->PendingDeliveries(options_.batch));
  DispatchSummary sum;
  for (const workflow::Referral& r : pending) {
    Status s = DeliverOne(r, &sum);
    // Withdrawn or held while we were sending: the service refused the record; go on.
    if (!s.ok() && s.code() != StatusCode::kFailedPrecondition) return s;
  }
  return sum;
}

Status CallbackHandler::Handle(std::string_view platform_id, std::string_view signature_header,
                               std::string_view body) {
  const PlatformEndpoint* ep = directory_->Find(platform_id);
  if (ep == nullptr || ep->secret.empty()) {
    return Status::Unauthenticated("no callback secret for this platform");
  }
  const int64_t now_s = service_->clock().NowMs() / 1000;
  VIGIL_RETURN_IF_ERROR(
      VerifySignature(ep->secret, signature_header, body, now_s, tolerance_s_, &replay_));
  VIGIL_ASSIGN_OR_RETURN(workflow::Feedback f, workflow::ParseFeedbackJson(body));
  return service_->ApplyFeedback("platform:" + std::string(platform_id), platform_id, f);
}

}  // namespace vigil::delivery
