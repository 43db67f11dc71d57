// PNG through libpng's low-level API, so that alpha is dropped rather than composited
// (as the reference's ImageMagick-to-PNM path does) and 16-bit samples are scaled with
// rounding (where the reference truncates).
#include <png.h>

#include <csetjmp>
#include <cstring>

#include "media/decoders.h"

namespace vigil::media {
namespace {

struct Reader {
  const uint8_t* data;
  size_t size;
  size_t pos;
};

void ReadFromMemory(png_structp png, png_bytep out, png_size_t n) {
  auto* r = static_cast<Reader*>(png_get_io_ptr(png));
  if (n > r->size - r->pos) png_error(png, "unexpected end of data");
  std::memcpy(out, r->data + r->pos, n);
  r->pos += n;
}

struct ErrorText {
  char text[256];
};

void OnError(png_structp png, png_const_charp msg) {
  auto* e = static_cast<ErrorText*>(png_get_error_ptr(png));
  std::strncpy(e->text, msg, sizeof e->text - 1);
  e->text[sizeof e->text - 1] = '\0';
  png_longjmp(png, 1);
}
void OnWarning(png_structp, png_const_charp) {}

// Largest single chunk libpng may allocate (text, ICC profiles): far above real files.
constexpr png_alloc_size_t kMaxChunkBytes = 64u << 20;

// Plain data and references only in this frame: png_longjmp returns to the setjmp below.
Status DecodePngInto(std::span<const uint8_t> bytes, const DecodeOptions& options, RowSink& sink,
                     std::vector<uint8_t>& buffer, std::vector<png_bytep>& rows) {
  ErrorText err{};
  Reader reader{bytes.data(), bytes.size(), 0};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &err, OnError, OnWarning);
  if (png == nullptr) return Status::Internal("png: out of memory");
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return Status::Internal("png: out of memory");
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return Status::Corruption(std::string("png: ") + err.text);
  }
  png_set_read_fn(png, &reader, ReadFromMemory);
  // Limits enforced by libpng itself while parsing, in addition to ours.
  png_set_user_limits(png, options.max_side, options.max_side);
  png_set_chunk_malloc_max(png, kMaxChunkBytes);
  png_read_info(png, info);

  png_uint_32 w = png_get_image_width(png, info);
  png_uint_32 h = png_get_image_height(png, info);
  Status dims = CheckDimensions(w, h, options);
  if (!dims.ok()) {
    png_destroy_read_struct(&png, &info, nullptr);
    return dims;
  }
  int color_type = png_get_color_type(png, info);
  int bit_depth = png_get_bit_depth(png, info);
  const bool interlaced = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (bit_depth == 16) png_set_scale_16(png);
  if (color_type & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);
  const int passes = png_set_interlace_handling(png);
  png_read_update_info(png, info);

  int channels = png_get_channels(png, info);
  if (channels != 1 && channels != 3) {
    png_destroy_read_struct(&png, &info, nullptr);
    return Status::Unsupported("png: unexpected channel count " + std::to_string(channels));
  }
  Status begun = sink.Begin(static_cast<int>(w), static_cast<int>(h), channels, 1);
  if (!begun.ok()) {
    png_destroy_read_struct(&png, &info, nullptr);
    return begun;
  }
  const size_t stride = size_t{w} * channels;
  if (!interlaced || passes <= 1) {
    buffer.resize(stride);
    for (png_uint_32 y = 0; y < h; ++y) {
      png_read_row(png, buffer.data(), nullptr);
      sink.Row(static_cast<int>(y), buffer.data());
    }
  } else {
    // Interlaced rows are only complete after the last pass: decode the whole image.
    buffer.resize(stride * h);
    rows.resize(h);
    for (png_uint_32 y = 0; y < h; ++y) rows[y] = buffer.data() + stride * y;
    png_read_image(png, rows.data());
    for (png_uint_32 y = 0; y < h; ++y) sink.Row(static_cast<int>(y), rows[y]);
  }
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return Status::OK();
}

}  // namespace

Status DecodePngRows(std::span<const uint8_t> bytes, const DecodeOptions& options, RowSink& sink) {
  std::vector<uint8_t> buffer;
  std::vector<png_bytep> rows;
  return DecodePngInto(bytes, options, sink, buffer, rows);
}

}  // namespace vigil::media
