// Evidence for referrals (issue 7 item 7): referred media and metadata preserved, sealed
// with SHA-256 and a timestamp, kept for a retention period (default 6 months) and then
// deleted with an audit entry; and a self-contained package a third party can verify
// without vigil's database.
//
// Package layout (`vigil evidence export REFERRAL --out DIR`):
//   referral.json     the referral's full record (workflow/codec.h)
//   evidence.json     the evidence records (what was sealed when, until when)
//   media/<sha256>    each preserved medium still within retention
//   audit.jsonl       the audit-log slice: every entry about the referral or its evidence,
//                     in full, plus the hash links of the entries between them (seq,
//                     prev_hash, hash only: other cases stay private), up to the head
//   manifest.sha256   "<sha256>  <path>" for every file above (sha256sum -c compatible)
//   seal.json         manifest hash, sealing time (RFC 3339 and ms), referral id, audit
//                     head hash at export, format version
// VerifyEvidencePackage checks: every manifest line matches its file and no file is
// unlisted; the seal names the manifest's hash; each media file's name is its SHA-256; each
// full audit entry hashes to its stated hash; the links are contiguous (seq + 1, prev_hash
// = previous hash) and end at the sealed head. It needs only this header's code (the CLI
// `vigil evidence verify DIR`), and sha256sum can check the manifest by hand.
//
// Thread safety: as the repository passed in (one thread at a time); Verify is pure.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/referral_store.h"
#include "workflow/model.h"

namespace vigil::store {

inline constexpr int64_t kDefaultEvidenceRetentionMs = int64_t{183} * 24 * 60 * 60 * 1000;
// Largest medium preserved (bytes) and largest file a verifier reads.
inline constexpr uint64_t kMaxEvidenceFileBytes = uint64_t{2} << 30;
// Most audit entries (full and links) one package carries.
inline constexpr int64_t kMaxPackageAuditEntries = 1'000'000;
inline constexpr int kEvidencePackageVersion = 1;

// Largest medium fetched from a URL for evidence (bytes): callers give the safe fetcher this
// limit, and a larger answer is recorded as unavailable.
inline constexpr uint64_t kMaxRemoteEvidenceBytes = uint64_t{256} << 20;
// Longest failure text kept in a "media_unavailable" record's name.
inline constexpr size_t kMaxEvidenceFailureText = 1024;

struct EvidenceOptions {
  std::string dir;  // where preserved media live (created if missing)
  int64_t retention_ms = kDefaultEvidenceRetentionMs;
  std::string actor = "system:evidence";
};

// A medium of a referred item known only by its http(s) URL, to be fetched for evidence.
struct RemoteMedium {
  int64_t item_id = 0;
  std::string uri;
};
// What fetching it gave: the bytes, or why not (`error` not OK).
struct FetchedMedium {
  int64_t item_id = 0;
  std::string uri;
  Status error;
  std::string bytes;
};
// Reads a URL (the server and the CLI wrap collect's SafeFetcher: workflow/adapters.h).
using MediaFetch = std::function<Result<std::string>(std::string_view url)>;

// The http(s) media of `r`'s stored items not yet sealed or recorded unavailable for `r`.
// Reads the store; no network.
Result<std::vector<RemoteMedium>> ListRemoteMedia(SqlReferralRepository& repo,
                                                  const workflow::Referral& r);
// Fetches each with `fetch`. No store access: callers run it outside their store lock.
std::vector<FetchedMedium> FetchRemoteMedia(const std::vector<RemoteMedium>& media,
                                            const MediaFetch& fetch);

// Preserves what `r` refers to: for each item with a store item id, every medium whose uri
// names a readable local file (a path or file:// URI) is copied to <dir>/<sha256> and
// sealed (kind "media"); so is each of `remote` that was fetched (at most
// kMaxRemoteEvidenceBytes); one that could not be fetched gets a record of kind
// "media_unavailable" whose name says "unavailable: <uri>: <why>" (sealed like the others,
// so the attempt is on the record; not an error). The referral's record is sealed too
// (kind "metadata"). Media already sealed for this referral are skipped. Returns the new
// records.
Result<std::vector<EvidenceRecord>> PreserveEvidence(SqlReferralRepository& repo,
                                                     const workflow::Referral& r,
                                                     const EvidenceOptions& options, int64_t now_ms,
                                                     const std::vector<FetchedMedium>& remote = {});

// Writes the package for `referral_id` into `out_dir` (created; must be empty or absent).
Status ExportEvidencePackage(SqlReferralRepository& repo, int64_t referral_id,
                             const std::string& out_dir, int64_t now_ms);

struct PackageReport {
  bool ok = true;
  std::vector<std::string> problems;
  int64_t referral_id = 0;
  int files = 0;
  int media = 0;
  int audit_entries = 0;  // full entries checked
  int audit_links = 0;    // link-only entries checked
  std::string sealed_at;
  std::string head_hash;
};
// IOError if the directory cannot be read; everything else is a problem in the report.
Result<PackageReport> VerifyEvidencePackage(const std::string& dir);

// Deletes the files of evidence past its retention and marks each record deleted with an
// "evidence.expire" audit entry. Returns how many were expired.
Result<int> ExpireEvidence(SqlReferralRepository& repo, int64_t now_ms, std::string_view actor);

}  // namespace vigil::store
