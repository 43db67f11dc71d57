// The one place vigil talks to NATS JetStream (libnats, the C client): connect, declare
// the streams and the durable consumer, publish, pull. Everything is translated into
// Status here, so the worker and the CLI never see a natsStatus.
//
// Streams (docs/operations.md):
//   <work>     (default VIGIL_WORK): retention work-queue; subjects <work>.items (work items)
//              and <work>.dead (dead letters). One durable pull consumer (default
//              "vigil-workers") filtered to <work>.items is shared by every worker, so each
//              message goes to one worker at a time and leaves the stream when acked.
//   <banks>    (default VIGIL_BANKS): retention limits, one message kept per subject
//              <banks>.bank.<id>: the latest version of every bank (ParseBankNotice).
//
// Thread safety: a JetStream object (and its Subscriptions) belongs to one thread at a
// time; libnats runs its own I/O threads underneath.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

struct __natsConnection;
struct __jsCtx;
struct __natsSubscription;
struct __natsMsg;

namespace vigil::worker {

// How long a worker may hold a message before JetStream redelivers it to another worker.
// Long enough for a batch (a worker extends it with "in progress" while it waits for the
// database), short enough that a dead worker's batch is picked up soon.
inline constexpr std::chrono::seconds kDefaultAckWait{30};
// Processing attempts per message; one more delivery is allowed so that a message whose last
// attempt never finished (it crashed the worker, or hung) still reaches the dead letters.
inline constexpr int kDefaultMaxDeliver = 5;
// Messages delivered but not yet acked, across all workers: bounds redelivery after a crash.
inline constexpr int kMaxAckPending = 4096;
// How long a synchronous JetStream API call (stream info, publish ack) may take.
inline constexpr std::chrono::milliseconds kApiTimeout{5000};
// Messages that `vigil enqueue` may have in flight before waiting for acks.
inline constexpr int kMaxPublishPending = 1024;

struct QueueNames {
  std::string work_stream = "VIGIL_WORK";
  std::string bank_stream = "VIGIL_BANKS";
  std::string consumer = "vigil-workers";
  std::string work_subject() const { return work_stream + ".items"; }
  std::string dead_subject() const { return work_stream + ".dead"; }
};

struct StreamSetup {
  int replicas = 1;  // 3 on a 3-node cluster
  std::chrono::milliseconds ack_wait = kDefaultAckWait;
  int max_deliver = kDefaultMaxDeliver;
};

struct QueueStats {
  uint64_t stream_messages = 0;  // in the work stream: waiting, in flight and dead letters
  uint64_t pending = 0;          // not yet delivered to any worker
  int64_t ack_pending = 0;       // delivered, not yet acked (in flight)
  int64_t redelivered = 0;
  uint64_t dead = 0;   // messages on the dead-letter subject
  std::string leader;  // the server leading the work stream (cluster mode)
};

// A received message; acked, nak'ed or terminated at most once.
class Message {
 public:
  explicit Message(__natsMsg* m);
  ~Message();
  Message(Message&& o) noexcept;
  Message& operator=(Message&&) = delete;
  Message(const Message&) = delete;

  std::string_view subject() const;
  std::string_view data() const;
  uint64_t deliveries() const { return deliveries_; }
  uint64_t stream_seq() const { return stream_seq_; }
  Status Ack();                                 // done: leaves the work-queue
  Status Nak(std::chrono::milliseconds delay);  // retry later
  Status InProgress();                          // still working: restart the ack wait
  Status Term();                                // never redeliver
  __natsMsg* raw() const { return m_; }

 private:
  __natsMsg* m_;
  uint64_t deliveries_ = 1;
  uint64_t stream_seq_ = 0;
};

class Subscription {
 public:
  explicit Subscription(__natsSubscription* s) : s_(s) {}
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  // Pull consumer: up to `batch` messages, waiting at most `wait` for the first.
  Result<std::vector<Message>> Fetch(int batch, std::chrono::milliseconds wait);
  // Push subscription: the next message if one is already here (never blocks).
  Result<std::vector<Message>> Drain(size_t max);

 private:
  __natsSubscription* s_;
};

// Releases libnats' global state (its threads and buffers). Call once at process end, after
// every JetStream object is gone; a later Connect starts the library again.
void ShutdownNats();

class JetStream {
 public:
  ~JetStream();
  JetStream(const JetStream&) = delete;
  JetStream& operator=(const JetStream&) = delete;

  // `urls`: one or more comma-separated nats:// URLs (any cluster node will do: the client
  // learns the others and reconnects to them forever). Unavailable if none answers.
  static Result<std::unique_ptr<JetStream>> Connect(const std::string& urls,
                                                    const std::string& client_name);

  // Creates the streams and the consumer if missing; existing ones are used as they are.
  Status EnsureWorkQueue(const QueueNames& names, const StreamSetup& setup);
  Status EnsureBankStream(const QueueNames& names, const StreamSetup& setup);

  // Binds to the shared durable consumer (EnsureWorkQueue first).
  Result<std::unique_ptr<Subscription>> PullWork(const QueueNames& names);
  // Every bank's latest notice, then new ones as they arrive (an ordered consumer, which
  // the client recreates after a failover).
  Result<std::unique_ptr<Subscription>> FollowBanks(const QueueNames& names);

  // Synchronous publish (waits for the stream's ack). msg_id, if not empty, lets the
  // stream drop a duplicate published within its duplicate window (2 minutes).
  Status Publish(const std::string& subject, std::string_view data, const std::string& msg_id,
                 const std::vector<std::pair<std::string, std::string>>& headers = {});
  // Asynchronous publish for bulk enqueue; PublishFlush waits for every ack and returns
  // how many were rejected.
  Status PublishAsync(const std::string& subject, std::string_view data, const std::string& msg_id);
  Result<int64_t> PublishFlush(std::chrono::milliseconds timeout);

  Result<QueueStats> Stats(const QueueNames& names);

 private:
  JetStream() = default;
  __natsConnection* nc_ = nullptr;
  __jsCtx* js_ = nullptr;
};

}  // namespace vigil::worker
