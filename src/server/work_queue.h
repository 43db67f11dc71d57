// What `vigil serve --nats` needs from the scale-out queue, as an interface so the server
// stays free of broker code: src/cli/serve_nats.cpp implements it over JetStream
// (worker::WorkPublisher), tests may fake it.
//
// With a WorkQueue configured, the server:
//   - answers POST /api/v1/work with 202 and a work key after publishing the upload as a
//     work item (a worker hashes, matches and records it; GET /api/v1/work/{key} reads the
//     ledger);
//   - publishes a bank notice after every bank change it makes, so workers refresh;
//   - shows queue depth, in-flight, redeliveries and dead letters on /metrics and
//     GET /api/v1/queue.
//
// Thread safety: every method may be called from any server thread at once.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "worker/work_item.h"

namespace vigil::server {

struct QueueFigures {
  uint64_t stream_messages = 0;  // in the work stream: waiting and in flight
  uint64_t pending = 0;          // the consumer's num_pending: not yet delivered
  int64_t ack_pending = 0;       // delivered, not acked: in flight
  int64_t redelivered = 0;
  uint64_t dead = 0;  // dead letters
  std::string stream;
  std::string leader;
};

class WorkQueue {
 public:
  virtual ~WorkQueue() = default;
  // Returns once the stream has stored the item (so a 202 means it is queued).
  virtual Status Publish(const worker::WorkItem& item) = 0;
  virtual Status PublishBankVersion(int64_t bank_id, int64_t version) = 0;
  virtual Result<QueueFigures> Figures() = 0;
};

}  // namespace vigil::server
