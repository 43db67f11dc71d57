#include "cli/serve_nats.h"

#include <mutex>

#include "worker/publisher.h"

namespace vigil::cli {
namespace {

class JetStreamWorkQueue : public server::WorkQueue {
 public:
  explicit JetStreamWorkQueue(std::unique_ptr<worker::WorkPublisher> pub) : pub_(std::move(pub)) {}

  Status Publish(const worker::WorkItem& item) override {
    std::lock_guard lock(mu_);
    return pub_->Publish(item);
  }
  Status PublishBankVersion(int64_t bank_id, int64_t version) override {
    std::lock_guard lock(mu_);
    return pub_->PublishBankVersion(bank_id, version);
  }
  Result<server::QueueFigures> Figures() override {
    std::lock_guard lock(mu_);
    VIGIL_ASSIGN_OR_RETURN(worker::QueueStats st, pub_->Stats());
    server::QueueFigures f;
    f.stream_messages = st.stream_messages;
    f.pending = st.pending;
    f.ack_pending = st.ack_pending;
    f.redelivered = st.redelivered;
    f.dead = st.dead;
    f.stream = pub_->names().work_stream;
    f.leader = st.leader;
    return f;
  }

 private:
  std::mutex mu_;
  std::unique_ptr<worker::WorkPublisher> pub_;
};

}  // namespace

Result<std::shared_ptr<server::WorkQueue>> ConnectWorkQueue(const NatsQueueFlags& flags,
                                                            const std::string& client_name) {
  worker::QueueNames names;
  names.work_stream = flags.work_stream;
  names.bank_stream = flags.bank_stream;
  worker::StreamSetup setup;
  setup.replicas = flags.replicas;
  VIGIL_ASSIGN_OR_RETURN(auto pub,
                         worker::WorkPublisher::Connect(flags.urls, client_name, names, setup));
  return std::shared_ptr<server::WorkQueue>(std::make_shared<JetStreamWorkQueue>(std::move(pub)));
}

void CloseNats() { worker::ShutdownNats(); }

}  // namespace vigil::cli
