// Signed messages between vigil and platforms: HMAC-SHA256 over a timestamp and the body,
// in one header, both for webhooks vigil sends and for callbacks platforms send back.
//
//   Vigil-Signature: t=<unix seconds>,v1=<lowercase hex HMAC-SHA256(secret, "<t>.<body>")>
//
// The timestamp binds the signature to a moment: a verifier refuses signatures outside a
// tolerance window (default 5 minutes) and, with a ReplayGuard, any signature it has
// already accepted within that window, so a captured callback cannot be replayed. Several
// v1= entries may appear (secret rotation): any one matching is enough.
//
// Thread safety: free functions are pure; ReplayGuard is thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/status.h"

namespace vigil::delivery {

inline constexpr std::string_view kSignatureHeader = "Vigil-Signature";
inline constexpr std::string_view kIdempotencyHeader = "Idempotency-Key";
// Accepted clock difference between signer and verifier (seconds).
inline constexpr int64_t kDefaultSignatureToleranceS = 300;
// Longest signature header parsed, and most v1= entries in it.
inline constexpr size_t kMaxSignatureHeaderBytes = 1024;
inline constexpr size_t kMaxSignatureEntries = 4;
// Shortest secret accepted (bytes): HMAC keys shorter than this are guessable.
inline constexpr size_t kMinSecretBytes = 16;

// Lowercase hex HMAC-SHA256.
std::string HmacSha256Hex(std::string_view key, std::string_view data);
// Compares without leaking where the first difference is.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// "t=<timestamp_s>,v1=<hex>".
std::string SignPayload(std::string_view secret, int64_t timestamp_s, std::string_view body);

struct ParsedSignature {
  int64_t timestamp_s = 0;
  std::vector<std::string> v1;  // 64 lowercase hex digits each
};
// InvalidArgument for anything but the format above (unknown keys are ignored).
Result<ParsedSignature> ParseSignatureHeader(std::string_view header);

// Remembers accepted signatures for the tolerance window so each is accepted once.
class ReplayGuard {
 public:
  explicit ReplayGuard(int64_t window_s = 2 * kDefaultSignatureToleranceS,
                       size_t max_entries = 1'000'000)
      : window_s_(window_s), max_entries_(max_entries) {}
  // True if `key` was not seen in the window (and remembers it); false for a replay.
  // When full, refuses everything new rather than forget (fail closed).
  bool CheckAndRemember(std::string_view key, int64_t now_s);

 private:
  std::mutex mu_;
  int64_t window_s_;
  size_t max_entries_;
  std::unordered_set<std::string> seen_;
  std::deque<std::pair<int64_t, std::string>> order_;
};

// Checks `header` against `body`: Unauthenticated for a missing, malformed, stale or
// wrong signature or a replay (the message says which, never what the right one is).
Status VerifySignature(std::string_view secret, std::string_view header, std::string_view body,
                       int64_t now_s, int64_t tolerance_s = kDefaultSignatureToleranceS,
                       ReplayGuard* replay = nullptr);

}  // namespace vigil::delivery
