#include "cli/version.h"

#include "core/cpu.h"

namespace vigil::cli {

std::string VersionText() {
  std::string s = "vigil " + std::string(kVersionString) + "\n";
  s += "compiler: g++ " __VERSION__ "\n";
#if defined(__SANITIZE_ADDRESS__)
  s += "build: sanitizers (address, undefined)\n";
#elif defined(NDEBUG)
  s += "build: release\n";
#else
  s += "build: debug\n";
#endif
  s += "cpu: " + cpu::Describe(cpu::Detect()) + "\n";
  return s;
}

}  // namespace vigil::cli
