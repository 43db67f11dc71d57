// Sources: everything vigil can read posts from, behind one interface.
//
// A source is named on the command line by a path or URL ("SPEC"), optionally prefixed
// with a reader name to skip detection ("telegram:export/", "rss:feed.xml"). Detection
// looks at what is there, not at names: a directory with result.json is a Telegram
// export, one with outbox.json a Mastodon archive, any other directory a media folder;
// a file or URL is read (URLs through the SafeFetcher) and its bytes sniffed.
//
// Adding a reader touches one place: the table in SourceKinds() (source.cpp), plus the
// reader's own file.
//
// Thread safety: a Source is used by one thread at a time; different Sources may be
// read in parallel.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "collect/fetcher.h"
#include "collect/item.h"
#include "core/status.h"

namespace vigil::collect {

// Largest single document read into memory: a Telegram result.json of a busy channel
// with years of history is a few hundred MiB.
inline constexpr uint64_t kDefaultMaxSourceBytes = uint64_t{1} << 30;
inline constexpr size_t kDefaultMaxFolderFiles = 1'000'000;
inline constexpr int kDefaultMaxOutboxPages = 100;
inline constexpr size_t kDefaultMaxItems = 10'000'000;

struct SourceOptions {
  uint64_t max_source_bytes = kDefaultMaxSourceBytes;
  size_t max_folder_files = kDefaultMaxFolderFiles;
  int max_outbox_pages = kDefaultMaxOutboxPages;
  size_t max_items = kDefaultMaxItems;
  // URL sources (and live ActivityPub paging) read through this; without one they are
  // refused with FailedPrecondition. Not owned.
  const SafeFetcher* fetcher = nullptr;
};

// Receives items in source order; a non-OK Status stops the read and is returned.
using ItemSink = std::function<Status(Item&&)>;

// What a reader gets.
struct SourceInput {
  std::string origin;  // the SPEC as given (without a reader prefix)
  std::string path;    // local file or directory; empty for URLs
  bool is_directory = false;
  std::string url;           // final URL after redirects, for URL sources
  std::string bytes;         // the document (files and URLs; empty for directories)
  std::string sniffed_type;  // SniffContentType(bytes)
};

struct SourceKind {
  std::string_view name;
  std::string_view description;
  bool (*accepts)(const SourceInput& input);
  Status (*read)(const SourceInput& input, const SourceOptions& options, const ItemSink& sink);
};

// Every reader, in detection order.
const std::vector<SourceKind>& SourceKinds();

class Source {
 public:
  Source(const SourceKind* kind, SourceInput input, SourceOptions options)
      : kind_(kind), input_(std::move(input)), options_(options) {}

  std::string_view kind() const { return kind_->name; }
  const std::string& origin() const { return input_.origin; }

  // Reads every item into `sink`. Errors name the file or URL and, for parse errors,
  // the position. Items handed out before an error stay handed out.
  Status Read(const ItemSink& sink) const;

 private:
  const SourceKind* kind_;
  SourceInput input_;
  SourceOptions options_;
};

// Opens SPEC: loads a file or fetches a URL (within the limits) and picks its reader.
Result<Source> OpenSource(std::string_view spec, const SourceOptions& options);

// Reads a whole source into a vector (tests, small sources).
Result<std::vector<Item>> ReadAllItems(std::string_view spec, const SourceOptions& options);

// The readers, declared here so the table in source.cpp can name them.
namespace readers {
bool AcceptsTelegram(const SourceInput&);
Status ReadTelegram(const SourceInput&, const SourceOptions&, const ItemSink&);
bool AcceptsActivityPub(const SourceInput&);
Status ReadActivityPub(const SourceInput&, const SourceOptions&, const ItemSink&);
bool AcceptsFeed(const SourceInput&);
Status ReadFeed(const SourceInput&, const SourceOptions&, const ItemSink&);
bool AcceptsHtml(const SourceInput&);
Status ReadHtml(const SourceInput&, const SourceOptions&, const ItemSink&);
bool AcceptsJsonl(const SourceInput&);
Status ReadJsonl(const SourceInput&, const SourceOptions&, const ItemSink&);
bool AcceptsFolder(const SourceInput&);
Status ReadFolder(const SourceInput&, const SourceOptions&, const ItemSink&);

// Shared by readers: a path inside `root` named by the source, or empty when it would
// leave `root` (absolute, "..") — export files must not make vigil read elsewhere.
std::string SafeJoin(const std::string& root, std::string_view relative);
// The folder a local source file sits in ("." for a bare file name); empty for an empty
// path (a fetched document, which names no local files).
std::string ParentDirOf(const std::string& path);
// Reads a file that belongs to a source, within options.max_source_bytes.
Result<std::string> ReadSourceFile(const std::string& path, const SourceOptions& options);
}  // namespace readers

}  // namespace vigil::collect
