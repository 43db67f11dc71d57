// The media boundary: bytes in, pixels out. Everything that knows about file formats
// lives in this component; the signal maths (signals/) only ever sees pixel buffers.
//
// Decoders follow what the reference PDQ tool's decoder (ImageMagick 6 writing PNM)
// produces, so that vigil's hashes are bit-exact with partners' on the same files:
// alpha is dropped (not composited), a picture whose every pixel is grey becomes one
// grey channel, CMYK is converted the way ImageMagick does it. Where the reference is
// wrong vigil is right instead: 16-bit samples are scaled to 8 bits (not truncated) and
// the EXIF orientation is applied, so an image hashes as it is displayed.
//
// Safety: every size is checked against DecodeOptions from the header, before any pixel
// buffer is allocated; corrupt data returns Corruption, never crashes.
// Thread safety: free functions without shared state; decode in as many threads as you like.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/limits.h"
#include "core/status.h"

namespace vigil::media {

enum class ImageFormat { kUnknown, kJpeg, kPng, kGif, kWebp, kBmp, kTiff };

std::string_view FormatName(ImageFormat f);  // "jpeg", "png", ...
// Recognises a format from its magic bytes (the file name is never trusted).
ImageFormat SniffFormat(std::span<const uint8_t> bytes);

struct DecodeOptions {
  uint64_t max_pixels = limits::kDefaultMaxImagePixels;
  uint32_t max_side = limits::kDefaultMaxImageSide;
  // Rotate/flip as the EXIF orientation tag says (how viewers display it).
  bool apply_orientation = true;
};

// Decoded 8-bit pixels, row-major, tightly packed (row stride = width * channels).
struct Image {
  int width = 0;
  int height = 0;
  int channels = 0;  // 1 (grey) or 3 (RGB)
  std::vector<uint8_t> pixels;
  ImageFormat format = ImageFormat::kUnknown;
  int orientation = 1;  // the EXIF orientation found in the file (1..8); applied if asked

  size_t row_stride() const { return static_cast<size_t>(width) * channels; }
};

struct ImageInfo {
  int width = 0;
  int height = 0;
  ImageFormat format = ImageFormat::kUnknown;
};

// Streaming decode: rows are handed to a sink as they are decoded, so a consumer that
// needs only some pixels (PDQ samples at most 512x512) never holds the whole image.
// Rows are raw stored pixels: no orientation applied and no grey collapse (the sink sees
// the orientation in Begin and every row, so it can do both itself).
class RowSink {
 public:
  virtual ~RowSink() = default;
  // Called once before any row: stored size, channels (1 grey or 3 RGB), EXIF orientation.
  // A non-OK status stops decoding and is returned by DecodeImageRows.
  virtual Status Begin(int width, int height, int channels, int orientation) = 0;
  // Row y, for every y from 0 to height-1 in order: width * channels bytes.
  virtual void Row(int y, const uint8_t* pixels) = 0;
};

// Decodes into `sink`. Same errors as DecodeImage; `format` (optional) receives the format.
Status DecodeImageRows(std::span<const uint8_t> bytes, const DecodeOptions& options, RowSink& sink,
                       ImageFormat* format = nullptr);

// Decodes any supported format. Errors: Unsupported (unknown format), Corruption
// (malformed data), ResourceExhausted (over a limit).
Result<Image> DecodeImage(std::span<const uint8_t> bytes, const DecodeOptions& options = {});

// Reads only the header: format and dimensions (before orientation).
Result<ImageInfo> ProbeImage(std::span<const uint8_t> bytes);

// Applies EXIF orientation `o` (1..8) to `img` in place; 1 is a no-op.
void ApplyOrientation(Image& img, int o);

// Turns an RGB image whose pixels are all grey into a one-channel image, as ImageMagick
// does when writing PNM (the reference's path). Returns true if it converted.
bool CollapseGreyRgb(Image& img);

// Internal, shared by the per-format decoders.
Status CheckDimensions(uint64_t width, uint64_t height, const DecodeOptions& options);

}  // namespace vigil::media
