// Helpers shared by the video tests: the shared clips and their reference outputs.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "core/file.h"

namespace vigil::video::testing {

inline std::string VideoDir() { return std::string(VIGIL_TESTDATA_DIR) + "/video"; }

// Base names (without .mp4) of the shared clips, sorted.
inline std::vector<std::string> ClipNames() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(VideoDir(), ec)) {
    if (e.path().extension() == ".mp4") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

inline std::vector<uint8_t> ReadOrDie(const std::string& path) {
  auto r = ReadFileBytes(path, uint64_t{1} << 30);
  if (!r.ok()) return {};
  return std::move(r).value();
}

}  // namespace vigil::video::testing
