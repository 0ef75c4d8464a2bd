// Who changed a user, from the audit log (Enterprise and Enterprise Plus
// only, reference §7.1): GET /audit_logs?filter[source_type]=user with
// filter[action][]=update and =destroy over a created_at range, oldest first,
// 100 a page on the account budget. Each record names the actor (actor_id,
// actor_name; -1 is Zendesk itself), the user (source_id) and the time; its
// change_description is not documented word for word, so it is not parsed:
// the role history (reports/user_history) matches records to the changes a
// sync found between two syncs. The range starts where the last one ended
// (first sync: now, since no change is known before it) and ends now, after
// the user pass read every user. Cost: ceil(user changes since the last sync / 100).
#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "sync/source.h"

namespace sk::sync {
namespace {

class AuditLogUserChangesSource final : public Source {
 public:
  const char* name() const override { return "audit_log_user_changes"; }
  bool Available(const SyncContext& ctx, std::string* why) const override {
    return AuditLogAvailable(ctx, "who changed a user",
                             "role history says between which syncs a change happened", why);
  }

  Status Run(SyncContext& ctx) override {
    const std::string key = "history:audit_log_user_changes";
    SK_ASSIGN_OR_RETURN(auto saved, ctx.store->GetCheckpoint(ctx.conn.account, key));
    UnixTime from = ctx.conn.last_sync_at.value_or(ctx.now);
    if (saved) from = std::stoll(*saved);
    const UnixTime to = std::max(ctx.now, NowUnix());
    if (from >= to) return Status::Ok();
    return ReadAuditLogRange(
        ctx, key, to, "user changes (audit log)",
        [&](const std::string& cursor) { return ctx.client->UserChangeAuditLogs(from, to, cursor); },
        [](const zendesk::AuditLog& r, store::Page& out) {
          if (r.source_type != "user" || !r.source_id || (r.action != "update" && r.action != "destroy"))
            return;
          std::optional<int64_t> actor;
          if (r.actor_id != 0) actor = r.actor_id;
          out.user_audit.push_back({r.id, *r.source_id, r.created_at, r.action, actor, r.actor_name});
        });
  }
};

}  // namespace

std::unique_ptr<Source> MakeAuditLogUserChangesSource() {
  return std::make_unique<AuditLogUserChangesSource>();
}

}  // namespace sk::sync
