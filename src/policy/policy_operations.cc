// The state changes of policies and proposals, declared once in the
// operation registry like every action (src/actions/registry.cc lists
// PolicyOperations): `seatkeeper policy add|remove`, `seatkeeper proposals
// approve|reject|cancel|run` and POST /api/actions/{policy-add, ...} with
// the server's session, CSRF and Idempotency-Key handling. Each records an
// audit entry; approving (and running) needs a read-write connection.
#include <sstream>

#include "actions/registry.h"
#include "policy/policy.h"
#include "policy/proposals.h"
#include "util/process.h"

namespace sk::actions {

using nlohmann::json;

namespace {

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t a = item.find_first_not_of(' '), b = item.find_last_not_of(' ');
    if (a != std::string::npos) out.push_back(item.substr(a, b - a + 1));
  }
  return out;
}

Result<std::optional<int>> IntField(const FieldValues& v, const std::string& name, const std::string& flag) {
  const std::string s = v.Str(name);
  if (s.empty()) return std::optional<int>();
  if (s.size() > 6 || s.find_first_not_of("0123456789") != std::string::npos)
    return InvalidArgument(flag + " must be a whole number of days (got \"" + s + "\")");
  return std::optional<int>(std::stoi(s));
}

// The policy a policy.add request describes (kInvalidArgument naming the option).
Result<policy::Policy> PolicyOf(const FieldValues& v) {
  policy::Policy p;
  p.name = v.Str("name");
  p.action = v.Str("action");
  p.custom_role_id = v.OptionalId("custom_role_id");
  p.reassign_to = v.OptionalId("reassign_to");
  p.let_zendesk_reassign = v.Bool("let_zendesk_reassign");
  p.delete_user = v.Bool("delete");
  p.condition.licenses = SplitList(v.Str("license"));
  p.condition.roles = SplitList(v.Str("role"));
  p.condition.custom_role_id = v.OptionalId("has_custom_role");
  SK_ASSIGN_OR_RETURN(p.condition.idle_days, IntField(v, "idle_days", "--idle-days"));
  if (const std::string d = v.Str("last_active_before"); !d.empty()) {
    p.condition.last_active_before = ParseDay(d);
    if (!p.condition.last_active_before)
      return InvalidArgument("--last-active-before must be a date YYYY-MM-DD (got \"" + d + "\")");
  }
  p.condition.recommendation_kind = v.Str("recommendation");
  p.condition.not_in_directory = v.Bool("not_in_directory");
  for (const auto& id : SplitList(v.Str("exempt_users"))) {
    if (id.empty() || id.size() > 18 || id.find_first_not_of("0123456789") != std::string::npos)
      return InvalidArgument("--exempt-users must be a comma-separated list of user ids (got \"" + id +
                             "\")");
    p.exempt.users.push_back(std::stoll(id));
  }
  p.exempt.emails = SplitList(v.Str("exempt_emails"));
  p.exempt.tags = SplitList(v.Str("exempt_tags"));
  p.exempt.groups = SplitList(v.Str("exempt_groups"));
  p.exempt.integrations = !v.Bool("include_integrations");
  p.automatic = v.Bool("automatic");
  SK_ASSIGN_OR_RETURN(auto grace, IntField(v, "grace_days", "--grace-days"));
  p.grace_days = grace.value_or(7);
  SK_RETURN_IF_ERROR(policy::ValidatePolicy(p));
  return p;
}

// An audited change of seatkeeper's own state (no Zendesk request).
Result<ActionOutcome> Record(const ActionContext& ctx, const std::string& action, const std::string& target,
                             const json& before, const std::function<Result<json>()>& change,
                             const std::string& summary, const std::string& dry_summary) {
  AuditRecord audit(ctx, action, target);
  ActionOutcome o = NewOutcome(ctx, action, target);
  o.before = before;
  SK_RETURN_IF_ERROR(audit.Begin(before));
  if (ctx.dry_run) {
    o.summary = dry_summary;
    o.changes.push_back({action, summary, "planned"});
    audit.Finish(o);
    return o;
  }
  auto after = change();
  if (!after.ok()) return audit.Fail(after.status());
  o.after = *after;
  o.summary = summary;
  o.changes.push_back({action, summary, "done"});
  audit.Finish(o);
  return o;
}

Field Text(const std::string& name, const std::string& cli, const std::string& help, bool required = false) {
  return OptionField(name, FieldType::kString, required, cli, help, nullptr, required ? name : "");
}

