#include "reports/recommendations_report.h"

#include <algorithm>
#include <map>
#include <set>

#include "reports/registry.h"
#include "reports/seats_report.h"
#include "reports/table.h"

namespace sk::reports {

using nlohmann::json;

namespace {

bool IsConnectingUser(const store::Connection& conn, const store::UserRecord& u) {
  if (conn.connecting_user_id && *conn.connecting_user_id == u.id) return true;
  return !conn.connecting_user_email.empty() && u.email && *u.email == conn.connecting_user_email;
}

// Per user: the rows of one activity kind in the window.
using KindRows = std::map<int64_t, std::vector<store::KindDay>>;

Result<KindRows> RowsOf(store::Store& st, const std::string& account, store::Kind kind, const Window& w) {
  SK_ASSIGN_OR_RETURN(auto rows, st.ActivityOfKind(account, kind, w.first, w.today));
  KindRows out;
  for (auto& r : rows) out[r.user_id].push_back(std::move(r));
  return out;
}

void AddExamples(const std::vector<std::string>& ids, std::vector<std::string>* out, size_t cap = 5) {
  for (const auto& id : ids) {
    if (out->size() >= cap) return;
    if (std::find(out->begin(), out->end(), id) == out->end()) out->push_back(id);
  }
}

// The sources and a few evidence ids of a user's activity in [from, to] (newest first).
Status Explain(store::Store& st, const std::string& account, int64_t user, DayNumber from, DayNumber to,
               Recommendation* rec) {
  SK_ASSIGN_OR_RETURN(auto rows, st.Usage(account, from, to, user));
  std::set<std::string> sources;
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    sources.insert(it->sources.begin(), it->sources.end());
    for (const auto& [kind, ids] : it->evidence)
      if (kind != store::kFullAgentWorkKind && kind != store::kApiUseKind) AddExamples(ids, &rec->examples);
  }
  rec->sources.assign(sources.begin(), sources.end());
  return Status::Ok();
}

std::string Days(int n) {
  return std::to_string(n) + (n == 1 ? " day" : " days");
}

// The custom roles the account's light agents hold, most held first: the
// choices for a downgrade to light agent.
// Only the light agents are read (the store filters): the whole user table
// of a large account is 50,000 records, a report's peak memory 300 MB.
Result<std::vector<LightAgentRole>> LightAgentRoles(store::Store& st, const std::string& account,
                                                    const Window& w) {
  store::UserFilter light;
  light.license = "light-agent";
  light.include_deleted = false;
  SK_ASSIGN_OR_RETURN(auto all, st.ListUsers(account, light, w.first, w.today));
  std::map<int64_t, LightAgentRole> roles;
  for (const auto& u : all) {
    const store::UserRecord& x = u.user;
    if (x.license != "light-agent" || !x.custom_role_id || x.deleted) continue;
    auto& role = roles[*x.custom_role_id];
    role.id = *x.custom_role_id;
    if (x.custom_role) role.name = *x.custom_role;
    ++role.users;
  }
  std::vector<LightAgentRole> out;
  for (auto& [id, role] : roles) out.push_back(std::move(role));
  std::stable_sort(out.begin(), out.end(),
                   [](const LightAgentRole& a, const LightAgentRole& b) { return a.users > b.users; });
  return out;
}

// Seats freed and the monthly saving of applying every row (an integration's seat is kept).
void AddUpSavings(const RecommendationsQuery& q, RecommendationsResult* r) {
  for (const auto& rec : r->rows) {
    if (rec.kind == "integration") continue;
    ++r->seats_freed;
    if (rec.monthly_saving) r->monthly_saving = r->monthly_saving.value_or(0) + *rec.monthly_saving;
  }
  if (q.seat_price && !r->monthly_saving) r->monthly_saving = 0.0;
}

}  // namespace

