// The Store implementation for both backends. Everything is portable SQL (both databases
// accept ON CONFLICT, RETURNING, partial indexes and transactional DDL); the few dialect
// differences are the row-id column type, how a transaction takes the write lock, and the
// PostgreSQL advisory lock that serialises audit appends.
#include "store/sql_store.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <unordered_map>

#include "core/json_escape.h"
#include "store/crypto.h"

namespace vigil::store {
namespace {

using sql::Dialect;
using sql::Param;
using sql::Rows;

constexpr int64_t kPageRows = 20'000;         // rows per page when streaming
constexpr size_t kBatchRows = 256;            // rows per multi-row statement in bulk adds
constexpr int64_t kAuditLockKey = 7'305'001;  // PostgreSQL advisory lock for the chain

Param I(int64_t v) { return v; }
Param S(std::string_view v) { return std::string(v); }

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Schema migrations, oldest first. "{ID}" becomes the dialect's auto-increment primary key.
struct Migration {
  int version;
  const char* sql;
};

const Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE organisations (
  id {ID}, name TEXT NOT NULL UNIQUE, description TEXT NOT NULL DEFAULT '',
  created_ms BIGINT NOT NULL);
CREATE TABLE users (
  id {ID}, org_id BIGINT NOT NULL DEFAULT 0, name TEXT NOT NULL UNIQUE,
  email TEXT NOT NULL DEFAULT '', role TEXT NOT NULL DEFAULT '', created_ms BIGINT NOT NULL);
CREATE TABLE api_tokens (
  id {ID}, user_id BIGINT NOT NULL REFERENCES users(id), name TEXT NOT NULL,
  token_sha256 TEXT NOT NULL UNIQUE, created_ms BIGINT NOT NULL,
  expires_ms BIGINT NOT NULL DEFAULT 0, revoked_ms BIGINT NOT NULL DEFAULT 0);
CREATE INDEX api_tokens_by_user ON api_tokens(user_id);
CREATE TABLE banks (
  id {ID}, name TEXT NOT NULL UNIQUE, owner_org_id BIGINT NOT NULL DEFAULT 0,
  scope TEXT NOT NULL, description TEXT NOT NULL DEFAULT '', version BIGINT NOT NULL DEFAULT 0,
  created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL);
CREATE TABLE bank_shares (
  bank_id BIGINT NOT NULL REFERENCES banks(id), org_id BIGINT NOT NULL,
  PRIMARY KEY (bank_id, org_id));
CREATE TABLE signals (
  id {ID}, bank_id BIGINT NOT NULL REFERENCES banks(id), type TEXT NOT NULL,
  value TEXT NOT NULL, quality INTEGER NOT NULL DEFAULT -1, labels TEXT NOT NULL DEFAULT '',
  contributor_org_id BIGINT NOT NULL DEFAULT 0, source_exchange TEXT NOT NULL DEFAULT '',
  added_ms BIGINT NOT NULL, removed_ms BIGINT NOT NULL DEFAULT 0, version BIGINT NOT NULL);
-- value first: bulk adds look up `value IN (...)`, which PostgreSQL only turns into an
-- index condition on a leading column (otherwise it scans the whole bank per batch).
CREATE UNIQUE INDEX signals_by_value ON signals(value, type, bank_id);
CREATE INDEX signals_by_version ON signals(bank_id, version);
CREATE INDEX signals_live_by_type ON signals(type, id) WHERE removed_ms = 0;
CREATE TABLE labels (
  name TEXT PRIMARY KEY, dimension TEXT NOT NULL, description TEXT NOT NULL DEFAULT '');
CREATE TABLE platforms (
  id {ID}, name TEXT NOT NULL UNIQUE, domains TEXT NOT NULL DEFAULT '',
  referral_contact TEXT NOT NULL DEFAULT '', created_ms BIGINT NOT NULL);
CREATE TABLE items (
  id {ID}, source TEXT NOT NULL DEFAULT '', platform_id BIGINT NOT NULL DEFAULT 0,
  url TEXT NOT NULL DEFAULT '', account TEXT NOT NULL DEFAULT '',
  posted_ms BIGINT NOT NULL DEFAULT 0, language TEXT NOT NULL DEFAULT '',
  collected_ms BIGINT NOT NULL DEFAULT 0);
CREATE TABLE media (
  id {ID}, item_id BIGINT NOT NULL REFERENCES items(id), kind TEXT NOT NULL DEFAULT '',
  uri TEXT NOT NULL DEFAULT '', sha256 TEXT NOT NULL DEFAULT '');
CREATE INDEX media_by_item ON media(item_id);
CREATE TABLE media_signals (
  media_id BIGINT NOT NULL REFERENCES media(id), type TEXT NOT NULL, value TEXT NOT NULL,
  quality INTEGER NOT NULL DEFAULT -1, PRIMARY KEY (media_id, type, value));
CREATE TABLE matches (
  id {ID}, item_id BIGINT NOT NULL, media_id BIGINT NOT NULL DEFAULT 0,
  signal_id BIGINT NOT NULL, distance INTEGER NOT NULL DEFAULT 0, matched_ms BIGINT NOT NULL);
CREATE INDEX matches_by_item ON matches(item_id);
CREATE TABLE audit_log (
  seq BIGINT PRIMARY KEY, at_ms BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
  target TEXT NOT NULL, before_state TEXT NOT NULL, after_state TEXT NOT NULL,
  details TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
)sql"},
    // Placeholders reserved so that work on different components can add tables without
    // renumbering each other; each is replaced by its component's schema.
    // Collection (issue 5): a stable key per collected item (NULL for items added by
    // other paths; both databases allow many NULLs in a unique index), the links found in
    // items, and one row per (item, media, signal) match so re-scans record nothing twice.
    {2, R"sql(
ALTER TABLE items ADD COLUMN source_key TEXT;
CREATE UNIQUE INDEX items_by_source_key ON items(source_key);
CREATE TABLE links (
  id {ID}, item_id BIGINT NOT NULL REFERENCES items(id), url TEXT NOT NULL,
  domain TEXT NOT NULL DEFAULT '', platform TEXT NOT NULL DEFAULT '',
  platform_id BIGINT NOT NULL DEFAULT 0, is_unknown INTEGER NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX links_by_item_url ON links(item_id, url);
CREATE INDEX links_by_domain ON links(domain);
CREATE INDEX links_by_platform ON links(platform);
DELETE FROM matches WHERE id NOT IN (
  SELECT MIN(id) FROM matches GROUP BY item_id, media_id, signal_id);
CREATE UNIQUE INDEX matches_by_item_media_signal ON matches(item_id, media_id, signal_id);
)sql"},
    // Referrals, removal orders, holds, evidence (issue 7; store/referral_store.h). A
    // referral's full record is one JSON document (workflow/codec.h); the columns beside
    // it and the child tables are what queries filter on, plus the append-only status
    // history and delivery attempts.
    {3, R"sql(
CREATE TABLE referral_counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO referral_counters (name, value) VALUES ('referral', 0), ('hold', 0);
CREATE TABLE referrals (
  id BIGINT PRIMARY KEY, platform_id TEXT NOT NULL, route TEXT NOT NULL, state TEXT NOT NULL,
  operation TEXT NOT NULL DEFAULT '', lead_org TEXT NOT NULL DEFAULT '',
  created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL, record TEXT NOT NULL);
CREATE INDEX referrals_by_state ON referrals(state, id);
CREATE INDEX referrals_by_platform ON referrals(platform_id, id);
CREATE INDEX referrals_by_operation ON referrals(operation, id);
CREATE TABLE referral_orgs (
  referral_id BIGINT NOT NULL REFERENCES referrals(id), org TEXT NOT NULL,
  PRIMARY KEY (referral_id, org));
CREATE INDEX referral_orgs_by_org ON referral_orgs(org, referral_id);
CREATE TABLE referral_items (
  referral_id BIGINT NOT NULL REFERENCES referrals(id), pos INTEGER NOT NULL,
  platform_id TEXT NOT NULL, url TEXT NOT NULL, sha256 TEXT NOT NULL,
  item_id BIGINT NOT NULL DEFAULT 0, is_open INTEGER NOT NULL,
  removed_ms BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (referral_id, pos));
CREATE INDEX referral_items_open_url ON referral_items(platform_id, url) WHERE is_open = 1;
CREATE INDEX referral_items_open_sha ON referral_items(platform_id, sha256) WHERE is_open = 1;
CREATE INDEX referral_items_by_item ON referral_items(item_id);
CREATE TABLE referral_events (
  referral_id BIGINT NOT NULL REFERENCES referrals(id), seq INTEGER NOT NULL,
  at_ms BIGINT NOT NULL, actor TEXT NOT NULL, from_state TEXT NOT NULL, to_state TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '', PRIMARY KEY (referral_id, seq));
CREATE TABLE referral_deliveries (
  referral_id BIGINT NOT NULL REFERENCES referrals(id), seq INTEGER NOT NULL,
  channel TEXT NOT NULL, endpoint TEXT NOT NULL DEFAULT '', attempts INTEGER NOT NULL DEFAULT 0,
  delivered_ms BIGINT NOT NULL DEFAULT 0, status_code INTEGER NOT NULL DEFAULT 0,
  remote_reference TEXT NOT NULL DEFAULT '', idempotency_key TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '', PRIMARY KEY (referral_id, seq));
CREATE TABLE referral_holds (
  id BIGINT PRIMARY KEY, org TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL,
  platform_id TEXT NOT NULL DEFAULT '', note TEXT NOT NULL DEFAULT '',
  created_ms BIGINT NOT NULL, expires_ms BIGINT NOT NULL DEFAULT 0,
  released_ms BIGINT NOT NULL DEFAULT 0);
CREATE TABLE referral_hold_hits (
  id {ID}, hold_id BIGINT NOT NULL, holder_org TEXT NOT NULL, referral_id BIGINT NOT NULL,
  referring_org TEXT NOT NULL, platform_id TEXT NOT NULL, matched TEXT NOT NULL,
  at_ms BIGINT NOT NULL);
CREATE INDEX referral_hold_hits_by_holder ON referral_hold_hits(holder_org, id);
CREATE TABLE platform_notices (platform_id TEXT PRIMARY KEY, at_ms BIGINT NOT NULL);
CREATE TABLE evidence (
  id {ID}, referral_id BIGINT NOT NULL, item_id BIGINT NOT NULL DEFAULT 0,
  kind TEXT NOT NULL, name TEXT NOT NULL, sha256 TEXT NOT NULL, bytes BIGINT NOT NULL,
  location TEXT NOT NULL DEFAULT '', sealed_ms BIGINT NOT NULL, expires_ms BIGINT NOT NULL,
  deleted_ms BIGINT NOT NULL DEFAULT 0);
CREATE INDEX evidence_by_referral ON evidence(referral_id, id);
CREATE INDEX evidence_live_by_expiry ON evidence(expires_ms) WHERE deleted_ms = 0;
)sql"},
    // Scale-out (issue 10): the work ledger makes worker processing idempotent (one row per
    // work key, written in the same transaction as the item and its matches), and every
    // match records the bank version of the index that made it.
    {4, R"sql(
CREATE TABLE work_ledger (
  work_key TEXT PRIMARY KEY, item_id BIGINT NOT NULL DEFAULT 0,
  matches INTEGER NOT NULL DEFAULT 0, worker TEXT NOT NULL DEFAULT '', done_ms BIGINT NOT NULL);
ALTER TABLE matches ADD COLUMN bank_version BIGINT NOT NULL DEFAULT 0;
)sql"},
    // Reserved: 5 = operations (issue 7), 6 = reversals (issue 7), 7 = scale-out metrics
    // (issue 10). Each owner replaces only its own placeholder.
    // Operations ("action days", issue 7 item 9; store/operation_store.h): organisations,
    // window and collection sources. items_by_source makes "items collected from the
    // operation's sources in its window" an index range per source.
    {5, R"sql(
CREATE TABLE operations (
  name TEXT PRIMARY KEY, title TEXT NOT NULL DEFAULT '', start_ms BIGINT NOT NULL,
  end_ms BIGINT NOT NULL DEFAULT 0, state TEXT NOT NULL, created_by TEXT NOT NULL DEFAULT '',
  created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL);
CREATE TABLE operation_orgs (
  operation TEXT NOT NULL REFERENCES operations(name), org TEXT NOT NULL,
  PRIMARY KEY (operation, org));
CREATE INDEX operation_orgs_by_org ON operation_orgs(org, operation);
CREATE TABLE operation_sources (
  operation TEXT NOT NULL REFERENCES operations(name), pos INTEGER NOT NULL,
  source TEXT NOT NULL, PRIMARY KEY (operation, pos));
CREATE INDEX items_by_source ON items(source, collected_ms);
)sql"},
    // Reversals (issue 7 item 8; workflow/reversal.h): a reversed signal is tombstoned and
    // keeps when and why (an import does not bring it back); content_reversals keeps every
    // reversed value whether or not a bank holds it (no new referral of it); notices to the
    // platforms that acted are queued in reversal_notices (one JSON record each, like
    // referrals).
    {6, R"sql(
ALTER TABLE signals ADD COLUMN reversed_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE signals ADD COLUMN reversal_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE signals ADD COLUMN reversal_reason TEXT NOT NULL DEFAULT '';
CREATE TABLE content_reversals (
  reversal_id BIGINT NOT NULL, type TEXT NOT NULL, value TEXT NOT NULL, bank TEXT NOT NULL,
  reason TEXT NOT NULL, at_ms BIGINT NOT NULL, PRIMARY KEY (value, type, reversal_id));
CREATE TABLE reversal_notices (
  id BIGINT PRIMARY KEY, reversal_id BIGINT NOT NULL, referral_id BIGINT NOT NULL,
  platform_id TEXT NOT NULL, state TEXT NOT NULL, idempotency_key TEXT NOT NULL UNIQUE,
  created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL, record TEXT NOT NULL);
CREATE INDEX reversal_notices_by_state ON reversal_notices(state, platform_id, id);
CREATE INDEX reversal_notices_by_referral ON reversal_notices(referral_id, id);
INSERT INTO referral_counters (name, value) VALUES ('reversal', 0), ('reversal_notice', 0);
)sql"},
    // Scale-out metrics (issue 10): each `vigil worker` upserts its own row every metrics
    // interval, so `vigil serve` can show per-worker rates without subscribing to NATS.
    {7, R"sql(
CREATE TABLE worker_reports (
  name TEXT PRIMARY KEY, processed BIGINT NOT NULL DEFAULT 0,
  duplicates BIGINT NOT NULL DEFAULT 0, matches BIGINT NOT NULL DEFAULT 0,
  dead BIGINT NOT NULL DEFAULT 0, rate_milli BIGINT NOT NULL DEFAULT 0,
  bank_versions TEXT NOT NULL DEFAULT '', started_ms BIGINT NOT NULL,
  last_seen_ms BIGINT NOT NULL);
)sql"},
    // Index load (issue 10): ForEachSignal (the full load of `vigil serve` and `vigil scan`)
    // pages "bank_id = ? AND id > ? ... ORDER BY id LIMIT ?"; without (bank_id, id) every page
    // sorted the whole bank.
    {8, R"sql(
CREATE INDEX signals_by_bank_id ON signals(bank_id, id);
)sql"},
};

std::string ForDialect(std::string sql, Dialect d) {
  const std::string id = d == Dialect::kSqlite ? "INTEGER PRIMARY KEY" : "BIGSERIAL PRIMARY KEY";
  for (size_t p; (p = sql.find("{ID}")) != std::string::npos;) sql.replace(p, 4, id);
  return sql;
}

// A transaction that rolls back unless committed.
class Txn {
 public:
  explicit Txn(sql::Connection& c) : c_(c) {}
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  ~Txn() {
    if (active_) (void)c_.ExecScript("ROLLBACK");
  }
  Status Begin() {
    // SQLite: take the write lock now, so two writers never deadlock upgrading.
    Status s = c_.ExecScript(c_.dialect() == Dialect::kSqlite ? "BEGIN IMMEDIATE" : "BEGIN");
    active_ = s.ok();
    return s;
  }
  Status Commit() {
    active_ = false;
    return c_.ExecScript("COMMIT");
  }

