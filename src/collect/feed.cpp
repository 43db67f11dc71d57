// RSS 2.0, RSS 1.0 (RDF) and Atom feed reader. Entry text is HTML in most feeds
// (description, content:encoded, Atom content type="html"); links and images come from
// that HTML, enclosures and media:content from their own elements.
#include <filesystem>

#include "collect/source.h"
#include "collect/url.h"
#include "collect/xml_util.h"
#include "signals/digest.h"

namespace vigil::collect::readers {
namespace {

const xmlNode* Child(const xmlNode* n, std::string_view name) {
  for (const xmlNode* c = n != nullptr ? n->children : nullptr; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE && LocalName(c) == name) return c;
  }
  return nullptr;
}

std::string ChildText(const xmlNode* n, std::string_view name) {
  std::string s = NodeText(Child(n, name));
  size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return {};
  size_t b = s.find_last_not_of(" \t\r\n");
  return s.substr(a, b - a + 1);
}

// Entry identity when the feed gives neither guid/id nor link: a digest of what is there.
std::string ContentKey(const Item& item) {
  std::string basis = item.title + "\n" + item.published + "\n" + item.text;
  return "sha256-" +
         vigil::digest::Sha256Hex({reinterpret_cast<const uint8_t*>(basis.data()), basis.size()})
             .substr(0, 32);
}

void AddHtml(Item& item, std::string_view html, std::string_view base) {
  HtmlContent c = ExtractHtmlFragment(html, base);
  if (!c.text.empty()) item.text = item.text.empty() ? c.text : item.text + " " + c.text;
  for (auto& l : c.links) item.links.push_back(std::move(l));
  for (auto& i : c.images) item.media.push_back({"", std::move(i), "", "image", false});
  for (auto& v : c.videos) item.media.push_back({"", std::move(v), "", "video", false});
}

void AddMediaElements(const xmlNode* entry, Item& item) {
  for (const xmlNode* c = entry->children; c != nullptr; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    std::string_view name = LocalName(c);
    if (name == "enclosure" || name == "content" || name == "thumbnail") {
      std::string url = Attr(c, "url");
      if (url.empty()) continue;  // Atom <content> carries text, not a url attribute
      std::string type = Attr(c, "type");
      std::string role = name == "enclosure" ? "enclosure" : "image";
      if (type.rfind("video/", 0) == 0) role = "video";
      item.media.push_back({"", url, type, role, false});
    } else if (name == "group") {
      AddMediaElements(c, item);  // media:group
    }
  }
}

Status EmitRssItem(const xmlNode* it, const std::string& channel, const std::string& origin,
                   const std::string& base, const ItemSink& sink) {
  Item item;
  item.kind = "rss";
  item.origin = origin;
  item.channel = channel;
  item.title = ChildText(it, "title");
  item.url = ChildText(it, "link");
  item.published = ChildText(it, "pubDate");
  if (item.published.empty()) item.published = ChildText(it, "date");  // dc:date
  item.author = ChildText(it, "creator");                              // dc:creator
  if (item.author.empty()) item.author = ChildText(it, "author");
  std::string guid = ChildText(it, "guid");
  if (guid.empty()) guid = Attr(it, "about");  // RSS 1.0 rdf:about
  std::string description = ChildText(it, "description");
  std::string encoded = ChildText(it, "encoded");  // content:encoded
  std::string page_base = item.url.empty() ? base : item.url;
  AddHtml(item, encoded.empty() ? description : encoded, page_base);
  if (!item.url.empty()) item.links.insert(item.links.begin(), item.url);
  AddMediaElements(it, item);
  std::string key = !guid.empty() ? guid : !item.url.empty() ? item.url : ContentKey(item);
  item.id = "rss:" + channel + ":" + key;
  return sink(std::move(item));
}

Status EmitAtomEntry(const xmlNode* e, const std::string& channel, const std::string& origin,
                     const std::string& base, const ItemSink& sink) {
  Item item;
  item.kind = "atom";
  item.origin = origin;
  item.channel = channel;
  item.title = ChildText(e, "title");
  item.published = ChildText(e, "published");
  if (item.published.empty()) item.published = ChildText(e, "updated");
  item.author = ChildText(Child(e, "author"), "name");
  std::vector<std::string> extra_links;
  for (const xmlNode* c = e->children; c != nullptr; c = c->next) {
    if (c->type != XML_ELEMENT_NODE || LocalName(c) != "link") continue;
    std::string rel = Attr(c, "rel");
    std::string href = Attr(c, "href");
    if (href.empty()) continue;
    if (rel.empty() || rel == "alternate") {
      if (item.url.empty()) item.url = href;
    } else if (rel == "enclosure") {
      item.media.push_back({"", href, Attr(c, "type"), "enclosure", false});
    } else if (rel == "related" || rel == "via") {
      extra_links.push_back(href);
    }
  }
  const xmlNode* content = Child(e, "content");
  if (content == nullptr) content = Child(e, "summary");
  std::string type = Attr(content, "type");
  std::string page_base = item.url.empty() ? base : item.url;
  if (content != nullptr && type == "xhtml") {
    // XHTML content is markup already in the tree: walk it for <a> and <img>.
    std::string text = NodeText(content);
    item.text = text;
    for (auto& u : ExtractUrlsFromText(text)) item.links.push_back(std::move(u));
    for (const xmlNode* n = content->children; n != nullptr; n = n->next) {
      std::vector<const xmlNode*> stack{n};
      while (!stack.empty()) {
        const xmlNode* x = stack.back();
        stack.pop_back();
        if (x->type == XML_ELEMENT_NODE) {
          if (LocalName(x) == "a") item.links.push_back(Attr(x, "href"));
          if (LocalName(x) == "img") item.media.push_back({"", Attr(x, "src"), "", "image", false});
          for (const xmlNode* k = x->children; k != nullptr; k = k->next) stack.push_back(k);
        }
      }
    }
  } else if (content != nullptr && (type == "html" || type == "text/html")) {
    AddHtml(item, NodeText(content), page_base);
  } else if (content != nullptr) {
    std::string text = NodeText(content);
    item.text = text;
    for (auto& u : ExtractUrlsFromText(text)) item.links.push_back(std::move(u));
  }
  if (!item.url.empty()) item.links.insert(item.links.begin(), item.url);
  for (auto& l : extra_links) item.links.push_back(std::move(l));
  AddMediaElements(e, item);
  std::string id = ChildText(e, "id");
  std::string key = !id.empty() ? id : !item.url.empty() ? item.url : ContentKey(item);
  item.id = "atom:" + channel + ":" + key;
  return sink(std::move(item));
}

}  // namespace