Result<RecommendationsResult> RunRecommendations(store::Store& st, const std::string& account,
                                                 const store::Connection& conn,
                                                 const RecommendationsQuery& asked) {
  RecommendationsResult r;
  r.query = asked;  // with the stored seat price when none is asked for
  SK_ASSIGN_OR_RETURN(r.query.seat_price, SeatPrice(st, account, asked.seat_price));
  const RecommendationsQuery& q = r.query;
  SK_ASSIGN_OR_RETURN(r.window, WindowOf(conn));
  const Window& w = r.window;
  store::UserFilter paid;
  paid.seat = true;
  paid.include_deleted = false;
  SK_ASSIGN_OR_RETURN(auto users, st.ListUsers(account, paid, w.first, w.today));
  r.paid_seats = static_cast<int>(users.size());
  SK_ASSIGN_OR_RETURN(auto full_work, RowsOf(st, account, store::Kind::kFullAgentWork, w));
  SK_ASSIGN_OR_RETURN(auto articles, RowsOf(st, account, store::Kind::kArticle, w));
  SK_ASSIGN_OR_RETURN(auto api_use, RowsOf(st, account, store::Kind::kApiUse, w));
  const auto owner = store::KnownOwnerId(conn);
  const DayNumber idle_since = w.today - q.min_idle_days + 1;
  const std::string window = "the last " + Days(w.days);
  for (auto& u : users) {
    const auto& x = u.user;
    if ((owner && *owner == x.id) || IsConnectingUser(conn, x)) continue;
    Recommendation rec;
    rec.monthly_saving = q.seat_price;
    const bool idle = !u.last_active_day || *u.last_active_day < idle_since;
    if (x.suspended && x.role != "end-user") {
      rec.kind = "suspended";
      rec.reason = "suspended, but a suspended " + x.role +
                   " still holds a paid seat: downgrading to end user frees it (the user stays suspended)";
      SK_RETURN_IF_ERROR(Explain(st, account, x.id, w.first, w.today, &rec));
    } else if (store::ProbableIntegration(u)) {
      rec.kind = "integration";
      rec.reason = "only API use in " + window + " (" + Days(u.api_use_days) +
                   "), no sign-in or work: an integration's account, not a person; reclaiming the seat would "
                   "break the integration";
      rec.sources = {store::kApiUseKind};
      if (auto it = api_use.find(x.id); it != api_use.end())
        for (auto d = it->second.rbegin(); d != it->second.rend(); ++d)
          AddExamples(d->evidence, &rec.examples);
      if (q.seat_price) rec.monthly_saving = 0.0;
    } else if (idle) {
      rec.kind = "end-user";
      rec.reason = "no activity in the last " + Days(q.min_idle_days) +
                   (u.last_active_day ? " (last active " + FormatDay(*u.last_active_day) + ")"
                                      : " (none in " + window + ")") +
                   ": downgrade to end user (or offboard) frees the seat";
      if (u.last_active_day)
        SK_RETURN_IF_ERROR(Explain(st, account, x.id, *u.last_active_day, *u.last_active_day, &rec));
    } else if (x.role == "agent" && x.license == "agent" && u.active_days > 0 && !full_work.count(x.id) &&
               !articles.count(x.id)) {
      rec.kind = "light-agent";
      SK_RETURN_IF_ERROR(Explain(st, account, x.id, w.first, w.today, &rec));
      std::string did;
      for (const auto& s : rec.sources)
        did += (did.empty() ? "" : " and ") + std::string(s == "ticket"  ? "private notes"
                                                          : s == "login" ? "sign-ins"
                                                                         : s);
      rec.reason =
          "active on " + Days(u.active_days) + " in " + window + " (" + did +
          ") but no public comment, field change, ticket created, deleted or assigned, and no article: "
          "a light agent keeps reading and private notes on a free seat";
    } else {
      continue;
    }
    rec.user = std::move(u);
    r.rows.push_back(std::move(rec));
  }
  SK_ASSIGN_OR_RETURN(r.light_agent_roles, LightAgentRoles(st, account, w));
  AddUpSavings(q, &r);
  return r;
}

namespace {

// What acting on a recommendation is: an action of /api/operations with its preset fields.
json ActionJson(const RecommendationsResult& r, const Recommendation& rec) {
  if (rec.kind == "light-agent") {
    json choices = json::array();
    for (const auto& role : r.light_agent_roles)
      choices.push_back({{"custom_role_id", role.id}, {"name", role.name}});
    json preset = {{"role", "agent"}};
    if (!r.light_agent_roles.empty()) preset["custom_role_id"] = r.light_agent_roles.front().id;
    return {{"operation", "user.set-role"},
            {"title", "Downgrade to light agent"},
            {"preset", preset},
            {"choices", choices},
            {"alternative", nullptr}};
  }
  if (rec.kind == "end-user" || rec.kind == "suspended")
    return {{"operation", "user.set-role"},
            {"title", "Downgrade to end user"},
            {"preset", {{"role", "end-user"}}},
            {"choices", json::array()},
            {"alternative", "offboard"}};
  return nullptr;  // an integration: moving it is not one click
}

}  // namespace

