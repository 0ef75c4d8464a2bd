#include "policy/directory.h"

#include <algorithm>
#include <cctype>

#include "util/text.h"

namespace sk::policy {

using nlohmann::json;

namespace {

constexpr const char* kDirectoryKey = "directory:remembered";

// RFC 4180 records: quoted fields may hold commas, quotes ("") and newlines.
// Each record keeps the line it starts on.
std::vector<std::pair<int, std::vector<std::string>>> CsvRecords(const std::string& text) {
  std::vector<std::pair<int, std::vector<std::string>>> out;
  std::vector<std::string> row;
  std::string cell;
  bool quoted = false, any = false;
  int line = 1, start = 1;
  auto end_row = [&] {
    row.push_back(cell);
    cell.clear();
    if (any || row.size() > 1 || !row[0].empty()) out.emplace_back(start, row);
    row.clear();
    any = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        cell += c;
      }
    } else if (c == '"') {
      quoted = any = true;
    } else if (c == ',') {
      row.push_back(cell);
      cell.clear();
      any = true;
    } else if (c == '\n') {
      end_row();
      start = ++line;
    } else if (c != '\r') {
      cell += c;
    }
  }
  if (!cell.empty() || !row.empty() || any) end_row();
  return out;
}

std::vector<std::string> SplitAliases(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s + ";") {
    if (c == ';' || c == ',' || c == ' ' || c == '|') {
      if (!Trim(cur).empty()) out.push_back(Trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

bool PlausibleEmail(const std::string& e) {
  const size_t at = e.find('@');
  return at != std::string::npos && at > 0 && at + 1 < e.size() && e.find('@', at + 1) == std::string::npos &&
         e.find_first_of(" \t\r\n\"<>,;") == std::string::npos;
}

// Checks a member and adds it, or records why not.
void Add(Directory& d, DirectoryMember m, std::map<std::string, int>& seen) {
  m.email = Trim(m.email);
  if (m.email.empty()) return d.problems.push_back({m.line, "no email"});
  if (!PlausibleEmail(m.email))
    return d.problems.push_back({m.line, "\"" + m.email + "\" is not an email address"});
  auto active = ActiveStatus(m.status);
  if (!active)
    return d.problems.push_back({m.line, m.status.empty()
                                             ? "no status for " + m.email
                                             : "unknown status \"" + m.status + "\" for " + m.email});
  m.active = *active;
  auto it = seen.find(AsciiLower(m.email));
  if (it != seen.end())
    return d.problems.push_back(
        {m.line, m.email + " repeats line " + std::to_string(it->second) + " (ignored)"});
  seen[AsciiLower(m.email)] = m.line;
  d.members.push_back(std::move(m));
}

int Column(const std::vector<std::string>& header, std::initializer_list<const char*> names) {
  for (size_t i = 0; i < header.size(); ++i) {
    std::string h = AsciiLower(Trim(header[i]));
    h.erase(std::remove_if(h.begin(), h.end(), [](char c) { return c == '_' || c == ' ' || c == '-'; }),
            h.end());
    for (const char* n : names)
      if (h == n) return static_cast<int>(i);
  }
  return -1;
}

Result<Directory> ParseCsv(const std::string& text) {
  Directory d;
  d.format = "csv";
  auto records = CsvRecords(text);
  if (records.empty()) return InvalidArgument("the directory file is empty");
  const auto& header = records[0].second;
  const int email = Column(header, {"email", "mail", "primaryemail", "emailaddress", "userprincipalname"});
  const int status = Column(header, {"status", "state", "accountstatus"});
  if (email < 0 || status < 0)
    return InvalidArgument("the directory's first line must name its columns, with email and status (got \"" +
                           Trim(text.substr(0, text.find('\n'))) + "\")");
  const int dept = Column(header, {"department", "dept"}),
            manager = Column(header, {"manager", "manageremail"});
  const int aliases = Column(header, {"aliases", "alias", "emailaliases", "secondaryemails"});
  std::map<std::string, int> seen;
  for (size_t r = 1; r < records.size(); ++r) {
    const auto& [line, cells] = records[r];
    if (cells.size() != header.size()) {
      d.problems.push_back({line, std::to_string(cells.size()) + " columns where the header has " +
                                      std::to_string(header.size())});
      continue;
    }
    DirectoryMember m;
    m.line = line;
    m.email = cells[static_cast<size_t>(email)];
    m.status = Trim(cells[static_cast<size_t>(status)]);
    if (dept >= 0) m.department = Trim(cells[static_cast<size_t>(dept)]);
    if (manager >= 0) m.manager = Trim(cells[static_cast<size_t>(manager)]);
    if (aliases >= 0) m.aliases = SplitAliases(cells[static_cast<size_t>(aliases)]);
    Add(d, std::move(m), seen);
  }
  return d;
}

std::string Text(const json& o, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    auto it = o.find(n);
    if (it == o.end()) continue;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_boolean()) return it->get<bool>() ? "true" : "false";
  }
  return "";
}

Result<Directory> ParseJsonDirectory(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return InvalidArgument("the directory file is not valid JSON");
  if (j.is_object() && j.contains("users")) j = j["users"];
  if (!j.is_array())
    return InvalidArgument("a JSON directory must be an array of users or {\"users\": [...]}");
  Directory d;
  d.format = "json";
  std::map<std::string, int> seen;
  int line = 0;
  for (const auto& o : j) {
    ++line;
    if (!o.is_object()) {
      d.problems.push_back({line, "not an object"});
      continue;
    }
    DirectoryMember m;
    m.line = line;
    m.email = Text(o, {"email", "mail", "primaryEmail", "userPrincipalName"});
    m.status = Trim(Text(o, {"status", "state"}));
    if (m.status.empty() && o.contains("accountEnabled") && o["accountEnabled"].is_boolean())
      m.status = o["accountEnabled"].get<bool>() ? "active" : "disabled";
    if (m.status.empty() && o.contains("suspended") && o["suspended"].is_boolean())
      m.status = o["suspended"].get<bool>() ? "suspended" : "active";
    m.department = Text(o, {"department"});
    m.manager = Text(o, {"manager", "managerEmail"});
    auto al = o.find("aliases");
    if (al != o.end() && al->is_array()) {
      for (const auto& a : *al)
        if (a.is_string()) m.aliases.push_back(Trim(a.get<std::string>()));
    } else if (al != o.end() && al->is_string()) {
      m.aliases = SplitAliases(al->get<std::string>());
    }
    Add(d, std::move(m), seen);
  }
  return d;
}

bool IsStaff(const store::UserRecord& u) {
  return u.role == "agent" || u.role == "admin";
}

}  // namespace

