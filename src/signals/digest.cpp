#include "signals/digest.h"

#include <openssl/evp.h>

#include <memory>

namespace vigil::digest {
namespace {

std::string Hex(const unsigned char* p, unsigned n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(2 * n, '0');
  for (unsigned i = 0; i < n; ++i) {
    s[2 * i] = kDigits[p[i] >> 4];
    s[2 * i + 1] = kDigits[p[i] & 15];
  }
  return s;
}

std::string Digest(const EVP_MD* md, std::span<const uint8_t> bytes) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_Digest(bytes.data(), bytes.size(), out, &n, md, nullptr);
  return Hex(out, n);
}

}  // namespace

std::string Md5Hex(std::span<const uint8_t> bytes) { return Digest(EVP_md5(), bytes); }
std::string Sha256Hex(std::span<const uint8_t> bytes) { return Digest(EVP_sha256(), bytes); }

}  // namespace vigil::digest
