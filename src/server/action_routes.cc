// POST /api/actions/{create-user|delete-user|set-role|reassign-tickets|offboard}?account=NAME:
// the CLI's actions through src/actions (permission check, dry run, audit),
// acting as "web:admin" on the named account (default: the server's). Each body takes "dry_run": true|false.
// An Idempotency-Key header makes the request run once across every server on the same store: a repeat gets
// the first answer (Idempotency-Status: replayed) or 409 while it runs (Idempotency-Status: in-progress).
#include <httplib.h>

#include <memory>

#include "actions/create_user.h"
#include "actions/delete_user.h"
#include "actions/idempotency.h"
#include "actions/offboard.h"
#include "actions/permanent_delete.h"
#include "actions/reassign_tickets.h"
#include "actions/set_role.h"
#include "server/http_util.h"
#include "server/web_server.h"
#include "sync/connection_client.h"
#include "util/log.h"
#include "util/process.h"

namespace sk::server {
namespace {

using nlohmann::json;
using ActionFn = std::function<Result<actions::ActionOutcome>(const actions::ActionContext&)>;

Result<int64_t> IdField(const json& body, const char* name, bool required = true) {
  if (!body.contains(name) || body[name].is_null()) {
    if (required) return InvalidArgument(std::string(name) + " is required");
    return int64_t{0};
  }
  const auto& v = body[name];
  if (v.is_number_integer() && v.get<int64_t>() > 0) return v.get<int64_t>();
  if (v.is_string()) {
    try {
      size_t used = 0;
      int64_t n = std::stoll(v.get<std::string>(), &used);
      if (used == v.get<std::string>().size() && n > 0) return n;
    } catch (...) {
    }
  }
  return InvalidArgument(std::string(name) + " must be a positive integer id");
}

std::string StringField(const json& body, const char* name) {
  return body.contains(name) && body[name].is_string() ? body[name].get<std::string>() : "";
}
bool BoolField(const json& body, const char* name) {
  return body.contains(name) && body[name].is_boolean() && body[name].get<bool>();
}

// "confirm": the user's id (string or number) or email.
std::string ConfirmField(const json& body) {
  if (body.contains("confirm") && body["confirm"].is_number_integer()) return body["confirm"].dump();
  return StringField(body, "confirm");
}

Result<std::optional<int64_t>> OptionalId(const json& body, const char* name) {
  SK_ASSIGN_OR_RETURN(int64_t id, IdField(body, name, false));
  return id ? std::optional<int64_t>(id) : std::nullopt;
}

// The HTTP status of an action's answer: a refusal for want of a ticket
// choice (agent_tickets.h) is a conflict with the user's current state (409),
// other statuses as HttpStatusFor.
int ActionHttpStatus(const Status& s, const json& body) {
  if (s.ok()) return 200;
  if (s.code() == Code::kRefused && body.is_object() && body.contains("details") &&
      body["details"].is_object()) {
    const json& d = body["details"];
    if (d.contains("ticket_side_effect") && d["ticket_side_effect"].is_object() &&
        d["ticket_side_effect"].value("choice_required", false))
      return 409;
  }
  return HttpStatusFor(s);
}

void SendActionError(httplib::Response& res, const Status& s) {
  const bool refused = s.code() == Code::kRefused || s.code() == Code::kInvalidArgument;
  SendJson(
      res, HttpStatusFor(s),
      {{"result", refused ? "refused" : "failed"}, {"code", CodeName(s.code())}, {"error", s.message()}});
}

}  // namespace

void WebServer::RegisterActionRoutes() {
  // Builds the action context (a client only for a read-write connection: on
  // a read connection the action refuses before any request) and runs `fn`.
  auto run = [this](const httplib::Request& req, httplib::Response& res, const std::string& account,
                    const std::function<Result<ActionFn>(const json&)>& parse) {
    // Every log line of the action carries the account and this run's id.
    log::Scope scope({{"account", account}, {"run_id", log::NewRunId()}});
    auto body = JsonBody(req);
    if (!body.ok()) return SendActionError(res, body.status());
    if (body->contains("dry_run") && !(*body)["dry_run"].is_boolean())
      return SendActionError(res, InvalidArgument("dry_run must be true or false"));
    auto fn = parse(*body);
    if (!fn.ok()) return SendActionError(res, fn.status());
    auto conn = store_->GetConnection(account);
    if (!conn.ok()) return SendActionError(res, conn.status());
    if (!*conn || (*conn)->state == "not-connected")
      return SendActionError(res, Refused("no Zendesk account is connected: connect one first"));
    actions::ActionContext a;
    a.store = store_;
    a.conn = **conn;
    a.actor = "web:admin";
    a.dry_run = BoolField(*body, "dry_run");
    std::unique_ptr<zendesk::Client> client;
    if (actions::CheckWritePermission(**conn).ok()) {
      client = sync::MakeConnectionClient(**conn, store_, {opt_.ca_file, nullptr, nullptr});
      a.client = client.get();
    }
    RecordClientStatsOnExit count_requests(metrics_, account, client);  // in /metrics
    // One run per Idempotency-Key across every server sharing the store.
    const std::string route = req.path.substr(req.path.rfind('/') + 1);
    const std::string key = req.get_header_value("Idempotency-Key");
    auto answer =
        actions::RunOnce(*store_, account, a.dry_run ? "" : key, json{{"action", route}, {"body", *body}},
                         ProcessName("web"), [&] { return (*fn)(a); });
    if (!answer.ok()) {
      metrics_.Add("seatkeeper_actions_total",
                   "action=\"" + Metrics::Label(route) + "\",result=\"" +
                       (answer.status().code() == Code::kInvalidArgument ? "refused" : "failed") + "\"");
      return SendActionError(res, answer.status());
    }
    if (answer->kind != "ran") {
      res.set_header("Idempotency-Status", answer->kind);
      Log("action " + route + ": " + answer->kind + " (Idempotency-Key " + key + "), nothing sent");
      metrics_.Add("seatkeeper_actions_total", "action=\"" + Metrics::Label(route) + "\",result=\"" +
                                                   Metrics::Label(answer->kind) + "\"");
      return SendJson(res, ActionHttpStatus(answer->status, answer->body), answer->body);
    }
    if (!answer->outcome) {
      const bool refused =
          answer->status.code() == Code::kRefused || answer->status.code() == Code::kInvalidArgument;
      metrics_.Add("seatkeeper_actions_total", "action=\"" + Metrics::Label(route) + "\",result=\"" +
                                                   (refused ? "refused" : "failed") + "\"");
      return SendActionError(res, answer->status);
    }
    const actions::ActionOutcome& outcome = *answer->outcome;
    metrics_.Add("seatkeeper_actions_total", "action=\"" + Metrics::Label(route) + "\",result=\"" +
                                                 Metrics::Label(outcome.result) + "\"");
    Log("action " + outcome.action + " " + outcome.target + ": " + outcome.result);
    SendJson(res, ActionHttpStatus(outcome.status, answer->body), answer->body);
  };

  AddForAccount(
      {"POST",
       "/api/actions/create-user",
       Route::Access::kSession,
       "Create a user (reports the existing user for a known email)",
       {},
       {{"dry_run", true},
        {"name", "Ada Lovelace"},
        {"email", "ada@example.com"},
        {"role", "agent"},
        {"custom_role_id", nullptr}}},
      [run](const httplib::Request& req, httplib::Response& res, const Session*, const std::string& account) {
        run(req, res, account, [](const json& b) -> Result<ActionFn> {
          actions::CreateUserRequest r;
          r.name = StringField(b, "name");
          r.email = StringField(b, "email");
          if (b.contains("role")) r.role = StringField(b, "role");
          SK_ASSIGN_OR_RETURN(r.custom_role_id, OptionalId(b, "custom_role_id"));
          return ActionFn([r](const actions::ActionContext& a) { return actions::CreateUser(a, r); });
        });
      });

  AddForAccount(
      {"POST",
       "/api/actions/delete-user",
       Route::Access::kSession,
       "Soft-delete a user; with permanent=true (and confirm = the user's id or email) delete it "
       "permanently. An "
       "agent who holds non-closed tickets needs reassign_to (reassigned first) or let_zendesk_reassign=true "
       "(Zendesk hands them to the acting admin); without either: 409",
       {},
       {{"dry_run", true},
        {"user_id", 123},
        {"reassign_to", nullptr},
        {"let_zendesk_reassign", false},
        {"permanent", false},
        {"confirm", ""}}},
      [run](const httplib::Request& req, httplib::Response& res, const Session*, const std::string& account) {
        run(req, res, account, [](const json& b) -> Result<ActionFn> {
          SK_ASSIGN_OR_RETURN(int64_t id, IdField(b, "user_id"));
          SK_ASSIGN_OR_RETURN(auto reassign_to, OptionalId(b, "reassign_to"));
          if (BoolField(b, "permanent")) {
            actions::PermanentDeleteRequest p;
            p.user_id = id;
            p.reassign_to = reassign_to;
            p.let_zendesk_reassign = BoolField(b, "let_zendesk_reassign");
            p.soft_delete_first = true;
            p.confirm = ConfirmField(b);  // checked by the action (CheckConfirmation)
            return ActionFn(
                [p](const actions::ActionContext& a) { return actions::PermanentlyDeleteUser(a, p); });
          }
          actions::DeleteUserRequest d;
          d.user_id = id;
          d.reassign_to = reassign_to;
          d.let_zendesk_reassign = BoolField(b, "let_zendesk_reassign");
          return ActionFn([d](const actions::ActionContext& a) { return actions::DeleteUser(a, d); });
        });
      });

  AddForAccount(
      {"POST",
       "/api/actions/set-role",
       Route::Access::kSession,
       "Downgrade to end user (frees the seat) or upgrade to agent/admin. Downgrading an agent who holds "
       "non-closed tickets (to end user, light agent or contributor) needs reassign_to (reassigned first) or "
       "let_zendesk_reassign=true (Zendesk hands them to the acting admin / unassigns them); without either: "
       "409",
       {},
       {{"dry_run", true},
        {"user_id", 123},
        {"role", "end-user"},
        {"custom_role_id", nullptr},
        {"reassign_to", nullptr},
        {"let_zendesk_reassign", false}}},
      [run](const httplib::Request& req, httplib::Response& res, const Session*, const std::string& account) {
        run(req, res, account, [](const json& b) -> Result<ActionFn> {
          actions::SetRoleRequest r;
          SK_ASSIGN_OR_RETURN(r.user_id, IdField(b, "user_id"));
          r.role = StringField(b, "role");
          SK_ASSIGN_OR_RETURN(r.custom_role_id, OptionalId(b, "custom_role_id"));
          SK_ASSIGN_OR_RETURN(r.reassign_to, OptionalId(b, "reassign_to"));
          r.let_zendesk_reassign = BoolField(b, "let_zendesk_reassign");
          return ActionFn([r](const actions::ActionContext& a) { return actions::SetRole(a, r); });
        });
      });

  AddForAccount(
      {"POST",
       "/api/actions/reassign-tickets",
       Route::Access::kSession,
       "Reassign every non-closed ticket of one user to another agent or admin",
       {},
       {{"dry_run", true}, {"from", 123}, {"to", 456}}},
      [run](const httplib::Request& req, httplib::Response& res, const Session*, const std::string& account) {
        run(req, res, account, [](const json& b) -> Result<ActionFn> {
          SK_ASSIGN_OR_RETURN(int64_t from, IdField(b, "from"));
          SK_ASSIGN_OR_RETURN(int64_t to, IdField(b, "to"));
          return ActionFn(
              [from, to](const actions::ActionContext& a) { return actions::ReassignTickets(a, from, to); });
        });
      });

  AddForAccount(
      {"POST",
       "/api/actions/offboard",
       Route::Access::kSession,
       "Offboard a leaver: reassign tickets, downgrade, optionally delete / permanently delete; resumable",
       {},
       {{"dry_run", true},
        {"user_id", 123},
        {"reassign_to", 456},
        {"delete", false},
        {"permanent", false},
        {"confirm", ""}}},
      [run](const httplib::Request& req, httplib::Response& res, const Session*, const std::string& account) {
        run(req, res, account, [](const json& b) -> Result<ActionFn> {
          actions::OffboardRequest r;
          SK_ASSIGN_OR_RETURN(r.user_id, IdField(b, "user_id"));
          SK_ASSIGN_OR_RETURN(r.reassign_to, IdField(b, "reassign_to"));
          r.delete_user = BoolField(b, "delete");
          r.permanent = BoolField(b, "permanent");
          r.confirm = ConfirmField(b);  // checked by the action (CheckConfirmation)
          return ActionFn([r](const actions::ActionContext& a) { return actions::Offboard(a, r); });
        });
      });
}

}  // namespace sk::server
