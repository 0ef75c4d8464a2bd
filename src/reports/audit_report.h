// The audit report: every action taken on the account, oldest first
// (`seatkeeper audit`, GET /api/audit); declared in AuditReports().
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "reports/report.h"

namespace sk::reports {

Result<std::vector<store::AuditEntry>> RunAudit(store::Store& st, const std::string& account);
// An array of store::AuditJson: a before/after value that is not JSON (a
// damaged row) is shown as the string it is, never dropped or malformed.
nlohmann::json AuditJson(const std::vector<store::AuditEntry>& entries);
// audit: a table with a short rendering of each before/after value.
void PrintAudit(const std::vector<store::AuditEntry>& entries, std::ostream& out);

}  // namespace sk::reports
