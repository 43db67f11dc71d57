// Store: where vigil keeps banks, signals, items, matches, users and the audit log.
//
// Two implementations behave identically and pass one shared test suite (store_test.cpp):
// SQLite (the default: one file, WAL journal) and PostgreSQL 15. OpenStore picks one from
// the --db value: "postgres://...", "postgresql://..." or a libpq keyword string containing
// "host=" / "dbname=" open PostgreSQL; anything else is a SQLite file path.
//
// Schema: versioned migrations run at open, each in its own transaction. A store whose
// schema is newer than this binary's (kSchemaVersion) is refused with FailedPrecondition
// rather than risk misreading it.
//
// Audit: every method that changes state appends an entry to the hash-chained audit log
// (audit.h) inside the same transaction as the change, attributed to the `actor` argument.
// Either both are stored or neither.
//
// Errors: Status/Result only, never exceptions. NotFound for unknown ids/names,
// AlreadyExists for unique-name clashes, InvalidArgument for malformed values,
// Unavailable when the database cannot be reached, Internal for unexpected SQL failures.
//
// Thread safety: a Store object is one database connection and is NOT thread-safe: use it
// from one thread at a time (or guard it). Open one Store per thread for concurrency; any
// number of Store objects (and processes) may use the same database: writes serialise in
// the database (SQLite: one writer, busy timeout; PostgreSQL: a transaction-level lock on
// the audit chain).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/hash256.h"
#include "core/status.h"
#include "store/audit.h"
#include "store/model.h"

namespace vigil::store {

// The schema version this binary writes and reads.
inline constexpr int kSchemaVersion = 8;
// Signals accepted by one AddSignals/RemoveSignals call (an import larger than this is
// refused; split it).
inline constexpr size_t kMaxSignalsPerChange = 20'000'000;
// How long a SQLite writer waits for another writer before giving up (ms).
inline constexpr int kDefaultBusyTimeoutMs = 10'000;
// How long opening a PostgreSQL connection may take (seconds).
inline constexpr int kDefaultConnectTimeoutS = 10;

struct StoreOptions {
  // Clock for created/added/audit times; tests pin it. Defaults to the system clock.
  std::function<int64_t()> now_ms;
  int busy_timeout_ms = kDefaultBusyTimeoutMs;
  int connect_timeout_s = kDefaultConnectTimeoutS;
  // Create the SQLite file if it does not exist (PostgreSQL databases must exist).
  bool create_if_missing = true;
};

enum class Backend { kSqlite, kPostgres };
// Which backend a --db value selects.
Backend BackendFor(std::string_view db);

// What a change set did.
struct ChangeResult {
  int64_t added = 0;      // new signals (or tombstones brought back)
  int64_t merged = 0;     // already present: labels/quality merged in
  int64_t unchanged = 0;  // already present with nothing new
  int64_t removed = 0;    // live signals tombstoned
  int64_t version = 0;    // bank version after the change (unchanged if nothing changed)
};
using AddSignalsResult = ChangeResult;  // the name of the first version of this interface

// Which signals ListSignals / ForEachSignal return.
struct SignalQuery {
  int64_t since_version = 0;     // only signals changed after this bank version
  bool include_removed = false;  // include tombstones (implied for since_version > 0)
  std::optional<SignalType> type;
  std::string label;  // only signals carrying this label (empty = any)
  int64_t limit = 0;  // 0 = no limit
};

// What matching needs of one live signal (Store::ForEachLiveSignalKey). `value` points into
// the database's row buffer: valid only during the callback that receives it.
struct LiveSignalKey {
  int64_t id = 0;
  int64_t bank_id = 0;
  SignalType type = SignalType::kPdq;
  std::string_view value;
};

struct BankStats {
  int64_t live = 0;
  int64_t removed = 0;
  int64_t version = 0;
  std::vector<std::pair<SignalType, int64_t>> live_by_type;  // types with live signals
  std::vector<std::pair<std::string, int64_t>> live_by_label;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual Backend backend() const = 0;
  // The schema version of the open database (== kSchemaVersion after open).
  virtual Result<int> SchemaVersion() = 0;

  // --- organisations, users, tokens -------------------------------------------------
  virtual Result<Organisation> CreateOrganisation(std::string_view actor, std::string_view name,
                                                  std::string_view description) = 0;
  virtual Result<Organisation> GetOrganisation(int64_t id) = 0;
  virtual Result<Organisation> FindOrganisation(std::string_view name) = 0;
  virtual Result<std::vector<Organisation>> ListOrganisations() = 0;

  virtual Result<User> CreateUser(std::string_view actor, const User& user) = 0;
  virtual Result<User> GetUser(int64_t id) = 0;
  virtual Result<User> FindUser(std::string_view name) = 0;

