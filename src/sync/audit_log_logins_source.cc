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
    return ReadAuditLogRange(
        ctx, key, to, "sign-ins (audit log)",
        [&](const std::string& cursor) { return ctx.client->LoginAuditLogs(from, to, cursor); },
        [&](const zendesk::AuditLog& r, store::Page& out) {
          if (r.action != "login" || r.actor_id <= 0 || r.created_at < ctx.window_start) return;
          store::ActivityDelta d{r.actor_id,
                                 ctx.zone.DayOf(r.created_at),
                                 store::Kind::kLoginAudit,
                                 1,
                                 {"audit_log:" + std::to_string(r.id)}};
          out.once.push_back({"audit:" + std::to_string(r.id), d});
        });
  }
};

}  // namespace

std::unique_ptr<Source> MakeAuditLogLoginsSource() { return std::make_unique<AuditLogLoginsSource>(); }

}  // namespace sk::sync
