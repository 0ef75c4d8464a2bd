// users, usage, seats: reports from the store (no Zendesk requests).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "cli/context.h"
#include "cli/table.h"
#include "store/views.h"
#include "sync/coverage.h"

namespace sk::cli {
namespace {

struct Window {
  Zone zone = Zone::Utc();
  DayNumber first = 0, today = 0;
};

Result<Window> WindowOf(const store::Connection& c) {
  Window w;
  SK_ASSIGN_OR_RETURN(w.zone, Zone::Named(c.timezone));
  w.today = w.zone.DayOf(NowUnix());
  w.first = w.today - c.window_days + 1;
  return w;
}

struct UsersArgs {
  bool csv = false;
  std::string role, license;
  std::optional<int> inactive_days;
};

Status Users(Context& ctx, const UsersArgs& a) {
  if (!a.role.empty() && a.role != "end-user" && a.role != "agent" && a.role != "admin")
    return InvalidArgument("--role must be end-user, agent or admin");
  SK_ASSIGN_OR_RETURN(auto conn, ctx.RequireConnection());
  SK_ASSIGN_OR_RETURN(auto w, WindowOf(conn));
  SK_ASSIGN_OR_RETURN(auto* st, ctx.Store());
  store::UserFilter f;
  if (!a.role.empty()) f.role = a.role;
  if (!a.license.empty()) f.license = a.license;
  f.inactive_days = a.inactive_days;
  SK_ASSIGN_OR_RETURN(auto users, st->ListUsers(ctx.account, f, w.first, w.today));
  if (ctx.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& u : users) arr.push_back(store::UserJson(u));
    *ctx.out << arr.dump(2) << "\n";
    return Status::Ok();
  }
  // last_login_at moves on a sign-in and on every API-token request: say so.
  // (The CSV keeps its column names; NOTE is added last.)
  Table t({"ID", "NAME", "EMAIL", "ROLE", "LICENSE", "SEAT", "CUSTOM ROLE", "SUSPENDED", "DELETED",
           a.csv ? "LAST LOGIN" : "LAST LOGIN (SIGN-IN OR API USE)", "ACTIVE DAYS", "LAST ACTIVE", "NOTE"});
  int integrations = 0;
  for (const auto& u : users) {
    const auto& r = u.user;
    const bool integration = store::ProbableIntegration(u);
    integrations += integration;
    t.Add({std::to_string(r.id), r.name, r.email.value_or(""), r.role, r.license, r.seat ? "yes" : "no",
           r.custom_role.value_or(""), r.suspended ? "yes" : "", r.deleted ? r.deleted_kind : "",
           r.last_login_at ? FormatIso(*r.last_login_at) : "never", std::to_string(u.active_days),
           u.last_active_day ? FormatDay(*u.last_active_day) : "-",
           integration ? "probable integration (API use only)" : ""});
  }
  if (a.csv) {
    t.PrintCsv(*ctx.out);
  } else {
    t.Print(*ctx.out);
    *ctx.out << t.size() << " users; activity over the last " << conn.window_days << " days ("
             << FormatDay(w.first) << " to " << FormatDay(w.today) << ", " << w.zone.name() << ")\n";
    if (integrations)
      *ctx.out
          << integrations
          << " probable integration account(s): staff whose only activity is API use (last_login_at moved "
             "without a sign-in in the audit log)\n";
  }
  return Status::Ok();
}

struct UsageArgs {
  bool csv = false;
  bool coverage = false;
  std::optional<int64_t> user;
  std::string from, to;
};

// usage --coverage: where each day's ticket activity came from, what was not seen.
Status Coverage(Context& ctx, store::Store& st, DayNumber from, DayNumber to) {
  SK_ASSIGN_OR_RETURN(auto all, sync::LoadCoverage(st, ctx.account));
  std::vector<sync::DayCoverage> days;
  for (auto& d : all)
    if (d.day >= from && d.day <= to) days.push_back(std::move(d));
  if (ctx.json) {
    *ctx.out << sync::CoverageJson(days).dump(2) << "\n";
    return Status::Ok();
  }
  if (days.empty()) {
    *ctx.out << "No coverage recorded yet: run `seatkeeper sync`.\n";
    return Status::Ok();
  }
  Table t({"DATE", "COMPLETE", "SOURCES", "NOT SEEN"});
  for (const auto& d : days) {
    std::string src, unseen;
    for (const auto& s : d.sources) src += (src.empty() ? "" : "+") + s;
    for (const auto& u : d.unseen) unseen += (unseen.empty() ? "" : "; ") + u;
    if (unseen.empty() && !d.pending.empty()) unseen = "(pending) " + d.pending;
    t.Add({FormatDay(d.day), d.complete() ? "yes" : "no", src, unseen});
  }
  t.Print(*ctx.out);
  return Status::Ok();
}

Status Usage(Context& ctx, const UsageArgs& a) {
  SK_ASSIGN_OR_RETURN(auto conn, ctx.RequireConnection());
  SK_ASSIGN_OR_RETURN(auto w, WindowOf(conn));
  DayNumber from = w.first, to = w.today;
  if (!a.from.empty()) {
    auto d = ParseDay(a.from);
    if (!d) return InvalidArgument("--from must be a date YYYY-MM-DD");
    from = *d;
  }
  if (!a.to.empty()) {
    auto d = ParseDay(a.to);
    if (!d) return InvalidArgument("--to must be a date YYYY-MM-DD");
    to = *d;
  }
  if (from > to) return InvalidArgument("--from is after --to");
  // The same bound as the API's (a wider range only builds an unusable answer).
  if (to - from >= 3660) return InvalidArgument("--from..--to is longer than 3660 days");
  SK_ASSIGN_OR_RETURN(auto* st, ctx.Store());
  if (a.coverage) return Coverage(ctx, *st, from, to);
  SK_ASSIGN_OR_RETURN(auto rows, st->Usage(ctx.account, from, to, a.user));
  if (ctx.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& r : rows) arr.push_back(store::UsageJson(r));
    *ctx.out << arr.dump(2) << "\n";
    return Status::Ok();
  }
  if (a.csv || a.user) {
    Table t({"DATE", "USER", "SOURCES", "TICKET EVENTS", "ARTICLES", "LOGIN EVIDENCE"});
    for (const auto& r : rows) {
      std::string src;
      for (const char* s : {"login", "ticket", "article"})
        if (r.sources.count(s)) src += (src.empty() ? "" : "+") + std::string(s);
      std::string ev;
      for (const auto& e : r.login_evidence) ev += (ev.empty() ? "" : "+") + e;
      if (!ev.empty())
        ev +=
            std::find(r.login_evidence.begin(), r.login_evidence.end(), "audit_log") != r.login_evidence.end()
                ? std::string(" (") + store::kLoginLabelAudit + ")"
                : std::string(" (") + store::kLoginLabelObserved + ")";
      auto count = [&](const char* k) { auto it = r.counts.find(k); return it == r.counts.end() ? 0 : it->second; };
      t.Add({FormatDay(r.day), std::to_string(r.user_id), src, std::to_string(count("ticket")),
             std::to_string(count("article")), ev});
    }
    if (a.csv) t.PrintCsv(*ctx.out); else t.Print(*ctx.out);
    return Status::Ok();
  }
  // Default human view: the daily summary.
  SK_ASSIGN_OR_RETURN(auto days, st->Summary(ctx.account, from, to));
  Table t({"DATE", "ACTIVE USERS", "AGENTS+ADMINS", "LIGHT/CONTRIB", "END USERS", "IDLE PAID SEATS", ""});
  int max_active = 1;
  for (const auto& d : days) max_active = std::max(max_active, d.active_users);
  for (const auto& d : days) {
    auto lic = [&](std::initializer_list<const char*> ks) {
      int n = 0;
      for (auto k : ks) if (auto it = d.by_license.find(k); it != d.by_license.end()) n += it->second;
      return n;
    };
    int bar = static_cast<int>(std::lround(30.0 * d.active_users / max_active));
    t.Add({FormatDay(d.day), std::to_string(d.active_users),
           std::to_string(lic({"admin", "agent", "billing-admin", "chat-agent"})),
           std::to_string(lic({"light-agent", "contributor"})), std::to_string(lic({"end-user"})),
           std::to_string(d.idle_paid_seats), std::string(static_cast<size_t>(bar), '#')});
  }
  t.Print(*ctx.out);
  return Status::Ok();
}

