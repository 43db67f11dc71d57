// Hashes one media file into all the signals vigil computes for it. This is where the
// media boundary (bytes -> pixels) meets the signal maths; the CLI, the scanner and the
// server all hash through here so they agree.
// Thread safety: stateless functions; safe from any number of threads.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/limits.h"
#include "core/status.h"
#include "media/image.h"
#include "signals/pdq.h"

namespace vigil::pipeline {

struct ImageHashOptions {
  media::DecodeOptions decode;
  bool dihedral = false;  // also compute the 8 dihedral PDQ hashes
  bool digests = true;    // MD5 and SHA-256 of the file bytes
};

struct ImageHashes {
  pdq::PdqHash pdq;
  std::optional<pdq::PdqDihedral> dihedral;
  std::string md5;
  std::string sha256;
  int width = 0;  // as displayed (after EXIF orientation)
  int height = 0;
  media::ImageFormat format = media::ImageFormat::kUnknown;
  // Wall time split, for benchmarks and the CLI summary.
  double decode_seconds = 0;
  double hash_seconds = 0;
};

Result<ImageHashes> HashImageBytes(std::span<const uint8_t> bytes, const ImageHashOptions& options);

}  // namespace vigil::pipeline
