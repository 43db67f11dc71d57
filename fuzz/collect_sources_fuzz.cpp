// Fuzzes every document reader on the same bytes: Telegram result.json, ActivityPub
// outbox, RSS/Atom, HTML and JSON lines. Any input gives items or a clean Status. The
// input has no local path, so no reader may open a file it names.
#include <cstddef>
#include <cstdint>
#include <string>

#include "collect/fetcher.h"
#include "collect/source.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil::collect;
  SourceInput in;
  in.origin = "fuzz";
  in.url = "https://fuzz.example/feed";
  in.bytes.assign(reinterpret_cast<const char*>(data), size);
  in.sniffed_type = SniffContentType(in.bytes);
  SourceOptions options;  // no fetcher: paging stops with FailedPrecondition
  size_t items = 0;
  ItemSink sink = [&](Item&& item) {
    ++items;
    for (const auto& m : item.media) {
      if (!m.path.empty() && !m.missing) __builtin_trap();  // a fetched document named a file
    }
    return vigil::Status::OK();
  };
  for (const auto& kind : SourceKinds()) {
    if (std::string_view(kind.name) == "folder") continue;
    (void)kind.accepts(in);
    (void)kind.read(in, options, sink);
  }
  return 0;
}
