// `seatkeeper reconcile --directory FILE [--remember]` and GET /api/reconcile
// (directory.h): Zendesk staff absent from or deactivated in an identity
// provider's export, and its active members whose Zendesk account is
// suspended or deleted; bad rows listed, never fatal. --remember keeps the
// directory for policies' --not-in-directory condition (the only thing it
// writes); the REST route, which reads no server file, answers over the
// remembered one.
#include <fstream>
#include <sstream>

#include "policy/directory.h"
#include "reports/registry.h"
#include "reports/table.h"

namespace sk::reports {

using nlohmann::json;

namespace {

struct ReconcileQuery {
  std::string file;
  bool remember = false;
};

struct ReconcileAnswer {
  std::string source;  // the file, or "remembered directory"
  policy::Directory directory;
  policy::Reconciliation result;
};

Result<ReconcileQuery> ReadReconcile(const Reader& in) {
  ReconcileQuery q;
  q.file = in.String("directory").value_or("");
  SK_ASSIGN_OR_RETURN(auto remember, in.Boolean("remember"));
  q.remember = remember.value_or(false);
  if (q.remember && q.file.empty()) return InvalidArgument(in.Name("remember") + " needs --directory FILE");
  return q;
}

Result<ReconcileAnswer> RunReconcile(const Source& s, const ReconcileQuery& q) {
  ReconcileAnswer a;
  if (!q.file.empty()) {
    std::ifstream in(q.file, std::ios::binary);
    if (!in) return InvalidArgument("cannot read the directory file " + q.file);
    std::stringstream text;
    text << in.rdbuf();
    SK_ASSIGN_OR_RETURN(a.directory, policy::ParseDirectory(text.str()));
    a.source = q.file;
    if (q.remember) SK_RETURN_IF_ERROR(policy::RememberDirectory(*s.store, s.account, a.directory));
  } else {
    SK_ASSIGN_OR_RETURN(auto remembered, policy::RememberedDirectory(*s.store, s.account));
    if (!remembered)
      return Refused(
          "no directory to compare with: seatkeeper reconcile --directory FILE (--remember keeps it)");
    a.directory = std::move(*remembered);
    a.source = "remembered directory";
  }
  SK_ASSIGN_OR_RETURN(auto users, s.store->AllUsers(s.account));
  a.result = policy::Reconcile(users, a.directory);
  return a;
}

json FindingJson(const policy::ReconcileFinding& f, const policy::Directory& d) {
  json j = {{"user_id", f.user.id},
            {"name", f.user.name},
            {"email", f.user.email ? json(*f.user.email) : json(nullptr)},
            {"role", f.user.role},
            {"license", f.user.license},
            {"seat", f.user.seat},
            {"why", f.why},
            {"directory", nullptr}};
  if (f.member) {
    const auto& m = d.members[*f.member];
    j["directory"] = {{"email", m.email},
                      {"status", m.status},
                      {"department", m.department},
                      {"manager", m.manager},
                      {"line", m.line}};
  }
  return j;
}

json ReconcileJson(const ReconcileAnswer& a) {
  json leavers = json::array(), locked = json::array(), problems = json::array();
  for (const auto& f : a.result.leavers) leavers.push_back(FindingJson(f, a.directory));
  for (const auto& f : a.result.locked_out) locked.push_back(FindingJson(f, a.directory));
  for (const auto& p : a.result.problems) problems.push_back({{"line", p.line}, {"problem", p.message}});
  size_t seats = 0;
  for (const auto& f : a.result.leavers) seats += f.user.seat;
  return {{"source", a.source},
          {"format", a.directory.format},
          {"directory_members", a.result.members},
          {"zendesk_staff", a.result.staff},
          {"leavers", leavers},
          {"leaver_seats", seats},
          {"suspended_or_deleted_members", locked},
          {"bad_rows", problems}};
}

void PrintFindings(const std::vector<policy::ReconcileFinding>& fs, std::ostream& out) {
  Table t({"ID", "NAME", "EMAIL", "LICENSE", "SEAT", "WHY"});
  for (const auto& f : fs)
    t.Add({std::to_string(f.user.id), f.user.name, f.user.email.value_or(""), f.user.license,
           f.user.seat ? "paid" : "no", f.why});
  t.Print(out);
}

void PrintReconcile(const ReconcileAnswer& a, std::ostream& out) {
  const auto& r = a.result;
  out << "Directory: " << a.source << " (" << r.members << " members); Zendesk staff: " << r.staff << "\n\n";
  out << "Zendesk staff absent from or deactivated in the directory: " << r.leavers.size() << "\n";
  if (!r.leavers.empty()) PrintFindings(r.leavers, out);
  out << "\nDirectory members whose Zendesk account is suspended or deleted: " << r.locked_out.size() << "\n";
  if (!r.locked_out.empty()) PrintFindings(r.locked_out, out);
  out << "\nBad rows (skipped): " << r.problems.size() << "\n";
  for (const auto& p : r.problems) out << "  line " << p.line << ": " << p.message << "\n";
}

}  // namespace

std::vector<Report> ReconcileReports() {
  Report r =
      DeclareReport("reconcile", {"reconcile"}, "/api/reconcile",
                    "Zendesk staff missing or deactivated in an identity provider's directory, and its "
                    "members suspended or deleted in Zendesk");
  r.description =
      "The directory is a CSV (header row with email and status; optional department, manager, aliases) or "
      "JSON export. The REST route compares with the directory last remembered by the CLI.";
  Field file{"directory", "string", false, "the directory export (CSV or JSON) to compare with",
             "people.csv"};
  file.api = false;
  Field remember{"remember", "boolean", false, "keep this directory for policies' --not-in-directory", "true"};
  remember.api = false;
  r.fields = {file, remember};
  r.parse = Steps(ReadReconcile, RunReconcile, JsonOrText(ReconcileJson, PrintReconcile));
  return {r};
}

}  // namespace sk::reports
