// Run-time CPU feature detection for kernels that dispatch on instruction sets.
// Thread safety: the features are read once (thread-safe static) and immutable.
#pragma once

#include <string>

namespace vigil::cpu {

struct Features {
  bool popcnt = false;
  bool avx2 = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vpopcntdq = false;
};

const Features& Detect();
// e.g. "avx512vpopcntdq avx512bw avx2 popcnt"
std::string Describe(const Features& f);

}  // namespace vigil::cpu
