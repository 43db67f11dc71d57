// Telegram Desktop export reader (JSON format, "Export chat history" or a full account
// export). The export's result.json lists messages; text is a string or an array of
// strings and entity objects; links are "link" entities (the text is the URL) and
// "text_link" entities (href); @mentions point at other Telegram chats and become
// https://t.me/NAME links. Media paths are relative to the export folder.
#include <boost/json.hpp>
#include <filesystem>

#include "collect/json_util.h"
#include "collect/source.h"
#include "collect/url.h"

namespace vigil::collect::readers {
namespace fs = std::filesystem;
namespace {

// Telegram's placeholder when media was not exported.
bool IsNotIncluded(std::string_view s) { return s.rfind("(File ", 0) == 0; }

void AddEntity(const boost::json::object& e, Item& item, bool* saw_link_entity) {
  std::string type = GetString(e, "type");
  std::string text = GetString(e, "text");
  if (type == "link") {
    item.links.push_back(text);
    *saw_link_entity = true;
  } else if (type == "text_link") {
    item.links.push_back(GetString(e, "href"));
    *saw_link_entity = true;
  } else if (type == "mention" && text.size() > 1 && text[0] == '@') {
    item.links.push_back("https://t.me/" + text.substr(1));
  }
}

void AddMedia(const std::string& root, const boost::json::object& m, std::string_view key,
              std::string role, Item& item) {
  std::string value = GetString(m, key);
  if (value.empty()) return;
  MediaRef ref;
  ref.role = std::move(role);
  ref.mime_type = GetString(m, "mime_type");
  if (ref.role == "photo" && ref.mime_type.empty()) ref.mime_type = "image/jpeg";
  if (IsNotIncluded(value)) {
    ref.missing = true;
  } else if (root.empty()) {
    ref.missing = true;  // a fetched document names no local files
    ref.path = value;
  } else {
    ref.path = SafeJoin(root, value);
    std::error_code ec;
    ref.missing = ref.path.empty() || !fs::is_regular_file(ref.path, ec);
    if (ref.path.empty()) ref.path = value;  // reported as missing: it points outside
  }
  item.media.push_back(std::move(ref));
}

Status ReadChat(const boost::json::object& chat, const std::string& root, const std::string& origin,
                const ItemSink& sink) {
  std::string chat_id = StringOrNumber(chat.if_contains("id"));
  std::string chat_name = GetString(chat, "name");
  if (chat_id.empty()) chat_id = chat_name;
  const auto* messages = GetArray(chat, "messages");
  if (messages == nullptr) {
    return Status::Corruption(origin + ": chat '" + chat_name + "' has no 'messages' array");
  }
  for (const auto& mv : *messages) {
    if (!mv.is_object()) continue;
    const auto& m = mv.get_object();
    if (GetString(m, "type") != "message") continue;  // service messages: joins, pins
    Item item;
    item.kind = "telegram";
    item.origin = origin;
    item.channel = chat_name;
    std::string id = StringOrNumber(m.if_contains("id"));
    item.id = "telegram:" + chat_id + ":" + id;
    item.published = GetString(m, "date");
    item.author = GetString(m, "from");
    item.forwarded_from = GetString(m, "forwarded_from");
    bool saw_link_entity = false;
    // text_entities (newer exports) is the flat list; text is the older mixed form.
    const auto* entities = GetArray(m, "text_entities");
    const auto* text = m.if_contains("text");
    if (text != nullptr && text->is_string()) {
      item.text = std::string(text->get_string());
    } else if (text != nullptr && text->is_array()) {
      for (const auto& part : text->get_array()) {
        if (part.is_string()) {
          item.text += std::string(part.get_string());
        } else if (part.is_object()) {
          item.text += GetString(part.get_object(), "text");
          if (entities == nullptr) AddEntity(part.get_object(), item, &saw_link_entity);
        }
      }
    }
    if (entities != nullptr) {
      for (const auto& e : *entities) {
        if (e.is_object()) AddEntity(e.get_object(), item, &saw_link_entity);
      }
    }
    if (!saw_link_entity) {
      // Exports from some clients (and hand-made ones) carry no entities.
      for (auto& u : ExtractUrlsFromText(item.text)) item.links.push_back(std::move(u));
    }
    // Inline keyboards (buttons under a post) carry links too.
    if (const auto* kb = GetArray(m, "inline_bot_buttons")) {
      for (const auto& row : *kb) {
        if (!row.is_array()) continue;
        for (const auto& b : row.get_array()) {
          if (b.is_object() && !GetString(b.get_object(), "data").empty() &&
              GetString(b.get_object(), "type") == "url") {
            item.links.push_back(GetString(b.get_object(), "data"));
          }
        }
      }
    }
    AddMedia(root, m, "photo", "photo", item);
    std::string media_type = GetString(m, "media_type");
    AddMedia(root, m, "file", media_type.empty() ? "file" : media_type, item);
    VIGIL_RETURN_IF_ERROR(sink(std::move(item)));
  }
  return Status::OK();
}

}  // namespace

bool AcceptsTelegram(const SourceInput& in) {
  if (in.is_directory) {
    std::error_code ec;
    return fs::is_regular_file(fs::path(in.path) / "result.json", ec);
  }
  if (in.sniffed_type != "application/json") return false;
  std::string_view head = std::string_view(in.bytes).substr(0, 65536);
  return head.find("\"messages\"") != std::string_view::npos ||
         (head.find("\"chats\"") != std::string_view::npos &&
          head.find("\"personal_information\"") != std::string_view::npos);
}

Status ReadTelegram(const SourceInput& in, const SourceOptions& options, const ItemSink& sink) {
  std::string root;
  std::string file;
  std::string bytes_storage;
  std::string_view bytes = in.bytes;
  if (in.is_directory) {
    root = in.path;
    file = (fs::path(in.path) / "result.json").string();
    VIGIL_ASSIGN_OR_RETURN(bytes_storage, ReadSourceFile(file, options));
    bytes = bytes_storage;
  } else {
    file = in.path.empty() ? in.origin : in.path;
    root = ParentDirOf(in.path);
  }
  VIGIL_ASSIGN_OR_RETURN(boost::json::value doc, ParseJson(bytes, file));
  if (!doc.is_object()) return Status::Corruption(file + ": expected a JSON object at the top");
  const auto& top = doc.get_object();
  if (top.contains("messages")) return ReadChat(top, root, file, sink);
  // A full account export: chats.list[] (and left_chats.list[]), each a chat.
  bool any = false;
  for (const char* key : {"chats", "left_chats"}) {
    const auto* section = GetObject(top, key);
    const auto* list = section != nullptr ? GetArray(*section, "list") : nullptr;
    if (list == nullptr) continue;
    any = true;
    for (const auto& chat : *list) {
      if (chat.is_object()) VIGIL_RETURN_IF_ERROR(ReadChat(chat.get_object(), root, file, sink));
    }
  }
  if (!any) return Status::Corruption(file + ": neither 'messages' nor 'chats' found");
  return Status::OK();
}

}  // namespace vigil::collect::readers
