// JPEG through libjpeg-turbo, with the settings ImageMagick 6 uses (the reference's
// decoder): the default accurate integer IDCT, fancy upsampling, Adobe CMYK inversion.
#include <csetjmp>
#include <cstdio>
#include <cstring>

// jpeglib.h needs FILE and size_t declared first.
#include <jpeglib.h>

#include "media/decoders.h"
#include "media/exif.h"

namespace vigil::media {
namespace {

struct ErrorManager {
  jpeg_error_mgr pub;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void OnError(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Corrupt-data warnings (e.g. a truncated scan) are not fatal: like ImageMagick, we
// keep what decoded. libjpeg's default would print them on stderr.
void OnMessage(j_common_ptr, int) {}

// ImageMagick converts CMYK to RGB in Q16 floating point and writes 8-bit PNM with
// rounding; this reproduces that arithmetic for 8-bit inputs.
inline uint8_t CmykChannelToRgb(int c, int k) {
  const double q = 65535.0;
  double cq = c * 257.0;
  double kq = k * 257.0;
  double v = q - ((1.0 / q) * cq * (q - kq) + kq);
  if (v < 0) v = 0;
  if (v > q) v = q;
  auto quantum = static_cast<unsigned>(v + 0.5);
  return static_cast<uint8_t>((quantum + 128u) / 257u);
}

// Only plain data lives in this frame: longjmp may come back to the setjmp below.
Status DecodeJpegInto(std::span<const uint8_t> bytes, const DecodeOptions& options,
                      Image& out, std::vector<uint8_t>& scratch, ExifInfo& exif,
                      bool header_only) {
  jpeg_decompress_struct cinfo;
  ErrorManager err;
  std::memset(&cinfo, 0, sizeof cinfo);
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = OnError;
  err.pub.emit_message = OnMessage;
  err.message[0] = '\0';
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return Status::Corruption(std::string("jpeg: ") + err.message);
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
  jpeg_read_header(&cinfo, TRUE);

  for (jpeg_saved_marker_ptr m = cinfo.marker_list; m != nullptr; m = m->next) {
    if (m->marker == JPEG_APP0 + 1) {
      ParseExif(std::span<const uint8_t>(m->data, m->data_length), exif);
      if (exif.orientation != 1) break;
    }
  }

  Status dims = CheckDimensions(cinfo.image_width, cinfo.image_height, options);
  if (!dims.ok() || header_only) {
    out.width = static_cast<int>(cinfo.image_width);
    out.height = static_cast<int>(cinfo.image_height);
    jpeg_destroy_decompress(&cinfo);
    return dims;
  }

  const bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  const bool grey = cinfo.jpeg_color_space == JCS_GRAYSCALE;
  cinfo.out_color_space = cmyk ? JCS_CMYK : (grey ? JCS_GRAYSCALE : JCS_RGB);
  cinfo.dct_method = JDCT_ISLOW;
  cinfo.do_fancy_upsampling = TRUE;
  jpeg_start_decompress(&cinfo);

  const int w = static_cast<int>(cinfo.output_width);
  const int h = static_cast<int>(cinfo.output_height);
  const int comps = cinfo.output_components;
  out.width = w;
  out.height = h;
  out.channels = grey ? 1 : 3;
  out.pixels.resize(static_cast<size_t>(w) * h * out.channels);

  if (!cmyk) {
    while (cinfo.output_scanline < cinfo.output_height) {
      JSAMPROW row = out.pixels.data() + static_cast<size_t>(cinfo.output_scanline) * w * comps;
      jpeg_read_scanlines(&cinfo, &row, 1);
    }
  } else {
    // Adobe writes inverted CMYK; ImageMagick undoes that when it saw the Adobe marker.
    const bool inverted = cinfo.saw_Adobe_marker;
    scratch.resize(static_cast<size_t>(w) * 4);
    while (cinfo.output_scanline < cinfo.output_height) {
      size_t y = cinfo.output_scanline;
      JSAMPROW row = scratch.data();
      jpeg_read_scanlines(&cinfo, &row, 1);
      uint8_t* dst = out.pixels.data() + y * w * 3;
      for (int x = 0; x < w; ++x) {
        int c = row[4 * x], m = row[4 * x + 1], yy = row[4 * x + 2], k = row[4 * x + 3];
        if (inverted) {
          c = 255 - c;
          m = 255 - m;
          yy = 255 - yy;
          k = 255 - k;
        }
        dst[3 * x] = CmykChannelToRgb(c, k);
        dst[3 * x + 1] = CmykChannelToRgb(m, k);
        dst[3 * x + 2] = CmykChannelToRgb(yy, k);
      }
    }
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return Status::OK();
}

}  // namespace

Result<Image> DecodeJpeg(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  Image img;
  ExifInfo exif;
  std::vector<uint8_t> scratch;
  VIGIL_RETURN_IF_ERROR(DecodeJpegInto(bytes, options, img, scratch, exif, false));
  img.format = ImageFormat::kJpeg;
  img.orientation = exif.orientation;
  return img;
}

Result<ImageInfo> ProbeJpeg(std::span<const uint8_t> bytes) {
  Image img;
  ExifInfo exif;
  DecodeOptions unlimited;
  unlimited.max_pixels = UINT64_MAX;
  unlimited.max_side = UINT32_MAX;
  std::vector<uint8_t> scratch;
  VIGIL_RETURN_IF_ERROR(DecodeJpegInto(bytes, unlimited, img, scratch, exif, true));
  return ImageInfo{img.width, img.height, ImageFormat::kJpeg};
}

}  // namespace vigil::media
