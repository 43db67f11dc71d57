#include "media/exif.h"

#include <cstring>

namespace vigil::media {

void ParseExif(std::span<const uint8_t> data, ExifInfo& info) {
  if (data.size() >= 6 && std::memcmp(data.data(), "Exif\0\0", 6) == 0) data = data.subspan(6);
  if (data.size() < 8) return;
  bool little;
  if (data[0] == 'I' && data[1] == 'I') {
    little = true;
  } else if (data[0] == 'M' && data[1] == 'M') {
    little = false;
  } else {
    return;
  }
  auto u16 = [&](size_t off) -> uint32_t {
    return little ? (data[off] | (data[off + 1] << 8)) : ((data[off] << 8) | data[off + 1]);
  };
  auto u32 = [&](size_t off) -> uint32_t {
    return little ? (uint32_t{data[off]} | uint32_t{data[off + 1]} << 8 |
                     uint32_t{data[off + 2]} << 16 | uint32_t{data[off + 3]} << 24)
                  : (uint32_t{data[off]} << 24 | uint32_t{data[off + 1]} << 16 |
                     uint32_t{data[off + 2]} << 8 | uint32_t{data[off + 3]});
  };
  if (u16(2) != 42) return;
  uint64_t ifd = u32(4);
  if (ifd + 2 > data.size()) return;
  uint32_t count = u16(ifd);
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t e = ifd + 2 + uint64_t{i} * 12;
    if (e + 12 > data.size()) return;
    if (u16(e) != 0x0112) continue;
    uint32_t type = u16(e + 2);
    uint32_t value = type == 3 ? u16(e + 8) : (type == 4 ? u32(e + 8) : 0);
    if (value >= 1 && value <= 8) info.orientation = static_cast<int>(value);
    return;
  }
}

}  // namespace vigil::media
