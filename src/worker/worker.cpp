#include "worker/worker.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <thread>
#include <vector>

#include "collect/fetcher.h"
#include "core/file.h"
#include "match/matcher.h"
#include "pipeline/media_hasher.h"
#include "signals/digest.h"
#include "store/store.h"
#include "worker/work_item.h"

namespace vigil::worker {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

struct Worker::Impl {
  std::unique_ptr<JetStream> js;
  std::unique_ptr<Subscription> work;
  std::unique_ptr<Subscription> banks;
  std::unique_ptr<store::Store> store;
  match::Matcher matcher;
  int64_t last_queue_depth = -1;
};

Worker::Worker(WorkerOptions options) : options_(std::move(options)), impl_(new Impl) {
  if (options_.name.empty()) options_.name = "worker-" + std::to_string(getpid());
  if (!options_.log) {
    options_.log = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  }
  options_.batch = std::clamp(options_.batch, 1, 1024);
}

Worker::~Worker() = default;

std::string Worker::BankVersions() const {
  std::string out;
  for (const auto& [bank, version] : impl_->matcher.BankVersions()) {
    if (!out.empty()) out += ',';
    out += std::to_string(bank) + ":" + std::to_string(version);
  }
  return out.empty() ? "-" : out;
}

Result<store::WorkResult> ProcessWorkItem(const WorkItem& w, const match::Matcher& matcher,
                                          const WorkerOptions& options) {
  store::WorkResult r;
  r.work_key = w.key;
  r.item_key = w.item_key;
  r.worker = options.name;
  r.item.source = w.source.empty() ? "worker" : w.source;
  r.item.url = w.url;
  r.item.account = w.account;
  r.item.posted_ms = w.posted_ms;
  for (size_t i = 0; i < w.media.size(); ++i) {
    const WorkMedia& wm = w.media[i];
    std::vector<uint8_t> file;
    std::span<const uint8_t> bytes;
    std::string fetched;
    if (!wm.path.empty()) {
      VIGIL_ASSIGN_OR_RETURN(file, ReadFileBytes(wm.path, kMaxMediaFileBytes));
      bytes = file;
    } else if (!wm.fetch.empty()) {
      collect::FetchOptions fo;
      fo.max_bytes = options.max_fetch_bytes;
      fo.timeout = options.fetch_timeout;
      fo.allow_loopback = options.allow_loopback_fetch;
      auto got = collect::SafeFetcher(fo).Fetch(wm.fetch);
      if (!got.ok()) return got.status().WithContext("fetching media " + std::to_string(i));
      if (got->status != 200) {
        return Status::Unavailable("fetching media " + std::to_string(i) + ": HTTP status " +
                                   std::to_string(got->status) + " from " + wm.fetch);
      }
      fetched = std::move(got->body);
      bytes = {reinterpret_cast<const uint8_t*>(fetched.data()), fetched.size()};
    } else {
      bytes = {reinterpret_cast<const uint8_t*>(wm.data.data()), wm.data.size()};
    }
    store::Media media;
    media.kind = wm.kind;
    media.uri = !wm.uri.empty() ? wm.uri : !wm.path.empty() ? wm.path : wm.fetch;
    if (wm.kind == "image") {
      pipeline::ImageHashOptions ho;
      auto h = pipeline::HashImageBytes(bytes, ho);
      if (!h.ok()) return h.status().WithContext("media " + std::to_string(i));
      media.sha256 = h->sha256;
      media.signals.push_back({store::SignalType::kPdq, h->pdq.hash.ToHex(), h->pdq.quality});
      media.signals.push_back({store::SignalType::kMd5, h->md5, -1});
      media.signals.push_back({store::SignalType::kSha256, h->sha256, -1});
    } else {
      // Other kinds are matched by their exact digests here; perceptual video/audio hashing
      // stays with the dedicated commands.
      media.sha256 = digest::Sha256Hex(bytes);
      media.signals.push_back({store::SignalType::kMd5, digest::Md5Hex(bytes), -1});
      media.signals.push_back({store::SignalType::kSha256, media.sha256, -1});
    }
    for (const store::MediaSignal& s : media.signals) {
      auto hits =
          matcher.Match(s.type, s.value, options.max_pdq_distance, [](int64_t) { return true; });
      for (const match::SignalHit& hit : hits) {
        r.matches.push_back({i, hit.info.id, hit.distance, matcher.BankVersion(hit.info.bank_id)});
      }
    }
    r.item.media.push_back(std::move(media));
  }
  return r;
}

Status Worker::Run() {
  const auto start = Clock::now();
  Impl& im = *impl_;
  VIGIL_ASSIGN_OR_RETURN(im.js, JetStream::Connect(options_.nats_urls, "vigil " + options_.name));
  VIGIL_RETURN_IF_ERROR(im.js->EnsureWorkQueue(options_.names, options_.setup));
  VIGIL_RETURN_IF_ERROR(im.js->EnsureBankStream(options_.names, options_.setup));

  // The store may be restarting when a worker starts: wait for it like for a lost one.
  auto open_store = [&]() -> Status {
    auto backoff = kStoreRetryMin;
    while (!stop_.load()) {
      auto s = store::OpenStore(options_.db);
      if (s.ok()) {
        im.store = std::move(s).value();
        return Status::OK();
      }
      if (s.status().code() != StatusCode::kUnavailable) return s.status();
      options_.log("worker " + options_.name +
                   ": store unavailable, retrying: " + s.status().message());
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, kStoreRetryMax);
    }
    return Status::Unavailable("stopped");
  };
  VIGIL_RETURN_IF_ERROR(open_store());

