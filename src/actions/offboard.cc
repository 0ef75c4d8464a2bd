#include "actions/offboard.h"

#include "actions/delete_user.h"
#include "actions/permanent_delete.h"
#include "actions/registry.h"
#include "actions/set_role.h"

namespace sk::actions {

using nlohmann::json;

namespace {

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

namespace {

// One offboarding run through its phases: check the request, load the saved
// plan, check the leaver, run each unfinished step (verified before the
// next, the plan saved after each), report.
class OffboardRun {
 public:
  OffboardRun(const ActionContext& ctx, const OffboardRequest& req)
      : ctx_(ctx),
        req_(req),
        id_(std::to_string(req.user_id)),
        key_(OffboardPlanKey(req.user_id)),
        audit_(ctx, "offboard", "user:" + id_),
        o_(NewOutcome(ctx, "offboard", "user:" + id_)) {}

  Result<ActionOutcome> Run() {
    if (Status s = CheckRequest(); !s.ok()) return audit_.Fail(s);
    steps_ = {kReassign, kDowngrade};
    if (req_.delete_user || req_.permanent) steps_.push_back(kDelete);
    if (req_.permanent) steps_.push_back(kPermanent);
    if (Status s = LoadPlan(); !s.ok()) return audit_.Fail(s);
    bool all_done = true;
    for (const auto& s : steps_) all_done = all_done && StepState(plan_, s) == "done";
    // Current state of the leaver. Gone entirely is fine only once the plan says so.
    auto user = ctx_.client->ShowUser(req_.user_id);
    if (!user.ok()) {
      if (user.status().code() == Code::kNotFound && all_done) return AlreadyOffboarded("user " + id_, false);
      return audit_.Fail(
          user.status().code() == Code::kNotFound
              ? Refused("user " + id_ + " does not exist in Zendesk (" + user.status().message() + ")")
              : user.status().With("reading user " + id_));
    }
    who_ = "user " + id_ + " (" + user->name + ")";
    o_.before = {{"user", UserJson(*user)}, {"plan", plan_}};
    if (Status s = audit_.Begin(o_.before); !s.ok()) return s;
    if (Status s = CheckLeaver(*user); !s.ok()) return audit_.Fail(s);
    if (all_done) return AlreadyOffboarded(who_, true);
    if (Status s = SavePlanStart(); !s.ok()) return audit_.Fail(s);
    deleted_ = !user->active;  // deleted users cannot change role, and hold no seat
    for (const auto& step : steps_) RunStep(step);
    return Report();
  }

 private:
  static constexpr const char* kReassign = "reassign-tickets";
  static constexpr const char* kDowngrade = "downgrade";
  static constexpr const char* kDelete = "delete-user";
  static constexpr const char* kPermanent = "permanent-delete";

  Status CheckRequest() const {
    SK_RETURN_IF_ERROR(CheckWritePermission(ctx_.conn));
    if (req_.user_id <= 0) return InvalidArgument("user id must be positive");
    if (req_.reassign_to <= 0) return InvalidArgument("--reassign-to ID is required");
    if (req_.reassign_to == req_.user_id) return InvalidArgument("--reassign-to must name another user");
    if (req_.permanent && req_.confirm.empty() && !ctx_.dry_run) return InvalidArgument(kConfirmationRule);
    if (ctx_.client == nullptr) return Internal("no Zendesk client");
    return Status::Ok();
  }

  // The saved plan from an earlier run, if any.
  Status LoadPlan() {
    auto saved = ctx_.store->GetValue(ctx_.conn.account, key_);
    if (!saved.ok()) return saved.status().With("reading the saved offboarding plan");
    if (saved->has_value()) {
      plan_ = json::parse(**saved, nullptr, false);
      if (!plan_.is_object()) plan_ = json::object();
    }
    if (!plan_.contains("steps") || !plan_["steps"].is_object()) plan_["steps"] = json::object();
    resumed_ = !plan_["steps"].empty();
    return Status::Ok();
  }

  // The owner/self protections, the confirmation, and the assignee.
  Status CheckLeaver(const zendesk::User& u) {
    SK_RETURN_IF_ERROR(ProtectOwnerAndSelf(ctx_.conn, u, who_, "the owner cannot be offboarded",
                                           "seatkeeper will not offboard the account it acts as"));
    if (req_.permanent && !ctx_.dry_run)
      SK_RETURN_IF_ERROR(CheckConfirmation(req_.confirm, req_.user_id, u.email));
    if (StepState(plan_, kReassign) != "done") {
      SK_RETURN_IF_ERROR(CheckAssignee(ctx_, req_.reassign_to).status());
    } else if (plan_.contains("reassign_to") && plan_["reassign_to"] != req_.reassign_to) {
      o_.warnings.push_back("tickets were already reassigned to " + plan_["reassign_to"].dump() +
                            " in an earlier run");
    }
    return Status::Ok();
  }

