// `vigil worker`: one member of the consumer group that hashes and matches work items from
// JetStream and writes the results to the store (PostgreSQL in production).
//
// Delivery contract: a message is acked only after the transaction holding its results has
// committed (Store::RecordWork). A worker that dies before that leaves the message to be
// redelivered after the ack wait; the store's work ledger turns the second attempt into a
// no-op if the first had in fact committed. So every work item ends in the store exactly
// once, whichever worker, broker node or database restart fails along the way.
//
// A message that fails max_deliver attempts (undecodable media, a malformed item, or one
// whose attempts never finish) is published to the dead-letter subject with the reason and
// terminated, so one poison message cannot block the queue.
//
// Index: the matcher is loaded from the store (the snapshot: every bank at its current
// version) and then follows the bank stream; a notice for a version newer than the one
// applied makes the worker read that bank's changes since (Matcher::RefreshBank). Every
// recorded match carries the bank version the worker's index had applied.
//
// Thread safety: Run() on one thread; stats() and RequestStop() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "match/matcher.h"
#include "store/store.h"
#include "worker/jetstream.h"

namespace vigil::worker {

// Messages fetched and committed together: one store transaction per batch.
inline constexpr int kDefaultBatch = 32;
// How long one fetch waits for work before the worker checks bank notices and stop flags.
inline constexpr std::chrono::milliseconds kFetchWait{500};
// Delay before a failed message is offered again.
inline constexpr std::chrono::milliseconds kDefaultRetryDelay{1000};
// Backoff while the store is unreachable (the batch is held, its ack wait extended).
inline constexpr std::chrono::milliseconds kStoreRetryMin{100};
inline constexpr std::chrono::milliseconds kStoreRetryMax{2000};
// Largest media file a work item may point to by path.
inline constexpr uint64_t kMaxMediaFileBytes = 256ull << 20;
// Largest media a work item may name by URL ("fetch"): read through collect's SafeFetcher,
// which refuses private and loopback addresses. A failed fetch is retried like any failure
// and dead-lettered with the reason after max_deliver attempts.
inline constexpr uint64_t kDefaultMaxFetchBytes = 64ull << 20;
inline constexpr std::chrono::milliseconds kDefaultFetchTimeout{20'000};
// How often a worker upserts its report row (processed, rate, bank versions) in the store,
// which `vigil serve` shows on /metrics and GET /api/v1/queue.
inline constexpr std::chrono::milliseconds kDefaultReportInterval{5000};

struct WorkerOptions {
  std::string nats_urls;  // comma-separated
  std::string db;         // --db value (PostgreSQL for more than one worker)
  std::string name;       // recorded in the ledger; default "worker-<pid>"
  QueueNames names;
  StreamSetup setup;
  int batch = kDefaultBatch;
  std::chrono::milliseconds retry_delay = kDefaultRetryDelay;
  int max_pdq_distance = 31;
  // Metrics log line on stderr every this often (0: never).
  std::chrono::milliseconds metrics_interval{5000};
  // Stop once the queue has been empty for this long (0: run until stopped). For benches
  // and batch jobs.
  std::chrono::milliseconds exit_when_idle{0};
  // Media named by URL: size and time limits; loopback allowed only for tests.
  uint64_t max_fetch_bytes = kDefaultMaxFetchBytes;
  std::chrono::milliseconds fetch_timeout = kDefaultFetchTimeout;
  bool allow_loopback_fetch = false;
  // Report row in the store every this often (0: never).
  std::chrono::milliseconds report_interval = kDefaultReportInterval;
  // Called with each metrics line (default: stderr).
  std::function<void(const std::string&)> log;
  // This worker's PDQ index snapshot directory (match::Matcher::LoadOptions::pdq_cache_dir):
  // a restart at unchanged bank versions maps it instead of reading every hash. "": none.
  std::string index_cache_dir;
};

struct WorkerStats {
  std::atomic<int64_t> processed{0};   // results committed by this worker
  std::atomic<int64_t> duplicates{0};  // redeliveries the ledger had already done
  std::atomic<int64_t> matches{0};
  std::atomic<int64_t> retried{0};  // messages nak'ed for a later attempt
  std::atomic<int64_t> dead{0};     // sent to the dead letters
  std::atomic<int64_t> in_flight{0};
  std::atomic<int64_t> store_retries{0};
  std::atomic<int64_t> bank_notices{0};
  std::atomic<double> ready_seconds{0};       // start to ready (index loaded, consumer bound)
  std::atomic<double> index_load_seconds{0};  // of which loading the index snapshot
  std::atomic<int64_t> index_signals{0};
};

struct WorkItem;
// Hashes a work item's media and matches every signal against `matcher`: what a worker does
// per message before the store write (also the inline path the bench compares with).
Result<store::WorkResult> ProcessWorkItem(const WorkItem& item, const match::Matcher& matcher,
                                          const WorkerOptions& options);

class Worker {
 public:
  explicit Worker(WorkerOptions options);
  ~Worker();
  // Connects, loads the index, binds the consumer and processes until RequestStop() (or
  // exit_when_idle). Returns the first error it cannot retry (bad options, no NATS at
  // start); a lost NATS or database connection is retried, never fatal.
  Status Run();
  void RequestStop() { stop_.store(true); }
  const WorkerStats& stats() const { return stats_; }
  // "bank:version,..." of the index, for logs and metrics.
  std::string BankVersions() const;

 private:
  struct Impl;
  WorkerOptions options_;
  WorkerStats stats_;
  std::atomic<bool> stop_{false};
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::worker
