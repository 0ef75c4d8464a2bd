#include "reports/seats_report.h"

#include <cstdio>
#include <map>
#include <set>

#include "reports/recommendations_report.h"
#include "reports/registry.h"
#include "reports/table.h"
#include "store/views.h"
#include "util/text.h"

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

namespace {

// A number the operator stored under `key` (config seats), when set and readable.
template <typename T>
Result<std::optional<T>> StoredNumber(store::Store& st, const std::string& account, const char* key) {
  SK_ASSIGN_OR_RETURN(auto v, st.GetValue(account, key));
  if (!v || v->empty()) return std::optional<T>();
  try {
    if constexpr (std::is_floating_point_v<T>) return std::optional<T>(std::stod(*v));
    return std::optional<T>(std::stoll(*v));
  } catch (const std::exception&) {
    return std::optional<T>();
  }
}

}  // namespace

Result<std::optional<int64_t>> PurchasedSeats(store::Store& st, const std::string& account) {
  return StoredNumber<int64_t>(st, account, kPurchasedSeatsKey);
}

Result<std::optional<double>> SeatPrice(store::Store& st, const std::string& account,
                                        std::optional<double> asked) {
  if (asked) return asked;
  return StoredNumber<double>(st, account, kSeatPriceKey);
}

std::string FormatMoney(double amount) {
  char buf[64];  // two decimals of any amount below 1e40; larger ones are cut, never overrun
  std::snprintf(buf, sizeof buf, "%.2f", amount);
  return buf;
}

namespace {

// A provisional seat as the store's user shape (what `users` would show).
store::UserWithUsage AsUser(const sync::SeatVerdict& s) {
  store::UserWithUsage u;
  u.user.id = s.user_id;
  u.user.name = s.name;
  if (!s.email.empty()) u.user.email = s.email;
  u.user.role = s.role;
  u.user.license = s.license;
  u.user.custom_role = s.custom_role;
  u.user.seat = true;
  u.user.suspended = s.suspended;
  u.user.last_login_at = s.last_login_at;
  u.last_active_day = s.verdict == sync::kVerdictActive ? s.evidence_day : std::nullopt;
  u.active_days = u.last_active_day ? 1 : 0;  // known: the evidence's day
  u.api_use_days = s.verdict == sync::kVerdictIntegration ? 1 : 0;
  return u;
}

SeatLine LineOf(const store::UserWithUsage& u, const std::string& verdict) {
  SeatLine l;
  l.user_id = u.user.id;
  l.name = u.user.name;
  l.email = u.user.email.value_or("");
  l.license = u.user.license;
  l.verdict = verdict;
  l.last_active_day = u.last_active_day;
  return l;
}

// Before the first sync has ended: the provisional verdict, at --inactive-days
// (a seat active by evidence older than that is an idle candidate for it).
SeatsResult ProvisionalSeats(SeatsResult r) {
  r.verdict = "provisional";
  const DayNumber first = r.window.today - r.query.inactive_days + 1;
  for (const auto& s : r.provisional->seats) {
    store::UserWithUsage u = AsUser(s);
    const bool active = s.verdict == sync::kVerdictActive && s.evidence_day && *s.evidence_day >= first;
    const std::string verdict = s.verdict == sync::kVerdictIntegration ? sync::kVerdictIntegration
                                : active                               ? sync::kVerdictActive
                                                                       : sync::kVerdictIdleCandidate;
    SeatLine line = LineOf(u, verdict);
    line.provisional = true;
    line.evidence = s.evidence;
    line.evidence_ids = s.evidence_ids;
    line.last_active_day = s.evidence_day;
    r.seats.push_back(std::move(line));
    if (verdict == sync::kVerdictIntegration)
      r.integrations.push_back(std::move(u));
    else if (!active)
      r.idle.push_back(IdleSeat{std::move(u), nullptr, s});
  }
  r.paid_seats = r.provisional->seats.size();
  return r;
}

}  // namespace

