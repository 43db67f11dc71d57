#include "collect/xml_util.h"

#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstring>
#include <mutex>

#include "collect/url.h"

namespace vigil::collect {
namespace {

// Refuses every external entity and DTD, whatever the options: documents from the
// internet must never make vigil open a file or a URL.
xmlParserInputPtr RefuseExternalEntity(const char*, const char*, xmlParserCtxtPtr) {
  return nullptr;
}

void SilentError(void*, const char*, ...) {}

void InitLibxml() {
  static std::once_flag once;
  std::call_once(once, [] {
    xmlInitParser();
    xmlSetExternalEntityLoader(RefuseExternalEntity);
    // Errors come back through the parser context; libxml2 must not print them.
    xmlSetGenericErrorFunc(nullptr, SilentError);
  });
}

struct CtxtDeleter {
  void operator()(xmlParserCtxt* c) const { xmlFreeParserCtxt(c); }
};
struct HtmlCtxtDeleter {
  void operator()(htmlParserCtxt* c) const { htmlFreeParserCtxt(c); }
};

bool IsHttpUrl(std::string_view s) {
  auto lower_starts = [&](std::string_view p) {
    if (s.size() < p.size()) return false;
    for (size_t i = 0; i < p.size(); ++i) {
      if ((s[i] | 0x20) != p[i] && s[i] != p[i]) return false;
    }
    return true;
  };
  return lower_starts("http://") || lower_starts("https://");
}

void CollapseInto(std::string& out, std::string_view text) {
  for (char c : text) {
    bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f';
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
}

struct Extractor {
  std::string base;
  HtmlContent out;

  void AddRef(std::vector<std::string>& list, std::string ref) {
    std::string_view r = ref;
    while (!r.empty() && static_cast<unsigned char>(r.front()) <= 0x20) r.remove_prefix(1);
    while (!r.empty() && static_cast<unsigned char>(r.back()) <= 0x20) r.remove_suffix(1);
    if (r.empty() || r[0] == '#') return;
    std::string lower(r.substr(0, 11));
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.rfind("javascript:", 0) == 0 || lower.rfind("data:", 0) == 0) return;
    if (!base.empty()) {
      auto resolved = ResolveAndCanonicalize(base, r);
      if (resolved.ok()) {
        list.push_back(resolved->url);
        return;
      }
    }
    list.emplace_back(r);
  }

  void Walk(const xmlNode* n, bool in_head) {
    for (; n != nullptr; n = n->next) {
      if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
        if (!in_head && n->content != nullptr) {
          CollapseInto(out.text, reinterpret_cast<const char*>(n->content));
        }
        continue;
      }
      if (n->type != XML_ELEMENT_NODE) continue;
      std::string_view name = LocalName(n);
      if (name == "script" || name == "style" || name == "noscript" || name == "template") {
        continue;
      }
      if (name == "title" && out.title.empty()) {
        CollapseInto(out.title, NodeText(n));
        continue;
      }
      if (name == "base" && base.empty()) {
        std::string href = Attr(n, "href");
        if (IsHttpUrl(href)) base = href;
      } else if (name == "a" || name == "area") {
        AddRef(out.links, Attr(n, "href"));
      } else if (name == "iframe" || name == "embed" || name == "frame") {
        AddRef(out.links, Attr(n, "src"));
      } else if (name == "img") {
        AddRef(out.images, Attr(n, "src"));
      } else if (name == "video" || name == "audio" || name == "source") {
        AddRef(out.videos, Attr(n, "src"));
      } else if (name == "meta") {
        // Open Graph and Twitter cards name the page's main image and video.
        std::string prop = Attr(n, "property");
        if (prop.empty()) prop = Attr(n, "name");
        if (prop == "og:image" || prop == "twitter:image") AddRef(out.images, Attr(n, "content"));
        if (prop == "og:video" || prop == "og:video:url") AddRef(out.videos, Attr(n, "content"));
      }
      bool block = name == "p" || name == "br" || name == "div" || name == "li" || name == "tr";
      if (block && !out.text.empty() && out.text.back() != ' ') out.text += ' ';
      Walk(n->children, in_head || name == "head");
    }
  }
};

}  // namespace

std::string_view LocalName(const xmlNode* n) {
  if (n == nullptr || n->name == nullptr) return {};
  return reinterpret_cast<const char*>(n->name);
}

