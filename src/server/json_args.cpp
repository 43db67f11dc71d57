#include "server/json_args.h"

#include <string>

namespace vigil::server {

Result<int64_t> OptInt(const boost::json::object& o, std::string_view key, int64_t fallback) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return fallback;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(v->as_uint64());
  }
  return Status::InvalidArgument("'" + std::string(key) + "' must be an integer");
}

}  // namespace vigil::server
