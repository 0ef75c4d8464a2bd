#include "actions/render.h"

#include <sstream>

#include "util/text.h"

namespace sk::actions {

using nlohmann::json;

const char* FailureResult(const Status& s) {
  return s.code() == Code::kRefused || s.code() == Code::kInvalidArgument ? "refused" : "failed";
}

json ErrorJson(const Status& s) {
  return {{"result", FailureResult(s)}, {"code", CodeName(s.code())}, {"error", s.message()}};
}

std::string OutcomeText(const ActionOutcome& o) {
  std::ostringstream out;
  if (o.result == "dry-run") out << "dry run: nothing was changed\n";
  // Zendesk's data (names, emails) reach these lines: control characters are replaced.
  if (o.result != "refused") out << TerminalText(o.summary) << "\n";  // a refusal's reason ends the output as the error
  if (o.changes.size() > 1 || (o.changes.size() == 1 && o.changes[0].description != o.summary)) {
    for (const auto& c : o.changes)
      out << "  [" << c.state << "] " << TerminalSafe(c.step) << ": " << TerminalSafe(c.description) << "\n";
  }
  if (o.audit_id > 0) out << "audit entry " << o.audit_id << "\n";
  return out.str();
}

}  // namespace sk::actions
