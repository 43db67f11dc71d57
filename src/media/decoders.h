// Per-format decoders behind DecodeImage. Internal to the media component.
#pragma once

#include <span>

#include "media/image.h"

namespace vigil::media {

Result<Image> DecodeJpeg(std::span<const uint8_t> bytes, const DecodeOptions& options);
Result<Image> DecodePng(std::span<const uint8_t> bytes, const DecodeOptions& options);
Result<Image> DecodeGif(std::span<const uint8_t> bytes, const DecodeOptions& options);
Result<Image> DecodeWebp(std::span<const uint8_t> bytes, const DecodeOptions& options);
Result<Image> DecodeBmp(std::span<const uint8_t> bytes, const DecodeOptions& options);
Result<Image> DecodeTiff(std::span<const uint8_t> bytes, const DecodeOptions& options);

Result<ImageInfo> ProbeJpeg(std::span<const uint8_t> bytes);

}  // namespace vigil::media
