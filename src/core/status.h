// Status and Result<T>: the core's one error channel for expected failures.
//
// Contract: functions in the core library never throw across a module boundary.
// They return Status (no value) or Result<T> (a value or the Status saying why
// not). A Status carries a stable code, which outer layers map to exit codes or
// HTTP statuses in one place, and a human message naming the thing that failed.
//
// Thread safety: values; any thread may use its own copies.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace vigil {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // malformed input from the caller (bad hex, bad flag)
  kNotFound,            // a named thing does not exist
  kAlreadyExists,       // creating something that exists
  kCorruption,          // stored or received data fails its own checks
  kIOError,             // the operating system refused (open, read, write)
  kUnsupported,         // well-formed but not something we handle (format, feature)
  kResourceExhausted,   // a named limit was hit (pixels, bytes, frames, rate)
  kPermissionDenied,    // authenticated but not allowed
  kUnauthenticated,     // no or bad credentials
  kFailedPrecondition,  // state does not allow it (schema too new, wrong order)
  kUnavailable,         // a dependency is down; retrying may help
  kDeadlineExceeded,    // a timeout
  kInternal,            // a bug: an invariant did not hold
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status OK() { return {}; }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status IOError(std::string m) { return {StatusCode::kIOError, std::move(m)}; }
  static Status Unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
  static Status ResourceExhausted(std::string m) {
    return {StatusCode::kResourceExhausted, std::move(m)};
  }
  static Status PermissionDenied(std::string m) {
    return {StatusCode::kPermissionDenied, std::move(m)};
  }
  static Status Unauthenticated(std::string m) {
    return {StatusCode::kUnauthenticated, std::move(m)};
  }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status DeadlineExceeded(std::string m) {
    return {StatusCode::kDeadlineExceeded, std::move(m)};
  }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "code: message", or "OK".
  std::string ToString() const;

  // Returns a copy with "context: " prepended to the message (same code).
  Status WithContext(std::string_view context) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value of type T, or the Status explaining its absence. Never holds an OK status
// without a value.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok() && "Result built from an OK status has no value");
    if (std::get<Status>(v_).ok()) v_ = Status::Internal("Result built from OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & {
    assert(ok());
    return std::get<T>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T value_or(T fallback) const { return ok() ? std::get<T>(v_) : std::move(fallback); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace vigil

#define VIGIL_CONCAT_INNER_(a, b) a##b
#define VIGIL_CONCAT_(a, b) VIGIL_CONCAT_INNER_(a, b)

// Returns the Status from the enclosing function if `expr` is not OK.
#define VIGIL_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::vigil::Status vigil_status_ = (expr);        \
    if (!vigil_status_.ok()) return vigil_status_; \
  } while (0)

// `lhs = value of expr`, or returns its Status from the enclosing function.
#define VIGIL_ASSIGN_OR_RETURN(lhs, expr)                   \
  auto VIGIL_CONCAT_(vigil_result_, __LINE__) = (expr);     \
  if (!VIGIL_CONCAT_(vigil_result_, __LINE__).ok())         \
    return VIGIL_CONCAT_(vigil_result_, __LINE__).status(); \
  lhs = std::move(VIGIL_CONCAT_(vigil_result_, __LINE__)).value()