Result<SeatsResult> RunSeats(store::Store& st, const std::string& account, const store::Connection& conn,
                             const SeatsQuery& asked) {
  SeatsQuery q = asked;
  SK_ASSIGN_OR_RETURN(q.seat_price, SeatPrice(st, account, asked.seat_price));
  SeatsResult r;
  r.query = q;
  SK_ASSIGN_OR_RETURN(r.window, WindowOf(conn));
  SK_ASSIGN_OR_RETURN(r.purchased_seats, PurchasedSeats(st, account));
  SK_ASSIGN_OR_RETURN(r.provisional, sync::LoadProvisionalVerdict(st, account));
  SK_ASSIGN_OR_RETURN(r.confirmation, sync::LoadVerdictConfirmation(st, account));
  if (r.provisional && !r.confirmation && !conn.last_sync_at) return ProvisionalSeats(std::move(r));
  r.provisional.reset();
  r.confirmation_is_latest =
      r.confirmation && conn.last_sync_at && r.confirmation->confirmed_at == *conn.last_sync_at;
  store::UserFilter paid;
  paid.seat = true;
  paid.include_deleted = false;
  store::UserFilter inactive = paid;
  inactive.inactive_days = q.inactive_days;
  SK_ASSIGN_OR_RETURN(auto idle_or_integration,
                      st.ListUsers(account, inactive, r.window.first, r.window.today));
  SK_ASSIGN_OR_RETURN(auto all, st.ListUsers(account, paid, r.window.first, r.window.today));
  r.paid_seats = all.size();
  std::set<int64_t> idle_ids;
  for (auto& u : idle_or_integration) {
    if (store::ProbableIntegration(u)) continue;
    idle_ids.insert(u.user.id);
    IdleSeat seat{std::move(u), nullptr, std::nullopt};
    if (const auto day = seat.user.last_active_day) {
      SK_ASSIGN_OR_RETURN(auto rows, st.Usage(account, *day, *day, seat.user.user.id));
      if (!rows.empty()) seat.last_activity = store::UsageJson(rows.front());
    }
    r.idle.push_back(std::move(seat));
  }
  for (const auto& u : all) {
    const bool integration = store::ProbableIntegration(u);
    if (integration) r.integrations.push_back(u);
    r.seats.push_back(LineOf(u, integration                 ? sync::kVerdictIntegration
                                : idle_ids.count(u.user.id) ? sync::kVerdictIdle
                                                            : sync::kVerdictActive));
  }
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

nlohmann::json SeatLineJson(const SeatLine& l) {
  return {{"user_id", l.user_id},
          {"name", l.name},
          {"email", l.email},
          {"license", l.license},
          {"verdict", l.verdict},
          {"provisional", l.provisional},
          {"evidence", l.evidence},
          {"evidence_ids", l.evidence_ids},
          {"last_active_date", l.last_active_day ? nlohmann::json(FormatDay(*l.last_active_day)) : nullptr}};
}

// A listed user with its seat's verdict, provisional or not, and evidence.
nlohmann::json ListedUser(const store::UserWithUsage& u, const std::map<int64_t, const SeatLine*>& lines) {
  auto j = store::UserJson(u);
  auto it = lines.find(u.user.id);
  if (it == lines.end()) return j;
  j["verdict"] = it->second->verdict;
  j["provisional"] = it->second->provisional;
  j["evidence"] = it->second->evidence;
  return j;
}

}  // namespace

nlohmann::json SeatsJson(const SeatsResult& r) {
  std::map<int64_t, const SeatLine*> lines;
  nlohmann::json verdicts = nlohmann::json::array();
  for (const auto& l : r.seats) {
    lines[l.user_id] = &l;
    verdicts.push_back(SeatLineJson(l));
  }
  nlohmann::json users = nlohmann::json::array();
  for (const auto& s : r.idle) {
    auto j = ListedUser(s.user, lines);
    j["last_activity"] = s.last_activity;
    users.push_back(j);
  }
  nlohmann::json apart = nlohmann::json::array();
  for (const auto& u : r.integrations) apart.push_back(ListedUser(u, lines));
  nlohmann::json out = {{"inactive_days", r.query.inactive_days},
                        {"paid_seats", r.paid_seats},
                        {"idle_paid_seats", r.idle.size()},
                        {"users", users},
                        {"probable_integration_seats", r.integrations.size()},
                        {"probable_integrations", apart},
                        {"verdict", r.verdict},
                        {"seat_verdicts", verdicts}};
  if (r.query.seat_price) out["monthly_savings"] = *r.query.seat_price * static_cast<double>(r.idle.size());
  out["totals"] = TotalsJson(r);
  if (r.provisional) {
    auto p = sync::ToJson(*r.provisional);
    p.erase("seats");
    out["provisional"] = p;
  }
  if (r.confirmation) out["verdict_confirmation"] = sync::ToJson(*r.confirmation);
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
  out << "\nProbable integration accounts on paid seats (only API use in the last "
      << (r.provisional ? r.provisional->days : r.window.days) << " days; not counted as idle or active):\n";
  Table p({"ID", "NAME", "EMAIL", "LICENSE", "LAST API USE", "API USE DAYS"});
  for (const auto& u : r.integrations)
    p.Add({std::to_string(u.user.id), u.user.name, u.user.email.value_or(""), u.user.license,
           u.user.last_login_at ? FormatIso(*u.user.last_login_at) : "never",
           r.provisional ? "-" : std::to_string(u.api_use_days)});
  p.Print(out);
}

}  // namespace

