#include "actions/delete_user.h"

#include "actions/agent_tickets.h"
#include "actions/permanent_delete.h"
#include "actions/registry.h"

namespace sk::actions {

using nlohmann::json;

namespace {

Result<TicketPlan> PlanDelete(const ActionContext& ctx, const DeleteUserRequest& req, const UserTarget& t) {
  TicketPlan p;
  p.choice = {req.reassign_to, req.let_zendesk_reassign, req.reassigned_by_earlier_step};
  if (req.reassign_to && !req.reassigned_by_earlier_step) {
    SK_ASSIGN_OR_RETURN(p.assignee, CheckAssignee(ctx, *req.reassign_to));
  }
  SK_ASSIGN_OR_RETURN(p.effect, PlanTicketSideEffect(ctx, t.user, ChangeForDelete(t.user)));
  p.what = "delete " + t.who;
  p.change = "soft-delete " + t.who + " (" + t.user.role + ")";
  return p;
}

void DryRunDelete(const DeleteUserRequest& req, const UserTarget& t, const TicketPlan& p, ActionOutcome& o) {
  const size_t open = p.effect.held.ids.size();
  if (open > 0 && p.assignee) o.changes.push_back(PlannedReassign(open, *req.reassign_to, *p.assignee));
  o.summary = "would soft-delete " + t.who;
  // In offboard the downgrade before this step already said what happens to the tickets.
  if (!req.reassigned_by_earlier_step) DescribeTicketSideEffect(p.effect, p.choice, p.what, o);
  o.changes.push_back({"delete-user", p.change, "planned"});
}

// Sends the delete and checks Zendesk reports the user inactive.
Result<zendesk::User> SendDelete(const ActionContext& ctx, int64_t id, const std::string& who) {
  auto deleted = ctx.client->DeleteUser(id);
  if (!deleted.ok()) return FromZendesk(deleted.status(), "delete " + who);
  zendesk::User after = *deleted;
  if (after.active) {
    // Some answers omit the flag: ask again before calling it done.
    auto again = ctx.client->ShowUser(id);
    if (again.ok()) after = *again;
    if (after.active)
      return Status(Code::kBadResponse, "Zendesk still reports " + who + " as active after the delete");
  }
  return after;
}

}  // namespace

Result<ActionOutcome> DeleteUser(const ActionContext& ctx, const DeleteUserRequest& req) {
  const std::string id = std::to_string(req.user_id);
  AuditRecord audit(ctx, "user.delete", "user:" + id);
  const TicketChoice choice{req.reassign_to, req.let_zendesk_reassign, req.reassigned_by_earlier_step};
  SK_ASSIGN_OR_RETURN(UserTarget t,
                      BeginUserAction(ctx, audit, req.user_id, ValidateTicketChoice(choice, req.user_id)));
  ActionOutcome o = NewOutcome(ctx, "user.delete", "user:" + id);
  o.before = t.before;
  if (!t.user.active) {
    if (!ctx.dry_run) (void)ReflectUser(ctx, t.user, "soft");
    return AlreadyDone(ctx, audit, o, t.who + " is already deleted", {"delete-user", "soft-delete " + t.who});
  }
  if (Status s = ProtectOwnerAndSelf(ctx.conn, t.user, t.who, "the owner cannot be deleted",
                                     "seatkeeper will not delete the account it acts as");
      !s.ok())
    return audit.Fail(s);
  auto plan = PlanDelete(ctx, req, t);
  if (!plan.ok()) return audit.Fail(plan.status());
  o.details = {{"non_closed_tickets", plan->effect.held.ids.size()}};
  if (ctx.dry_run) {
    DryRunDelete(req, t, *plan, o);
    audit.Finish(o);
    return o;
  }
  if (auto refused = RefuseWithoutChoice(ctx, audit, *plan, o, "delete-user")) return *refused;
  if (plan->effect.HoldsTickets() && req.reassign_to) {
    if (Status s = ReassignBefore(ctx, audit.id(), req.user_id, *req.reassign_to, req.reassign, "the delete",
                                  "not deleting " + t.who, o);
        !s.ok())
      return audit.Fail(s);
  }
  const UnixTime start = NowUnix();
  auto after = SendDelete(ctx, req.user_id, t.who);
  if (!after.ok()) return audit.Fail(after.status());
  o.after = UserJson(*after);
  if (Status s = ReflectUser(ctx, *after, "soft"); !s.ok()) o.warnings.push_back(s.ToString());
  o.details["ticket_side_effect"] = plan->effect.ToJson(choice);
  if (!req.reassign_to) RecordZendeskMoves(ctx, plan->effect, start, o);
  o.changes.push_back({"delete-user", plan->change, "done"});
  o.summary = "deleted " + t.who + " (soft delete; permanent deletion needs `seatkeeper user delete " + id +
              " --permanent --yes`)";
  audit.Finish(o);
  return o;
}

std::vector<Operation> DeleteUserOperations() {
  Operation op = DeclareAction(
      "user.delete", {"user", "delete"}, "delete-user",
      "Soft-delete a user; --permanent --yes deletes it permanently",
      "Soft-delete a user; with permanent=true (and confirm = the user's id or email) delete it "
      "permanently. " +
          TicketChoiceRule("An agent who holds non-closed tickets", "hands them to the acting admin"));
  op.target = "user_id";
  op.irreversible_if = "permanent";
  op.fields = {
      UserIdField(),
      FlagField("permanent", "--permanent", "Permanently delete (GDPR; irreversible; soft-deletes first)"),
      ReassignToField("Reassign the user's non-closed tickets to this agent first"),
      LetZendeskReassignField("Delete an agent who holds non-closed tickets without reassigning them: "
                              "Zendesk hands them to the acting admin (one of this or --reassign-to is "
                              "required then)"),
      ConfirmField("a permanent deletion")};
  op.parse = [](const FieldValues& v) -> Result<ActionRun> {
    if (v.Bool("permanent")) {
      PermanentDeleteRequest p;
      p.user_id = v.Id("user_id");
      p.reassign_to = v.OptionalId("reassign_to");
      p.let_zendesk_reassign = v.Bool("let_zendesk_reassign");
      p.soft_delete_first = true;
      p.confirm = v.Str("confirm");  // checked by the action (CheckConfirmation)
      return ActionRun([p](const ActionContext& ctx) { return PermanentlyDeleteUser(ctx, p); });
    }
    DeleteUserRequest d;
    d.user_id = v.Id("user_id");
    d.reassign_to = v.OptionalId("reassign_to");
    d.let_zendesk_reassign = v.Bool("let_zendesk_reassign");
    return ActionRun([d](const ActionContext& ctx) { return DeleteUser(ctx, d); });
  };
  UiButton soft = Button("action-delete", "Delete", "Delete user (soft delete)", 60);
  soft.hide_when = {{"deleted", true}};
  UiButton perm =
      Button("action-permanent-delete", "Permanently delete", "Permanently delete (irreversible)", 70);
  perm.preset = {{"permanent", true}};
  perm.hide_when = {{"deleted_kind", "permanent"}};
  soft.danger = perm.danger = true;
  op.buttons = {soft, perm};
  return {op};
}

}  // namespace sk::actions
