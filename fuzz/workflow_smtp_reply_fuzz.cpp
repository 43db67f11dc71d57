// Fuzzes the SMTP reply parser (what a mail server sends back) and the quoted-printable
// encoder: parsed replies have one code in 200..599 and at least one line; encoded lines
// never exceed 76 characters and never start with '.'.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "delivery/smtp.h"

using namespace vigil::delivery;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view s(reinterpret_cast<const char*>(data), size);
  auto r = ParseSmtpReply(s);
  if (r.ok() && (r->code < 200 || r->code > 599 || r->lines.empty())) __builtin_trap();
  std::string qp = QuotedPrintable(s);
  size_t start = 0;
  while (start < qp.size()) {
    size_t end = qp.find("\r\n", start);
    if (end == std::string::npos) end = qp.size();
    if (end - start > 76) __builtin_trap();
    if (end > start && qp[start] == '.') __builtin_trap();
    start = end + 2;
  }
  return 0;
}
