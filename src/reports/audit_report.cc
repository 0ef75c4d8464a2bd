#include "reports/audit_report.h"

#include "store/views.h"

namespace sk::reports {

Result<std::vector<store::AuditEntry>> RunAudit(store::Store& st, const std::string& account) {
  return st.ListAudit(account);
}

nlohmann::json AuditJson(const std::vector<store::AuditEntry>& entries) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& e : entries) arr.push_back(store::AuditJson(e));
  return arr;
}

}  // namespace sk::reports