  // Follow the bank stream first, then load the snapshot: a change made between the two
  // is then in the stream and applied after (a notice for a version already loaded is
  // skipped), so none is missed.
  VIGIL_ASSIGN_OR_RETURN(im.banks, im.js->FollowBanks(options_.names));
  const auto load_start = Clock::now();
  // Lean load (issue 10: ready in seconds with a 1M-hash index): only what matching needs;
  // provenance of a hit comes through a store connection of the loader's own, so Match
  // never shares im.store across threads.
  match::Matcher::LoadOptions load;
  load.provenance =
      match::OwnStoreProvenanceLoader([db = options_.db] { return store::OpenStore(db); });
  load.pdq_cache_dir = options_.index_cache_dir;
  VIGIL_RETURN_IF_ERROR(im.matcher.Load(*im.store, load));
  stats_.index_load_seconds.store(Seconds(Clock::now() - load_start));
  bool index_changed = false;  // a bank refreshed since the last report
  auto apply_bank_notices = [&]() -> Status {
    VIGIL_ASSIGN_OR_RETURN(auto notices, im.banks->Drain(1024));
    for (Message& m : notices) {
      auto n = ParseBankNotice(m.subject(), m.data());
      if (!n.ok()) continue;  // not ours to judge: a malformed notice changes nothing
      stats_.bank_notices.fetch_add(1);
      if (n->second <= im.matcher.BankVersion(n->first)) continue;
      VIGIL_RETURN_IF_ERROR(im.matcher.RefreshBank(*im.store, n->first));
      index_changed = true;
    }
    return Status::OK();
  };
  VIGIL_RETURN_IF_ERROR(apply_bank_notices());
  VIGIL_ASSIGN_OR_RETURN(im.work, im.js->PullWork(options_.names));
  stats_.index_signals.store(static_cast<int64_t>(im.matcher.live_signals()));
  stats_.ready_seconds.store(Seconds(Clock::now() - start));
  options_.log(
      "worker " + options_.name + ": ready in " + std::to_string(stats_.ready_seconds.load()) +
      " s (index load " + std::to_string(stats_.index_load_seconds.load()) + " s: rows " +
      std::to_string(im.matcher.last_load_stats().read_s) + " s, build " +
      std::to_string(im.matcher.last_load_stats().build_s) + " s" +
      (options_.index_cache_dir.empty() ? std::string()
                                        : ", snapshot " + im.matcher.last_load_stats().pdq_cache) +
      "); index " + std::to_string(im.matcher.live_signals()) + " signals, banks " +
      BankVersions());

