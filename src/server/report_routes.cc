// GET /api/status, capabilities, users, users/{id}, usage, usage/coverage, usage/summary,
// seats, audit and POST /api/sync: the CLI's reports, same JSON shapes.
#include <httplib.h>

#include <sstream>

#include "server/http_util.h"
#include "server/web_server.h"
#include "store/views.h"
#include "sync/coverage.h"
#include "sync/preflight.h"
#include "util/text.h"

namespace sk::server {
namespace {

using nlohmann::json;

// The longest from..to range a report answers (ten years): a wider one only
// builds an answer nobody can use (0001-01-01..9999-12-31 made 336 MB).
constexpr int64_t kMaxRangeDays = 3660;

struct Window {
  Zone zone = Zone::Utc();
  DayNumber first = 0, today = 0;
};

Result<store::Connection> RequireConnection(store::Store& st, const std::string& account) {
  SK_ASSIGN_OR_RETURN(auto conn, st.GetConnection(account));
  if (!conn || conn->state == "not-connected")
    return Status(Code::kConflict, "no Zendesk account is connected: connect one first");
  return *conn;
}

Result<Window> WindowOf(const store::Connection& c) {
  Window w;
  SK_ASSIGN_OR_RETURN(w.zone, Zone::Named(c.timezone));
  w.today = w.zone.DayOf(NowUnix());
  w.first = w.today - c.window_days + 1;
  return w;
}

Result<DayNumber> DayParam(const httplib::Request& req, const char* name, DayNumber fallback) {
  auto v = QueryString(req, name);
  if (!v) return fallback;
  auto d = ParseDay(*v);
  if (!d) return InvalidArgument(std::string(name) + " must be a date YYYY-MM-DD");
  return *d;
}

// A spreadsheet opens this export (the UI's button too): formula-like
// cells from Zendesk data are neutralised.
std::string CsvField(const std::string& s) {
  return CsvCell(s);
}

Result<store::UserFilter> UserFilterOf(const httplib::Request& req) {
  store::UserFilter f;
  if (auto role = QueryString(req, "role")) {
    if (*role != "end-user" && *role != "agent" && *role != "admin")
      return InvalidArgument("role must be end-user, agent or admin");
    f.role = *role;
  }
  if (auto lic = QueryString(req, "license")) {
    static const std::set<std::string> kLicenses = {
        "admin", "agent", "light-agent", "contributor", "billing-admin", "chat-agent", "end-user"};
    if (!kLicenses.count(*lic))
      return InvalidArgument(
          "license must be one of admin, agent, light-agent, contributor, billing-admin, "
          "chat-agent, end-user");
    f.license = *lic;
  }
  if (auto seat = QueryString(req, "seat")) {
    if (*seat != "true" && *seat != "false") return InvalidArgument("seat must be true or false");
    f.seat = *seat == "true";
  }
  SK_ASSIGN_OR_RETURN(auto inactive, QueryInt(req, "inactive_days", 1, 3650));
  if (inactive) f.inactive_days = static_cast<int>(*inactive);
  if (auto deleted = QueryString(req, "include_deleted")) f.include_deleted = *deleted != "false";
  if (auto search = QueryString(req, "search")) {
    if (search->size() > 200) return InvalidArgument("search is at most 200 characters");
    f.search = *search;
  }
  return f;
}

}  // namespace

void WebServer::RegisterReportRoutes() {
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
      {"GET",
       "/api/users",
       Route::Access::kSession,
       "Users with role, license, seat, last login and activity (users --json elements), a page at a time; "
       "format=csv returns every matching user as CSV",
       {{"role", "end-user | agent | admin"},
        {"license", "admin | agent | light-agent | contributor | billing-admin | chat-agent | end-user"},
        {"seat", "true | false"},
        {"inactive_days", "only users with no activity in the last N days"},
        {"search", "substring of name or email"},
        {"include_deleted", "true (default) | false"},
        {"limit", "page size, 1..1000 (default 100)"},
        {"after", "id: return users with a larger id (next_after of the previous page)"},
        {"format", "json (default) | csv"}},
       nullptr},
      [this](const httplib::Request& req, httplib::Response& res, const Session*,
             const std::string& account) {
        auto conn = RequireConnection(*store_, account);
        if (!conn.ok()) return SendStatus(res, conn.status());
        auto w = WindowOf(*conn);
        if (!w.ok()) return SendStatus(res, w.status());
        auto f = UserFilterOf(req);
        if (!f.ok()) return SendStatus(res, f.status());
        const bool csv = QueryString(req, "format").value_or("json") == "csv";
        auto limit = QueryInt(req, "limit", 1, 1000);
        if (!limit.ok()) return SendStatus(res, limit.status());
        auto after = QueryInt(req, "after", 0, INT64_MAX);
        if (!after.ok()) return SendStatus(res, after.status());
        store::UserFilter filter = *f;
        const int page = static_cast<int>(limit->value_or(100));
        if (!csv) filter.limit = page + 1;  // one more tells whether there is a next page
        if (*after) filter.after_id = **after;
        auto users = store_->ListUsers(account, filter, w->first, w->today);
        if (!users.ok()) return SendStatus(res, users.status());
        if (csv) {
          std::ostringstream out;
          out << "id,name,email,role,license,seat,custom_role,suspended,deleted,last_login_at,active_days,"
                 "last_active_date,probable_integration\r\n";
          for (const auto& u : *users) {
            const auto& r = u.user;
            out << r.id << ',' << CsvField(r.name) << ',' << CsvField(r.email.value_or("")) << ',' << r.role
                << ',' << r.license << ',' << (r.seat ? "true" : "false") << ','
                << CsvField(r.custom_role.value_or("")) << ',' << (r.suspended ? "true" : "false") << ','
                << (r.deleted ? "true" : "false") << ','
                << (r.last_login_at ? FormatIso(*r.last_login_at) : "") << ',' << u.active_days << ','
                << (u.last_active_day ? FormatDay(*u.last_active_day) : "") << ','
                << (store::ProbableIntegration(u) ? "true" : "false") << "\r\n";
          }
          res.set_header("Content-Disposition", "attachment; filename=\"seatkeeper-users.csv\"");
          res.set_content(out.str(), "text/csv; charset=utf-8");
          return;
        }
        // The hot path: the page is written straight to text (the bytes
        // SendJson would produce for {"next_after", "users", "window"}).
        const size_t n = std::min(users->size(), static_cast<size_t>(page));
        json next = users->size() > static_cast<size_t>(page) ? json((*users)[n - 1].user.id) : json();
        json window = {
            {"from", FormatDay(w->first)}, {"to", FormatDay(w->today)}, {"timezone", w->zone.name()}};
        std::string body = "{\"next_after\":" + next.dump() + ",\"users\":[";
        body.reserve(n * 320 + 200);
        for (size_t i = 0; i < n; ++i) {
          if (i) body += ',';
          store::AppendUserJson(&body, (*users)[i]);
        }
        body += "],\"window\":";
        body += window.dump(-1, ' ', false, json::error_handler_t::replace);
        body += '}';
        res.status = 200;
        res.set_content(std::move(body), "application/json");
      });

