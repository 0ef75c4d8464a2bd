// Logging: spdlog to standard error, as text or one JSON object a line
// (--log-format json), with context fields (account, run id) carried by a
// scope, and every registered secret masked in every line as a last guard
// (secrets are never passed to the logger on purpose).
#pragma once

#include <map>
#include <string>

#include "util/status.h"

namespace sk::log {

// format: "text" | "json"; level: trace|debug|info|warn|error|off.
Status Init(const std::string& format, const std::string& level);

// True after Init("json", ...): standard error carries JSON lines only, so
// messages for the user go through the logger too.
bool IsJson();

// Any occurrence of `secret` (≥ 6 characters) in a log line becomes "***".
void RegisterSecret(const std::string& secret);

// Adds fields to every line logged by this thread while alive.
class Scope {
 public:
  explicit Scope(std::map<std::string, std::string> fields);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  std::map<std::string, std::string> saved_;
};

// The fields of this thread's scopes, for a thread started on its behalf
// (log::Scope inherit(log::CurrentFields())).
std::map<std::string, std::string> CurrentFields();

// A fresh run id for the "run_id" field: "<unix seconds>-<8 hex digits>",
// unique enough to tell runs apart in logs.
std::string NewRunId();

// Masks registered secrets in `s` (used by the formatter; exposed for tests).
std::string Redact(std::string s);

}  // namespace sk::log
