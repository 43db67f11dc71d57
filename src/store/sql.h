// Internal: the small SQL connection layer that lets one Store implementation (sql_store.cpp)
// run on SQLite and PostgreSQL. Statements are written once with `?` placeholders (the
// PostgreSQL connection rewrites them to $1, $2...) in the SQL both databases accept;
// Dialect covers the few differences. Values are bound and read as 64-bit integers or text.
//
// Thread safety: a Connection and its Rows belong to one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "core/status.h"

namespace vigil::store::sql {

enum class Dialect { kSqlite, kPostgres };

// A bound parameter: NULL, an integer or text. Text is copied in; the SQL layer is not on
// a path where that matters (bulk inserts batch hundreds of rows per statement).
using Param = std::variant<std::monostate, int64_t, std::string>;

// A forward-only result cursor. Column accessors are valid after Next() returned true.
class Rows {
 public:
  virtual ~Rows() = default;
  // true: a row is available; false: done; error: the query failed while stepping.
  virtual Result<bool> Next() = 0;
  virtual bool IsNull(int col) = 0;
  virtual int64_t Int(int col) = 0;
  virtual std::string Text(int col) = 0;
  // The same text without a copy: valid until the next Next() or the end of the Rows (bulk
  // reads that decode in place, e.g. the matcher's lean load).
  virtual std::string_view TextView(int col) = 0;
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;
  // Runs statements without parameters or results (DDL, BEGIN...). May hold several.
  virtual Status ExecScript(std::string_view sql) = 0;
  // Runs one statement; returns the rows it produces (possibly none).
  virtual Result<std::unique_ptr<Rows>> Query(const std::string& sql,
                                              std::span<const Param> params) = 0;
  // Runs one statement; returns the number of rows it changed.
  virtual Result<int64_t> Execute(const std::string& sql, std::span<const Param> params) = 0;
};

// SQLite: `path` is a file; options as in StoreOptions.
Result<std::unique_ptr<Connection>> OpenSqlite(const std::string& path, bool create_if_missing,
                                               int busy_timeout_ms);
// PostgreSQL: `conninfo` is a URI or a keyword/value string for libpq.
Result<std::unique_ptr<Connection>> OpenPostgres(const std::string& conninfo,
                                                 int connect_timeout_s);

// Rewrites `?` placeholders to $1, $2, ... outside quoted strings (PostgreSQL).
std::string NumberPlaceholders(std::string_view sql);

}  // namespace vigil::store::sql
