// The tamper-evident audit log's hash chain.
//
// Every entry commits to its predecessor: hash = SHA-256(canonical form), and the
// canonical form includes prev_hash, which must equal the previous entry's hash (64 zeros
// for seq 1). Sequence numbers start at 1 and have no gaps. So editing an entry breaks its
// own hash; deleting, inserting or reordering entries breaks a sequence number or a
// prev_hash link; rewriting the whole tail consistently requires recomputing every later
// hash, which a verifier holding an earlier head hash (`vigil audit verify --expect-head`)
// detects. Truncating the tail is only visible against such an anchor.
//
// Canonical form (version 1): the string "vigil-audit-v1\n" followed by each field as
// "<decimal byte length>:<bytes>\n" in the order seq, at_ms, actor, action, target, before,
// after, details, prev_hash (integers in decimal). Length prefixes make it unambiguous.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "store/model.h"

namespace vigil::store {

inline constexpr std::string_view kAuditGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

std::string AuditCanonicalForm(const AuditEntry& e);
// Lowercase hex SHA-256 of AuditCanonicalForm(e).
std::string AuditEntryHash(const AuditEntry& e);

// Incremental verifier: feed entries in stored (seq) order.
class AuditChainVerifier {
 public:
  // Returns OK, or Corruption naming the entry ("audit entry 4 (position 4): ...").
  Status Next(const AuditEntry& e);
  int64_t entries() const { return count_; }
  // Hash of the last entry checked (the genesis hash before any).
  const std::string& head_hash() const { return prev_hash_; }

 private:
  int64_t count_ = 0;
  std::string prev_hash_{kAuditGenesisHash};
};

struct AuditReport {
  bool ok = true;
  int64_t entries = 0;             // entries checked
  int64_t first_bad_seq = 0;       // stored seq of the first bad entry (0 if ok)
  int64_t first_bad_position = 0;  // 1-based position in stored order (0 if ok)
  std::string problem;             // what is wrong with it
  std::string head_hash;           // hash of the last entry (when ok)
};

AuditReport VerifyAuditChain(std::span<const AuditEntry> entries);

}  // namespace vigil::store
