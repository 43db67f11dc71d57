// `vigil worker`, `vigil enqueue` and `vigil queue`: scale-out over NATS JetStream
// (docs/operations.md). Thin: flags in, vigil_worker does the work.
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/file.h"
#include "store/store.h"
#include "worker/jetstream.h"
#include "worker/publisher.h"
#include "worker/work_item.h"
#include "worker/worker.h"

namespace vigil::cli {
namespace {

// Largest file `vigil enqueue` carries inside a message (larger ones need --by-path).
constexpr uint64_t kMaxInlineBytes = worker::kMaxInlineMediaBytes;

struct QueueFlags {
  std::string nats = "nats://127.0.0.1:4222";
  std::string work_stream = "VIGIL_WORK";
  std::string bank_stream = "VIGIL_BANKS";
  int replicas = 1;
  double ack_wait_s = std::chrono::duration<double>(worker::kDefaultAckWait).count();
  int max_deliver = worker::kDefaultMaxDeliver;

  worker::QueueNames Names() const {
    worker::QueueNames n;
    n.work_stream = work_stream;
    n.bank_stream = bank_stream;
    return n;
  }
  worker::StreamSetup Setup() const {
    worker::StreamSetup s;
    s.replicas = replicas;
    s.ack_wait = std::chrono::milliseconds(static_cast<int64_t>(ack_wait_s * 1000));
    s.max_deliver = max_deliver;
    return s;
  }
};

void AddQueueFlags(CLI::App* cmd, QueueFlags* f) {
  cmd->add_option("--nats", f->nats,
                  "NATS server URL(s), comma-separated (default nats://127.0.0.1:4222)");
  cmd->add_option("--stream", f->work_stream, "Work-queue stream (default VIGIL_WORK)");
  cmd->add_option("--banks-stream", f->bank_stream, "Bank notice stream (default VIGIL_BANKS)");
  cmd->add_option("--replicas", f->replicas,
                  "Stream replicas when creating the streams (3 on a 3-node cluster; default 1)")
      ->check(CLI::Range(1, 5));
  cmd->add_option("--ack-wait", f->ack_wait_s,
                  "Seconds before an unacked message is redelivered, when creating the "
                  "consumer (default 30)")
      ->check(CLI::Range(0.5, 3600.0));
  cmd->add_option("--max-deliver", f->max_deliver,
                  "Attempts before a message goes to the dead letters (default 5)")
      ->check(CLI::Range(1, 100));
}

worker::Worker* g_worker = nullptr;
extern "C" void OnStopSignal(int) {
  if (g_worker != nullptr) g_worker->RequestStop();
}

struct WorkerFlags {
  QueueFlags q;
  std::string db;
  std::string name;
  int batch = worker::kDefaultBatch;
  double metrics_s = 5;
  double exit_when_idle_s = 0;
  double retry_delay_s = 1;
  double report_s = 5;
  uint64_t max_fetch_bytes = worker::kDefaultMaxFetchBytes;
  bool allow_loopback_fetch = false;
  std::string index_cache;
};

int RunWorker(const WorkerFlags& f) {
  worker::WorkerOptions o;
  o.nats_urls = f.q.nats;
  o.db = f.db;
  o.name = f.name;
  o.names = f.q.Names();
  o.setup = f.q.Setup();
  o.batch = f.batch;
  o.metrics_interval = std::chrono::milliseconds(static_cast<int64_t>(f.metrics_s * 1000));
  o.exit_when_idle = std::chrono::milliseconds(static_cast<int64_t>(f.exit_when_idle_s * 1000));
  o.retry_delay = std::chrono::milliseconds(static_cast<int64_t>(f.retry_delay_s * 1000));
  o.report_interval = std::chrono::milliseconds(static_cast<int64_t>(f.report_s * 1000));
  o.max_fetch_bytes = f.max_fetch_bytes;
  o.allow_loopback_fetch = f.allow_loopback_fetch;
  o.index_cache_dir = f.index_cache;
  worker::Worker w(std::move(o));
  g_worker = &w;
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
  Status s = w.Run();
  g_worker = nullptr;
  if (!s.ok()) {
    PrintError("worker", s);
    return ExitCodeFor(s);
  }
  return kExitOk;
}

struct EnqueueFlags {
  QueueFlags q;
  std::vector<std::string> inputs;
  std::string source = "enqueue";
  std::string key_prefix = "file:";
  bool by_path = false;
};

int RunEnqueue(const EnqueueFlags& f) {
  auto pub = worker::WorkPublisher::Connect(f.q.nats, "vigil enqueue", f.q.Names(), f.q.Setup());
  if (!pub.ok()) {
    PrintError("enqueue", pub.status());
    return kExitFailure;
  }
  std::vector<std::string> files;
  for (const auto& in : f.inputs) {
    std::error_code ec;
    if (std::filesystem::is_directory(in, ec)) {
      for (auto it = std::filesystem::recursive_directory_iterator(in, ec);
           !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file()) files.push_back(it->path().string());
      }
    } else {
      files.push_back(in);
    }
  }
  std::sort(files.begin(), files.end());
  const auto start = std::chrono::steady_clock::now();
  for (const auto& path : files) {
    worker::WorkItem item;
    std::string abs = std::filesystem::absolute(path).lexically_normal().string();
    item.key = f.key_prefix + abs;
    item.source = f.source;
    worker::WorkMedia m;
    m.uri = "file://" + abs;
    if (f.by_path) {
      m.path = abs;
    } else {
      auto data = ReadFileBytes(path, kMaxInlineBytes);
      if (!data.ok()) {
        PrintError("enqueue " + path, data.status());
        return kExitFailure;
      }
      m.data.assign(data->begin(), data->end());
    }
    item.media.push_back(std::move(m));
    // The work key doubles as the message id, so enqueueing a file twice within the
    // stream's duplicate window publishes it once (and the ledger catches any later repeat).
    if (Status s = (*pub)->PublishAsync(item); !s.ok()) {
      PrintError("enqueue", s);
      return kExitFailure;
    }
  }
  Status flushed = (*pub)->Flush();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!flushed.ok()) {
    PrintError("enqueue", flushed);
    return kExitFailure;
  }
  const int64_t published = (*pub)->published();
  const uint64_t bytes = (*pub)->published_bytes();
  std::printf("enqueued %lld work items (%.1f MB) in %.3f s: %.0f messages/s\n",
              static_cast<long long>(published), static_cast<double>(bytes) / 1e6, secs,
              secs > 0 ? static_cast<double>(published) / secs : 0.0);
  return kExitOk;
}

