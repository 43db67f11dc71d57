// Fuzzes the server's request parsers: multipart/form-data (Content-Type from the first
// line of the input, body from the rest) and Authorization headers.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/auth.h"
#include "server/multipart.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nl = in.find('\n');
  std::string_view header = nl == std::string_view::npos ? in : in.substr(0, nl);
  std::string_view body = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
  auto media = vigil::server::MultipartMedia(body, header);
  if (media.ok()) {
    // The part is a view into the body.
    if (media->data() < body.data() || media->data() + media->size() > body.data() + body.size()) {
      __builtin_trap();
    }
  }
  auto parts = vigil::server::ParseMultipart(body, header);
  if (parts.ok() && parts->size() > vigil::server::kMaxMultipartParts) __builtin_trap();
  (void)vigil::server::BearerSecret(header);
  return 0;
}
