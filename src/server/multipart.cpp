#include "server/multipart.h"

#include <algorithm>
#include <cctype>

namespace vigil::server {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Value of `key` in a header value's ";"-separated parameters; quotes removed.
std::string HeaderParam(std::string_view value, std::string_view key) {
  size_t pos = 0;
  while (pos < value.size()) {
    size_t semi = value.find(';', pos);
    if (semi == std::string_view::npos) semi = value.size();
    std::string_view p = Trim(value.substr(pos, semi - pos));
    size_t eq = p.find('=');
    if (eq != std::string_view::npos && Lower(Trim(p.substr(0, eq))) == key) {
      std::string_view v = Trim(p.substr(eq + 1));
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return std::string(v);
    }
    pos = semi + 1;
  }
  return {};
}

}  // namespace

Result<std::string> MultipartBoundary(std::string_view content_type) {
  size_t semi = content_type.find(';');
  std::string type = Lower(Trim(content_type.substr(0, semi)));
  if (type != "multipart/form-data") {
    return Status::InvalidArgument("not multipart/form-data");
  }
  if (semi == std::string_view::npos) return Status::InvalidArgument("multipart without boundary");
  std::string b = HeaderParam(content_type.substr(semi + 1), "boundary");
  if (b.empty() || b.size() > kMaxBoundaryBytes) {
    return Status::InvalidArgument("multipart boundary missing or longer than 70 bytes");
  }
  return b;
}

Result<std::vector<MultipartPart>> ParseMultipart(std::string_view body,
                                                  std::string_view boundary) {
  if (boundary.empty()) return Status::InvalidArgument("empty multipart boundary");
  const std::string delim = "--" + std::string(boundary);
  // The first delimiter may be at the start or after a preamble line.
  size_t pos = body.substr(0, delim.size()) == delim ? 0 : body.find("\r\n" + delim);
  if (pos == std::string_view::npos) return Status::InvalidArgument("multipart: no boundary");
  if (pos != 0) pos += 2;
  std::vector<MultipartPart> parts;
  const std::string next_delim = "\r\n" + delim;
  while (true) {
    pos += delim.size();
    if (body.substr(pos, 2) == "--") return parts;  // closing delimiter
    if (body.substr(pos, 2) != "\r\n") return Status::InvalidArgument("multipart: bad delimiter");
    pos += 2;
    size_t headers_end = body.find("\r\n\r\n", pos);
    // A part may have no headers at all: then the blank line follows the delimiter.
    if (body.substr(pos, 2) == "\r\n") headers_end = pos - 2;
    if (headers_end == std::string_view::npos) {
      return Status::InvalidArgument("multipart: part headers not terminated");
    }
    MultipartPart part;
    std::string_view headers =
        headers_end + 2 > pos ? body.substr(pos, headers_end + 2 - pos) : std::string_view{};
    size_t hpos = 0;
    while (hpos < headers.size()) {
      size_t eol = headers.find("\r\n", hpos);
      if (eol == std::string_view::npos) eol = headers.size();
      std::string_view line = headers.substr(hpos, eol - hpos);
      hpos = eol + 2;
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string key = Lower(Trim(line.substr(0, colon)));
      std::string_view value = Trim(line.substr(colon + 1));
      if (key == "content-disposition") {
        part.name = HeaderParam(value, "name");
        part.filename = HeaderParam(value, "filename");
      } else if (key == "content-type") {
        part.content_type = std::string(value);
      }
    }
    size_t body_start = headers_end + 4;
    size_t end = body.find(next_delim, body_start);
    if (end == std::string_view::npos)
      return Status::InvalidArgument("multipart: unterminated part");
    part.body = body.substr(body_start, end - body_start);
    if (parts.size() >= kMaxMultipartParts) {
      return Status::InvalidArgument("multipart: more than 64 parts");
    }
    parts.push_back(std::move(part));
    pos = end + 2;
  }
}

Result<std::string_view> MultipartMedia(std::string_view body, std::string_view content_type) {
  VIGIL_ASSIGN_OR_RETURN(std::string boundary, MultipartBoundary(content_type));
  VIGIL_ASSIGN_OR_RETURN(std::vector<MultipartPart> parts, ParseMultipart(body, boundary));
  for (const auto& p : parts) {
    if (!p.filename.empty()) return p.body;
  }
  for (const auto& p : parts) {
    if (p.name == "file" || p.name == "media") return p.body;
  }
  return Status::InvalidArgument("multipart upload has no file part (a part with a filename)");
}

}  // namespace vigil::server
