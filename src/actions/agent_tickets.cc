#include "actions/agent_tickets.h"

#include <algorithm>

#include "sync/license.h"

namespace sk::actions {

using nlohmann::json;

namespace {

std::string Counts(const std::map<std::string, int>& by_status) {
  static const char* kOrder[] = {"new", "open", "pending", "hold", "solved"};
  std::string s;
  auto add = [&](const std::string& st, int n) {
    if (n == 0) return;
    s += (s.empty() ? "" : ", ") + st + " " + std::to_string(n);
  };
  for (const char* st : kOrder)
    if (auto it = by_status.find(st); it != by_status.end()) add(st, it->second);
  for (const auto& [st, n] : by_status)
    if (std::find(std::begin(kOrder), std::end(kOrder), st) == std::end(kOrder)) add(st, n);
  return s;
}

std::string Tickets(size_t n) {
  return std::to_string(n) + (n == 1 ? " non-closed ticket" : " non-closed tickets");
}

std::string ActingAdmin(const std::optional<int64_t>& id) {
  return id ? "the acting admin (the connecting user " + std::to_string(*id) + ")" : "the acting admin";
}

const char* ChangeName(AgentChange c) {
  // In AgentChange's order.
  static const char* const kNames[] = {"none", "delete", "downgrade-to-end-user", "downgrade-to-light-agent",
                                       "downgrade-to-contributor"};
  return kNames[static_cast<int>(c)];
}

bool IsStaff(const zendesk::User& u) {
  return u.active && (u.role == "agent" || u.role == "admin");
}

// Whether the user can be assigned tickets today (not a light agent or contributor).
bool Assignable(const zendesk::User& u) {
  if (!IsStaff(u)) return false;
  const std::string type = sync::Classify(u, {}).type;
  return type != "light-agent" && type != "contributor";
}

}  // namespace

json TicketSideEffect::ToJson(const TicketChoice& choice) const {
  json j = {{"change", ChangeName(change)},
            {"held", held.ids.size()},
            {"by_status", held.by_status},
            {"zendesk_does", zendesk_does},
            {"acting_admin_id", acting_admin_id ? json(*acting_admin_id) : json(nullptr)},
            {"description", description},
            {"choice_required", NeedsChoice() && !choice.reassign_to && !choice.let_zendesk_reassign}};
  if (choice.reassign_to) {
    j["choice"] = "reassign-to";
    j["reassign_to"] = *choice.reassign_to;
  } else if (choice.let_zendesk_reassign) {
    j["choice"] = "let-zendesk-reassign";
  } else {
    j["choice"] = nullptr;
  }
  return j;
}

// Light agents and contributors included: one downgraded before Zendesk
// began unassigning on such downgrades (2026-04-30, reference §4.3) may still
// hold tickets, which a deletion would hand to the acting admin.
AgentChange ChangeForDelete(const zendesk::User& u) {
  return IsStaff(u) ? AgentChange::kDelete : AgentChange::kNone;
}

namespace {

// The role type of custom role `id` among the synced users that hold it, if any does.
std::optional<int> StoredRoleType(const ActionContext& ctx, int64_t id) {
  if (ctx.store == nullptr) return std::nullopt;
  auto users = ctx.store->AllUsers(ctx.conn.account);
  if (!users.ok()) return std::nullopt;
  for (const auto& u : *users)
    if (u.custom_role_id == id && u.role_type) return u.role_type;
  return std::nullopt;
}

}  // namespace

AgentChange ChangeForRole(const ActionContext& ctx, const zendesk::User& u, const std::string& role,
                          const std::optional<int64_t>& custom_role_id, std::string* warning) {
  if (!IsStaff(u)) return AgentChange::kNone;
  if (role == "end-user")
    return AgentChange::kToEndUser;  // a light agent's old tickets too (ChangeForDelete)
  if (!Assignable(u) || role != "agent" || !custom_role_id) return AgentChange::kNone;
  auto roles = ctx.client->ListCustomRoles();
  if (!roles.ok()) {
    // Below Enterprise the list answers 403 (reference §5.1), and the only
    // custom roles there are the light-agent and contributor ones: the synced
    // users holding the role tell which; unknown, it is taken as one of them,
    // so the change needs a choice rather than letting Zendesk move tickets.
    const std::optional<int> type = StoredRoleType(ctx, *custom_role_id);
    if (type == 3) return AgentChange::kToContributor;
    if (type == 1) return AgentChange::kToLightAgent;
    if (type) return AgentChange::kNone;
    if (warning) {
      *warning = "could not read custom role " + std::to_string(*custom_role_id) + " (" +
                 roles.status().message() +
                 "): taken as a light-agent or contributor role, for which Zendesk unassigns the user's "
                 "non-solved tickets";
    }
    return AgentChange::kToLightAgent;
  }
  for (const auto& r : *roles) {
    if (r.id != *custom_role_id) continue;
    if (r.role_type == 1 || r.light_agent) return AgentChange::kToLightAgent;
    if (r.role_type == 3) return AgentChange::kToContributor;
    return AgentChange::kNone;
  }
  return AgentChange::kNone;  // unknown role: Zendesk refuses the change itself
}

Result<TicketSideEffect> PlanTicketSideEffect(const ActionContext& ctx, const zendesk::User& u,
                                              AgentChange change) {
  TicketSideEffect e;
  e.change = change;
  e.acting_admin_id = ctx.conn.connecting_user_id;
  e.zendesk_does = "nothing";
  if (change == AgentChange::kNone) {
    if (IsStaff(u)) e.description = "Zendesk moves none of the user's tickets for this change";
    return e;
  }
  SK_ASSIGN_OR_RETURN(e.held, NonClosedTicketsOf(ctx, *u.id));
  const size_t n = e.held.ids.size();
  if (n == 0) {
    e.description = "the user holds no non-closed tickets: Zendesk has none to move";
    return e;
  }
  const std::string holds = "the user holds " + Tickets(n) + " (" + Counts(e.held.by_status) + "): ";
  if (change == AgentChange::kDelete || change == AgentChange::kToEndUser) {
    e.zendesk_does = "handed-to-acting-admin";
    e.description = holds + "Zendesk hands them all to " + ActingAdmin(e.acting_admin_id);
    return e;
  }
  const size_t solved =
      e.held.by_status.count("solved") ? static_cast<size_t>(e.held.by_status.at("solved")) : 0;
  e.zendesk_does = "unassigned";
  e.description = holds + "Zendesk unassigns the " + std::to_string(n - solved) + " non-solved";
  if (solved > 0) {
    e.description += " and reassigns the " + std::to_string(solved) +
                     " solved by the account's solved-ticket reassignment option (by default to " +
                     ActingAdmin(e.acting_admin_id) + ")";
  }
  return e;
}

Status ValidateTicketChoice(const TicketChoice& choice, int64_t user_id) {
  if (choice.reassign_to && choice.let_zendesk_reassign && !choice.reassigned_by_earlier_step) {
    return InvalidArgument("choose one of --reassign-to ID and --let-zendesk-reassign, not both");
  }
  if (choice.reassign_to && *choice.reassign_to == user_id) {
    return InvalidArgument("--reassign-to must name another user");
  }
  return Status::Ok();
}

Status ChoiceRequired(const TicketSideEffect& e, const std::string& what) {
  return Refused("refusing to " + what + ": " + e.description +
                 ". Add --reassign-to ID to reassign them first, or --let-zendesk-reassign to let Zendesk "
                 "move them (REST: reassign_to or let_zendesk_reassign)");
}

void DescribeTicketSideEffect(const TicketSideEffect& e, const TicketChoice& choice, const std::string& what,
                              ActionOutcome& o) {
  o.details["ticket_side_effect"] = e.ToJson(choice);
  if (e.description.empty()) return;
  std::string line = e.description;
  if (e.NeedsChoice() && choice.reassign_to) {
    line = (choice.reassigned_by_earlier_step ? "the reassign-tickets step moves the user's "
                                              : "seatkeeper first reassigns the user's ") +
           Tickets(e.held.ids.size()) + " to " + std::to_string(*choice.reassign_to) +
           ", so Zendesk has none to move (without that: " + e.description + ")";
  } else if (e.NeedsChoice() && choice.let_zendesk_reassign) {
    line += " (--let-zendesk-reassign)";
  } else if (e.NeedsChoice()) {
    line += " — refused without --reassign-to ID or --let-zendesk-reassign";
    o.warnings.push_back("to " + what +
                         ", add --reassign-to ID (reassign the tickets first) or "
                         "--let-zendesk-reassign: " +
                         e.description);
    o.summary += " (needs --reassign-to ID or --let-zendesk-reassign)";
  }
  o.changes.push_back({"ticket-side-effect", line, "planned"});
  if (!e.warning.empty()) o.warnings.push_back(e.warning);
}

void RecordZendeskMoves(const ActionContext& ctx, const TicketSideEffect& e, UnixTime start,
                        ActionOutcome& o) {
  if (!e.NeedsChoice()) return;
  std::vector<int64_t> ids = e.held.ids;
  std::sort(ids.begin(), ids.end());
  if (Status s = ctx.store->RecordOwnWrites(ctx.conn.account, ids, start - 60, NowUnix() + 60); !s.ok()) {
    o.warnings.push_back("could not record Zendesk's ticket moves as seatkeeper's own writes: " +
                         s.ToString());
  }
  o.changes.push_back({"ticket-side-effect", e.description, "done"});
}

ActionOutcome ChoiceRequiredOutcome(const ActionContext& ctx, const std::string& action,
                                    const std::string& target, const TicketSideEffect& e,
                                    const std::string& what, const json& before) {
  ActionOutcome o = NewOutcome(ctx, action, target);
  o.result = "refused";
  o.before = before;
  o.status = ChoiceRequired(e, what);
  o.summary = o.status.message();
  o.details["ticket_side_effect"] = e.ToJson(TicketChoice{});
  o.changes.push_back({"ticket-side-effect", e.description, "planned"});
  return o;
}

Change PlannedReassign(size_t count, int64_t to, const zendesk::User& assignee) {
  return {"reassign-tickets",
          "reassign " + std::to_string(count) + " non-closed tickets to " + std::to_string(to) + " (" +
              assignee.name + ")",
          "planned"};
}

Status ReassignBefore(const ActionContext& ctx, int64_t parent_audit_id, int64_t from, int64_t to,
                      const ReassignOptions& options, const std::string& change, const std::string& not_doing,
                      ActionOutcome& o) {
  ActionContext step = ctx;
  step.parent_audit_id = parent_audit_id;
  auto moved = ReassignTickets(step, from, to, options);
  if (!moved.ok()) return moved.status().With("reassigning tickets before " + change);
  o.details["reassign"] = moved->ToJson();
  o.changes.insert(o.changes.end(), moved->changes.begin(), moved->changes.end());
  o.warnings.insert(o.warnings.end(), moved->warnings.begin(), moved->warnings.end());
  if (!moved->status.ok()) return moved->status.With(not_doing + " because its tickets did not all move");
  return Status::Ok();
}

std::optional<ActionOutcome> RefuseWithoutChoice(const ActionContext& ctx, AuditRecord& audit,
                                                 const TicketPlan& plan, const ActionOutcome& o,
                                                 const std::string& step, const nlohmann::json& kept) {
  if (!plan.effect.NeedsChoice() || plan.choice.reassign_to || plan.choice.let_zendesk_reassign)
    return std::nullopt;
  ActionOutcome refused = ChoiceRequiredOutcome(ctx, o.action, o.target, plan.effect, plan.what, o.before);
  refused.details.update(kept);
  refused.changes.push_back({step, plan.change, "skipped"});
  audit.Finish(refused);
  return refused;
}

}  // namespace sk::actions
