#include "worker/work_item.h"

#include <array>
#include <boost/json.hpp>
#include <charconv>

namespace vigil::worker {
namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

Result<int64_t> ParseInt(std::string_view s, std::string_view what) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) {
    return Status::InvalidArgument(std::string(what) + " is not a non-negative integer");
  }
  return v;
}

// Deepest nesting accepted: a work item nests 3 levels; the bound keeps a hostile message
// from exhausting the stack.
constexpr size_t kMaxJsonDepth = 16;

std::string GetString(const boost::json::object& o, std::string_view key) {
  const boost::json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return "";
  return std::string(v->get_string());
}

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= uint8_t(bytes[i + 1]) << 8;
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kB64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  static const std::array<int8_t, 256> kRev = [] {
    std::array<int8_t, 256> r{};
    r.fill(-1);
    for (int i = 0; i < 64; ++i) r[static_cast<uint8_t>(kB64[i])] = static_cast<int8_t>(i);
    return r;
  }();
  if (text.size() % 4 != 0) return Status::InvalidArgument("base64 length is not a multiple of 4");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      char c = text[i + j];
      if (c == '=' && i + 4 == text.size() && j >= 2) {
        v[j] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return Status::InvalidArgument("base64 padding in the middle");
      v[j] = kRev[static_cast<uint8_t>(c)];
      if (v[j] < 0) return Status::InvalidArgument("invalid base64 character");
    }
    uint32_t w = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    // Canonical only: bits that padding drops must be zero, so one byte string has one text.
    if ((pad == 1 && (w & 0xff) != 0) || (pad == 2 && (w & 0xffff) != 0)) {
      return Status::InvalidArgument("non-canonical base64 padding");
    }
    out += static_cast<char>(w >> 16);
    if (pad < 2) out += static_cast<char>((w >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(w & 0xff);
  }
  return out;
}

std::string EncodeWorkItem(const WorkItem& item) {
  boost::json::object o;
  o["key"] = item.key;
  if (!item.item_key.empty()) o["item_key"] = item.item_key;
  if (!item.source.empty()) o["source"] = item.source;
  if (!item.url.empty()) o["url"] = item.url;
  if (!item.account.empty()) o["account"] = item.account;
  if (item.posted_ms != 0) o["posted_ms"] = item.posted_ms;
  boost::json::array media;
  for (const WorkMedia& m : item.media) {
    boost::json::object mo;
    mo["kind"] = m.kind;
    if (!m.uri.empty()) mo["uri"] = m.uri;
    if (!m.path.empty()) mo["path"] = m.path;
    if (!m.data.empty()) mo["data"] = Base64Encode(m.data);
    if (!m.fetch.empty()) mo["fetch"] = m.fetch;
    media.push_back(std::move(mo));
  }
  o["media"] = std::move(media);
  return boost::json::serialize(o);
}

Result<WorkItem> ParseWorkItem(std::string_view json) {
  if (json.size() > kMaxWorkMessageBytes) {
    return Status::InvalidArgument("work item larger than " + std::to_string(kMaxWorkMessageBytes) +
                                   " bytes");
  }
  boost::json::parse_options po;
  po.max_depth = kMaxJsonDepth;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(json, ec, {}, po);
  if (ec) return Status::InvalidArgument("work item: invalid JSON: " + ec.message());
  const boost::json::object* o = v.if_object();
  if (o == nullptr) return Status::InvalidArgument("work item: not a JSON object");
  WorkItem item;
  item.key = GetString(*o, "key");
  if (item.key.empty() || item.key.size() > kMaxWorkKeyBytes) {
    return Status::InvalidArgument("work item: \"key\" must be a string of 1 to " +
                                   std::to_string(kMaxWorkKeyBytes) + " bytes");
  }
  item.item_key = GetString(*o, "item_key");
  if (item.item_key.size() > kMaxWorkKeyBytes) {
    return Status::InvalidArgument("work item: \"item_key\" is longer than " +
                                   std::to_string(kMaxWorkKeyBytes) + " bytes");
  }
  item.source = GetString(*o, "source");
  item.url = GetString(*o, "url");
  item.account = GetString(*o, "account");
  if (const auto* p = o->if_contains("posted_ms"); p != nullptr && p->is_int64()) {
    item.posted_ms = p->as_int64();
  }
  const boost::json::value* mv0 = o->if_contains("media");
  const boost::json::array* media = mv0 != nullptr ? mv0->if_array() : nullptr;
  if (media == nullptr || media->empty()) {
    return Status::InvalidArgument("work item '" + item.key + "': \"media\" is missing or empty");
  }
  if (media->size() > kMaxMediaPerItem) {
    return Status::InvalidArgument("work item '" + item.key + "': more than " +
                                   std::to_string(kMaxMediaPerItem) + " media");
  }
  for (const boost::json::value& mv : *media) {
    const boost::json::object* mo = mv.if_object();
    if (mo == nullptr) return Status::InvalidArgument("work item: a media entry is not an object");
    WorkMedia m;
    std::string kind = GetString(*mo, "kind");
    if (!kind.empty()) m.kind = kind;
    m.uri = GetString(*mo, "uri");
    m.path = GetString(*mo, "path");
    m.fetch = GetString(*mo, "fetch");
    std::string data = GetString(*mo, "data");
    if (int(!m.path.empty()) + int(!data.empty()) + int(!m.fetch.empty()) != 1) {
      return Status::InvalidArgument(
          "work item '" + item.key +
          "': a media entry needs exactly one of \"path\", \"data\" and \"fetch\"");
    }
    if (!m.fetch.empty() && m.fetch.rfind("http://", 0) != 0 && m.fetch.rfind("https://", 0) != 0) {
      return Status::InvalidArgument("work item '" + item.key +
                                     "': \"fetch\" must be an http(s) URL");
    }
    if (!data.empty()) {
      auto bytes = Base64Decode(data);
      if (!bytes.ok()) return bytes.status().WithContext("work item '" + item.key + "'");
      m.data = std::move(bytes).value();
    }
    item.media.push_back(std::move(m));
  }
  return item;
}

std::string BankSubject(std::string_view bank_stream, int64_t bank_id) {
  return std::string(bank_stream) + ".bank." + std::to_string(bank_id);
}

Result<std::pair<int64_t, int64_t>> ParseBankNotice(std::string_view subject,
                                                    std::string_view payload) {
  size_t dot = subject.rfind('.');
  if (dot == std::string_view::npos || subject.substr(0, dot).ends_with(".bank") == false) {
    return Status::InvalidArgument("bank notice on unexpected subject");
  }
  VIGIL_ASSIGN_OR_RETURN(int64_t bank, ParseInt(subject.substr(dot + 1), "bank id"));
  VIGIL_ASSIGN_OR_RETURN(int64_t version, ParseInt(payload, "bank version"));
  if (bank == 0) return Status::InvalidArgument("bank id 0");
  return std::make_pair(bank, version);
}

}  // namespace vigil::worker
