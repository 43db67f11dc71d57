// WebP through libwebp (lossy and lossless; the first frame's pixels, alpha dropped).
#include <webp/decode.h>

#include "media/decoders.h"

namespace vigil::media {

Result<Image> DecodeWebp(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  WebPBitstreamFeatures features;
  if (WebPGetFeatures(bytes.data(), bytes.size(), &features) != VP8_STATUS_OK) {
    return Status::Corruption("webp: unreadable header");
  }
  if (features.has_animation) return Status::Unsupported("webp: animated WebP");
  VIGIL_RETURN_IF_ERROR(CheckDimensions(features.width, features.height, options));
  Image img;
  img.width = features.width;
  img.height = features.height;
  img.channels = 3;
  img.pixels.resize(static_cast<size_t>(img.width) * img.height * 3);
  if (WebPDecodeRGBInto(bytes.data(), bytes.size(), img.pixels.data(), img.pixels.size(),
                        img.width * 3) == nullptr) {
    return Status::Corruption("webp: corrupt image data");
  }
  img.format = ImageFormat::kWebp;
  return img;
}

}  // namespace vigil::media
