// Sign-ins from the audit log (Enterprise and Enterprise Plus only,
// reference §7.1): GET /audit_logs?filter[action]=login with a created_at
// range, oldest first, 100 a page on the account budget. Each record is a
// real sign-in of `actor_id` (the connecting admin's included: API calls do
// not create sign-in records). Cost: ceil(sign-ins in the window / 100).
// The checkpoint is the start of the next range; the once-only key
// "audit:<id>" makes a re-read page harmless.
#include <nlohmann/json.hpp>

#include "sync/source.h"

namespace sk::sync {
namespace {

class AuditLogLoginsSource final : public Source {
 public:
  const char* name() const override { return "audit_log_logins"; }
  bool Available(const SyncContext& ctx, std::string* why) const override {
    return AuditLogAvailable(ctx, "sign-in history",
                             "login evidence is last_login_at moves instead (sign-in or API use)", why);
  }

  Status Run(SyncContext& ctx) override {
    const std::string key = "usage:audit_log_logins";
    SK_ASSIGN_OR_RETURN(auto saved, ctx.store->GetCheckpoint(ctx.conn.account, key));
    UnixTime from = ctx.window_start;
    if (saved && std::stoll(*saved) > from) from = std::stoll(*saved);
    UnixTime to = ctx.now;
    if (from >= to) return Status::Ok();  // nothing new since the last range
    std::string cursor;
    int64_t pages = 0, records = 0;
    UnixTime latest = from;
    while (true) {
      SK_ASSIGN_OR_RETURN(auto page, ctx.client->LoginAuditLogs(from, to, cursor));
      ++pages;
      store::Page out;
      for (const auto& r : page.items) {
        ++records;
        if (r.action != "login" || r.actor_id <= 0 || r.created_at < ctx.window_start) continue;
        latest = std::max(latest, r.created_at);
        store::ActivityDelta d{r.actor_id, ctx.zone.DayOf(r.created_at), store::Kind::kLoginAudit, 1,
                               {"audit_log:" + std::to_string(r.id)}};
        out.once.push_back({"audit:" + std::to_string(r.id), d});
      }
      // Only a finished range moves the checkpoint; an interrupted one is re-read (harmless).
      if (!page.has_more) out.checkpoints[key] = std::to_string(to);
      SK_RETURN_IF_ERROR(ctx.store->ApplyPage(ctx.conn.account, out, ctx.now));
      ctx.Report({"sign-ins (audit log)", pages, records, page.has_more ? 0.5 : 1.0, -1});
      if (!page.has_more) break;
      if (page.after_cursor.empty() || page.after_cursor == cursor)
        return BadResponse("the audit log has more pages but no new cursor");
      cursor = page.after_cursor;
    }
    return Status::Ok();
  }
};

}  // namespace

std::unique_ptr<Source> MakeAuditLogLoginsSource() { return std::make_unique<AuditLogLoginsSource>(); }

}  // namespace sk::sync
