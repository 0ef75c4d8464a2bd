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

std::vector<SourceLane> UsageSourceLanes() {
  std::vector<SourceLane> lanes(4);
  // The incremental exports bucket (10 a minute) and, for the audit walk, the
  // account budget: the longest lane, its recent days first. The deleted-ticket
  // list (its own 10 a minute) goes with it, in the sequential order: it and
  // the event export count a deletion under one once-only key, into the same
  // (user, day) rows, so in one lane those rows get their counts and evidence
  // ids (capped at 5 a row) in the same order as a sequential sync, run after
  // run. It costs the export little: the list's pages (about 1 per 100
  // deletions of 30 days) go while the export's window refills.
  lanes[0].name = "ticket activity";
  lanes[0].sources.push_back(MakeTicketActivitySource(/*recent=*/true));
  lanes[0].sources.push_back(MakeDeletedTicketsSource(/*recent=*/true));
  lanes[0].sources.push_back(MakeTicketActivitySource(/*recent=*/false));
  lanes[0].sources.push_back(MakeDeletedTicketsSource(/*recent=*/false));
  // The user export's own bucket (20 a minute) and the staff list; who changed
  // a user is asked for once the user pass has read every user.
  lanes[1].name = "users";
  lanes[1].sources.push_back(MakeAuditLogUserChangesSource());
  lanes[1].sources.push_back(MakeGroupMembershipsSource());  // account budget, a few pages
  lanes[2].name = "audit log";  // sign-ins, on the account budget
  lanes[2].sources.push_back(MakeAuditLogLoginsSource());
  lanes[3].name = "help center";  // Help Center's own limit
  lanes[3].sources.push_back(MakeArticlesSource());
  return lanes;
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

Status ReadAuditLogRange(
    SyncContext& ctx, const std::string& key, UnixTime to, const std::string& phase,
    const std::function<Result<zendesk::CursorPage<zendesk::AuditLog>>(const std::string& cursor)>& fetch,
    const std::function<void(const zendesk::AuditLog&, store::Page&)>& add) {
  std::string cursor;
  int64_t pages = 0, records = 0;
  while (true) {
    SK_ASSIGN_OR_RETURN(auto page, fetch(cursor));
    ++pages;
    store::Page out;
    for (const auto& r : page.items) {
      ++records;
      add(r, out);
    }
    if (!page.has_more) out.checkpoints[key] = std::to_string(to);
    SK_RETURN_IF_ERROR(ctx.store->ApplyPage(ctx.conn.account, out, ctx.now));
    ctx.Report({phase, pages, records, page.has_more ? 0.5 : 1.0, -1});
    SK_ASSIGN_OR_RETURN(const bool more, NextCursor(page, &cursor, "the audit log"));
    if (!more) return Status::Ok();
  }
}

int64_t SyncContext::account_limit_per_minute() const {
  if (auto seen = client->StatsSnapshot().account_limit) return *seen;
  // What connect's preflight saw.
  auto caps = nlohmann::json::parse(conn.capabilities_json, nullptr, false);
  if (caps.is_object() && caps.value("rate_limit", 0) > 0) return caps.value("rate_limit", 0);
  return 200;
}

}  // namespace sk::sync
