#include "actions/offboard.h"

#include "actions/delete_user.h"
#include "actions/permanent_delete.h"
#include "actions/set_role.h"

namespace sk::actions {

using nlohmann::json;

namespace {

constexpr const char* kReassign = "reassign-tickets";
constexpr const char* kDowngrade = "downgrade";
constexpr const char* kDelete = "delete-user";
constexpr const char* kPermanent = "permanent-delete";

std::string StepState(const json& plan, const std::string& step) {
  if (!plan.contains("steps") || !plan["steps"].is_object() || !plan["steps"].contains(step)) return "";
  const json& s = plan["steps"][step];
  return s.is_object() && s.contains("state") && s["state"].is_string() ? s["state"].get<std::string>() : "";
}

// The change line of a step an earlier run completed.
Change DoneEarlier(const json& plan, const std::string& step) {
  json rec = plan.contains("steps") && plan["steps"].is_object() && plan["steps"].contains(step) &&
                     plan["steps"][step].is_object()
                 ? plan["steps"][step]
                 : json::object();
  std::string detail = rec.value("detail", step);
  std::string at = rec.value("at", "");
  return {step, detail + (at.empty() ? "" : " (done " + at + ")"), "already-done"};
}

}  // namespace

std::string OffboardPlanKey(int64_t user_id) {
  return "offboard/" + std::to_string(user_id);
}

Result<ActionOutcome> Offboard(const ActionContext& ctx, const OffboardRequest& req) {
  const std::string id = std::to_string(req.user_id);
  AuditRecord audit(ctx, "offboard", "user:" + id);
  if (Status s = CheckWritePermission(ctx.conn); !s.ok()) return audit.Fail(s);
  if (req.user_id <= 0) return audit.Fail(InvalidArgument("user id must be positive"));
  if (req.reassign_to <= 0) return audit.Fail(InvalidArgument("--reassign-to ID is required"));
  if (req.reassign_to == req.user_id)
    return audit.Fail(InvalidArgument("--reassign-to must name another user"));
  if (req.permanent && req.confirm.empty() && !ctx.dry_run)
    return audit.Fail(InvalidArgument(kConfirmationRule));
  if (ctx.client == nullptr) return audit.Fail(Internal("no Zendesk client"));

  std::vector<std::string> steps = {kReassign, kDowngrade};
  if (req.delete_user || req.permanent) steps.push_back(kDelete);
  if (req.permanent) steps.push_back(kPermanent);

  // The saved plan from an earlier run, if any.
  const std::string key = OffboardPlanKey(req.user_id);
  json plan = json::object();
  {
    auto saved = ctx.store->GetValue(ctx.conn.account, key);
    if (!saved.ok()) return audit.Fail(saved.status().With("reading the saved offboarding plan"));
    if (saved->has_value()) {
      plan = json::parse(**saved, nullptr, false);
      if (!plan.is_object()) plan = json::object();
    }
  }
  if (!plan.contains("steps") || !plan["steps"].is_object()) plan["steps"] = json::object();
  const bool resumed = !plan["steps"].empty();

  ActionOutcome o = NewOutcome(ctx, "offboard", "user:" + id);
  bool all_done = true;
  for (const auto& s : steps) all_done = all_done && StepState(plan, s) == "done";

  // Current state of the leaver. Gone entirely is fine only once the plan says so.
  auto user = ctx.client->ShowUser(req.user_id);
  if (!user.ok()) {
    if (user.status().code() == Code::kNotFound && all_done) {
      if (Status s = audit.Begin(plan); !s.ok()) return s;
      o.result = ctx.dry_run ? "dry-run" : "no-op";
      o.summary = "user " + id + " is already offboarded";
      for (const auto& s : steps) o.changes.push_back(DoneEarlier(plan, s));
      audit.Finish(o);
      return o;
    }
    return audit.Fail(
        user.status().code() == Code::kNotFound
            ? Refused("user " + id + " does not exist in Zendesk (" + user.status().message() + ")")
            : user.status().With("reading user " + id));
  }
  const zendesk::User& u = *user;
  const std::string who = "user " + id + " (" + u.name + ")";
  o.before = {{"user", UserJson(u)}, {"plan", plan}};
  if (Status s = audit.Begin(o.before); !s.ok()) return s;
  if (req.permanent && !ctx.dry_run) {
    if (Status s = CheckConfirmation(req.confirm, req.user_id, u.email); !s.ok()) return audit.Fail(s);
  }

  if (IsOwner(ctx.conn, u))
    return audit.Fail(Refused(who + " is the account owner and cannot be offboarded"));
  if (IsConnectingUser(ctx.conn, u)) {
    return audit.Fail(
        Refused(who + " is the connecting user: seatkeeper will not offboard the account it acts as"));
  }
  if (StepState(plan, kReassign) != "done") {
    auto a = CheckAssignee(ctx, req.reassign_to);
    if (!a.ok()) return audit.Fail(a.status());
  } else if (plan.contains("reassign_to") && plan["reassign_to"] != req.reassign_to) {
    o.warnings.push_back("tickets were already reassigned to " + plan["reassign_to"].dump() +
                         " in an earlier run");
  }

  if (all_done) {
    o.result = ctx.dry_run ? "dry-run" : "no-op";
    o.summary = who + " is already offboarded";
    for (const auto& s : steps) o.changes.push_back(DoneEarlier(plan, s));
    o.after = ctx.dry_run ? json(nullptr) : json(plan);
    o.details = {{"plan", plan}, {"resumed", resumed}};
    audit.Finish(o);
    return o;
  }

  if (!ctx.dry_run) {
    if (!plan.contains("reassign_to")) plan["reassign_to"] = req.reassign_to;
    plan["user_id"] = req.user_id;
    if (!plan.contains("created_at")) plan["created_at"] = FormatIso(NowUnix());
    plan["status"] = "in-progress";
    plan["audit_id"] = audit.id();
    if (Status s = ctx.store->PutValue(ctx.conn.account, key, plan.dump()); !s.ok()) {
      return audit.Fail(s.With("saving the offboarding plan"));
    }
  }

  ActionContext step_ctx = ctx;
  step_ctx.parent_audit_id = audit.id() != 0 ? audit.id() : -1;
  bool deleted = !u.active;  // deleted users cannot change role, and hold no seat
  Status failure;
  std::string failed_step;

  for (const auto& step : steps) {
    const std::string state = StepState(plan, step);
    if (state == "done") {
      o.changes.push_back(DoneEarlier(plan, step));
      if (step == kDelete || step == kPermanent) deleted = true;
      continue;
    }
    if (!failure.ok()) {
      o.changes.push_back({step, step, "skipped"});
      continue;
    }
    Result<ActionOutcome> r = Status(Code::kInternal, "unreached");
    if (step == kReassign) {
      r = ReassignTickets(step_ctx, req.user_id, req.reassign_to, req.reassign);
    } else if (step == kDowngrade) {
      if (deleted) {
        ActionOutcome skip = NewOutcome(ctx, "user.set-role", "user:" + id);
        skip.result = "no-op";
        skip.summary = who + " is deleted and holds no seat";
        skip.changes.push_back(
            {kDowngrade, "downgrade " + who + " to end-user: deleted users hold no seat", "already-done"});
        r = skip;
      } else {
        // The reassign-tickets step moved the tickets: Zendesk has none left
        // to hand to the acting admin (any that arrived since go to
        // reassign_to first, never to the admin).
        SetRoleRequest down{req.user_id, "end-user", std::nullopt};
        down.reassign_to = req.reassign_to;
        down.reassigned_by_earlier_step = true;
        down.reassign = req.reassign;
        r = SetRole(step_ctx, down);
      }
    } else if (step == kDelete) {
      DeleteUserRequest del{req.user_id, req.reassign_to, req.reassign};
      del.reassigned_by_earlier_step = true;
      r = DeleteUser(step_ctx, del);
    } else if (step == kPermanent) {
      PermanentDeleteRequest p;
      p.user_id = req.user_id;
      p.confirm = req.confirm;
      p.soft_delete_first = false;  // the delete step did it, verified
      r = PermanentlyDeleteUser(step_ctx, p);
    }

    std::string detail;
    Status step_status = r.ok() ? r->status : r.status();
    if (r.ok()) {
      for (const auto& c : r->changes) detail += (detail.empty() ? "" : "; ") + c.description;
      if (detail.empty()) detail = r->summary;
      if (!ctx.dry_run || step == kReassign) {
        o.warnings.insert(o.warnings.end(), r->warnings.begin(), r->warnings.end());
      }
      o.details[step] = r->ToJson();
    }
    // Verify the step's effect before the next one.
    if (step_status.ok() && r.ok() && !ctx.dry_run) {
      if (step == kReassign && !r->details.value("verified", false)) {
        step_status = Status(Code::kUnavailable, "tickets are still assigned to " + who);
      } else if (step == kDowngrade && !deleted && r->after.is_object() &&
                 r->after.value("role", "") != "end-user") {
        step_status = Status(Code::kBadResponse, who + " is still " + r->after.value("role", "?"));
      } else if (step == kDelete && r->after.is_object() && r->after.value("active", true)) {
        step_status = Status(Code::kBadResponse, who + " is still active");
      }
    }

    if (ctx.dry_run) {
      if (!step_status.ok() && step_status.code() != Code::kOk) {
        o.changes.push_back({step, step + ": " + step_status.message(), "failed"});
        failure = step_status;
        failed_step = step;
        continue;
      }
      for (auto c : r->changes) {
        c.step = step;
        o.changes.push_back(c);
      }
      if (step == kDelete) deleted = true;  // what the next step would see
      continue;
    }

    json& rec = plan["steps"][step];
    rec["at"] = FormatIso(NowUnix());
    if (step_status.ok()) {
      rec["state"] = "done";
      rec["detail"] = detail;
      for (const auto& c : r->changes) o.changes.push_back({step, c.description, c.state});
      if (step == kDelete || step == kPermanent) deleted = true;
    } else {
      rec["state"] = "failed";
      rec["detail"] = step_status.ToString();
      o.changes.push_back({step, step + ": " + step_status.message(), "failed"});
      failure = step_status;
      failed_step = step;
    }
    plan["status"] = failure.ok() ? "in-progress" : "failed";
    if (Status s = ctx.store->PutValue(ctx.conn.account, key, plan.dump()); !s.ok()) {
      failure = s.With("saving the offboarding plan after step " + step);
      failed_step = step;
    }
  }

  if (!ctx.dry_run && failure.ok()) {
    plan["status"] = "done";
    plan["finished_at"] = FormatIso(NowUnix());
    if (Status s = ctx.store->PutValue(ctx.conn.account, key, plan.dump()); !s.ok()) {
      o.warnings.push_back(s.ToString());
    }
  }

  o.details["plan"] = ctx.dry_run ? json(nullptr) : plan;
  o.details["resumed"] = resumed;
  o.details["steps"] = steps;
  if (ctx.dry_run) {
    o.summary = "would offboard " + who + " in " + std::to_string(steps.size()) + " steps";
    if (!failure.ok()) {
      o.summary += " (step " + failed_step + " would be refused)";
      o.status = failure;
    }
  } else if (failure.ok()) {
    o.after = plan;
    o.summary = "offboarded " + who + (resumed ? " (resumed a saved plan)" : "");
  } else {
    o.after = plan;
    o.result = "failed";
    o.status = failure.With("offboarding stopped at step " + failed_step + "; re-run to continue");
    o.summary =
        "offboarding of " + who + " stopped at step " + failed_step + "; re-run the same command to continue";
  }
  audit.Finish(o);
  return o;
}

}  // namespace sk::actions
