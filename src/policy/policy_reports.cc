// The read side of policies and proposals, declared in the report registry
// (src/reports/registry.cc lists PolicyReports): `seatkeeper policy list`,
// `policy show NAME`, `policy test NAME` (who matches today, with the
// evidence; changes nothing) and `seatkeeper proposals [--state S]`, and
// GET /api/policies, /api/policies/show?name=, /api/policies/test?name=,
// /api/proposals.
#include <sstream>

#include "policy/policy.h"
#include "policy/proposals.h"
#include "reports/registry.h"
#include "reports/table.h"

namespace sk::reports {

using nlohmann::json;

namespace {

// The policy name: positional NAME on the CLI, ?name= on the API.
std::vector<Field> NameFields() {
  Field cli{"name", "string", true, "policy name", "idle-agents"};
  cli.api = false;
  cli.in_path = true;
  Field api{"name", "string", true, "policy name", "idle-agents"};
  api.cli = false;
  return {cli, api};
}

Result<std::string> ReadName(const Reader& in) {
  auto name = in.String("name");
  if (!name) return InvalidArgument(in.Name("name") + " is required");
  return *name;
}

Result<policy::Policy> Require(store::Store& st, const std::string& account, const std::string& name) {
  SK_ASSIGN_OR_RETURN(auto p, policy::GetPolicy(st, account, name));
  if (!p) return Refused("no policy named " + name + " (seatkeeper policy list)");
  return *p;
}

std::string Conditions(const policy::Policy& p) {
  std::ostringstream s;
  const auto& c = p.condition;
  auto list = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ",") + x;
    return out;
  };
  if (!c.licenses.empty()) s << "license " << list(c.licenses) << "; ";
  if (!c.roles.empty()) s << "role " << list(c.roles) << "; ";
  if (c.custom_role_id) s << "custom role " << *c.custom_role_id << "; ";
  if (c.idle_days) s << "idle " << *c.idle_days << "+ days; ";
  if (c.last_active_before) s << "last active before " << FormatDay(*c.last_active_before) << "; ";
  if (c.not_in_directory) s << "not in directory; ";
  if (!c.recommendation_kind.empty()) s << "recommended " << c.recommendation_kind << "; ";
  if (!p.exempt.tags.empty()) s << "exempt tags " << list(p.exempt.tags) << "; ";
  if (!p.exempt.groups.empty()) s << "exempt groups " << list(p.exempt.groups) << "; ";
  std::string out = s.str();
  return out.empty() ? "-" : out.substr(0, out.size() - 2);
}

void PrintPolicies(const std::vector<policy::Policy>& ps, std::ostream& out) {
  Table t({"NAME", "ACTION", "CONDITION", "GRACE", "APPROVAL"});
  for (const auto& p : ps)
    t.Add({p.name, p.action, Conditions(p), std::to_string(p.grace_days) + "d",
           p.automatic ? "automatic" : "admin"});
  t.Print(out);
  if (ps.empty()) out << "no policies (seatkeeper policy add NAME --action ... --idle-days N)\n";
}

json PoliciesJson(const std::vector<policy::Policy>& ps) {
  json a = json::array();
  for (const auto& p : ps) a.push_back(p.ToJson());
  return a;
}

struct TestAnswer {
  policy::Policy policy;
  policy::Evaluation ev;
};

json TestJson(const TestAnswer& a) {
  json matches = json::array();
  for (const auto& m : a.ev.matches) {
    const auto& u = m.user.user;
    const policy::ActionRequest req = policy::RequestFor(a.policy, u.id);
    matches.push_back({{"user_id", u.id},
                       {"name", u.name},
                       {"email", u.email ? json(*u.email) : json(nullptr)},
                       {"evidence", m.evidence},
                       {"would_run", {{"operation", req.operation}, {"fields", req.fields}}}});
  }
  return {
      {"policy", a.policy.ToJson()}, {"matches", matches}, {"exempted", a.ev.exempted}, {"changed", false}};
}

