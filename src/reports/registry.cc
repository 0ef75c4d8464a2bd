#include "reports/registry.h"

#include "util/registry.h"

namespace sk::reports {

using nlohmann::json;

// Each report's file defines `std::vector<Report> NameReports()`; one line
// here registers it (the CLI's help lists the commands in this order).
#define SK_REPORT_FILES(X)  \
  X(UsersReports)           \
  X(UsageReports)           \
  X(SeatsReports)           \
  X(AuditReports)           \
  X(AuditChainReports)      \
  X(UserHistoryReports)     \
  X(RecommendationsReports) \
  X(PolicyReports)          \
  X(ReconcileReports)       \
  X(NotificationsReports)   \
  /* one line per report file, above this one */

SK_REGISTRY_ENTRIES(SK_REPORT_FILES, Report, Reports)

Report DeclareReport(std::string name, std::vector<std::string> cli, std::string path, std::string summary,
                     std::string description) {
  return Report{.name = std::move(name),
                .cli = std::move(cli),
                .path = std::move(path),
                .summary = std::move(summary),
                .description = std::move(description)};
}

Output JsonOutput(json j) {
  Output o;
  o.json = std::move(j);
  return o;
}

Output TextOutput(std::string text, std::string content_type) {
  Output o;
  o.is_text = true;
  o.text = std::move(text);
  o.content_type = std::move(content_type);
  return o;
}

const char* FormatName(Format f) {
  static const char* const kNames[] = {"text", "json", "csv"};  // in Format's order
  return kNames[static_cast<int>(f)];
}

json FieldSchema(const Field& f) {
  json s = {{"type", "string"}};
  if (f.type == "date") s["format"] = "date";
  if (f.type == "integer") s = {{"type", "integer"}, {"format", "int64"}};
  if (f.type == "number") s = {{"type", "number"}};
  if (f.type == "boolean") s = {{"type", "boolean"}};
  if (f.type == "enum") s["enum"] = f.choices;
  return s;
}

json ReportJson(const Report& r) {
  std::string cli;
  for (const auto& w : r.cli) cli += (cli.empty() ? "" : " ") + w;
  json formats = json::array({"text"});
  for (Format f : r.cli_formats) formats.push_back(FormatName(f));
  json fields = json::array();
  for (const Field& f : r.fields) {
    fields.push_back({{"name", f.name},
                      {"type", f.type},
                      {"required", f.required},
                      {"help", f.help},
                      {"label", ""},
                      {"example", f.example},
                      {"choices", f.choices},
                      {"default", nullptr},
                      {"cli", f.cli && !r.cli.empty() ? Spelled(f.name, Surface::kCli) : ""},
                      {"in", f.in_path ? "path"
                             : f.api   ? "query"
                                       : "cli"}});
  }
  return {{"name", r.name},
          {"kind", "report"},
          {"cli", cli},
          {"method", "GET"},
          {"path", r.path},
          {"summary", r.summary},
          {"description", r.description},
          {"target", ""},
          {"irreversible_if", ""},
          {"formats", formats},
          {"fields", fields},
          {"buttons", json::array()}};
}

}  // namespace sk::reports