 private:
  sql::Connection& c_;
  bool active_ = false;
};

constexpr const char* kSignalCols =
    "id, bank_id, type, value, quality, labels, contributor_org_id, source_exchange, added_ms, "
    "removed_ms, version";

Signal ReadSignal(Rows& r) {
  Signal s;
  s.id = r.Int(0);
  s.bank_id = r.Int(1);
  s.type = ParseSignalType(r.Text(2)).value_or(SignalType::kText);
  s.value = r.Text(3);
  s.quality = static_cast<int>(r.Int(4));
  s.labels = SplitLabels(r.Text(5));
  s.contributor_org_id = r.Int(6);
  s.source_exchange = r.Text(7);
  s.added_ms = r.Int(8);
  s.removed_ms = r.Int(9);
  s.version = r.Int(10);
  return s;
}

constexpr const char* kAuditCols =
    "seq, at_ms, actor, action, target, before_state, after_state, details, prev_hash, hash";

AuditEntry ReadAudit(Rows& r) {
  AuditEntry e;
  e.seq = r.Int(0);
  e.at_ms = r.Int(1);
  e.actor = r.Text(2);
  e.action = r.Text(3);
  e.target = r.Text(4);
  e.before = r.Text(5);
  e.after = r.Text(6);
  e.details = r.Text(7);
  e.prev_hash = r.Text(8);
  e.hash = r.Text(9);
  return e;
}

std::string Target(std::string_view kind, int64_t id) {
  return std::string(kind) + ":" + std::to_string(id);
}

class SqlStore final : public Store {
 public:
  SqlStore(std::unique_ptr<sql::Connection> conn, const StoreOptions& options)
      : conn_(std::move(conn)), options_(options) {
    if (!options_.now_ms) options_.now_ms = SystemNowMs;
  }

  sql::Connection& connection() { return *conn_; }
  // AppendAuditInTransaction (sql_store.h): chains an entry into the caller's transaction.
  Result<AuditEntry> AppendAuditInCallerTransaction(std::string_view actor, std::string_view action,
                                                    std::string_view target,
                                                    std::string_view before, std::string_view after,
                                                    std::string_view details) {
    return AppendAuditLocked(actor, action, target, before, after, details);
  }

  Backend backend() const override {
    return conn_->dialect() == Dialect::kSqlite ? Backend::kSqlite : Backend::kPostgres;
  }

