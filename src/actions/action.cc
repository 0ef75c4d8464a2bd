#include "actions/action.h"

#include <chrono>
#include <map>
#include <thread>

#include "sync/license.h"

namespace sk::actions {

using nlohmann::json;

json Change::ToJson() const {
  return {{"step", step}, {"description", description}, {"state", state}};
}

json ActionOutcome::ToJson() const {
  json j = {{"action", action},
            {"target", target},
            {"result", result},
            {"summary", summary},
            {"dry_run", result == "dry-run"},
            {"before", before},
            {"after", after},
            {"details", details},
            {"audit_id", audit_id}};
  j["changes"] = json::array();
  for (const auto& c : changes) j["changes"].push_back(c.ToJson());
  j["warnings"] = warnings;
  j["error"] = status.ok() ? json(nullptr) : json(status.ToString());
  if (!status.ok()) j["code"] = CodeName(status.code());
  return j;
}

Status CheckWritePermission(const store::Connection& conn) {
  if (conn.permission != "read-write") {
    return Refused("this connection is read-only: reconnect with --permission read-write to take actions");
  }
  return Status::Ok();
}

Status FromZendesk(const Status& s, const std::string& what) {
  switch (s.code()) {
    case Code::kOk:
      return s;
    case Code::kForbidden:
    case Code::kNotFound:
    case Code::kConflict:
    case Code::kInvalidRecord:
    case Code::kRefused:
      return Refused("Zendesk refused to " + what + ": " + s.message());
    default:
      return s.With("could not " + what);
  }
}

bool IsOwner(const store::Connection& conn, const zendesk::User& u) {
  if (u.is_owner) return true;
  auto owner = KnownOwnerId(conn);
  return owner && u.id && *owner == *u.id;
}

bool IsConnectingUser(const store::Connection& conn, const zendesk::User& u) {
  if (conn.connecting_user_id && u.id && *conn.connecting_user_id == *u.id) return true;
  return !conn.connecting_user_email.empty() && u.email && *u.email == conn.connecting_user_email;
}

namespace {

json OptJson(const std::optional<int64_t>& v) {
  return v ? json(*v) : json(nullptr);
}
}  // namespace

json UserJson(const zendesk::User& u) {
  sync::License l = sync::Classify(u, {});
  const std::string& license = l.type;
  const bool seat = l.seat;
  return {{"id", OptJson(u.id)},
          {"name", u.name},
          {"email", u.email ? json(*u.email) : json(nullptr)},
          {"role", u.role},
          {"role_type", u.role_type ? json(*u.role_type) : json(nullptr)},
          {"custom_role_id", OptJson(u.custom_role_id)},
          {"active", u.active},
          {"suspended", u.suspended},
          {"license", license},
          {"seat", seat}};
}

store::UserRecord ToRecord(const zendesk::User& u, const std::optional<store::UserRecord>& previous,
                           const std::string& deleted_kind) {
  // The custom role's name and kind are known from the stored record while the role is unchanged.
  std::map<int64_t, zendesk::CustomRole> roles;
  if (previous && u.custom_role_id && previous->custom_role_id == u.custom_role_id && previous->custom_role)
    roles[*u.custom_role_id] = {*u.custom_role_id, *previous->custom_role, previous->role_type,
                                previous->license == "light-agent"};
  std::string kind = deleted_kind.empty() && !u.active ? "soft" : deleted_kind;
  store::UserRecord r = sync::ToRecord(u, roles, kind == "soft");
  if (!kind.empty()) {
    r.deleted = true;
    r.deleted_kind = kind;
    r.seat = false;  // a deleted user holds no seat
  }
  if (previous) {
    if (r.created_at == 0) r.created_at = previous->created_at;
    if (!r.last_login_at) r.last_login_at = previous->last_login_at;
  }
  return r;
}

Status ReflectUser(const ActionContext& ctx, const zendesk::User& u, const std::string& deleted_kind) {
  if (!u.id) return Status::Ok();
  SK_ASSIGN_OR_RETURN(auto previous, ctx.store->GetUser(ctx.conn.account, *u.id));
  store::Page page;
  page.users.push_back(ToRecord(u, previous, deleted_kind));
  page.changes_at = NowUnix();
  page.changed_by = ctx.actor.empty() ? "seatkeeper" : ctx.actor;  // role history: seatkeeper's own change
  return ctx.store->ApplyPage(ctx.conn.account, page, NowUnix())
      .With("recording user " + std::to_string(*u.id) + " in the store");
}

Status ValidateRole(const std::string& role, const std::optional<int64_t>& custom_role_id) {
  if (role != "end-user" && role != "agent" && role != "admin") {
    return InvalidArgument("role must be end-user, agent or admin (got \"" + role + "\")");
  }
  if (custom_role_id && role == "end-user") {
    return InvalidArgument("--custom-role needs --role agent or admin (an end user has no custom role)");
  }
  if (custom_role_id && *custom_role_id <= 0) return InvalidArgument("--custom-role must be a positive id");
  return Status::Ok();
}

Status CheckConfirmation(const std::string& confirm, int64_t user_id,
                         const std::optional<std::string>& email) {
  if (!confirm.empty() && confirm == std::to_string(user_id)) return Status::Ok();
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  if (!confirm.empty() && email && !email->empty() && lower(confirm) == lower(*email)) return Status::Ok();
  return InvalidArgument(kConfirmationRule);
}

Result<zendesk::User> FetchUser(const ActionContext& ctx, int64_t id) {
  auto u = ctx.client->ShowUser(id);
  if (!u.ok()) {
    if (u.status().code() == Code::kNotFound) {
      return Refused("user " + std::to_string(id) + " does not exist in Zendesk (" + u.status().message() +
                     ")");
    }
    return u.status().With("could not read user " + std::to_string(id));
  }
  return u;
}

void Sleep(const ActionContext& ctx, double seconds) {
  if (ctx.sleep) {
    ctx.sleep(seconds);
  } else {
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  }
}

void Progress(const ActionContext& ctx, const std::string& line) {
  if (ctx.progress) ctx.progress(line);
}

AuditRecord::AuditRecord(const ActionContext& ctx, std::string action, std::string target)
    : ctx_(ctx), action_(std::move(action)), target_(std::move(target)) {}

AuditRecord::~AuditRecord() {
  if (begun_ && !done_ && id_ != 0) {
    (void)ctx_.store->UpdateAudit(id_, "failed", "null", "interrupted");
  }
}

Status AuditRecord::Begin(const json& before) {
  if (begun_) return Status::Ok();
  begun_ = true;
  // Steps of a composite dry-run are described by the composite's entry.
  if (ctx_.dry_run && ctx_.parent_audit_id != 0) return Status::Ok();
  store::AuditEntry e;
  e.account = ctx_.conn.account;
  e.at = NowUnix();
  e.actor = ctx_.actor;
  e.action = action_;
  e.target = target_;
  e.before_json = before.dump();
  e.result = ctx_.dry_run ? "dry-run" : "started";
  if (ctx_.parent_audit_id != 0) e.detail = "step of audit entry " + std::to_string(ctx_.parent_audit_id);
  auto id = ctx_.store->AppendAudit(e);
  if (!id.ok()) return id.status().With("recording the audit entry");
  id_ = *id;
  return Status::Ok();
}

void AuditRecord::Finish(ActionOutcome& outcome) {
  outcome.audit_id = id_;
  if (done_ || id_ == 0) {
    done_ = true;
    return;
  }
  done_ = true;
  std::string detail = outcome.summary;
  if (ctx_.parent_audit_id != 0)
    detail += " (step of audit entry " + std::to_string(ctx_.parent_audit_id) + ")";
  if (!outcome.status.ok()) detail += " — " + outcome.status.ToString();
  (void)ctx_.store->UpdateAudit(id_, outcome.result, outcome.after.dump(), detail);
}

Status AuditRecord::Fail(const Status& s, const json& after) {
  if (!begun_) {
    // A failed audit write must not hide the refusal itself.
    (void)Begin(nullptr);
  }
  if (!done_ && id_ != 0) {
    const bool refused = s.code() == Code::kRefused || s.code() == Code::kInvalidArgument;
    (void)ctx_.store->UpdateAudit(id_, refused ? "refused" : "failed", after.dump(), s.ToString());
  }
  done_ = true;
  return s;
}

ActionOutcome NewOutcome(const ActionContext& ctx, std::string action, std::string target) {
  ActionOutcome o;
  o.action = std::move(action);
  o.target = std::move(target);
  o.result = ctx.dry_run ? "dry-run" : "ok";
  return o;
}

Result<UserTarget> BeginUserAction(const ActionContext& ctx, AuditRecord& audit, int64_t user_id,
                                   const Status& request) {
  if (Status s = CheckWritePermission(ctx.conn); !s.ok()) return audit.Fail(s);
  if (user_id <= 0) return audit.Fail(InvalidArgument("user id must be positive"));
  if (!request.ok()) return audit.Fail(request);
  if (ctx.client == nullptr) return audit.Fail(Internal("no Zendesk client"));
  auto user = FetchUser(ctx, user_id);
  if (!user.ok()) return audit.Fail(user.status());
  UserTarget t{*user, UserJson(*user), "user " + std::to_string(user_id) + " (" + user->name + ")"};
  SK_RETURN_IF_ERROR(audit.Begin(t.before));
  return t;
}

Status ProtectOwnerAndSelf(const store::Connection& conn, const zendesk::User& u, const std::string& who,
                           const std::string& owner_why, const std::string& self_why) {
  if (IsOwner(conn, u)) return Refused(who + " is the account owner: " + owner_why);
  if (IsConnectingUser(conn, u)) return Refused(who + " is the connecting user: " + self_why);
  return Status::Ok();
}

ActionOutcome& AlreadyDone(const ActionContext& ctx, AuditRecord& audit, ActionOutcome& o,
                           std::string summary, Change change) {
  o.result = ctx.dry_run ? "dry-run" : "no-op";
  o.summary = std::move(summary);
  change.state = "already-done";
  o.changes.push_back(std::move(change));
  o.after = ctx.dry_run ? json(nullptr) : o.before;
  audit.Finish(o);
  return o;
}

}  // namespace sk::actions
