#include "reports/audit_report.h"

#include "reports/registry.h"
#include "reports/table.h"
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

namespace {

using nlohmann::json;

// A short human rendering of an audit before/after value.
std::string Brief(const json& j) {
  if (j.is_null()) return "-";
  if (j.is_object()) {
    if (j.contains("user") && j["user"].is_object()) return Brief(j["user"]);
    if (j.contains("request") && j["request"].is_object()) {
      const json& r = j["request"];
      if (j.contains("existing") && j["existing"].is_object()) return "exists: " + Brief(j["existing"]);
      return "none; asked " + r.value("email", "") + " as " + r.value("role", "");
    }
    if (j.contains("role") && j["role"].is_string()) {
      std::string s = "role=" + j["role"].get<std::string>();
      if (j.contains("custom_role_id") && !j["custom_role_id"].is_null())
        s += " custom_role=" + j["custom_role_id"].dump();
      if (j.contains("active") && j["active"].is_boolean())
        s += j["active"].get<bool>() ? " active" : " deleted";
      return s;
    }
    if (j.contains("non_closed")) return "non-closed tickets=" + j["non_closed"].dump();
    if (j.contains("moved")) {
      return "moved=" + j["moved"].dump() + " failed=" + j.value("failed", json(0)).dump() +
             " remaining=" + j.value("remaining", json(0)).dump();
    }
    if (j.contains("steps") && j["steps"].is_object()) {
      std::string s;
      for (const auto& [k, v] : j["steps"].items()) {
        s += (s.empty() ? "" : " ") + k + "=" + (v.is_object() ? v.value("state", "?") : "?");
      }
      return s.empty() ? "plan: new" : s;
    }
  }
  std::string s = j.dump();
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

}  // namespace

void PrintAudit(const std::vector<store::AuditEntry>& entries, std::ostream& out) {
  if (entries.empty()) {
    out << "no actions recorded yet\n";
    return;
  }
  Table t({"ID", "TIME", "ACTOR", "ACTION", "TARGET", "RESULT", "BEFORE", "AFTER", "DETAIL"});
  for (const auto& e : entries) {
    t.Add({std::to_string(e.id), FormatIso(e.at), e.actor, e.action, e.target, e.result,
           Brief(nlohmann::json::parse(e.before_json, nullptr, false)),
           Brief(nlohmann::json::parse(e.after_json, nullptr, false)), e.detail});
  }
  t.Print(out);
}

std::vector<Report> AuditReports() {
  Report audit =
      DeclareReport("audit", {"audit"}, "/api/audit", "Actions taken: when, who asked, before, after, result",
                    "Every action taken on the account, oldest first (audit --json)");
  audit.needs_connection = false;
  audit.parse = Steps([](const Reader&) -> Result<bool> { return true; },
                      [](const Source& s, bool) { return RunAudit(*s.store, s.account); },
                      JsonOrText(AuditJson, PrintAudit));
  return {audit};
}

}  // namespace sk::reports
