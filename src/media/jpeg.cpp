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

// Only plain data and references live in this frame: longjmp may come back to the
// setjmp below. `row` is caller-owned scratch for one output row.
Status DecodeJpegInto(std::span<const uint8_t> bytes, const DecodeOptions& options, RowSink* sink,
                      std::vector<uint8_t>& row, std::vector<uint8_t>& cmyk_row, ExifInfo& exif,
                      ImageInfo& info) {
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
  info.width = static_cast<int>(cinfo.image_width);
  info.height = static_cast<int>(cinfo.image_height);
  info.format = ImageFormat::kJpeg;

  Status dims = CheckDimensions(cinfo.image_width, cinfo.image_height, options);
  if (!dims.ok() || sink == nullptr) {
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
  const int channels = grey ? 1 : 3;
  Status begun = sink->Begin(w, h, channels, exif.orientation);
  if (!begun.ok()) {
    jpeg_destroy_decompress(&cinfo);
    return begun;
  }
  row.resize(static_cast<size_t>(w) * channels);
  // Adobe writes inverted CMYK; ImageMagick undoes that when it saw the Adobe marker.
  const bool inverted = cinfo.saw_Adobe_marker;
  if (cmyk) cmyk_row.resize(static_cast<size_t>(w) * 4);
  while (cinfo.output_scanline < cinfo.output_height) {
    const int y = static_cast<int>(cinfo.output_scanline);
    if (!cmyk) {
      JSAMPROW p = row.data();
      jpeg_read_scanlines(&cinfo, &p, 1);
    } else {
      JSAMPROW p = cmyk_row.data();
      jpeg_read_scanlines(&cinfo, &p, 1);
      for (int x = 0; x < w; ++x) {
        int c = p[4 * x], m = p[4 * x + 1], yy = p[4 * x + 2], k = p[4 * x + 3];
        if (inverted) c = 255 - c, m = 255 - m, yy = 255 - yy, k = 255 - k;
        row[3 * x] = CmykChannelToRgb(c, k);
        row[3 * x + 1] = CmykChannelToRgb(m, k);
        row[3 * x + 2] = CmykChannelToRgb(yy, k);
      }
    }
    sink->Row(y, row.data());
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return Status::OK();
}

}  // namespace

Status DecodeJpegRows(std::span<const uint8_t> bytes, const DecodeOptions& options, RowSink& sink) {
  ExifInfo exif;
  ImageInfo info;
  std::vector<uint8_t> row, cmyk_row;
  return DecodeJpegInto(bytes, options, &sink, row, cmyk_row, exif, info);
}

Result<ImageInfo> ProbeJpeg(std::span<const uint8_t> bytes) {
  ExifInfo exif;
  ImageInfo info;
  std::vector<uint8_t> row, cmyk_row;
  DecodeOptions unlimited;
  unlimited.max_pixels = UINT64_MAX;
  unlimited.max_side = UINT32_MAX;
  VIGIL_RETURN_IF_ERROR(DecodeJpegInto(bytes, unlimited, nullptr, row, cmyk_row, exif, info));
  return info;
}

}  // namespace vigil::media
