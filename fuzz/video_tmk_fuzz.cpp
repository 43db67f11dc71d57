// Fuzzes the .tmk parser and the scores on what it accepts: any bytes must parse to a
// consistent signature or give a clean Status; a parsed signature must serialise back to
// the same bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "video/tmk.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto sig = vigil::video::ParseTmk({data, size});
  if (!sig.ok()) return 0;
  const std::vector<uint8_t> back = vigil::video::SerializeTmk(*sig);
  if (back.size() != size || !std::equal(back.begin(), back.end(), data)) __builtin_trap();
  // Level 2 walks every offset of every period; keep the periods the fuzzer invents small.
  int64_t work = 0;
  for (int p : sig->periods) work += p;
  (void)vigil::video::TmkLevel1Score(*sig, *sig);
  if (work <= 100'000) (void)vigil::video::TmkLevel2Score(*sig, *sig);
  return 0;
}