std::optional<bool> ActiveStatus(const std::string& status) {
  static const std::vector<std::string> kActive = {"active",   "enabled",          "provisioned", "staged",
                                                   "recovery", "password_expired", "locked_out",  "true"};
  static const std::vector<std::string> kInactive = {"deactivated", "deprovisioned", "suspended", "disabled",
                                                     "inactive",    "terminated",    "deleted",   "false"};
  const std::string s = AsciiLower(Trim(status));
  if (std::find(kActive.begin(), kActive.end(), s) != kActive.end()) return true;
  if (std::find(kInactive.begin(), kInactive.end(), s) != kInactive.end()) return false;
  return std::nullopt;
}

Result<Directory> ParseDirectory(const std::string& content) {
  std::string text = content;
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text = text.substr(3);  // a spreadsheet's UTF-8 mark
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (text[first] == '[' || text[first] == '{'))
    return ParseJsonDirectory(text);
  return ParseCsv(text);
}

json Directory::ToJson() const {
  json ms = json::array(), ps = json::array();
  for (const auto& m : members)
    ms.push_back({{"email", m.email},
                  {"aliases", m.aliases},
                  {"status", m.status},
                  {"active", m.active},
                  {"department", m.department},
                  {"manager", m.manager},
                  {"line", m.line}});
  for (const auto& p : problems) ps.push_back({{"line", p.line}, {"problem", p.message}});
  return {{"format", format}, {"members", ms}, {"problems", ps}};
}

Directory Directory::FromJson(const json& j) {
  Directory d;
  if (!j.is_object()) return d;
  d.format = j.value("format", "");
  for (const auto& m : j.value("members", json::array())) {
    DirectoryMember x;
    x.email = m.value("email", "");
    x.aliases = m.value("aliases", std::vector<std::string>{});
    x.status = m.value("status", "");
    x.active = m.value("active", true);
    x.department = m.value("department", "");
    x.manager = m.value("manager", "");
    x.line = m.value("line", 0);
    d.members.push_back(std::move(x));
  }
  for (const auto& p : j.value("problems", json::array()))
    d.problems.push_back({p.value("line", 0), p.value("problem", "")});
  return d;
}

std::map<std::string, size_t> Directory::Index() const {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < members.size(); ++i) {
    index.emplace(AsciiLower(members[i].email), i);
    for (const auto& a : members[i].aliases) index.emplace(AsciiLower(a), i);
  }
  return index;
}

Status RememberDirectory(store::Store& st, const std::string& account, const Directory& d) {
  return st.PutValue(account, kDirectoryKey, d.ToJson().dump());
}

Result<std::optional<Directory>> RememberedDirectory(store::Store& st, const std::string& account) {
  SK_ASSIGN_OR_RETURN(auto v, st.GetValue(account, kDirectoryKey));
  if (!v) return std::optional<Directory>();
  return std::optional<Directory>(Directory::FromJson(json::parse(*v, nullptr, false)));
}

std::string LeaverReason(const store::UserRecord& u, const Directory& d,
                         const std::map<std::string, size_t>& index) {
  if (!u.email) return "no email in Zendesk";
  auto it = index.find(AsciiLower(*u.email));
  if (it == index.end()) return "absent from the directory";
  const DirectoryMember& m = d.members[it->second];
  if (!m.active) return "deactivated in the directory (" + m.status + ")";
  return "";
}

Reconciliation Reconcile(const std::vector<store::UserRecord>& users, const Directory& d) {
  Reconciliation r;
  r.members = d.members.size();
  r.problems = d.problems;
  const auto index = d.Index();
  for (const auto& u : users) {
    if (u.deleted_kind == "permanent") continue;  // scrubbed: no email to compare
    std::optional<size_t> member;
    if (u.email)
      if (auto it = index.find(AsciiLower(*u.email)); it != index.end()) member = it->second;
    if (IsStaff(u) && !u.deleted) {
      ++r.staff;
      if (std::string why = LeaverReason(u, d, index); !why.empty()) r.leavers.push_back({u, why, member});
    }
    if (member && d.members[*member].active && (u.suspended || u.deleted))
      r.locked_out.push_back({u, u.deleted ? "deleted in Zendesk" : "suspended in Zendesk", member});
  }
  return r;
}

}  // namespace sk::policy
