// GIF through giflib: the first frame only, read record by record so that a file with
// thousands of frames costs no more than its first.
#include <gif_lib.h>

#include <cstring>
#include <memory>

#include "media/decoders.h"

namespace vigil::media {
namespace {

struct Reader {
  const uint8_t* data;
  size_t size;
  size_t pos;
};

int ReadFromMemory(GifFileType* gif, GifByteType* out, int n) {
  auto* r = static_cast<Reader*>(gif->UserData);
  size_t left = r->size - r->pos;
  size_t take = n < 0 ? 0 : std::min(left, static_cast<size_t>(n));
  std::memcpy(out, r->data + r->pos, take);
  r->pos += take;
  return static_cast<int>(take);
}

struct GifCloser {
  void operator()(GifFileType* g) const {
    int err = 0;
    DGifCloseFile(g, &err);
  }
};

}  // namespace

Result<Image> DecodeGif(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  Reader reader{bytes.data(), bytes.size(), 0};
  int error = 0;
  std::unique_ptr<GifFileType, GifCloser> gif(DGifOpen(&reader, ReadFromMemory, &error));
  if (!gif) return Status::Corruption(std::string("gif: ") + GifErrorString(error));

  for (;;) {
    GifRecordType type;
    if (DGifGetRecordType(gif.get(), &type) == GIF_ERROR) {
      return Status::Corruption(std::string("gif: ") + GifErrorString(gif->Error));
    }
    if (type == TERMINATE_RECORD_TYPE) return Status::Corruption("gif: no image in file");
    if (type == EXTENSION_RECORD_TYPE) {
      int code;
      GifByteType* ext;
      if (DGifGetExtension(gif.get(), &code, &ext) == GIF_ERROR) {
        return Status::Corruption(std::string("gif: ") + GifErrorString(gif->Error));
      }
      while (ext != nullptr) {
        if (DGifGetExtensionNext(gif.get(), &ext) == GIF_ERROR) {
          return Status::Corruption(std::string("gif: ") + GifErrorString(gif->Error));
        }
      }
      continue;
    }
    if (type != IMAGE_DESC_RECORD_TYPE) continue;

    if (DGifGetImageDesc(gif.get()) == GIF_ERROR) {
      return Status::Corruption(std::string("gif: ") + GifErrorString(gif->Error));
    }
    const GifImageDesc& d = gif->Image;
    if (d.Width <= 0 || d.Height <= 0) return Status::Corruption("gif: empty frame");
    VIGIL_RETURN_IF_ERROR(CheckDimensions(d.Width, d.Height, options));
    const ColorMapObject* cmap = d.ColorMap ? d.ColorMap : gif->SColorMap;
    if (cmap == nullptr || cmap->Colors == nullptr) return Status::Corruption("gif: no colour map");

    const int w = d.Width, h = d.Height;
    std::vector<GifPixelType> indices(static_cast<size_t>(w) * h);
    if (d.Interlace) {
      static constexpr int kStart[] = {0, 4, 2, 1};
      static constexpr int kStep[] = {8, 8, 4, 2};
      for (int pass = 0; pass < 4; ++pass) {
        for (int y = kStart[pass]; y < h; y += kStep[pass]) {
          if (DGifGetLine(gif.get(), indices.data() + static_cast<size_t>(y) * w, w) == GIF_ERROR) {
            return Status::Corruption(std::string("gif: ") + GifErrorString(gif->Error));
          }
        }
      }
    } else {
      for (int y = 0; y < h; ++y) {
        if (DGifGetLine(gif.get(), indices.data() + static_cast<size_t>(y) * w, w) == GIF_ERROR) {
          return Status::Corruption(std::string("gif: ") + GifErrorString(gif->Error));
        }
      }
    }
    Image img;
    img.width = w;
    img.height = h;
    img.channels = 3;
    img.format = ImageFormat::kGif;
    img.pixels.resize(static_cast<size_t>(w) * h * 3);
    for (size_t i = 0; i < indices.size(); ++i) {
      int idx = indices[i] < cmap->ColorCount ? indices[i] : 0;
      const GifColorType& c = cmap->Colors[idx];
      img.pixels[3 * i] = c.Red;
      img.pixels[3 * i + 1] = c.Green;
      img.pixels[3 * i + 2] = c.Blue;
    }
    return img;
  }
}

}  // namespace vigil::media