  Result<ActionOutcome> AlreadyOffboarded(const std::string& who, bool known) {
    if (!known) SK_RETURN_IF_ERROR(audit_.Begin(plan_));
    o_.result = ctx_.dry_run ? "dry-run" : "no-op";
    o_.summary = who + " is already offboarded";
    for (const auto& s : steps_) o_.changes.push_back(DoneEarlier(plan_, s));
    if (known) {
      o_.after = ctx_.dry_run ? json(nullptr) : json(plan_);
      o_.details = {{"plan", plan_}, {"resumed", resumed_}};
    }
    audit_.Finish(o_);
    return o_;
  }

  Status SavePlanStart() {
    if (ctx_.dry_run) return Status::Ok();
    if (!plan_.contains("reassign_to")) plan_["reassign_to"] = req_.reassign_to;
    plan_["user_id"] = req_.user_id;
    if (!plan_.contains("created_at")) plan_["created_at"] = FormatIso(NowUnix());
    plan_["status"] = "in-progress";
    plan_["audit_id"] = audit_.id();
    return ctx_.store->PutValue(ctx_.conn.account, key_, plan_.dump()).With("saving the offboarding plan");
  }

  // The action of one step, as a step of this run's audit entry.
  Result<ActionOutcome> StepAction(const std::string& step) {
    ActionContext step_ctx = ctx_;
    step_ctx.parent_audit_id = audit_.id() != 0 ? audit_.id() : -1;
    if (step == kReassign) return ReassignTickets(step_ctx, req_.user_id, req_.reassign_to, req_.reassign);
    if (step == kDowngrade) {
      if (deleted_) {
        ActionOutcome skip = NewOutcome(ctx_, "user.set-role", "user:" + id_);
        skip.result = "no-op";
        skip.summary = who_ + " is deleted and holds no seat";
        skip.changes.push_back(
            {kDowngrade, "downgrade " + who_ + " to end-user: deleted users hold no seat", "already-done"});
        return skip;
      }
      // The reassign-tickets step moved the tickets: Zendesk has none left
      // to hand to the acting admin (any that arrived since go to
      // reassign_to first, never to the admin).
      SetRoleRequest down{req_.user_id, "end-user", std::nullopt};
      down.reassign_to = req_.reassign_to;
      down.reassigned_by_earlier_step = true;
      down.reassign = req_.reassign;
      return SetRole(step_ctx, down);
    }
    if (step == kDelete) {
      DeleteUserRequest del{req_.user_id, req_.reassign_to, req_.reassign};
      del.reassigned_by_earlier_step = true;
      return DeleteUser(step_ctx, del);
    }
    PermanentDeleteRequest p;
    p.user_id = req_.user_id;
    p.confirm = req_.confirm;
    p.soft_delete_first = false;  // the delete step did it, verified
    return PermanentlyDeleteUser(step_ctx, p);
  }

  // The step's effect, checked before the next step runs.
  Status Verify(const std::string& step, const ActionOutcome& r) const {
    if (step == kReassign && !r.details.value("verified", false))
      return Status(Code::kUnavailable, "tickets are still assigned to " + who_);
    if (step == kDowngrade && !deleted_ && r.after.is_object() && r.after.value("role", "") != "end-user")
      return Status(Code::kBadResponse, who_ + " is still " + r.after.value("role", "?"));
    if (step == kDelete && r.after.is_object() && r.after.value("active", true))
      return Status(Code::kBadResponse, who_ + " is still active");
    return Status::Ok();
  }

  void Fail(const std::string& step, const Status& s) {
    o_.changes.push_back({step, step + ": " + s.message(), "failed"});
    failure_ = s;
    failed_step_ = step;
  }

  void RunStep(const std::string& step) {
    if (StepState(plan_, step) == "done") {
      o_.changes.push_back(DoneEarlier(plan_, step));
      if (step == kDelete || step == kPermanent) deleted_ = true;
      return;
    }
    if (!failure_.ok()) {
      o_.changes.push_back({step, step, "skipped"});
      return;
    }
    Result<ActionOutcome> r = StepAction(step);
    std::string detail;
    Status step_status = r.ok() ? r->status : r.status();
    if (r.ok()) {
      for (const auto& c : r->changes) detail += (detail.empty() ? "" : "; ") + c.description;
      if (detail.empty()) detail = r->summary;
      if (!ctx_.dry_run || step == kReassign)
        o_.warnings.insert(o_.warnings.end(), r->warnings.begin(), r->warnings.end());
      o_.details[step] = r->ToJson();
      if (step_status.ok() && !ctx_.dry_run) step_status = Verify(step, *r);
    }
    if (ctx_.dry_run) {
      if (!step_status.ok()) return Fail(step, step_status);
      for (auto c : r->changes) {
        c.step = step;
        o_.changes.push_back(c);
      }
      if (step == kDelete) deleted_ = true;  // what the next step would see
      return;
    }
    Record(step, r, step_status, detail);
  }