std::string NodeText(const xmlNode* n) {
  if (n == nullptr) return {};
  xmlChar* c = xmlNodeGetContent(n);
  if (c == nullptr) return {};
  std::string s(reinterpret_cast<const char*>(c));
  xmlFree(c);
  return s;
}

std::string Attr(const xmlNode* n, const char* name) {
  if (n == nullptr) return {};
  // xmlGetProp wants a non-const node though it does not modify it.
  xmlChar* v = xmlGetProp(const_cast<xmlNode*>(n), reinterpret_cast<const xmlChar*>(name));
  if (v == nullptr) return {};
  std::string s(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return s;
}

Result<XmlDocPtr> ParseXml(std::string_view bytes, std::string_view origin) {
  InitLibxml();
  if (bytes.size() > INT_MAX) return Status::ResourceExhausted(std::string(origin) + ": too large");
  std::unique_ptr<xmlParserCtxt, CtxtDeleter> ctxt(xmlNewParserCtxt());
  if (!ctxt) return Status::Internal("libxml2: out of memory");
  // No XML_PARSE_NOENT (entities stay unexpanded), no DTDLOAD/DTDATTR, no HUGE.
  const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                      XML_PARSE_NOCDATA | XML_PARSE_NOBLANKS;
  xmlDoc* doc = xmlCtxtReadMemory(ctxt.get(), bytes.data(), static_cast<int>(bytes.size()), nullptr,
                                  nullptr, options);
  if (doc == nullptr) {
    const xmlError* e = xmlCtxtGetLastError(ctxt.get());
    std::string msg = e != nullptr && e->message != nullptr ? e->message : "not well-formed XML";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    int line = e != nullptr ? e->line : 0;
    int col = e != nullptr ? e->int2 : 0;
    return Status::Corruption(std::string(origin) + ": line " + std::to_string(line) + ", column " +
                              std::to_string(col) + ": " + msg);
  }
  return XmlDocPtr(doc);
}

Result<XmlDocPtr> ParseHtml(std::string_view bytes, std::string_view origin) {
  InitLibxml();
  if (bytes.size() > INT_MAX) return Status::ResourceExhausted(std::string(origin) + ": too large");
  std::unique_ptr<htmlParserCtxt, HtmlCtxtDeleter> ctxt(htmlNewParserCtxt());
  if (!ctxt) return Status::Internal("libxml2: out of memory");
  const int options = HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
                      HTML_PARSE_NOWARNING | HTML_PARSE_NOIMPLIED;
  // Pages that declare no charset are read as UTF-8, the web's default.
  htmlDocPtr doc = htmlCtxtReadMemory(ctxt.get(), bytes.data(), static_cast<int>(bytes.size()),
                                      nullptr, "UTF-8", options);
  if (doc == nullptr) {
    // Only empty input (or no memory) gets here: recovery accepts anything else.
    doc = htmlNewDocNoDtD(nullptr, nullptr);
    if (doc == nullptr) return Status::Internal("libxml2: out of memory");
  }
  return XmlDocPtr(doc);
}

HtmlContent ExtractHtml(const xmlDoc* doc, std::string_view base_url) {
  Extractor ex;
  if (IsHttpUrl(base_url)) ex.base = std::string(base_url);
  if (doc != nullptr) ex.Walk(doc->children, false);
  while (!ex.out.text.empty() && ex.out.text.back() == ' ') ex.out.text.pop_back();
  if (!ex.out.text.empty() && ex.out.text.front() == ' ') ex.out.text.erase(0, 1);
  return std::move(ex.out);
}

HtmlContent ExtractHtmlFragment(std::string_view html, std::string_view base_url) {
  if (html.find('<') == std::string_view::npos && html.find('&') == std::string_view::npos) {
    HtmlContent c;  // plain text: no parser needed
    CollapseInto(c.text, html);
    for (auto& u : ExtractUrlsFromText(html)) c.links.push_back(std::move(u));
    return c;
  }
  auto doc = ParseHtml(html, "fragment");
  if (!doc.ok()) return {};
  HtmlContent c = ExtractHtml(doc->get(), base_url);
  // Many feeds put bare URLs in the text, not in <a> elements.
  for (auto& u : ExtractUrlsFromText(c.text)) {
    if (std::find(c.links.begin(), c.links.end(), u) == c.links.end()) c.links.push_back(u);
  }
  return c;
}

}  // namespace vigil::collect
