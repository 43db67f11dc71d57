#pragma once

#include <string>
#include <string_view>

namespace vigil::cli {

inline constexpr std::string_view kVersionString = "0.1.0";

// Multi-line text for `vigil version`: version, compiler, CPU features in use.
std::string VersionText();

}  // namespace vigil::cli
