// The scanner: sources -> items with analysed links and hashed media. This is the
// library half of `vigil scan`; storing and matching are the caller's (the CLI feeds
// each ScannedItem to the store and the index), so the scanner stays free of both.
//
// Per item: links are canonicalised, de-duplicated by canonical form and attributed to
// a platform (unknown ones keep their registrable domain); local images are hashed
// (PDQ, MD5, SHA-256) through pipeline::HashImageBytes; remote media is listed, and
// fetched and hashed only when fetch_remote_media is set (through the SafeFetcher).
// Other files get MD5/SHA-256, plus whatever ScanOptions::hash_other computes (vPDQ,
// TMK, Chromaprint for video and audio in `vigil scan`).
//
// Thread safety: one thread per Scanner.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "collect/item.h"
#include "collect/links.h"
#include "collect/platforms.h"
#include "collect/source.h"
#include "core/limits.h"
#include "core/status.h"
#include "pipeline/media_hasher.h"

namespace vigil::collect {

// A perceptual signal of media that is not an image (vpdq, tmk, audio, text), in the
// store's type names and canonical value forms.
struct ExtraSignal {
  std::string type;
  std::string value;
  int quality = -1;
};
// Hashes the bytes of a video, audio or other non-image file; on a partial failure returns
// what it could and sets *error. Kept as a hook so this library does not depend on the
// video and audio decoders: `vigil scan` plugs in pipeline::HashAnyMedia.
using OtherMediaHasher =
    std::function<std::vector<ExtraSignal>(std::span<const uint8_t> bytes, std::string* error)>;

struct ScanOptions {
  const PlatformRegistry* registry = nullptr;  // required; not owned
  OtherMediaHasher hash_other;                 // unset: digests only for non-images
  SourceOptions source;
  bool hash_media = true;
  bool fetch_remote_media = false;  // needs source.fetcher
  uint64_t max_media_bytes = limits::kDefaultMaxFileBytes;
  pipeline::ImageHashOptions image;
};

struct MediaResult {
  MediaRef ref;
  std::string sniffed_type;
  bool hashed = false;
  std::string pdq;  // hex, images only
  int pdq_quality = 0;
  std::string md5;
  std::string sha256;
  std::vector<ExtraSignal> signals;  // non-images, through ScanOptions::hash_other
  int width = 0;
  int height = 0;
  std::string error;  // why it was not hashed (missing, unreadable, undecodable)
};

struct ScannedItem {
  Item item;
  std::vector<AnalyzedLink> links;  // unique by canonical form, in order of appearance
  std::vector<MediaResult> media;
};

struct ScanStats {
  uint64_t sources = 0;
  uint64_t items = 0;
  uint64_t links = 0;
  uint64_t links_unknown = 0;
  uint64_t links_invalid = 0;  // could not be canonicalised (mailto:, malformed)
  uint64_t media = 0;
  uint64_t media_hashed = 0;
  uint64_t media_missing = 0;
  uint64_t media_failed = 0;
  std::map<std::string, uint64_t> by_platform;      // platform id -> links
  std::map<std::string, uint64_t> unknown_domains;  // registrable domain -> links
  // Wall time per stage; read = everything not spent on links or hashing.
  double seconds_total = 0;
  double seconds_links = 0;
  double seconds_hash = 0;
};

using ScannedItemSink = std::function<Status(ScannedItem&&)>;

class Scanner {
 public:
  explicit Scanner(ScanOptions options) : options_(std::move(options)) {}

  // Reads one source to the end; each item goes to `out` as soon as it is ready.
  Status ScanSource(std::string_view spec, const ScannedItemSink& out);
  // Analyses and hashes one item (used by ScanSource; public for callers that read
  // items themselves).
  ScannedItem Process(Item&& item);

  const ScanStats& stats() const { return stats_; }

 private:
  MediaResult HashMedia(const MediaRef& ref);

  ScanOptions options_;
  ScanStats stats_;
};

// One JSON line: the item in ingest format plus "analysis": {"links": [...],
// "media": [...]} (docs/ingest-format.md), so the output reads back as input.
std::string ScannedItemToJsonLine(const ScannedItem& scanned);

}  // namespace vigil::collect
