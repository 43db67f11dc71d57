// What the collectors produce: items (a post, a feed entry, a page, a media file) with
// the links and media they contain, as found. Links are kept as written here; the link
// analyser (links.h) canonicalises and attributes them, so readers stay simple and every
// source gets the same treatment.
// Thread safety: plain values.
#pragma once

#include <string>
#include <vector>

namespace vigil::collect {

struct MediaRef {
  // A local file, empty when the media is only remote. When `missing`, the name the
  // source gave, which must not be opened.
  std::string path;
  std::string url;        // where it lives on the web, when known
  std::string mime_type;  // as the source declares it (a hint; content is sniffed later)
  std::string role;       // "photo", "file", "attachment", "enclosure", "image", "video"
  // The source names the media but the file is not there (e.g. a Telegram export made
  // without media): reported, never silently dropped.
  bool missing = false;
};

struct Item {
  // Stable identity: the same post read twice, from the same export or a later one,
  // gets the same id: "<kind>:<channel or feed>:<post id>" (see docs/ingest-format.md).
  std::string id;
  std::string kind;     // reader that produced it: "telegram", "activitypub", "rss", ...
  std::string origin;   // the file or URL it was read from
  std::string channel;  // channel, account, feed or site name
  std::string url;      // the post's own address, when it has one
  std::string author;
  std::string published;  // as the source writes it (ISO 8601 or RFC 822)
  std::string title;
  std::string text;
  std::string forwarded_from;
  std::vector<std::string> links;  // every link in the post, as written, in order
  std::vector<MediaRef> media;
};

}  // namespace vigil::collect
