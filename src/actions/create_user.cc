#include "actions/create_user.h"

#include <algorithm>
#include <cctype>

#include "actions/registry.h"
#include "util/text.h"
#include "zendesk/parse.h"
#include "zendesk/url.h"

namespace sk::actions {

using nlohmann::json;

namespace {

bool ValidEmail(const std::string& e) {
  auto at = e.find('@');
  return at != std::string::npos && at > 0 && at + 1 < e.size() && e.find('@', at + 1) == std::string::npos &&
         e.find(' ') == std::string::npos && e.find('.', at) != std::string::npos;
}

// The active user whose primary email is `email`, looked up in the store
// first and then through Zendesk's search (type:user email:...); nullopt when none is found.
// Lookup errors are not fatal: Zendesk's duplicate check still guards the POST.
std::optional<zendesk::User> FindByEmail(const ActionContext& ctx, const std::string& email) {
  const std::string want = AsciiLower(email);
  std::vector<int64_t> candidates;
  if (auto all = ctx.store->AllUsers(ctx.conn.account); all.ok()) {
    for (const auto& u : *all) {
      if (!u.deleted && u.email && AsciiLower(*u.email) == want) candidates.push_back(u.id);
    }
  }
  for (int64_t id : candidates) {
    auto u = ctx.client->ShowUser(id);
    if (u.ok() && u->active && u->email && AsciiLower(*u->email) == want) return *u;
  }
  // One exact lookup, not a bulk read: the Search API's 1,000 cap is no concern.
  auto r = ctx.client->Get("/api/v2/search.json?query=" + zendesk::UrlEncode("type:user email:" + email));
  if (!r.ok()) return std::nullopt;
  json body = json::parse(r->body, nullptr, false);
  if (!body.is_object() || !body.contains("results") || !body["results"].is_array()) return std::nullopt;
  for (const auto& u : body["results"]) {
    if (u.is_object() && u.contains("result_type") && u["result_type"] != "user") continue;
    if (!u.is_object() || !u.contains("id") || !u["id"].is_number_integer()) continue;
    if (!u.contains("email") || !u["email"].is_string() || AsciiLower(u["email"].get<std::string>()) != want)
      continue;
    auto full = ctx.client->ShowUser(u["id"].get<int64_t>());
    if (full.ok() && full->active) return *full;
  }
  return std::nullopt;
}

// The user Zendesk has just said holds `email` (a 422 on the create), from
// its database: the search index lags minutes behind a create (reference
// §9.1), such as one of an interrupted run. POST /users/create_or_update
// with the email alone answers 200 with that user and changes nothing
// (reference §4); only asked when the email is known to be in use, as for a
// new email it would create a user.
std::optional<zendesk::User> InUseByEmail(const ActionContext& ctx, const std::string& email) {
  auto r = ctx.client->Send("POST", "/api/v2/users/create_or_update.json", {{"user", {{"email", email}}}},
                            zendesk::Bucket::kUserUpdate);
  if (!r.ok() || r->status != 200) return std::nullopt;
  auto u = zendesk::ParseUserResponse(r->body);
  if (!u.ok() || !u->active || !u->email || AsciiLower(*u->email) != AsciiLower(email)) return std::nullopt;
  return *u;
}

ActionOutcome ExistingUser(const ActionContext& ctx, const CreateUserRequest& req, const zendesk::User& u) {
  ActionOutcome o = NewOutcome(ctx, "user.create", "email:" + req.email);
  o.result = "no-op";
  o.before = UserJson(u);
  o.after = UserJson(u);
  o.summary =
      "user " + req.email + " already exists: id " + std::to_string(u.id.value_or(0)) + " (" + u.role + ")";
  o.changes.push_back({"create-user", "create " + req.email + " as " + req.role, "already-done"});
  if (u.role != req.role || (req.custom_role_id && u.custom_role_id != req.custom_role_id)) {
    o.warnings.push_back(
        "the existing user's role is " + u.role +
        (u.custom_role_id ? " (custom role " + std::to_string(*u.custom_role_id) + ")" : "") + ", not " +
        req.role + "; use `seatkeeper user set-role " + std::to_string(u.id.value_or(0)) + " --role " +
        req.role + "` to change it");
  }
  o.details = {{"user", UserJson(u)}, {"created", false}};
  return o;
}

}  // namespace

Result<ActionOutcome> CreateUser(const ActionContext& ctx, const CreateUserRequest& req) {
  AuditRecord audit(ctx, "user.create", "email:" + req.email);
  const json request = {{"name", req.name},
                        {"email", req.email},
                        {"role", req.role},
                        {"custom_role_id", req.custom_role_id ? json(*req.custom_role_id) : json(nullptr)}};
  if (Status s = CheckWritePermission(ctx.conn); !s.ok()) return audit.Fail(s);
  if (req.name.find_first_not_of(" \t") == std::string::npos)
    return audit.Fail(InvalidArgument("--name is required"));
  if (!ValidEmail(req.email))
    return audit.Fail(InvalidArgument("--email must be an email address (got \"" + req.email + "\")"));
  if (Status s = ValidateRole(req.role, req.custom_role_id); !s.ok()) return audit.Fail(s);
  if (ctx.client == nullptr) return audit.Fail(Internal("no Zendesk client"));

  if (auto existing = FindByEmail(ctx, req.email)) {
    if (Status s = audit.Begin({{"request", request}, {"existing", UserJson(*existing)}}); !s.ok()) return s;
    ActionOutcome o = ExistingUser(ctx, req, *existing);
    if (!ctx.dry_run) (void)ReflectUser(ctx, *existing);
    if (ctx.dry_run) o.result = "dry-run";
    audit.Finish(o);
    return o;
  }

  if (Status s = audit.Begin({{"request", request}, {"existing", nullptr}}); !s.ok()) return s;
  ActionOutcome o = NewOutcome(ctx, "user.create", "email:" + req.email);
  const std::string what =
      "create " + req.email + " as " + req.role +
      (req.custom_role_id ? " with custom role " + std::to_string(*req.custom_role_id) : "");
  if (ctx.dry_run) {
    o.changes.push_back({"create-user", what, "planned"});
    o.summary = "would " + what;
    o.details = {{"request", request}};
    audit.Finish(o);
    return o;
  }

  json body = {{"name", req.name}, {"email", req.email}, {"role", req.role}};
  if (req.custom_role_id) body["custom_role_id"] = *req.custom_role_id;
  auto created = ctx.client->CreateUser(body);
  if (!created.ok()) {
    // A duplicate email means the user exists after all (the search index lags
    // behind, or a concurrent create): report it if it can be found.
    if (created.status().code() == Code::kInvalidRecord) {
      std::optional<zendesk::User> existing = FindByEmail(ctx, req.email);
      if (!existing && created.status().message().find("Email:") != std::string::npos)
        existing = InUseByEmail(ctx, req.email);
      if (existing) {
        ActionOutcome again = ExistingUser(ctx, req, *existing);
        (void)ReflectUser(ctx, *existing);
        audit.Finish(again);
        return again;
      }
    }
    return audit.Fail(FromZendesk(created.status(), "create user " + req.email));
  }
  const zendesk::User& u = *created;
  o.changes.push_back({"create-user", what, "done"});
  o.after = UserJson(u);
  o.details = {{"user", UserJson(u)}, {"created", true}};
  o.summary = "created user " + std::to_string(u.id.value_or(0)) + " " + req.email + " (" + u.role + ")";
  if (u.role != req.role) o.warnings.push_back("Zendesk created the user as " + u.role + ", not " + req.role);
  if (req.custom_role_id && u.custom_role_id != req.custom_role_id) {
    o.warnings.push_back("Zendesk did not apply custom role " + std::to_string(*req.custom_role_id));
  }
  if (Status s = ReflectUser(ctx, u); !s.ok()) o.warnings.push_back(s.ToString());
  audit.Finish(o);
  return o;
}

std::vector<Operation> CreateUserOperations() {
  Operation op = DeclareAction("user.create", {"user", "create"}, "create-user",
                               "Create a user (reports the existing user for a known email)");
  Field role =
      OptionField("role", FieldType::kEnum, true, "--role", "end-user, agent or admin", "agent", "Role");
  role.choices = {"end-user", "agent", "admin"};
  role.fallback = "end-user";
  op.fields = {
      OptionField("name", FieldType::kString, true, "--name", "Full name", "Ada Lovelace", "Name"),
      OptionField("email", FieldType::kString, true, "--email", "Primary email", "ada@example.com", "Email"),
      role, CustomRoleField()};
  op.parse = [](const FieldValues& v) -> Result<ActionRun> {
    CreateUserRequest r{v.Str("name"), v.Str("email"), v.Str("role"), v.OptionalId("custom_role_id")};
    return ActionRun([r](const ActionContext& ctx) { return CreateUser(ctx, r); });
  };
  return {op};
}

}  // namespace sk::actions
