// The domain model that the store keeps: organisations, users and API tokens, banks of
// signals with provenance and labels, the label taxonomy, collected items with their media,
// matches, platforms and the audit log. Plain values; the store (store.h) persists them.
//
// Times are milliseconds since the Unix epoch, UTC; 0 means "not set".
// Ids are positive and assigned by the store; 0 means "none".
//
// Thread safety: value types and pure functions; no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace vigil::store {

// What kind of fingerprint a signal is. The names (SignalTypeName) are stable: they are
// stored, exported and accepted on the command line.
enum class SignalType { kPdq, kVpdq, kTmk, kMd5, kSha256, kAudio, kText, kUrl };
inline constexpr SignalType kAllSignalTypes[] = {
    SignalType::kPdq,    SignalType::kVpdq,  SignalType::kTmk,  SignalType::kMd5,
    SignalType::kSha256, SignalType::kAudio, SignalType::kText, SignalType::kUrl};

std::string_view SignalTypeName(SignalType type);
// Accepts the names above (case-insensitive); InvalidArgument otherwise.
Result<SignalType> ParseSignalType(std::string_view name);

// Largest signal value accepted (a long URL or text, a PDQ or digest).
inline constexpr size_t kMaxSignalValueBytes = 64 * 1024;
// Largest media signal value (vpdq, tmk, audio): a base64 .tmk is 351,128 bytes, a vPDQ of
// one hour at one frame per second about 300 KB.
inline constexpr size_t kMaxMediaSignalValueBytes = 1024 * 1024;
// Largest label name and number of labels on one signal.
inline constexpr size_t kMaxLabelBytes = 128;
inline constexpr size_t kMaxLabelsPerSignal = 64;

// Checks `value` for `type` and returns its canonical form (hex lowercased, surrounding
// whitespace trimmed): pdq and sha256 are 64 hex digits, md5 32; text and url are non-empty
// UTF-8 without control characters. Media signals (pipeline/any_media.h):
//   vpdq:  `frame,quality,hex,timestamp` entries separated by ';' or line breaks, stored
//          joined by ';' with hex lowercased (the reference's text with ';' for '\n');
//   tmk:   standard base64 (padded) of the reference's binary .tmk file;
//   audio: Chromaprint's compressed fingerprint in URL-safe base64 (AcoustID's form).
Result<std::string> CanonicalSignalValue(SignalType type, std::string_view value);

// Labels are lowercase [a-z0-9._:-]+, e.g. "behaviour:recruitment". Returns the canonical
// (trimmed, lowercased) form or InvalidArgument.
Result<std::string> CanonicalLabel(std::string_view label);
// Sorted, de-duplicated union.
std::vector<std::string> MergeLabels(const std::vector<std::string>& a,
                                     const std::vector<std::string>& b);
// Labels <-> the stored form ("a,b,c"; labels never contain commas).
std::string JoinLabels(const std::vector<std::string>& labels);
std::vector<std::string> SplitLabels(std::string_view joined);

// Who may read a bank besides its owner.
enum class SharingScope { kPrivate, kOrganisations, kPublic };
std::string_view SharingScopeName(SharingScope scope);  // private | organisations | public
Result<SharingScope> ParseSharingScope(std::string_view name);

struct Organisation {
  int64_t id = 0;
  std::string name;  // unique
  std::string description;
  int64_t created_ms = 0;
};

struct User {
  int64_t id = 0;
  int64_t org_id = 0;
  std::string name;  // unique
  std::string email;
  std::string role;  // e.g. "admin", "analyst", "reviewer"; interpreted by the server
  int64_t created_ms = 0;
};

// An API token as stored: never the secret, only its SHA-256.
struct ApiToken {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string name;
  int64_t created_ms = 0;
  int64_t expires_ms = 0;  // 0 = never
  int64_t revoked_ms = 0;  // 0 = live
};

