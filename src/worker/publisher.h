// The producer side of the work queue, shared by every command that hands work to
// `vigil worker` instead of doing it inline: `vigil enqueue`, `vigil scan --nats`,
// `vigil serve --nats` (uploads, bank notices, queue figures) and `vigil bank ... --nats`.
// One publisher, so that every producer publishes the same way: the work key as the
// message id (a retried publish within the stream's duplicate window is stored once; the
// store's ledger catches any later repeat) and bank versions as "last per bank" notices.
//
// Thread safety: one thread at a time (libnats' JetStream context is not shared here);
// `vigil serve` wraps it in a mutex.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "worker/jetstream.h"
#include "worker/work_item.h"

namespace vigil::worker {

// How long Flush waits for the stream's acks of everything published asynchronously.
inline constexpr std::chrono::seconds kPublishFlushTimeout{60};

class WorkPublisher {
 public:
  // Connects and makes sure the work queue and the bank stream exist (created with `setup`
  // when missing). Unavailable when no NATS server answers.
  static Result<std::unique_ptr<WorkPublisher>> Connect(const std::string& urls,
                                                        const std::string& client_name,
                                                        const QueueNames& names,
                                                        const StreamSetup& setup);

  // Asynchronous: up to kMaxPublishPending in flight; Flush() waits for their acks. A
  // message larger than kMaxWorkMessageBytes is refused (InvalidArgument) before sending.
  Status PublishAsync(const WorkItem& item);
  // Waits for every ack; Unavailable naming how many publishes the stream rejected.
  Status Flush(std::chrono::milliseconds timeout = kPublishFlushTimeout);
  // Synchronous: returns once the stream has stored it (the server's 202 means "queued").
  Status Publish(const WorkItem& item);
  // A bank's new version for the workers' indexes (Worker follows the bank stream).
  Status PublishBankVersion(int64_t bank_id, int64_t version);

  Result<QueueStats> Stats() { return js_->Stats(names_); }
  const QueueNames& names() const { return names_; }
  int64_t published() const { return published_; }
  uint64_t published_bytes() const { return bytes_; }

 private:
  WorkPublisher() = default;
  std::unique_ptr<JetStream> js_;
  QueueNames names_;
  int64_t published_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace vigil::worker
