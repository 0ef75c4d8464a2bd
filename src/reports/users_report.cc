#include "reports/users_report.h"

#include <sstream>

#include "reports/registry.h"
#include "reports/table.h"
#include "store/views.h"
#include "util/text.h"

namespace sk::reports {
namespace {

const std::vector<std::string> kRoles = {"end-user", "agent", "admin"};
const std::vector<std::string> kLicenses = {"admin",         "agent",      "light-agent", "contributor",
                                            "billing-admin", "chat-agent", "end-user"};

}  // namespace

std::vector<Field> UsersFields() {
  std::vector<Field> f = {
      {"role", "enum", false, "end-user, agent or admin", "agent", kRoles},
      {"license", "enum", false,
       "admin, agent, light-agent, contributor, billing-admin, chat-agent or end-user", "light-agent",
       kLicenses},
      {"inactive_days", "integer", false, "only users with no activity in the last N days (1..3650)", "30"},
      {"seat", "boolean", false, "true: only users on a paid seat; false: only users without one", "true"},
      {"search", "string", false, "substring of name or email (at most 200 characters)", "smith"},
      {"include_deleted", "boolean", false, "true (default) | false", "false"},
      {"limit", "integer", false, "page size, 1..1000 (default 100)", "100"},
      {"after", "integer", false, "id: return users with a larger id (next_after of the previous page)", "0"},
      {"format", "enum", false, "json (default) | csv: every matching user as CSV", "csv", {"json", "csv"}},
  };
  for (auto& x : f)
    if (x.name != "role" && x.name != "license" && x.name != "inactive_days") x.cli = false;
  return f;
}

Result<UsersQuery> ReadUsers(const Reader& in) {
  UsersQuery q;
  store::UserFilter& f = q.filter;
  SK_ASSIGN_OR_RETURN(f.role, in.Choice("role", kRoles));
  SK_ASSIGN_OR_RETURN(f.license, in.Choice("license", kLicenses));
  SK_ASSIGN_OR_RETURN(f.seat, in.Boolean("seat"));
  SK_ASSIGN_OR_RETURN(auto inactive, in.Integer("inactive_days", 1, 3650));
  if (inactive) f.inactive_days = static_cast<int>(*inactive);
  if (auto deleted = in.String("include_deleted")) f.include_deleted = *deleted != "false";
  if (auto search = in.String("search")) {
    if (search->size() > 200) return InvalidArgument(in.Name("search") + " is at most 200 characters");
    f.search = *search;
  }
  q.csv = in.String("format").value_or("json") == "csv";
  SK_ASSIGN_OR_RETURN(auto limit, in.Integer("limit", 1, 1000));
  SK_ASSIGN_OR_RETURN(auto after, in.Integer("after", 0, INT64_MAX));
  if (after && *after) f.after_id = *after;
  if (!q.csv) q.page = static_cast<int>(limit.value_or(in.surface() == Surface::kApi ? 100 : 0));
  return q;
}

Result<UsersResult> RunUsers(store::Store& st, const std::string& account, const store::Connection& conn,
                             const UsersQuery& q) {
  UsersResult r;
  SK_ASSIGN_OR_RETURN(r.window, WindowOf(conn));
  store::UserFilter f = q.filter;
  if (q.page > 0) f.limit = q.page + 1;  // one more tells whether there is a next page
  SK_ASSIGN_OR_RETURN(r.users, st.ListUsers(account, f, r.window.first, r.window.today));
  if (q.page > 0 && r.users.size() > static_cast<size_t>(q.page)) {
    r.users.resize(static_cast<size_t>(q.page));
    r.next_after = r.users.back().user.id;
  }
  return r;
}

nlohmann::json UsersJson(const UsersResult& r) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& u : r.users) arr.push_back(store::UserJson(u));
  return arr;
}

std::string UsersPageJson(const UsersResult& r) {
  // The hot path: the bytes nlohmann's dump would produce for
  // {"next_after", "users", "window"}, without building the tree.
  std::string body =
      "{\"next_after\":" + (r.next_after ? std::to_string(*r.next_after) : "null") + ",\"users\":[";
  body.reserve(r.users.size() * 320 + 200);
  for (size_t i = 0; i < r.users.size(); ++i) {
    if (i) body += ',';
    store::AppendUserJson(&body, r.users[i]);
  }
  body += "],\"window\":";
  body += r.window.Json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  body += '}';
  return body;
}