void PrintTest(const TestAnswer& a, std::ostream& out) {
  Table t({"USER", "NAME", "EMAIL", "LICENSE", "IDLE DAYS", "LAST ACTIVE", "WOULD"});
  for (const auto& m : a.ev.matches) {
    const auto& u = m.user.user;
    // No activity in the whole window: idle at least that long.
    const std::string idle = std::to_string(m.idle_days) + (m.last_active_day ? "" : "+");
    t.Add({std::to_string(u.id), u.name, u.email.value_or(""), u.license, idle,
           m.last_active_day ? FormatDay(*m.last_active_day) : "none in window", a.policy.action});
  }
  t.Print(out);
  for (const auto& m : a.ev.matches)
    if (m.evidence.contains("recommendation"))
      out << "  " << m.user.user.id << " recommended: " << m.evidence["recommendation"].value("reason", "")
          << "\n";
  out << a.ev.matches.size() << " user(s) match policy " << a.policy.name << " today; "
      << a.ev.exempted.size() << " exempted; nothing was changed\n";
  for (const auto& e : a.ev.exempted)
    out << "  exempt: " << e["user_id"].get<int64_t>() << " " << e["name"].get<std::string>() << " ("
        << e["why"].get<std::string>() << ")\n";
}

struct ProposalsQuery {
  std::optional<std::string> state;
};

json ProposalsJson(const std::vector<policy::Proposal>& ps) {
  json a = json::array();
  for (const auto& p : ps) a.push_back(p.ToJson());
  return a;
}

void PrintProposals(const std::vector<policy::Proposal>& ps, std::ostream& out) {
  Table t({"ID", "STATE", "POLICY", "USER", "NAME", "ACTION", "DUE", "NOTE"});
  for (const auto& p : ps) {
    std::string note = p.reason;
    if (p.state == "pending" && p.evidence.is_object())
      note = "idle " + std::to_string(p.evidence.value("idle_days", 0)) +
             (p.evidence.value("last_active", json()).is_null() ? "+" : "") + " days";
    if (p.state == "done" && p.audit_id) note = "audit entry " + std::to_string(p.audit_id);
    t.Add({p.id, p.state, p.policy, std::to_string(p.user_id), p.user_name, p.action,
           p.due_at ? FormatIso(*p.due_at) : "-", note});
  }
  t.Print(out);
  if (ps.empty()) out << "no proposals\n";
}

}  // namespace

std::vector<Report> PolicyReports() {
  Report list =
      DeclareReport("policy.list", {"policy", "list"}, "/api/policies", "The account's reclaim policies");
  list.parse = Steps([](const Reader&) -> Result<int> { return 0; },
                     [](const Source& s, int) { return policy::ListPolicies(*s.store, s.account); },
                     JsonOrText(PoliciesJson, PrintPolicies));

  Report show = DeclareReport("policy.show", {"policy", "show"}, "/api/policies/show", "One policy");
  show.fields = NameFields();
  show.parse = Steps(
      ReadName, [](const Source& s, const std::string& name) { return Require(*s.store, s.account, name); },
      JsonOrText([](const policy::Policy& p) { return p.ToJson(); },
                 [](const policy::Policy& p, std::ostream& out) { out << p.ToJson().dump(2) << "\n"; }));

  Report test = DeclareReport("policy.test", {"policy", "test"}, "/api/policies/test",
                              "Who a policy matches today, with the evidence (changes nothing)");
  test.fields = NameFields();
  test.parse = Steps(
      ReadName,
      [](const Source& s, const std::string& name) -> Result<TestAnswer> {
        SK_ASSIGN_OR_RETURN(policy::Policy p, Require(*s.store, s.account, name));
        SK_ASSIGN_OR_RETURN(policy::Evaluation ev, policy::Evaluate(*s.store, *s.conn, p));
        return TestAnswer{p, std::move(ev)};
      },
      JsonOrText(TestJson, PrintTest));

  Report proposals =
      DeclareReport("proposals", {"proposals"}, "/api/proposals",
                    "The reclaim proposals queue (pending, approved, rejected, cancelled, done, failed)");
  Field state{"state", "enum", false, "only proposals in this state", "pending"};
  state.choices = {"pending", "approved", "rejected", "cancelled", "done", "failed"};
  proposals.fields = {state};
  proposals.parse = Steps(
      [](const Reader& in) -> Result<ProposalsQuery> {
        ProposalsQuery q;
        SK_ASSIGN_OR_RETURN(
            q.state, in.Choice("state", {"pending", "approved", "rejected", "cancelled", "done", "failed"}));
        return q;
      },
      [](const Source& s, const ProposalsQuery& q) -> Result<std::vector<policy::Proposal>> {
        SK_ASSIGN_OR_RETURN(auto all, policy::ListProposals(*s.store, s.account));
        std::vector<policy::Proposal> out;
        for (auto& p : all)
          if (!q.state || p.state == *q.state) out.push_back(std::move(p));
        return out;
      },
      JsonOrText(ProposalsJson, PrintProposals));
  return {list, show, test, proposals};
}

}  // namespace sk::reports
