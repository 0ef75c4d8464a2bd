// POST /api/actions/{route}?account=NAME for every operation of the registry
// (src/actions/registry.h: create-user, delete-user, set-role,
// reassign-tickets, offboard, ...): the body's fields are parsed from the
// declaration and the action runs through src/actions (permission check,
// dry run, audit), acting as "web:admin" on the named account (default: the
// server's). Each body takes "dry_run": true|false. An Idempotency-Key header
// makes the request run once across every server on the same store: a repeat
// gets the first answer (Idempotency-Status: replayed) or 409 while it runs
// (Idempotency-Status: in-progress). GET /api/operations serves the
// declarations (fields, irreversibility, UI buttons) to the UI, and those
// of the reports (src/reports/registry.h).
#include <httplib.h>

#include <memory>

#include "actions/idempotency.h"
#include "actions/registry.h"
#include "actions/render.h"
#include "reports/registry.h"
#include "server/http_util.h"
#include "server/web_server.h"
#include "sync/connection_client.h"
#include "util/log.h"
#include "util/process.h"

namespace sk::server {
namespace {

using nlohmann::json;

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

// One action request through its phases: parse the body, build the context,
// run once (idempotency), answer and count it.
class ActionRequest {
 public:
  ActionRequest(const actions::Operation& op, store::Store* store, Metrics& metrics,
                std::function<void(const std::string&)> log)
      : op_(op), store_(store), metrics_(metrics), log_(std::move(log)) {}

  void Handle(const httplib::Request& req, httplib::Response& res, const std::string& account,
              const std::string& ca_file) {
    // Every log line of the action carries the account and this run's id.
    log::Scope scope({{"account", account}, {"run_id", log::NewRunId()}});
    auto values = Parse(req);
    if (!values.ok()) return Fail(res, values.status());
    auto run = op_.parse(*values);
    if (!run.ok()) return Fail(res, run.status());
    auto conn = store_->GetConnection(account);
    if (!conn.ok()) return Fail(res, conn.status());
    if (!*conn || (*conn)->state == "not-connected")
      return Fail(res, Refused("no Zendesk account is connected: connect one first"));
    actions::ActionContext a;
    a.store = store_;
    a.conn = **conn;
    a.actor = "web:admin";
    a.dry_run = dry_run_;
    // A client only for a read-write connection: on a read connection the
    // action refuses before any request.
    std::unique_ptr<zendesk::Client> client;
    if (actions::CheckWritePermission(**conn).ok()) {
      client = sync::MakeConnectionClient(**conn, store_, {ca_file, nullptr, nullptr});
      a.client = client.get();
    }
    RecordClientStatsOnExit count_requests(metrics_, account, client);  // in /metrics
    // One run per Idempotency-Key across every server sharing the store.
    key_ = req.get_header_value("Idempotency-Key");
    auto answer =
        actions::RunOnce(*store_, account, a.dry_run ? "" : key_, actions::Fingerprint(op_, *values),
                         ProcessName("web"), [&] { return (*run)(a); });
    if (!answer.ok()) return Fail(res, answer.status());
    Respond(res, *answer);
  }

 private:
  Result<actions::FieldValues> Parse(const httplib::Request& req) {
    SK_ASSIGN_OR_RETURN(json body, JsonBody(req));
    if (body.contains("dry_run") && !body["dry_run"].is_boolean())
      return InvalidArgument("dry_run must be true or false");
    dry_run_ = body.value("dry_run", false);
    return actions::ParseFields(op_, body);
  }

  void Count(const std::string& result) {
    metrics_.Add("seatkeeper_actions_total",
                 "action=\"" + Metrics::Label(op_.route) + "\",result=\"" + Metrics::Label(result) + "\"");
  }

  void Fail(httplib::Response& res, const Status& s) {
    Count(actions::FailureResult(s));
    SendJson(res, HttpStatusFor(s), actions::ErrorJson(s));
  }

  void Respond(httplib::Response& res, const actions::ActionAnswer& answer) {
    if (answer.kind != "ran") {
      res.set_header("Idempotency-Status", answer.kind);
      log_("action " + op_.route + ": " + answer.kind + " (Idempotency-Key " + key_ + "), nothing sent");
      Count(answer.kind);
      return SendJson(res, ActionHttpStatus(answer.status, answer.body), answer.body);
    }
    if (!answer.outcome) return Fail(res, answer.status);
    const actions::ActionOutcome& outcome = *answer.outcome;
    Count(outcome.result);
    log_("action " + outcome.action + " " + outcome.target + ": " + outcome.result);
    SendJson(res, ActionHttpStatus(outcome.status, answer.body), answer.body);
  }

  const actions::Operation& op_;
  store::Store* store_;
  Metrics& metrics_;
  std::function<void(const std::string&)> log_;
  bool dry_run_ = false;
  std::string key_;
};

}  // namespace

void WebServer::RegisterActionRoutes() {
  json operations = json::array();
  for (const actions::Operation& op : actions::Operations()) {
    if (op.kind != actions::Operation::Kind::kAction) continue;
    operations.push_back(actions::OperationJson(op));
    Route r{"POST", actions::RestPath(op),       Route::Access::kSession,    op.summary,
            {},     actions::RequestExample(op), actions::RequestSchema(op), op.description};
    AddForAccount(std::move(r), [this, &op](const httplib::Request& req, httplib::Response& res,
                                            const Session*, const std::string& account) {
      ActionRequest(op, store_, metrics_, [this](const std::string& line) {
        Log(line);
      }).Handle(req, res, account, opt_.ca_file);
    });
  }
  for (const reports::Report& r : reports::Reports()) operations.push_back(reports::ReportJson(r));
  Add({"GET",
       "/api/operations",
       Route::Access::kSession,
       "Every action and report with its typed fields (actions: irreversibility and UI buttons; the UI's "
       "forms read them)",
       {},
       nullptr},
      [operations](const httplib::Request&, httplib::Response& res, const Session*) {
        SendJson(res, 200, operations);
      });
}

}  // namespace sk::server
