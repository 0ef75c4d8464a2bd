#include "actions/delete_user.h"

#include "actions/agent_tickets.h"

namespace sk::actions {

using nlohmann::json;

Result<ActionOutcome> DeleteUser(const ActionContext& ctx, const DeleteUserRequest& req) {
  const std::string id = std::to_string(req.user_id);
  AuditRecord audit(ctx, "user.delete", "user:" + id);
  if (Status s = CheckWritePermission(ctx.conn); !s.ok()) return audit.Fail(s);
  if (req.user_id <= 0) return audit.Fail(InvalidArgument("user id must be positive"));
  const TicketChoice choice{req.reassign_to, req.let_zendesk_reassign, req.reassigned_by_earlier_step};
  if (Status s = ValidateTicketChoice(choice, req.user_id); !s.ok()) return audit.Fail(s);
  if (ctx.client == nullptr) return audit.Fail(Internal("no Zendesk client"));

  auto user = FetchUser(ctx, req.user_id);
  if (!user.ok()) return audit.Fail(user.status());
  const zendesk::User& u = *user;
  const json before = UserJson(u);
  if (Status s = audit.Begin(before); !s.ok()) return s;
  const std::string who = "user " + id + " (" + u.name + ")";

  ActionOutcome o = NewOutcome(ctx, "user.delete", "user:" + id);
  o.before = before;
  if (!u.active) {
    o.result = ctx.dry_run ? "dry-run" : "no-op";
    o.summary = who + " is already deleted";
    o.changes.push_back({"delete-user", "soft-delete " + who, "already-done"});
    o.after = ctx.dry_run ? json(nullptr) : before;
    if (!ctx.dry_run) (void)ReflectUser(ctx, u, "soft");
    audit.Finish(o);
    return o;
  }
  if (IsOwner(ctx.conn, u))
    return audit.Fail(Refused(who + " is the account owner: the owner cannot be deleted"));
  if (IsConnectingUser(ctx.conn, u)) {
    return audit.Fail(
        Refused(who + " is the connecting user: seatkeeper will not delete the account it acts as"));
  }
  std::optional<zendesk::User> assignee;
  if (req.reassign_to && !req.reassigned_by_earlier_step) {
    auto a = CheckAssignee(ctx, *req.reassign_to);
    if (!a.ok()) return audit.Fail(a.status());
    assignee = *a;
  }
  auto effect = PlanTicketSideEffect(ctx, u, ChangeForDelete(u));
  if (!effect.ok()) return audit.Fail(effect.status());
  const size_t open = effect->held.ids.size();
  o.details = {{"non_closed_tickets", open}};
  const std::string what = "delete " + who;

  if (ctx.dry_run) {
    if (open > 0 && req.reassign_to && !req.reassigned_by_earlier_step) {
      o.changes.push_back({"reassign-tickets",
                           "reassign " + std::to_string(open) + " non-closed tickets to " +
                               std::to_string(*req.reassign_to) + " (" + assignee->name + ")",
                           "planned"});
    }
    o.summary = "would soft-delete " + who;
    // In offboard the downgrade before this step already said what happens to the tickets.
    if (!req.reassigned_by_earlier_step) DescribeTicketSideEffect(*effect, choice, what, o);
    o.changes.push_back({"delete-user", "soft-delete " + who + " (" + u.role + ")", "planned"});
    audit.Finish(o);
    return o;
  }
  if (effect->NeedsChoice() && !req.reassign_to && !req.let_zendesk_reassign) {
    ActionOutcome refused = ChoiceRequiredOutcome(ctx, "user.delete", "user:" + id, *effect, what, before);
    refused.changes.push_back({"delete-user", "soft-delete " + who + " (" + u.role + ")", "skipped"});
    audit.Finish(refused);
    return refused;
  }

  if (open > 0 && req.reassign_to) {
    ActionContext step = ctx;
    step.parent_audit_id = audit.id();
    auto moved = ReassignTickets(step, req.user_id, *req.reassign_to, req.reassign);
    if (!moved.ok()) return audit.Fail(moved.status().With("reassigning tickets before the delete"));
    o.details["reassign"] = moved->ToJson();
    o.changes.insert(o.changes.end(), moved->changes.begin(), moved->changes.end());
    o.warnings.insert(o.warnings.end(), moved->warnings.begin(), moved->warnings.end());
    if (!moved->status.ok()) {
      Status s = moved->status.With("not deleting " + who + " because its tickets did not all move");
      return audit.Fail(s);
    }
  }

  const UnixTime start = NowUnix();
  auto deleted = ctx.client->DeleteUser(req.user_id);
  if (!deleted.ok()) return audit.Fail(FromZendesk(deleted.status(), "delete " + who));
  zendesk::User after = *deleted;
  if (after.active) {
    // Some answers omit the flag: ask again before calling it done.
    auto again = ctx.client->ShowUser(req.user_id);
    if (again.ok()) after = *again;
    if (after.active) {
      return audit.Fail(
          Status(Code::kBadResponse, "Zendesk still reports " + who + " as active after the delete"));
    }
  }
  o.after = UserJson(after);
  if (Status s = ReflectUser(ctx, after, "soft"); !s.ok()) o.warnings.push_back(s.ToString());
  o.details["ticket_side_effect"] = effect->ToJson(choice);
  if (!req.reassign_to) RecordZendeskMoves(ctx, *effect, start, o);
  o.changes.push_back({"delete-user", "soft-delete " + who + " (" + u.role + ")", "done"});
  o.summary = "deleted " + who + " (soft delete; permanent deletion needs `seatkeeper user delete " + id +
              " --permanent --yes`)";
  audit.Finish(o);
  return o;
}

}  // namespace sk::actions
