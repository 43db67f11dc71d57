#include "pipeline/media_hasher.h"

#include <chrono>

#include "signals/digest.h"

namespace vigil::pipeline {

Result<ImageHashes> HashImageBytes(std::span<const uint8_t> bytes,
                                   const ImageHashOptions& options) {
  using Clock = std::chrono::steady_clock;
  ImageHashes out;
  auto t0 = Clock::now();
  VIGIL_ASSIGN_OR_RETURN(media::Image img, media::DecodeImage(bytes, options.decode));
  auto t1 = Clock::now();
  out.width = img.width;
  out.height = img.height;
  out.format = img.format;
  auto view = pdq::PixelView::Packed(img.pixels.data(), img.width, img.height, img.channels);
  if (options.dihedral) {
    VIGIL_ASSIGN_OR_RETURN(pdq::PdqDihedral d, pdq::HashLikeReferenceDihedral(view));
    out.pdq = {d.hashes[pdq::kOriginal], d.quality};
    out.dihedral = d;
  } else {
    VIGIL_ASSIGN_OR_RETURN(out.pdq, pdq::HashLikeReference(view));
  }
  if (options.digests) {
    out.md5 = digest::Md5Hex(bytes);
    out.sha256 = digest::Sha256Hex(bytes);
  }
  auto t2 = Clock::now();
  out.decode_seconds = std::chrono::duration<double>(t1 - t0).count();
  out.hash_seconds = std::chrono::duration<double>(t2 - t1).count();
  return out;
}

}  // namespace vigil::pipeline
