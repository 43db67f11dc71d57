// Fuzzes the vPDQ text parser and matching on what it accepts: any text must parse or give
// a clean Status; parsed frames must survive a format/parse round trip.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "video/vpdq.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto frames = vigil::video::ParseVpdq(text, 10'000);
  if (!frames.ok()) return 0;
  auto again = vigil::video::ParseVpdq(vigil::video::FormatVpdq(*frames), 10'000);
  if (!again.ok() || again->size() != frames->size()) __builtin_trap();
  for (size_t i = 0; i < frames->size(); ++i) {
    if ((*again)[i].hash != (*frames)[i].hash || (*again)[i].quality != (*frames)[i].quality) {
      __builtin_trap();
    }
  }
  const auto r = vigil::video::MatchVpdq(*frames, *again);
  if (r.query_match_percent < 0 || r.query_match_percent > 100) __builtin_trap();
  return 0;
}
