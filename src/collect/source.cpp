#include "collect/source.h"

#include <cctype>
#include <exception>
#include <filesystem>
#include <fstream>

#include "core/file.h"

namespace vigil::collect {
namespace fs = std::filesystem;

namespace {
constexpr std::string_view kSourceAccept =
    "application/activity+json, application/rss+xml, application/atom+xml, "
    "application/xml;q=0.9, text/html;q=0.8, */*;q=0.5";
}  // namespace

const std::vector<SourceKind>& SourceKinds() {
  // Detection order matters: specific formats before the catch-alls (html, folder).
  static const std::vector<SourceKind> kinds = {
      {"jsonl", "JSON lines in vigil's ingest format (docs/ingest-format.md)",
       readers::AcceptsJsonl, readers::ReadJsonl},
      {"telegram", "Telegram Desktop export (result.json and its media folders)",
       readers::AcceptsTelegram, readers::ReadTelegram},
      {"activitypub", "ActivityPub outbox: Mastodon archive (outbox.json) or live outbox URL",
       readers::AcceptsActivityPub, readers::ReadActivityPub},
      {"feed", "RSS 2.0, RSS 1.0 or Atom feed", readers::AcceptsFeed, readers::ReadFeed},
      {"html", "HTML page: its links and images", readers::AcceptsHtml, readers::ReadHtml},
      {"folder", "a folder of media files", readers::AcceptsFolder, readers::ReadFolder},
  };
  return kinds;
}

namespace readers {

std::string SafeJoin(const std::string& root, std::string_view relative) {
  if (relative.empty() || relative.front() == '/' || relative.find('\0') != std::string::npos) {
    return {};
  }
  fs::path rel = fs::path(std::string(relative)).lexically_normal();
  if (rel.empty() || rel.is_absolute()) return {};
  for (const auto& part : rel) {
    if (part == "..") return {};
  }
  return (fs::path(root) / rel).string();
}

std::string ParentDirOf(const std::string& path) {
  if (path.empty()) return {};
  std::string parent = fs::path(path).parent_path().string();
  return parent.empty() ? std::string(".") : parent;
}

Result<std::string> ReadSourceFile(const std::string& path, const SourceOptions& options) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFileBytes(path, options.max_source_bytes));
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace readers

Status Source::Read(const ItemSink& sink) const {
  size_t count = 0;
  const size_t max_items = options_.max_items;
  const std::string& origin = input_.origin;
  ItemSink bounded = [&](Item&& item) -> Status {
    if (++count > max_items) {
      return Status::ResourceExhausted(origin + ": more than " + std::to_string(max_items) +
                                       " items");
    }
    if (item.kind.empty()) item.kind = std::string(kind_->name);
    if (item.origin.empty()) item.origin = origin;
    return sink(std::move(item));
  };
  // Readers return Status; only allocation failure (a hostile document's size) or a
  // library bug can throw, and neither may cross into the caller.
  try {
    return kind_->read(input_, options_, bounded);
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted(origin + ": out of memory");
  } catch (const std::exception& e) {
    return Status::Internal(origin + ": " + e.what());
  }
}

Result<Source> OpenSource(std::string_view spec, const SourceOptions& options) {
  const SourceKind* forced = nullptr;
  if (auto colon = spec.find(':'); colon != std::string_view::npos) {
    for (const auto& k : SourceKinds()) {
      if (spec.substr(0, colon) == k.name) {
        forced = &k;
        spec.remove_prefix(colon + 1);
        break;
      }
    }
  }
  if (spec.empty()) return Status::InvalidArgument("empty source");
  SourceInput in;
  in.origin = std::string(spec);
  auto lower_prefix = [&](std::string_view p) {
    if (spec.size() < p.size()) return false;
    for (size_t i = 0; i < p.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(spec[i])) != p[i]) return false;
    }
    return true;
  };
  if (lower_prefix("http://") || lower_prefix("https://")) {
    if (options.fetcher == nullptr) {
      return Status::FailedPrecondition(in.origin + ": URL sources need a fetcher");
    }
    // Servers that speak several formats (a Mastodon profile is HTML or ActivityPub)
    // pick by Accept; the reader is still chosen from the bytes.
    VIGIL_ASSIGN_OR_RETURN(FetchResult r, options.fetcher->Fetch(spec, kSourceAccept));
    if (r.status < 200 || r.status > 299) {
      return Status::Unavailable(in.origin + ": HTTP status " + std::to_string(r.status));
    }
    in.url = std::move(r.url);
    in.bytes = std::move(r.body);
    in.sniffed_type = std::move(r.sniffed_type);
  } else {
    std::error_code ec;
    auto st = fs::status(in.origin, ec);
    if (ec || !fs::exists(st)) return Status::NotFound(in.origin + ": no such file or directory");
    in.path = in.origin;
    if (fs::is_directory(st)) {
      in.is_directory = true;
    } else {
      VIGIL_ASSIGN_OR_RETURN(in.bytes, readers::ReadSourceFile(in.path, options));
      in.sniffed_type = SniffContentType(in.bytes);
    }
  }
  if (forced != nullptr) return Source(forced, std::move(in), options);
  for (const auto& k : SourceKinds()) {
    if (k.accepts(in)) return Source(&k, std::move(in), options);
  }
  return Status::Unsupported(in.origin + ": not a source vigil can read (detected " +
                             (in.sniffed_type.empty() ? "nothing" : in.sniffed_type) +
                             "); name the reader, e.g. telegram:PATH");
}

Result<std::vector<Item>> ReadAllItems(std::string_view spec, const SourceOptions& options) {
  VIGIL_ASSIGN_OR_RETURN(Source source, OpenSource(spec, options));
  std::vector<Item> items;
  VIGIL_RETURN_IF_ERROR(source.Read([&](Item&& item) {
    items.push_back(std::move(item));
    return Status::OK();
  }));
  return items;
}

}  // namespace vigil::collect