struct SeatsArgs {
  int inactive_days = 30;
  std::optional<double> price;
};

Status Seats(Context& ctx, const SeatsArgs& a) {
  SK_ASSIGN_OR_RETURN(auto conn, ctx.RequireConnection());
  SK_ASSIGN_OR_RETURN(auto w, WindowOf(conn));
  SK_ASSIGN_OR_RETURN(auto* st, ctx.Store());
  store::UserFilter f;
  f.seat = true;
  f.include_deleted = false;
  f.inactive_days = a.inactive_days;
  SK_ASSIGN_OR_RETURN(auto idle_or_integration, st->ListUsers(ctx.account, f, w.first, w.today));
  store::UserFilter all;
  all.seat = true;
  all.include_deleted = false;
  SK_ASSIGN_OR_RETURN(auto paid, st->ListUsers(ctx.account, all, w.first, w.today));
  // Probable integration accounts (API use only) are listed apart: neither
  // idle people nor active ones.
  std::vector<store::UserWithUsage> idle, integrations;
  for (auto& u : idle_or_integration)
    if (!store::ProbableIntegration(u)) idle.push_back(std::move(u));
  for (const auto& u : paid)
    if (store::ProbableIntegration(u)) integrations.push_back(u);
  // Evidence of the last activity for each idle seat.
  auto last_evidence = [&](const store::UserWithUsage& u) -> Result<nlohmann::json> {
    if (!u.last_active_day) return nlohmann::json();
    SK_ASSIGN_OR_RETURN(auto rows, st->Usage(ctx.account, *u.last_active_day, *u.last_active_day, u.user.id));
    if (rows.empty()) return nlohmann::json();
    return store::UsageJson(rows.front());
  };
  if (ctx.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& u : idle) {
      auto j = store::UserJson(u);
      SK_ASSIGN_OR_RETURN(j["last_activity"], last_evidence(u));
      arr.push_back(j);
    }
    nlohmann::json apart = nlohmann::json::array();
    for (const auto& u : integrations) apart.push_back(store::UserJson(u));
    nlohmann::json out = {{"inactive_days", a.inactive_days},
                          {"paid_seats", paid.size()},
                          {"idle_paid_seats", idle.size()},
                          {"users", arr},
                          {"probable_integration_seats", integrations.size()},
                          {"probable_integrations", apart}};
    if (a.price) out["monthly_savings"] = *a.price * static_cast<double>(idle.size());
    *ctx.out << out.dump(2) << "\n";
    return Status::Ok();
  }
  Table t({"ID", "NAME", "EMAIL", "LICENSE", "LAST LOGIN", "LAST ACTIVE", "LAST EVIDENCE"});
  for (const auto& u : idle) {
    SK_ASSIGN_OR_RETURN(auto ev, last_evidence(u));
    std::string evs;
    if (ev.is_object())
      for (auto& [k, ids] : ev["evidence"].items())
        for (auto& id : ids) evs += (evs.empty() ? "" : " ") + id.get<std::string>();
    t.Add({std::to_string(u.user.id), u.user.name, u.user.email.value_or(""), u.user.license,
           u.user.last_login_at ? FormatIso(*u.user.last_login_at) : "never",
           u.last_active_day ? FormatDay(*u.last_active_day) : "none in window", evs});
  }
  t.Print(*ctx.out);
  *ctx.out << idle.size() << " of " << paid.size() << " paid seats idle for " << a.inactive_days << "+ days";
  if (a.price)
    *ctx.out << "; reclaiming them saves " << std::fixed << std::setprecision(2) << *a.price * static_cast<double>(idle.size())
             << " per month";
  *ctx.out << "\n";
  if (!integrations.empty()) {
    *ctx.out << "\nProbable integration accounts on paid seats (only API use in the last " << conn.window_days
             << " days; not counted as idle or active):\n";
    Table p({"ID", "NAME", "EMAIL", "LICENSE", "LAST API USE", "API USE DAYS"});
    for (const auto& u : integrations)
      p.Add({std::to_string(u.user.id), u.user.name, u.user.email.value_or(""), u.user.license,
             u.user.last_login_at ? FormatIso(*u.user.last_login_at) : "never",
             std::to_string(u.api_use_days)});
    p.Print(*ctx.out);
  }
  return Status::Ok();
}

}  // namespace

