// Fuzzes the messages a worker takes off JetStream: any bytes give a work item or a clean
// Status; an accepted item re-encodes to one that parses to the same item; bank notices
// parse or fail cleanly.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "worker/work_item.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto item = vigil::worker::ParseWorkItem(in);
  if (item.ok()) {
    if (item->key.empty() || item->media.empty()) __builtin_trap();
    auto again = vigil::worker::ParseWorkItem(vigil::worker::EncodeWorkItem(*item));
    if (!again.ok() || again->key != item->key || again->media.size() != item->media.size()) {
      __builtin_trap();
    }
    for (size_t i = 0; i < item->media.size(); ++i) {
      if (again->media[i].data != item->media[i].data) __builtin_trap();
    }
  }
  auto b = vigil::worker::Base64Decode(in);
  if (b.ok() && vigil::worker::Base64Encode(*b) != in) __builtin_trap();
  size_t nl = in.find('\n');
  if (nl != std::string_view::npos) {
    (void)vigil::worker::ParseBankNotice(in.substr(0, nl), in.substr(nl + 1));
  }
  return 0;
}
