#include "media/image.h"

#include <cstring>

#include "media/decoders.h"

namespace vigil::media {

std::string_view FormatName(ImageFormat f) {
  switch (f) {
    case ImageFormat::kJpeg: return "jpeg";
    case ImageFormat::kPng: return "png";
    case ImageFormat::kGif: return "gif";
    case ImageFormat::kWebp: return "webp";
    case ImageFormat::kBmp: return "bmp";
    case ImageFormat::kTiff: return "tiff";
    case ImageFormat::kUnknown: break;
  }
  return "unknown";
}

ImageFormat SniffFormat(std::span<const uint8_t> b) {
  auto starts = [&](const char* magic, size_t n, size_t at = 0) {
    return b.size() >= at + n && std::memcmp(b.data() + at, magic, n) == 0;
  };
  if (starts("\xFF\xD8\xFF", 3)) return ImageFormat::kJpeg;
  if (starts("\x89PNG\r\n\x1A\n", 8)) return ImageFormat::kPng;
  if (starts("GIF87a", 6) || starts("GIF89a", 6)) return ImageFormat::kGif;
  if (starts("RIFF", 4) && starts("WEBP", 4, 8)) return ImageFormat::kWebp;
  if (starts("BM", 2) && b.size() >= 26) return ImageFormat::kBmp;
  if (starts("II*\0", 4) || starts("MM\0*", 4)) return ImageFormat::kTiff;
  return ImageFormat::kUnknown;
}

Status CheckDimensions(uint64_t width, uint64_t height, const DecodeOptions& options) {
  if (width == 0 || height == 0)
    return Status::Corruption("image has no pixels (0 width or height)");
  if (width > options.max_side || height > options.max_side) {
    return Status::ResourceExhausted("image is " + std::to_string(width) + "x" +
                                     std::to_string(height) + ", a side over the limit of " +
                                     std::to_string(options.max_side) + " pixels");
  }
  if (width * height > options.max_pixels) {
    return Status::ResourceExhausted(
        "image is " + std::to_string(width) + "x" + std::to_string(height) + " = " +
        std::to_string(width * height) + " pixels, over the limit of " +
        std::to_string(options.max_pixels));
  }
  return Status::OK();
}

void ApplyOrientation(Image& img, int o) {
  if (o <= 1 || o > 8) return;
  const int w = img.width, h = img.height, c = img.channels;
  const bool swap = o >= 5;
  const int ow = swap ? h : w, oh = swap ? w : h;
  std::vector<uint8_t> out(img.pixels.size());
  // For each displayed pixel (x, y), find the stored pixel (sx, sy).
  for (int y = 0; y < oh; ++y) {
    for (int x = 0; x < ow; ++x) {
      int sx, sy;
      switch (o) {
        case 2: sx = w - 1 - x, sy = y; break;          // mirror horizontal
        case 3: sx = w - 1 - x, sy = h - 1 - y; break;  // rotate 180
        case 4: sx = x, sy = h - 1 - y; break;          // mirror vertical
        case 5: sx = y, sy = x; break;                  // transpose
        case 6: sx = y, sy = h - 1 - x; break;          // rotate 90 clockwise
        case 7: sx = w - 1 - y, sy = h - 1 - x; break;  // transverse
        default: sx = w - 1 - y, sy = x; break;         // 8: rotate 270 clockwise
      }
      const uint8_t* src = &img.pixels[(static_cast<size_t>(sy) * w + sx) * c];
      uint8_t* dst = &out[(static_cast<size_t>(y) * ow + x) * c];
      for (int k = 0; k < c; ++k) dst[k] = src[k];
    }
  }
  img.pixels = std::move(out);
  img.width = ow;
  img.height = oh;
}

bool CollapseGreyRgb(Image& img) {
  if (img.channels != 3) return false;
  const size_t n = static_cast<size_t>(img.width) * img.height;
  const uint8_t* p = img.pixels.data();
  for (size_t i = 0; i < n; ++i, p += 3) {
    if (p[0] != p[1] || p[1] != p[2]) return false;
  }
  for (size_t i = 0; i < n; ++i) img.pixels[i] = img.pixels[3 * i];
  img.pixels.resize(n);
  img.channels = 1;
  return true;
}

namespace {

// Collects streamed rows into a whole Image.
class ImageSink : public RowSink {
 public:
  explicit ImageSink(Image& img) : img_(img) {}
  Status Begin(int width, int height, int channels, int orientation) override {
    img_.width = width;
    img_.height = height;
    img_.channels = channels;
    img_.orientation = orientation;
    img_.pixels.resize(static_cast<size_t>(width) * height * channels);
    return Status::OK();
  }
  void Row(int y, const uint8_t* pixels) override {
    std::memcpy(img_.pixels.data() + static_cast<size_t>(y) * img_.row_stride(), pixels,
                img_.row_stride());
  }

 private:
  Image& img_;
};

Result<Image> DecodeRaw(std::span<const uint8_t> bytes, const DecodeOptions& options,
                        ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg:
    case ImageFormat::kPng: {
      Image img;
      ImageSink sink(img);
      VIGIL_RETURN_IF_ERROR(format == ImageFormat::kJpeg ? DecodeJpegRows(bytes, options, sink)
                                                         : DecodePngRows(bytes, options, sink));
      img.format = format;
      return img;
    }
    case ImageFormat::kGif: return DecodeGif(bytes, options);
    case ImageFormat::kWebp: return DecodeWebp(bytes, options);
    case ImageFormat::kBmp: return DecodeBmp(bytes, options);
    case ImageFormat::kTiff: return DecodeTiff(bytes, options);
    case ImageFormat::kUnknown: break;
  }
  return Status::Unsupported("unrecognised image format (not JPEG, PNG, GIF, WebP, BMP or TIFF)");
}

}  // namespace

Status DecodeImageRows(std::span<const uint8_t> bytes, const DecodeOptions& options, RowSink& sink,
                       ImageFormat* format) {
  const ImageFormat f = SniffFormat(bytes);
  if (format != nullptr) *format = f;
  if (f == ImageFormat::kJpeg) return DecodeJpegRows(bytes, options, sink);
  if (f == ImageFormat::kPng) return DecodePngRows(bytes, options, sink);
  VIGIL_ASSIGN_OR_RETURN(Image img, DecodeRaw(bytes, options, f));
  VIGIL_RETURN_IF_ERROR(sink.Begin(img.width, img.height, img.channels, img.orientation));
  for (int y = 0; y < img.height; ++y) {
    sink.Row(y, img.pixels.data() + static_cast<size_t>(y) * img.row_stride());
  }
  return Status::OK();
}

Result<Image> DecodeImage(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  Result<Image> r = DecodeRaw(bytes, options, SniffFormat(bytes));
  if (!r.ok()) return r;
  Image& img = *r;
  CollapseGreyRgb(img);
  if (options.apply_orientation) ApplyOrientation(img, img.orientation);
  return r;
}

Result<ImageInfo> ProbeImage(std::span<const uint8_t> bytes) {
  ImageFormat f = SniffFormat(bytes);
  if (f == ImageFormat::kJpeg) return ProbeJpeg(bytes);
  if (f == ImageFormat::kUnknown) return Status::Unsupported("unrecognised image format");
  // Other formats: a decode with the header checks is cheap enough for a probe.
  DecodeOptions o;
  VIGIL_ASSIGN_OR_RETURN(Image img, DecodeImage(bytes, o));
  return ImageInfo{img.width, img.height, f};
}

}  // namespace vigil::media
