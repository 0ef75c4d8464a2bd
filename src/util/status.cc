#include "util/status.h"

namespace sk {

const char* CodeName(Code c) {
  switch (c) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid argument";
    case Code::kRefused: return "refused";
    case Code::kUnauthenticated: return "unauthenticated";
    case Code::kForbidden: return "forbidden";
    case Code::kNotFound: return "not found";
    case Code::kConflict: return "conflict";
    case Code::kInvalidRecord: return "invalid record";
    case Code::kRateLimited: return "rate limited";
    case Code::kUnavailable: return "unavailable";
    case Code::kBadResponse: return "bad response";
    case Code::kIo: return "i/o error";
    case Code::kInternal: return "internal error";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(CodeName(code_)) + ": " + message_;
}

Status Status::With(const std::string& context) const {
  if (ok()) return *this;
  return Status(code_, context + ": " + message_);
}

int ExitCodeFor(const Status& s) {
  switch (s.code()) {
    case Code::kOk: return 0;
    case Code::kInvalidArgument: return 2;
    case Code::kRefused: return 3;
    default: return 1;
  }
}

}  // namespace sk
