// PostgreSQL behind the sql::Connection interface: libpq in RAII wrappers. Statements are
// prepared once per connection (named s1, s2...) and parameters travel as text, which
// PostgreSQL converts to the column types it infers.
#include <libpq-fe.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <vector>

#include "store/sql.h"

namespace vigil::store::sql {
namespace {

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnDeleter>;
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

std::string FirstLine(const char* s) {
  std::string m = s ? s : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  size_t nl = m.find('\n');
  return nl == std::string::npos ? m : m.substr(0, nl);
}

Status ErrorFor(PGconn* conn, const PGresult* res, std::string_view what) {
  std::string msg =
      std::string(what) + ": " + FirstLine(res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
  if (PQstatus(conn) != CONNECTION_OK) return Status::Unavailable(msg);
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string code = state ? state : "";
  if (code == "23505") return Status::AlreadyExists(msg);
  if (code.starts_with("08") || code == "57P01" || code == "40001" || code == "40P01") {
    return Status::Unavailable(msg);
  }
  return Status::Internal(msg);
}

class PgRows final : public Rows {
 public:
  explicit PgRows(ResultPtr res) : res_(std::move(res)), n_(PQntuples(res_.get())) {}
  Result<bool> Next() override { return ++row_ < n_; }
  bool IsNull(int col) override { return PQgetisnull(res_.get(), row_, col) != 0; }
  int64_t Int(int col) override {
    const char* v = PQgetvalue(res_.get(), row_, col);
    if (v[0] == 't' && v[1] == 0) return 1;  // booleans
    if (v[0] == 'f' && v[1] == 0) return 0;
    return std::strtoll(v, nullptr, 10);
  }
  std::string Text(int col) override {
    return std::string(PQgetvalue(res_.get(), row_, col),
                       static_cast<size_t>(PQgetlength(res_.get(), row_, col)));
  }
  std::string_view TextView(int col) override {
    return std::string_view(PQgetvalue(res_.get(), row_, col),
                            static_cast<size_t>(PQgetlength(res_.get(), row_, col)));
  }

 private:
  ResultPtr res_;
  int n_;
  int row_ = -1;
};

class PgConnection final : public Connection {
 public:
  explicit PgConnection(ConnPtr conn) : conn_(std::move(conn)) {}
  Dialect dialect() const override { return Dialect::kPostgres; }

  Status ExecScript(std::string_view sql) override {
    std::string s(sql);
    ResultPtr res(PQexec(conn_.get(), s.c_str()));
    ExecStatusType st = PQresultStatus(res.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      return ErrorFor(conn_.get(), res.get(), "postgresql");
    }
    return Status::OK();
  }

  Result<std::unique_ptr<Rows>> Query(const std::string& sql,
                                      std::span<const Param> params) override {
    VIGIL_ASSIGN_OR_RETURN(ResultPtr res, Run(sql, params));
    return std::unique_ptr<Rows>(std::make_unique<PgRows>(std::move(res)));
  }

  Result<int64_t> Execute(const std::string& sql, std::span<const Param> params) override {
    VIGIL_ASSIGN_OR_RETURN(ResultPtr res, Run(sql, params));
    const char* n = PQcmdTuples(res.get());
    return static_cast<int64_t>(n && *n ? std::strtoll(n, nullptr, 10) : 0);
  }

 private:
  Result<ResultPtr> Run(const std::string& sql, std::span<const Param> params) {
    auto it = prepared_.find(sql);
    if (it == prepared_.end()) {
      // Built in two steps: `"s" + std::to_string(...)` trips GCC 12's -Wrestrict false
      // positive in release builds.
      std::string name = std::to_string(prepared_.size() + 1);
      name.insert(name.begin(), 's');
      std::string text = NumberPlaceholders(sql);
      ResultPtr res(PQprepare(conn_.get(), name.c_str(), text.c_str(),
                              static_cast<int>(params.size()), nullptr));
      if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
        return ErrorFor(conn_.get(), res.get(), "prepare");
      }
      it = prepared_.emplace(sql, std::move(name)).first;
    }
    std::vector<std::string> ints;
    ints.reserve(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    std::vector<int> lengths(params.size(), 0);
    for (size_t i = 0; i < params.size(); ++i) {
      if (const auto* v = std::get_if<int64_t>(&params[i])) {
        ints.push_back(std::to_string(*v));
        values[i] = ints.back().c_str();
        lengths[i] = static_cast<int>(ints.back().size());
      } else if (const auto* t = std::get_if<std::string>(&params[i])) {
        values[i] = t->c_str();
        lengths[i] = static_cast<int>(t->size());
      }
    }
    ResultPtr res(PQexecPrepared(conn_.get(), it->second.c_str(), static_cast<int>(params.size()),
                                 values.data(), lengths.data(), nullptr, 0));
    ExecStatusType st = PQresultStatus(res.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      return ErrorFor(conn_.get(), res.get(), "query");
    }
    return res;
  }

  ConnPtr conn_;
  std::map<std::string, std::string, std::less<>> prepared_;  // sql -> statement name
};

void IgnoreNotice(void*, const char*) {}

}  // namespace

std::string NumberPlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  char quote = 0;
  for (char c : sql) {
    if (quote) {
      if (c == quote) quote = 0;
      out += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '?') {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

Result<std::unique_ptr<Connection>> OpenPostgres(const std::string& conninfo,
                                                 int connect_timeout_s) {
  std::string timeout = std::to_string(connect_timeout_s);
  // expand_dbname: `dbname` may itself be a URI or keyword string; connect_timeout is a
  // default that the string can override.
  const char* keys[] = {"connect_timeout", "dbname", nullptr};
  const char* vals[] = {timeout.c_str(), conninfo.c_str(), nullptr};
  ConnPtr conn(PQconnectdbParams(keys, vals, 1));
  if (!conn) return Status::Unavailable("cannot open PostgreSQL store: out of memory");
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return Status::Unavailable("cannot connect to PostgreSQL: " +
                               FirstLine(PQerrorMessage(conn.get())));
  }
  PQsetNoticeProcessor(conn.get(), IgnoreNotice, nullptr);
  auto c = std::make_unique<PgConnection>(std::move(conn));
  VIGIL_RETURN_IF_ERROR(c->ExecScript("SET client_min_messages = warning"));
  return std::unique_ptr<Connection>(std::move(c));
}

}  // namespace vigil::store::sql
