// ActivityPub outbox reader: a Mastodon account archive (outbox.json next to
// media_attachments/) or a live outbox URL, paged through the SafeFetcher.
// Create activities carry a Note (or Article, Page, Video, Question...) whose content is
// HTML; Announce activities (boosts) carry the URL of someone else's post.
#include <boost/json.hpp>
#include <filesystem>

#include "collect/json_util.h"
#include "collect/source.h"
#include "collect/url.h"
#include "collect/xml_util.h"

namespace vigil::collect::readers {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kActivityAccept =
    "application/activity+json, application/ld+json; "
    "profile=\"https://www.w3.org/ns/activitystreams\"";

std::string UrlOf(const boost::json::value* v) {
  // "url" may be a string, a Link object or an array of either.
  if (v == nullptr) return {};
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_object()) {
    std::string href = GetString(v->get_object(), "href");
    return href.empty() ? GetString(v->get_object(), "url") : href;
  }
  if (v->is_array() && !v->get_array().empty()) return UrlOf(&v->get_array()[0]);
  return {};
}

struct Context {
  std::string root;      // archive folder, empty for live outboxes
  std::string base_url;  // outbox URL, empty for archives
  std::string origin;
  const ItemSink* sink;
};

Status ReadActivity(const boost::json::object& act, const Context& ctx) {
  std::string type = GetString(act, "type");
  Item item;
  item.kind = "activitypub";
  item.origin = ctx.origin;
  item.channel = GetString(act, "actor");
  item.published = GetString(act, "published");
  const auto* obj_v = act.if_contains("object");
  if (type == "Announce") {
    std::string target = UrlOf(obj_v);
    if (obj_v != nullptr && obj_v->is_object()) target = GetString(obj_v->get_object(), "id");
    item.id = "activitypub:" + GetString(act, "id");
    item.forwarded_from = target;
    if (!target.empty()) item.links.push_back(target);
    return (*ctx.sink)(std::move(item));
  }
  if (type != "Create" && type != "Update") return Status::OK();
  if (obj_v == nullptr || !obj_v->is_object()) return Status::OK();
  const auto& obj = obj_v->get_object();
  std::string oid = GetString(obj, "id");
  item.id = "activitypub:" + (oid.empty() ? GetString(act, "id") : oid);
  item.url = UrlOf(obj.if_contains("url"));
  if (item.url.empty()) item.url = oid;
  item.author = GetString(obj, "attributedTo");
  if (item.published.empty()) item.published = GetString(obj, "published");
  item.title = GetString(obj, "name");
  std::string summary = GetString(obj, "summary");  // content warning
  std::string content = GetString(obj, "content");
  std::string base = ctx.base_url.empty() ? item.url : ctx.base_url;
  HtmlContent html = ExtractHtmlFragment(content, base);
  item.text = summary.empty() ? html.text : summary + " | " + html.text;
  item.links = std::move(html.links);
  for (auto& img : html.images) item.media.push_back({"", std::move(img), "", "image", false});
  if (const auto* attachments = GetArray(obj, "attachment")) {
    for (const auto& av : *attachments) {
      if (!av.is_object()) continue;
      const auto& a = av.get_object();
      std::string type_a = GetString(a, "type");
      if (type_a == "PropertyValue") continue;  // profile fields, not media
      std::string url = UrlOf(a.if_contains("url"));
      if (url.empty()) continue;
      MediaRef ref;
      ref.role = "attachment";
      ref.mime_type = GetString(a, "mediaType");
      if (!ctx.root.empty() && !url.empty() && url[0] == '/') {
        // Archives name attachments by absolute path inside the archive.
        ref.path = SafeJoin(ctx.root, std::string_view(url).substr(1));
        std::error_code ec;
        ref.missing = ref.path.empty() || !fs::is_regular_file(ref.path, ec);
        if (ref.path.empty()) ref.path = url;
      } else if (!ctx.base_url.empty()) {
        auto r = ResolveAndCanonicalize(ctx.base_url, url);
        ref.url = r.ok() ? r->url : url;
      } else {
        ref.url = url;
      }
      item.media.push_back(std::move(ref));
    }
  }
  if (const auto* tags = GetArray(obj, "tag")) {
    for (const auto& tv : *tags) {
      // Mentions link to other accounts, which may be on other servers.
      if (tv.is_object() && GetString(tv.get_object(), "type") == "Mention") {
        std::string href = GetString(tv.get_object(), "href");
        if (!href.empty()) item.links.push_back(href);
      }
    }
  }
  return (*ctx.sink)(std::move(item));
}

