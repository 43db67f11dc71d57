// Fuzzes the console's static file serving with arbitrary request paths: whatever the path,
// the answer is a file from inside the console directory or a 404, never the secret file
// placed beside the directory.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "server/console_files.h"

namespace {

constexpr std::string_view kSecret = "SECRET-OUTSIDE-THE-CONSOLE";

// A console tree under the temp directory, made once per process.
const std::string& ConsoleDir() {
  static const std::string dir = [] {
    namespace fs = std::filesystem;
    fs::path root = fs::temp_directory_path() / "vigil_fuzz_console_files";
    fs::create_directories(root / "dist" / "assets");
    std::ofstream(root / "dist" / "index.html") << "<!doctype html>";
    std::ofstream(root / "dist" / "assets" / "a.js") << "1";
    std::ofstream(root / "dist" / ".hidden") << kSecret;
    std::ofstream(root / "secret.txt") << kSecret;
    std::ofstream(root / "dist.txt") << kSecret;
    return (root / "dist").string();
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string path(reinterpret_cast<const char*>(data), size);
  if (path.empty() || path.front() != '/') path.insert(path.begin(), '/');
  vigil::server::Response r = vigil::server::ServeConsoleFile(ConsoleDir(), path);
  if (r.status != 200 && r.status != 404) __builtin_trap();
  if (r.body.find(kSecret) != std::string::npos) __builtin_trap();
  return 0;
}
