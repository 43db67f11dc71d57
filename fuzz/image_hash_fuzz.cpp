// Fuzzes the decode-and-hash entry point: any bytes must give a result or a clean Status.
#include <cstddef>
#include <cstdint>

#include "pipeline/media_hasher.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vigil::pipeline::ImageHashOptions options;
  // Small limits keep each run fast; the limit checks themselves are under test too.
  options.decode.max_pixels = 4'000'000;
  options.decode.max_side = 8192;
  options.dihedral = (size & 1) != 0;
  auto r = vigil::pipeline::HashImageBytes({data, size}, options);
  if (r.ok() && (r->pdq.quality < 0 || r->pdq.quality > 100)) __builtin_trap();
  return 0;
}
