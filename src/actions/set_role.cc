#include "actions/set_role.h"

#include "actions/agent_tickets.h"

namespace sk::actions {

using nlohmann::json;

namespace {

std::string RoleText(const std::string& role, const std::optional<int64_t>& custom_role_id) {
  return role + (custom_role_id && role != "end-user"
                     ? " (custom role " + std::to_string(*custom_role_id) + ")"
                     : "");
}

}  // namespace

Result<ActionOutcome> SetRole(const ActionContext& ctx, const SetRoleRequest& req) {
  const std::string id = std::to_string(req.user_id);
  AuditRecord audit(ctx, "user.set-role", "user:" + id);
  if (Status s = CheckWritePermission(ctx.conn); !s.ok()) return audit.Fail(s);
  if (req.user_id <= 0) return audit.Fail(InvalidArgument("user id must be positive"));
  if (Status s = ValidateRole(req.role, req.custom_role_id); !s.ok()) return audit.Fail(s);
  const TicketChoice choice{req.reassign_to, req.let_zendesk_reassign, req.reassigned_by_earlier_step};
  if (Status s = ValidateTicketChoice(choice, req.user_id); !s.ok()) return audit.Fail(s);
  if (ctx.client == nullptr) return audit.Fail(Internal("no Zendesk client"));

  auto user = FetchUser(ctx, req.user_id);
  if (!user.ok()) return audit.Fail(user.status());
  const zendesk::User& u = *user;
  const json before = UserJson(u);
  if (Status s = audit.Begin(before); !s.ok()) return s;

  const std::string who = "user " + id + " (" + u.name + ")";
  if (!u.active) return audit.Fail(Refused(who + " is deleted: its role cannot be changed"));
  if (req.role != "admin") {
    if (IsOwner(ctx.conn, u)) {
      return audit.Fail(Refused(who + " is the account owner: the owner must stay an admin"));
    }
    if (IsConnectingUser(ctx.conn, u)) {
      return audit.Fail(
          Refused(who + " is the connecting user: seatkeeper will not remove its own admin role"));
    }
  }

  ActionOutcome o = NewOutcome(ctx, "user.set-role", "user:" + id);
  o.before = before;
  const bool same_role = u.role == req.role;
  const bool same_custom =
      req.role == "end-user" || !req.custom_role_id || u.custom_role_id == req.custom_role_id;
  const std::string from_text = RoleText(u.role, u.custom_role_id);
  const std::string to_text = RoleText(req.role, req.custom_role_id);
  // The command that undoes this change, for the audit log.
  std::string undo = "seatkeeper user set-role " + id + " --role " + u.role;
  if (u.custom_role_id && u.role != "end-user") undo += " --custom-role " + std::to_string(*u.custom_role_id);
  o.details = {{"previous_role", u.role},
               {"previous_custom_role_id", u.custom_role_id ? json(*u.custom_role_id) : json(nullptr)},
               {"role", req.role},
               {"custom_role_id", req.custom_role_id ? json(*req.custom_role_id) : json(nullptr)},
               {"undo", undo}};

  if (same_role && same_custom) {
    o.result = ctx.dry_run ? "dry-run" : "no-op";
    o.summary = who + " is already " + from_text + ": nothing to change";
    o.changes.push_back({"set-role", "role " + from_text + " -> " + to_text, "already-done"});
    o.details["undo"] = nullptr;
    o.after = ctx.dry_run ? json(nullptr) : before;
    audit.Finish(o);
    return o;
  }
  const std::string change = "role " + from_text + " -> " + to_text;
  std::string role_warning;
  const AgentChange kind = ChangeForRole(ctx, u, req.role, req.custom_role_id, &role_warning);
  auto effect = PlanTicketSideEffect(ctx, u, kind);
  if (!effect.ok()) return audit.Fail(effect.status());
  effect->warning = role_warning;
  const size_t held = effect->held.ids.size();
  std::optional<zendesk::User> assignee;
  if (effect->NeedsChoice() && req.reassign_to && !req.reassigned_by_earlier_step) {
    auto a = CheckAssignee(ctx, *req.reassign_to);
    if (!a.ok()) return audit.Fail(a.status());
    assignee = *a;
  }
  const std::string what = "change " + who + " to " + to_text;
  if (ctx.dry_run) {
    o.summary = "would change " + who + ": " + change;
    if (assignee) {
      o.changes.push_back({"reassign-tickets",
                           "reassign " + std::to_string(held) + " non-closed tickets to " +
                               std::to_string(*req.reassign_to) + " (" + assignee->name + ")",
                           "planned"});
    }
    DescribeTicketSideEffect(*effect, choice, what, o);
    o.changes.push_back({"set-role", change, "planned"});
    audit.Finish(o);
    return o;
  }
  if (effect->NeedsChoice() && !req.reassign_to && !req.let_zendesk_reassign) {
    ActionOutcome refused = ChoiceRequiredOutcome(ctx, "user.set-role", "user:" + id, *effect, what, before);
    refused.details.update(o.details);
    refused.details["undo"] = nullptr;
    refused.changes.push_back({"set-role", change, "skipped"});
    audit.Finish(refused);
    return refused;
  }
  if (effect->NeedsChoice() && req.reassign_to) {
    ActionContext step = ctx;
    step.parent_audit_id = audit.id();
    auto moved = ReassignTickets(step, req.user_id, *req.reassign_to, req.reassign);
    if (!moved.ok()) return audit.Fail(moved.status().With("reassigning tickets before the role change"));
    o.details["reassign"] = moved->ToJson();
    o.changes.insert(o.changes.end(), moved->changes.begin(), moved->changes.end());
    o.warnings.insert(o.warnings.end(), moved->warnings.begin(), moved->warnings.end());
    if (!moved->status.ok()) {
      return audit.Fail(
          moved->status.With("not changing the role of " + who + " because its tickets did not all move"));
    }
  }
  const UnixTime start = NowUnix();

  json body = {{"role", req.role}};
  if (req.role != "end-user" && req.custom_role_id) body["custom_role_id"] = *req.custom_role_id;
  auto updated = ctx.client->UpdateUser(req.user_id, body);
  if (!updated.ok()) {
    return audit.Fail(FromZendesk(updated.status(), "change the role of " + who + " to " + to_text));
  }
  o.after = UserJson(*updated);
  if (Status s = ReflectUser(ctx, *updated); !s.ok()) o.warnings.push_back(s.ToString());
  // Verify Zendesk's answer before reporting success.
  if (updated->role != req.role ||
      (req.role != "end-user" && req.custom_role_id && updated->custom_role_id != req.custom_role_id)) {
    Status bad(Code::kBadResponse, "Zendesk answered the role change of " + who + " with role " +
                                       RoleText(updated->role, updated->custom_role_id) + ", not " + to_text);
    return audit.Fail(bad, o.after);
  }
  o.details["ticket_side_effect"] = effect->ToJson(choice);
  if (!req.reassign_to) RecordZendeskMoves(ctx, *effect, start, o);
  o.summary = "changed " + who + ": " + change + " (undo: " + undo + ")";
  o.changes.push_back({"set-role", change, "done"});
  audit.Finish(o);
  return o;
}

}  // namespace sk::actions