struct QueueCmdFlags {
  QueueFlags q;
  std::string db;
};

int RunQueueStats(const QueueCmdFlags& f) {
  auto js = worker::JetStream::Connect(f.q.nats, "vigil queue");
  if (!js.ok()) {
    PrintError("queue", js.status());
    return kExitFailure;
  }
  auto st = (*js)->Stats(f.q.Names());
  if (!st.ok()) {
    PrintError("queue", st.status());
    return ExitCodeFor(st.status());
  }
  std::printf("queue depth      %llu (waiting for a worker)\n",
              static_cast<unsigned long long>(st->pending));
  std::printf("in flight        %lld (delivered, not yet acked)\n",
              static_cast<long long>(st->ack_pending));
  std::printf("redelivered      %lld\n", static_cast<long long>(st->redelivered));
  std::printf("dead letters     %llu\n", static_cast<unsigned long long>(st->dead));
  std::printf("stream messages  %llu\n", static_cast<unsigned long long>(st->stream_messages));
  std::printf("stream leader    %s\n", st->leader.empty() ? "-" : st->leader.c_str());
  return kExitOk;
}

int RunPublishBanks(const QueueCmdFlags& f) {
  auto store = store::OpenStore(f.db);
  if (!store.ok()) {
    PrintError("queue publish-banks", store.status());
    return kExitFailure;
  }
  auto banks = (*store)->ListBanks();
  if (!banks.ok()) {
    PrintError("queue publish-banks", banks.status());
    return kExitFailure;
  }
  auto pub = worker::WorkPublisher::Connect(f.q.nats, "vigil queue", f.q.Names(), f.q.Setup());
  if (!pub.ok()) {
    PrintError("queue publish-banks", pub.status());
    return kExitFailure;
  }
  for (const auto& b : *banks) {
    Status s = (*pub)->PublishBankVersion(b.id, b.version);
    if (!s.ok()) {
      PrintError("queue publish-banks", s);
      return kExitFailure;
    }
    std::printf("bank %s (%lld) version %lld\n", b.name.c_str(), static_cast<long long>(b.id),
                static_cast<long long>(b.version));
  }
  return kExitOk;
}

}  // namespace

