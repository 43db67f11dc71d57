#include "store/audit.h"

#include "store/crypto.h"

namespace vigil::store {
namespace {

void Field(std::string& out, std::string_view v) {
  out += std::to_string(v.size());
  out += ':';
  out += v;
  out += '\n';
}

}  // namespace

std::string AuditCanonicalForm(const AuditEntry& e) {
  std::string out = "vigil-audit-v1\n";
  Field(out, std::to_string(e.seq));
  Field(out, std::to_string(e.at_ms));
  Field(out, e.actor);
  Field(out, e.action);
  Field(out, e.target);
  Field(out, e.before);
  Field(out, e.after);
  Field(out, e.details);
  Field(out, e.prev_hash);
  return out;
}

std::string AuditEntryHash(const AuditEntry& e) { return Sha256Hex(AuditCanonicalForm(e)); }

Status AuditChainVerifier::Next(const AuditEntry& e) {
  int64_t position = count_ + 1;
  std::string where =
      "audit entry " + std::to_string(e.seq) + " (position " + std::to_string(position) + ")";
  if (e.seq != position) {
    return Status::Corruption(where + ": sequence number " + std::to_string(e.seq) + " where " +
                              std::to_string(position) +
                              " was expected (an entry was deleted, inserted or reordered)");
  }
  if (e.prev_hash != prev_hash_) {
    return Status::Corruption(where +
                              ": does not link to the previous entry's hash (an entry before "
                              "it was deleted, inserted, reordered or edited)");
  }
  if (AuditEntryHash(e) != e.hash) {
    return Status::Corruption(where + ": its contents do not match its hash (edited)");
  }
  prev_hash_ = e.hash;
  count_ = position;
  return Status::OK();
}

AuditReport VerifyAuditChain(std::span<const AuditEntry> entries) {
  AuditChainVerifier v;
  AuditReport r;
  for (size_t i = 0; i < entries.size(); ++i) {
    Status s = v.Next(entries[i]);
    if (!s.ok()) {
      r.ok = false;
      r.entries = static_cast<int64_t>(i + 1);
      r.first_bad_seq = entries[i].seq;
      r.first_bad_position = static_cast<int64_t>(i + 1);
      r.problem = s.message();
      return r;
    }
  }
  r.entries = v.entries();
  r.head_hash = v.head_hash();
  return r;
}

}  // namespace vigil::store