  AddForAccount(
      {"GET",
       "/api/users/{id}",
       Route::Access::kSession,
       "One user (users --json element plus profile fields) and their usage rows over the window",
       {},
       nullptr},
      [this](const httplib::Request& req, httplib::Response& res, const Session*,
             const std::string& account) {
        int64_t id = 0;
        try {
          id = std::stoll(req.matches[1].str());
        } catch (...) {
          return SendError(res, 400, "the user id must be a number", "invalid_argument");
        }
        auto conn = RequireConnection(*store_, account);
        if (!conn.ok()) return SendStatus(res, conn.status());
        auto w = WindowOf(*conn);
        if (!w.ok()) return SendStatus(res, w.status());
        store::UserFilter f;
        f.after_id = id - 1;
        f.limit = 1;
        auto users = store_->ListUsers(account, f, w->first, w->today);
        if (!users.ok()) return SendStatus(res, users.status());
        if (users->empty() || users->front().user.id != id)
          return SendError(res, 404, "no user " + std::to_string(id) + " in the store", "not_found");
        const auto& u = users->front();
        json user = store::UserJson(u);
        user["role_type"] = u.user.role_type ? json(*u.user.role_type) : json();
        user["custom_role_id"] = u.user.custom_role_id ? json(*u.user.custom_role_id) : json();
        user["deleted_kind"] = u.user.deleted_kind;
        user["created_at"] = u.user.created_at ? json(FormatIso(u.user.created_at)) : json();
        user["updated_at"] = u.user.updated_at ? json(FormatIso(u.user.updated_at)) : json();
        auto usage = store_->Usage(account, w->first, w->today, id);
        if (!usage.ok()) return SendStatus(res, usage.status());
        json rows = json::array();
        for (const auto& r : *usage) rows.push_back(store::UsageJson(r));
        const bool is_connecting = conn->connecting_user_id && *conn->connecting_user_id == id;
        SendJson(
            res, 200,
            {{"user", user},
             {"usage", rows},
             {"is_connecting_user", is_connecting},
             {"window",
              {{"from", FormatDay(w->first)}, {"to", FormatDay(w->today)}, {"timezone", w->zone.name()}}}});
      });

