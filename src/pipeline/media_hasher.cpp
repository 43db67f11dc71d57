#include "pipeline/media_hasher.h"

#include <chrono>

#include "pipeline/pdq_sampler.h"
#include "signals/digest.h"

namespace vigil::pipeline {

Result<ImageHashes> HashImageBytes(std::span<const uint8_t> bytes,
                                   const ImageHashOptions& options) {
  using Clock = std::chrono::steady_clock;
  ImageHashes out;
  auto t0 = Clock::now();
  PdqSampler sampler(options.decode.apply_orientation);
  VIGIL_RETURN_IF_ERROR(media::DecodeImageRows(bytes, options.decode, sampler, &out.format));
  std::vector<float> luma = sampler.Luma();
  auto t1 = Clock::now();
  out.width = sampler.displayed_width();
  out.height = sampler.displayed_height();
  if (options.dihedral) {
    pdq::PdqDihedral d = pdq::HashLumaDihedral(luma, sampler.grid_rows(), sampler.grid_cols());
    out.pdq = {d.hashes[pdq::kOriginal], d.quality};
    out.dihedral = d;
  } else {
    out.pdq = pdq::HashLuma(luma, sampler.grid_rows(), sampler.grid_cols());
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
