#include "media/encode.h"

#include <jpeglib.h>
#include <png.h>
#include <webp/encode.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>

namespace vigil::media {
namespace {

struct JpegError {
  jpeg_error_mgr pub;
  jmp_buf jump;
};

[[noreturn]] void JpegOnError(j_common_ptr c) {
  std::longjmp(reinterpret_cast<JpegError*>(c->err)->jump, 1);
}

std::vector<uint8_t> ExifOrientationBlock(int orientation) {
  // "Exif\0\0", little-endian TIFF header, IFD0 with one SHORT entry (0x0112).
  std::vector<uint8_t> b = {'E', 'x', 'i', 'f', 0,    0,    'I', 'I', 42, 0, 8, 0,
                            0,   0,   1,   0,   0x12, 0x01, 3,   0,   1,  0, 0, 0};
  b.push_back(static_cast<uint8_t>(orientation));
  b.insert(b.end(), {0, 0, 0, 0, 0, 0, 0});
  return b;
}

// Plain data only: longjmp may return to the setjmp here.
Status EncodeJpegInto(std::span<const uint8_t> pixels, int w, int h, int channels,
                      const JpegEncodeOptions& o, const std::vector<uint8_t>& exif,
                      unsigned char** out, unsigned long* out_size) {
  jpeg_compress_struct c;
  JpegError err;
  std::memset(&c, 0, sizeof c);
  c.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = JpegOnError;
  if (setjmp(err.jump)) {
    jpeg_destroy_compress(&c);
    return Status::Internal("jpeg encoder failed");
  }
  jpeg_create_compress(&c);
  jpeg_mem_dest(&c, out, out_size);
  c.image_width = static_cast<JDIMENSION>(w);
  c.image_height = static_cast<JDIMENSION>(h);
  c.input_components = channels;
  c.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, o.quality, TRUE);
  if (o.progressive) jpeg_simple_progression(&c);
  jpeg_start_compress(&c, TRUE);
  if (!exif.empty()) {
    jpeg_write_marker(&c, JPEG_APP0 + 1, exif.data(), static_cast<unsigned>(exif.size()));
  }
  while (c.next_scanline < c.image_height) {
    JSAMPROW row =
        const_cast<JSAMPROW>(pixels.data() + static_cast<size_t>(c.next_scanline) * w * channels);
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  return Status::OK();
}

struct PngWriter {
  std::vector<uint8_t>* out;
};

void PngWrite(png_structp png, png_bytep data, png_size_t n) {
  auto* w = static_cast<PngWriter*>(png_get_io_ptr(png));
  w->out->insert(w->out->end(), data, data + n);
}
void PngFlush(png_structp) {}

Status EncodePngInto(std::span<const uint8_t> pixels, int w, int h, int channels, int depth,
                     std::vector<uint8_t>& out, std::vector<uint8_t>& row) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (png == nullptr) return Status::Internal("png encoder: out of memory");
  png_infop info = png_create_info_struct(png);
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return Status::Internal("png encoder failed");
  }
  PngWriter writer{&out};
  png_set_write_fn(png, &writer, PngWrite, PngFlush);
  static constexpr int kTypes[] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                   PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
  png_set_IHDR(png, info, static_cast<png_uint_32>(w), static_cast<png_uint_32>(h), depth,
               kTypes[channels], PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  const size_t samples = static_cast<size_t>(w) * channels;
  row.resize(samples * (depth / 8));
  for (int y = 0; y < h; ++y) {
    if (depth == 8) {
      std::memcpy(row.data(), pixels.data() + y * samples, samples);
    } else {
      for (size_t i = 0; i < samples; ++i) {
        uint16_t v;
        std::memcpy(&v, pixels.data() + (y * samples + i) * 2, 2);
        row[2 * i] = static_cast<uint8_t>(v >> 8);  // PNG is big-endian
        row[2 * i + 1] = static_cast<uint8_t>(v & 0xff);
      }
    }
    png_write_row(png, row.data());
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return Status::OK();
}

}  // namespace

Result<std::vector<uint8_t>> EncodeJpeg(std::span<const uint8_t> pixels, int width, int height,
                                        int channels, const JpegEncodeOptions& options) {
  if ((channels != 1 && channels != 3) || width <= 0 || height <= 0 ||
      pixels.size() < static_cast<size_t>(width) * height * channels) {
    return Status::InvalidArgument("jpeg encoder: bad dimensions or channels");
  }
  std::vector<uint8_t> exif;
  if (options.exif_orientation >= 1 && options.exif_orientation <= 8) {
    exif = ExifOrientationBlock(options.exif_orientation);
  }
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  Status s = EncodeJpegInto(pixels, width, height, channels, options, exif, &buf, &size);
  std::vector<uint8_t> out;
  if (s.ok()) out.assign(buf, buf + size);
  std::free(buf);  // allocated by libjpeg's memory destination
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<uint8_t>> EncodePng(std::span<const uint8_t> pixels, int width, int height,
                                       int channels, int bit_depth) {
  if (channels < 1 || channels > 4 || (bit_depth != 8 && bit_depth != 16) || width <= 0 ||
      height <= 0 ||
      pixels.size() < static_cast<size_t>(width) * height * channels * (bit_depth / 8)) {
    return Status::InvalidArgument("png encoder: bad dimensions, channels or depth");
  }
  std::vector<uint8_t> out, row;
  VIGIL_RETURN_IF_ERROR(EncodePngInto(pixels, width, height, channels, bit_depth, out, row));
  return out;
}

Result<std::vector<uint8_t>> EncodeWebp(std::span<const uint8_t> pixels, int width, int height,
                                        float quality) {
  if (width <= 0 || height <= 0 || pixels.size() < static_cast<size_t>(width) * height * 3) {
    return Status::InvalidArgument("webp encoder: bad dimensions");
  }
  uint8_t* buf = nullptr;
  size_t n = quality < 0 ? WebPEncodeLosslessRGB(pixels.data(), width, height, width * 3, &buf)
                         : WebPEncodeRGB(pixels.data(), width, height, width * 3, quality, &buf);
  if (n == 0) return Status::Internal("webp encoder failed");
  std::vector<uint8_t> out(buf, buf + n);
  WebPFree(buf);
  return out;
}

}  // namespace vigil::media
