// Status and Result<T>: how engines, adapters, the store and modules report failure without
// exceptions. A Status is a code plus a human message that names what was wrong.
// Thread-safety: value types; safe to copy between threads.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace dai {

//! The failure classes. Each maps to exactly one tRPC error code (see server/trpc.h).
enum class StatusCode {
  kOk,
  kInvalidArgument,     //!< bad input from the caller (BAD_REQUEST)
  kParseError,          //!< input that is not valid JSON (PARSE_ERROR)
  kUnauthenticated,     //!< no or invalid identity (UNAUTHORIZED)
  kPermissionDenied,    //!< identity below the required role (FORBIDDEN)
  kNotFound,            //!< the named thing does not exist (NOT_FOUND)
  kConflict,            //!< state conflict, e.g. duplicate name (CONFLICT)
  kFailedPrecondition,  //!< the system is not in a state that allows this (PRECONDITION_FAILED)
  kPayloadTooLarge,     //!< input over a size limit (PAYLOAD_TOO_LARGE)
  kResourceExhausted,   //!< rate limit or quota (TOO_MANY_REQUESTS)
  kDeadlineExceeded,    //!< timed out (TIMEOUT)
  kUnimplemented,       //!< declared but not built yet (NOT_IMPLEMENTED)
  kUnavailable,         //!< a dependency (store, Prometheus ...) cannot be reached (INTERNAL 503)
  kInternal,            //!< a bug or an unexpected failure (INTERNAL_SERVER_ERROR)
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status ParseError(std::string m) { return {StatusCode::kParseError, std::move(m)}; }
  static Status Unauthenticated(std::string m) { return {StatusCode::kUnauthenticated, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Conflict(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
  static Status FailedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
  static Status PayloadTooLarge(std::string m) { return {StatusCode::kPayloadTooLarge, std::move(m)}; }
  static Status ResourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
  static Status DeadlineExceeded(std::string m) { return {StatusCode::kDeadlineExceeded, std::move(m)}; }
  static Status Unimplemented(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  //! "NOT_FOUND: incident 7 does not exist" (or "OK").
  std::string ToString() const;
  //! Prefixes the message with context: "loading config: " + message.
  Status WithContext(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

//! A value or the Status saying why there is none. Never holds an OK status without a value.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok() && "Result constructed from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  //! The value, or `fallback` when there is none.
  T value_or(T fallback) const& { return ok() ? std::get<T>(v_) : std::move(fallback); }
  T* operator->() { return &std::get<T>(v_); }
  const T* operator->() const { return &std::get<T>(v_); }
  T& operator*() & { return std::get<T>(v_); }
  const T& operator*() const& { return std::get<T>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace dai

#define DAI_CONCAT_INNER_(a, b) a##b
#define DAI_CONCAT_(a, b) DAI_CONCAT_INNER_(a, b)

//! Returns the Status from the enclosing function when `expr` is not OK.
#define DAI_RETURN_IF_ERROR(expr)           \
  do {                                      \
    ::dai::Status dai_status_ = (expr);     \
    if (!dai_status_.ok()) return dai_status_; \
  } while (0)

//! `DAI_ASSIGN_OR_RETURN(auto x, F());` unwraps a Result or returns its Status.
#define DAI_ASSIGN_OR_RETURN(lhs, expr) \
  DAI_ASSIGN_OR_RETURN_IMPL_(DAI_CONCAT_(dai_result_, __LINE__), lhs, expr)
#define DAI_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()
