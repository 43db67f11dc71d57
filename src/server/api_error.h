// The API's one error shape and the one place that maps vigil::Status codes to HTTP.
//
// Every error response is {"error":{"code":"<stable code>","message":"<human text>"}}.
// Codes are stable API: clients branch on them, never on messages. The Status codes map
// to their StatusCodeName ("invalid_argument", "not_found", ...); the HTTP layer adds a
// few of its own (kCode* below) for conditions that have no Status.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace vigil::server {

// Codes the HTTP layer produces itself.
inline constexpr std::string_view kCodeRouteNotFound = "route_not_found";
inline constexpr std::string_view kCodeMethodNotAllowed = "method_not_allowed";
inline constexpr std::string_view kCodePayloadTooLarge = "payload_too_large";
inline constexpr std::string_view kCodeHeaderTooLarge = "header_too_large";
inline constexpr std::string_view kCodeRateLimited = "rate_limited";
inline constexpr std::string_view kCodeBadRequest = "bad_request";
inline constexpr std::string_view kCodeUnsupportedMediaType = "unsupported_media_type";

// An error on its way to the client.
struct ApiError {
  int http_status = 500;
  std::string code;
  std::string message;
};

// THE mapping from Status to HTTP status and code. `status` must not be OK.
ApiError ErrorFromStatus(const Status& status);
// HTTP status for a Status code (used by ErrorFromStatus; exposed for tests and docs).
int HttpStatusFor(StatusCode code);
// {"error":{"code":...,"message":...}}
std::string ErrorJson(std::string_view code, std::string_view message);

}  // namespace vigil::server
