#include "server/api_error.h"

#include <boost/json.hpp>

namespace vigil::server {

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists: return 409;
    case StatusCode::kCorruption: return 422;  // the client sent data that fails its checks
    case StatusCode::kIOError: return 500;
    case StatusCode::kUnsupported: return 415;
    case StatusCode::kResourceExhausted: return 413;  // a named size limit was hit
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kFailedPrecondition: return 409;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kDeadlineExceeded: return 504;
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

ApiError ErrorFromStatus(const Status& status) {
  ApiError e;
  e.http_status = HttpStatusFor(status.code());
  e.code = std::string(StatusCodeName(status.code()));
  // Internal details (SQL text, file paths) stay in the server log, not in responses.
  e.message = e.http_status >= 500 && status.code() != StatusCode::kUnavailable
                  ? std::string("internal error")
                  : status.message();
  return e;
}

std::string ErrorJson(std::string_view code, std::string_view message) {
  boost::json::object inner;
  inner["code"] = code;
  inner["message"] = message;
  boost::json::object outer;
  outer["error"] = std::move(inner);
  return boost::json::serialize(outer);
}

}  // namespace vigil::server
