#include "collect/json_util.h"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/stream_parser.hpp>

namespace vigil::collect {

std::pair<size_t, size_t> LineAndColumn(std::string_view text, size_t offset) {
  size_t line = 1, column = 1;
  if (offset > text.size()) offset = text.size();
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++column;  // count characters, not UTF-8 continuation bytes
    }
  }
  return {line, column};
}

Result<boost::json::value> ParseJson(std::string_view text, std::string_view origin) {
  boost::json::parse_options opts;
  opts.max_depth = kMaxJsonDepth;
  boost::json::stream_parser parser({}, opts);
  // One arena for the whole document: readers build it once, walk it once and drop it,
  // so per-node frees are wasted work (about twice as fast on a large export).
  parser.reset(boost::json::make_shared_resource<boost::json::monotonic_resource>());
  boost::system::error_code ec;
  size_t consumed = parser.write_some(text.data(), text.size(), ec);
  if (!ec && consumed < text.size()) {
    // write_some stops after one complete value; anything but whitespace after it is junk.
    size_t i = consumed;
    while (i < text.size() &&
           (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t')) {
      ++i;
    }
    if (i < text.size()) {
      auto [line, col] = LineAndColumn(text, i);
      return Status::Corruption(std::string(origin) + ": line " + std::to_string(line) +
                                ", column " + std::to_string(col) +
                                ": unexpected data after the JSON document");
    }
  }
  if (!ec) parser.finish(ec);
  if (ec) {
    auto [line, col] = LineAndColumn(text, consumed);
    return Status::Corruption(std::string(origin) + ": line " + std::to_string(line) + ", column " +
                              std::to_string(col) + ": " + ec.message());
  }
  return parser.release();
}

std::string GetString(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return {};
  return std::string(v->get_string());
}

std::string StringOrNumber(const boost::json::value* v) {
  if (v == nullptr) return {};
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  return {};
}

const boost::json::array* GetArray(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return (v != nullptr && v->is_array()) ? &v->get_array() : nullptr;
}

const boost::json::object* GetObject(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return (v != nullptr && v->is_object()) ? &v->get_object() : nullptr;
}

}  // namespace vigil::collect
