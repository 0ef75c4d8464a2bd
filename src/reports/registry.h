// The registry of reports: every report declared once, the way actions are
// (src/actions/operation.h). From a declaration come the CLI command and its
// options (src/cli/report_commands.cc), the REST GET route with its query
// parameters and access rule (src/server/report_routes.cc), its OpenAPI
// entry and its entry in GET /api/operations (ReportJson).
//
// To add a report: write src/reports/<name>_report.cc with its steps and
// `std::vector<Report> <Name>Reports()` (see DeclareReport and Steps below),
// then add one line X(<Name>Reports) to SK_REPORT_FILES in registry.cc. A
// report under another command (`audit verify`) names both words in `cli`
// and is registered after the report of the first word (`audit`).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "reports/report.h"

namespace sk::reports {

// The rendering a request asks for: the CLI's default text, --json, --csv;
// the REST API kJson, or kCsv when the report declares a `format` field and
// the query says format=csv.
enum class Format { kText, kJson, kCsv };

// What a report answers: a JSON value, or text (a table, CSV, or JSON
// already written) sent with `content_type`.
struct Output {
  nlohmann::json json;
  bool is_text = false;
  std::string text;
  std::string content_type = "application/json";
  std::string filename;  // REST: sent as an attachment of this name
  // CLI: the command's exit status once the output is printed (audit verify:
  // 4 when the chain is broken); the REST API answers 200 with the output.
  int exit_code = 0;
};
Output JsonOutput(nlohmann::json j);
Output TextOutput(std::string text, std::string content_type = "text/plain; charset=utf-8");

// What a parsed request runs on.
struct Source {
  store::Store* store = nullptr;
  std::string account;
  const store::Connection* conn = nullptr;  // set when Report::needs_connection
};

// A parsed request: runs the report and renders its answer.
using ReportRun = std::function<Result<Output>(const Source&)>;

struct Report {
  std::string name;              // "users", "usage.coverage": its name in /api/operations
  std::vector<std::string> cli;  // {"users"}: `seatkeeper users`; {} = on the REST API only
  std::string path;              // "/api/users": GET; "{id}" names a Field with in_path
  std::string summary;           // CLI help, OpenAPI summary
  std::string description;       // more for OpenAPI and /api/operations ("" = none)
  std::vector<Field> fields;
  std::vector<Format> cli_formats = {Format::kJson};  // the CLI's --json, --csv
  // Runs only on a connected account (CLI: refused with a hint, exit 3;
  // REST: 409); the audit trail needs none.
  bool needs_connection = true;
  // Reads the field values (errors name the field as the surface spells it)
  // before anything is opened; kInvalidArgument for a bad value.
  std::function<Result<ReportRun>(const Reader& in, Format format)> parse;
};

// Every registered report (built once, never changes), in registration order.
const std::vector<Report>& Reports();

// A declaration with its name, CLI words, REST path, summary and description
// ("" = the summary says it all) set, as actions are declared (DeclareAction).
Report DeclareReport(std::string name, std::vector<std::string> cli, std::string path, std::string summary,
                     std::string description = "");

// The usual parse of a report from its three steps:
//   read(const Reader&) -> Result<Query>
//   run(const Source&, const Query&) -> Result<Answer>
//   render(const Answer&, Format, Surface) -> Output (or Result<Output>)
template <typename Read, typename Run, typename Render>
std::function<Result<ReportRun>(const Reader&, Format)> Steps(Read read, Run run, Render render) {
  return [=](const Reader& in, Format format) -> Result<ReportRun> {
    SK_ASSIGN_OR_RETURN(auto query, read(in));
    const Surface surface = in.surface();
    return ReportRun([=](const Source& s) -> Result<Output> {
      SK_ASSIGN_OR_RETURN(auto answer, run(s, query));
      return render(answer, format, surface);
    });
  };
}

// The run step of a report that needs the connection, from a function
// run(store::Store&, const std::string& account, const store::Connection&, const Query&).
template <typename Run>
auto OnConnection(Run run) {
  return [=](const Source& s, const auto& query) { return run(*s.store, s.account, *s.conn, query); };
}

// The text `print(answer, std::ostream&)` writes.
template <typename Print, typename Answer>
Output Printed(Print print, const Answer& answer) {
  std::ostringstream out;
  print(answer, out);
  return TextOutput(out.str());
}

// The usual render step: json(answer) with --json (and on the REST API),
// else the text print(answer, std::ostream&) writes.
template <typename Json, typename Print>
auto JsonOrText(Json json, Print print) {
  return [=](const auto& answer, Format format, Surface) {
    return format == Format::kJson ? JsonOutput(json(answer)) : Printed(print, answer);
  };
}
// The render step of a REST-only report: json(answer).
template <typename Json>
auto JsonOnly(Json json) {
  return [=](const auto& answer, Format, Surface) { return JsonOutput(json(answer)); };
}

// The declaration as JSON for GET /api/operations, beside the actions':
// {"name","kind":"report","cli","method":"GET","path","summary","description",
//  "target":"","irreversible_if":"","formats":[...],
//  "fields":[{"name","type","required","help","label":"","example","choices","default":null,"cli","in"}],
//  "buttons":[]}
nlohmann::json ReportJson(const Report& r);
// The OpenAPI schema of a field's value ({"type": "integer", ...}).
nlohmann::json FieldSchema(const Field& f);
// "json", "csv", "text".
const char* FormatName(Format f);

}  // namespace sk::reports
