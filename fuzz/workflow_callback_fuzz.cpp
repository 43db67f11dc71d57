// Fuzzes signed-callback verification: the signature header parser and the verifier on
// arbitrary header/body pairs (first line = header, rest = body). Properties: only a
// correct signature verifies, and a body signed with the secret always verifies once.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "delivery/signature.h"

using namespace vigil::delivery;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view s(reinterpret_cast<const char*>(data), size);
  size_t nl = s.find('\n');
  std::string_view header = s.substr(0, nl);
  std::string_view body = nl == std::string_view::npos ? std::string_view{} : s.substr(nl + 1);
  const std::string secret = "fuzz-secret-0123456789";
  const int64_t now = 1'767'225'600;

  auto parsed = ParseSignatureHeader(header);
  vigil::Status v = VerifySignature(secret, header, body, now);
  if (v.ok() && !parsed.ok()) __builtin_trap();
  if (!v.ok() && v.code() != vigil::StatusCode::kUnauthenticated) __builtin_trap();

  ReplayGuard guard(600, 16);
  std::string good = SignPayload(secret, now, body);
  if (!VerifySignature(secret, good, body, now, 300, &guard).ok()) __builtin_trap();
  if (VerifySignature(secret, good, body, now, 300, &guard).ok()) __builtin_trap();  // replay
  std::string tampered(body);
  tampered.push_back('x');
  if (VerifySignature(secret, good, tampered, now).ok()) __builtin_trap();
  return 0;
}
