#include "core/cpu.h"

namespace vigil::cpu {

const Features& Detect() {
  static const Features features = [] {
    Features f;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    f.popcnt = __builtin_cpu_supports("popcnt");
    f.avx2 = __builtin_cpu_supports("avx2");
    f.avx512f = __builtin_cpu_supports("avx512f");
    f.avx512bw = __builtin_cpu_supports("avx512bw");
    f.avx512vpopcntdq = __builtin_cpu_supports("avx512vpopcntdq");
#endif
    return f;
  }();
  return features;
}

std::string Describe(const Features& f) {
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ' ';
    s += name;
  };
  add(f.avx512vpopcntdq, "avx512vpopcntdq");
  add(f.avx512bw, "avx512bw");
  add(f.avx512f, "avx512f");
  add(f.avx2, "avx2");
  add(f.popcnt, "popcnt");
  return s.empty() ? "baseline" : s;
}

}  // namespace vigil::cpu
