// BMP: a small decoder of our own (Debian has no BMP library): Windows 3.x and later
// headers, 1/4/8-bit palettes, 16/24/32-bit, BI_RGB and BI_BITFIELDS; RLE is refused.
#include <bit>
#include <cstring>

#include "media/decoders.h"

namespace vigil::media {
namespace {

uint32_t Le32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
uint16_t Le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

// Extracts a channel given its bit mask and scales it to 8 bits.
uint8_t MaskChannel(uint32_t v, uint32_t mask) {
  if (mask == 0) return 0;
  int shift = std::countr_zero(mask);
  int bits = std::popcount(mask);
  uint32_t x = (v & mask) >> shift;
  uint32_t maxv = bits >= 32 ? 0xffffffffu : ((1u << bits) - 1);
  return static_cast<uint8_t>((uint64_t{x} * 255 + maxv / 2) / maxv);
}

}  // namespace

Result<Image> DecodeBmp(std::span<const uint8_t> b, const DecodeOptions& options) {
  if (b.size() < 26 || b[0] != 'B' || b[1] != 'M') return Status::Corruption("bmp: bad header");
  const uint32_t data_offset = Le32(&b[10]);
  const uint32_t header_size = Le32(&b[14]);
  int64_t width, height;
  uint16_t bpp;
  uint32_t compression = 0, colors_used = 0;
  uint32_t masks[3] = {0, 0, 0};
  size_t palette_entry = 4;
  if (header_size == 12) {
    width = Le16(&b[18]);
    height = static_cast<int16_t>(Le16(&b[20]));
    bpp = Le16(&b[24]);
    palette_entry = 3;
  } else if (header_size >= 40 && b.size() >= 14 + size_t{40}) {
    width = static_cast<int32_t>(Le32(&b[18]));
    height = static_cast<int32_t>(Le32(&b[22]));
    bpp = Le16(&b[28]);
    compression = Le32(&b[30]);
    colors_used = Le32(&b[46]);
  } else {
    return Status::Corruption("bmp: unsupported header size " + std::to_string(header_size));
  }
  const bool top_down = height < 0;
  if (height < 0) height = -height;
  if (width <= 0 || height <= 0) return Status::Corruption("bmp: bad dimensions");
  VIGIL_RETURN_IF_ERROR(
      CheckDimensions(static_cast<uint64_t>(width), static_cast<uint64_t>(height), options));
  if (compression == 3 || compression == 6) {
    size_t mask_at = header_size >= 52 ? 14 + 40 : 14 + header_size;
    if (mask_at + 12 > b.size()) return Status::Corruption("bmp: truncated bit masks");
    for (int i = 0; i < 3; ++i) masks[i] = Le32(&b[mask_at + 4 * i]);
  } else if (compression != 0) {
    return Status::Unsupported("bmp: compression " + std::to_string(compression) +
                               " (RLE/JPEG/PNG in BMP) is not supported");
  }
  if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32) {
    return Status::Unsupported("bmp: " + std::to_string(bpp) + " bits per pixel");
  }
  if ((bpp == 16 || bpp == 32) && compression == 0) {
    if (bpp == 16) {
      masks[0] = 0x7c00, masks[1] = 0x03e0, masks[2] = 0x001f;
    } else {
      masks[0] = 0xff0000, masks[1] = 0xff00, masks[2] = 0xff;
    }
  }

  std::vector<uint8_t> palette;  // RGB triples
  if (bpp <= 8) {
    size_t n = colors_used ? colors_used : (size_t{1} << bpp);
    if (n > 256) return Status::Corruption("bmp: palette too large");
    size_t at = 14 + header_size;
    if (at + n * palette_entry > b.size()) return Status::Corruption("bmp: truncated palette");
    palette.resize(n * 3);
    for (size_t i = 0; i < n; ++i) {
      const uint8_t* e = &b[at + i * palette_entry];
      palette[3 * i] = e[2];
      palette[3 * i + 1] = e[1];
      palette[3 * i + 2] = e[0];
    }
  }

  const uint64_t row_bytes = ((static_cast<uint64_t>(width) * bpp + 31) / 32) * 4;
  if (data_offset > b.size() ||
      row_bytes * static_cast<uint64_t>(height) > b.size() - data_offset) {
    return Status::Corruption("bmp: pixel data truncated");
  }
  Image img;
  img.width = static_cast<int>(width);
  img.height = static_cast<int>(height);
  img.channels = 3;
  img.format = ImageFormat::kBmp;
  img.pixels.resize(static_cast<size_t>(width) * height * 3);
  const size_t npal = palette.size() / 3;
  for (int64_t y = 0; y < height; ++y) {
    const uint8_t* row = &b[data_offset + row_bytes * static_cast<uint64_t>(y)];
    int64_t out_y = top_down ? y : height - 1 - y;
    uint8_t* dst = &img.pixels[static_cast<size_t>(out_y) * width * 3];
    for (int64_t x = 0; x < width; ++x) {
      uint8_t r, g, bl;
      if (bpp <= 8) {
        uint32_t bit = static_cast<uint32_t>(x) * bpp;
        uint32_t idx = (row[bit / 8] >> (8 - bpp - bit % 8)) & ((1u << bpp) - 1);
        if (idx >= npal) idx = 0;
        r = palette[3 * idx], g = palette[3 * idx + 1], bl = palette[3 * idx + 2];
      } else if (bpp == 24) {
        bl = row[3 * x], g = row[3 * x + 1], r = row[3 * x + 2];
      } else {
        uint32_t v = bpp == 16 ? Le16(&row[2 * x]) : Le32(&row[4 * x]);
        r = MaskChannel(v, masks[0]), g = MaskChannel(v, masks[1]), bl = MaskChannel(v, masks[2]);
      }
      dst[3 * x] = r, dst[3 * x + 1] = g, dst[3 * x + 2] = bl;
    }
  }
  return img;
}

}  // namespace vigil::media