  Status Migrate() {
    Txn txn(*conn_);
    VIGIL_RETURN_IF_ERROR(txn.Begin());
    if (conn_->dialect() == Dialect::kPostgres) {
      VIGIL_RETURN_IF_ERROR(Drain("SELECT pg_advisory_xact_lock(?)", {I(kAuditLockKey)}));
    }
    VIGIL_RETURN_IF_ERROR(conn_->ExecScript(
        "CREATE TABLE IF NOT EXISTS vigil_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"));
    VIGIL_ASSIGN_OR_RETURN(int current, ReadSchemaVersion());
    if (current > kSchemaVersion) {
      return Status::FailedPrecondition("this store has schema version " + std::to_string(current) +
                                        ", newer than this vigil supports (" +
                                        std::to_string(kSchemaVersion) +
                                        "); upgrade vigil before opening it");
    }
    if (current == kSchemaVersion) return txn.Commit();
    for (const Migration& m : kMigrations) {
      if (m.version <= current) continue;
      Status s = conn_->ExecScript(ForDialect(m.sql, conn_->dialect()));
      if (!s.ok()) return s.WithContext("schema migration " + std::to_string(m.version));
      if (m.version == 1) {
        for (const LabelDef& l : DefaultTaxonomy()) {
          VIGIL_RETURN_IF_ERROR(
              Exec("INSERT INTO labels (name, dimension, description) VALUES (?, ?, ?)",
                   {S(l.name), S(LabelDimensionName(l.dimension)), S(l.description)})
                  .status());
        }
      }
    }
    VIGIL_RETURN_IF_ERROR(Exec("INSERT INTO vigil_meta (key, value) VALUES ('schema_version', ?) "
                               "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                               {S(std::to_string(kSchemaVersion))})
                              .status());
    VIGIL_RETURN_IF_ERROR(AppendAuditLocked("system", "store.migrate", "store",
                                            "schema " + std::to_string(current),
                                            "schema " + std::to_string(kSchemaVersion), "")
                              .status());
    return txn.Commit();
  }

  Result<int> SchemaVersion() override { return ReadSchemaVersion(); }

  // --- organisations, users, tokens ---------------------------------------------------
  Result<Organisation> CreateOrganisation(std::string_view actor, std::string_view name,
                                          std::string_view description) override {
    if (name.empty() || name.size() > 200) {
      return Status::InvalidArgument("an organisation name has 1 to 200 characters");
    }
    Txn txn(*conn_);
    VIGIL_RETURN_IF_ERROR(txn.Begin());
    Organisation o{0, std::string(name), std::string(description), Now()};
    auto id = InsertId(
        "INSERT INTO organisations (name, description, created_ms) VALUES (?, ?, ?) RETURNING id",
        {S(o.name), S(o.description), I(o.created_ms)});
    if (!id.ok()) return Named(id.status(), "organisation '" + o.name + "'");
    o.id = *id;
    VIGIL_RETURN_IF_ERROR(
        AppendAuditLocked(actor, "organisation.create", Target("org", o.id), "", o.name, "")
            .status());
    VIGIL_RETURN_IF_ERROR(txn.Commit());
    return o;
  }

  Result<Organisation> GetOrganisation(int64_t id) override {
    return OneOrg("SELECT id, name, description, created_ms FROM organisations WHERE id = ?",
                  {I(id)}, "organisation " + std::to_string(id));
  }
  Result<Organisation> FindOrganisation(std::string_view name) override {
    return OneOrg("SELECT id, name, description, created_ms FROM organisations WHERE name = ?",
                  {S(name)}, "organisation '" + std::string(name) + "'");
  }
  Result<std::vector<Organisation>> ListOrganisations() override {
    VIGIL_ASSIGN_OR_RETURN(
        auto rows,
        Q("SELECT id, name, description, created_ms FROM organisations ORDER BY id", {}));
    std::vector<Organisation> out;
    while (true) {
      VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
      if (!more) break;
      out.push_back({rows->Int(0), rows->Text(1), rows->Text(2), rows->Int(3)});
    }
    return out;
  }

  Result<User> CreateUser(std::string_view actor, const User& user) override {
    if (user.name.empty() || user.name.size() > 200) {
      return Status::InvalidArgument("a user name has 1 to 200 characters");
    }
    Txn txn(*conn_);
    VIGIL_RETURN_IF_ERROR(txn.Begin());
    User u = user;
    u.created_ms = Now();
    if (u.org_id != 0) VIGIL_RETURN_IF_ERROR(GetOrganisation(u.org_id).status());
    auto id = InsertId(
        "INSERT INTO users (org_id, name, email, role, created_ms) VALUES (?, ?, ?, ?, ?) "
        "RETURNING id",
        {I(u.org_id), S(u.name), S(u.email), S(u.role), I(u.created_ms)});
    if (!id.ok()) return Named(id.status(), "user '" + u.name + "'");
    u.id = *id;
    VIGIL_RETURN_IF_ERROR(
        AppendAuditLocked(actor, "user.create", Target("user", u.id), "", u.name, "role=" + u.role)
            .status());
    VIGIL_RETURN_IF_ERROR(txn.Commit());
    return u;
  }

  Result<User> GetUser(int64_t id) override {
    return OneUser("WHERE id = ?", {I(id)}, "user " + std::to_string(id));
  }
  Result<User> FindUser(std::string_view name) override {
    return OneUser("WHERE name = ?", {S(name)}, "user '" + std::string(name) + "'");
  }

  Result<NewApiToken> CreateApiToken(std::string_view actor, int64_t user_id, std::string_view name,
                                     int64_t expires_ms) override {
    Txn txn(*conn_);
    VIGIL_RETURN_IF_ERROR(txn.Begin());
    VIGIL_RETURN_IF_ERROR(GetUser(user_id).status());
    VIGIL_ASSIGN_OR_RETURN(std::string raw, RandomBytes(32));
    NewApiToken t;
    t.secret = "vgl_" + Base64Url(raw);
    t.token = {0, user_id, std::string(name), Now(), expires_ms, 0};
    VIGIL_ASSIGN_OR_RETURN(
        t.token.id,
        InsertId(
            "INSERT INTO api_tokens (user_id, name, token_sha256, created_ms, expires_ms) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            {I(user_id), S(name), S(Sha256Hex(t.secret)), I(t.token.created_ms), I(expires_ms)}));
    VIGIL_RETURN_IF_ERROR(AppendAuditLocked(actor, "token.create", Target("token", t.token.id), "",
                                            Target("user", user_id), std::string(name))
                              .status());
    VIGIL_RETURN_IF_ERROR(txn.Commit());
    return t;
  }

  Result<User> AuthenticateToken(std::string_view secret) override {
    VIGIL_ASSIGN_OR_RETURN(
        auto rows,
        Q("SELECT user_id, expires_ms, revoked_ms FROM api_tokens WHERE token_sha256 = ?",
          {S(Sha256Hex(secret))}));
    VIGIL_ASSIGN_OR_RETURN(bool found, rows->Next());
    if (!found) return Status::Unauthenticated("unknown API token");
    int64_t user_id = rows->Int(0), expires = rows->Int(1), revoked = rows->Int(2);
    rows.reset();
    if (revoked != 0) return Status::Unauthenticated("API token revoked");
    if (expires != 0 && Now() >= expires) return Status::Unauthenticated("API token expired");
    return GetUser(user_id);
  }

  Status RevokeApiToken(std::string_view actor, int64_t token_id) override {
    Txn txn(*conn_);
    VIGIL_RETURN_IF_ERROR(txn.Begin());
    VIGIL_ASSIGN_OR_RETURN(
        int64_t n, Exec("UPDATE api_tokens SET revoked_ms = ? WHERE id = ? AND revoked_ms = 0",
                        {I(Now()), I(token_id)}));
    if (n == 0) return Status::NotFound("no live API token " + std::to_string(token_id));
    VIGIL_RETURN_IF_ERROR(
        AppendAuditLocked(actor, "token.revoke", Target("token", token_id), "live", "revoked", "")
            .status());
    return txn.Commit();
  }

  Result<std::vector<ApiToken>> ListApiTokens(int64_t user_id) override {
    VIGIL_ASSIGN_OR_RETURN(auto rows, Q("SELECT id, user_id, name, created_ms, expires_ms, "
                                        "revoked_ms FROM api_tokens WHERE user_id = ? ORDER BY id",
                                        {I(user_id)}));
    std::vector<ApiToken> out;
    while (true) {
      VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
      if (!more) break;
      out.push_back(
          {rows->Int(0), rows->Int(1), rows->Text(2), rows->Int(3), rows->Int(4), rows->Int(5)});
    }
    return out;
  }

  // --- banks --------------------------------------------------------------------------
  Result<Bank> CreateBank(std::string_view actor, const Bank& spec) override {
    VIGIL_RETURN_IF_ERROR(ValidateBankName(spec.name));
    Txn txn(*conn_);
    VIGIL_RETURN_IF_ERROR(txn.Begin());
    if (spec.owner_org_id != 0) VIGIL_RETURN_IF_ERROR(GetOrganisation(spec.owner_org_id).status());
    Bank b = spec;
    b.version = 0;
    b.created_ms = b.updated_ms = Now();
    auto id = InsertId(
        "INSERT INTO banks (name, owner_org_id, scope, description, version, created_ms, "
        "updated_ms) VALUES (?, ?, ?, ?, 0, ?, ?) RETURNING id",
        {S(b.name), I(b.owner_org_id), S(SharingScopeName(b.scope)), S(b.description),
         I(b.created_ms), I(b.updated_ms)});
    if (!id.ok()) return Named(id.status(), "bank '" + b.name + "'");
    b.id = *id;
    VIGIL_RETURN_IF_ERROR(WriteShares(b.id, b.shared_with));
    VIGIL_RETURN_IF_ERROR(
        AppendAuditLocked(actor, "bank.create", Target("bank", b.id), "", b.name, SharingDetails(b))
            .status());
    VIGIL_RETURN_IF_ERROR(txn.Commit());
    return GetBank(b.id);
  }

  Result<Bank> GetBank(int64_t id) override {
    return OneBank("WHERE id = ?", {I(id)}, "bank " + std::to_string(id));
  }
  Result<Bank> FindBank(std::string_view name) override {
    return OneBank("WHERE name = ?", {S(name)}, "bank '" + std::string(name) + "'");
  }
  Result<std::vector<Bank>> ListBanks() override {
    VIGIL_ASSIGN_OR_RETURN(std::vector<Bank> banks, ReadBanks("ORDER BY name", {}));
    for (Bank& b : banks) VIGIL_RETURN_IF_ERROR(ReadShares(b));
    return banks;
  }

  Status UpdateBankSharing(std::string_view actor, int64_t bank_id, SharingScope scope,
                           const std::vector<int64_t>& shared_with,
                           std::string_view description) override {
    Txn txn(*conn_);
    VIGIL_RETURN_IF_ERROR(txn.Begin());
    VIGIL_ASSIGN_OR_RETURN(Bank before, GetBank(bank_id));
    for (int64_t org : shared_with) VIGIL_RETURN_IF_ERROR(GetOrganisation(org).status());
    VIGIL_RETURN_IF_ERROR(
        Exec("UPDATE banks SET scope = ?, description = ?, updated_ms = ? WHERE id = ?",
             {S(SharingScopeName(scope)), S(description), I(Now()), I(bank_id)})
            .status());
    VIGIL_RETURN_IF_ERROR(Exec("DELETE FROM bank_shares WHERE bank_id = ?", {I(bank_id)}).status());
    VIGIL_RETURN_IF_ERROR(WriteShares(bank_id, shared_with));
    Bank after = before;
    after.scope = scope;
    after.shared_with = shared_with;
    VIGIL_RETURN_IF_ERROR(AppendAuditLocked(actor, "bank.share", Target("bank", bank_id),
                                            SharingDetails(before), SharingDetails(after), "")
                              .status());
    return txn.Commit();
  }

  // --- signals ------------------------------------------------------------------------
  Result<ChangeResult> ApplySignalChanges(std::string_view actor, int64_t bank_id,
                                          std::span<const SignalInput> signals,
                                          std::span<const MediaSignal> removals,
                                          int64_t contributor_org_id) override {
    if (signals.size() + removals.size() > kMaxSignalsPerChange) {
      return Status::ResourceExhausted("more than " + std::to_string(kMaxSignalsPerChange) +
                                       " signals in one change; split the import");
    }
    // Canonicalise and merge duplicates within the input first, so the database sees each
    // (type, value) once.
    std::vector<SignalInput> todo;
    todo.reserve(signals.size());
    std::unordered_map<std::string, size_t> seen;
    seen.reserve(signals.size());
    for (size_t i = 0; i < signals.size(); ++i) {
      const SignalInput& in = signals[i];
      std::string where = "signal " + std::to_string(i + 1) + ": ";
      auto value = CanonicalSignalValue(in.type, in.value);
      if (!value.ok()) return Status(value.status().code(), where + value.status().message());
      if (in.quality < -1 || in.quality > 100) {
        return Status::InvalidArgument(where + "quality must be -1 (unknown) or 0..100");
      }
      if (in.labels.size() > kMaxLabelsPerSignal) {
        return Status::InvalidArgument(where + "more than " + std::to_string(kMaxLabelsPerSignal) +
                                       " labels");
      }
      std::vector<std::string> labels;
      for (const std::string& l : in.labels) {
        auto c = CanonicalLabel(l);
        if (!c.ok()) return Status::InvalidArgument(where + c.status().message());
        labels.push_back(*std::move(c));
      }
      labels = MergeLabels(labels, {});
      std::string key = std::string(SignalTypeName(in.type)) + '\n' + *value;
      auto [it, fresh] = seen.emplace(std::move(key), todo.size());
      if (fresh) {
        todo.push_back(
            {in.type, *std::move(value), in.quality, std::move(labels), in.source_exchange});
      } else {
        SignalInput& prev = todo[it->second];
        prev.labels = MergeLabels(prev.labels, labels);
        prev.quality = std::max(prev.quality, in.quality);
      }
    }
    seen.clear();
    std::stable_sort(todo.begin(), todo.end(),
                     [](const SignalInput& a, const SignalInput& b) { return a.type < b.type; });

    Txn txn(*conn_);
    VIGIL_RETURN_IF_ERROR(txn.Begin());
    VIGIL_ASSIGN_OR_RETURN(Bank bank, GetBank(bank_id));
    // Bumping the version first locks the bank row (PostgreSQL) so concurrent changes to
    // one bank get distinct versions; if nothing changes the transaction rolls back.
    VIGIL_ASSIGN_OR_RETURN(int64_t version, BumpVersion(bank_id));
    const int64_t now = Now();
    const int64_t contributor = contributor_org_id ? contributor_org_id : bank.owner_org_id;
    ChangeResult result;

    struct Existing {
      int64_t id;
      int quality;
      std::string labels;
      bool removed;
      bool reversed;  // reversed (workflow/reversal.h): an import does not bring it back
    };
    std::unordered_map<std::string, Existing> existing;
    std::vector<const SignalInput*> inserts;
    std::vector<Param> params;
    // PostgreSQL pays a round trip per statement, so rows travel in batches; SQLite runs
    // in-process, where one cached single-row statement per row is cheapest.
    const size_t batch_rows = conn_->dialect() == Dialect::kSqlite ? 1 : kBatchRows;
    for (size_t start = 0; start < todo.size();) {
      SignalType type = todo[start].type;
      size_t end = start;
      while (end < todo.size() && end - start < batch_rows && todo[end].type == type) ++end;
      const size_t n = end - start;
      // Which of this batch are already in the bank? The query names only value and type
      // (bank filtered here): given bank_id, PostgreSQL's planner, with no statistics for
      // rows inserted in this very transaction, prefers the bank_id index and rescans the
      // whole bank for every batch, which made bulk imports quadratic.
      std::string q =
          "SELECT id, value, quality, labels, removed_ms, bank_id, reversed_ms FROM signals "
          "WHERE type = ? "
          "AND value IN (";
      params.clear();
      params.push_back(S(SignalTypeName(type)));
      for (size_t i = 0; i < n; ++i) {
        q += i ? ",?" : "?";
        params.push_back(todo[start + i].value);
      }
      q += ")";
      existing.clear();
      {
        VIGIL_ASSIGN_OR_RETURN(auto rows, conn_->Query(q, params));
        while (true) {
          VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
          if (!more) break;
          if (rows->Int(5) != bank_id) continue;
          existing.emplace(rows->Text(1),
                           Existing{rows->Int(0), static_cast<int>(rows->Int(2)), rows->Text(3),
                                    rows->Int(4) != 0, rows->Int(6) != 0});
        }
      }
      inserts.clear();
      for (size_t i = start; i < end; ++i) {
        const SignalInput& in = todo[i];
        auto it = existing.find(in.value);
        if (it == existing.end()) {
          inserts.push_back(&in);
          continue;
        }
        const Existing& ex = it->second;
        if (ex.reversed) {
          ++result.unchanged;  // a reversed signal stays out of the bank
          continue;
        }
        if (ex.removed) {
          // A tombstone comes back as a fresh signal with the new provenance.
          VIGIL_RETURN_IF_ERROR(
              Exec("UPDATE signals SET quality = ?, labels = ?, contributor_org_id = ?, "
                   "source_exchange = ?, added_ms = ?, removed_ms = 0, version = ? WHERE id = ?",
                   {I(in.quality), S(JoinLabels(in.labels)), I(contributor), S(in.source_exchange),
                    I(now), I(version), I(ex.id)})
                  .status());
          ++result.added;
          continue;
        }
        std::vector<std::string> merged = MergeLabels(SplitLabels(ex.labels), in.labels);
        int quality = std::max(ex.quality, in.quality);
        std::string joined = JoinLabels(merged);
        if (joined == ex.labels && quality == ex.quality) {
          ++result.unchanged;
          continue;
        }
        VIGIL_RETURN_IF_ERROR(
            Exec("UPDATE signals SET quality = ?, labels = ?, version = ? WHERE id = ?",
                 {I(quality), S(joined), I(version), I(ex.id)})
                .status());
        ++result.merged;
      }
      if (!inserts.empty()) {
        std::string ins =
            "INSERT INTO signals (bank_id, type, value, quality, labels, contributor_org_id, "
            "source_exchange, added_ms, removed_ms, version) VALUES ";
        params.clear();
        for (size_t i = 0; i < inserts.size(); ++i) {
          ins += i ? ",(?,?,?,?,?,?,?,?,0,?)" : "(?,?,?,?,?,?,?,?,0,?)";
          const SignalInput& in = *inserts[i];
          params.push_back(I(bank_id));
          params.push_back(S(SignalTypeName(in.type)));
          params.push_back(in.value);
          params.push_back(I(in.quality));
          params.push_back(JoinLabels(in.labels));
          params.push_back(I(contributor));
          params.push_back(in.source_exchange);
          params.push_back(I(now));
          params.push_back(I(version));
        }
        VIGIL_RETURN_IF_ERROR(conn_->Execute(ins, params).status());
        result.added += static_cast<int64_t>(inserts.size());
      }
      start = end;
    }
    for (size_t i = 0; i < removals.size(); ++i) {
      auto value = CanonicalSignalValue(removals[i].type, removals[i].value);
      if (!value.ok()) {
        return Status(value.status().code(),
                      "removal " + std::to_string(i + 1) + ": " + value.status().message());
      }
      VIGIL_ASSIGN_OR_RETURN(
          int64_t n,
          Exec("UPDATE signals SET removed_ms = ?, version = ? WHERE bank_id = ? AND "
               "type = ? AND value = ? AND removed_ms = 0",
               {I(now), I(version), I(bank_id), S(SignalTypeName(removals[i].type)), S(*value)}));
      result.removed += n;
    }
    if (result.added == 0 && result.merged == 0 && result.removed == 0) {
      result.version = bank.version;
      return result;  // nothing changed: roll back the version bump
    }
    result.version = version;
    std::string action = removals.empty()  ? "signals.add"
                         : signals.empty() ? "signals.remove"
                                           : "signals.change";
    VIGIL_RETURN_IF_ERROR(
        AppendAuditLocked(actor, action, Target("bank", bank_id),
                          "version " + std::to_string(bank.version),
                          "version " + std::to_string(version),
                          "{\"added\":" + std::to_string(result.added) +
                              ",\"merged\":" + std::to_string(result.merged) +
                              ",\"unchanged\":" + std::to_string(result.unchanged) +
                              ",\"removed\":" + std::to_string(result.removed) + "}")
            .status());
    VIGIL_RETURN_IF_ERROR(txn.Commit());
    return result;
  }

  Result<Signal> GetSignal(int64_t bank_id, SignalType type, std::string_view value) override {
    VIGIL_ASSIGN_OR_RETURN(std::string canon, CanonicalSignalValue(type, value));
    VIGIL_ASSIGN_OR_RETURN(auto rows,
                           Q(std::string("SELECT ") + kSignalCols +
                                 " FROM signals WHERE bank_id = ? AND type = ? AND value = ?",
                             {I(bank_id), S(SignalTypeName(type)), S(canon)}));
    VIGIL_ASSIGN_OR_RETURN(bool found, rows->Next());
    if (!found) {
      return Status::NotFound(std::string(SignalTypeName(type)) + " signal not in bank " +
                              std::to_string(bank_id));
    }
    return ReadSignal(*rows);
  }

  Status ForEachSignal(int64_t bank_id, const SignalQuery& query,
                       const std::function<bool(const Signal&)>& fn) override {
    // A full read follows signals_by_bank_id (bank_id, id): an index range per page. A delta
    // (since_version) follows signals_by_version and sorts the few changed rows; "+id" keeps
    // SQLite from choosing signals_by_bank_id there, which would walk the whole bank.
    std::string q = std::string("SELECT ") + kSignalCols + " FROM signals WHERE bank_id = ? AND " +
                    (query.since_version > 0 ? "+id > ?" : "id > ?");
    if (query.since_version > 0) q += " AND version > ?";
    if (!query.include_removed && query.since_version == 0) q += " AND removed_ms = 0";
    if (query.type) q += " AND type = ?";
    q += " ORDER BY id LIMIT ?";
    int64_t after = 0, emitted = 0;
    std::vector<Signal> page;
    std::vector<Param> params;
    while (true) {
      params = {I(bank_id), I(after)};
      if (query.since_version > 0) params.push_back(I(query.since_version));
      if (query.type) params.push_back(S(SignalTypeName(*query.type)));
      params.push_back(I(kPageRows));
      page.clear();
      {
        VIGIL_ASSIGN_OR_RETURN(auto rows, conn_->Query(q, params));
        while (true) {
          VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
          if (!more) break;
          page.push_back(ReadSignal(*rows));
        }
      }
      for (const Signal& s : page) {
        if (!query.label.empty() &&
            !std::binary_search(s.labels.begin(), s.labels.end(), query.label)) {
          continue;
        }
        if (!fn(s)) return Status::OK();
        if (query.limit > 0 && ++emitted >= query.limit) return Status::OK();
      }
      if (static_cast<int64_t>(page.size()) < kPageRows) return Status::OK();
      after = page.back().id;
    }
  }

  Status ForEachLiveSignalKey(SignalType type, int64_t bank_id,
                              const std::function<bool(const LiveSignalKey&)>& fn) override {
    // Keyset pages over signals_live_by_type (type, id) WHERE removed_ms = 0, like
    // ForEachLiveHash: an index range per page whatever the bank's size (paging by
    // "bank_id = ? ORDER BY id" has no index to follow and sorts the bank for every page).
    // Three columns, and the values handed out in place (Rows::TextView).
    std::string q =
        "SELECT id, bank_id, value FROM signals WHERE type = ? AND removed_ms = 0 "
        "AND id > ?";
    if (bank_id > 0) q += " AND bank_id = ?";
    q += " ORDER BY id LIMIT ?";
    LiveSignalKey key;
    key.type = type;
    int64_t after = 0;
    while (true) {
      std::vector<Param> params = {S(SignalTypeName(type)), I(after)};
      if (bank_id > 0) params.push_back(I(bank_id));
      params.push_back(I(kPageRows));
      VIGIL_ASSIGN_OR_RETURN(auto rows, conn_->Query(q, params));
      int64_t n = 0;
      while (true) {
        VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
        if (!more) break;
        ++n;
        key.id = rows->Int(0);
        key.bank_id = rows->Int(1);
        key.value = rows->TextView(2);
        if (!fn(key)) return Status::OK();
      }
      if (n < kPageRows) return Status::OK();
      after = key.id;
    }
  }

  Result<std::vector<Signal>> GetSignalsById(std::span<const int64_t> ids) override {
    std::vector<Signal> out;
    // Fixed IN-list sizes (short ones padded with a repeated id) keep the number of distinct
    // prepared statements per connection at three.
    for (size_t at = 0; at < ids.size();) {
      const size_t left = ids.size() - at;
      const size_t width = left <= 1 ? 1 : left <= 16 ? 16 : 256;
      const size_t take = std::min(left, width);
      std::string q = std::string("SELECT ") + kSignalCols + " FROM signals WHERE id IN (?";
      std::vector<Param> params{I(ids[at])};
      for (size_t i = 1; i < width; ++i) {
        q += ", ?";
        params.push_back(I(ids[at + std::min(i, take - 1)]));
      }
      q += ")";
      VIGIL_ASSIGN_OR_RETURN(auto rows, conn_->Query(q, params));
      while (true) {
        VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
        if (!more) break;
        out.push_back(ReadSignal(*rows));
      }
      at += take;
    }
    std::sort(out.begin(), out.end(), [](const Signal& a, const Signal& b) { return a.id < b.id; });
    out.erase(std::unique(out.begin(), out.end(),
                          [](const Signal& a, const Signal& b) { return a.id == b.id; }),
              out.end());
    return out;
  }

  Result<BankStats> GetBankStats(int64_t bank_id) override {
    VIGIL_ASSIGN_OR_RETURN(Bank bank, GetBank(bank_id));
    BankStats st;
    st.version = bank.version;
    {
      VIGIL_ASSIGN_OR_RETURN(auto rows, Q("SELECT type, removed_ms = 0, COUNT(*) FROM signals "
                                          "WHERE bank_id = ? GROUP BY type, removed_ms = 0 "
                                          "ORDER BY type",
                                          {I(bank_id)}));
      while (true) {
        VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
        if (!more) break;
        int64_t n = rows->Int(2);
        if (rows->Int(1)) {
          st.live += n;
          auto t = ParseSignalType(rows->Text(0));
          if (t.ok()) st.live_by_type.emplace_back(*t, n);
        } else {
          st.removed += n;
        }
      }
    }
    std::map<std::string, int64_t> by_label;
    SignalQuery q;
    VIGIL_RETURN_IF_ERROR(ForEachSignal(bank_id, q, [&](const Signal& s) {
      for (const std::string& l : s.labels) ++by_label[l];
      return true;
    }));
    st.live_by_label.assign(by_label.begin(), by_label.end());
    return st;
  }

  Status ForEachLiveHash(SignalType type, int64_t after_id,
                         const std::function<void(int64_t, const Hash256&)>& fn) override {
    if (type != SignalType::kPdq && type != SignalType::kSha256) {
      return Status::Unsupported(std::string(SignalTypeName(type)) +
                                 " values are not 256-bit hashes");
    }
    const std::string q =
        "SELECT id, value FROM signals WHERE type = ? AND removed_ms = 0 AND id > ? "
        "ORDER BY id LIMIT ?";
    std::vector<std::pair<int64_t, Hash256>> page;
    page.reserve(kPageRows);
    while (true) {
      page.clear();
      {
        VIGIL_ASSIGN_OR_RETURN(auto rows,
                               Q(q, {S(SignalTypeName(type)), I(after_id), I(kPageRows)}));
        while (true) {
          VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
          if (!more) break;
          int64_t id = rows->Int(0);
          auto h = Hash256::FromHex(rows->Text(1));
          if (!h.ok()) {
            return Status::Corruption("signal " + std::to_string(id) +
                                      " holds a malformed hash: " + h.status().message());
          }
          page.emplace_back(id, *h);
        }
      }
      for (const auto& [id, h] : page) fn(id, h);
      if (static_cast<int64_t>(page.size()) < kPageRows) return Status::OK();
      after_id = page.back().first;
    }
  }

  // --- labels, platforms --------------------------------------------------------------
  Status DefineLabel(std::string_view actor, const LabelDef& label) override {
    VIGIL_ASSIGN_OR_RETURN(std::string name, CanonicalLabel(label.name));
    Txn txn(*conn_);
    VIGIL_RETURN_IF_ERROR(txn.Begin());
    VIGIL_RETURN_IF_ERROR(
        Exec("INSERT INTO labels (name, dimension, description) VALUES (?, ?, ?) ON CONFLICT "
             "(name) DO UPDATE SET dimension = excluded.dimension, description = "
             "excluded.description",
             {S(name), S(LabelDimensionName(label.dimension)), S(label.description)})
            .status());
    VIGIL_RETURN_IF_ERROR(AppendAuditLocked(actor, "label.define", "label:" + name, "",
                                            std::string(LabelDimensionName(label.dimension)),
                                            label.description)
                              .status());
    return txn.Commit();
  }

  Result<std::vector<LabelDef>> ListLabels() override {
    VIGIL_ASSIGN_OR_RETURN(auto rows,
                           Q("SELECT name, dimension, description FROM labels ORDER BY name", {}));
    std::vector<LabelDef> out;
    while (true) {
      VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
      if (!more) break;
      out.push_back({rows->Text(0),
                     ParseLabelDimension(rows->Text(1)).value_or(LabelDimension::kOther),
                     rows->Text(2)});
    }
    return out;
  }

  Result<Platform> CreatePlatform(std::string_view actor, const Platform& spec) override {
    if (spec.name.empty() || spec.name.size() > 200) {
      return Status::InvalidArgument("a platform name has 1 to 200 characters");
    }
    Txn txn(*conn_);
    VIGIL_RETURN_IF_ERROR(txn.Begin());
    Platform p = spec;
    p.created_ms = Now();
    auto id = InsertId(
        "INSERT INTO platforms (name, domains, referral_contact, created_ms) VALUES (?, ?, ?, ?) "
        "RETURNING id",
        {S(p.name), S(p.domains), S(p.referral_contact), I(p.created_ms)});
    if (!id.ok()) return Named(id.status(), "platform '" + p.name + "'");
    p.id = *id;
    VIGIL_RETURN_IF_ERROR(
        AppendAuditLocked(actor, "platform.create", Target("platform", p.id), "", p.name, "")
            .status());
    VIGIL_RETURN_IF_ERROR(txn.Commit());
    return p;
  }

  Result<Platform> FindPlatform(std::string_view name) override {
    VIGIL_ASSIGN_OR_RETURN(auto list, ReadPlatforms("WHERE name = ?", {S(name)}));
    if (list.empty()) return Status::NotFound("platform '" + std::string(name) + "' not found");
    return list.front();
  }
  Result<std::vector<Platform>> ListPlatforms() override {
    return ReadPlatforms("ORDER BY name", {});
  }

  // --- items, media, matches ----------------------------------------------------------
  Result<Item> AddItem(std::string_view actor, const Item& spec) override {
    Txn txn(*conn_);
    VIGIL_RETURN_IF_ERROR(txn.Begin());
    Item item = spec;
    if (item.collected_ms == 0) item.collected_ms = Now();
    VIGIL_RETURN_IF_ERROR(InsertItemLocked(item));
    VIGIL_RETURN_IF_ERROR(AppendAuditLocked(actor, "item.add", Target("item", item.id), "",
                                            item.url,
                                            "{\"media\":" + std::to_string(item.media.size()) +
                                                ",\"source\":" + JsonQuote(item.source) + "}")
                              .status());
    VIGIL_RETURN_IF_ERROR(txn.Commit());
    return item;
  }

  Result<Item> GetItem(int64_t id) override {
    VIGIL_ASSIGN_OR_RETURN(auto rows, Q("SELECT id, source, platform_id, url, account, "
                                        "posted_ms, language, collected_ms FROM items WHERE id = ?",
                                        {I(id)}));
    VIGIL_ASSIGN_OR_RETURN(bool found, rows->Next());
    if (!found) return Status::NotFound("item " + std::to_string(id) + " not found");
    Item item{rows->Int(0),  rows->Text(1), rows->Int(2),
              rows->Text(3), rows->Text(4), rows->Int(5),
              rows->Text(6), rows->Int(7),  {}};
    rows.reset();
    VIGIL_ASSIGN_OR_RETURN(
        auto media,
        Q("SELECT id, item_id, kind, uri, sha256 FROM media WHERE item_id = ? ORDER BY id",
          {I(id)}));
    while (true) {
      VIGIL_ASSIGN_OR_RETURN(bool more, media->Next());
      if (!more) break;
      item.media.push_back(
          {media->Int(0), media->Int(1), media->Text(2), media->Text(3), media->Text(4), {}});
    }
    media.reset();
    for (Media& m : item.media) {
      VIGIL_ASSIGN_OR_RETURN(auto sig, Q("SELECT type, value, quality FROM media_signals WHERE "
                                         "media_id = ? ORDER BY type, value",
                                         {I(m.id)}));
      while (true) {
        VIGIL_ASSIGN_OR_RETURN(bool more, sig->Next());
        if (!more) break;
        m.signals.push_back({ParseSignalType(sig->Text(0)).value_or(SignalType::kText),
                             sig->Text(1), static_cast<int>(sig->Int(2))});
      }
    }
    return item;
  }

  Result<Match> RecordMatch(std::string_view actor, const Match& spec) override {
    Txn txn(*conn_);
    VIGIL_RETURN_IF_ERROR(txn.Begin());
    VIGIL_RETURN_IF_ERROR(GetItem(spec.item_id).status());
    VIGIL_ASSIGN_OR_RETURN(auto recorded, RecordMatchLocked(actor, spec));
    VIGIL_RETURN_IF_ERROR(txn.Commit());
    return recorded.first;
  }

  Result<std::vector<Match>> ListMatches(int64_t item_id) override {
    VIGIL_ASSIGN_OR_RETURN(auto rows,
                           Q("SELECT id, item_id, media_id, signal_id, distance, matched_ms, "
                             "bank_version FROM matches WHERE item_id = ? ORDER BY id",
                             {I(item_id)}));
    std::vector<Match> out;
    while (true) {
      VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
      if (!more) break;
      out.push_back({rows->Int(0), rows->Int(1), rows->Int(2), rows->Int(3),
                     static_cast<int>(rows->Int(4)), rows->Int(5), rows->Int(6)});
    }
    return out;
  }

  // --- scale-out work ledger ------------------------------------------------------------
  Result<std::vector<WorkRecord>> RecordWork(std::string_view actor,
                                             std::span<const WorkResult> results) override {
    Txn txn(*conn_);
    VIGIL_RETURN_IF_ERROR(txn.Begin());
    std::vector<WorkRecord> out;
    out.reserve(results.size());
    for (const WorkResult& r : results) {
      VIGIL_ASSIGN_OR_RETURN(WorkRecord rec, RecordWorkLocked(actor, r));
      out.push_back(std::move(rec));
    }
    VIGIL_RETURN_IF_ERROR(txn.Commit());
    return out;
  }

  Result<WorkRecord> GetWork(std::string_view work_key) override {
    VIGIL_ASSIGN_OR_RETURN(auto rows, Q("SELECT work_key, item_id, matches, worker, done_ms "
                                        "FROM work_ledger WHERE work_key = ?",
                                        {S(work_key)}));
    VIGIL_ASSIGN_OR_RETURN(bool found, rows->Next());
    if (!found) return Status::NotFound("work '" + std::string(work_key) + "' not found");
    return WorkRecord{rows->Text(0), rows->Int(1), rows->Int(2),
                      rows->Text(3), rows->Int(4), false};
  }

  Status ReportWorker(const WorkerReport& r) override {
    return Exec(
               "INSERT INTO worker_reports (name, processed, duplicates, matches, dead, "
               "rate_milli, bank_versions, started_ms, last_seen_ms) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
               "processed = excluded.processed, duplicates = excluded.duplicates, "
               "matches = excluded.matches, dead = excluded.dead, "
               "rate_milli = excluded.rate_milli, bank_versions = excluded.bank_versions, "
               "started_ms = excluded.started_ms, last_seen_ms = excluded.last_seen_ms",
               {S(r.name), I(r.processed), I(r.duplicates), I(r.matches), I(r.dead),
                I(r.rate_milli), S(r.bank_versions), I(r.started_ms), I(r.last_seen_ms)})
        .status();
  }

  Result<std::vector<WorkerReport>> ListWorkerReports() override {
    VIGIL_ASSIGN_OR_RETURN(auto rows,
                           Q("SELECT name, processed, duplicates, matches, dead, rate_milli, "
                             "bank_versions, started_ms, last_seen_ms FROM worker_reports "
                             "ORDER BY name",
                             {}));
    std::vector<WorkerReport> out;
    while (true) {
      VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
      if (!more) break;
      out.push_back({rows->Text(0), rows->Int(1), rows->Int(2), rows->Int(3), rows->Int(4),
                     rows->Int(5), rows->Text(6), rows->Int(7), rows->Int(8)});
    }
    return out;
  }

  // --- collection (`vigil scan`) ------------------------------------------------------
  Result<std::vector<UpsertedItem>> UpsertItems(std::string_view actor,
                                                std::span<const CollectedItem> items) override {
    for (size_t i = 0; i < items.size(); ++i) {
      if (items[i].source_key.empty()) {
        return Status::InvalidArgument("item " + std::to_string(i) + " has no source key");
      }
    }
    Txn txn(*conn_);
    VIGIL_RETURN_IF_ERROR(txn.Begin());
    std::vector<UpsertedItem> out;
    out.reserve(items.size());
    for (const CollectedItem& c : items) {
      VIGIL_ASSIGN_OR_RETURN(int64_t existing, ItemIdByKey(c.source_key));
      if (existing != 0) {
        VIGIL_ASSIGN_OR_RETURN(Item stored, GetItem(existing));
        out.push_back({std::move(stored), false});
        continue;
      }
      Item item = c.item;
      if (item.collected_ms == 0) item.collected_ms = Now();
      VIGIL_ASSIGN_OR_RETURN(
          item.id,
          InsertId("INSERT INTO items (source, platform_id, url, account, posted_ms, "
                   "language, collected_ms, source_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                   "RETURNING id",
                   {S(item.source), I(item.platform_id), S(item.url), S(item.account),
                    I(item.posted_ms), S(item.language), I(item.collected_ms), S(c.source_key)}));
      VIGIL_RETURN_IF_ERROR(InsertMediaLocked(item));
      for (const Link& l : c.links) {
        if (l.url.empty()) continue;
        VIGIL_RETURN_IF_ERROR(
            Exec("INSERT INTO links (item_id, url, domain, platform, platform_id, is_unknown) "
                 "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (item_id, url) DO NOTHING",
                 {I(item.id), S(l.url), S(l.domain), S(l.platform), I(l.platform_id),
                  I(l.unknown ? 1 : 0)})
                .status());
      }
      VIGIL_RETURN_IF_ERROR(AppendAuditLocked(actor, "item.collect", Target("item", item.id), "",
                                              c.source_key,
                                              "{\"media\":" + std::to_string(item.media.size()) +
                                                  ",\"links\":" + std::to_string(c.links.size()) +
                                                  ",\"source\":" + JsonQuote(item.source) + "}")
                                .status());
      out.push_back({std::move(item), true});
    }
    VIGIL_RETURN_IF_ERROR(txn.Commit());
    return out;
  }

  Result<Item> FindItemBySourceKey(std::string_view source_key) override {
    VIGIL_ASSIGN_OR_RETURN(int64_t id, ItemIdByKey(source_key));
    if (id == 0) return Status::NotFound("no item with key '" + std::string(source_key) + "'");
    return GetItem(id);
  }

  Result<std::vector<Link>> ListLinks(int64_t item_id) override {
    VIGIL_ASSIGN_OR_RETURN(auto rows, Q("SELECT id, item_id, url, domain, platform, platform_id, "
                                        "is_unknown FROM links WHERE item_id = ? ORDER BY id",
                                        {I(item_id)}));
    std::vector<Link> out;
    while (true) {
      VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
      if (!more) break;
      out.push_back({rows->Int(0), rows->Int(1), rows->Text(2), rows->Text(3), rows->Text(4),
                     rows->Int(5), rows->Int(6) != 0});
    }
    return out;
  }

  Result<int64_t> RecordMatches(std::string_view actor, std::span<const Match> matches) override {
    if (matches.empty()) return 0;
    Txn txn(*conn_);
    VIGIL_RETURN_IF_ERROR(txn.Begin());
    std::vector<int64_t> checked;  // items known to exist (a batch names few)
    int64_t added = 0;
    for (const Match& m : matches) {
      if (std::find(checked.begin(), checked.end(), m.item_id) == checked.end()) {
        VIGIL_ASSIGN_OR_RETURN(auto rows, Q("SELECT id FROM items WHERE id = ?", {I(m.item_id)}));
        VIGIL_ASSIGN_OR_RETURN(bool found, rows->Next());
        if (!found) return Status::NotFound("item " + std::to_string(m.item_id) + " not found");
        checked.push_back(m.item_id);
      }
      VIGIL_ASSIGN_OR_RETURN(auto recorded, RecordMatchLocked(actor, m));
      if (recorded.second) ++added;
    }
    VIGIL_RETURN_IF_ERROR(txn.Commit());
    return added;
  }

  Result<std::vector<Platform>> EnsurePlatforms(std::string_view actor,
                                                std::span<const Platform> platforms) override {
    for (const Platform& p : platforms) {
      if (p.name.empty() || p.name.size() > 200) {
        return Status::InvalidArgument("a platform name has 1 to 200 characters");
      }
    }
    Txn txn(*conn_);
    VIGIL_RETURN_IF_ERROR(txn.Begin());
    std::vector<Platform> out;
    out.reserve(platforms.size());
    for (const Platform& spec : platforms) {
      VIGIL_ASSIGN_OR_RETURN(std::vector<Platform> found,
                             ReadPlatforms("WHERE name = ?", {S(spec.name)}));
      if (!found.empty()) {
        out.push_back(std::move(found.front()));
        continue;
      }
      Platform p = spec;
      p.created_ms = Now();
      VIGIL_ASSIGN_OR_RETURN(
          p.id, InsertId("INSERT INTO platforms (name, domains, referral_contact, created_ms) "
                         "VALUES (?, ?, ?, ?) RETURNING id",
                         {S(p.name), S(p.domains), S(p.referral_contact), I(p.created_ms)}));
      VIGIL_RETURN_IF_ERROR(
          AppendAuditLocked(actor, "platform.create", Target("platform", p.id), "", p.name, "")
              .status());
      out.push_back(std::move(p));
    }
    VIGIL_RETURN_IF_ERROR(txn.Commit());
    return out;
  }

  Result<CollectionStats> GetCollectionStats(size_t top) override {
    CollectionStats st;
    VIGIL_ASSIGN_OR_RETURN(st.items,
                           Count("SELECT COUNT(*) FROM items WHERE source_key IS NOT NULL", {}));
    VIGIL_ASSIGN_OR_RETURN(st.links, Count("SELECT COUNT(*) FROM links", {}));
    VIGIL_ASSIGN_OR_RETURN(st.links_unknown,
                           Count("SELECT COUNT(*) FROM links WHERE is_unknown = 1", {}));
    VIGIL_ASSIGN_OR_RETURN(st.media, Count("SELECT COUNT(*) FROM media m JOIN items i ON "
                                           "i.id = m.item_id WHERE i.source_key IS NOT NULL",
                                           {}));
    VIGIL_ASSIGN_OR_RETURN(st.matches, Count("SELECT COUNT(*) FROM matches m JOIN items i ON "
                                             "i.id = m.item_id WHERE i.source_key IS NOT NULL",
                                             {}));
    const int64_t limit = static_cast<int64_t>(std::min<size_t>(top, 1'000'000));
    VIGIL_ASSIGN_OR_RETURN(st.links_by_platform,
                           Counts("SELECT platform, COUNT(*) AS n FROM links WHERE is_unknown = 0 "
                                  "AND platform <> '' GROUP BY platform ORDER BY n DESC, "
                                  "platform LIMIT ?",
                                  {I(limit)}));
    VIGIL_ASSIGN_OR_RETURN(st.unknown_domains,
                           Counts("SELECT domain, COUNT(*) AS n FROM links WHERE is_unknown = 1 "
                                  "GROUP BY domain ORDER BY n DESC, domain LIMIT ?",
                                  {I(limit)}));
    return st;
  }

 private:
  // The item with this source key, 0 if none.
  Result<int64_t> ItemIdByKey(std::string_view key) {
    VIGIL_ASSIGN_OR_RETURN(auto rows, Q("SELECT id FROM items WHERE source_key = ?", {S(key)}));
    VIGIL_ASSIGN_OR_RETURN(bool found, rows->Next());
    return found ? rows->Int(0) : int64_t{0};
  }

  Result<int64_t> Count(const std::string& sql, std::initializer_list<Param> p) {
    VIGIL_ASSIGN_OR_RETURN(auto rows, Q(sql, p));
    VIGIL_ASSIGN_OR_RETURN(bool found, rows->Next());
    return found ? rows->Int(0) : int64_t{0};
  }

  Result<std::vector<std::pair<std::string, int64_t>>> Counts(const std::string& sql,
                                                              std::initializer_list<Param> p) {
    VIGIL_ASSIGN_OR_RETURN(auto rows, Q(sql, p));
    std::vector<std::pair<std::string, int64_t>> out;
    while (true) {
      VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
      if (!more) return out;
      out.emplace_back(rows->Text(0), rows->Int(1));
    }
  }

  // Inserts an item without a source key (AddItem, RecordWork) with its media; sets the
  // ids. The caller holds a transaction.
  Status InsertItemLocked(Item& item) {
    VIGIL_ASSIGN_OR_RETURN(
        item.id,
        InsertId("INSERT INTO items (source, platform_id, url, account, posted_ms, language, "
                 "collected_ms) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                 {S(item.source), I(item.platform_id), S(item.url), S(item.account),
                  I(item.posted_ms), S(item.language), I(item.collected_ms)}));
    return InsertMediaLocked(item);
  }

  // Inserts the item's media and their (canonicalised) signals; the caller holds a
  // transaction and has set item.id.
  Status InsertMediaLocked(Item& item) {
    for (Media& m : item.media) {
      m.item_id = item.id;
      VIGIL_ASSIGN_OR_RETURN(m.id, InsertId("INSERT INTO media (item_id, kind, uri, sha256) "
                                            "VALUES (?, ?, ?, ?) RETURNING id",
                                            {I(item.id), S(m.kind), S(m.uri), S(m.sha256)}));
      for (MediaSignal& s : m.signals) {
        VIGIL_ASSIGN_OR_RETURN(s.value, CanonicalSignalValue(s.type, s.value));
        VIGIL_RETURN_IF_ERROR(
            Exec("INSERT INTO media_signals (media_id, type, value, quality) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT (media_id, type, value) DO NOTHING",
                 {I(m.id), S(SignalTypeName(s.type)), S(s.value), I(s.quality)})
                .status());
      }
    }
    return Status::OK();
  }

  // Records one match unless (item, media, signal) is recorded already; returns the
  // stored match and whether it is new. The caller holds a transaction.
  Result<std::pair<Match, bool>> RecordMatchLocked(std::string_view actor, const Match& spec) {
    Match m = spec;
    if (m.matched_ms == 0) m.matched_ms = Now();
    {
      VIGIL_ASSIGN_OR_RETURN(
          auto rows,
          Q("INSERT INTO matches (item_id, media_id, signal_id, distance, matched_ms) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (item_id, media_id, signal_id) DO NOTHING "
            "RETURNING id",
            {I(m.item_id), I(m.media_id), I(m.signal_id), I(m.distance), I(m.matched_ms)}));
      VIGIL_ASSIGN_OR_RETURN(bool inserted, rows->Next());
      if (inserted) {
        m.id = rows->Int(0);
        VIGIL_ASSIGN_OR_RETURN(bool extra, rows->Next());  // completes the statement
        (void)extra;
      }
    }
    if (m.id != 0) {
      VIGIL_RETURN_IF_ERROR(AppendAuditLocked(actor, "match.record", Target("match", m.id),
                                              Target("item", m.item_id),
                                              Target("signal", m.signal_id),
                                              "{\"distance\":" + std::to_string(m.distance) + "}")
                                .status());
      return std::make_pair(m, true);
    }
    VIGIL_ASSIGN_OR_RETURN(auto rows, Q("SELECT id, distance, matched_ms FROM matches WHERE "
                                        "item_id = ? AND media_id = ? AND signal_id = ?",
                                        {I(m.item_id), I(m.media_id), I(m.signal_id)}));
    VIGIL_ASSIGN_OR_RETURN(bool found, rows->Next());
    if (!found) return Status::Internal("match neither inserted nor found");
    m.id = rows->Int(0);
    m.distance = static_cast<int>(rows->Int(1));
    m.matched_ms = rows->Int(2);
    return std::make_pair(m, false);
  }

 public:
  // --- audit --------------------------------------------------------------------------
  Result<AuditEntry> AppendAudit(std::string_view actor, std::string_view action,
                                 std::string_view target, std::string_view before,
                                 std::string_view after, std::string_view details) override {
    if (action.empty()) return Status::InvalidArgument("an audit entry needs an action");
    Txn txn(*conn_);
    VIGIL_RETURN_IF_ERROR(txn.Begin());
    VIGIL_ASSIGN_OR_RETURN(AuditEntry e,
                           AppendAuditLocked(actor, action, target, before, after, details));
    VIGIL_RETURN_IF_ERROR(txn.Commit());
    return e;
  }

  Status ForEachAudit(int64_t after_seq,
                      const std::function<bool(const AuditEntry&)>& fn) override {
    const std::string q =
        std::string("SELECT ") + kAuditCols + " FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?";
    std::vector<AuditEntry> page;
    while (true) {
      page.clear();
      {
        VIGIL_ASSIGN_OR_RETURN(auto rows, Q(q, {I(after_seq), I(kPageRows)}));
        while (true) {
          VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
          if (!more) break;
          page.push_back(ReadAudit(*rows));
        }
      }
      for (const AuditEntry& e : page) {
        if (!fn(e)) return Status::OK();
      }
      if (static_cast<int64_t>(page.size()) < kPageRows) return Status::OK();
      after_seq = page.back().seq;
    }
  }

  Result<AuditReport> VerifyAudit() override {
    AuditChainVerifier v;
    AuditReport report;
    int64_t position = 0;
    // Streams from seq 0 so the verifier sees every stored entry, gaps included.
    VIGIL_RETURN_IF_ERROR(
        ForEachAudit(std::numeric_limits<int64_t>::min(), [&](const AuditEntry& e) {
          ++position;
          Status s = v.Next(e);
          if (!s.ok()) {
            report.ok = false;
            report.first_bad_seq = e.seq;
            report.first_bad_position = position;
            report.problem = s.message();
            return false;
          }
          return true;
        }));
    report.entries = position;
    if (report.ok) report.head_hash = v.head_hash();
    return report;
  }

 private:
  int64_t Now() const { return options_.now_ms(); }

  Result<std::unique_ptr<Rows>> Q(const std::string& sql, std::initializer_list<Param> p) {
    return conn_->Query(sql, std::span<const Param>(p.begin(), p.size()));
  }
  Result<int64_t> Exec(const std::string& sql, std::initializer_list<Param> p) {
    return conn_->Execute(sql, std::span<const Param>(p.begin(), p.size()));
  }
  Status Drain(const std::string& sql, std::initializer_list<Param> p) {
    VIGIL_ASSIGN_OR_RETURN(auto rows, Q(sql, p));
    while (true) {
      VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
      if (!more) return Status::OK();
    }
  }
  Result<int64_t> InsertId(const std::string& sql, std::initializer_list<Param> p) {
    VIGIL_ASSIGN_OR_RETURN(auto rows, Q(sql, p));
    VIGIL_ASSIGN_OR_RETURN(bool row, rows->Next());
    if (!row) return Status::Internal("insert returned no id");
    int64_t id = rows->Int(0);
    VIGIL_ASSIGN_OR_RETURN(bool extra, rows->Next());  // completes the statement
    (void)extra;
    return id;
  }
  static Status Named(const Status& s, const std::string& what) {
    if (s.code() == StatusCode::kAlreadyExists) {
      return Status::AlreadyExists(what + " already exists");
    }
    return s;
  }

  Result<int> ReadSchemaVersion() {
    VIGIL_ASSIGN_OR_RETURN(auto rows,
                           Q("SELECT value FROM vigil_meta WHERE key = 'schema_version'", {}));
    VIGIL_ASSIGN_OR_RETURN(bool found, rows->Next());
    if (!found) return 0;
    return std::atoi(rows->Text(0).c_str());
  }

  Result<int64_t> BumpVersion(int64_t bank_id) {
    VIGIL_ASSIGN_OR_RETURN(int64_t v, InsertId("UPDATE banks SET version = version + 1, "
                                               "updated_ms = ? WHERE id = ? RETURNING version",
                                               {I(Now()), I(bank_id)}));
    return v;
  }

  Result<Organisation> OneOrg(const std::string& sql, std::initializer_list<Param> p,
                              const std::string& what) {
    VIGIL_ASSIGN_OR_RETURN(auto rows, Q(sql, p));
    VIGIL_ASSIGN_OR_RETURN(bool found, rows->Next());
    if (!found) return Status::NotFound(what + " not found");
    return Organisation{rows->Int(0), rows->Text(1), rows->Text(2), rows->Int(3)};
  }

  Result<User> OneUser(const std::string& where, std::initializer_list<Param> p,
                       const std::string& what) {
    VIGIL_ASSIGN_OR_RETURN(
        auto rows, Q("SELECT id, org_id, name, email, role, created_ms FROM users " + where, p));
    VIGIL_ASSIGN_OR_RETURN(bool found, rows->Next());
    if (!found) return Status::NotFound(what + " not found");
    return User{rows->Int(0),  rows->Int(1),  rows->Text(2),
                rows->Text(3), rows->Text(4), rows->Int(5)};
  }

  Result<std::vector<Bank>> ReadBanks(const std::string& where, std::initializer_list<Param> p) {
    VIGIL_ASSIGN_OR_RETURN(auto rows, Q("SELECT id, name, owner_org_id, scope, description, "
                                        "version, created_ms, updated_ms FROM banks " +
                                            where,
                                        p));
    std::vector<Bank> out;
    while (true) {
      VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
      if (!more) break;
      Bank b;
      b.id = rows->Int(0);
      b.name = rows->Text(1);
      b.owner_org_id = rows->Int(2);
      b.scope = ParseSharingScope(rows->Text(3)).value_or(SharingScope::kPrivate);
      b.description = rows->Text(4);
      b.version = rows->Int(5);
      b.created_ms = rows->Int(6);
      b.updated_ms = rows->Int(7);
      out.push_back(std::move(b));
    }
    return out;
  }

  Status ReadShares(Bank& b) {
    VIGIL_ASSIGN_OR_RETURN(
        auto rows,
        Q("SELECT org_id FROM bank_shares WHERE bank_id = ? ORDER BY org_id", {I(b.id)}));
    b.shared_with.clear();
    while (true) {
      VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
      if (!more) return Status::OK();
      b.shared_with.push_back(rows->Int(0));
    }
  }

  Result<Bank> OneBank(const std::string& where, std::initializer_list<Param> p,
                       const std::string& what) {
    VIGIL_ASSIGN_OR_RETURN(std::vector<Bank> banks, ReadBanks(where, p));
    if (banks.empty()) return Status::NotFound(what + " not found");
    VIGIL_RETURN_IF_ERROR(ReadShares(banks.front()));
    return std::move(banks.front());
  }

  Status WriteShares(int64_t bank_id, const std::vector<int64_t>& orgs) {
    for (int64_t org : orgs) {
      VIGIL_RETURN_IF_ERROR(Exec("INSERT INTO bank_shares (bank_id, org_id) VALUES (?, ?) "
                                 "ON CONFLICT (bank_id, org_id) DO NOTHING",
                                 {I(bank_id), I(org)})
                                .status());
    }
    return Status::OK();
  }

  static std::string SharingDetails(const Bank& b) {
    std::string s = "{\"scope\":\"" + std::string(SharingScopeName(b.scope)) +
                    "\",\"owner_org\":" + std::to_string(b.owner_org_id) + ",\"shared_with\":[";
    for (size_t i = 0; i < b.shared_with.size(); ++i) {
      if (i) s += ',';
      s += std::to_string(b.shared_with[i]);
    }
    return s + "]}";
  }

  Result<std::vector<Platform>> ReadPlatforms(const std::string& where,
                                              std::initializer_list<Param> p) {
    VIGIL_ASSIGN_OR_RETURN(auto rows, Q("SELECT id, name, domains, referral_contact, created_ms "
                                        "FROM platforms " +
                                            where,
                                        p));
    std::vector<Platform> out;
    while (true) {
      VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
      if (!more) break;
      out.push_back({rows->Int(0), rows->Text(1), rows->Text(2), rows->Text(3), rows->Int(4)});
    }
    return out;
  }

  // Appends one chained entry; the caller holds a transaction.
  // One work result inside RecordWork's transaction. The ledger row is claimed first with
  // ON CONFLICT DO NOTHING: on PostgreSQL a second worker racing on the same key waits for
  // the first to commit and then sees the conflict, so neither transaction aborts.
  Result<WorkRecord> RecordWorkLocked(std::string_view actor, const WorkResult& r) {
    if (r.work_key.empty() || r.work_key.size() > 1024) {
      return Status::InvalidArgument("a work key has 1 to 1024 bytes");
    }
    for (const WorkMatch& m : r.matches) {
      if (m.media_index >= r.item.media.size()) {
        return Status::InvalidArgument("work '" + r.work_key + "': match on media " +
                                       std::to_string(m.media_index) + " of " +
                                       std::to_string(r.item.media.size()));
      }
    }
    const int64_t now = Now();
    VIGIL_ASSIGN_OR_RETURN(auto claim,
                           Q("INSERT INTO work_ledger (work_key, worker, done_ms) VALUES (?, ?, ?) "
                             "ON CONFLICT (work_key) DO NOTHING RETURNING work_key",
                             {S(r.work_key), S(r.worker), I(now)}));
    VIGIL_ASSIGN_OR_RETURN(bool claimed, claim->Next());
    if (claimed) {
      VIGIL_ASSIGN_OR_RETURN(bool extra, claim->Next());  // completes the statement
      (void)extra;
    }
    claim.reset();
    if (!claimed) {
      VIGIL_ASSIGN_OR_RETURN(WorkRecord existing, GetWork(r.work_key));
      existing.duplicate = true;
      return existing;
    }
    Item item = r.item;
    if (item.collected_ms == 0) item.collected_ms = now;
    // A collector's item (scan --nats stored it with its links): the media join it.
    VIGIL_ASSIGN_OR_RETURN(
        item.id, r.item_key.empty() ? Result<int64_t>(int64_t{0}) : ItemIdByKey(r.item_key));
    if (item.id != 0) {
      VIGIL_RETURN_IF_ERROR(InsertMediaLocked(item));
    } else {
      VIGIL_RETURN_IF_ERROR(InsertItemLocked(item));
      if (!r.item_key.empty()) {
        VIGIL_RETURN_IF_ERROR(
            Exec("UPDATE items SET source_key = ? WHERE id = ?", {S(r.item_key), I(item.id)})
                .status());
      }
    }
    VIGIL_RETURN_IF_ERROR(AppendAuditLocked(actor, "item.add", Target("item", item.id), "",
                                            item.url,
                                            "{\"media\":" + std::to_string(item.media.size()) +
                                                ",\"source\":" + JsonQuote(item.source) +
                                                ",\"work_key\":" + JsonQuote(r.work_key) + "}")
                              .status());
    for (const WorkMatch& wm : r.matches) {
      const int64_t media_id = item.media[wm.media_index].id;
      VIGIL_ASSIGN_OR_RETURN(
          int64_t match_id,
          InsertId("INSERT INTO matches (item_id, media_id, signal_id, distance, matched_ms, "
                   "bank_version) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                   {I(item.id), I(media_id), I(wm.signal_id), I(wm.distance), I(now),
                    I(wm.bank_version)}));
      VIGIL_RETURN_IF_ERROR(
          AppendAuditLocked(actor, "match.record", Target("match", match_id),
                            Target("item", item.id), Target("signal", wm.signal_id),
                            "{\"distance\":" + std::to_string(wm.distance) +
                                ",\"bank_version\":" + std::to_string(wm.bank_version) + "}")
              .status());
    }
    VIGIL_RETURN_IF_ERROR(
        Exec("UPDATE work_ledger SET item_id = ?, matches = ? WHERE work_key = ?",
             {I(item.id), I(static_cast<int64_t>(r.matches.size())), S(r.work_key)})
            .status());
    return WorkRecord{r.work_key, item.id, static_cast<int64_t>(r.matches.size()),
                      r.worker,   now,     false};
  }

  Result<AuditEntry> AppendAuditLocked(std::string_view actor, std::string_view action,
                                       std::string_view target, std::string_view before,
                                       std::string_view after, std::string_view details) {
    if (conn_->dialect() == Dialect::kPostgres) {
      // Concurrent transactions would otherwise both read the same head and one would
      // fail on the seq key; the lock is released at commit or rollback.
      VIGIL_RETURN_IF_ERROR(Drain("SELECT pg_advisory_xact_lock(?)", {I(kAuditLockKey)}));
    }
    AuditEntry e;
    {
      VIGIL_ASSIGN_OR_RETURN(auto rows,
                             Q("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", {}));
      VIGIL_ASSIGN_OR_RETURN(bool found, rows->Next());
      e.seq = found ? rows->Int(0) + 1 : 1;
      e.prev_hash = found ? rows->Text(1) : std::string(kAuditGenesisHash);
    }
    e.at_ms = Now();
    e.actor = actor.empty() ? "unknown" : std::string(actor);
    e.action = action;
    e.target = target;
    e.before = before;
    e.after = after;
    e.details = details;
    e.hash = AuditEntryHash(e);
    VIGIL_RETURN_IF_ERROR(Exec(std::string("INSERT INTO audit_log (") + kAuditCols +
                                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               {I(e.seq), I(e.at_ms), S(e.actor), S(e.action), S(e.target),
                                S(e.before), S(e.after), S(e.details), S(e.prev_hash), S(e.hash)})
                              .status());
    return e;
  }

  std::unique_ptr<sql::Connection> conn_;
  StoreOptions options_;
};

}  // namespace

bool Store::OrgCanRead(const Bank& bank, int64_t org_id) {
  if (bank.scope == SharingScope::kPublic) return true;
  if (org_id != 0 && org_id == bank.owner_org_id) return true;
  return bank.scope == SharingScope::kOrganisations &&
         std::find(bank.shared_with.begin(), bank.shared_with.end(), org_id) !=
             bank.shared_with.end();
}

Result<std::vector<Signal>> Store::ListSignals(int64_t bank_id, const SignalQuery& query) {
  std::vector<Signal> out;
  VIGIL_RETURN_IF_ERROR(ForEachSignal(bank_id, query, [&](const Signal& s) {
    out.push_back(s);
    return true;
  }));
  return out;
}

Backend BackendFor(std::string_view db) {
  if (db.starts_with("postgres://") || db.starts_with("postgresql://")) return Backend::kPostgres;
  if (db.find("host=") != std::string_view::npos || db.find("dbname=") != std::string_view::npos) {
    return Backend::kPostgres;
  }
  return Backend::kSqlite;
}

Result<std::unique_ptr<Store>> OpenSqlStore(std::unique_ptr<sql::Connection> conn,
                                            const StoreOptions& options) {
  auto store = std::make_unique<SqlStore>(std::move(conn), options);
  VIGIL_RETURN_IF_ERROR(store->Migrate());
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::unique_ptr<Store>> OpenStore(std::string_view db, const StoreOptions& options) {
  std::string target(db);
  if (target.empty()) return Status::InvalidArgument("empty --db value");
  std::unique_ptr<sql::Connection> conn;
  if (BackendFor(db) == Backend::kPostgres) {
    VIGIL_ASSIGN_OR_RETURN(conn, sql::OpenPostgres(target, options.connect_timeout_s));
  } else {
    VIGIL_ASSIGN_OR_RETURN(
        conn, sql::OpenSqlite(target, options.create_if_missing, options.busy_timeout_ms));
  }
  return OpenSqlStore(std::move(conn), options);
}

Status BeginWriteTransaction(Store& store) {
  auto* s = dynamic_cast<SqlStore*>(&store);
  if (!s) return Status::FailedPrecondition("not a SQL store");
  return s->connection().ExecScript(
      s->connection().dialect() == Dialect::kSqlite ? "BEGIN IMMEDIATE" : "BEGIN");
}

Result<AuditEntry> AppendAuditInTransaction(Store& store, std::string_view actor,
                                            std::string_view action, std::string_view target,
                                            std::string_view before, std::string_view after,
                                            std::string_view details) {
  auto* s = dynamic_cast<SqlStore*>(&store);
  if (!s) return Status::FailedPrecondition("not a SQL store");
  if (action.empty()) return Status::InvalidArgument("an audit entry needs an action");
  return s->AppendAuditInCallerTransaction(actor, action, target, before, after, details);
}

sql::Connection* RawConnectionForTesting(Store& store) {
  auto* s = dynamic_cast<SqlStore*>(&store);
  return s ? &s->connection() : nullptr;
}

}  // namespace vigil::store
