// Internal helpers shared by the format parsers and writers.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "formats/formats.h"

namespace vigil::formats::internal {

void AddIssue(Parsed& p, int64_t line, std::string message);
// Canonicalises value and labels in place; the error says what is wrong.
Status CheckSignal(store::SignalInput& s);
std::string_view TrimView(std::string_view s);

Result<Parsed> ParseStix(std::string_view data, const ParseOptions& options);
Result<std::unique_ptr<SignalWriter>> MakeStixWriter(const ExportInfo& info, std::ostream& out);

}  // namespace vigil::formats::internal
