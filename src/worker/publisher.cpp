#include "worker/publisher.h"

namespace vigil::worker {

Result<std::unique_ptr<WorkPublisher>> WorkPublisher::Connect(const std::string& urls,
                                                              const std::string& client_name,
                                                              const QueueNames& names,
                                                              const StreamSetup& setup) {
  std::unique_ptr<WorkPublisher> p(new WorkPublisher());
  VIGIL_ASSIGN_OR_RETURN(p->js_, JetStream::Connect(urls, client_name));
  VIGIL_RETURN_IF_ERROR(p->js_->EnsureWorkQueue(names, setup));
  VIGIL_RETURN_IF_ERROR(p->js_->EnsureBankStream(names, setup));
  p->names_ = names;
  return p;
}

namespace {

Result<std::string> Encode(const WorkItem& item) {
  std::string msg = EncodeWorkItem(item);
  if (msg.size() > kMaxWorkMessageBytes) {
    return Status::InvalidArgument("work item '" + item.key + "' is " + std::to_string(msg.size()) +
                                   " bytes encoded, more than " +
                                   std::to_string(kMaxWorkMessageBytes) +
                                   " (send large media by path or URL)");
  }
  return msg;
}

}  // namespace

Status WorkPublisher::PublishAsync(const WorkItem& item) {
  VIGIL_ASSIGN_OR_RETURN(std::string msg, Encode(item));
  VIGIL_RETURN_IF_ERROR(js_->PublishAsync(names_.work_subject(), msg, item.key));
  ++published_;
  bytes_ += msg.size();
  return Status::OK();
}

Status WorkPublisher::Flush(std::chrono::milliseconds timeout) {
  VIGIL_ASSIGN_OR_RETURN(int64_t rejected, js_->PublishFlush(timeout));
  if (rejected > 0) {
    return Status::Unavailable(std::to_string(rejected) + " publishes were rejected");
  }
  return Status::OK();
}

Status WorkPublisher::Publish(const WorkItem& item) {
  VIGIL_ASSIGN_OR_RETURN(std::string msg, Encode(item));
  VIGIL_RETURN_IF_ERROR(js_->Publish(names_.work_subject(), msg, item.key));
  ++published_;
  bytes_ += msg.size();
  return Status::OK();
}

Status WorkPublisher::PublishBankVersion(int64_t bank_id, int64_t version) {
  // The message id makes a repeated notice for one version a no-op within the window.
  return js_->Publish(BankSubject(names_.bank_stream, bank_id), std::to_string(version),
                      "bank:" + std::to_string(bank_id) + ":" + std::to_string(version));
}

}  // namespace vigil::worker