Operation PolicyAdd() {
  Operation op = DeclareAction(
      "policy.add", {"policy", "add"}, "policy-add",
      "Add a reclaim policy: a condition over users and usage, and an action",
      "Its matches become proposals after each sync; nothing runs before an admin approves one (unless "
      "automatic) and its grace period passes without activity. The owner and the connecting user are never "
      "matched; probable integration accounts are exempt unless include_integrations.");
  Field action{"action", FieldType::kEnum, true, "downgrade-light, downgrade-end-user, offboard or suspend"};
  action.choices = policy::PolicyActions();
  action.cli = "--action";
  action.label = "Action";
  Field role_id{"custom_role_id", FieldType::kId, false,
                "downgrade-light: the light-agent custom role to set"};
  role_id.cli = "--custom-role";
  Field has_role{"has_custom_role", FieldType::kId, false, "Condition: the user's current custom role"};
  has_role.cli = "--has-custom-role";
  op.fields = {
      Text("name", "name", "Policy name: lower-case letters, digits, '-'", true),
      action,
      role_id,
      ReassignToField("offboard (required), downgrades: the agent who takes held tickets"),
      LetZendeskReassignField("downgrades: let Zendesk reassign held tickets"),
      FlagField("delete", "--delete", "offboard: soft-delete the user at the end"),
      Text("license", "--license", "Condition: license types, comma-separated (agent,admin,...)"),
      Text("role", "--role", "Condition: roles, comma-separated (end-user,agent,admin)"),
      has_role,
      Text("idle_days", "--idle-days", "Condition: no activity for at least N days (1..3650)"),
      Text("last_active_before", "--last-active-before", "Condition: last activity before YYYY-MM-DD"),
      Text("recommendation", "--recommendation",
           "Condition: users the recommendations report lists with this kind (light-agent, end-user, "
           "integration, suspended)"),
      FlagField("not_in_directory", "--not-in-directory",
                "Condition: absent from or deactivated in the remembered directory (reconcile --remember)"),
      Text("exempt_users", "--exempt-users", "Exempt user ids, comma-separated"),
      Text("exempt_emails", "--exempt-emails", "Exempt addresses or *@domain, comma-separated"),
      Text("exempt_tags", "--exempt-tags", "Exempt users with any of these Zendesk tags, comma-separated"),
      Text("exempt_groups", "--exempt-groups",
           "Exempt members of these Zendesk groups (names or ids), comma-separated"),
      FlagField("include_integrations", "--include-integrations",
                "Also match probable integration accounts (exempt by default)"),
      FlagField("automatic", "--automatic", "Approve proposals automatically (no admin approval)"),
      Text("grace_days", "--grace-days", "Days an approved proposal waits for activity (0..365, default 7)")};
  op.parse = [](const FieldValues& v) -> Result<ActionRun> {
    SK_ASSIGN_OR_RETURN(policy::Policy p, PolicyOf(v));
    return ActionRun([p](const ActionContext& ctx) -> Result<ActionOutcome> {
      SK_ASSIGN_OR_RETURN(auto existing, policy::GetPolicy(*ctx.store, ctx.conn.account, p.name));
      if (existing)
        return Refused("policy " + p.name + " exists: remove it first (seatkeeper policy remove " + p.name +
                       ")");
      policy::Policy stored = p;
      stored.created_at = NowUnix();
      stored.created_by = ctx.actor;
      return Record(
          ctx, "policy.add", "policy:" + p.name, nullptr,
          [&]() -> Result<json> {
            SK_RETURN_IF_ERROR(policy::PutPolicy(*ctx.store, ctx.conn.account, stored));
            return stored.ToJson();
          },
          "added policy " + p.name + " (" + p.action + ")",
          "would add policy " + p.name + " (" + p.action + ")");
    });
  };
  return op;
}

Operation PolicyRemove() {
  Operation op = DeclareAction("policy.remove", {"policy", "remove"}, "policy-remove",
                               "Remove a policy; its pending and approved proposals are cancelled");
  op.fields = {Text("name", "name", "Policy name", true)};
  op.parse = [](const FieldValues& v) -> Result<ActionRun> {
    const std::string name = v.Str("name");
    if (name.empty()) return InvalidArgument("name is required");
    return ActionRun([name](const ActionContext& ctx) -> Result<ActionOutcome> {
      SK_ASSIGN_OR_RETURN(auto existing, policy::GetPolicy(*ctx.store, ctx.conn.account, name));
      if (!existing) return Refused("no policy named " + name + " (seatkeeper policy list)");
      return Record(
          ctx, "policy.remove", "policy:" + name, existing->ToJson(),
          [&]() -> Result<json> {
            SK_RETURN_IF_ERROR(policy::RemovePolicy(*ctx.store, ctx.conn.account, name).status());
            SK_ASSIGN_OR_RETURN(auto all, policy::ListProposals(*ctx.store, ctx.conn.account));
            for (auto& p : all) {
              if (p.policy != name || (p.state != "pending" && p.state != "approved")) continue;
              p.state = "cancelled";
              p.reason = "policy " + name + " was removed";
              p.decided_by = ctx.actor;
              p.decided_at = NowUnix();
              SK_RETURN_IF_ERROR(policy::PutProposal(*ctx.store, ctx.conn.account, p));
            }
            return json(nullptr);
          },
          "removed policy " + name, "would remove policy " + name);
    });
  };
  return op;
}

