#include "collect/scan.h"

#include <boost/json.hpp>
#include <unordered_set>

#include "collect/fetcher.h"
#include "collect/jsonl.h"
#include "core/file.h"
#include "signals/digest.h"

namespace vigil::collect {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

MediaResult Scanner::HashMedia(const MediaRef& ref) {
  MediaResult r;
  r.ref = ref;
  std::vector<uint8_t> bytes;
  if (ref.missing) {
    r.error = "not in the source (missing)";
    return r;
  }
  if (!ref.path.empty()) {
    auto read = ReadFileBytes(ref.path, options_.max_media_bytes);
    if (!read.ok()) {
      r.error = read.status().message();
      return r;
    }
    bytes = std::move(read).value();
  } else if (options_.fetch_remote_media && options_.source.fetcher != nullptr) {
    auto fetched = options_.source.fetcher->Fetch(ref.url);
    if (!fetched.ok()) {
      r.error = fetched.status().message();
      return r;
    }
    if (fetched->status != 200) {
      r.error = "HTTP status " + std::to_string(fetched->status);
      return r;
    }
    bytes.assign(fetched->body.begin(), fetched->body.end());
  } else {
    r.error = "remote (not fetched)";
    return r;
  }
  std::string_view view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  r.sniffed_type = SniffContentType(view);
  if (r.sniffed_type.rfind("image/", 0) == 0) {
    auto hashes = pipeline::HashImageBytes(bytes, options_.image);
    if (!hashes.ok()) {
      r.error = hashes.status().message();
      return r;
    }
    r.hashed = true;
    r.pdq = hashes->pdq.hash.ToHex();
    r.pdq_quality = hashes->pdq.quality;
    r.md5 = hashes->md5;
    r.sha256 = hashes->sha256;
    r.width = hashes->width;
    r.height = hashes->height;
    return r;
  }
  // Everything else: digests here, perceptual signals (video, audio) through the hook.
  r.md5 = digest::Md5Hex(bytes);
  r.sha256 = digest::Sha256Hex(bytes);
  r.hashed = true;
  if (options_.hash_other) {
    std::string error;
    for (auto& s : options_.hash_other(bytes, &error)) {
      if (s.type != "md5" && s.type != "sha256") r.signals.push_back(std::move(s));
    }
    r.error = std::move(error);
  }
  return r;
}

ScannedItem Scanner::Process(Item&& item) {
  ScannedItem out;
  auto t_links = std::chrono::steady_clock::now();
  std::unordered_set<std::string> seen;
  for (const auto& raw : item.links) {
    AnalyzedLink link = AnalyzeLink(raw, *options_.registry);
    const std::string& key = link.canonical.empty() ? link.raw : link.canonical;
    if (!seen.insert(key).second) continue;
    ++stats_.links;
    if (link.canonical.empty()) {
      ++stats_.links_invalid;
    } else if (link.platform == "unknown") {
      ++stats_.links_unknown;
      ++stats_.unknown_domains[link.registrable_domain];
    } else {
      ++stats_.by_platform[link.platform];
    }
    out.links.push_back(std::move(link));
  }
  stats_.seconds_links += SecondsSince(t_links);
  auto t_hash = std::chrono::steady_clock::now();
  for (const auto& m : item.media) {
    ++stats_.media;
    if (!options_.hash_media) {
      MediaResult r;
      r.ref = m;
      r.error = "hashing off";
      out.media.push_back(std::move(r));
      continue;
    }
    MediaResult r = HashMedia(m);
    if (r.hashed) {
      ++stats_.media_hashed;
    } else if (m.missing) {
      ++stats_.media_missing;
    } else if (!m.path.empty() || options_.fetch_remote_media) {
      ++stats_.media_failed;
    }
    out.media.push_back(std::move(r));
  }
  stats_.seconds_hash += SecondsSince(t_hash);
  ++stats_.items;
  out.item = std::move(item);
  return out;
}

Status Scanner::ScanSource(std::string_view spec, const ScannedItemSink& out) {
  if (options_.registry == nullptr) return Status::InvalidArgument("scan needs a registry");
  auto start = std::chrono::steady_clock::now();
  ++stats_.sources;
  auto source = OpenSource(spec, options_.source);
  Status s = source.ok() ? source->Read([&](Item&& item) { return out(Process(std::move(item))); })
                         : source.status();
  stats_.seconds_total += SecondsSince(start);
  return s;
}

std::string ScannedItemToJsonLine(const ScannedItem& scanned) {
  boost::json::object o = ItemToJson(scanned.item);
  boost::json::array links;
  for (const auto& l : scanned.links) {
    boost::json::object lo;
    lo["raw"] = l.raw;
    if (!l.canonical.empty()) {
      lo["url"] = l.canonical;
      lo["host"] = l.host;
      lo["domain"] = l.registrable_domain;
    }
    lo["platform"] = l.platform;
    if (!l.category.empty()) lo["category"] = l.category;
    if (l.platform != "unknown") lo["tco_hosting_service"] = l.tco_hosting_service;
    if (!l.error.empty()) lo["error"] = l.error;
    links.emplace_back(std::move(lo));
  }
  boost::json::array media;
  for (const auto& m : scanned.media) {
    boost::json::object mo;
    if (!m.ref.path.empty()) mo["path"] = m.ref.path;
    if (!m.ref.url.empty()) mo["url"] = m.ref.url;
    if (!m.sniffed_type.empty()) mo["type"] = m.sniffed_type;
    mo["hashed"] = m.hashed;
    if (!m.pdq.empty()) {
      mo["pdq"] = m.pdq;
      mo["pdq_quality"] = m.pdq_quality;
      mo["width"] = m.width;
      mo["height"] = m.height;
    }
    if (!m.md5.empty()) mo["md5"] = m.md5;
    if (!m.sha256.empty()) mo["sha256"] = m.sha256;
    if (!m.signals.empty()) {
      boost::json::array sigs;
      for (const auto& s : m.signals) {
        boost::json::object so{{"type", s.type}, {"value", s.value}};
        if (s.quality >= 0) so["quality"] = s.quality;
        sigs.emplace_back(std::move(so));
      }
      mo["signals"] = std::move(sigs);
    }
    if (!m.error.empty()) mo["error"] = m.error;
    media.emplace_back(std::move(mo));
  }
  boost::json::object analysis;
  analysis["links"] = std::move(links);
  analysis["media"] = std::move(media);
  o["analysis"] = std::move(analysis);
  return boost::json::serialize(o);
}

}  // namespace vigil::collect
