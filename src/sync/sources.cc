#include <nlohmann/json.hpp>

#include "sync/source.h"

namespace sk::sync {

std::vector<std::unique_ptr<Source>> UsageSources() {
  std::vector<std::unique_ptr<Source>> s;
  // The last 7 days of every source first, so recent days are complete early;
  // the rest of the window's ticket activity (the long part) last.
  s.push_back(MakeTicketActivitySource(/*recent=*/true));
  s.push_back(MakeArticlesSource());
  s.push_back(MakeAuditLogLoginsSource());
  s.push_back(MakeDeletedTicketsSource(/*recent=*/true));
  s.push_back(MakeTicketActivitySource(/*recent=*/false));
  s.push_back(MakeDeletedTicketsSource(/*recent=*/false));
  s.push_back(MakeAuditLogUserChangesSource());  // who changed a user: role history
  s.push_back(MakeGroupMembershipsSource());     // policies' --exempt-groups
  return s;
}

bool SyncContext::IsOwnWrite(int64_t user_id, int64_t ticket_id, UnixTime t) const {
  if (!conn.connecting_user_id || user_id != *conn.connecting_user_id) return false;
  auto it = own_writes.find(ticket_id);
  if (it == own_writes.end()) return false;
  for (const auto& [from, to] : it->second)
    if (t >= from - 5 && t <= to + 300) return true;  // jobs finish after the request returns
  return false;
}

bool AuditLogAvailable(const SyncContext& ctx, const std::string& what, const std::string& instead,
                       std::string* why) {
  auto caps = nlohmann::json::parse(ctx.conn.capabilities_json, nullptr, false);
  if (caps.is_object() && caps.value("audit_logs", false)) return true;
  *why = "the audit log (" + what + ") needs Zendesk Enterprise or Enterprise Plus; " + instead;
  return false;
}

int64_t SyncContext::account_limit_per_minute() const {
  const auto& st = client->stats();
  return st.account_limit.value_or(200);
}

}  // namespace sk::sync
