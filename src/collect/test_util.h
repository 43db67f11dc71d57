// Helpers for collect's tests: a scratch folder and generated, benign images.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace vigil::collect::testing {

class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vigil-collect-XXXXXX").string();
    path_ = mkdtemp(tmpl.data()) != nullptr ? tmpl : std::string();
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& rel, const std::string& bytes) const {
    auto p = std::filesystem::path(path_) / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
    return p.string();
  }

 private:
  std::string path_;
};

// An uncompressed 24-bit BMP of a smooth pattern that depends on `seed`: decodable by
// vigil's media library, distinct per seed, and nothing but gradients.
inline std::string GradientBmp(int w, int h, int seed) {
  int row = (w * 3 + 3) & ~3;
  uint32_t size = 54 + static_cast<uint32_t>(row * h);
  std::string b(size, '\0');
  auto put32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  };
  b[0] = 'B';
  b[1] = 'M';
  put32(2, size);
  put32(10, 54);
  put32(14, 40);
  put32(18, static_cast<uint32_t>(w));
  put32(22, static_cast<uint32_t>(h));
  b[26] = 1;
  b[28] = 24;
  put32(34, static_cast<uint32_t>(row * h));
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      size_t at = 54 + static_cast<size_t>(y) * row + static_cast<size_t>(x) * 3;
      int v = ((x * (seed % 7 + 1) + y * (seed % 5 + 2)) * 4 + seed * 37) & 0xFF;
      int u = ((x ^ y) * (seed % 3 + 1) + (x * y) / (seed % 4 + 1)) & 0xFF;
      b[at] = static_cast<char>(v);
      b[at + 1] = static_cast<char>(u);
      b[at + 2] = static_cast<char>((v + u) / 2);
    }
  }
  return b;
}

}  // namespace vigil::collect::testing