// A proposal as an audit entry's before/after: its state and user (the
// whole proposal is kept in the queue).
json Brief(const policy::Proposal& p) {
  json j = {{"state", p.state}, {"user_id", p.user_id}};
  if (!p.reason.empty()) j["reason"] = p.reason;
  return j;
}

Field ProposalIdField() {
  Field f{"proposal_id", FieldType::kString, true, "Proposal id (seatkeeper proposals)"};
  f.cli = "id";
  f.example = "idle-agents-123-20261120";
  return f;
}

// approve / reject / cancel: a decision on a proposal in one of `from` states.
Operation Decide(const std::string& verb, const std::string& summary, const std::string& to,
                 const std::vector<std::string>& from) {
  Operation op = DeclareAction("proposal." + verb, {"proposals", verb}, "proposal-" + verb, summary);
  op.fields = {ProposalIdField()};
  if (verb == "reject") op.fields.push_back(Text("reason", "--reason", "Why (kept with the proposal)", true));
  op.parse = [verb, to, from](const FieldValues& v) -> Result<ActionRun> {
    const std::string id = v.Str("proposal_id");
    const std::string reason = v.Str("reason");
    if (id.empty()) return InvalidArgument("a proposal id is required");
    if (verb == "reject" && reason.empty()) return InvalidArgument("reject needs --reason");
    return ActionRun([=](const ActionContext& ctx) -> Result<ActionOutcome> {
      if (verb == "approve") SK_RETURN_IF_ERROR(CheckWritePermission(ctx.conn));
      SK_ASSIGN_OR_RETURN(auto p, policy::GetProposal(*ctx.store, ctx.conn.account, id));
      if (!p) return Refused("no proposal " + id + " (seatkeeper proposals)");
      if (std::find(from.begin(), from.end(), p->state) == from.end())
        return Refused("proposal " + id + " is " + p->state + ": only a " + from[0] +
                       (from.size() > 1 ? " or " + from[1] : "") + " proposal can be " + to);
      policy::Proposal next = *p;
      const UnixTime now = NowUnix();
      next.state = to;
      next.decided_by = ctx.actor;
      next.decided_at = now;
      std::string summary =
          to + " proposal " + id + " (" + p->action + " user " + std::to_string(p->user_id) + ")";
      if (verb == "approve") {
        next.due_at = now + static_cast<UnixTime>(p->grace_days) * 86400;
        summary += ": runs after " + FormatIso(*next.due_at) + " unless the user is active before";
      } else {
        next.reason = verb == "reject" ? reason : "cancelled by " + ctx.actor;
        next.finished_at = now;
      }
      return Record(
          ctx, "proposal." + verb, "proposal:" + id, Brief(*p),
          [&]() -> Result<json> {
            SK_RETURN_IF_ERROR(policy::PutProposal(*ctx.store, ctx.conn.account, next));
            return Brief(next);
          },
          summary, "would mark proposal " + id + " " + to);
    });
  };
  return op;
}

Operation RunProposals() {
  Operation op = DeclareAction(
      "proposals.run", {"proposals", "run"}, "proposals-run",
      "Run the approved proposals whose grace period is over (each at most once)",
      "Uses the store's evidence: a proposal runs only when a sync after its grace period found no activity "
      "(a sync runs this step by itself).");
  op.parse = [](const FieldValues&) -> Result<ActionRun> {
    return ActionRun([](const ActionContext& ctx) -> Result<ActionOutcome> {
      ActionOutcome o = NewOutcome(ctx, "proposals.run", "proposals");
      if (ctx.dry_run) {
        o.summary = "would run the approved proposals that are due";
        return o;
      }
      SK_RETURN_IF_ERROR(CheckWritePermission(ctx.conn));
      SK_ASSIGN_OR_RETURN(policy::QueueReport r, policy::RunDue(ctx, ProcessName("run")));
      o.details = r.ToJson();
      o.summary = std::to_string(r.ran) + " ran, " + std::to_string(r.failed) + " failed, " +
                  std::to_string(r.cancelled) + " cancelled, " + std::to_string(r.waiting) + " waiting";
      if (r.failed > 0) o.status = Status(Code::kRefused, std::to_string(r.failed) + " proposal(s) failed");
      return o;
    });
  };
  return op;
}

}  // namespace

std::vector<Operation> PolicyOperations() {
  return {PolicyAdd(),
          PolicyRemove(),
          Decide("approve", "Approve a pending proposal: it runs after the policy's grace period", "approved",
                 {"pending"}),
          Decide("reject", "Reject a pending or approved proposal, with a reason", "rejected",
                 {"pending", "approved"}),
          Decide("cancel", "Cancel a pending or approved proposal", "cancelled", {"pending", "approved"}),
          RunProposals()};
}

}  // namespace sk::actions
