// Fuzzes video decoding and both video hashes through FFmpeg: any bytes must give
// signatures or a clean Status, within small limits (the limit checks are under test too).
#include <cstddef>
#include <cstdint>

#include "video/tmk.h"
#include "video/vpdq.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vigil::video::VideoLimits limits;
  limits.max_frames = 64;
  limits.max_duration_seconds = 30;
  limits.max_pixels_per_frame = 1'000'000;
  vigil::video::VpdqOptions v;
  v.seconds_per_hash = 0;
  v.limits = limits;
  auto frames = vigil::video::HashVpdq({data, size}, v);
  if (frames.ok()) {
    for (const auto& f : *frames) {
      if (f.quality < 0 || f.quality > 100) __builtin_trap();
    }
  }
  vigil::video::TmkOptions t;
  t.limits = limits;
  (void)vigil::video::ComputeTmk({data, size}, t);
  return 0;
}
