#include "collect/jsonl.h"

#include <boost/json.hpp>
#include <filesystem>

#include "collect/json_util.h"
#include "collect/source.h"

namespace vigil::collect {
namespace fs = std::filesystem;

Result<Item> ParseIngestLine(std::string_view line, const std::string& base_dir) {
  VIGIL_ASSIGN_OR_RETURN(boost::json::value v, ParseJson(line, "line"));
  if (!v.is_object()) return Status::InvalidArgument("expected a JSON object");
  const auto& o = v.get_object();
  Item item;
  item.id = GetString(o, "id");
  item.kind = GetString(o, "kind");
  if (item.kind.empty()) item.kind = "jsonl";
  item.channel = GetString(o, "channel");
  item.url = GetString(o, "url");
  item.author = GetString(o, "author");
  item.published = GetString(o, "published");
  item.title = GetString(o, "title");
  item.text = GetString(o, "text");
  item.forwarded_from = GetString(o, "forwarded_from");
  if (item.id.empty()) {
    if (item.url.empty()) return Status::InvalidArgument("item has neither 'id' nor 'url'");
    item.id = "jsonl:" + item.url;
  }
  if (const auto* links = GetArray(o, "links")) {
    for (const auto& l : *links) {
      if (!l.is_string()) return Status::InvalidArgument("'links' must hold strings");
      item.links.emplace_back(l.get_string());
    }
  }
  if (const auto* media = GetArray(o, "media")) {
    for (const auto& mv : *media) {
      if (!mv.is_object()) return Status::InvalidArgument("'media' must hold objects");
      const auto& m = mv.get_object();
      MediaRef ref;
      std::string path = GetString(m, "path");
      ref.url = GetString(m, "url");
      ref.mime_type = GetString(m, "mime_type");
      ref.role = GetString(m, "role");
      if (ref.role.empty()) ref.role = "file";
      if (!path.empty() && base_dir.empty()) {
        ref.path = path;  // a fetched document names no local files
        ref.missing = true;
      } else if (!path.empty()) {
        ref.path = path.front() == '/' ? path : readers::SafeJoin(base_dir, path);
        std::error_code ec;
        ref.missing = ref.path.empty() || !fs::is_regular_file(ref.path, ec);
        if (ref.path.empty()) ref.path = path;
      } else if (ref.url.empty()) {
        return Status::InvalidArgument("a media entry needs 'path' or 'url'");
      }
      item.media.push_back(std::move(ref));
    }
  }
  return item;
}

boost::json::object ItemToJson(const Item& item) {
  boost::json::object o;
  o["id"] = item.id;
  o["kind"] = item.kind;
  auto put = [&](const char* key, const std::string& v) {
    if (!v.empty()) o[key] = v;
  };
  put("origin", item.origin);
  put("channel", item.channel);
  put("url", item.url);
  put("author", item.author);
  put("published", item.published);
  put("title", item.title);
  put("text", item.text);
  put("forwarded_from", item.forwarded_from);
  boost::json::array links;
  for (const auto& l : item.links) links.emplace_back(l);
  o["links"] = std::move(links);
  boost::json::array media;
  for (const auto& m : item.media) {
    boost::json::object mo;
    if (!m.path.empty()) mo["path"] = m.path;
    if (!m.url.empty()) mo["url"] = m.url;
    if (!m.mime_type.empty()) mo["mime_type"] = m.mime_type;
    mo["role"] = m.role;
    if (m.missing) mo["missing"] = true;
    media.emplace_back(std::move(mo));
  }
  o["media"] = std::move(media);
  return o;
}

namespace readers {

bool AcceptsJsonl(const SourceInput& in) {
  if (in.is_directory) return false;
  std::string ext = fs::path(in.path.empty() ? in.url : in.path).extension().string();
  if (ext == ".jsonl" || ext == ".ndjson") return true;
  // Several lines that each open an object: JSON lines, not one pretty-printed document.
  if (in.sniffed_type != "application/json" || in.bytes.empty() || in.bytes[0] != '{') {
    return false;
  }
  size_t nl = in.bytes.find('\n');
  return nl != std::string::npos && nl + 1 < in.bytes.size() && in.bytes[nl + 1] == '{' &&
         in.bytes.find("\"id\"") < nl;
}

Status ReadJsonl(const SourceInput& in, const SourceOptions&, const ItemSink& sink) {
  const std::string base_dir = ParentDirOf(in.path);
  std::string_view rest = in.bytes;
  size_t line_no = 0;
  while (!rest.empty()) {
    ++line_no;
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    std::string where = in.origin + ": line " + std::to_string(line_no);
    if (line.size() > kMaxJsonlLineBytes) {
      return Status::ResourceExhausted(where + ": line longer than 16 MiB");
    }
    auto item = ParseIngestLine(line, base_dir);
    if (!item.ok()) {
      // "line: line 1, column 7: ..." from the JSON parser becomes "FILE: line N, column 7".
      std::string msg = item.status().message();
      constexpr std::string_view kJsonPrefix = "line: line 1, ";  // from ParseJson
      if (msg.rfind(kJsonPrefix, 0) == 0) {
        return Status::Corruption(where + ", " + msg.substr(kJsonPrefix.size()));
      }
      return Status::Corruption(where + ": " + msg);
    }
    if (item->origin.empty()) item->origin = in.origin;
    VIGIL_RETURN_IF_ERROR(sink(std::move(item).value()));
  }
  return Status::OK();
}

}  // namespace readers
}  // namespace vigil::collect