  AddForAccount({"GET",
                 "/api/usage",
                 Route::Access::kSession,
                 "Who was active on which day and why (usage --json): one row per user per active day",
                 {{"from", "first date YYYY-MM-DD (default: start of the window)"},
                  {"to", "last date YYYY-MM-DD (default: today)"},
                  {"user", "one user's rows"}},
                 nullptr},
                [this](const httplib::Request& req, httplib::Response& res, const Session*,
                       const std::string& account) {
                  auto conn = RequireConnection(*store_, account);
                  if (!conn.ok()) return SendStatus(res, conn.status());
                  auto w = WindowOf(*conn);
                  if (!w.ok()) return SendStatus(res, w.status());
                  auto from = DayParam(req, "from", w->first);
                  if (!from.ok()) return SendStatus(res, from.status());
                  auto to = DayParam(req, "to", w->today);
                  if (!to.ok()) return SendStatus(res, to.status());
                  if (*from > *to) return SendError(res, 400, "from is after to", "invalid_argument");
                  if (*to - *from >= kMaxRangeDays)
                    return SendError(
                        res, 400, "the date range is longer than " + std::to_string(kMaxRangeDays) + " days",
                        "invalid_argument");
                  auto user = QueryInt(req, "user", 1, INT64_MAX);
                  if (!user.ok()) return SendStatus(res, user.status());
                  auto rows = store_->Usage(account, *from, *to, *user);
                  if (!rows.ok()) return SendStatus(res, rows.status());
                  json arr = json::array();
                  for (const auto& r : *rows) arr.push_back(store::UsageJson(r));
                  SendJson(res, 200, arr);
                });

  AddForAccount(
      {"GET",
       "/api/usage/coverage",
       Route::Access::kSession,
       "Per day (usage --coverage --json): the sources the ticket activity was read from, complete, "
       "and what Zendesk did not show (unseen)",
       {{"from", "first date YYYY-MM-DD (default: start of the window)"},
        {"to", "last date YYYY-MM-DD (default: today)"}},
       nullptr},
      [this](const httplib::Request& req, httplib::Response& res, const Session*,
             const std::string& account) {
        auto conn = RequireConnection(*store_, account);
        if (!conn.ok()) return SendStatus(res, conn.status());
        auto w = WindowOf(*conn);
        if (!w.ok()) return SendStatus(res, w.status());
        auto from = DayParam(req, "from", w->first);
        if (!from.ok()) return SendStatus(res, from.status());
        auto to = DayParam(req, "to", w->today);
        if (!to.ok()) return SendStatus(res, to.status());
        if (*from > *to) return SendError(res, 400, "from is after to", "invalid_argument");
        if (*to - *from >= kMaxRangeDays)
          return SendError(res, 400,
                           "the date range is longer than " + std::to_string(kMaxRangeDays) + " days",
                           "invalid_argument");
        auto all = sync::LoadCoverage(*store_, account);
        if (!all.ok()) return SendStatus(res, all.status());
        std::vector<sync::DayCoverage> days;
        for (const auto& d : *all)
          if (d.day >= *from && d.day <= *to) days.push_back(d);
        SendJson(res, 200, sync::CoverageJson(days));
      });

