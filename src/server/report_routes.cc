// GET /api/status, capabilities, users, users/{id}, usage, usage/coverage,
// usage/summary, seats, audit and POST /api/sync. The reports are those of
// src/reports, the CLI's: each route takes the report's declared fields as
// query parameters (documented from the same declaration), parses them with
// the report's reader and sends its JSON (or CSV) rendering.
#include <httplib.h>

#include <type_traits>

#include "reports/audit_chain_report.h"
#include "reports/audit_report.h"
#include "reports/seats_report.h"
#include "reports/usage_report.h"
#include "reports/user_history.h"
#include "reports/users_report.h"
#include "server/http_util.h"
#include "server/web_server.h"
#include "store/views.h"
#include "sync/preflight.h"

namespace sk::server {
namespace {

using nlohmann::json;
using reports::Reader;
using reports::Surface;

Result<store::Connection> RequireConnection(store::Store& st, const std::string& account) {
  SK_ASSIGN_OR_RETURN(auto conn, st.GetConnection(account));
  if (!conn || conn->state == "not-connected")
    return Status(Code::kConflict, "no Zendesk account is connected: connect one first");
  return *conn;
}

// The query parameters a report's fields declare, for the route's documentation.
std::vector<std::pair<std::string, std::string>> QueryOf(const std::vector<reports::Field>& fields) {
  std::vector<std::pair<std::string, std::string>> q;
  for (const auto& f : fields)
    if (f.api) q.emplace_back(f.name, f.help);
  return q;
}

// A report's error: the HTTP status of its code, and the code spelled as
// the API's other error codes are (invalid_argument, not_found).
void SendReportError(httplib::Response& res, const Status& s) {
  std::string code = CodeName(s.code());
  for (char& c : code)
    if (c == ' ') c = '_';
  SendError(res, HttpStatusFor(s), s.message(), code);
}

void SendText(httplib::Response& res, std::string body, const char* type = "application/json") {
  res.status = 200;
  res.set_content(std::move(body), type);
}

// Runs one report for a request: its account's connection, its query
// parameters read as the report's inputs; an error is answered as JSON.
using Report = std::function<Status(const Reader& in, store::Store& st, const std::string& account,
                                    const store::Connection& conn, httplib::Response& res)>;
std::function<void(const httplib::Request&, httplib::Response&, const Session*, const std::string&)> Serve(
    store::Store* store, Report report) {
  return [store, report](const httplib::Request& req, httplib::Response& res, const Session*,
                         const std::string& account) {
    auto conn = RequireConnection(*store, account);
    if (!conn.ok()) return SendStatus(res, conn.status());
    reports::Inputs inputs;
    for (const auto& [k, v] : req.params) inputs.emplace(k, v);  // the first value of a name counts
    if (Status s = report(Reader(inputs, Surface::kApi), *store, account, *conn, res); !s.ok())
      SendReportError(res, s);
  };
}

// The usual report route: reads the query with `read`, runs `run`, sends
// `render`'s answer (a JSON value, or JSON text already written).
template <typename Read, typename Run, typename Render>
Report JsonReport(Read read, Run run, Render render) {
  return [=](const Reader& in, store::Store& st, const std::string& account, const store::Connection& conn,
             httplib::Response& res) -> Status {
    SK_ASSIGN_OR_RETURN(auto q, read(in));
    SK_ASSIGN_OR_RETURN(auto r, run(st, account, conn, q));
    if constexpr (std::is_same_v<decltype(render(r)), std::string>) {
      SendText(res, render(r));
    } else {
      SendJson(res, 200, render(r));
    }
    return Status::Ok();
  };
}

Status Users(const Reader& in, store::Store& st, const std::string& account, const store::Connection& conn,
             httplib::Response& res) {
  SK_ASSIGN_OR_RETURN(auto q, reports::ReadUsers(in));
  SK_ASSIGN_OR_RETURN(auto r, reports::RunUsers(st, account, conn, q));
  if (!q.csv) {
    SendText(res, reports::UsersPageJson(r));
    return Status::Ok();
  }
  res.set_header("Content-Disposition", "attachment; filename=\"seatkeeper-users.csv\"");
  SendText(res, reports::UsersCsv(r), "text/csv; charset=utf-8");
  return Status::Ok();
}

// GET /api/users/{id}/history: the user's role history (users history ID --json).
void UserHistoryRoute(store::Store& st, const httplib::Request& req, httplib::Response& res,
                      const std::string& account) {
  int64_t id = 0;
  try {
    id = std::stoll(req.matches[1].str());
  } catch (...) {
    return SendReportError(res, InvalidArgument("the user id must be a number"));
  }
  auto h = reports::RunUserHistory(st, account, id);
  if (!h.ok()) return SendReportError(res, h.status());
  SendJson(res, 200, reports::UserHistoryJson(*h));
}

// One user (users --json element plus profile fields) and their usage rows.
Status UserDetail(const httplib::Request& req, store::Store& st, const std::string& account,
                  const store::Connection& conn, httplib::Response& res) {
  int64_t id = 0;
  try {
    id = std::stoll(req.matches[1].str());
  } catch (...) {
    return InvalidArgument("the user id must be a number");
  }
  SK_ASSIGN_OR_RETURN(auto w, reports::WindowOf(conn));
  store::UserFilter f;
  f.after_id = id - 1;
  f.limit = 1;
  SK_ASSIGN_OR_RETURN(auto users, st.ListUsers(account, f, w.first, w.today));
  if (users.empty() || users.front().user.id != id)
    return Status(Code::kNotFound, "no user " + std::to_string(id) + " in the store");
  const auto& u = users.front();
  json user = store::UserJson(u);
  user["role_type"] = u.user.role_type ? json(*u.user.role_type) : json();
  user["custom_role_id"] = u.user.custom_role_id ? json(*u.user.custom_role_id) : json();
  user["deleted_kind"] = u.user.deleted_kind;
  user["created_at"] = u.user.created_at ? json(FormatIso(u.user.created_at)) : json();
  user["updated_at"] = u.user.updated_at ? json(FormatIso(u.user.updated_at)) : json();
  SK_ASSIGN_OR_RETURN(auto usage, st.Usage(account, w.first, w.today, id));
  const bool is_connecting = conn.connecting_user_id && *conn.connecting_user_id == id;
  SendJson(res, 200,
           {{"user", user},
            {"usage", reports::UsageJson(usage)},
            {"is_connecting_user", is_connecting},
            {"window", w.Json()}});
  return Status::Ok();
}

}  // namespace

void WebServer::RegisterReportRoutes() {
  RegisterAccountStateRoutes();
  AddForAccount(
      {"GET", "/api/users", Route::Access::kSession,
       "Users with role, license, seat, last login and activity (users --json elements), a page at a "
       "time; format=csv returns every matching user as CSV",
       QueryOf(reports::UsersFields()), nullptr},
      Serve(store_, Users));
  AddForAccount({"GET",
                 "/api/users/{id}",
                 Route::Access::kSession,
                 "One user (users --json element plus profile fields) and their usage rows over the window",
                 {},
                 nullptr},
                [this](const httplib::Request& req, httplib::Response& res, const Session* s,
                       const std::string& account) {
                  Serve(store_, [&req](const Reader&, store::Store& st, const std::string& a,
                                       const store::Connection& c, httplib::Response& r) {
                    return UserDetail(req, st, a, c, r);
                  })(req, res, s, account);
                });
  AddForAccount({"GET",
                 "/api/users/{id}/history",
                 Route::Access::kSession,
                 "Role history (users history ID --json): each role, custom role, license, suspension and "
                 "deletion change, its time or the two syncs it fell between, and its actor where known",
                 {},
                 nullptr},
                [this](const httplib::Request& req, httplib::Response& res, const Session*,
                       const std::string& account) { UserHistoryRoute(*store_, req, res, account); });
  AddForAccount({"GET", "/api/usage", Route::Access::kSession,
                 "Who was active on which day and why (usage --json): one row per user per active day",
                 QueryOf(reports::UsageFields()), nullptr},
                Serve(store_, JsonReport(reports::ReadUsage, reports::RunUsage, reports::UsageJson)));
  AddForAccount(
      {"GET", "/api/usage/coverage", Route::Access::kSession,
       "Per day (usage --coverage --json): the sources the ticket activity was read from, complete, "
       "and what Zendesk did not show (unseen)",
       QueryOf(reports::RangeFields()), nullptr},
      Serve(store_, JsonReport(reports::ReadRange, reports::RunCoverage, reports::CoverageJson)));
  AddForAccount({"GET", "/api/usage/summary", Route::Access::kSession,
                 "Per day: active users, by license type, paid seats and idle paid seats",
                 QueryOf(reports::RangeFields()), nullptr},
                Serve(store_, JsonReport(reports::ReadRange, reports::RunSummary, reports::SummaryJson)));
  AddForAccount({"GET", "/api/seats", Route::Access::kSession,
                 "Idle paid seats, their last evidence and what reclaiming them saves (seats --json)",
                 QueryOf(reports::SeatsFields()), nullptr},
                Serve(store_, JsonReport(reports::ReadSeats, reports::RunSeats, reports::SeatsJson)));
  AddForAccount(
      {"GET",
       "/api/audit",
       Route::Access::kSession,
       "Actions taken: when, who, before, after, result (audit --json)",
       {},
       nullptr},
      [this](const httplib::Request&, httplib::Response& res, const Session*, const std::string& account) {
        auto entries = reports::RunAudit(*store_, account);
        if (!entries.ok()) return SendStatus(res, entries.status());
        SendJson(res, 200, reports::AuditJson(*entries));
      });
  AddForAccount(
      {"GET",
       "/api/audit/verify",
       Route::Access::kSession,
       "Check the audit trail's hash chain (audit verify --json): 200 with intact true, or false "
       "and the first bad entry (edited, removed or reordered)",
       {},
       nullptr},
      [this](const httplib::Request&, httplib::Response& res, const Session*, const std::string& account) {
        auto r = reports::RunAuditVerify(*store_, account);
        if (!r.ok()) return SendStatus(res, r.status());
        SendJson(res, 200, reports::AuditVerifyJson(*r));
      });
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
