// Errors as values. A Status is ok or carries a code and a human message;
// Result<T> is a value or a Status. Modules return these instead of throwing.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace sk {

enum class Code {
  kOk = 0,
  kInvalidArgument,  // caller's input is wrong (CLI exit 2)
  kRefused,          // permission level or precondition says no (CLI exit 3)
  kUnauthenticated,  // credentials rejected by Zendesk (401, anonymous users/me)
  kForbidden,        // authenticated but not allowed (403), incl. IP restriction
  kNotFound,         // 404
  kConflict,         // 409 / duplicate
  kInvalidRecord,    // 422 validation
  kRateLimited,      // 429 that outlasted the retries
  kUnavailable,      // network error, 5xx, timeout after retries
  kBadResponse,      // body not parseable / wrong shape
  kIo,               // local file / database error
  kInternal,
};

const char* CodeName(Code c);

class Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return {}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "code: message", for logs and error output.
  std::string ToString() const;
  // Prefixes the message with context ("syncing users: ...").
  Status With(const std::string& context) const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
inline Status Refused(std::string m) { return {Code::kRefused, std::move(m)}; }
inline Status IoError(std::string m) { return {Code::kIo, std::move(m)}; }
inline Status BadResponse(std::string m) { return {Code::kBadResponse, std::move(m)}; }
inline Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }

// Maps a status to the CLI's exit code (spec §6): 0 ok, 2 usage, 3 refused, 1 otherwise.
int ExitCodeFor(const Status& s);

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).ok()); }  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace sk

// Returns early with the status when `expr` is not ok.
#define SK_RETURN_IF_ERROR(expr)          \
  do {                                    \
    ::sk::Status sk_status_ = (expr);     \
    if (!sk_status_.ok()) return sk_status_; \
  } while (0)

#define SK_CONCAT_INNER(a, b) a##b
#define SK_CONCAT(a, b) SK_CONCAT_INNER(a, b)
// Declares `lhs` from a Result, returning its status when not ok.
#define SK_ASSIGN_OR_RETURN(lhs, expr) SK_ASSIGN_OR_RETURN_IMPL(SK_CONCAT(sk_res_, __LINE__), lhs, expr)
#define SK_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
