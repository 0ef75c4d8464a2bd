#include "reports/seats_report.h"

#include <iomanip>

#include "reports/recommendations_report.h"
#include "reports/registry.h"
#include "reports/table.h"
#include "store/views.h"

namespace sk::reports {

std::vector<Field> SeatsFields() {
  return {{"inactive_days", "integer", false,
           "idle means no activity for this many days (1..3650, default 30)", "30"},
          {"seat_price", "number", false, "monthly price of one seat (0..1000000000)", "55"}};
}

Result<SeatsQuery> ReadSeats(const Reader& in) {
  SeatsQuery q;
  SK_ASSIGN_OR_RETURN(auto days, in.Integer("inactive_days", 1, 3650));
  q.inactive_days = static_cast<int>(days.value_or(30));
  SK_ASSIGN_OR_RETURN(q.seat_price, in.Number("seat_price", 0, 1e9));
  return q;
}

Result<std::optional<int64_t>> PurchasedSeats(store::Store& st, const std::string& account) {
  SK_ASSIGN_OR_RETURN(auto v, st.GetValue(account, kPurchasedSeatsKey));
  if (!v || v->empty()) return std::optional<int64_t>();
  try {
    return std::optional<int64_t>(std::stoll(*v));
  } catch (const std::exception&) {
    return std::optional<int64_t>();
  }
}

Result<SeatsResult> RunSeats(store::Store& st, const std::string& account, const store::Connection& conn,
                             const SeatsQuery& q) {
  SeatsResult r;
  r.query = q;
  SK_ASSIGN_OR_RETURN(r.window, WindowOf(conn));
  store::UserFilter paid;
  paid.seat = true;
  paid.include_deleted = false;
  store::UserFilter inactive = paid;
  inactive.inactive_days = q.inactive_days;
  SK_ASSIGN_OR_RETURN(auto idle_or_integration,
                      st.ListUsers(account, inactive, r.window.first, r.window.today));
  SK_ASSIGN_OR_RETURN(auto all, st.ListUsers(account, paid, r.window.first, r.window.today));
  r.paid_seats = all.size();
  for (const auto& u : all)
    if (store::ProbableIntegration(u)) r.integrations.push_back(u);
  for (auto& u : idle_or_integration) {
    if (store::ProbableIntegration(u)) continue;
    IdleSeat seat{std::move(u), nullptr};
    if (const auto day = seat.user.last_active_day) {
      SK_ASSIGN_OR_RETURN(auto rows, st.Usage(account, *day, *day, seat.user.user.id));
      if (!rows.empty()) seat.last_activity = store::UsageJson(rows.front());
    }
    r.idle.push_back(std::move(seat));
  }
  SK_ASSIGN_OR_RETURN(r.purchased_seats, PurchasedSeats(st, account));
  RecommendationsQuery rq;
  rq.min_idle_days = q.inactive_days;
  rq.seat_price = q.seat_price;
  SK_ASSIGN_OR_RETURN(auto recs, RunRecommendations(st, account, conn, rq));
  r.recommendations = static_cast<int>(recs.rows.size());
  r.recommended_seats_freed = recs.seats_freed;
  r.recommendations_saving = recs.monthly_saving;
  return r;
}

namespace {

nlohmann::json TotalsJson(const SeatsResult& r) {
  const auto assigned = static_cast<int64_t>(r.paid_seats);
  return {
      {"purchased", r.purchased_seats ? nlohmann::json(*r.purchased_seats) : nlohmann::json()},
      {"assigned", assigned},
      {"used", assigned - static_cast<int64_t>(r.idle.size())},
      {"unassigned", r.purchased_seats ? nlohmann::json(*r.purchased_seats - assigned) : nlohmann::json()},
      {"recommendations", r.recommendations},
      {"recommended_seats_freed", r.recommended_seats_freed},
      {"recommendations_saving",
       r.recommendations_saving ? nlohmann::json(*r.recommendations_saving) : nlohmann::json()}};
}

}  // namespace

nlohmann::json SeatsJson(const SeatsResult& r) {
  nlohmann::json users = nlohmann::json::array();
  for (const auto& s : r.idle) {
    auto j = store::UserJson(s.user);
    j["last_activity"] = s.last_activity;
    users.push_back(j);
  }
  nlohmann::json apart = nlohmann::json::array();
  for (const auto& u : r.integrations) apart.push_back(store::UserJson(u));
  nlohmann::json out = {{"inactive_days", r.query.inactive_days},
                        {"paid_seats", r.paid_seats},
                        {"idle_paid_seats", r.idle.size()},
                        {"users", users},
                        {"probable_integration_seats", r.integrations.size()},
                        {"probable_integrations", apart}};
  if (r.query.seat_price) out["monthly_savings"] = *r.query.seat_price * static_cast<double>(r.idle.size());
  out["totals"] = TotalsJson(r);
  return out;
}

namespace {

// The ids of the evidence behind a usage row ("ticket:1 audit:2 ...").
std::string EvidenceIds(const nlohmann::json& last_activity) {
  std::string ids;
  if (!last_activity.is_object() || !last_activity.contains("evidence")) return ids;
  for (auto& [kind, list] : last_activity["evidence"].items())
    for (auto& id : list) ids += (ids.empty() ? "" : " ") + id.get<std::string>();
  return ids;
}

void PrintIntegrations(const SeatsResult& r, std::ostream& out) {
  out << "\nProbable integration accounts on paid seats (only API use in the last " << r.window.days
      << " days; not counted as idle or active):\n";
  Table p({"ID", "NAME", "EMAIL", "LICENSE", "LAST API USE", "API USE DAYS"});
  for (const auto& u : r.integrations)
    p.Add({std::to_string(u.user.id), u.user.name, u.user.email.value_or(""), u.user.license,
           u.user.last_login_at ? FormatIso(*u.user.last_login_at) : "never",
           std::to_string(u.api_use_days)});
  p.Print(out);
}

}  // namespace

void PrintSeats(const SeatsResult& r, std::ostream& out) {
  Table t({"ID", "NAME", "EMAIL", "LICENSE", "LAST LOGIN", "LAST ACTIVE", "LAST EVIDENCE"});
  for (const auto& s : r.idle) {
    const auto& u = s.user;
    t.Add({std::to_string(u.user.id), u.user.name, u.user.email.value_or(""), u.user.license,
           u.user.last_login_at ? FormatIso(*u.user.last_login_at) : "never",
           u.last_active_day ? FormatDay(*u.last_active_day) : "none in window",
           EvidenceIds(s.last_activity)});
  }
  t.Print(out);
  out << r.idle.size() << " of " << r.paid_seats << " paid seats idle for " << r.query.inactive_days
      << "+ days";
  if (r.query.seat_price)
    out << "; reclaiming them saves " << std::fixed << std::setprecision(2)
        << *r.query.seat_price * static_cast<double>(r.idle.size()) << " per month";
  out << "\n";
  const auto assigned = static_cast<int64_t>(r.paid_seats);
  out << "Paid seats: "
      << (r.purchased_seats ? std::to_string(*r.purchased_seats)
                            : std::string("? (set with --purchased-seats)"))
      << " purchased, " << assigned << " assigned, " << assigned - static_cast<int64_t>(r.idle.size())
      << " used; " << r.recommendations << " recommendations free " << r.recommended_seats_freed << " seats";
  if (r.recommendations_saving)
    out << " and save " << std::fixed << std::setprecision(2) << *r.recommendations_saving << " per month";
  out << " (seatkeeper recommendations)\n";
  if (!r.integrations.empty()) PrintIntegrations(r, out);
}

std::vector<Report> SeatsReports() {
  Report seats = DeclareReport("seats", {"seats"}, "/api/seats",
                               "Idle paid seats, their evidence and what reclaiming them saves");
  seats.description = "Idle paid seats, their last evidence and what reclaiming them saves (seats --json)";
  seats.fields = SeatsFields();
  seats.parse = Steps(ReadSeats, OnConnection(RunSeats), JsonOrText(SeatsJson, PrintSeats));
  return {seats};
}

}  // namespace sk::reports