bool AcceptsFeed(const SourceInput& in) {
  return !in.is_directory &&
         (in.sniffed_type == "application/rss+xml" || in.sniffed_type == "application/atom+xml");
}

Status ReadFeed(const SourceInput& in, const SourceOptions&, const ItemSink& sink) {
  const std::string& origin = in.origin;
  VIGIL_ASSIGN_OR_RETURN(XmlDocPtr doc, ParseXml(in.bytes, origin));
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (root == nullptr) return Status::Corruption(origin + ": empty XML document");
  std::string_view root_name = LocalName(root);
  std::string base = in.url;
  if (root_name == "feed") {
    // The feed's identity is its own <id> (or link), so the same feed read from a file or
    // a URL gives the same item ids.
    std::string channel = ChildText(root, "id");
    if (channel.empty()) channel = ChildText(root, "title");
    if (channel.empty()) channel = origin;
    for (const xmlNode* e = root->children; e != nullptr; e = e->next) {
      if (e->type == XML_ELEMENT_NODE && LocalName(e) == "entry") {
        VIGIL_RETURN_IF_ERROR(EmitAtomEntry(e, channel, origin, base, sink));
      }
    }
    return Status::OK();
  }
  if (root_name != "rss" && root_name != "RDF") {
    return Status::Unsupported(origin + ": XML root <" + std::string(root_name) +
                               "> is not a feed");
  }
  const xmlNode* channel_node = Child(root, "channel");
  std::string channel = ChildText(channel_node, "link");
  if (channel.empty()) channel = ChildText(channel_node, "title");
  if (channel.empty()) channel = origin;
  if (base.empty()) {
    std::string link = ChildText(channel_node, "link");
    if (CanonicalizeUrl(link).ok()) base = link;
  }
  // RSS 2.0 nests items in <channel>; RSS 1.0 puts them beside it.
  for (const xmlNode* parent : {channel_node, static_cast<const xmlNode*>(root)}) {
    if (parent == nullptr) continue;
    for (const xmlNode* it = parent->children; it != nullptr; it = it->next) {
      if (it->type == XML_ELEMENT_NODE && LocalName(it) == "item") {
        VIGIL_RETURN_IF_ERROR(EmitRssItem(it, channel, origin, base, sink));
      }
    }
  }
  return Status::OK();
}

}  // namespace vigil::collect::readers
