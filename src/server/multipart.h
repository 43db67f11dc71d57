// A strict, small multipart/form-data reader (RFC 7578) for media uploads.
//
// Only what uploads need: find the boundary in the Content-Type, split the body into
// parts, read each part's Content-Disposition name/filename and Content-Type. Part bodies
// are views into the request body (no copies). Malformed input is InvalidArgument, never
// a crash (fuzz/server_multipart_fuzz.cpp).
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vigil::server {

// Parts accepted in one body; more is InvalidArgument.
inline constexpr size_t kMaxMultipartParts = 64;
// Longest boundary RFC 2046 allows.
inline constexpr size_t kMaxBoundaryBytes = 70;

struct MultipartPart {
  std::string name;      // form field name
  std::string filename;  // empty if none
  std::string content_type;
  std::string_view body;  // into the original body
};

// The boundary parameter of a multipart/form-data Content-Type; InvalidArgument if the
// type is not multipart/form-data or has no valid boundary.
Result<std::string> MultipartBoundary(std::string_view content_type);

Result<std::vector<MultipartPart>> ParseMultipart(std::string_view body, std::string_view boundary);

// The media in an upload: the first part with a filename, else the part named "file" or
// "media". NotFound-as-InvalidArgument if there is none.
Result<std::string_view> MultipartMedia(std::string_view body, std::string_view content_type);

}  // namespace vigil::server
