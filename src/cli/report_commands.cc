// users, usage, seats: the reports of src/reports on the command line. Each
// command reads its declared fields as --options, parses them with the
// report's reader (the API's query parameters go through the same one) and
// prints the report's text, CSV or JSON rendering.
#include <CLI/CLI.hpp>
#include <cctype>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/context.h"
#include "reports/seats_report.h"
#include "reports/usage_report.h"
#include "reports/user_history.h"
#include "reports/users_report.h"

namespace sk::cli {
namespace {

using reports::Reader;
using reports::Surface;

// A report command's option values, by field name, and its output flags.
struct ReportArgs {
  reports::Inputs inputs;
  bool csv = false;
  bool coverage = false;
};

// One --option per field the CLI offers (--inactive-days for inactive_days).
void AddFields(CLI::App* cmd, const std::vector<reports::Field>& fields, ReportArgs& args) {
  for (const auto& f : fields) {
    if (!f.cli) continue;
    std::string help = f.help;
    if (!help.empty()) help[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(help[0])));
    cmd->add_option(reports::Spelled(f.name, Surface::kCli), args.inputs[f.name], help);
  }
}

// The connection and store a report runs on.
struct Source {
  store::Connection conn;
  store::Store* store = nullptr;
};
Result<Source> SourceOf(Context& ctx) {
  Source s;
  SK_ASSIGN_OR_RETURN(s.conn, ctx.RequireConnection());
  SK_ASSIGN_OR_RETURN(s.store, ctx.Store());
  return s;
}

// Reads the arguments with `read`, runs `run` on the account's store and
// prints `json`'s rendering with --json, else `print`'s.
template <typename Read, typename Run, typename Json, typename Print>
Status RunReport(Context& ctx, const ReportArgs& a, Read read, Run run, Json json, Print print) {
  SK_ASSIGN_OR_RETURN(auto q, read(Reader(a.inputs, Surface::kCli)));
  SK_ASSIGN_OR_RETURN(auto src, SourceOf(ctx));
  SK_ASSIGN_OR_RETURN(auto r, run(*src.store, ctx.account, src.conn, q));
  if (ctx.json) {
    *ctx.out << json(r).dump(2) << "\n";
  } else {
    print(r, *ctx.out);
  }
  return Status::Ok();
}

Status Users(Context& ctx, const ReportArgs& a) {
  return RunReport(
      ctx, a, reports::ReadUsers, reports::RunUsers, reports::UsersJson,
      [&a](const reports::UsersResult& r, std::ostream& out) { reports::PrintUsers(r, out, a.csv); });
}

Status Usage(Context& ctx, const ReportArgs& a) {
  SK_ASSIGN_OR_RETURN(auto q, reports::ReadUsage(Reader(a.inputs, Surface::kCli)));
  SK_ASSIGN_OR_RETURN(auto src, SourceOf(ctx));
  if (a.coverage) {
    // Where each day's ticket activity came from, what was not seen.
    SK_ASSIGN_OR_RETURN(auto days, reports::RunCoverage(*src.store, ctx.account, src.conn, q.range));
    if (ctx.json) {
      *ctx.out << reports::CoverageJson(days).dump(2) << "\n";
    } else {
      reports::PrintCoverage(days, *ctx.out);
    }
    return Status::Ok();
  }
  if (ctx.json || a.csv || q.user) {
    SK_ASSIGN_OR_RETURN(auto rows, reports::RunUsage(*src.store, ctx.account, src.conn, q));
    if (ctx.json) {
      *ctx.out << reports::UsageJson(rows).dump(2) << "\n";
    } else {
      reports::PrintUsageRows(rows, *ctx.out, a.csv);
    }
    return Status::Ok();
  }
  // The human view: the daily summary.
  SK_ASSIGN_OR_RETURN(auto days, reports::RunSummary(*src.store, ctx.account, src.conn, q.range));
  reports::PrintSummary(days, *ctx.out);
  return Status::Ok();
}

Status UserHistory(Context& ctx, int64_t id) {
  SK_ASSIGN_OR_RETURN(auto src, SourceOf(ctx));
  SK_ASSIGN_OR_RETURN(auto h, reports::RunUserHistory(*src.store, ctx.account, id));
  if (ctx.json) {
    *ctx.out << reports::UserHistoryJson(h).dump(2) << "\n";
  } else {
    reports::PrintUserHistory(h, *ctx.out);
  }
  return Status::Ok();
}

Status Seats(Context& ctx, const ReportArgs& a) {
  return RunReport(ctx, a, reports::ReadSeats, reports::RunSeats, reports::SeatsJson, reports::PrintSeats);
}

}  // namespace

void RegisterReportCommands(CLI::App& app, Context& ctx) {
  auto ua = std::make_shared<ReportArgs>();
  auto* users = app.add_subcommand("users", "Users with role, license, seat, last login and activity");
  users->add_flag("--json", ctx.json, "JSON output");
  users->add_flag("--csv", ua->csv, "CSV output");
  AddFields(users, reports::UsersFields(), *ua);
  auto history_id = std::make_shared<int64_t>(0);
  auto* history = users->add_subcommand("history",
                                        "Role history of one user: role, custom role, license, "
                                        "suspension and deletion changes, when and by whom");
  history->add_option("ID", *history_id, "The user's Zendesk id")->required();
  history->add_flag("--json", ctx.json, "JSON output (as GET /api/users/{id}/history)");
  history->callback([&ctx, history_id] { ctx.Finish(UserHistory(ctx, *history_id)); });
  users->callback([&ctx, ua, users] {
    if (users->get_subcommands().empty()) ctx.Finish(Users(ctx, *ua));
  });

  auto ga = std::make_shared<ReportArgs>();
  auto* usage = app.add_subcommand("usage", "Who was active on which day, and why");
  usage->add_flag("--json", ctx.json, "JSON output");
  usage->add_flag("--csv", ga->csv, "CSV output");
  AddFields(usage, reports::UsageFields(), *ga);
  usage->add_flag("--coverage", ga->coverage,
                  "Per day: which sources the ticket activity came from and what Zendesk did not show");
  usage->callback([&ctx, ga] { ctx.Finish(Usage(ctx, *ga)); });

  auto sa = std::make_shared<ReportArgs>();
  auto* seats = app.add_subcommand("seats", "Idle paid seats, their evidence and what reclaiming them saves");
  seats->add_flag("--json", ctx.json, "JSON output");
  AddFields(seats, reports::SeatsFields(), *sa);
  seats->callback([&ctx, sa] { ctx.Finish(Seats(ctx, *sa)); });
}

}  // namespace sk::cli
