#include "index/hash_file.h"

#include <cstdio>
#include <iostream>
#include <iterator>

#include "core/file.h"

namespace vigil::index {

Result<std::vector<HashLine>> ParseHashText(std::string_view text, std::string_view name) {
  std::vector<HashLine> out;
  out.reserve(text.size() / 65);
  std::string first_error;
  uint64_t bad = 0;
  uint64_t line_no = 0;
  size_t at = 0;
  // A UTF-8 byte order mark (some editors add one) is not part of the first line.
  if (text.starts_with("\xEF\xBB\xBF")) at = 3;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(at, end - at);
    at = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos) continue;  // blank
    line.remove_prefix(start);
    if (line.front() == '#') continue;
    size_t stop = line.find_first_of(", \t\v\f\r");
    std::string_view token = line.substr(0, stop);
    Result<Hash256> h = Hash256::FromHex(token);
    if (!h.ok()) {
      if (bad++ == 0) {
        first_error = std::string(name) + ":" + std::to_string(line_no) +
                      ": not a 256-bit hex hash (" + h.status().message() + ")";
      }
      continue;
    }
    out.push_back({line_no, *h});
  }
  if (bad) {
    if (bad > 1) first_error += "; " + std::to_string(bad) + " malformed lines in all";
    return Status::InvalidArgument(first_error);
  }
  return out;
}

Result<std::vector<HashLine>> ReadHashFile(const std::string& path) {
  if (path == "-") {
    std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (text.size() > kMaxHashFileBytes) {
      return Status::ResourceExhausted("standard input: more than " +
                                       std::to_string(kMaxHashFileBytes) + " bytes");
    }
    return ParseHashText(text, "<stdin>");
  }
  VIGIL_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFileBytes(path, kMaxHashFileBytes));
  return ParseHashText(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                       path);
}

}  // namespace vigil::index
