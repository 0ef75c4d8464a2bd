#include "actions/set_role.h"

#include "actions/agent_tickets.h"
#include "actions/registry.h"

namespace sk::actions {

using nlohmann::json;

namespace {

std::string RoleText(const std::string& role, const std::optional<int64_t>& custom_role_id) {
  return role + (custom_role_id && role != "end-user"
                     ? " (custom role " + std::to_string(*custom_role_id) + ")"
                     : "");
}

}  // namespace

namespace {

// The details of a role change: the previous role and the command undoing it.
json RoleDetails(const SetRoleRequest& req, const zendesk::User& u) {
  std::string undo = "seatkeeper user set-role " + std::to_string(req.user_id) + " --role " + u.role;
  if (u.custom_role_id && u.role != "end-user") undo += " --custom-role " + std::to_string(*u.custom_role_id);
  return {{"previous_role", u.role},
          {"previous_custom_role_id", u.custom_role_id ? json(*u.custom_role_id) : json(nullptr)},
          {"role", req.role},
          {"custom_role_id", req.custom_role_id ? json(*req.custom_role_id) : json(nullptr)},
          {"undo", undo}};
}

Result<TicketPlan> PlanRole(const ActionContext& ctx, const SetRoleRequest& req, const UserTarget& t) {
  TicketPlan p;
  p.choice = {req.reassign_to, req.let_zendesk_reassign, req.reassigned_by_earlier_step};
  const std::string to_text = RoleText(req.role, req.custom_role_id);
  p.change = "role " + RoleText(t.user.role, t.user.custom_role_id) + " -> " + to_text;
  p.what = "change " + t.who + " to " + to_text;
  std::string role_warning;
  const AgentChange kind = ChangeForRole(ctx, t.user, req.role, req.custom_role_id, &role_warning);
  SK_ASSIGN_OR_RETURN(p.effect, PlanTicketSideEffect(ctx, t.user, kind));
  p.effect.warning = role_warning;
  if (p.effect.NeedsChoice() && req.reassign_to && !req.reassigned_by_earlier_step) {
    SK_ASSIGN_OR_RETURN(p.assignee, CheckAssignee(ctx, *req.reassign_to));
  }
  return p;
}

void DryRunRole(const SetRoleRequest& req, const UserTarget& t, const TicketPlan& p, ActionOutcome& o) {
  o.summary = "would change " + t.who + ": " + p.change;
  if (p.assignee)
    o.changes.push_back(PlannedReassign(p.effect.held.ids.size(), *req.reassign_to, *p.assignee));
  DescribeTicketSideEffect(p.effect, p.choice, p.what, o);
  o.changes.push_back({"set-role", p.change, "planned"});
}

// Sends the PUT and checks Zendesk's answer; o.after is set even when it disagrees.
Status SendRole(const ActionContext& ctx, const SetRoleRequest& req, const std::string& who,
                ActionOutcome& o) {
  const std::string to_text = RoleText(req.role, req.custom_role_id);
  json body = {{"role", req.role}};
  if (req.role != "end-user" && req.custom_role_id) body["custom_role_id"] = *req.custom_role_id;
  auto updated = ctx.client->UpdateUser(req.user_id, body);
  if (!updated.ok()) return FromZendesk(updated.status(), "change the role of " + who + " to " + to_text);
  o.after = UserJson(*updated);
  if (Status s = ReflectUser(ctx, *updated); !s.ok()) o.warnings.push_back(s.ToString());
  if (updated->role != req.role ||
      (req.role != "end-user" && req.custom_role_id && updated->custom_role_id != req.custom_role_id)) {
    return Status(Code::kBadResponse, "Zendesk answered the role change of " + who + " with role " +
                                          RoleText(updated->role, updated->custom_role_id) + ", not " +
                                          to_text);
  }
  return Status::Ok();
}

}  // namespace

Result<ActionOutcome> SetRole(const ActionContext& ctx, const SetRoleRequest& req) {
  const std::string id = std::to_string(req.user_id);
  AuditRecord audit(ctx, "user.set-role", "user:" + id);
  Status request = ValidateRole(req.role, req.custom_role_id);
  if (request.ok())
    request = ValidateTicketChoice(
        {req.reassign_to, req.let_zendesk_reassign, req.reassigned_by_earlier_step}, req.user_id);
  SK_ASSIGN_OR_RETURN(UserTarget t, BeginUserAction(ctx, audit, req.user_id, request));
  const zendesk::User& u = t.user;
  if (!u.active) return audit.Fail(Refused(t.who + " is deleted: its role cannot be changed"));
  if (req.role != "admin") {
    if (Status s = ProtectOwnerAndSelf(ctx.conn, u, t.who, "the owner must stay an admin",
                                       "seatkeeper will not remove its own admin role");
        !s.ok())
      return audit.Fail(s);
  }
  ActionOutcome o = NewOutcome(ctx, "user.set-role", "user:" + id);
  o.before = t.before;
  o.details = RoleDetails(req, u);
  const bool same_custom =
      req.role == "end-user" || !req.custom_role_id || u.custom_role_id == req.custom_role_id;
  if (u.role == req.role && same_custom) {
    o.details["undo"] = nullptr;
    const std::string from_text = RoleText(u.role, u.custom_role_id);
    return AlreadyDone(ctx, audit, o, t.who + " is already " + from_text + ": nothing to change",
                       {"set-role", "role " + from_text + " -> " + RoleText(req.role, req.custom_role_id)});
  }
  auto plan = PlanRole(ctx, req, t);
  if (!plan.ok()) return audit.Fail(plan.status());
  if (ctx.dry_run) {
    DryRunRole(req, t, *plan, o);
    audit.Finish(o);
    return o;
  }
  if (!plan->effect.warning.empty()) o.warnings.push_back(plan->effect.warning);
  nlohmann::json kept = o.details;  // a refusal keeps the role details, with nothing to undo
  kept["undo"] = nullptr;
  if (auto refused = RefuseWithoutChoice(ctx, audit, *plan, o, "set-role", kept)) return *refused;
  if (plan->effect.NeedsChoice() && req.reassign_to) {
    if (Status s = ReassignBefore(ctx, audit.id(), req.user_id, *req.reassign_to, req.reassign,
                                  "the role change", "not changing the role of " + t.who, o);
        !s.ok())
      return audit.Fail(s);
  }
  const UnixTime start = NowUnix();
  if (Status s = SendRole(ctx, req, t.who, o); !s.ok()) return audit.Fail(s, o.after);
  o.details["ticket_side_effect"] = plan->effect.ToJson(plan->choice);
  if (!req.reassign_to) RecordZendeskMoves(ctx, plan->effect, start, o);
  o.summary =
      "changed " + t.who + ": " + plan->change + " (undo: " + o.details["undo"].get<std::string>() + ")";
  o.changes.push_back({"set-role", plan->change, "done"});
  audit.Finish(o);
  return o;
}

namespace {

UiButton RoleButton(const std::string& id, const std::string& label, const std::string& title,
                    const std::string& role, int rank) {
  UiButton b = Button(id, label, title, rank);
  b.preset = b.hide_when = {{"role", role}};
  return b;
}

}  // namespace

std::vector<Operation> SetRoleOperations() {
  Operation op = DeclareAction(
      "user.set-role", {"user", "set-role"}, "set-role",
      "Downgrade to end user (frees the seat) or upgrade to agent/admin",
      "Downgrade to end user (frees the seat) or upgrade to agent/admin. " +
          TicketChoiceRule("Downgrading an agent who holds non-closed tickets (to end user, light agent or "
                           "contributor)",
                           "hands them to the acting admin / unassigns them"));
  op.target = "user_id";
  Field role =
      OptionField("role", FieldType::kEnum, true, "--role", "end-user, agent or admin", "end-user", "Role");
  role.choices = {"end-user", "agent", "admin"};
  op.fields = {
      UserIdField(), role, CustomRoleField(),
      ReassignToField("Downgrading an agent who holds non-closed tickets (to end user, light agent or "
                      "contributor): reassign them to this agent first"),
      LetZendeskReassignField("Downgrade without reassigning: Zendesk hands the tickets to the acting "
                              "admin (to end user) or unassigns them (to light agent/contributor)")};
  op.parse = [](const FieldValues& v) -> Result<ActionRun> {
    const SetRoleRequest r{.user_id = v.Id("user_id"),
                           .role = v.Str("role"),
                           .custom_role_id = v.OptionalId("custom_role_id"),
                           .reassign_to = v.OptionalId("reassign_to"),
                           .let_zendesk_reassign = v.Bool("let_zendesk_reassign")};
    return ActionRun([r](const ActionContext& ctx) { return SetRole(ctx, r); });
  };
  op.buttons = {
      RoleButton("action-downgrade", "Downgrade to end user", "Downgrade to end user", "end-user", 10),
      RoleButton("action-agent", "Make agent", "Upgrade to agent", "agent", 20),
      RoleButton("action-admin", "Make admin", "Upgrade to admin", "admin", 30)};
  return {op};
}

}  // namespace sk::actions
