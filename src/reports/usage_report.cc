#include "reports/usage_report.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "reports/registry.h"
#include "reports/table.h"
#include "store/views.h"
#include "sync/coverage.h"

namespace sk::reports {

std::vector<Field> UsageFields() {
  auto f = RangeFields();
  f.push_back({"user", "integer", false, "one user's rows (a Zendesk user id)", "360000000001"});
  return f;
}

Result<UsageQuery> ReadUsage(const Reader& in) {
  UsageQuery q;
  SK_ASSIGN_OR_RETURN(q.range, ReadRange(in));
  SK_ASSIGN_OR_RETURN(q.user, in.Integer("user", 1, INT64_MAX));
  return q;
}

Result<std::vector<store::UsageRow>> RunUsage(store::Store& st, const std::string& account,
                                              const store::Connection& conn, const UsageQuery& q) {
  SK_ASSIGN_OR_RETURN(auto w, WindowOf(conn));
  SK_ASSIGN_OR_RETURN(auto range, Resolve(q.range, w));
  return st.Usage(account, range.from, range.to, q.user);
}

nlohmann::json UsageJson(const std::vector<store::UsageRow>& rows) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& r : rows) arr.push_back(store::UsageJson(r));
  return arr;
}

void PrintUsageRows(const std::vector<store::UsageRow>& rows, std::ostream& out, bool csv) {
  Table t({"DATE", "USER", "SOURCES", "TICKET EVENTS", "ARTICLES", "LOGIN EVIDENCE"});
  for (const auto& r : rows) {
    std::string src;
    for (const char* s : {"login", "ticket", "article"})
      if (r.sources.count(s)) src += (src.empty() ? "" : "+") + std::string(s);
    std::string ev;
    for (const auto& e : r.login_evidence) ev += (ev.empty() ? "" : "+") + e;
    if (!ev.empty()) {
      const bool audit =
          std::find(r.login_evidence.begin(), r.login_evidence.end(), "audit_log") != r.login_evidence.end();
      ev += std::string(" (") + (audit ? store::kLoginLabelAudit : store::kLoginLabelObserved) + ")";
    }
    auto count = [&](const char* k) {
      auto it = r.counts.find(k);
      return it == r.counts.end() ? 0 : it->second;
    };
    t.Add({FormatDay(r.day), std::to_string(r.user_id), src, std::to_string(count("ticket")),
           std::to_string(count("article")), ev});
  }
  if (csv) return t.PrintCsv(out);
  t.Print(out);
}

Result<std::vector<store::DaySummary>> RunSummary(store::Store& st, const std::string& account,
                                                  const store::Connection& conn, const RangeInput& range) {
  SK_ASSIGN_OR_RETURN(auto w, WindowOf(conn));
  SK_ASSIGN_OR_RETURN(auto r, Resolve(range, w));
  return st.Summary(account, r.from, r.to);
}

std::string SummaryJson(const std::vector<store::DaySummary>& days) {
  std::string body = "[";
  body.reserve(days.size() * 200 + 2);
  for (const auto& d : days) {
    if (body.size() > 1) body += ',';
    store::AppendSummaryJson(&body, d);
  }
  body += ']';
  return body;
}

void PrintSummary(const std::vector<store::DaySummary>& days, std::ostream& out) {
  Table t({"DATE", "ACTIVE USERS", "AGENTS+ADMINS", "LIGHT/CONTRIB", "END USERS", "IDLE PAID SEATS", ""});
  int max_active = 1;
  for (const auto& d : days) max_active = std::max(max_active, d.active_users);
  for (const auto& d : days) {
    auto lic = [&](std::initializer_list<const char*> ks) {
      int n = 0;
      for (auto k : ks)
        if (auto it = d.by_license.find(k); it != d.by_license.end()) n += it->second;
      return n;
    };
    const int bar = static_cast<int>(std::lround(30.0 * d.active_users / max_active));
    t.Add({FormatDay(d.day), std::to_string(d.active_users),
           std::to_string(lic({"admin", "agent", "billing-admin", "chat-agent"})),
           std::to_string(lic({"light-agent", "contributor"})), std::to_string(lic({"end-user"})),
           std::to_string(d.idle_paid_seats), std::string(static_cast<size_t>(bar), '#')});
  }
  t.Print(out);
}