  AddForAccount({"GET",
                 "/api/usage/summary",
                 Route::Access::kSession,
                 "Per day: active users, by license type, paid seats and idle paid seats",
                 {{"from", "first date YYYY-MM-DD"}, {"to", "last date YYYY-MM-DD"}},
                 nullptr},
                [this](const httplib::Request& req, httplib::Response& res, const Session*,
                       const std::string& account) {
                  auto conn = RequireConnection(*store_, account);
                  if (!conn.ok()) return SendStatus(res, conn.status());
                  auto w = WindowOf(*conn);
                  if (!w.ok()) return SendStatus(res, w.status());
                  auto from = DayParam(req, "from", w->first);
                  if (!from.ok()) return SendStatus(res, from.status());
                  auto to = DayParam(req, "to", w->today);
                  if (!to.ok()) return SendStatus(res, to.status());
                  if (*from > *to) return SendError(res, 400, "from is after to", "invalid_argument");
                  if (*to - *from >= kMaxRangeDays)
                    return SendError(
                        res, 400, "the date range is longer than " + std::to_string(kMaxRangeDays) + " days",
                        "invalid_argument");
                  auto days = store_->Summary(account, *from, *to);
                  if (!days.ok()) return SendStatus(res, days.status());
                  std::string body = "[";
                  body.reserve(days->size() * 200 + 2);
                  for (const auto& d : *days) {
                    if (body.size() > 1) body += ',';
                    store::AppendSummaryJson(&body, d);
                  }
                  body += ']';
                  res.status = 200;
                  res.set_content(std::move(body), "application/json");
                });

  AddForAccount({"GET",
                 "/api/seats",
                 Route::Access::kSession,
                 "Idle paid seats, their last evidence and what reclaiming them saves (seats --json)",
                 {{"inactive_days", "idle means no activity for this many days (default 30)"},
                  {"seat_price", "monthly price of one seat"}},
                 nullptr},
                [this](const httplib::Request& req, httplib::Response& res, const Session*,
                       const std::string& account) {
                  auto conn = RequireConnection(*store_, account);
                  if (!conn.ok()) return SendStatus(res, conn.status());
                  auto w = WindowOf(*conn);
                  if (!w.ok()) return SendStatus(res, w.status());
                  auto inactive = QueryInt(req, "inactive_days", 1, 3650);
                  if (!inactive.ok()) return SendStatus(res, inactive.status());
                  const int days = static_cast<int>(inactive->value_or(30));
                  std::optional<double> price;
                  if (auto p = QueryString(req, "seat_price")) {
                    char* end = nullptr;
                    double v = std::strtod(p->c_str(), &end);
                    if (!end || *end != '\0' || !(v >= 0) || v > 1e9)
                      return SendError(res, 400, "seat_price must be a non-negative number",
                                       "invalid_argument");
                    price = v;
                  }
                  store::UserFilter f;
                  f.seat = true;
                  f.include_deleted = false;
                  f.inactive_days = days;
                  auto idle_or_integration = store_->ListUsers(account, f, w->first, w->today);
                  if (!idle_or_integration.ok()) return SendStatus(res, idle_or_integration.status());
                  store::UserFilter all;
                  all.seat = true;
                  all.include_deleted = false;
                  auto paid = store_->ListUsers(account, all, w->first, w->today);
                  if (!paid.ok()) return SendStatus(res, paid.status());
                  // Probable integration accounts (API use only) are listed apart (as `seats --json`).
                  std::vector<store::UserWithUsage> idle;
                  json apart = json::array();
                  for (auto& u : *idle_or_integration)
                    if (!store::ProbableIntegration(u)) idle.push_back(std::move(u));
                  for (const auto& u : *paid)
                    if (store::ProbableIntegration(u)) apart.push_back(store::UserJson(u));
                  json arr = json::array();
                  for (const auto& u : idle) {
                    json j = store::UserJson(u);
                    j["last_activity"] = nullptr;
                    if (u.last_active_day) {
                      auto rows = store_->Usage(account, *u.last_active_day, *u.last_active_day, u.user.id);
                      if (!rows.ok()) return SendStatus(res, rows.status());
                      if (!rows->empty()) j["last_activity"] = store::UsageJson(rows->front());
                    }
                    arr.push_back(j);
                  }
                  json out = {{"inactive_days", days},
                              {"paid_seats", paid->size()},
                              {"idle_paid_seats", idle.size()},
                              {"users", arr},
                              {"probable_integration_seats", apart.size()},
                              {"probable_integrations", apart}};
                  if (price) out["monthly_savings"] = *price * static_cast<double>(idle.size());
                  SendJson(res, 200, out);
                });

  AddForAccount(
      {"GET",
       "/api/audit",
       Route::Access::kSession,
       "Actions taken: when, who, before, after, result (audit --json)",
       {},
       nullptr},
      [this](const httplib::Request&, httplib::Response& res, const Session*, const std::string& account) {
        auto entries = store_->ListAudit(account);
        if (!entries.ok()) return SendStatus(res, entries.status());
        json arr = json::array();
        for (const auto& e : *entries) arr.push_back(store::AuditJson(e));
        SendJson(res, 200, arr);
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