  // Creates a token for a user; only its SHA-256 is stored, the secret is returned once.
  virtual Result<NewApiToken> CreateApiToken(std::string_view actor, int64_t user_id,
                                             std::string_view name, int64_t expires_ms) = 0;
  // The user a secret belongs to; Unauthenticated if unknown, revoked or expired.
  virtual Result<User> AuthenticateToken(std::string_view secret) = 0;
  virtual Status RevokeApiToken(std::string_view actor, int64_t token_id) = 0;
  virtual Result<std::vector<ApiToken>> ListApiTokens(int64_t user_id) = 0;

  // --- banks ------------------------------------------------------------------------
  // bank.name, owner_org_id (0 = none), scope, shared_with, description are used.
  virtual Result<Bank> CreateBank(std::string_view actor, const Bank& bank) = 0;
  virtual Result<Bank> GetBank(int64_t id) = 0;
  virtual Result<Bank> FindBank(std::string_view name) = 0;
  virtual Result<std::vector<Bank>> ListBanks() = 0;
  // Changes scope, shared_with and description.
  virtual Status UpdateBankSharing(std::string_view actor, int64_t bank_id, SharingScope scope,
                                   const std::vector<int64_t>& shared_with,
                                   std::string_view description) = 0;
  // Whether organisation `org_id` may read the bank (owner, public, or named).
  static bool OrgCanRead(const Bank& bank, int64_t org_id);

  // --- signals ----------------------------------------------------------------------
  // Applies one change set to a bank in one transaction (all or nothing) as one new bank
  // version: adds `add`, then tombstones `remove`. Values and labels are checked and
  // canonicalised (CanonicalSignalValue, CanonicalLabel); any bad one is InvalidArgument
  // naming it ("signal 7: ...") and nothing changes. A signal already in the bank (same type
  // and value) is merged, never doubled: labels united, the higher quality kept; a tombstone
  // is brought back. Removing an unknown or already removed signal is not an error.
  // contributor_org_id: who contributed the additions (0 = the bank's owner). A change set
  // that changes nothing leaves the version (and the audit log) alone.
  virtual Result<ChangeResult> ApplySignalChanges(std::string_view actor, int64_t bank_id,
                                                  std::span<const SignalInput> add,
                                                  std::span<const MediaSignal> remove,
                                                  int64_t contributor_org_id) = 0;
  Result<ChangeResult> AddSignals(std::string_view actor, int64_t bank_id,
                                  std::span<const SignalInput> signals,
                                  int64_t contributor_org_id) {
    return ApplySignalChanges(actor, bank_id, signals, {}, contributor_org_id);
  }
  // Returns how many live signals were tombstoned.
  Result<int64_t> RemoveSignals(std::string_view actor, int64_t bank_id,
                                std::span<const MediaSignal> signals) {
    VIGIL_ASSIGN_OR_RETURN(ChangeResult r, ApplySignalChanges(actor, bank_id, {}, signals, 0));
    return r.removed;
  }
  virtual Result<Signal> GetSignal(int64_t bank_id, SignalType type, std::string_view value) = 0;
  // Streams signals in id order; the callback returns false to stop early.
  virtual Status ForEachSignal(int64_t bank_id, const SignalQuery& query,
                               const std::function<bool(const Signal&)>& fn) = 0;
  Result<std::vector<Signal>> ListSignals(int64_t bank_id, const SignalQuery& query);
  virtual Result<BankStats> GetBankStats(int64_t bank_id) = 0;
  // The matcher's lean load (match::Matcher, issue 10): streams id, bank and value of every
  // live signal of `type` in id order, of one bank (bank_id > 0) or of all, reading only
  // those columns (through the (type, id) index of live signals, like ForEachLiveHash) and
  // making no heap string per row. `fn` must not call the store (the rows are open while
  // it runs); it returns false to stop early.
  virtual Status ForEachLiveSignalKey(SignalType type, int64_t bank_id,
                                      const std::function<bool(const LiveSignalKey&)>& fn) = 0;
  // Full rows (live or removed, any bank) of the given signal ids, in id order; ids that are
  // not stored are left out. For provenance looked up lazily by signal id.
  virtual Result<std::vector<Signal>> GetSignalsById(std::span<const int64_t> ids) = 0;

  // The hook for the match index: streams (signal id, hash) of every live signal of a
  // 256-bit type (pdq; vpdq/tmk values are not Hash256) across all banks, in id order,
  // starting after `after_id` (to resume or to catch up an index snapshot). Rows are read
  // in pages, so memory stays flat for 10M signals.
  virtual Status ForEachLiveHash(SignalType type, int64_t after_id,
                                 const std::function<void(int64_t id, const Hash256&)>& fn) = 0;

