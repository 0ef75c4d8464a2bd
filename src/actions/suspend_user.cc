// Actions: suspend / unsuspend a user (PUT /api/v2/users/{id} with
// {"user":{"suspended":true|false}}, reference §4 user fields). A suspended
// user cannot sign in; the seat stays taken and its tickets stay where they
// are (reference §4.3: "Suspending an agent changes nothing about tickets
// or the seat"). Idempotent: a user already in that state is a "no-op".
// Refused: read connection (before any request), a deleted user, suspending
// the account owner or the connecting user, and Zendesk's own refusals.
#include "actions/registry.h"

namespace sk::actions {

using nlohmann::json;

namespace {

Result<ActionOutcome> SetSuspended(const ActionContext& ctx, int64_t user_id, bool suspend) {
  const std::string action = suspend ? "user.suspend" : "user.unsuspend";
  const std::string verb = suspend ? "suspend" : "unsuspend";
  const std::string id = std::to_string(user_id);
  AuditRecord audit(ctx, action, "user:" + id);
  SK_ASSIGN_OR_RETURN(UserTarget t, BeginUserAction(ctx, audit, user_id));
  if (!t.user.active) return audit.Fail(Refused(t.who + " is deleted: it cannot be " + verb + "ed"));
  if (suspend) {
    if (Status s = ProtectOwnerAndSelf(ctx.conn, t.user, t.who, "the owner cannot be suspended",
                                       "seatkeeper will not suspend the account it acts as");
        !s.ok())
      return audit.Fail(s);
  }
  ActionOutcome o = NewOutcome(ctx, action, "user:" + id);
  o.before = t.before;
  o.details = {{"undo", "seatkeeper user " + std::string(suspend ? "unsuspend " : "suspend ") + id}};
  const Change change{verb, verb + " " + t.who, ""};
  if (t.user.suspended == suspend) {
    o.details["undo"] = nullptr;
    return AlreadyDone(ctx, audit, o, t.who + " is already " + (suspend ? "suspended" : "not suspended"),
                       change);
  }
  if (ctx.dry_run) {
    o.summary = "would " + verb + " " + t.who;
    o.changes.push_back({change.step, change.description, "planned"});
    audit.Finish(o);
    return o;
  }
  auto updated = ctx.client->UpdateUser(user_id, {{"suspended", suspend}});
  if (!updated.ok()) return audit.Fail(FromZendesk(updated.status(), verb + " " + t.who));
  o.after = UserJson(*updated);
  if (Status s = ReflectUser(ctx, *updated); !s.ok()) o.warnings.push_back(s.ToString());
  if (updated->suspended != suspend)
    return audit.Fail(Status(Code::kBadResponse, "Zendesk did not " + verb + " " + t.who), o.after);
  o.summary = verb + "ed " + t.who + " (undo: " + o.details["undo"].get<std::string>() + ")";
  o.changes.push_back({change.step, change.description, "done"});
  audit.Finish(o);
  return o;
}

Operation SuspendOperation(bool suspend) {
  const std::string verb = suspend ? "suspend" : "unsuspend";
  Operation op =
      DeclareAction("user." + verb, {"user", verb}, verb + "-user",
                    suspend ? "Suspend a user: it cannot sign in; its seat and tickets stay as they are"
                            : "Lift a user's suspension: it can sign in again");
  op.target = "user_id";
  op.fields = {UserIdField()};
  op.parse = [suspend](const FieldValues& v) -> Result<ActionRun> {
    const int64_t id = v.Id("user_id");
    return ActionRun([id, suspend](const ActionContext& ctx) { return SetSuspended(ctx, id, suspend); });
  };
  UiButton b = Button("action-" + verb, suspend ? "Suspend" : "Unsuspend",
                      suspend ? "Suspend user" : "Unsuspend user", 55);
  b.hide_when = {{"suspended", suspend}, {"deleted", true}};
  op.buttons = {b};
  return op;
}

}  // namespace

std::vector<Operation> SuspendUserOperations() {
  return {SuspendOperation(true), SuspendOperation(false)};
}

}  // namespace sk::actions
