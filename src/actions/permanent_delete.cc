#include "actions/permanent_delete.h"

#include "actions/delete_user.h"

namespace sk::actions {

using nlohmann::json;

namespace {

constexpr const char* kScrubbedName = "Permanently Deleted User";

zendesk::User Scrubbed(zendesk::User u) {
  u.name = kScrubbedName;
  u.email.reset();
  u.active = false;
  return u;
}

}  // namespace

Result<bool> InDeletedUsers(const ActionContext& ctx, int64_t id) {
  auto r = ctx.client->Get("/api/v2/deleted_users/" + std::to_string(id) + ".json");
  if (r.ok()) return true;
  if (r.status().code() == Code::kNotFound) return false;
  return r.status().With("reading deleted user " + std::to_string(id));
}

namespace {

// The user is gone from Zendesk (404 `gone`): done already if seatkeeper
// deleted it permanently, else unknown.
Result<ActionOutcome> AlreadyGone(const ActionContext& ctx, AuditRecord& audit, ActionOutcome& o,
                                  int64_t user_id, const Status& gone) {
  const std::string id = std::to_string(user_id);
  auto rec = ctx.store->GetUser(ctx.conn.account, user_id);
  if (rec.ok() && rec->has_value() && (*rec)->deleted_kind == "permanent") {
    SK_RETURN_IF_ERROR(audit.Begin(nullptr));
    return AlreadyDone(ctx, audit, o, "user " + id + " is already permanently deleted",
                       {"permanent-delete", "permanently delete user " + id});
  }
  return audit.Fail(Refused("user " + id + " does not exist in Zendesk (" + gone.message() + ")"));
}

// Soft-deletes the user first, as a step of this entry. False when the soft
// delete refused for want of a ticket choice (nothing was sent): `o` is then
// completed as that refusal.
Result<bool> SoftDeleteFirst(const ActionContext& ctx, int64_t audit_id, const PermanentDeleteRequest& req,
                             const std::string& who, ActionOutcome& o) {
  ActionContext step = ctx;
  step.parent_audit_id = audit_id;
  DeleteUserRequest del{req.user_id, req.reassign_to, req.reassign, req.let_zendesk_reassign};
  auto soft = DeleteUser(step, del);
  if (!soft.ok()) return soft.status().With("soft-deleting before the permanent delete");
  if (!soft->status.ok()) {
    o.result = soft->result;
    o.status = soft->status;
    o.summary = soft->summary;
    o.changes = soft->changes;
    o.changes.push_back({"permanent-delete", "permanently delete " + who + " (irreversible)", "skipped"});
    o.details["ticket_side_effect"] = soft->details.value("ticket_side_effect", json(nullptr));
    return false;
  }
  o.changes.insert(o.changes.end(), soft->changes.begin(), soft->changes.end());
  o.warnings.insert(o.warnings.end(), soft->warnings.begin(), soft->warnings.end());
  o.details["soft_delete"] = soft->ToJson();
  if (soft->details.contains("ticket_side_effect"))
    o.details["ticket_side_effect"] = soft->details["ticket_side_effect"];
  return true;
}

// Sends the permanent deletion, then reads what Zendesk keeps of the user
// (it leaves /deleted_users, possibly later) into o.after and the store.
Status SendPermanentDelete(const ActionContext& ctx, const PermanentDeleteRequest& req,
                           const zendesk::User& u, const std::string& who, ActionOutcome& o) {
  const std::string id = std::to_string(req.user_id);
  if (Status s = ctx.client->PermanentlyDeleteUser(req.user_id); !s.ok()) {
    Status refused = FromZendesk(s, "permanently delete " + who);
    if (u.active && !req.soft_delete_first && refused.code() == Code::kRefused) {
      refused = Refused(refused.message() +
                        " (the user is still active: soft-delete it first, e.g. `seatkeeper user delete " +
                        id + " --permanent --yes`)");
    }
    return refused;
  }
  auto still = InDeletedUsers(ctx, req.user_id);
  if (still.ok() && *still)
    o.warnings.push_back("Zendesk still lists " + who + " among deleted users (scrubbing in progress)");
  zendesk::User after = Scrubbed(u);
  if (auto again = ctx.client->ShowUser(req.user_id); again.ok()) {
    after = *again;
    if (after.name != kScrubbedName || after.email) after = Scrubbed(after);
  }
  o.after = UserJson(after);
  if (Status s = ReflectUser(ctx, after, "permanent"); !s.ok()) o.warnings.push_back(s.ToString());
  return Status::Ok();
}

}  // namespace

Result<ActionOutcome> PermanentlyDeleteUser(const ActionContext& ctx, const PermanentDeleteRequest& req) {
  const std::string id = std::to_string(req.user_id);
  AuditRecord audit(ctx, "user.permanent-delete", "user:" + id);
  if (Status s = CheckWritePermission(ctx.conn); !s.ok()) return audit.Fail(s);
  if (req.user_id <= 0) return audit.Fail(InvalidArgument("user id must be positive"));
  if (req.confirm.empty() && !ctx.dry_run) return audit.Fail(InvalidArgument(kConfirmationRule));
  if (ctx.client == nullptr) return audit.Fail(Internal("no Zendesk client"));

  ActionOutcome o = NewOutcome(ctx, "user.permanent-delete", "user:" + id);
  auto user = ctx.client->ShowUser(req.user_id);
  if (!user.ok()) {
    if (user.status().code() != Code::kNotFound) return audit.Fail(user.status().With("reading user " + id));
    return AlreadyGone(ctx, audit, o, req.user_id, user.status());
  }
  const zendesk::User& u = *user;
  o.before = UserJson(u);
  if (Status s = audit.Begin(o.before); !s.ok()) return s;
  if (!ctx.dry_run) {
    if (Status s = CheckConfirmation(req.confirm, req.user_id, u.email); !s.ok()) return audit.Fail(s);
  }
  const std::string who = "user " + id + " (" + u.name + ")";
  if (!u.active) {
    auto pending = InDeletedUsers(ctx, req.user_id);
    if (!pending.ok()) return audit.Fail(pending.status());
    if (!*pending || (u.name == kScrubbedName && !u.email)) {
      if (!ctx.dry_run) (void)ReflectUser(ctx, Scrubbed(u), "permanent");
      return AlreadyDone(ctx, audit, o, who + " is already permanently deleted",
                         {"permanent-delete", "permanently delete " + who});
    }
  }
  if (Status s = ProtectOwnerAndSelf(ctx.conn, u, who, "the owner cannot be deleted",
                                     "seatkeeper will not delete the account it acts as");
      !s.ok())
    return audit.Fail(s);
  if (u.active && req.soft_delete_first) {
    auto went_on = SoftDeleteFirst(ctx, audit.id(), req, who, o);
    if (!went_on.ok()) return audit.Fail(went_on.status());
    if (!*went_on) {
      audit.Finish(o);
      return o;
    }
  } else if (u.active) {
    o.warnings.push_back(who + " is active: Zendesk only permanently deletes soft-deleted users");
  }
  if (ctx.dry_run) {
    o.changes.push_back({"permanent-delete", "permanently delete " + who + " (irreversible)", "planned"});
    o.summary =
        "would permanently delete " + who + (u.active && req.soft_delete_first ? " after a soft delete" : "");
    audit.Finish(o);
    return o;
  }
  if (Status s = SendPermanentDelete(ctx, req, u, who, o); !s.ok()) return audit.Fail(s);
  o.changes.push_back({"permanent-delete", "permanently delete " + who + " (irreversible)", "done"});
  o.summary = "permanently deleted " + who;
  audit.Finish(o);
  return o;
}

}  // namespace sk::actions
