// TIFF through libtiff's RGBA interface (first directory only), read from memory.
#include <tiffio.h>

#include <cstring>
#include <memory>
#include <mutex>

#include "media/decoders.h"

namespace vigil::media {
namespace {

struct Reader {
  const uint8_t* data;
  toff_t size;
  toff_t pos;
};

tsize_t Read(thandle_t h, tdata_t buf, tsize_t n) {
  auto* r = static_cast<Reader*>(h);
  if (n <= 0 || r->pos >= r->size) return 0;
  toff_t take = std::min<toff_t>(static_cast<toff_t>(n), r->size - r->pos);
  std::memcpy(buf, r->data + r->pos, take);
  r->pos += take;
  return static_cast<tsize_t>(take);
}
tsize_t Write(thandle_t, tdata_t, tsize_t) { return 0; }
toff_t Seek(thandle_t h, toff_t off, int whence) {
  auto* r = static_cast<Reader*>(h);
  toff_t base = whence == SEEK_SET ? 0 : (whence == SEEK_CUR ? r->pos : r->size);
  toff_t target = base + off;
  if (target > r->size) return static_cast<toff_t>(-1);
  r->pos = target;
  return r->pos;
}
int Close(thandle_t) { return 0; }
toff_t Size(thandle_t h) { return static_cast<Reader*>(h)->size; }
int Map(thandle_t, tdata_t*, toff_t*) { return 0; }
void Unmap(thandle_t, tdata_t, toff_t) {}

struct TiffCloser {
  void operator()(TIFF* t) const { TIFFClose(t); }
};

void SilenceLibtiff() {
  static std::once_flag once;
  std::call_once(once, [] {
    TIFFSetErrorHandler(nullptr);
    TIFFSetWarningHandler(nullptr);
  });
}

}  // namespace

Result<Image> DecodeTiff(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  SilenceLibtiff();
  Reader reader{bytes.data(), bytes.size(), 0};
  std::unique_ptr<TIFF, TiffCloser> tif(
      TIFFClientOpen("memory", "rm", &reader, Read, Write, Seek, Close, Size, Map, Unmap));
  if (!tif) return Status::Corruption("tiff: unreadable header");
  uint32_t w = 0, h = 0;
  if (!TIFFGetField(tif.get(), TIFFTAG_IMAGEWIDTH, &w) ||
      !TIFFGetField(tif.get(), TIFFTAG_IMAGELENGTH, &h)) {
    return Status::Corruption("tiff: missing dimensions");
  }
  VIGIL_RETURN_IF_ERROR(CheckDimensions(w, h, options));
  uint16_t orientation = 1;
  TIFFGetFieldDefaulted(tif.get(), TIFFTAG_ORIENTATION, &orientation);
  std::vector<uint32_t> raster(static_cast<size_t>(w) * h);
  if (!TIFFReadRGBAImageOriented(tif.get(), w, h, raster.data(), ORIENTATION_TOPLEFT, 0)) {
    return Status::Corruption("tiff: corrupt or unsupported image data");
  }
  Image img;
  img.width = static_cast<int>(w);
  img.height = static_cast<int>(h);
  img.channels = 3;
  img.format = ImageFormat::kTiff;
  img.pixels.resize(raster.size() * 3);
  for (size_t i = 0; i < raster.size(); ++i) {
    img.pixels[3 * i] = static_cast<uint8_t>(TIFFGetR(raster[i]));
    img.pixels[3 * i + 1] = static_cast<uint8_t>(TIFFGetG(raster[i]));
    img.pixels[3 * i + 2] = static_cast<uint8_t>(TIFFGetB(raster[i]));
  }
  // libtiff already honoured flips (orientations 1-4); rotations are left to us.
  if (orientation >= 5 && orientation <= 8) img.orientation = orientation;
  return img;
}

}  // namespace vigil::media