void RegisterReportCommands(CLI::App& app, Context& ctx) {
  auto ua = std::make_shared<UsersArgs>();
  auto* users = app.add_subcommand("users", "Users with role, license, seat, last login and activity");
  users->add_flag("--json", ctx.json, "JSON output");
  users->add_flag("--csv", ua->csv, "CSV output");
  users->add_option("--role", ua->role, "end-user, agent or admin");
  users->add_option("--license", ua->license, "admin, agent, light-agent, contributor, billing-admin, chat-agent, end-user")
      ->check(CLI::IsMember({"admin", "agent", "light-agent", "contributor", "billing-admin", "chat-agent", "end-user"}));
  users->add_option_function<int>("--inactive-days", [ua](const int& d) { ua->inactive_days = d; },
                                  "Only users with no activity in the last N days")
      ->check(CLI::Range(1, 3650));
  users->callback([&ctx, ua] { ctx.Finish(Users(ctx, *ua)); });

  auto ga = std::make_shared<UsageArgs>();
  auto* usage = app.add_subcommand("usage", "Who was active on which day, and why");
  usage->add_flag("--json", ctx.json, "JSON output");
  usage->add_flag("--csv", ga->csv, "CSV output");
  usage->add_option_function<std::string>(
      "--user",
      [ga](const std::string& v) {
        int64_t id = 0;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), id);
        if (ec != std::errc() || end != v.data() + v.size() || id <= 0)
          throw CLI::ValidationError("--user", "must be a Zendesk user id (a positive 64-bit number): " + v);
        ga->user = id;
      },
      "One user's activity");
  usage->add_option("--from", ga->from, "First date (YYYY-MM-DD)");
  usage->add_option("--to", ga->to, "Last date (YYYY-MM-DD)");
  usage->add_flag("--coverage", ga->coverage,
                  "Per day: which sources the ticket activity came from and what Zendesk did not show");
  usage->callback([&ctx, ga] { ctx.Finish(Usage(ctx, *ga)); });

  auto sa = std::make_shared<SeatsArgs>();
  auto* seats = app.add_subcommand("seats", "Idle paid seats, their evidence and what reclaiming them saves");
  seats->add_flag("--json", ctx.json, "JSON output");
  seats->add_option("--inactive-days", sa->inactive_days, "Idle means no activity for this many days (default 30)")
      ->check(CLI::Range(1, 3650));
  seats
      ->add_option_function<double>(
          "--seat-price",
          [sa](const double& p) {
            // NaN and infinity pass CLI11's NonNegativeNumber.
            if (!std::isfinite(p) || p < 0 || p > 1e9)
              throw CLI::ValidationError("--seat-price", "must be a number from 0 to 1000000000");
            sa->price = p;
          },
          "Monthly price of one seat")
      ->check(CLI::NonNegativeNumber);
  seats->callback([&ctx, sa] { ctx.Finish(Seats(ctx, *sa)); });
}

}  // namespace sk::cli