namespace {

void PrintProvisionalHeader(const SeatsResult& r, std::ostream& out) {
  const auto& p = *r.provisional;
  out << "PROVISIONAL seat verdict of " << FormatIso(p.at) << " (the first sync's backfill confirms or "
      << "corrects it): sign-ins from "
      << (p.login_evidence == "audit_log" ? "the audit log" : "last_login_at")
      << ", articles, and the recent tickets of " << p.checked << " seats without either";
  if (p.unchecked) out << " (" << p.unchecked << " not checked)";
  out << "; evidence looked for over the last " << p.days << " days.\n";
}

void PrintConfirmation(const sync::VerdictConfirmation& c, std::ostream& out) {
  out << "\nThe first sync confirmed the provisional seat verdict of " << FormatIso(c.provisional_at) << ": "
      << c.unchanged << " of " << c.compared << " unchanged" << sync::ChangesText(c, ", ");
}

}  // namespace

void PrintSeats(const SeatsResult& r, std::ostream& out) {
  if (r.provisional) PrintProvisionalHeader(r, out);
  Table t({"ID", "NAME", "EMAIL", "LICENSE", "LAST LOGIN", "LAST ACTIVE", "LAST EVIDENCE"});
  for (const auto& s : r.idle) {
    const auto& u = s.user;
    t.Add({std::to_string(u.user.id), u.user.name, u.user.email.value_or(""), u.user.license,
           u.user.last_login_at ? FormatIso(*u.user.last_login_at) : "never",
           u.last_active_day ? FormatDay(*u.last_active_day) : "none in window",
           s.provisional ? s.provisional->evidence : EvidenceIds(s.last_activity)});
  }
  t.Print(out);
  out << r.idle.size() << " of " << r.paid_seats << " paid seats "
      << (r.provisional ? "idle candidates" : "idle") << " for " << r.query.inactive_days << "+ days";
  if (r.query.seat_price)
    out << "; reclaiming them saves " << FormatMoney(*r.query.seat_price * static_cast<double>(r.idle.size()))
        << " per month";
  out << (r.provisional ? " (provisional)" : "") << "\n";
  const auto assigned = static_cast<int64_t>(r.paid_seats);
  out << "Paid seats: "
      << (r.purchased_seats ? std::to_string(*r.purchased_seats)
                            : std::string("? (set with --purchased-seats)"))
      << " purchased, " << assigned << " assigned, " << assigned - static_cast<int64_t>(r.idle.size())
      << " used; " << r.recommendations << " recommendations free " << r.recommended_seats_freed << " seats";
  if (r.recommendations_saving) out << " and save " << FormatMoney(*r.recommendations_saving) << " per month";
  out << " (seatkeeper recommendations)\n";
  if (!r.integrations.empty()) PrintIntegrations(r, out);
  if (r.confirmation && r.confirmation_is_latest) PrintConfirmation(*r.confirmation, out);
}

std::vector<Report> SeatsReports() {
  Report seats = DeclareReport(
      "seats", {"seats"}, "/api/seats", "Idle paid seats, their evidence and what reclaiming them saves",
      "Idle paid seats, their last evidence and what reclaiming them saves (seats --json)");
  seats.fields = SeatsFields();
  seats.parse = Steps(ReadSeats, OnConnection(RunSeats), JsonOrText(SeatsJson, PrintSeats));
  return {seats};
}

}  // namespace sk::reports