json RecommendationsJson(const RecommendationsResult& r) {
  json out = json::array();
  for (const auto& rec : r.rows) {
    const auto& u = rec.user;
    out.push_back({{"user_id", u.user.id},
                   {"name", u.user.name},
                   {"email", u.user.email ? json(*u.user.email) : json()},
                   {"role", u.user.role},
                   {"license", u.user.license},
                   {"custom_role", u.user.custom_role ? json(*u.user.custom_role) : json()},
                   {"kind", rec.kind},
                   {"reason", rec.reason},
                   {"evidence",
                    {{"active_days", u.active_days},
                     {"last_active_date", u.last_active_day ? json(FormatDay(*u.last_active_day)) : json()},
                     {"sources", rec.sources},
                     {"examples", rec.examples},
                     {"api_use_days", u.api_use_days}}},
                   {"monthly_saving", rec.monthly_saving ? json(*rec.monthly_saving) : json()},
                   {"action", ActionJson(r, rec)}});
  }
  return out;
}

namespace {

std::string Money(std::optional<double> v) {
  return v ? FormatMoney(*v) : "";
}

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
  return out;
}

}  // namespace

void PrintRecommendations(const RecommendationsResult& r, std::ostream& out, bool csv) {
  if (csv) {
    Table t({"user_id", "name", "license", "kind", "reason", "active_days", "last_active_date", "sources",
             "examples", "monthly_saving"});
    for (const auto& rec : r.rows) {
      const auto& u = rec.user;
      t.Add({std::to_string(u.user.id), u.user.name, u.user.license, rec.kind, rec.reason,
             std::to_string(u.active_days), u.last_active_day ? FormatDay(*u.last_active_day) : "",
             Joined(rec.sources), Joined(rec.examples), Money(rec.monthly_saving)});
    }
    t.PrintCsv(out);
    return;
  }
  Table t({"ID", "NAME", "LICENSE", "KIND", "ACTIVE DAYS", "LAST ACTIVE", "SAVING", "REASON"});
  for (const auto& rec : r.rows) {
    const auto& u = rec.user;
    t.Add({std::to_string(u.user.id), u.user.name, u.user.license, rec.kind, std::to_string(u.active_days),
           u.last_active_day ? FormatDay(*u.last_active_day) : "none", Money(rec.monthly_saving),
           rec.reason});
  }
  t.Print(out);
  out << r.rows.size() << " recommendations for " << r.paid_seats << " paid seats; applying them frees "
      << r.seats_freed << " seats";
  if (r.monthly_saving) out << " and saves " << Money(r.monthly_saving) << " per month";
  out << "\n";
}

std::vector<Report> RecommendationsReports() {
  Report rec = DeclareReport(
      "recommendations", {"recommendations"}, "/api/recommendations",
      "Paid seats worth changing: light agent, end user, integration, suspended",
      "One row per paid seat worth changing, with its kind, reason, evidence and monthly saving "
      "(recommendations --json)");
  rec.fields = {{"min_idle_days", "integer", false,
                 "end-user: no activity for this many days (1..3650, default 30)", "30"},
                {"seat_price", "number", false, "monthly price of one seat (0..1000000000)", "55"},
                {"format", "enum", false, "json (default) | csv", "csv", {"json", "csv"}, /*cli=*/false}};
  rec.cli_formats = {Format::kJson, Format::kCsv};
  rec.parse = Steps(
      [](const Reader& in) -> Result<RecommendationsQuery> {
        RecommendationsQuery q;
        SK_ASSIGN_OR_RETURN(auto days, in.Integer("min_idle_days", 1, 3650));
        q.min_idle_days = static_cast<int>(days.value_or(30));
        SK_ASSIGN_OR_RETURN(q.seat_price, in.Number("seat_price", 0, 1e9));
        SK_RETURN_IF_ERROR(in.Choice("format", {"json", "csv"}).status());
        return q;
      },
      OnConnection(RunRecommendations),
      [](const RecommendationsResult& r, Format format, Surface) -> Output {
        if (format == Format::kJson) return JsonOutput(RecommendationsJson(r));
        const bool csv = format == Format::kCsv;
        Output o = Printed(
            [csv](const RecommendationsResult& x, std::ostream& out) { PrintRecommendations(x, out, csv); },
            r);
        if (csv) {
          o.content_type = "text/csv; charset=utf-8";
          o.filename = "seatkeeper-recommendations.csv";
        }
        return o;
      });
  return {rec};
}

}  // namespace sk::reports
