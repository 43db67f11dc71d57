// `vigil scan`: read sources (Telegram exports, ActivityPub, feeds, HTML, JSON lines,
// media folders), attribute every link to a platform, hash the media, match it against
// the banks and store items, links, media, signals and matches (see docs/collect.md).
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cli/commands.h"
#include "collect/dates.h"
#include "collect/fetcher.h"
#include "collect/platforms.h"
#include "collect/scan.h"
#include "core/file.h"
#include "match/matcher.h"
#include "pipeline/any_media.h"
#include "store/store.h"
#include "worker/publisher.h"
#include "worker/work_item.h"

namespace vigil::cli {
namespace {

// Items written per store transaction: large enough that commits (an fsync each on
// SQLite) do not dominate, small enough that a failure loses little work and progress
// stays visible.
constexpr size_t kDefaultScanBatch = 64;
constexpr size_t kMaxScanBatch = 10'000;
// Platforms and unknown domains listed in the text summary.
constexpr size_t kSummaryPlatforms = 60;
constexpr size_t kSummaryUnknown = 20;

struct ScanFlags {
  std::vector<std::string> sources;
  std::vector<std::string> platform_files;
  std::string format = "text";
  bool dry_run = false;
  bool no_hash = false;
  bool fetch_media = false;
  uint64_t max_source_bytes = collect::kDefaultMaxSourceBytes;
  double timeout_seconds = 20;
  bool quiet = false;
  std::string db = "vigil.db";
  std::string actor;
  std::vector<std::string> banks;
  int radius = match::kDefaultPdqMaxDistance;
  size_t batch = kDefaultScanBatch;
  // --nats: items and links are stored here, media become work items for `vigil worker`.
  std::string nats;
  std::string work_stream = "VIGIL_WORK";
  std::string bank_stream = "VIGIL_BANKS";
  int replicas = 1;
  bool by_path = false;
  bool wait = false;
  double wait_timeout_s = 3600;
};

// How often `scan --nats --wait` looks at the queue.
constexpr std::chrono::milliseconds kWaitPoll{250};

std::string DefaultActor() {
  const char* user = std::getenv("USER");
  std::string name = user && *user ? user : "";
  if (name.empty()) {
    if (const passwd* pw = getpwuid(getuid())) name = pw->pw_name;
  }
  return "cli:" + (name.empty() ? std::to_string(getuid()) : name);
}

double SecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::vector<std::pair<std::string, uint64_t>> Top(const std::map<std::string, uint64_t>& m,
                                                  size_t n) {
  std::vector<std::pair<std::string, uint64_t>> v(m.begin(), m.end());
  std::stable_sort(v.begin(), v.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (v.size() > n) v.resize(n);
  return v;
}

unsigned long long U(uint64_t v) { return static_cast<unsigned long long>(v); }

std::string MediaKind(const collect::MediaResult& m) {
  const std::string& type = !m.sniffed_type.empty() ? m.sniffed_type : m.ref.mime_type;
  for (const char* k : {"image", "video", "audio", "text"}) {
    if (type.rfind(std::string(k) + "/", 0) == 0) return k;
  }
  if (m.ref.role == "photo") return "image";
  return "file";
}

// What one scan found, beyond what the scanner counts.
struct ScanTotals {
  uint64_t items_new = 0;
  uint64_t items_known = 0;
  uint64_t media_stored = 0;
  uint64_t hits = 0;         // (media, signal) pairs matched in this scan
  uint64_t matches_new = 0;  // of which recorded for the first time
  std::map<std::string, uint64_t> by_bank, by_label, by_platform;
  double seconds_match = 0;
  double seconds_store = 0;
  // --nats
  uint64_t work_items = 0;     // published
  uint64_t work_media = 0;     // media in them
  uint64_t media_skipped = 0;  // missing, remote without --fetch-media, unreadable
  double seconds_publish = 0;
  std::vector<std::string> work_keys;
};

// Stores scanned items batch by batch and matches their media.
class ScanWriter {
 public:
  ScanWriter(const ScanFlags& flags, const std::string& actor, store::Store& st,
             const match::Matcher& matcher, const collect::PlatformRegistry& reg,
             std::unordered_map<std::string, int64_t> platform_ids,
             std::unordered_map<int64_t, std::string> bank_names)
      : flags_(flags),
        actor_(actor),
        store_(st),
        matcher_(matcher),
        reg_(reg),
        platform_ids_(std::move(platform_ids)),
        bank_names_(std::move(bank_names)) {}

  Status Add(collect::ScannedItem&& item) {
    pending_.push_back(std::move(item));
    if (pending_.size() >= flags_.batch) return Flush();
    return Status::OK();
  }

  Status Flush() {
    if (pending_.empty()) return Status::OK();
    auto t_store = std::chrono::steady_clock::now();
    std::vector<store::CollectedItem> batch;
    batch.reserve(pending_.size());
    for (const auto& s : pending_) batch.push_back(ToCollected(s));
    // With --nats the workers add the media (hashed and matched) to the stored item.
    if (publisher_ != nullptr) {
      for (auto& c : batch) c.item.media.clear();
    }
    auto stored = store_.UpsertItems(actor_, batch);
    totals_.seconds_store += SecondsSince(t_store);
    if (!stored.ok()) return stored.status().WithContext("storing items");
    if (publisher_ != nullptr) return PublishBatch(batch, *stored);

    auto t_match = std::chrono::steady_clock::now();
    std::vector<store::Match> matches;
    for (size_t i = 0; i < stored->size(); ++i) {
      const store::UpsertedItem& u = (*stored)[i];
      if (u.created) {
        ++totals_.items_new;
        totals_.media_stored += u.item.media.size();
      } else {
        ++totals_.items_known;
      }
      const std::string& platform = item_platforms_[i];
      std::vector<std::string> item_hits;
      for (const store::Media& m : u.item.media) {
        for (const store::MediaSignal& sig : m.signals) {
          auto hits = matcher_.Match(sig.type, sig.value, flags_.radius,
                                     [](int64_t) { return true; });  // filtered at load
          for (const match::SignalHit& h : hits) {
            matches.push_back({0, u.item.id, m.id, h.info.id, h.distance, 0});
            ++totals_.hits;
            ++totals_.by_bank[bank_names_[h.info.bank_id]];
            for (const auto& l : h.info.labels) ++totals_.by_label[l];
            if (h.info.labels.empty()) ++totals_.by_label["(none)"];
            ++totals_.by_platform[platform.empty() ? "(unknown)" : platform];
            if (jsonl_) {
              boost::json::object o{{"signal_id", h.info.id},
                                    {"bank", bank_names_[h.info.bank_id]},
                                    {"type", store::SignalTypeName(h.info.type)},
                                    {"distance", h.distance},
                                    {"media_id", m.id}};
              boost::json::array labels;
              for (const auto& l : h.info.labels) labels.emplace_back(l);
              o["labels"] = std::move(labels);
              item_hits.push_back(boost::json::serialize(o));
            }
          }
        }
      }
      if (jsonl_) PrintJsonLine(pending_[i], u, item_hits);
    }
    totals_.seconds_match += SecondsSince(t_match);

    t_store = std::chrono::steady_clock::now();
    auto recorded = store_.RecordMatches(actor_, matches);
    totals_.seconds_store += SecondsSince(t_store);
    if (!recorded.ok()) return recorded.status().WithContext("recording matches");
    totals_.matches_new += static_cast<uint64_t>(*recorded);
    pending_.clear();
    item_platforms_.clear();
    return Status::OK();
  }

  void set_jsonl(bool on) { jsonl_ = on; }
  void set_publisher(worker::WorkPublisher* p) { publisher_ = p; }
  const ScanTotals& totals() const { return totals_; }

 private:
  store::CollectedItem ToCollected(const collect::ScannedItem& s) {
    store::CollectedItem c;
    c.source_key = s.item.id;
    c.item.source = "scan:" + s.item.kind;
    c.item.url = s.item.url;
    c.item.account = s.item.channel;
    c.item.posted_ms = collect::PublishedToEpochMs(s.item.published);
    // Where the item itself was posted: its own URL's platform, or the reader's
    // platform for exports whose posts carry no URL (a Telegram channel).
    std::string platform;
    if (!s.item.url.empty()) {
      collect::AnalyzedLink self = collect::AnalyzeLink(s.item.url, reg_);
      if (self.platform != "unknown") platform = self.platform;
    } else if (s.item.kind == "telegram" && reg_.Find("telegram") != nullptr) {
      platform = "telegram";
    }
    if (!platform.empty()) {
      auto it = platform_ids_.find(platform);
      if (it != platform_ids_.end()) c.item.platform_id = it->second;
    }
    item_platforms_.push_back(platform);
    for (const collect::MediaResult& m : s.media) {
      store::Media sm;
      sm.kind = MediaKind(m);
      sm.uri = !m.ref.path.empty() ? m.ref.path : m.ref.url;
      sm.sha256 = m.sha256;
      if (!m.pdq.empty()) sm.signals.push_back({store::SignalType::kPdq, m.pdq, m.pdq_quality});
      if (!m.md5.empty()) sm.signals.push_back({store::SignalType::kMd5, m.md5, -1});
      if (!m.sha256.empty()) sm.signals.push_back({store::SignalType::kSha256, m.sha256, -1});
      for (const collect::ExtraSignal& e : m.signals) {
        auto type = store::ParseSignalType(e.type);
        if (type.ok()) sm.signals.push_back({*type, e.value, e.quality});
      }
      c.item.media.push_back(std::move(sm));
    }
    for (const collect::AnalyzedLink& l : s.links) {
      store::Link sl;
      sl.url = !l.canonical.empty() ? l.canonical : l.raw;
      sl.domain = l.registrable_domain;
      if (!l.canonical.empty() && l.platform != "unknown") {
        sl.platform = l.platform;
        auto it = platform_ids_.find(l.platform);
        if (it != platform_ids_.end()) sl.platform_id = it->second;
      }
      sl.unknown = !l.canonical.empty() && l.platform == "unknown";
      c.links.push_back(std::move(sl));
    }
    return c;
  }

  // Publishes one work item per stored item with media, keyed by the item's stable key:
  // a rescan publishes the same key (the stream drops it within its duplicate window, the
  // ledger after), and an item whose media a worker already added is not published again.
  Status PublishBatch(const std::vector<store::CollectedItem>& batch,
                      const std::vector<store::UpsertedItem>& stored) {
    auto t = std::chrono::steady_clock::now();
    for (size_t i = 0; i < stored.size(); ++i) {
      const store::UpsertedItem& u = stored[i];
      if (u.created) {
        ++totals_.items_new;
      } else {
        ++totals_.items_known;
      }
      if (!u.item.media.empty()) continue;  // done by a worker already
      const collect::ScannedItem& s = pending_[i];
      worker::WorkItem w;
      w.key = "scan:" + batch[i].source_key;
      w.item_key = batch[i].source_key;
      w.source = batch[i].item.source;
      w.url = batch[i].item.url;
      w.account = batch[i].item.account;
      w.posted_ms = batch[i].item.posted_ms;
      uint64_t inline_budget = worker::kMaxInlineMediaBytes;
      for (const collect::MediaResult& m : s.media) {
        if (w.media.size() >= worker::kMaxMediaPerItem) {
          ++totals_.media_skipped;
          continue;
        }
        worker::WorkMedia wm;
        wm.kind = MediaKind(m);
        if (m.ref.missing) {
          ++totals_.media_skipped;
          continue;
        }
        if (!m.ref.path.empty()) {
          wm.uri = m.ref.path;
          std::error_code ec;
          uint64_t size = std::filesystem::file_size(m.ref.path, ec);
          if (ec) {
            ++totals_.media_skipped;
            continue;
          }
          // Inline while the message has room (workers need not see this disk); the rest
          // by absolute path, for workers that mount the same storage.
          if (!flags_.by_path && size <= inline_budget) {
            auto bytes = ReadFileBytes(m.ref.path, inline_budget);
            if (!bytes.ok()) {
              ++totals_.media_skipped;
              continue;
            }
            wm.data.assign(bytes->begin(), bytes->end());
            inline_budget -= size;
          } else {
            wm.path = std::filesystem::absolute(m.ref.path).lexically_normal().string();
          }
        } else if (!m.ref.url.empty() && flags_.fetch_media) {
          wm.uri = m.ref.url;
          wm.fetch = m.ref.url;  // the worker fetches it through the safe fetcher
        } else {
          ++totals_.media_skipped;
          continue;
        }
        w.media.push_back(std::move(wm));
      }
      if (w.media.empty()) continue;
      if (Status p = publisher_->PublishAsync(w); !p.ok()) {
        return p.WithContext("publishing '" + w.key + "'");
      }
      ++totals_.work_items;
      totals_.work_media += w.media.size();
      if (flags_.wait) totals_.work_keys.push_back(std::move(w.key));
    }
    totals_.seconds_publish += SecondsSince(t);
    pending_.clear();
    item_platforms_.clear();
    return Status::OK();
  }

  void PrintJsonLine(const collect::ScannedItem& s, const store::UpsertedItem& u,
                     const std::vector<std::string>& hits) {
    std::string line = collect::ScannedItemToJsonLine(s);
    // Appends "store" to the object without re-parsing it.
    std::string extra = ",\"store\":{\"item_id\":" + std::to_string(u.item.id) +
                        ",\"created\":" + (u.created ? "true" : "false") + ",\"matches\":[";
    for (size_t i = 0; i < hits.size(); ++i) {
      if (i) extra += ',';
      extra += hits[i];
    }
    extra += "]}}";
    if (!line.empty() && line.back() == '}') line.pop_back();
    line += extra;
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stdout);
  }

  const ScanFlags& flags_;
  const std::string& actor_;
  store::Store& store_;
  const match::Matcher& matcher_;
  const collect::PlatformRegistry& reg_;
  std::unordered_map<std::string, int64_t> platform_ids_;
  std::unordered_map<int64_t, std::string> bank_names_;
  std::vector<collect::ScannedItem> pending_;
  std::vector<std::string> item_platforms_;  // parallel to pending_
  ScanTotals totals_;
  bool jsonl_ = false;
  worker::WorkPublisher* publisher_ = nullptr;
};

void PrintSummary(const collect::ScanStats& st, const collect::PlatformRegistry& reg,
                  const ScanTotals* totals) {
  std::printf("sources          %llu\n", U(st.sources));
  if (totals != nullptr) {
    std::printf("items            %llu (%llu new, %llu already stored)\n", U(st.items),
                U(totals->items_new), U(totals->items_known));
  } else {
    std::printf("items            %llu\n", U(st.items));
  }
  std::printf("links            %llu (%llu on known platforms, %llu unknown, %llu not web links)\n",
              U(st.links), U(st.links - st.links_unknown - st.links_invalid), U(st.links_unknown),
              U(st.links_invalid));
  std::printf("platforms seen   %zu known, %zu unknown domains\n", st.by_platform.size(),
              st.unknown_domains.size());
  for (const auto& [id, n] : Top(st.by_platform, kSummaryPlatforms)) {
    const auto* p = reg.Find(id);
    std::printf("  %-22s %8llu  %-15s %s\n", id.c_str(), U(n),
                p != nullptr ? p->category.c_str() : "",
                p != nullptr && p->tco_hosting_service ? "TCO hosting" : "");
  }
  for (const auto& [domain, n] : Top(st.unknown_domains, kSummaryUnknown)) {
    std::printf("  ? %-20s %8llu  unknown\n", domain.c_str(), U(n));
  }
  std::printf("media            %llu found, %llu hashed, %llu missing, %llu failed\n", U(st.media),
              U(st.media_hashed), U(st.media_missing), U(st.media_failed));
  double match = totals ? totals->seconds_match : 0, store = totals ? totals->seconds_store : 0;
  double read = std::max(0.0, st.seconds_total - st.seconds_links - st.seconds_hash);
  if (totals != nullptr) {
    std::printf("matches          %llu (%llu newly recorded)\n", U(totals->hits),
                U(totals->matches_new));
    for (const auto& [what, m] :
         {std::pair{"bank", &totals->by_bank}, std::pair{"label", &totals->by_label},
          std::pair{"platform", &totals->by_platform}}) {
      for (const auto& [k, n] : Top(*m, 20)) {
        std::printf("  %-8s %-30s %8llu\n", what, k.c_str(), U(n));
      }
    }
  }
  std::printf(
      "time             %.3f s (read %.3f, links %.3f, hash %.3f, match %.3f, store %.3f); "
      "%.0f items/s\n",
      st.seconds_total, read, st.seconds_links, st.seconds_hash, match, store,
      st.seconds_total > 0 ? static_cast<double>(st.items) / st.seconds_total : 0.0);
}

std::string SummaryJson(const collect::ScanStats& st, const ScanTotals& t) {
  auto obj = [](const std::map<std::string, uint64_t>& m) {
    boost::json::object o;
    for (const auto& [k, v] : m) o[k] = v;
    return o;
  };
  double read = std::max(0.0, st.seconds_total - st.seconds_links - st.seconds_hash);
  boost::json::object s{{"sources", st.sources},
                        {"items", st.items},
                        {"items_new", t.items_new},
                        {"items_known", t.items_known},
                        {"links", st.links},
                        {"links_unknown", st.links_unknown},
                        {"links_invalid", st.links_invalid},
                        {"platforms", obj(st.by_platform)},
                        {"unknown_domains", obj(st.unknown_domains)},
                        {"media", st.media},
                        {"media_hashed", st.media_hashed},
                        {"media_missing", st.media_missing},
                        {"media_failed", st.media_failed},
                        {"matches", t.hits},
                        {"matches_new", t.matches_new},
                        {"matches_by_bank", obj(t.by_bank)},
                        {"matches_by_label", obj(t.by_label)},
                        {"matches_by_platform", obj(t.by_platform)},
                        {"seconds", boost::json::object{{"total", st.seconds_total},
                                                        {"read", read},
                                                        {"links", st.seconds_links},
                                                        {"hash", st.seconds_hash},
                                                        {"match", t.seconds_match},
                                                        {"store", t.seconds_store}}}};
  return boost::json::serialize(boost::json::object{{"summary", std::move(s)}});
}

// `scan --nats`: waits for the publish acks, reports what was published and, with --wait,
// waits for the queue to drain and reports what the workers recorded for these items.
int FinishPublished(const ScanFlags& flags, worker::WorkPublisher& pub, store::Store& st,
                    const collect::ScanStats& stats, const collect::PlatformRegistry& reg,
                    const ScanTotals& totals, int code) {
  auto t = std::chrono::steady_clock::now();
  if (Status s = pub.Flush(); !s.ok()) {
    PrintError("scan", s.WithContext("publishing work items"));
    return kExitFailure;
  }
  const double publish_s = totals.seconds_publish + SecondsSince(t);
  const double total_s = stats.seconds_total + SecondsSince(t);
  if (!flags.quiet) {
    std::printf("sources          %llu\n", U(stats.sources));
    std::printf("items            %llu (%llu new, %llu already stored)\n", U(stats.items),
                U(totals.items_new), U(totals.items_known));
    std::printf("links            %llu (%llu on known platforms, %llu unknown)\n", U(stats.links),
                U(stats.links - stats.links_unknown - stats.links_invalid), U(stats.links_unknown));
    std::printf("platforms seen   %zu known, %zu unknown domains\n", stats.by_platform.size(),
                stats.unknown_domains.size());
    (void)reg;
    std::printf(
        "published        %llu work items (%llu media; %llu media skipped) to %s in "
        "%.3f s: %.0f messages/s\n",
        U(totals.work_items), U(totals.work_media), U(totals.media_skipped),
        pub.names().work_subject().c_str(), publish_s,
        publish_s > 0 ? static_cast<double>(totals.work_items) / publish_s : 0.0);
    std::printf(
        "time             %.3f s; %.0f items/s (stored and published; the workers hash "
        "and match)\n",
        total_s, total_s > 0 ? static_cast<double>(stats.items) / total_s : 0.0);
  }
  if (!flags.wait) return code;
  // Drained: nothing waiting and nothing in flight. Our keys not in the ledger by then
  // failed (dead letters).
  auto wait_start = std::chrono::steady_clock::now();
  const auto deadline =
      wait_start + std::chrono::milliseconds(static_cast<int64_t>(flags.wait_timeout_s * 1000));
  while (true) {
    auto q = pub.Stats();
    if (q.ok() && q->pending == 0 && q->ack_pending == 0) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      PrintError("scan", Status::DeadlineExceeded("the queue did not drain within --wait-timeout"));
      return kExitFailure;
    }
    std::this_thread::sleep_for(kWaitPoll);
  }
  uint64_t done = 0, matches = 0, matched_items = 0;
  for (const std::string& key : totals.work_keys) {
    auto w = st.GetWork(key);
    if (!w.ok()) continue;
    ++done;
    matches += static_cast<uint64_t>(w->matches);
    if (w->matches > 0) ++matched_items;
  }
  const double wait_s = SecondsSince(wait_start);
  const double all_s = total_s + wait_s;
  std::printf("processed        %llu of %llu work items (%llu not done: see the dead letters)\n",
              U(done), U(totals.work_keys.size()), U(totals.work_keys.size() - done));
  std::printf("matches          %llu in %llu items\n", U(matches), U(matched_items));
  std::printf("time to drain    %.3f s after publishing; %.0f items/s end to end\n", wait_s,
              all_s > 0 ? static_cast<double>(stats.items) / all_s : 0.0);
  return done == totals.work_keys.size() ? code : kExitFailure;
}

int RunScan(const ScanFlags& flags) {
  if (flags.batch == 0 || flags.batch > kMaxScanBatch) {
    PrintError("scan",
               Status::InvalidArgument("--batch must be 1.." + std::to_string(kMaxScanBatch)));
    return kExitUsage;
  }
  if (flags.radius < 0 || flags.radius > 256) {
    PrintError("scan", Status::InvalidArgument("--radius must be 0..256"));
    return kExitUsage;
  }
  const bool nats = !flags.nats.empty();
  if (nats && (flags.dry_run || flags.no_hash || flags.format != "text")) {
    PrintError("scan", Status::InvalidArgument(
                           "--nats stores items and publishes their media as work items: it "
                           "does not combine with --dry-run, --no-hash or --format jsonl"));
    return kExitUsage;
  }
  if (!nats && flags.wait) {
    PrintError("scan", Status::InvalidArgument("--wait needs --nats"));
    return kExitUsage;
  }
  auto reg = collect::PlatformRegistry::LoadDefault();
  if (!reg.ok()) {
    PrintError("scan", reg.status());
    return kExitFailure;
  }
  for (const auto& f : flags.platform_files) {
    auto extra = collect::PlatformRegistry::LoadFile(f);
    if (!extra.ok()) {
      PrintError("scan", extra.status());
      return ExitCodeFor(extra.status());
    }
    reg->Merge(std::move(extra).value());
  }

  // The store side: platforms imported, the chosen banks loaded into the matcher.
  const std::string actor = flags.actor.empty() ? DefaultActor() : flags.actor;
  std::unique_ptr<store::Store> st;
  match::Matcher matcher;
  std::unique_ptr<ScanWriter> writer;
  if (!flags.dry_run) {
    auto opened = store::OpenStore(flags.db);
    if (!opened.ok()) {
      PrintError("scan", opened.status().WithContext(flags.db));
      return ExitCodeFor(opened.status());
    }
    st = std::move(opened).value();
    auto banks = st->ListBanks();
    if (!banks.ok()) {
      PrintError("scan", banks.status());
      return kExitFailure;
    }
    std::unordered_map<int64_t, std::string> bank_names;
    std::set<int64_t> chosen;
    for (const auto& b : *banks) bank_names[b.id] = b.name;
    for (const auto& name : flags.banks) {
      auto it = std::find_if(banks->begin(), banks->end(),
                             [&](const store::Bank& b) { return b.name == name; });
      if (it == banks->end()) {
        PrintError("scan", Status::NotFound("bank '" + name + "' not found in " + flags.db));
        return kExitUsage;
      }
      chosen.insert(it->id);
    }
    // With --nats the workers match, against their own indexes.
    Status loaded = nats ? Status::OK() : matcher.Load(*st, [&](const store::Bank& b) {
      return chosen.empty() || chosen.count(b.id) != 0;
    });
    if (!loaded.ok()) {
      PrintError("scan", loaded.WithContext("loading banks"));
      return kExitFailure;
    }
    std::vector<store::Platform> wanted;
    for (const auto& p : reg->platforms()) {
      std::string domains;
      for (const auto& d : p.domains) domains += (domains.empty() ? "" : ",") + d;
      wanted.push_back({0, p.name, domains, "", 0});
    }
    auto ensured = st->EnsurePlatforms(actor, wanted);
    if (!ensured.ok()) {
      PrintError("scan", ensured.status().WithContext("importing the platform registry"));
      return kExitFailure;
    }
    std::unordered_map<std::string, int64_t> platform_ids;
    for (size_t i = 0; i < reg->platforms().size(); ++i) {
      platform_ids[reg->platforms()[i].id] = (*ensured)[i].id;
    }
    writer = std::make_unique<ScanWriter>(flags, actor, *st, matcher, *reg, std::move(platform_ids),
                                          std::move(bank_names));
  }

  std::unique_ptr<worker::WorkPublisher> publisher;
  if (nats) {
    worker::QueueNames names;
    names.work_stream = flags.work_stream;
    names.bank_stream = flags.bank_stream;
    worker::StreamSetup setup;
    setup.replicas = flags.replicas;
    auto pub = worker::WorkPublisher::Connect(flags.nats, "vigil scan", names, setup);
    if (!pub.ok()) {
      PrintError("scan", pub.status());
      return kExitFailure;
    }
    publisher = std::move(pub).value();
    writer->set_publisher(publisher.get());
  }

  collect::FetchOptions fetch_options;
  fetch_options.timeout =
      std::chrono::milliseconds(static_cast<int64_t>(flags.timeout_seconds * 1000));
  collect::SafeFetcher fetcher(fetch_options);
  collect::ScanOptions options;
  options.registry = &*reg;
  options.source.fetcher = &fetcher;
  options.source.max_source_bytes = flags.max_source_bytes;
  options.hash_media = !flags.no_hash && !nats;  // --nats: the workers read and hash
  options.fetch_remote_media = flags.fetch_media;
  // Video and audio: vPDQ, TMK+PDQF and Chromaprint through the shared pipeline, so scan
  // stores what `vigil hash` prints for the same file.
  options.hash_other = [](std::span<const uint8_t> bytes, std::string* error) {
    pipeline::MediaSignals m = pipeline::HashAnyMedia(bytes, pipeline::AnyMediaOptions{});
    *error = m.error;
    std::vector<collect::ExtraSignal> out;
    for (auto& s : m.signals) out.push_back({std::move(s.type), std::move(s.value), s.quality});
    return out;
  };
  collect::Scanner scanner(options);

  const bool jsonl = flags.format == "jsonl";
  if (writer) writer->set_jsonl(jsonl);
  const bool progress = !flags.quiet && !jsonl && isatty(STDERR_FILENO);
  int code = kExitOk;
  // Time spent storing and matching inside the scanner's read loop, so "read" in the
  // summary is reading alone.
  double sink_seconds = 0;
  for (const auto& spec : flags.sources) {
    Status s = scanner.ScanSource(spec, [&](collect::ScannedItem&& item) {
      if (progress && scanner.stats().items % 100 == 0) {
        std::fprintf(stderr, "\rscanning %s: %llu items", spec.c_str(), U(scanner.stats().items));
      }
      if (writer) {
        auto t = std::chrono::steady_clock::now();
        Status w = writer->Add(std::move(item));
        sink_seconds += SecondsSince(t);
        return w;
      }
      if (jsonl) {
        std::string line = collect::ScannedItemToJsonLine(item);
        line += '\n';
        std::fwrite(line.data(), 1, line.size(), stdout);
      }
      return Status::OK();
    });
    if (progress) std::fprintf(stderr, "\r\033[K");
    // Items read before a parse error are complete: store them before reporting.
    if (writer) {
      Status w = writer->Flush();  // outside the scanner's clock: not in sink_seconds
      if (!w.ok()) {
        PrintError("scan", w.WithContext(flags.db));
        return kExitFailure;  // the store refused: later sources would fail the same way
      }
    }
    if (!s.ok()) {
      PrintError("scan", s);
      code = kExitFailure;
    }
  }
  if (publisher) {
    return FinishPublished(flags, *publisher, *st, scanner.stats(), *reg, writer->totals(), code);
  }
  collect::ScanStats stats = scanner.stats();
  // The scanner's total includes the time its sink (store + match) took; the final
  // flushes ran outside it.
  stats.seconds_total = std::max(0.0, stats.seconds_total - sink_seconds);
  if (writer) {
    stats.seconds_total += writer->totals().seconds_match + writer->totals().seconds_store;
  }
  if (jsonl && writer) {
    std::string line = SummaryJson(stats, writer->totals()) + "\n";
    std::fwrite(line.data(), 1, line.size(), stdout);
  } else if (!jsonl && !flags.quiet) {
    PrintSummary(stats, *reg, writer ? &writer->totals() : nullptr);
  }
  return code;
}

}  // namespace

