#include "delivery/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>

namespace vigil::delivery {

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string SignPayload(std::string_view secret, int64_t timestamp_s, std::string_view body) {
  std::string t = std::to_string(timestamp_s);
  std::string msg;
  msg.reserve(t.size() + 1 + body.size());
  msg += t;
  msg += '.';
  msg += body;
  return "t=" + t + ",v1=" + HmacSha256Hex(secret, msg);
}

Result<ParsedSignature> ParseSignatureHeader(std::string_view h) {
  auto bad = [](std::string m) { return Status::InvalidArgument("signature header: " + m); };
  if (h.empty()) return bad("missing");
  if (h.size() > kMaxSignatureHeaderBytes) return bad("too long");
  ParsedSignature p;
  bool have_t = false;
  while (!h.empty()) {
    size_t comma = h.find(',');
    std::string_view part = h.substr(0, comma);
    h = comma == std::string_view::npos ? std::string_view{} : h.substr(comma + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) return bad("expected key=value");
    std::string_view key = part.substr(0, eq), value = part.substr(eq + 1);
    if (key == "t") {
      if (have_t) return bad("two timestamps");
      int64_t t = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), t);
      if (ec != std::errc() || ptr != value.data() + value.size() || value.empty() || t <= 0) {
        return bad("bad timestamp");
      }
      p.timestamp_s = t;
      have_t = true;
    } else if (key == "v1") {
      if (value.size() != 64) return bad("v1 must be 64 hex digits");
      for (char c : value) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
          return bad("v1 must be lowercase hex");
        }
      }
      if (p.v1.size() >= kMaxSignatureEntries) return bad("too many v1 entries");
      p.v1.emplace_back(value);
    }
  }
  if (!have_t) return bad("no timestamp");
  if (p.v1.empty()) return bad("no v1 signature");
  return p;
}

bool ReplayGuard::CheckAndRemember(std::string_view key, int64_t now_s) {
  std::lock_guard<std::mutex> lock(mu_);
  while (!order_.empty() && order_.front().first < now_s - window_s_) {
    seen_.erase(order_.front().second);
    order_.pop_front();
  }
  std::string k(key);
  if (seen_.count(k)) return false;
  if (seen_.size() >= max_entries_) return false;
  seen_.insert(k);
  order_.emplace_back(now_s, std::move(k));
  return true;
}

Status VerifySignature(std::string_view secret, std::string_view header, std::string_view body,
                       int64_t now_s, int64_t tolerance_s, ReplayGuard* replay) {
  auto parsed = ParseSignatureHeader(header);
  if (!parsed.ok()) return Status::Unauthenticated(parsed.status().message());
  const int64_t skew = now_s - parsed->timestamp_s;
  if (skew > tolerance_s || skew < -tolerance_s) {
    return Status::Unauthenticated("signature timestamp outside the accepted window");
  }
  std::string msg = std::to_string(parsed->timestamp_s);
  msg += '.';
  msg += body;
  const std::string want = HmacSha256Hex(secret, msg);
  bool match = false;
  for (const std::string& v : parsed->v1) match |= ConstantTimeEquals(v, want);
  if (!match) return Status::Unauthenticated("signature does not match");
  if (replay != nullptr && !replay->CheckAndRemember(want, now_s)) {
    return Status::Unauthenticated("signature already used (replay)");
  }
  return Status::OK();
}

}  // namespace vigil::delivery
