// The audit report: every action taken on the account, oldest first
// (`seatkeeper audit --json`, GET /api/audit).
#pragma once

#include <string>
#include <vector>

#include "reports/report.h"

namespace sk::reports {

Result<std::vector<store::AuditEntry>> RunAudit(store::Store& st, const std::string& account);
// An array of store::AuditJson: a before/after value that is not JSON (a
// damaged row) is shown as the string it is, never dropped or malformed.
nlohmann::json AuditJson(const std::vector<store::AuditEntry>& entries);

}  // namespace sk::reports