  auto last_log = Clock::now();
  int64_t last_processed = 0;
  auto idle_since = Clock::now();
  auto log_metrics = [&](bool force) {
    auto now = Clock::now();
    if (!force &&
        (options_.metrics_interval.count() == 0 || now - last_log < options_.metrics_interval)) {
      return;
    }
    int64_t p = stats_.processed.load();
    double rate = static_cast<double>(p - last_processed) / std::max(1e-9, Seconds(now - last_log));
    std::string depth = "?";
    if (auto st = im.js->Stats(options_.names); st.ok()) depth = std::to_string(st->pending);
    char line[512];
    std::snprintf(
        line, sizeof line,
        "worker %s: processed %lld (%.1f/s), in-flight %lld, duplicates %lld, "
        "matches %lld, retried %lld, dead %lld, store retries %lld, queue %s, "
        "banks %s",
        options_.name.c_str(), static_cast<long long>(p), rate,
        static_cast<long long>(stats_.in_flight.load()),
        static_cast<long long>(stats_.duplicates.load()),
        static_cast<long long>(stats_.matches.load()),
        static_cast<long long>(stats_.retried.load()), static_cast<long long>(stats_.dead.load()),
        static_cast<long long>(stats_.store_retries.load()), depth.c_str(), BankVersions().c_str());
    options_.log(line);
    last_log = now;
    last_processed = p;
  };

  // The report row `vigil serve` reads (per-worker rates on /metrics). Best effort: a store
  // that is down only delays it.
  const int64_t started_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
  auto last_report = Clock::now();
  int64_t last_reported = 0;
  auto report = [&](bool force) {
    auto now = Clock::now();
    if (!im.store || (!force && (options_.report_interval.count() == 0 ||
                                 now - last_report < options_.report_interval))) {
      return;
    }
    store::WorkerReport r;
    r.name = options_.name;
    r.processed = stats_.processed.load();
    r.duplicates = stats_.duplicates.load();
    r.matches = stats_.matches.load();
    r.dead = stats_.dead.load();
    r.rate_milli = static_cast<int64_t>(1000.0 * static_cast<double>(r.processed - last_reported) /
                                        std::max(1e-3, Seconds(now - last_report)));
    r.bank_versions = BankVersions();
    r.started_ms = started_ms;
    r.last_seen_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    (void)im.store->ReportWorker(r);
    last_report = now;
    last_reported = r.processed;
  };
  report(true);

  auto dead_letter = [&](Message& m, const std::string& reason) {
    // Publish first, then terminate: a crash in between leaves a duplicate dead letter
    // (deduplicated by the message id within the window), never a lost one.
    Status s = im.js->Publish(options_.names.dead_subject(), m.data(),
                              "dead:" + std::to_string(m.stream_seq()),
                              {{"Vigil-Error", reason.substr(0, 1000)},
                               {"Vigil-Deliveries", std::to_string(m.deliveries())},
                               {"Vigil-Stream-Seq", std::to_string(m.stream_seq())}});
    if (!s.ok()) {
      (void)m.Nak(options_.retry_delay);  // try again later rather than lose it
      return;
    }
    (void)m.Term();
    stats_.dead.fetch_add(1);
    options_.log("worker " + options_.name + ": dead letter (stream seq " +
                 std::to_string(m.stream_seq()) + "): " + reason);
  };
  auto failed = [&](Message& m, const Status& why) {
    if (m.deliveries() >= static_cast<uint64_t>(options_.setup.max_deliver)) {
      dead_letter(m, why.ToString());
    } else {
      stats_.retried.fetch_add(1);
      (void)m.Nak(options_.retry_delay);
    }
  };

