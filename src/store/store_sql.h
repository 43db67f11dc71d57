// Internal to src/store: the short SQL helpers shared by the stores that run their own
// statements on a SqlStore's connection (referrals, reversals, operations). Not installed,
// not for use outside src/store.
//
// Thread safety: as the Store whose connection they use (one thread at a time).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/sql.h"
#include "store/sql_store.h"

namespace vigil::store::store_sql {

using sql::Param;

inline Param I(int64_t v) { return v; }
inline Param S(std::string_view v) { return std::string(v); }

inline sql::Connection& Conn(Store* s) { return *RawConnectionForTesting(*s); }

inline Result<std::unique_ptr<sql::Rows>> Q(Store* s, const std::string& q, std::vector<Param> p) {
  return Conn(s).Query(q, p);
}
inline Result<int64_t> X(Store* s, const std::string& q, std::vector<Param> p) {
  return Conn(s).Execute(q, p);
}

}  // namespace vigil::store::store_sql
