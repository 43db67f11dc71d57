// Per-format decoders behind DecodeImage. Internal to the media component.
#pragma once

#include <span>

#include "media/image.h"

namespace vigil::media {

// JPEG and PNG stream rows; the others decode whole images (raw: no orientation applied,
// no grey collapse) and DecodeImageRows replays their rows.
Status DecodeJpegRows(std::span<const uint8_t> bytes, const DecodeOptions& options, RowSink& sink);
Status DecodePngRows(std::span<const uint8_t> bytes, const DecodeOptions& options, RowSink& sink);
Result<Image> DecodeGif(std::span<const uint8_t> bytes, const DecodeOptions& options);
Result<Image> DecodeWebp(std::span<const uint8_t> bytes, const DecodeOptions& options);
Result<Image> DecodeBmp(std::span<const uint8_t> bytes, const DecodeOptions& options);
Result<Image> DecodeTiff(std::span<const uint8_t> bytes, const DecodeOptions& options);

Result<ImageInfo> ProbeJpeg(std::span<const uint8_t> bytes);

}  // namespace vigil::media
