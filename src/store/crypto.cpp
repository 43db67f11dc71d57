#include "store/crypto.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdio>

namespace vigil::store {
namespace {

std::string Digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, md, nullptr);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string Hex(std::string_view raw) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string Sha256Hex(std::string_view data) { return Hex(Digest(EVP_sha256(), data)); }

std::string Sha1Raw(std::string_view data) { return Digest(EVP_sha1(), data); }

Result<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return Status::Internal("the system's random generator failed");
  }
  return out;
}

std::string Base64Url(std::string_view bytes) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  auto at = [&](size_t k) { return static_cast<unsigned char>(bytes[k]); };
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t v = at(i) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    uint32_t v = (at(i) << 16) | (at(i + 1) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::string UuidV5(std::string_view namespace_uuid, std::string_view name) {
  std::string ns;
  for (size_t i = 0; i + 1 < namespace_uuid.size();) {
    if (namespace_uuid[i] == '-') {
      ++i;
      continue;
    }
    int hi = HexValue(namespace_uuid[i]), lo = HexValue(namespace_uuid[i + 1]);
    if (hi < 0 || lo < 0) break;
    ns += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  std::string h = Sha1Raw(ns + std::string(name));
  h.resize(16);
  h[6] = static_cast<char>((h[6] & 0x0f) | 0x50);
  h[8] = static_cast<char>((h[8] & 0x3f) | 0x80);
  std::string hex = Hex(h);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

}  // namespace vigil::store
