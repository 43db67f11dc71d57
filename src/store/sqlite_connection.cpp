// SQLite behind the sql::Connection interface: the sqlite3 C API in RAII wrappers, with a
// cache of prepared statements keyed by SQL text (bulk imports reuse the same few).
#include <sqlite3.h>

#include <map>
#include <memory>

#include "store/sql.h"

namespace vigil::store::sql {
namespace {

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

struct DbDeleter {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbDeleter>;

Status ErrorFor(sqlite3* db, int rc, std::string_view what) {
  std::string msg = std::string(what) + ": " + sqlite3_errmsg(db);
  int primary = rc & 0xff;
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return Status::AlreadyExists(msg);
  }
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return Status::Unavailable(msg);
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) return Status::Corruption(msg);
  if (primary == SQLITE_CANTOPEN || primary == SQLITE_IOERR || primary == SQLITE_FULL ||
      primary == SQLITE_READONLY || primary == SQLITE_PERM) {
    return Status::IOError(msg);
  }
  return Status::Internal(msg);
}

class SqliteRows final : public Rows {
 public:
  // `owned` is set when the statement is not from the cache (the cached one was busy).
  SqliteRows(sqlite3* db, sqlite3_stmt* stmt, bool* busy_flag, StmtPtr owned)
      : db_(db), stmt_(stmt), busy_flag_(busy_flag), owned_(std::move(owned)) {}
  ~SqliteRows() override {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    if (busy_flag_) *busy_flag_ = false;
  }

  Result<bool> Next() override {
    if (done_) return false;
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    done_ = true;
    if (rc == SQLITE_DONE) return false;
    return ErrorFor(db_, sqlite3_extended_errcode(db_), "query");
  }
  bool IsNull(int col) override { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  int64_t Int(int col) override { return sqlite3_column_int64(stmt_, col); }
  std::string Text(int col) override {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    int n = sqlite3_column_bytes(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n))
             : std::string();
  }
  std::string_view TextView(int col) override {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    int n = sqlite3_column_bytes(stmt_, col);
    return p ? std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(n))
             : std::string_view();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool* busy_flag_;
  StmtPtr owned_;
  bool done_ = false;
};

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(DbPtr db) : db_(std::move(db)) {}
  ~SqliteConnection() override {
    cache_.clear();  // finalize statements before the database closes
  }

  Dialect dialect() const override { return Dialect::kSqlite; }

  Status ExecScript(std::string_view sql) override {
    char* err = nullptr;
    std::string s(sql);
    int rc = sqlite3_exec(db_.get(), s.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errmsg(db_.get());
      sqlite3_free(err);
      Status st = ErrorFor(db_.get(), sqlite3_extended_errcode(db_.get()), "sqlite");
      return Status(st.code(), "sqlite: " + msg);
    }
    return Status::OK();
  }

  Result<std::unique_ptr<Rows>> Query(const std::string& sql,
                                      std::span<const Param> params) override {
    sqlite3_stmt* stmt = nullptr;
    bool* busy = nullptr;
    StmtPtr owned;
    auto it = cache_.find(sql);
    if (it != cache_.end() && !it->second.busy) {
      stmt = it->second.stmt.get();
      busy = &it->second.busy;
    } else {
      sqlite3_stmt* raw = nullptr;
      int rc =
          sqlite3_prepare_v2(db_.get(), sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr);
      if (rc != SQLITE_OK) return ErrorFor(db_.get(), rc, "prepare");
      if (it == cache_.end()) {
        Cached& c = cache_[sql];
        c.stmt.reset(raw);
        stmt = raw;
        busy = &c.busy;
      } else {
        owned.reset(raw);
        stmt = raw;
      }
    }
    if (busy) *busy = true;
    auto rows = std::make_unique<SqliteRows>(db_.get(), stmt, busy, std::move(owned));
    for (size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i + 1);
      int rc = SQLITE_OK;
      if (const auto* v = std::get_if<int64_t>(&params[i])) {
        rc = sqlite3_bind_int64(stmt, idx, *v);
      } else if (const auto* t = std::get_if<std::string>(&params[i])) {
        rc = sqlite3_bind_text(stmt, idx, t->data(), static_cast<int>(t->size()), SQLITE_TRANSIENT);
      } else {
        rc = sqlite3_bind_null(stmt, idx);
      }
      if (rc != SQLITE_OK) return ErrorFor(db_.get(), rc, "bind");
    }
    return std::unique_ptr<Rows>(std::move(rows));
  }

  Result<int64_t> Execute(const std::string& sql, std::span<const Param> params) override {
    VIGIL_ASSIGN_OR_RETURN(auto rows, Query(sql, params));
    while (true) {
      VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
      if (!more) break;
    }
    return static_cast<int64_t>(sqlite3_changes64(db_.get()));
  }

 private:
  struct Cached {
    StmtPtr stmt;
    bool busy = false;
  };
  DbPtr db_;
  std::map<std::string, Cached, std::less<>> cache_;
};

}  // namespace

Result<std::unique_ptr<Connection>> OpenSqlite(const std::string& path, bool create_if_missing,
                                               int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (create_if_missing) flags |= SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : "out of memory";
    return Status::IOError("cannot open SQLite store " + path + ": " + msg);
  }
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), busy_timeout_ms);
  auto conn = std::make_unique<SqliteConnection>(std::move(db));
  // WAL: readers never block the writer; NORMAL sync is durable across application
  // crashes and loses at most the last transactions on power loss, the usual WAL trade.
  // The page cache (negative = KiB) holds the value index of a large bank: with the
  // 2 MiB default, a bulk import of random hashes thrashes it on every insert.
  Status s = conn->ExecScript(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
      "PRAGMA cache_size=-262144; PRAGMA temp_store=MEMORY;");
  if (!s.ok()) return s.WithContext("cannot open SQLite store " + path);
  return std::unique_ptr<Connection>(std::move(conn));
}

}  // namespace vigil::store::sql
