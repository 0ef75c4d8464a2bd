// `seatkeeper user create|delete|set-role`, `tickets reassign`, `offboard`
// and `audit`: argument parsing and output around src/actions (which does
// the permission check, dry-run, audit record and Zendesk error mapping).
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include "actions/action.h"
#include "actions/create_user.h"
#include "actions/delete_user.h"
#include "actions/idempotency.h"
#include "actions/offboard.h"
#include "actions/permanent_delete.h"
#include "actions/reassign_tickets.h"
#include "actions/set_role.h"
#include "cli/context.h"
#include "cli/table.h"
#include "util/log.h"
#include "util/process.h"

namespace sk::cli {
namespace {

using nlohmann::json;
using ActionFn = std::function<Result<actions::ActionOutcome>(const actions::ActionContext&)>;

void PrintError(Context& ctx, const Status& s) {
  if (ctx.json) {
    const bool refused = s.code() == Code::kRefused || s.code() == Code::kInvalidArgument;
    *ctx.out << json{{"result", refused ? "refused" : "failed"},
                     {"code", CodeName(s.code())},
                     {"error", s.message()}}
                    .dump(2)
             << "\n";
  }
  ctx.Finish(s);
}

void PrintOutcome(Context& ctx, const actions::ActionOutcome& o) {
  spdlog::info("action {} {}: {}{}", o.action, o.target, o.result,
               o.audit_id > 0 ? " (audit entry " + std::to_string(o.audit_id) + ")" : "");
  if (ctx.json) {
    *ctx.out << o.ToJson().dump(2) << "\n";
    return;
  }
  std::ostream& out = *ctx.out;
  if (o.result == "dry-run") out << "dry run: nothing was changed\n";
  if (o.result != "refused") out << o.summary << "\n";  // a refusal's reason ends the output as the error
  if (o.changes.size() > 1 || (o.changes.size() == 1 && o.changes[0].description != o.summary)) {
    for (const auto& c : o.changes)
      out << "  [" << c.state << "] " << c.step << ": " << c.description << "\n";
  }
  for (const auto& w : o.warnings) ctx.Warn(w);
  if (o.audit_id > 0) out << "audit entry " << o.audit_id << "\n";
}

// Opens the store and connection, builds the client only for a read-write
// connection (a read connection is refused by the action before any request),
// runs the action and prints its outcome; sets ctx.exit_code. With an
// idempotency key (not on a dry run) the action runs only if no earlier
// request claimed the key; otherwise that request's answer is printed.
void RunAction(Context& ctx, bool dry_run, const std::string& key, const json& request, const ActionFn& fn) {
  // Every log line of the action carries the account and this run's id.
  log::Scope scope({{"account", ctx.account}, {"run_id", log::NewRunId()}});
  auto st = ctx.Store();
  if (!st.ok()) return PrintError(ctx, st.status());
  if (!key.empty()) {
    if (Status s = actions::ValidateIdempotencyKey(key); !s.ok())
      return PrintError(ctx, s.With("--idempotency-key"));
  }
  auto conn = ctx.RequireConnection();
  if (!conn.ok()) return PrintError(ctx, conn.status());
  actions::ActionContext a;
  a.store = *st;
  a.conn = *conn;
  a.actor = ctx.actor;
  a.dry_run = dry_run;
  std::unique_ptr<zendesk::Client> client;
  if (actions::CheckWritePermission(*conn).ok()) {
    auto c = ctx.MakeClient(*conn);
    if (!c.ok()) return PrintError(ctx, c.status());
    client = std::move(*c);
    a.client = client.get();
  }
  if (!ctx.json && ::isatty(STDERR_FILENO)) {
    std::ostream* err = ctx.err;
    a.progress = [err](const std::string& line) { *err << "\r" << line << "\x1b[K" << std::flush; };
  }
  auto answer = actions::RunOnce(**st, ctx.account, dry_run ? "" : key, request, ProcessName("cli"),
                                 [&] { return fn(a); });
  if (a.progress) *ctx.err << "\r\x1b[K" << std::flush;
  if (!answer.ok()) return PrintError(ctx, answer.status());
  if (answer->outcome) {
    PrintOutcome(ctx, *answer->outcome);
    return ctx.Finish(answer->status);
  }
  if (answer->kind == "replayed" && answer->body.contains("summary")) {
    // The answer of the request that claimed the key first; nothing was sent.
    if (ctx.json) {
      *ctx.out << answer->body.dump(2) << "\n";
    } else {
      *ctx.out << answer->body.value("summary", "") << "\n"
               << "(the answer of an earlier run with idempotency key " << key
               << ": nothing was sent again)\n";
    }
    return ctx.Finish(answer->status);
  }
  PrintError(ctx, answer->status);
}

void AddIdempotencyKey(CLI::App* c, std::string& key) {
  c->add_option("--idempotency-key", key,
                "Run at most once per KEY: a repeat (any process on the same store) prints the first "
                "run's answer and sends nothing");
}

// A short human rendering of an audit before/after value.
std::string Brief(const json& j) {
  if (j.is_null()) return "-";
  if (j.is_object()) {
    if (j.contains("user") && j["user"].is_object()) return Brief(j["user"]);
    if (j.contains("request") && j["request"].is_object()) {
      const json& r = j["request"];
      if (j.contains("existing") && j["existing"].is_object()) return "exists: " + Brief(j["existing"]);
      return "none; asked " + r.value("email", "") + " as " + r.value("role", "");
    }
    if (j.contains("role") && j["role"].is_string()) {
      std::string s = "role=" + j["role"].get<std::string>();
      if (j.contains("custom_role_id") && !j["custom_role_id"].is_null())
        s += " custom_role=" + j["custom_role_id"].dump();
      if (j.contains("active") && j["active"].is_boolean())
        s += j["active"].get<bool>() ? " active" : " deleted";
      return s;
    }
    if (j.contains("non_closed")) return "non-closed tickets=" + j["non_closed"].dump();
    if (j.contains("moved")) {
      return "moved=" + j["moved"].dump() + " failed=" + j.value("failed", json(0)).dump() +
             " remaining=" + j.value("remaining", json(0)).dump();
    }
    if (j.contains("steps") && j["steps"].is_object()) {
      std::string s;
      for (const auto& [k, v] : j["steps"].items()) {
        s += (s.empty() ? "" : " ") + k + "=" + (v.is_object() ? v.value("state", "?") : "?");
      }
      return s.empty() ? "plan: new" : s;
    }
  }
  std::string s = j.dump();
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

void RunAudit(Context& ctx) {
  auto st = ctx.Store();
  if (!st.ok()) return PrintError(ctx, st.status());
  auto entries = (*st)->ListAudit(ctx.account);
  if (!entries.ok()) return PrintError(ctx, entries.status());
  if (ctx.json) {
    json arr = json::array();
    for (const auto& e : *entries) {
      arr.push_back({{"id", e.id},
                     {"at", FormatIso(e.at)},
                     {"actor", e.actor},
                     {"action", e.action},
                     {"target", e.target},
                     {"before", json::parse(e.before_json, nullptr, false)},
                     {"after", json::parse(e.after_json, nullptr, false)},
                     {"result", e.result},
                     {"detail", e.detail}});
    }
    *ctx.out << arr.dump(2) << "\n";
    return;
  }
  if (entries->empty()) {
    *ctx.out << "no actions recorded yet\n";
    return;
  }
  Table t({"ID", "TIME", "ACTOR", "ACTION", "TARGET", "RESULT", "BEFORE", "AFTER", "DETAIL"});
  for (const auto& e : *entries) {
    t.Add({std::to_string(e.id), FormatIso(e.at), e.actor, e.action, e.target, e.result,
           Brief(json::parse(e.before_json, nullptr, false)),
           Brief(json::parse(e.after_json, nullptr, false)), e.detail});
  }
  t.Print(*ctx.out);
}

}  // namespace

void RegisterActionCommands(CLI::App& app, Context& ctx) {
  // --- user create | delete | set-role ---
  CLI::App* user =
      app.add_subcommand("user", "Create, delete, permanently delete, upgrade or downgrade a user");
  user->require_subcommand(1);

  {
    struct Args {
      actions::CreateUserRequest req;
      bool dry_run = false;
      std::string key;
    };
    auto a = std::make_shared<Args>();
    CLI::App* c =
        user->add_subcommand("create", "Create a user (reports the existing user for a known email)");
    c->add_option("--name", a->req.name, "Full name")->required();
    c->add_option("--email", a->req.email, "Primary email")->required();
    c->add_option("--role", a->req.role, "end-user, agent or admin")
        ->required()
        ->check(CLI::IsMember({"end-user", "agent", "admin"}));
    c->add_option("--custom-role", a->req.custom_role_id, "Custom role id (agent/admin)");
    c->add_flag("--dry-run", a->dry_run, "Show what would change; change nothing");
    c->add_flag("--json", ctx.json, "JSON output");
    AddIdempotencyKey(c, a->key);
    c->callback([&ctx, a] {
      const json request = {
          {"action", "user.create"},
          {"name", a->req.name},
          {"email", a->req.email},
          {"role", a->req.role},
          {"custom_role_id", a->req.custom_role_id ? json(*a->req.custom_role_id) : json()}};
      RunAction(ctx, a->dry_run, a->key, request,
                [a](const actions::ActionContext& ac) { return actions::CreateUser(ac, a->req); });
    });
  }

  {
    struct Args {
      int64_t id = 0;
      bool permanent = false;
      std::optional<int64_t> reassign_to;
      bool let_zendesk_reassign = false;
      bool yes = false;
      bool dry_run = false;
      std::string key;
    };
    auto a = std::make_shared<Args>();
    CLI::App* c =
        user->add_subcommand("delete", "Soft-delete a user; --permanent --yes deletes it permanently");
    c->add_option("id", a->id, "Zendesk user id")->required();
    c->add_flag("--permanent", a->permanent, "Permanently delete (GDPR; irreversible; soft-deletes first)");
    CLI::Option* to = c->add_option("--reassign-to", a->reassign_to,
                                    "Reassign the user's non-closed tickets to this agent first");
    c->add_flag("--let-zendesk-reassign", a->let_zendesk_reassign,
                "Delete an agent who holds non-closed tickets without reassigning them: Zendesk hands them "
                "to the acting admin (one of this or --reassign-to is required then)")
        ->excludes(to);
    c->add_flag("--yes", a->yes, "Confirm a permanent deletion");
    c->add_flag("--dry-run", a->dry_run, "Show what would change; change nothing");
    c->add_flag("--json", ctx.json, "JSON output");
    AddIdempotencyKey(c, a->key);
    c->callback([&ctx, a] {
      const json request = {{"action", a->permanent ? "user.permanent-delete" : "user.delete"},
                            {"user_id", a->id},
                            {"reassign_to", a->reassign_to ? json(*a->reassign_to) : json()},
                            {"let_zendesk_reassign", a->let_zendesk_reassign},
                            {"confirmed", a->yes}};
      RunAction(ctx, a->dry_run, a->key, request,
                [a](const actions::ActionContext& ac) -> Result<actions::ActionOutcome> {
                  if (a->permanent) {
                    actions::PermanentDeleteRequest p;
                    p.user_id = a->id;
                    p.confirm = a->yes ? std::to_string(a->id) : "";  // --yes names the id typed
                    p.soft_delete_first = true;
                    p.reassign_to = a->reassign_to;
                    p.let_zendesk_reassign = a->let_zendesk_reassign;
                    return actions::PermanentlyDeleteUser(ac, p);
                  }
                  actions::DeleteUserRequest d;
                  d.user_id = a->id;
                  d.reassign_to = a->reassign_to;
                  d.let_zendesk_reassign = a->let_zendesk_reassign;
                  return actions::DeleteUser(ac, d);
                });
    });
  }

  {
    struct Args {
      actions::SetRoleRequest req;
      bool dry_run = false;
      std::string key;
    };
    auto a = std::make_shared<Args>();
    CLI::App* c =
        user->add_subcommand("set-role", "Downgrade to end user (frees the seat) or upgrade to agent/admin");
    c->add_option("id", a->req.user_id, "Zendesk user id")->required();
    c->add_option("--role", a->req.role, "end-user, agent or admin")
        ->required()
        ->check(CLI::IsMember({"end-user", "agent", "admin"}));
    c->add_option("--custom-role", a->req.custom_role_id, "Custom role id (agent/admin)");
    CLI::Option* to =
        c->add_option("--reassign-to", a->req.reassign_to,
                      "Downgrading an agent who holds non-closed tickets (to end user, light agent or "
                      "contributor): reassign them to this agent first");
    c->add_flag("--let-zendesk-reassign", a->req.let_zendesk_reassign,
                "Downgrade without reassigning: Zendesk hands the tickets to the acting admin (to end "
                "user) or unassigns them (to light agent/contributor)")
        ->excludes(to);
    c->add_flag("--dry-run", a->dry_run, "Show what would change; change nothing");
    c->add_flag("--json", ctx.json, "JSON output");
    AddIdempotencyKey(c, a->key);
    c->callback([&ctx, a] {
      const json request = {{"action", "user.set-role"},
                            {"user_id", a->req.user_id},
                            {"role", a->req.role},
                            {"custom_role_id", a->req.custom_role_id ? json(*a->req.custom_role_id) : json()},
                            {"reassign_to", a->req.reassign_to ? json(*a->req.reassign_to) : json()},
                            {"let_zendesk_reassign", a->req.let_zendesk_reassign}};
      RunAction(ctx, a->dry_run, a->key, request,
                [a](const actions::ActionContext& ac) { return actions::SetRole(ac, a->req); });
    });
  }

  // --- tickets reassign ---
  {
    CLI::App* tickets = app.add_subcommand("tickets", "Ticket actions");
    tickets->require_subcommand(1);
    struct Args {
      int64_t from = 0;
      int64_t to = 0;
      bool dry_run = false;
      std::string key;
    };
    auto a = std::make_shared<Args>();
    CLI::App* c =
        tickets->add_subcommand("reassign", "Reassign every non-closed ticket of one user to another");
    c->add_option("--from", a->from, "User whose tickets move")->required();
    c->add_option("--to", a->to, "Agent or admin who takes them")->required();
    c->add_flag("--dry-run", a->dry_run, "Show what would change; change nothing");
    c->add_flag("--json", ctx.json, "JSON output");
    AddIdempotencyKey(c, a->key);
    c->callback([&ctx, a] {
      const json request = {{"action", "tickets.reassign"}, {"from", a->from}, {"to", a->to}};
      RunAction(ctx, a->dry_run, a->key, request, [a](const actions::ActionContext& ac) {
        return actions::ReassignTickets(ac, a->from, a->to);
      });
    });
  }

  // --- offboard ---
  {
    struct Args {
      actions::OffboardRequest req;
      bool yes = false;
      bool dry_run = false;
      std::string key;
    };
    auto a = std::make_shared<Args>();
    CLI::App* c = app.add_subcommand(
        "offboard", "Offboard a leaver: reassign tickets, downgrade (frees the seat), delete; resumable");
    c->add_option("id", a->req.user_id, "Zendesk user id of the leaver")->required();
    c->add_option("--reassign-to", a->req.reassign_to, "Agent or admin who takes the tickets")->required();
    CLI::Option* del = c->add_flag("--delete", a->req.delete_user, "Soft-delete the user at the end");
    CLI::Option* perm = c->add_flag("--permanent", a->req.permanent,
                                    "Soft-delete then permanently delete (irreversible; needs --yes)");
    del->excludes(perm);
    c->add_flag("--yes", a->yes, "Confirm a permanent deletion");
    c->add_flag("--dry-run", a->dry_run, "Show the whole plan; change nothing");
    c->add_flag("--json", ctx.json, "JSON output");
    AddIdempotencyKey(c, a->key);
    c->callback([&ctx, a] {
      const json request = {{"action", "offboard"},
                            {"user_id", a->req.user_id},
                            {"reassign_to", a->req.reassign_to},
                            {"delete", a->req.delete_user},
                            {"permanent", a->req.permanent},
                            {"confirmed", a->yes}};
      a->req.confirm = a->yes ? std::to_string(a->req.user_id) : "";  // --yes names the id typed
      RunAction(ctx, a->dry_run, a->key, request,
                [a](const actions::ActionContext& ac) { return actions::Offboard(ac, a->req); });
    });
  }

  // --- audit ---
  {
    CLI::App* c = app.add_subcommand("audit", "Actions taken: when, who asked, before, after, result");
    c->add_flag("--json", ctx.json, "JSON output");
    c->callback([&ctx] { RunAudit(ctx); });
  }
}

}  // namespace sk::cli