  while (!stop_.load()) {
    log_metrics(false);
    report(index_changed);
    index_changed = false;
    if (Status s = apply_bank_notices(); !s.ok()) {
      // The store went away while refreshing: reconnect, then carry on with the old index.
      options_.log("worker " + options_.name + ": bank refresh failed: " + s.message());
      if (s.code() == StatusCode::kUnavailable) VIGIL_RETURN_IF_ERROR(open_store());
    }
    auto fetched = im.work->Fetch(options_.batch, kFetchWait);
    if (!fetched.ok()) {
      // Leader election or reconnect in progress: the client recovers by itself.
      std::this_thread::sleep_for(kFetchWait);
      continue;
    }
    std::vector<Message> msgs = std::move(fetched).value();
    if (msgs.empty()) {
      if (options_.exit_when_idle.count() > 0 &&
          Clock::now() - idle_since >= options_.exit_when_idle) {
        break;
      }
      continue;
    }
    stats_.in_flight.store(static_cast<int64_t>(msgs.size()));
    std::vector<store::WorkResult> results;
    std::vector<Message*> done;
    for (Message& m : msgs) {
      if (m.deliveries() > static_cast<uint64_t>(options_.setup.max_deliver)) {
        dead_letter(m, "no attempt finished within " + std::to_string(options_.setup.max_deliver) +
                           " deliveries");
        continue;
      }
      auto item = ParseWorkItem(m.data());
      if (!item.ok()) {
        failed(m, item.status());
        continue;
      }
      auto r = ProcessWorkItem(*item, im.matcher, options_);
      if (!r.ok()) {
        failed(m, r.status().WithContext("work item '" + item->key + "'"));
        continue;
      }
      results.push_back(std::move(r).value());
      done.push_back(&m);
    }
    // Commit, retrying while the store is down; ack only after the commit.
    auto backoff = kStoreRetryMin;
    auto last_progress = Clock::now();
    std::optional<std::vector<store::WorkRecord>> recorded;
    while (!results.empty() && !stop_.load()) {
      auto rec = im.store ? im.store->RecordWork("worker:" + options_.name, results)
                          : Result<std::vector<store::WorkRecord>>(Status::Unavailable("no store"));
      if (rec.ok()) {
        recorded = std::move(rec).value();
        break;
      }
      if (rec.status().code() != StatusCode::kUnavailable &&
          rec.status().code() != StatusCode::kInternal) {
        // Something in the batch itself is wrong: fail the messages one by one below.
        break;
      }
      stats_.store_retries.fetch_add(1);
      if (Clock::now() - last_progress > options_.setup.ack_wait / 3) {
        for (Message* m : done) (void)m->InProgress();  // keep the batch ours
        last_progress = Clock::now();
      }
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, kStoreRetryMax);
      im.store.reset();
      if (auto s = store::OpenStore(options_.db); s.ok()) im.store = std::move(s).value();
    }
    if (recorded) {
      for (size_t i = 0; i < done.size(); ++i) {
        (void)done[i]->Ack();  // a lost ack only means a redelivery the ledger absorbs
        if ((*recorded)[i].duplicate) {
          stats_.duplicates.fetch_add(1);
        } else {
          stats_.processed.fetch_add(1);
          stats_.matches.fetch_add((*recorded)[i].matches);
        }
      }
    } else if (!stop_.load()) {
      // One by one, so a single bad result does not hold the others back.
      for (size_t i = 0; i < done.size(); ++i) {
        auto rec = im.store
                       ? im.store->RecordWork("worker:" + options_.name, std::span(&results[i], 1))
                       : Result<std::vector<store::WorkRecord>>(Status::Unavailable("no store"));
        if (!rec.ok()) {
          failed(*done[i], rec.status());
          continue;
        }
        (void)done[i]->Ack();
        ((*rec)[0].duplicate ? stats_.duplicates : stats_.processed).fetch_add(1);
      }
    }
    // Stopping mid-retry: the messages are not acked and will be redelivered.
    stats_.in_flight.store(0);
    idle_since = Clock::now();
  }
  log_metrics(true);
  report(true);
  return Status::OK();
}

}  // namespace vigil::worker
