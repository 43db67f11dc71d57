// libxml2 behind a small, safe surface: XML and HTML documents parsed from memory with
// network access off, no entity substitution and no external DTD or entity loading
// (XXE), within libxml2's default size and depth limits (no XML_PARSE_HUGE); plus the
// HTML extraction every reader shares (links, images, text).
// Thread safety: reentrant; libxml2 is initialised once, from whichever thread is first.
#pragma once

#include <libxml/tree.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vigil::collect {

struct XmlDocDeleter {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
using XmlDocPtr = std::unique_ptr<xmlDoc, XmlDocDeleter>;

// Strict XML (feeds). Errors name `origin`, line and column.
Result<XmlDocPtr> ParseXml(std::string_view bytes, std::string_view origin);
// HTML with recovery: any bytes give a document (possibly empty).
Result<XmlDocPtr> ParseHtml(std::string_view bytes, std::string_view origin);

// Local name of an element ("item" for <rss:item>), and helpers that never return null.
std::string_view LocalName(const xmlNode* n);
std::string NodeText(const xmlNode* n);  // concatenated text content
std::string Attr(const xmlNode* n, const char* name);

struct HtmlContent {
  std::string title;
  std::string text;                 // visible text, whitespace collapsed
  std::vector<std::string> links;   // a/area href, iframe/embed src
  std::vector<std::string> images;  // img src
  std::vector<std::string> videos;  // video/audio/source src
};

// Extracts links and media from an HTML document or fragment. Relative references are
// resolved against <base href> or `base_url` when that is an http(s) URL; otherwise they
// are kept as written. javascript:, data: and fragment-only references are dropped
// (they lead nowhere); mailto: and other schemes are kept and later reported as not web.
HtmlContent ExtractHtml(const xmlDoc* doc, std::string_view base_url);
HtmlContent ExtractHtmlFragment(std::string_view html, std::string_view base_url);

}  // namespace vigil::collect
