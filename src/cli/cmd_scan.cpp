// `vigil scan`: read sources (Telegram exports, ActivityPub, feeds, HTML, JSON lines,
// media folders), attribute every link to a platform and hash the media.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "collect/fetcher.h"
#include "collect/platforms.h"
#include "collect/scan.h"

namespace vigil::cli {
namespace {

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
};

std::vector<std::pair<std::string, uint64_t>> Top(const std::map<std::string, uint64_t>& m,
                                                  size_t n) {
  std::vector<std::pair<std::string, uint64_t>> v(m.begin(), m.end());
  std::stable_sort(v.begin(), v.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (v.size() > n) v.resize(n);
  return v;
}

void PrintSummary(const collect::ScanStats& st, const collect::PlatformRegistry& reg) {
  std::printf("sources          %llu\n", static_cast<unsigned long long>(st.sources));
  std::printf("items            %llu\n", static_cast<unsigned long long>(st.items));
  std::printf("links            %llu (%llu on known platforms, %llu unknown, %llu not web links)\n",
              static_cast<unsigned long long>(st.links),
              static_cast<unsigned long long>(st.links - st.links_unknown - st.links_invalid),
              static_cast<unsigned long long>(st.links_unknown),
              static_cast<unsigned long long>(st.links_invalid));
  std::printf("platforms seen   %zu known, %zu unknown domains\n", st.by_platform.size(),
              st.unknown_domains.size());
  for (const auto& [id, n] : Top(st.by_platform, 60)) {
    const auto* p = reg.Find(id);
    std::printf("  %-22s %8llu  %-15s %s\n", id.c_str(), static_cast<unsigned long long>(n),
                p != nullptr ? p->category.c_str() : "",
                p != nullptr && p->tco_hosting_service ? "TCO hosting" : "");
  }
  for (const auto& [domain, n] : Top(st.unknown_domains, 20)) {
    std::printf("  ? %-20s %8llu  unknown\n", domain.c_str(), static_cast<unsigned long long>(n));
  }
  std::printf("media            %llu found, %llu hashed, %llu missing, %llu failed\n",
              static_cast<unsigned long long>(st.media),
              static_cast<unsigned long long>(st.media_hashed),
              static_cast<unsigned long long>(st.media_missing),
              static_cast<unsigned long long>(st.media_failed));
  double read = std::max(0.0, st.seconds_total - st.seconds_links - st.seconds_hash);
  std::printf("time             %.3f s (read %.3f, links %.3f, hash %.3f); %.0f items/s\n",
              st.seconds_total, read, st.seconds_links, st.seconds_hash,
              st.seconds_total > 0 ? static_cast<double>(st.items) / st.seconds_total : 0.0);
}

int RunScan(const ScanFlags& flags) {
  if (!flags.dry_run) {
    PrintError("scan", Status::FailedPrecondition(
                           "storing items, links and matches needs the store, which `vigil scan` "
                           "does not use yet; run with --dry-run to see what would be stored"));
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
  collect::Scanner scanner(options);

  const bool jsonl = flags.format == "jsonl";
  const bool progress = !flags.quiet && !jsonl && isatty(STDERR_FILENO);
  int code = kExitOk;
  for (const auto& spec : flags.sources) {
    Status s = scanner.ScanSource(spec, [&](collect::ScannedItem&& item) {
      if (jsonl) {
        std::string line = collect::ScannedItemToJsonLine(item);
        line += '\n';
        std::fwrite(line.data(), 1, line.size(), stdout);
      } else if (progress && scanner.stats().items % 500 == 0) {
        std::fprintf(stderr, "\rscanning %s: %llu items", spec.c_str(),
                     static_cast<unsigned long long>(scanner.stats().items));
      }
      return Status::OK();
    });
    if (progress) std::fprintf(stderr, "\r\033[K");
    if (!s.ok()) {
      PrintError("scan", s);
      code = kExitFailure;
    }
  }
  if (!jsonl && !flags.quiet) PrintSummary(scanner.stats(), *reg);
  return code;
}

}  // namespace

void RegisterScan(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<ScanFlags>();  // shared with the callback CLI11 keeps
  auto* cmd = app.add_subcommand(
      "scan",
      "Read sources and report every item, link and media file in them.\n"
      "SOURCE is a Telegram Desktop export (folder with result.json), a Mastodon archive\n"
      "(folder with outbox.json), an ActivityPub outbox URL, an RSS/Atom feed or HTML page\n"
      "(file or URL), a JSON lines file (docs/ingest-format.md) or a folder of media files;\n"
      "prefix READER: to skip detection (telegram:, activitypub:, feed:, html:, jsonl:,\n"
      "folder:). Links are canonicalised and attributed to platforms (data/platforms.json);\n"
      "images are hashed with PDQ. URLs are fetched through the safe fetcher, which refuses\n"
      "private and local addresses. See docs/collect.md.");
  cmd->add_option("sources", flags->sources, "Paths or URLs to read")->required();
  cmd->add_flag("--dry-run", flags->dry_run,
                "Report without storing (currently required: storing is not wired yet)");
  cmd->add_option("--format", flags->format,
                  "text: a summary (default); jsonl: one JSON object per item with its "
                  "analysed links and media (docs/ingest-format.md)")
      ->check(CLI::IsMember({"text", "jsonl"}));
  cmd->add_option("--platforms", flags->platform_files,
                  "Extra registry file(s) in data/platforms.json's format; entries with an "
                  "existing id replace the shipped ones");
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