void RegisterWorker(CLI::App& app, int* exit_code) {
  {
    auto f = std::make_shared<WorkerFlags>();
    auto* cmd = app.add_subcommand(
        "worker",
        "Hash and match work items from a NATS JetStream work queue and write the results to\n"
        "the store (PostgreSQL for more than one worker). Acks only after the results commit;\n"
        "a redelivered item is recognised by the store's work ledger and never stored twice.\n"
        "Follows bank changes on the bank stream. See docs/operations.md.");
    AddQueueFlags(cmd, &f->q);
    cmd->add_option("--db", f->db, "Store (postgres://... or a libpq string)")->required();
    cmd->add_option("--name", f->name, "Worker name in the ledger and logs (default worker-PID)");
    cmd->add_option("--batch", f->batch, "Messages per fetch and per transaction (default 32)")
        ->check(CLI::Range(1, 1024));
    cmd->add_option("--metrics-interval", f->metrics_s,
                    "Seconds between metrics lines on stderr (0: none; default 5)");
    cmd->add_option("--retry-delay", f->retry_delay_s,
                    "Seconds before a failed item is offered again (default 1)");
    cmd->add_option("--exit-when-idle", f->exit_when_idle_s,
                    "Exit after the queue has been empty this many seconds (default: never)");
    cmd->add_option("--report-interval", f->report_s,
                    "Seconds between this worker's report rows in the store, shown by `vigil "
                    "serve` on /metrics and GET /api/v1/queue (0: none; default 5)");
    cmd->add_option("--max-fetch-bytes", f->max_fetch_bytes,
                    "Largest medium fetched for a work item that names a URL (default 64 MiB)");
    cmd->add_flag("--allow-loopback-fetch", f->allow_loopback_fetch,
                  "Let media URLs point at loopback (tests and demos only; private addresses "
                  "stay refused)");
    cmd->add_option("--index-cache", f->index_cache,
                    "Directory for this worker's PDQ index snapshot: a restart at unchanged "
                    "bank versions maps it instead of reading every hash (default: none)");
    cmd->callback([f, exit_code] {
      *exit_code = RunWorker(*f);
      worker::ShutdownNats();
    });
  }
  {
    auto f = std::make_shared<EnqueueFlags>();
    auto* cmd = app.add_subcommand(
        "enqueue",
        "Publish files (or every file under folders) as work items for `vigil worker`, instead\n"
        "of hashing them here. Each file's absolute path is its work key.");
    AddQueueFlags(cmd, &f->q);
    cmd->add_option("inputs", f->inputs, "Files or folders")->required();
    cmd->add_option("--source", f->source, "Item source recorded with each item");
    cmd->add_option("--key-prefix", f->key_prefix, "Prefix of each work key (default file:)");
    cmd->add_flag("--by-path", f->by_path,
                  "Send paths instead of the bytes (workers must see the same files)");
    cmd->callback([f, exit_code] {
      *exit_code = RunEnqueue(*f);
      worker::ShutdownNats();
    });
  }
  {
    auto f = std::make_shared<QueueCmdFlags>();
    auto* cmd = app.add_subcommand("queue", "Inspect the work queue and publish bank versions");
    cmd->require_subcommand(1);
    auto* stats = cmd->add_subcommand("stats", "Queue depth, in-flight, redelivered, dead letters");
    AddQueueFlags(stats, &f->q);
    stats->callback([f, exit_code] {
      *exit_code = RunQueueStats(*f);
      worker::ShutdownNats();
    });
    auto* banks = cmd->add_subcommand(
        "publish-banks",
        "Publish every bank's current version on the bank stream, so workers pick up changes\n"
        "(run after `vigil bank import`/`add`/`remove`)");
    AddQueueFlags(banks, &f->q);
    banks->add_option("--db", f->db, "Store")->required();
    banks->callback([f, exit_code] {
      *exit_code = RunPublishBanks(*f);
      worker::ShutdownNats();
    });
  }
}

}  // namespace vigil::cli
