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
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "cli/commands.h"
#include "collect/dates.h"
#include "collect/fetcher.h"
#include "collect/platforms.h"
#include "collect/scan.h"
#include "match/matcher.h"
#include "pipeline/any_media.h"
#include "store/store.h"

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
};

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
    auto stored = store_.UpsertItems(actor_, batch);
    totals_.seconds_store += SecondsSince(t_store);
    if (!stored.ok()) return stored.status().WithContext("storing items");

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
    Status loaded = matcher.Load(
        *st, [&](const store::Bank& b) { return chosen.empty() || chosen.count(b.id) != 0; });
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

  collect::FetchOptions fetch_options;
  fetch_options.timeout =
      std::chrono::milliseconds(static_cast<int64_t>(flags.timeout_seconds * 1000));
  collect::SafeFetcher fetcher(fetch_options);
  collect::ScanOptions options;
  options.registry = &*reg;
  options.source.fetcher = &fetcher;
  options.source.max_source_bytes = flags.max_source_bytes;
  options.hash_media = !flags.no_hash;
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
  cmd->callback([flags, exit_code] { *exit_code = RunScan(*flags); });
}

}  // namespace vigil::cli
