#include "server/json_args.h"

#include <charconv>
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

Result<boost::json::object> ParseBody(const std::string& body, bool required) {
  if (body.empty()) {
    if (!required) return boost::json::object{};
    return Status::InvalidArgument("request body must be a JSON object");
  }
  boost::system::error_code ec;
  boost::json::parse_options opts;
  opts.max_depth = 16;
  boost::json::value v = boost::json::parse(body, ec, {}, opts);
  if (ec) return Status::InvalidArgument("request body is not valid JSON: " + ec.message());
  if (!v.is_object()) return Status::InvalidArgument("request body must be a JSON object");
  return std::move(v.as_object());
}

Result<int64_t> ParseReferralId(const std::string& text) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v <= 0) {
    return Status::NotFound("referral " + text + " not found");
  }
  return v;
}

}  // namespace vigil::server