Status ReadItems(const boost::json::object& page, const Context& ctx) {
  const auto* items = GetArray(page, "orderedItems");
  if (items == nullptr) items = GetArray(page, "items");
  if (items == nullptr) return Status::OK();
  for (const auto& v : *items) {
    if (v.is_object()) VIGIL_RETURN_IF_ERROR(ReadActivity(v.get_object(), ctx));
  }
  return Status::OK();
}

}  // namespace

bool AcceptsActivityPub(const SourceInput& in) {
  if (in.is_directory) {
    std::error_code ec;
    return fs::is_regular_file(fs::path(in.path) / "outbox.json", ec);
  }
  return in.sniffed_type == "application/activity+json";
}

Status ReadActivityPub(const SourceInput& in, const SourceOptions& options, const ItemSink& sink) {
  Context ctx;
  ctx.sink = &sink;
  std::string storage;
  std::string_view bytes = in.bytes;
  if (in.is_directory) {
    ctx.root = in.path;
    ctx.origin = (fs::path(in.path) / "outbox.json").string();
    VIGIL_ASSIGN_OR_RETURN(storage, ReadSourceFile(ctx.origin, options));
    bytes = storage;
  } else if (!in.path.empty()) {
    ctx.root = ParentDirOf(in.path);
    ctx.origin = in.path;
  } else {
    ctx.base_url = in.url;
    ctx.origin = in.origin;
  }
  VIGIL_ASSIGN_OR_RETURN(boost::json::value doc, ParseJson(bytes, ctx.origin));
  if (!doc.is_object()) return Status::Corruption(ctx.origin + ": expected a JSON object");
  const auto& top = doc.get_object();
  VIGIL_RETURN_IF_ERROR(ReadItems(top, ctx));
  if (ctx.base_url.empty()) return Status::OK();  // archives hold every item inline

  // A live outbox is an OrderedCollection whose items sit on pages: "first", then "next".
  std::string next;
  if (const auto* first = top.if_contains("first")) {
    if (first->is_object()) {
      VIGIL_RETURN_IF_ERROR(ReadItems(first->get_object(), ctx));
      next = UrlOf(first->get_object().if_contains("next"));
    } else {
      next = UrlOf(first);
    }
  } else {
    next = UrlOf(top.if_contains("next"));
  }
  if (options.fetcher == nullptr && !next.empty()) {
    return Status::FailedPrecondition(ctx.origin + ": paging needs a fetcher");
  }
  for (int page = 0; !next.empty(); ++page) {
    if (page >= options.max_outbox_pages) {
      return Status::ResourceExhausted(ctx.origin + ": more than " +
                                       std::to_string(options.max_outbox_pages) + " pages");
    }
    auto resolved = ResolveAndCanonicalize(ctx.base_url, next);
    if (!resolved.ok()) return resolved.status().WithContext(ctx.origin + ": next page");
    VIGIL_ASSIGN_OR_RETURN(FetchResult r, options.fetcher->Fetch(resolved->url, kActivityAccept));
    if (r.status < 200 || r.status > 299) {
      return Status::Unavailable(resolved->url + ": HTTP status " + std::to_string(r.status));
    }
    VIGIL_ASSIGN_OR_RETURN(boost::json::value pdoc, ParseJson(r.body, resolved->url));
    if (!pdoc.is_object()) return Status::Corruption(resolved->url + ": expected an object");
    VIGIL_RETURN_IF_ERROR(ReadItems(pdoc.get_object(), ctx));
    std::string following = UrlOf(pdoc.get_object().if_contains("next"));
    if (following == next) break;  // a server pointing a page at itself
    next = std::move(following);
  }
  return Status::OK();
}

}  // namespace vigil::collect::readers