  // --- labels, platforms ------------------------------------------------------------
  virtual Status DefineLabel(std::string_view actor, const LabelDef& label) = 0;
  virtual Result<std::vector<LabelDef>> ListLabels() = 0;

  virtual Result<Platform> CreatePlatform(std::string_view actor, const Platform& p) = 0;
  virtual Result<Platform> FindPlatform(std::string_view name) = 0;
  virtual Result<std::vector<Platform>> ListPlatforms() = 0;

  // --- items, media, matches --------------------------------------------------------
  // Stores the item with its media and their signals; returns it with ids filled in.
  virtual Result<Item> AddItem(std::string_view actor, const Item& item) = 0;
  virtual Result<Item> GetItem(int64_t id) = 0;
  // Idempotent: a match already recorded (same item, media and signal) is returned as
  // stored, without a new audit entry.
  virtual Result<Match> RecordMatch(std::string_view actor, const Match& match) = 0;
  virtual Result<std::vector<Match>> ListMatches(int64_t item_id) = 0;

  // --- collection (`vigil scan`) ------------------------------------------------------
  // Stores every item whose source_key is not stored yet, with its media, their signals
  // and its links; all in one transaction (one audit entry "item.collect" per new item).
  // An item whose key is already stored is returned as stored (media and signals
  // included) with created = false and nothing about it changes, so scanning a source
  // twice adds nothing twice. Results are in input order. InvalidArgument (nothing
  // stored) for an empty key or a bad signal value.
  virtual Result<std::vector<UpsertedItem>> UpsertItems(std::string_view actor,
                                                        std::span<const CollectedItem> items) = 0;
  virtual Result<Item> FindItemBySourceKey(std::string_view source_key) = 0;
  virtual Result<std::vector<Link>> ListLinks(int64_t item_id) = 0;
  // Records the matches not recorded yet (unique by item, media and signal; RecordMatch
  // is idempotent the same way) in one transaction, one audit entry per new match.
  // Returns how many were new.
  virtual Result<int64_t> RecordMatches(std::string_view actor, std::span<const Match> matches) = 0;
  // Creates the platforms whose name is not in the table yet (audited) and returns all of
  // `platforms` as stored (ids filled in), in input order. Existing rows are left alone.
  virtual Result<std::vector<Platform>> EnsurePlatforms(std::string_view actor,
                                                        std::span<const Platform> platforms) = 0;
  // Totals for scan summaries; `top` limits the per-platform and per-domain lists.
  virtual Result<CollectionStats> GetCollectionStats(size_t top) = 0;

  // --- scale-out work ledger (`vigil worker`) ---------------------------------------
  // Writes every result whose work_key is not in the ledger yet (the item, its media and
  // signals, its matches with their bank versions, the ledger row, audit entries) in ONE
  // transaction, all or nothing. A key already in the ledger (a redelivered message, or
  // two workers racing on one) writes nothing and comes back as stored with duplicate =
  // true, so processing a work item twice never creates a second item or match. Results
  // are in input order. Unavailable when the database is down (retry the whole batch).
  virtual Result<std::vector<WorkRecord>> RecordWork(std::string_view actor,
                                                     std::span<const WorkResult> results) {
    (void)actor, (void)results;
    return Status::Unsupported("this store has no work ledger");
  }
  // The ledger row for a key; NotFound if that work was never done.
  virtual Result<WorkRecord> GetWork(std::string_view work_key) {
    return Status::NotFound("work '" + std::string(work_key) + "' not found");
  }
  // Worker reports (migration 7): upserts the row of report.name; lists every row, by name.
  virtual Status ReportWorker(const WorkerReport& report) {
    (void)report;
    return Status::Unsupported("this store has no worker reports");
  }
  virtual Result<std::vector<WorkerReport>> ListWorkerReports() {
    return Status::Unsupported("this store has no worker reports");
  }

  // --- audit ------------------------------------------------------------------------
  // Appends an entry for a change made outside the store (a referral sent, a review
  // decision) so every action is attributable. seq, at_ms and hashes are filled in.
  virtual Result<AuditEntry> AppendAudit(std::string_view actor, std::string_view action,
                                         std::string_view target, std::string_view before,
                                         std::string_view after, std::string_view details) = 0;
  // Streams entries in seq order starting after `after_seq`.
  virtual Status ForEachAudit(int64_t after_seq,
                              const std::function<bool(const AuditEntry&)>& fn) = 0;
  // Checks the whole chain (streaming; see audit.h).
  virtual Result<AuditReport> VerifyAudit() = 0;
};

// Opens (and migrates) the store named by `db`; see the file comment.
Result<std::unique_ptr<Store>> OpenStore(std::string_view db, const StoreOptions& options = {});

}  // namespace vigil::store