Result<std::vector<sync::DayCoverage>> RunCoverage(store::Store& st, const std::string& account,
                                                   const store::Connection& conn, const RangeInput& range) {
  SK_ASSIGN_OR_RETURN(auto w, WindowOf(conn));
  SK_ASSIGN_OR_RETURN(auto r, Resolve(range, w));
  SK_ASSIGN_OR_RETURN(auto all, sync::LoadCoverage(st, account));
  std::vector<sync::DayCoverage> days;
  for (auto& d : all)
    if (d.day >= r.from && d.day <= r.to) days.push_back(std::move(d));
  return days;
}

nlohmann::json CoverageJson(const std::vector<sync::DayCoverage>& days) {
  return sync::CoverageJson(days);
}

void PrintCoverage(const std::vector<sync::DayCoverage>& days, std::ostream& out) {
  if (days.empty()) {
    out << "No coverage recorded yet: run `seatkeeper sync`.\n";
    return;
  }
  Table t({"DATE", "COMPLETE", "SOURCES", "NOT SEEN"});
  for (const auto& d : days) {
    std::string src, unseen;
    for (const auto& s : d.sources) src += (src.empty() ? "" : "+") + s;
    for (const auto& u : d.unseen) unseen += (unseen.empty() ? "" : "; ") + u;
    if (unseen.empty() && !d.pending.empty()) unseen = "(pending) " + d.pending;
    t.Add({FormatDay(d.day), d.complete() ? "yes" : "no", src, unseen});
  }
  t.Print(out);
}

namespace {

// `usage`: with --coverage the coverage of the days; with --json, --csv or
// --user the rows; else the daily summary. The API's /api/usage: the rows.
Result<Output> UsageView(const Source& s, const UsageQuery& q, bool coverage, Format format) {
  if (coverage) {
    SK_ASSIGN_OR_RETURN(auto days, RunCoverage(*s.store, s.account, *s.conn, q.range));
    return JsonOrText(reports::CoverageJson, PrintCoverage)(days, format, Surface::kCli);
  }
  if (format != Format::kText || q.user) {
    SK_ASSIGN_OR_RETURN(auto rows, RunUsage(*s.store, s.account, *s.conn, q));
    const bool csv = format == Format::kCsv;
    auto print = [csv](const std::vector<store::UsageRow>& r, std::ostream& out) {
      PrintUsageRows(r, out, csv);
    };
    return JsonOrText(UsageJson, print)(rows, format, Surface::kCli);
  }
  SK_ASSIGN_OR_RETURN(auto days, RunSummary(*s.store, s.account, *s.conn, q.range));
  return Printed(PrintSummary, days);
}

}  // namespace

std::vector<Report> UsageReports() {
  Report usage = DeclareReport("usage", {"usage"}, "/api/usage", "Who was active on which day, and why",
                               "One row per user per active day (usage --json)");
  usage.fields = UsageFields();
  usage.fields.push_back(
      {"coverage",
       "boolean",
       false,
       "per day: which sources the ticket activity came from and what Zendesk did not show",
       "true",
       {},
       true,
       false});
  usage.cli_formats = {Format::kJson, Format::kCsv};
  usage.parse = [](const Reader& in, Format format) -> Result<ReportRun> {
    SK_ASSIGN_OR_RETURN(auto q, ReadUsage(in));
    SK_ASSIGN_OR_RETURN(auto coverage, in.Boolean("coverage"));
    return ReportRun(
        [q, format, coverage](const Source& s) { return UsageView(s, q, coverage.value_or(false), format); });
  };

  Report coverage =
      DeclareReport("usage.coverage", {}, "/api/usage/coverage",
                    "Per day (usage --coverage --json): the sources the ticket activity was read "
                    "from, complete, and what Zendesk did not show (unseen)");
  coverage.fields = RangeFields();
  coverage.parse = Steps(ReadRange, OnConnection(RunCoverage), JsonOnly(reports::CoverageJson));

  Report summary = DeclareReport("usage.summary", {}, "/api/usage/summary",
                                 "Per day: active users, by license type, paid seats and idle paid seats",
                                 "The table `seatkeeper usage` shows");
  summary.fields = RangeFields();
  summary.parse = Steps(ReadRange, OnConnection(RunSummary), [](const auto& days, Format, Surface) {
    return TextOutput(SummaryJson(days), "application/json");
  });
  return {usage, coverage, summary};
}

}  // namespace sk::reports
