// Fuzzes the hash-file parser: any bytes give a list or a clean Status naming a line.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "index/hash_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = vigil::index::ParseHashText(text, "fuzz");
  if (r.ok()) {
    uint64_t last = 0;
    for (const auto& line : *r) {
      if (line.line <= last) __builtin_trap();  // strictly increasing line numbers
      last = line.line;
    }
  } else if (r.status().message().rfind("fuzz:", 0) != 0) {
    __builtin_trap();  // every error names the input and a line
  }
  return 0;
}
