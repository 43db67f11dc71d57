// HTML page reader: one item per page, with the page's links and images.
#include <filesystem>

#include "collect/source.h"
#include "collect/url.h"
#include "collect/xml_util.h"

namespace vigil::collect::readers {

bool AcceptsHtml(const SourceInput& in) {
  if (in.is_directory) return false;
  if (in.sniffed_type == "text/html") return true;
  std::string ext = std::filesystem::path(in.path).extension().string();
  return ext == ".html" || ext == ".htm" || ext == ".xhtml";
}

Status ReadHtml(const SourceInput& in, const SourceOptions&, const ItemSink& sink) {
  VIGIL_ASSIGN_OR_RETURN(XmlDocPtr doc, ParseHtml(in.bytes, in.origin));
  HtmlContent c = ExtractHtml(doc.get(), in.url);
  Item item;
  item.kind = "html";
  item.origin = in.origin;
  if (!in.url.empty()) {
    auto canonical = CanonicalizeUrl(in.url);
    item.url = canonical.ok() ? canonical->url : in.url;
    item.channel = canonical.ok() ? canonical->host : std::string();
    item.id = "html:" + item.url;
  } else {
    std::error_code ec;
    auto abs = std::filesystem::absolute(in.path, ec);
    item.id = "html:file:" + (ec ? in.path : abs.lexically_normal().string());
    item.channel = std::filesystem::path(in.path).filename().string();
  }
  item.title = std::move(c.title);
  item.text = std::move(c.text);
  item.links = std::move(c.links);
  for (auto& u : ExtractUrlsFromText(item.text)) item.links.push_back(std::move(u));
  for (auto& i : c.images) item.media.push_back({"", std::move(i), "", "image", false});
  for (auto& v : c.videos) item.media.push_back({"", std::move(v), "", "video", false});
  return sink(std::move(item));
}

}  // namespace vigil::collect::readers