  // Saves a real step's result in the plan.
  void Record(const std::string& step, const Result<ActionOutcome>& r, const Status& step_status,
              const std::string& detail) {
    json& rec = plan_["steps"][step];
    rec["at"] = FormatIso(NowUnix());
    if (step_status.ok()) {
      rec["state"] = "done";
      rec["detail"] = detail;
      for (const auto& c : r->changes) o_.changes.push_back({step, c.description, c.state});
      if (step == kDelete || step == kPermanent) deleted_ = true;
    } else {
      rec["state"] = "failed";
      rec["detail"] = step_status.ToString();
      Fail(step, step_status);
    }
    plan_["status"] = failure_.ok() ? "in-progress" : "failed";
    if (Status s = ctx_.store->PutValue(ctx_.conn.account, key_, plan_.dump()); !s.ok()) {
      failure_ = s.With("saving the offboarding plan after step " + step);
      failed_step_ = step;
    }
  }

  Result<ActionOutcome> Report() {
    if (!ctx_.dry_run && failure_.ok()) {
      plan_["status"] = "done";
      plan_["finished_at"] = FormatIso(NowUnix());
      if (Status s = ctx_.store->PutValue(ctx_.conn.account, key_, plan_.dump()); !s.ok())
        o_.warnings.push_back(s.ToString());
    }
    o_.details["plan"] = ctx_.dry_run ? json(nullptr) : plan_;
    o_.details["resumed"] = resumed_;
    o_.details["steps"] = steps_;
    if (ctx_.dry_run) {
      o_.summary = "would offboard " + who_ + " in " + std::to_string(steps_.size()) + " steps";
      if (!failure_.ok()) {
        o_.summary += " (step " + failed_step_ + " would be refused)";
        o_.status = failure_;
      }
    } else if (failure_.ok()) {
      o_.after = plan_;
      o_.summary = "offboarded " + who_ + (resumed_ ? " (resumed a saved plan)" : "");
    } else {
      o_.after = plan_;
      o_.result = "failed";
      o_.status = failure_.With("offboarding stopped at step " + failed_step_ + "; re-run to continue");
      o_.summary = "offboarding of " + who_ + " stopped at step " + failed_step_ +
                   "; re-run the same command to continue";
    }
    audit_.Finish(o_);
    return o_;
  }

  const ActionContext& ctx_;
  const OffboardRequest& req_;
  const std::string id_;
  const std::string key_;
  AuditRecord audit_;
  ActionOutcome o_;
  std::vector<std::string> steps_;
  json plan_ = json::object();
  bool resumed_ = false;
  std::string who_;
  bool deleted_ = false;
  Status failure_;
  std::string failed_step_;
};

}  // namespace

Result<ActionOutcome> Offboard(const ActionContext& ctx, const OffboardRequest& req) {
  return OffboardRun(ctx, req).Run();
}

std::vector<Operation> OffboardOperations() {
  Operation op = DeclareAction(
      "offboard", {"offboard"}, "offboard",
      "Offboard a leaver: reassign tickets, downgrade (frees the seat), delete; resumable",
      "Offboard a leaver: reassign tickets, downgrade, optionally delete / permanently delete; resumable");
  op.target = "user_id";
  op.irreversible_if = "permanent";
  Field perm = FlagField("permanent", "--permanent",
                         "Soft-delete then permanently delete (irreversible; needs --yes)");
  perm.cli_excludes = "delete";
  op.fields = {UserIdField("Zendesk user id of the leaver"),
               ReassignToField("Agent or admin who takes the tickets", true),
               FlagField("delete", "--delete", "Soft-delete the user at the end"), perm,
               ConfirmField("a permanent deletion")};
  op.parse = [](const FieldValues& v) -> Result<ActionRun> {
    OffboardRequest r;
    r.user_id = v.Id("user_id");
    r.reassign_to = v.Id("reassign_to");
    r.delete_user = v.Bool("delete");
    r.permanent = v.Bool("permanent");
    r.confirm = v.Str("confirm");  // checked by the action (CheckConfirmation)
    return ActionRun([r](const ActionContext& ctx) { return Offboard(ctx, r); });
  };
  UiButton b = Button("action-offboard", "Offboard…", "Offboard", 50);
  b.preset = {{"delete", true}};
  b.ask = "reassign_to";
  b.ask_title = "Offboard: reassign tickets to user id";
  op.buttons = {b};
  return {op};
}

}  // namespace sk::actions
