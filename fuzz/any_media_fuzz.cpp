// Fuzzes the all-kinds hashing entry point (pipeline/any_media.h): kind sniffing (image
// magic, FFmpeg video and audio probes, UTF-8 text) and every signal of the kind found,
// under small limits. Any bytes must give signals or an error string, and every value
// produced must already be in the bank's canonical form.
#include <cstddef>
#include <cstdint>

#include "pipeline/any_media.h"
#include "store/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vigil::pipeline::AnyMediaOptions o;
  o.max_frames = 64;
  o.max_duration_seconds = 30;
  o.max_video_pixels = 1'000'000;
  o.max_image_pixels = 1'000'000;
  o.vpdq_seconds_per_frame = 0;
  auto m = vigil::pipeline::HashAnyMedia({data, size}, o);
  for (const auto& s : m.signals) {
    auto type = vigil::store::ParseSignalType(s.type);
    if (!type.ok()) __builtin_trap();
    auto canon = vigil::store::CanonicalSignalValue(*type, s.value);
    if (!canon.ok() || *canon != s.value) __builtin_trap();
  }
  return 0;
}
