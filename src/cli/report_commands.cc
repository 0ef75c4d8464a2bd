// Every report of the registry (src/reports/registry.h) on the command line:
// `seatkeeper <report.cli...>` with --json/--csv as declared and one --option
// per field the CLI offers (a flag for a boolean field). The values go
// through the report's parse (the API's query parameters go through the same
// one), then the connection and store are opened and its output printed.
#include <CLI/CLI.hpp>
#include <cctype>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/context.h"
#include "reports/registry.h"

namespace sk::cli {
namespace {

using reports::Format;
using reports::Surface;

// A report command's option values, by field name, and its output flags.
struct ReportArgs {
  reports::Inputs inputs;
  bool csv = false;
};

// One --option per field the CLI offers (--inactive-days for inactive_days);
// a boolean field is a flag that gives "true".
void AddFields(CLI::App* cmd, const std::vector<reports::Field>& fields, std::shared_ptr<ReportArgs> args) {
  for (const auto& f : fields) {
    if (!f.cli) continue;
    std::string help = f.help;
    if (!help.empty()) help[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(help[0])));
    const std::string flag = reports::CliName(f);
    if (f.in_path) {
      // A path parameter is a positional argument (`users history ID`).
      CLI::Option* o = cmd->add_option(flag, args->inputs[f.name], help);
      if (f.required) o->required();
    } else if (f.type == "boolean") {
      cmd->add_flag_callback(
          flag, [args, name = f.name] { args->inputs[name] = "true"; }, help);
    } else {
      cmd->add_option(flag, args->inputs[f.name], help);
    }
  }
}

// Parses, opens what the report runs on, runs it and prints its output.
Status RunReport(Context& ctx, const reports::Report& r, const ReportArgs& a) {
  const Format format = ctx.json ? Format::kJson : a.csv ? Format::kCsv : Format::kText;
  SK_ASSIGN_OR_RETURN(auto run, r.parse(reports::Reader(a.inputs, Surface::kCli), format));
  reports::Source src;
  store::Connection conn;
  if (r.needs_connection) {
    SK_ASSIGN_OR_RETURN(conn, ctx.RequireConnection());
    src.conn = &conn;
  }
  SK_ASSIGN_OR_RETURN(src.store, ctx.Store());
  src.account = ctx.account;
  SK_ASSIGN_OR_RETURN(auto out, run(src));
  if (out.is_text) {
    *ctx.out << out.text;
  } else {
    *ctx.out << out.json.dump(2) << "\n";
  }
  if (out.exit_code != 0) ctx.exit_code = out.exit_code;
  return Status::Ok();
}

void AddReportCommand(CLI::App& app, Context& ctx, const reports::Report& r) {
  auto args = std::make_shared<ReportArgs>();
  CLI::App* c =
      ParentCommand(app, r.cli, [](const std::string& word) {
        return word == "policy" ? "Reclaim policies: add, list, show, test, remove" : word + " reports";
      })->add_subcommand(r.cli.back(), r.summary);
  for (Format f : r.cli_formats) {
    if (f == Format::kJson) c->add_flag("--json", ctx.json, "JSON output");
    if (f == Format::kCsv) c->add_flag("--csv", args->csv, "CSV output");
  }
  AddFields(c, r.fields, args);
  c->callback([&ctx, &r, c, args] {
    if (!c->get_subcommands().empty()) return;  // a report under this one (`audit verify`) ran
    ctx.Finish(RunReport(ctx, r, *args));
  });
}

}  // namespace

void AddReportCommands(CLI::App& app, Context& ctx, const std::vector<reports::Report>& reports) {
  for (const reports::Report& r : reports)
    if (!r.cli.empty()) AddReportCommand(app, ctx, r);
}

void RegisterReportCommands(CLI::App& app, Context& ctx) {
  AddReportCommands(app, ctx, reports::Reports());
}

}  // namespace sk::cli