std::string UsersCsv(const UsersResult& r) {
  // A spreadsheet opens this export: formula-like cells from Zendesk data
  // are neutralised (CsvCell).
  std::ostringstream out;
  out << "id,name,email,role,license,seat,custom_role,suspended,deleted,last_login_at,active_days,"
         "last_active_date,probable_integration\r\n";
  for (const auto& u : r.users) {
    const auto& x = u.user;
    out << x.id << ',' << CsvCell(x.name) << ',' << CsvCell(x.email.value_or("")) << ',' << x.role << ','
        << x.license << ',' << (x.seat ? "true" : "false") << ',' << CsvCell(x.custom_role.value_or(""))
        << ',' << (x.suspended ? "true" : "false") << ',' << (x.deleted ? "true" : "false") << ','
        << (x.last_login_at ? FormatIso(*x.last_login_at) : "") << ',' << u.active_days << ','
        << (u.last_active_day ? FormatDay(*u.last_active_day) : "") << ','
        << (store::ProbableIntegration(u) ? "true" : "false") << "\r\n";
  }
  return out.str();
}

void PrintUsers(const UsersResult& r, std::ostream& out, bool csv) {
  // last_login_at moves on a sign-in and on every API-token request: say so.
  // (The CSV keeps its column names; NOTE is added last.)
  Table t({"ID", "NAME", "EMAIL", "ROLE", "LICENSE", "SEAT", "CUSTOM ROLE", "SUSPENDED", "DELETED",
           csv ? "LAST LOGIN" : "LAST LOGIN (SIGN-IN OR API USE)", "ACTIVE DAYS", "LAST ACTIVE", "NOTE"});
  int integrations = 0;
  for (const auto& u : r.users) {
    const auto& x = u.user;
    const bool integration = store::ProbableIntegration(u);
    integrations += integration;
    t.Add({std::to_string(x.id), x.name, x.email.value_or(""), x.role, x.license, x.seat ? "yes" : "no",
           x.custom_role.value_or(""), x.suspended ? "yes" : "", x.deleted ? x.deleted_kind : "",
           x.last_login_at ? FormatIso(*x.last_login_at) : "never", std::to_string(u.active_days),
           u.last_active_day ? FormatDay(*u.last_active_day) : "-",
           integration ? "probable integration (API use only)" : ""});
  }
  if (csv) return t.PrintCsv(out);
  t.Print(out);
  out << t.size() << " users; activity over the last " << r.window.days << " days ("
      << FormatDay(r.window.first) << " to " << FormatDay(r.window.today) << ", " << r.window.zone.name()
      << ")\n";
  if (integrations)
    out << integrations
        << " probable integration account(s): staff whose only activity is API use (last_login_at moved "
           "without a sign-in in the audit log)\n";
}

Result<nlohmann::json> RunUserDetail(store::Store& st, const std::string& account,
                                     const store::Connection& conn, int64_t id) {
  using nlohmann::json;
  SK_ASSIGN_OR_RETURN(auto w, WindowOf(conn));
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
  json rows = json::array();
  for (const auto& row : usage) rows.push_back(store::UsageJson(row));
  const bool is_connecting = conn.connecting_user_id && *conn.connecting_user_id == id;
  return json{{"user", user}, {"usage", rows}, {"is_connecting_user", is_connecting}, {"window", w.Json()}};
}

namespace {

// The API sends a page of JSON (or every user as the export CSV); the CLI
// the whole list as JSON, a table or the table's CSV.
Output RenderUsers(const UsersResult& r, Format format, Surface surface) {
  if (surface == Surface::kApi && format == Format::kCsv) {
    Output o = TextOutput(UsersCsv(r), "text/csv; charset=utf-8");
    o.filename = "seatkeeper-users.csv";
    return o;
  }
  if (surface == Surface::kApi) return TextOutput(UsersPageJson(r), "application/json");
  if (format == Format::kJson) return JsonOutput(UsersJson(r));
  const bool csv = format == Format::kCsv;
  return Printed([csv](const UsersResult& u, std::ostream& out) { PrintUsers(u, out, csv); }, r);
}

// The {id} of GET /api/users/{id} (the route matches digits only).
Result<int64_t> ReadUserId(const Reader& in) {
  try {
    return int64_t{std::stoll(in.String("id").value_or(""))};
  } catch (...) {
    return InvalidArgument("the user id must be a number");
  }
}

}  // namespace

std::vector<Report> UsersReports() {
  Report users = DeclareReport(
      "users", {"users"}, "/api/users", "Users with role, license, seat, last login and activity",
      "Each user as a users --json element, a page at a time (limit, after: next_after of the previous "
      "page); format=csv returns every matching user as CSV");
  users.fields = UsersFields();
  users.cli_formats = {Format::kJson, Format::kCsv};
  users.parse = Steps(ReadUsers, OnConnection(RunUsers), RenderUsers);

  Report detail = DeclareReport(
      "users.detail", {}, "/api/users/{id}",
      "One user (users --json element plus profile fields) and their usage rows over the window");
  detail.fields = {{"id", "integer", true, "the user's Zendesk id", "360000000001", {}, false, true, true}};
  detail.parse =
      Steps(ReadUserId, OnConnection(RunUserDetail), JsonOnly([](const nlohmann::json& j) { return j; }));
  return {users, detail};
}

}  // namespace sk::reports
