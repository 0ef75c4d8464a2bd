// GET /api/status, capabilities, POST /api/sync, and a GET route for every
// report of the registry (src/reports/registry.h: users, users/{id}, usage,
// usage/coverage, usage/summary, seats, audit, ...): its declared fields are
// its query parameters (typed in the OpenAPI entry), read by the report's
// parse as the CLI's options are, and its output is sent as JSON (or the
// text it declares, CSV as an attachment).
#include <httplib.h>

#include "reports/registry.h"
#include "server/http_util.h"
#include "server/web_server.h"
#include "store/views.h"
#include "sync/preflight.h"

namespace sk::server {
namespace {

using nlohmann::json;
using reports::Surface;

Result<store::Connection> RequireConnection(store::Store& st, const std::string& account) {
  SK_ASSIGN_OR_RETURN(auto conn, st.GetConnection(account));
  if (!conn || conn->state == "not-connected")
    return Status(Code::kConflict, "no Zendesk account is connected: connect one first");
  return *conn;
}

// A report's error: the HTTP status of its code, and the code spelled as
// the API's other error codes are (invalid_argument, not_found).
void SendReportError(httplib::Response& res, const Status& s) {
  std::string code = CodeName(s.code());
  for (char& c : code)
    if (c == ' ') c = '_';
  SendError(res, HttpStatusFor(s), s.message(), code);
}

// The route of a report: its query parameters (the fields the API offers)
// with their types and examples for the OpenAPI document.
Route RouteOf(const reports::Report& r) {
  Route route{"GET", r.path, Route::Access::kSession, r.summary, {}, nullptr, nullptr, r.description};
  route.parameters = json::object();
  for (const auto& f : r.fields) {
    if (!f.api) continue;
    if (!f.in_path) route.query.emplace_back(f.name, f.help);
    route.parameters[f.name] = {
        {"schema", reports::FieldSchema(f)}, {"example", f.example}, {"required", f.required}};
  }
  return route;
}

// The report's inputs from a request: the query parameters it declares (the
// first value of a name counts) and its path parameter ({id}).
reports::Inputs InputsOf(const reports::Report& r, const httplib::Request& req) {
  reports::Inputs inputs;
  for (const auto& f : r.fields) {
    if (!f.api) continue;
    if (f.in_path) {
      if (req.matches.size() > 1) inputs[f.name] = req.matches[1].str();
    } else if (req.has_param(f.name.c_str())) {
      inputs[f.name] = req.get_param_value(f.name.c_str());
    }
  }
  return inputs;
}

void Send(httplib::Response& res, reports::Output out) {
  if (!out.is_text) return SendJson(res, 200, out.json);
  if (!out.filename.empty())
    res.set_header("Content-Disposition", "attachment; filename=\"" + out.filename + "\"");
  res.status = 200;
  res.set_content(std::move(out.text), out.content_type);
}

// Answers one request for report `r` on `account`.
void Serve(const reports::Report& r, store::Store& st, const httplib::Request& req, httplib::Response& res,
           const std::string& account) {
  reports::Source src{&st, account, nullptr};
  store::Connection conn;
  if (r.needs_connection) {
    auto c = RequireConnection(st, account);
    if (!c.ok()) return SendStatus(res, c.status());
    conn = std::move(*c);
    src.conn = &conn;
  }
  const reports::Inputs inputs = InputsOf(r, req);
  // A report that declares `format` answers format=csv as CSV.
  auto format =
      inputs.count("format") && inputs.at("format") == "csv" ? reports::Format::kCsv : reports::Format::kJson;
  auto run = r.parse(reports::Reader(inputs, Surface::kApi), format);
  if (!run.ok()) return SendReportError(res, run.status());
  auto out = (*run)(src);
  if (!out.ok()) return SendReportError(res, out.status());
  Send(res, std::move(*out));
}

}  // namespace

void WebServer::RegisterReportRoutes() {
  RegisterAccountStateRoutes();
  for (const reports::Report& r : reports::Reports()) {
    AddForAccount(RouteOf(r),
                  [this, &r](const httplib::Request& req, httplib::Response& res, const Session*,
                             const std::string& account) { Serve(r, *store_, req, res, account); });
  }
}

void WebServer::RegisterAccountStateRoutes() {
  AddForAccount(
      {"GET",
       "/api/status",
       Route::Access::kSession,
       "Connection state, plan, last sync, preflight results (status --json), plus the running sync's "
       "progress",
       {},
       nullptr},
      [this](const httplib::Request&, httplib::Response& res, const Session*, const std::string& account) {
        auto conn = store_->GetConnection(account);
        if (!conn.ok()) return SendStatus(res, conn.status());
        json j = store::StatusJson(*conn);
        j["sync"] = sync_runner(account).Snapshot();
        if (*conn) {
          j["connecting_user_email"] = (*conn)->connecting_user_email;
          j["connected_at"] = (*conn)->connected_at ? json(FormatIso(*(*conn)->connected_at)) : json();
        }
        SendJson(res, 200, j);
      });
  AddForAccount(
      {"GET",
       "/api/capabilities",
       Route::Access::kSession,
       "The integration capabilities table (capabilities --json)",
       {},
       nullptr},
      [this](const httplib::Request&, httplib::Response& res, const Session*, const std::string& account) {
        auto conn = store_->GetConnection(account);
        if (!conn.ok()) return SendStatus(res, conn.status());
        json rows = *conn ? sync::CapabilitiesTable((*conn)->permission, (*conn)->plan,
                                                    json::parse((*conn)->capabilities_json, nullptr, false))
                          : sync::CapabilitiesTable("read", "", json::object());
        SendJson(res, 200, rows);
      });
  AddForAccount(
      {"POST",
       "/api/sync",
       Route::Access::kSession,
       "Start a sync of the account in the background (202), holding that account's lease; progress and ETA "
       "show in GET /api/status under \"sync\"",
       {},
       json::object()},
      [this](const httplib::Request&, httplib::Response& res, const Session*, const std::string& account) {
        auto conn = RequireConnection(*store_, account);
        if (!conn.ok()) return SendStatus(res, conn.status());
        if (!sync_runner(account).Start("manual"))
          return SendJson(
              res, 409, {{"error", "a sync is already running"}, {"sync", sync_runner(account).Snapshot()}});
        Log("sync of " + account + " started (manual)");
        SendJson(res, 202, {{"started", true}, {"sync", sync_runner(account).Snapshot()}});
      });
}

}  // namespace sk::server
