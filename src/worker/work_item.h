// The messages that travel through JetStream between `vigil enqueue` (or any producer) and
// `vigil worker`: a work item (one post or file to hash and match) as a JSON object, and a
// bank change notice. Pure encode/parse; no broker code, so the fuzz target and the unit
// tests need no server.
//
// Work item JSON (docs/operations.md):
//   {"key": "...", "item_key": "...", "source": "...", "url": "...", "account": "...",
//    "posted_ms": 0,
//    "media": [{"kind": "image", "uri": "...", "data": "<base64 bytes>"},
//              {"kind": "image", "uri": "...", "path": "/shared/file.jpg"},
//              {"kind": "image", "fetch": "https://host/a.jpg"}]}
// `key` is the work identity: the store's ledger makes processing a key twice a no-op.
// `item_key` (optional): the stable key of an item a collector already stored (`vigil scan
// --nats` stores items and links itself); the worker attaches the media to that item
// instead of creating one.
//
// Thread safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace vigil::worker {

// Largest message accepted: the NATS server's default max_payload. Larger media travel by
// path on storage the workers share.
inline constexpr size_t kMaxWorkMessageBytes = 1 << 20;
inline constexpr size_t kMaxWorkKeyBytes = 1024;
// Media bytes one message can carry inline (base64 grows them by 4/3; room for the rest).
inline constexpr uint64_t kMaxInlineMediaBytes = kMaxWorkMessageBytes * 3 / 4 - 4096;
inline constexpr size_t kMaxMediaPerItem = 64;

struct WorkMedia {
  std::string kind = "image";
  std::string uri;    // where the bytes came from (recorded with the media)
  std::string path;   // read the bytes from this file (storage the workers share) ...
  std::string data;   // ... or these bytes, carried in the message ...
  std::string fetch;  // ... or fetch them from this http(s) URL (the worker's SafeFetcher)
};

struct WorkItem {
  std::string key;
  std::string item_key;
  std::string source;
  std::string url;
  std::string account;
  int64_t posted_ms = 0;
  std::vector<WorkMedia> media;
};

std::string EncodeWorkItem(const WorkItem& item);
// InvalidArgument naming the problem for malformed JSON, a missing or oversized key, a
// media entry with not exactly one of path/data/fetch, bad base64, or more than the limits.
Result<WorkItem> ParseWorkItem(std::string_view json);

std::string Base64Encode(std::string_view bytes);
Result<std::string> Base64Decode(std::string_view text);

// Bank change notices: subject "<stream>.bank.<bank id>", payload the bank's version in
// decimal. The stream keeps the last notice per bank, so a replay is one per bank.
std::string BankSubject(std::string_view bank_stream, int64_t bank_id);
// (bank id, version) from a notice; InvalidArgument if either is malformed.
Result<std::pair<int64_t, int64_t>> ParseBankNotice(std::string_view subject,
                                                    std::string_view payload);

}  // namespace vigil::worker