void RegisterScan(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<ScanFlags>();  // shared with the callback CLI11 keeps
  auto* cmd = app.add_subcommand(
      "scan",
      "Read sources, store every item, link and media file in them, and match the media\n"
      "against the banks.\n"
      "SOURCE is a Telegram Desktop export (folder with result.json), a Mastodon archive\n"
      "(folder with outbox.json), an ActivityPub outbox URL, an RSS/Atom feed or HTML page\n"
      "(file or URL), a JSON lines file (docs/ingest-format.md) or a folder of media files;\n"
      "prefix READER: to skip detection (telegram:, activitypub:, feed:, html:, jsonl:,\n"
      "folder:). Links are canonicalised and attributed to platforms (data/platforms.json);\n"
      "images are hashed with PDQ, MD5 and SHA-256 and matched against the banks (PDQ\n"
      "within --radius, digests exactly); items already stored (same source and post) are\n"
      "not stored twice. URLs are fetched through the safe fetcher, which refuses private\n"
      "and local addresses. See docs/collect.md.");
  cmd->add_option("sources", flags->sources, "Paths or URLs to read")->required();
  cmd->add_option("--db", flags->db,
                  "Store: a SQLite file path (default ./vigil.db, created if missing) or a "
                  "PostgreSQL connection string (postgres://..., 'host=... dbname=...')");
  cmd->add_option("--actor", flags->actor, "Who to record in the audit log (default cli:$USER)");
  cmd->add_option("--bank", flags->banks,
                  "Match against this bank (repeatable; default: every bank in the store)")
      ->allow_extra_args(false);  // one name per --bank, so SOURCE... stays positional
  cmd->add_option("--radius", flags->radius,
                  "PDQ match radius in bits (default 31, ThreatExchange's threshold)");
  cmd->add_option("--batch", flags->batch, "Items per store transaction (default 64)");
  cmd->add_flag("--dry-run", flags->dry_run,
                "Report without opening the store: nothing is stored or matched");
  cmd->add_option("--format", flags->format,
                  "text: a summary (default); jsonl: one JSON object per item with its "
                  "analysed links and media (docs/ingest-format.md), plus \"store\" (item id, "
                  "created, matches) and a last {\"summary\": ...} line when storing")
      ->check(CLI::IsMember({"text", "jsonl"}));
  cmd->add_option("--platforms", flags->platform_files,
                  "Extra registry file(s) in data/platforms.json's format; entries with an "
                  "existing id replace the shipped ones")
      ->allow_extra_args(false);
  cmd->add_flag("--no-hash", flags->no_hash, "List media without reading or hashing it");
  cmd->add_flag("--fetch-media", flags->fetch_media,
                "Also fetch and hash remote media (images in feeds and pages)");
  cmd->add_option("--max-source-bytes", flags->max_source_bytes,
                  "Refuse documents (result.json, feeds, pages) larger than this "
                  "(default 1073741824)");
  cmd->add_option("--timeout", flags->timeout_seconds,
                  "Seconds allowed for each URL fetch, redirects included (default 20)");
  cmd->add_flag("-q,--quiet", flags->quiet, "No progress line and no summary");
  cmd->add_option("--nats", flags->nats,
                  "Scale out (docs/operations.md): store items and links here, publish each "
                  "item's media as one work item to this NATS JetStream (comma-separated URLs) "
                  "for `vigil worker` to hash and match, and return");
  cmd->add_option("--stream", flags->work_stream, "With --nats: work-queue stream (VIGIL_WORK)");
  cmd->add_option("--banks-stream", flags->bank_stream,
                  "With --nats: bank notice stream (VIGIL_BANKS)");
  cmd->add_option("--replicas", flags->replicas,
                  "With --nats: replicas when creating the streams (default 1)")
      ->check(CLI::Range(1, 5));
  cmd->add_flag("--by-path", flags->by_path,
                "With --nats: send local media by absolute path instead of their bytes "
                "(workers must mount the same storage)");
  cmd->add_flag("--wait", flags->wait,
                "With --nats: wait until the queue drains, then print what the workers "
                "recorded for these items (matches)");
  cmd->add_option("--wait-timeout", flags->wait_timeout_s,
                  "With --wait: give up after this many seconds (default 3600)");
  cmd->callback([flags, exit_code] {
    *exit_code = RunScan(*flags);
    if (!flags->nats.empty()) worker::ShutdownNats();
  });
}

}  // namespace vigil::cli