// Returned once by CreateApiToken: the secret is not stored and cannot be shown again.
struct NewApiToken {
  ApiToken token;
  std::string secret;  // "vgl_" + 43 base64url characters (256 random bits)
};

struct Bank {
  int64_t id = 0;
  std::string name;  // unique, [A-Za-z0-9._-]{1,64}
  int64_t owner_org_id = 0;
  SharingScope scope = SharingScope::kPrivate;
  std::vector<int64_t> shared_with;  // organisation ids, for kOrganisations
  std::string description;
  // Increases by one on every change to the bank's signals (one change set = one import,
  // add or remove). Signals carry the version that last changed them, so "everything since
  // version N" is an incremental export.
  int64_t version = 0;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

// Checks a bank name ([A-Za-z0-9._-]{1,64}).
Status ValidateBankName(std::string_view name);

// What a caller supplies to add a signal to a bank.
struct SignalInput {
  SignalType type = SignalType::kPdq;
  std::string value;
  int quality = -1;  // 0..100 where the signal has one (PDQ); -1 unknown
  std::vector<std::string> labels;
  std::string source_exchange;  // where it came from: "threatexchange:<collab>", a file...
};

// A signal as stored. Removed signals stay as tombstones (removed_ms != 0) so incremental
// exports can tell partners about deletions.
struct Signal {
  int64_t id = 0;
  int64_t bank_id = 0;
  SignalType type = SignalType::kPdq;
  std::string value;
  int quality = -1;
  std::vector<std::string> labels;
  int64_t contributor_org_id = 0;
  std::string source_exchange;
  int64_t added_ms = 0;
  int64_t removed_ms = 0;  // 0 = live
  int64_t version = 0;     // the bank version that last changed this signal
  bool live() const { return removed_ms == 0; }
};

// The label taxonomy: every label belongs to one dimension.
enum class LabelDimension { kContentType, kBehaviour, kSeverity, kEntity, kOther };
std::string_view LabelDimensionName(LabelDimension d);  // content_type | behaviour | ...
Result<LabelDimension> ParseLabelDimension(std::string_view name);

struct LabelDef {
  std::string name;  // canonical label, e.g. "severity:threat-to-life"
  LabelDimension dimension = LabelDimension::kOther;
  std::string description;
};

// The taxonomy every new store starts with (migrations seed it). Attributed entities are
// added by operators (DefineLabel) as "entity:<name>".
const std::vector<LabelDef>& DefaultTaxonomy();

struct Platform {
  int64_t id = 0;
  std::string name;              // unique
  std::string domains;           // comma-separated host names the platform serves
  std::string referral_contact;  // e-mail or endpoint for referrals; interpreted by workflow
  int64_t created_ms = 0;
};

// One fingerprint of a piece of media.
struct MediaSignal {
  SignalType type = SignalType::kPdq;
  std::string value;
  int quality = -1;
};

struct Media {
  int64_t id = 0;
  int64_t item_id = 0;
  std::string kind;  // image | video | audio | text
  std::string uri;   // where the bytes are (object store key, URL)
  std::string sha256;
  std::vector<MediaSignal> signals;
};

// A post, page or file seen somewhere.
struct Item {
  int64_t id = 0;
  std::string source;  // what collected it: "crawler", "user-report", "api:<client>"
  int64_t platform_id = 0;
  std::string url;
  std::string account;  // account or channel
  int64_t posted_ms = 0;
  std::string language;  // BCP 47 tag, may be empty
  int64_t collected_ms = 0;
  std::vector<Media> media;
};

struct Match {
  int64_t id = 0;
  int64_t item_id = 0;
  int64_t media_id = 0;  // 0 if the match is on the item as a whole
  int64_t signal_id = 0;
  int distance = 0;  // Hamming distance for perceptual hashes, 0 for exact ones
  int64_t matched_ms = 0;
  // The version of the signal's bank in the index that made the match (workers record it
  // so a match can be traced to the bank content it was made against); 0 = not recorded.
  int64_t bank_version = 0;
};

// One entry of the tamper-evident audit log (see audit.h for the hash chain).
struct AuditEntry {
  int64_t seq = 0;  // 1, 2, 3... without gaps
  int64_t at_ms = 0;
  std::string actor;      // "user:alice", "token:7", "cli:root", "system"
  std::string action;     // "bank.create", "signals.add", "signals.remove", ...
  std::string target;     // what it acted on: "bank:3", "user:12"
  std::string before;     // ids / short state before (may be empty)
  std::string after;      // ids / short state after (may be empty)
  std::string details;    // free text or JSON
  std::string prev_hash;  // hex SHA-256 of the previous entry; 64 zeros for seq 1
  std::string hash;       // hex SHA-256 of this entry's canonical form (includes prev_hash)
};

// --- collection (`vigil scan`, issue 5) ---------------------------------------------------

// A link found in a collected item, as the link analyser resolved it (collect/links.h).
struct Link {
  int64_t id = 0;
  int64_t item_id = 0;
  std::string url;          // canonical URL; the text as written when it is not a web link
  std::string domain;       // registrable domain; empty for links that are not web links
  std::string platform;     // platform registry id ("mega"); empty when unknown
  int64_t platform_id = 0;  // platforms.id of that registry entry, 0 when not imported
  bool unknown = false;     // a web link no registry entry matched (reported, never dropped)
};

// What a scan hands the store for one item.
struct CollectedItem {
  Item item;               // with its media and their signals
  std::string source_key;  // stable identity, e.g. "telegram:<chat>:<message>" (unique)
  std::vector<Link> links;
};

struct UpsertedItem {
  Item item;             // as stored, ids (and, for known items, stored media) filled in
  bool created = false;  // false: the key was already stored and nothing changed
};

// Totals over everything collected (items with a source key, their links and matches).
struct CollectionStats {
  int64_t items = 0;
  int64_t links = 0;
  int64_t links_unknown = 0;
  int64_t media = 0;
  int64_t matches = 0;
  std::vector<std::pair<std::string, int64_t>> links_by_platform;  // registry id, most first
  std::vector<std::pair<std::string, int64_t>> unknown_domains;    // most first
};

// --- scale-out work ledger (`vigil worker`, issue 10) -----------------------------------

// One match a worker found for a work item; media by position because ids are assigned
// only when the store writes the item.
struct WorkMatch {
  size_t media_index = 0;
  int64_t signal_id = 0;
  int distance = 0;
  int64_t bank_version = 0;  // the signal's bank version in the worker's index
};

// What a worker hands the store for one processed work item.
struct WorkResult {
  std::string work_key;  // the work item's identity: the ledger's unique key
  Item item;             // with its media and their signals
  std::vector<WorkMatch> matches;
  std::string worker;  // which worker did it (ledger and audit)
  // The source key of an item a collector already stored (`vigil scan --nats`): the media
  // are added to that item instead of a new one (created with this key if missing).
  std::string item_key;
};

// A ledger row: the work key and what processing it produced.
struct WorkRecord {
  std::string work_key;
  int64_t item_id = 0;
  int64_t matches = 0;
  std::string worker;
  int64_t done_ms = 0;
  bool duplicate = false;  // RecordWork only: the key was already done; nothing was written
};

// A worker's periodic report (schema migration 7): what `vigil serve` shows per worker on
// /metrics and GET /api/v1/queue. One row per worker name, overwritten on every report.
struct WorkerReport {
  std::string name;
  int64_t processed = 0;   // committed by this worker since it started
  int64_t duplicates = 0;  // redeliveries the ledger had already done
  int64_t matches = 0;
  int64_t dead = 0;           // sent to the dead letters
  int64_t rate_milli = 0;     // items/s over the last report interval, x1000
  std::string bank_versions;  // "bank:version,..." of its index
  int64_t started_ms = 0;
  int64_t last_seen_ms = 0;
};

}  // namespace vigil::store
