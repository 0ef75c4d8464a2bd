#include "policy/policy.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "actions/action.h"
#include "policy/directory.h"
#include "reports/recommendations_report.h"
#include "reports/report.h"
#include "store/groups.h"
#include "store/views.h"
#include "util/text.h"

namespace sk::policy {

using nlohmann::json;

namespace {

constexpr const char* kPolicyPrefix = "policy:";

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

json OptId(const std::optional<int64_t>& v) {
  return v ? json(*v) : json(nullptr);
}

// The typed reads of FromJson: kInvalidArgument naming the field.
Result<std::optional<int64_t>> ReadId(const json& j, const std::string& name) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return std::optional<int64_t>();
  if (!it->is_number_integer() || it->get<int64_t>() <= 0)
    return InvalidArgument(name + " must be a positive integer id");
  return std::optional<int64_t>(it->get<int64_t>());
}

Result<std::vector<std::string>> ReadStrings(const json& j, const std::string& name) {
  std::vector<std::string> out;
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array()) return InvalidArgument(name + " must be a list of strings");
  for (const auto& v : *it) {
    if (!v.is_string()) return InvalidArgument(name + " must be a list of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

bool EmailExempt(const std::vector<std::string>& patterns, const std::optional<std::string>& email) {
  if (!email) return false;
  const std::string e = AsciiLower(*email);
  for (const auto& raw : patterns) {
    const std::string p = AsciiLower(raw);
    if (p.rfind("*@", 0) == 0) {
      const std::string domain = p.substr(1);  // "@example.com"
      if (e.size() >= domain.size() && e.compare(e.size() - domain.size(), domain.size(), domain) == 0)
        return true;
    } else if (p == e) {
      return true;
    }
  }
  return false;
}

// Why the action would change nothing for this user ("" when it would).
std::string NothingToDo(const Policy& p, const store::UserRecord& u) {
  if (p.action == "downgrade-end-user" && u.role == "end-user") return "already an end user";
  if (p.action == "downgrade-light" && u.license == "light-agent" && u.custom_role_id == p.custom_role_id)
    return "already a light agent with that role";
  if (p.action == "downgrade-light" && u.role == "end-user") return "an end user (no agent seat)";
  if (p.action == "suspend" && u.suspended) return "already suspended";
  return "";
}

// What the exemptions of one Evaluate need besides the policy: the owner
// and the groups named by --exempt-groups, resolved (id -> name).
struct Exempting {
  std::optional<int64_t> owner;
  std::map<int64_t, std::string> groups;
  std::optional<store::GroupsSnapshot> snapshot;
};

std::string TagExemption(const std::vector<std::string>& exempt, const std::vector<std::string>& tags) {
  for (const auto& want : exempt)
    for (const auto& t : tags)
      if (AsciiLower(t) == AsciiLower(want)) return "exempt by tag " + t;
  return "";
}

std::string GroupExemption(const Exempting& x, int64_t user_id) {
  if (!x.snapshot || x.groups.empty()) return "";
  for (int64_t g : x.snapshot->GroupsOf(user_id))
    if (auto it = x.groups.find(g); it != x.groups.end())
      return "exempt by group " + it->second + " (" + std::to_string(g) + ")";
  return "";
}

// The groups --exempt-groups names, resolved with the synced groups; refused
// when they were never read or a name matches no group (the policy must not
// run over the people it means to spare).
Status ResolveGroups(store::Store& st, const store::Connection& conn, const Policy& p, Exempting* x) {
  if (p.exempt.groups.empty()) return Status::Ok();
  SK_ASSIGN_OR_RETURN(x->snapshot, store::GetGroups(st, conn.account));
  if (!x->snapshot)
    return Refused(
        "policy " + p.name +
        " exempts Zendesk groups, but no sync has read them yet: run seatkeeper sync (a sync reads "
        "groups once a policy uses --exempt-groups)");
  for (const auto& want : p.exempt.groups) {
    auto id = x->snapshot->Resolve(want);
    if (!id) {
      std::string known;
      for (const auto& [gid, name] : x->snapshot->names)
        known += (known.empty() ? "" : ", ") + name + " (" + std::to_string(gid) + ")";
      return Refused("policy " + p.name + " exempts group \"" + want +
                     "\", which no Zendesk group of the last sync is called (known: " +
                     (known.empty() ? "none" : known) + ")");
    }
    x->groups[*id] = x->snapshot->names.at(*id);
  }
  return Status::Ok();
}

// Why the policy spares the user ("" when it does not): the owner and the
// connecting user always; the policy's exemptions.
std::string ExemptionOf(const store::Connection& conn, const Exempting& x, const Policy& p,
                        const store::UserWithUsage& u) {
  const std::optional<int64_t>& owner = x.owner;
  const store::UserRecord& r = u.user;
  if (owner && *owner == r.id) return "the account owner";
  if ((conn.connecting_user_id && *conn.connecting_user_id == r.id) ||
      (!conn.connecting_user_email.empty() && r.email &&
       AsciiLower(*r.email) == AsciiLower(conn.connecting_user_email)))
    return "the connecting user";
  if (std::find(p.exempt.users.begin(), p.exempt.users.end(), r.id) != p.exempt.users.end())
    return "exempt by user id";
  if (EmailExempt(p.exempt.emails, r.email)) return "exempt by email";
  if (std::string why = TagExemption(p.exempt.tags, r.tags); !why.empty()) return why;
  if (std::string why = GroupExemption(x, r.id); !why.empty()) return why;
  if (p.exempt.integrations && store::ProbableIntegration(u))
    return "probable integration account (API use only: " + std::to_string(u.api_use_days) + " days)";
  return "";
}

}  // namespace

const std::vector<std::string>& PolicyActions() {
  static const std::vector<std::string> kActions = {"downgrade-light", "downgrade-end-user", "offboard",
                                                    "suspend"};
  return kActions;
}

json Policy::ToJson() const {
  return {{"name", name},
          {"action", action},
          {"custom_role_id", OptId(custom_role_id)},
          {"reassign_to", OptId(reassign_to)},
          {"let_zendesk_reassign", let_zendesk_reassign},
          {"delete", delete_user},
          {"condition",
           {{"licenses", condition.licenses},
            {"roles", condition.roles},
            {"custom_role_id", OptId(condition.custom_role_id)},
            {"idle_days", condition.idle_days ? json(*condition.idle_days) : json(nullptr)},
            {"last_active_before",
             condition.last_active_before ? json(FormatDay(*condition.last_active_before)) : json(nullptr)},
            {"recommendation_kind", condition.recommendation_kind},
            {"not_in_directory", condition.not_in_directory}}},
          {"exempt",
           {{"users", exempt.users},
            {"emails", exempt.emails},
            {"tags", exempt.tags},
            {"groups", exempt.groups},
            {"integrations", exempt.integrations}}},
          {"automatic", automatic},
          {"grace_days", grace_days},
          {"created_at", created_at ? json(FormatIso(created_at)) : json(nullptr)},
          {"created_by", created_by}};
}

Result<Policy> Policy::FromJson(const json& j) {
  if (!j.is_object()) return InvalidArgument("a policy must be a JSON object");
  Policy p;
  p.name = j.value("name", "");
  p.action = j.value("action", "");
  SK_ASSIGN_OR_RETURN(p.custom_role_id, ReadId(j, "custom_role_id"));
  SK_ASSIGN_OR_RETURN(p.reassign_to, ReadId(j, "reassign_to"));
  p.let_zendesk_reassign = j.value("let_zendesk_reassign", false);
  p.delete_user = j.value("delete", false);
  const json c = j.value("condition", json::object());
  SK_ASSIGN_OR_RETURN(p.condition.licenses, ReadStrings(c, "licenses"));
  SK_ASSIGN_OR_RETURN(p.condition.roles, ReadStrings(c, "roles"));
  SK_ASSIGN_OR_RETURN(p.condition.custom_role_id, ReadId(c, "custom_role_id"));
  if (c.contains("idle_days") && c["idle_days"].is_number_integer())
    p.condition.idle_days = c["idle_days"].get<int>();
  if (c.contains("last_active_before") && c["last_active_before"].is_string()) {
    p.condition.last_active_before = ParseDay(c["last_active_before"].get<std::string>());
    if (!p.condition.last_active_before)
      return InvalidArgument("last_active_before must be a date YYYY-MM-DD");
  }
  p.condition.recommendation_kind = c.value("recommendation_kind", "");
  p.condition.not_in_directory = c.value("not_in_directory", false);
  const json e = j.value("exempt", json::object());
  if (e.contains("users") && e["users"].is_array())
    for (const auto& id : e["users"])
      if (id.is_number_integer()) p.exempt.users.push_back(id.get<int64_t>());
  SK_ASSIGN_OR_RETURN(p.exempt.emails, ReadStrings(e, "emails"));
  SK_ASSIGN_OR_RETURN(p.exempt.tags, ReadStrings(e, "tags"));
  SK_ASSIGN_OR_RETURN(p.exempt.groups, ReadStrings(e, "groups"));
  p.exempt.integrations = e.value("integrations", true);
  p.automatic = j.value("automatic", false);
  p.grace_days = j.value("grace_days", 7);
  if (j.contains("created_at") && j["created_at"].is_string())
    p.created_at = ParseIso(j["created_at"].get<std::string>()).value_or(0);
  p.created_by = j.value("created_by", "");
  return p;
}

Status ValidatePolicy(const Policy& p) {
  if (p.name.empty() || p.name.size() > 40 || !std::islower(static_cast<unsigned char>(p.name[0])) ||
      !std::all_of(p.name.begin(), p.name.end(),
                   [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }))
    return InvalidArgument("policy name \"" + p.name +
                           "\" must be 1 to 40 lower-case letters, digits or '-', starting with a letter");
  if (!Contains(PolicyActions(), p.action))
    return InvalidArgument("action must be downgrade-light, downgrade-end-user, offboard or suspend (got \"" +
                           p.action + "\")");
  if (p.action == "downgrade-light" && !p.custom_role_id)
    return InvalidArgument("action downgrade-light needs --custom-role: the light-agent custom role to set");
  if (p.action != "downgrade-light" && p.custom_role_id)
    return InvalidArgument("--custom-role is only for action downgrade-light");
  if (p.action == "offboard" && !p.reassign_to)
    return InvalidArgument("action offboard needs --reassign-to: the agent who takes the leaver's tickets");
  if (p.delete_user && p.action != "offboard") return InvalidArgument("--delete is only for action offboard");
  if (p.reassign_to && p.let_zendesk_reassign)
    return InvalidArgument("--reassign-to and --let-zendesk-reassign exclude each other");
  if (p.grace_days < 0 || p.grace_days > 365)
    return InvalidArgument("--grace-days must be between 0 and 365");
  static const std::vector<std::string> kLicenses = {
      "agent", "admin", "light-agent", "contributor", "chat-agent", "billing-admin", "end-user"};
  for (const auto& l : p.condition.licenses)
    if (!Contains(kLicenses, l))
      return InvalidArgument("unknown license \"" + l +
                             "\" in --license (one of agent, admin, light-agent, contributor, chat-agent, "
                             "billing-admin, end-user)");
  for (const auto& r : p.condition.roles)
    if (r != "end-user" && r != "agent" && r != "admin")
      return InvalidArgument("unknown role \"" + r + "\" in --role (end-user, agent or admin)");
  if (p.condition.idle_days && (*p.condition.idle_days < 1 || *p.condition.idle_days > 3650))
    return InvalidArgument("--idle-days must be between 1 and 3650");
  const std::string& kind = p.condition.recommendation_kind;
  if (!p.condition.idle_days && !p.condition.last_active_before && !p.condition.not_in_directory &&
      kind.empty())
    return InvalidArgument(
        "a policy needs --idle-days, --last-active-before, --not-in-directory or --recommendation: a "
        "reclaim rule over everyone is refused");
  if (!kind.empty() && !Contains(RecommendationKinds(), kind))
    return InvalidArgument("unknown recommendation kind \"" + kind +
                           "\" in --recommendation (light-agent, end-user, integration or suspended)");
  if (kind == "integration" && p.exempt.integrations)
    return InvalidArgument(
        "--recommendation integration matches only probable integration accounts, which are exempt unless "
        "--include-integrations");
  for (const auto& t : p.exempt.tags)
    if (t.empty() || t.find_first_of(" \t\r\n") != std::string::npos)
      return InvalidArgument("--exempt-tags entry \"" + t + "\" is not a Zendesk tag (no spaces)");
  for (const auto& g : p.exempt.groups)
    if (Trim(g).empty()) return InvalidArgument("--exempt-groups has an empty entry");
  for (const auto& e : p.exempt.emails)
    if (e.empty() || e.find('@') == std::string::npos)
      return InvalidArgument("--exempt-emails entry \"" + e + "\" is neither an address nor *@domain");
  return Status::Ok();
}

Result<std::vector<Policy>> ListPolicies(store::Store& st, const std::string& account) {
  SK_ASSIGN_OR_RETURN(auto rows, st.ListValues(account, kPolicyPrefix));
  std::vector<Policy> out;
  for (const auto& [key, value] : rows) {
    json j = json::parse(value, nullptr, false);
    auto p = Policy::FromJson(j);
    if (!p.ok()) return p.status().With("stored policy " + key.substr(7) + " is damaged");
    out.push_back(std::move(*p));
  }
  return out;
}

Result<std::optional<Policy>> GetPolicy(store::Store& st, const std::string& account,
                                        const std::string& name) {
  SK_ASSIGN_OR_RETURN(auto value, st.GetValue(account, kPolicyPrefix + name));
  if (!value) return std::optional<Policy>();
  SK_ASSIGN_OR_RETURN(Policy p, Policy::FromJson(json::parse(*value, nullptr, false)));
  return std::optional<Policy>(std::move(p));
}

Status PutPolicy(store::Store& st, const std::string& account, const Policy& p) {
  return st.PutValue(account, kPolicyPrefix + p.name, p.ToJson().dump());
}

Result<bool> RemovePolicy(store::Store& st, const std::string& account, const std::string& name) {
  SK_ASSIGN_OR_RETURN(auto had, st.TakeValue(account, kPolicyPrefix + name));
  return had.has_value();
}

const std::vector<std::string>& RecommendationKinds() {
  static const std::vector<std::string> kKinds = {"light-agent", "end-user", "integration", "suspended"};
  return kKinds;
}

Result<RecommendationIndex> IndexRecommendations(store::Store& st, const store::Connection& conn) {
  SK_ASSIGN_OR_RETURN(auto r,
                      reports::RunRecommendations(st, conn.account, conn, reports::RecommendationsQuery{}));
  RecommendationIndex index;
  for (const auto& rec : r.rows) index.by_user[rec.user.user.id] = {rec.kind, rec.reason};
  return index;
}

bool MatchRecommendation(const RecommendationIndex& index, const store::UserWithUsage& u,
                         const std::string& kind, std::string* reason) {
  auto it = index.by_user.find(u.user.id);
  if (it == index.by_user.end() || it->second.first != kind) return false;
  if (reason) *reason = it->second.second;
  return true;
}

Result<Evaluation> Evaluate(store::Store& st, const store::Connection& conn, const Policy& p) {
  SK_ASSIGN_OR_RETURN(reports::Window w, reports::WindowOf(conn));
  store::UserFilter f;
  f.include_deleted = false;
  SK_ASSIGN_OR_RETURN(auto users, st.ListUsers(conn.account, f, w.first, w.today));
  Exempting exempting;
  exempting.owner = actions::KnownOwnerId(conn);
  SK_RETURN_IF_ERROR(ResolveGroups(st, conn, p, &exempting));
  RecommendationIndex recommendations;
  if (!p.condition.recommendation_kind.empty()) {
    SK_ASSIGN_OR_RETURN(recommendations, IndexRecommendations(st, conn));
  }
  std::optional<Directory> directory;
  std::map<std::string, size_t> index;
  if (p.condition.not_in_directory) {
    SK_ASSIGN_OR_RETURN(directory, RememberedDirectory(st, conn.account));
    if (!directory)
      return Refused("policy " + p.name +
                     " uses --not-in-directory, but no directory is remembered: run seatkeeper reconcile "
                     "--directory FILE --remember");
    index = directory->Index();
  }
  Evaluation ev;
  for (auto& u : users) {
    const store::UserRecord& r = u.user;
    if (r.deleted) continue;
    const Condition& c = p.condition;
    if (!c.licenses.empty() && !Contains(c.licenses, r.license)) continue;
    if (!c.roles.empty() && !Contains(c.roles, r.role)) continue;
    if (c.custom_role_id && r.custom_role_id != c.custom_role_id) continue;
    // Idle since the last active day in the window; without one, since the
    // window's start or the user's creation, whichever is later.
    DayNumber since = u.last_active_day ? *u.last_active_day : w.first - 1;
    if (!u.last_active_day && r.created_at > 0) since = std::max(since, w.zone.DayOf(r.created_at));
    const int idle = static_cast<int>(w.today - since);
    if (c.idle_days && idle < *c.idle_days) continue;
    if (c.last_active_before && u.last_active_day && *u.last_active_day >= *c.last_active_before) continue;
    std::string recommendation_why;
    if (!c.recommendation_kind.empty() &&
        !MatchRecommendation(recommendations, u, c.recommendation_kind, &recommendation_why))
      continue;
    std::string directory_why;
    if (directory) {  // staff only: end users are not expected in a staff directory
      if (r.role == "end-user") continue;
      directory_why = LeaverReason(r, *directory, index);
      if (directory_why.empty()) continue;
    }
    if (std::string why = ExemptionOf(conn, exempting, p, u); !why.empty()) {
      ev.exempted.push_back({{"user_id", r.id},
                             {"name", r.name},
                             {"email", r.email ? json(*r.email) : json(nullptr)},
                             {"why", why}});
      continue;
    }
    if (std::string why = NothingToDo(p, r); !why.empty()) continue;
    Match m;
    m.idle_days = idle;
    m.last_active_day = u.last_active_day;
    m.evidence = {{"idle_days", idle},
                  {"last_active", u.last_active_day ? json(FormatDay(*u.last_active_day)) : json(nullptr)},
                  {"active_days_in_window", u.active_days},
                  {"window", w.Json()},
                  {"last_login_at", r.last_login_at ? json(FormatIso(*r.last_login_at)) : json(nullptr)},
                  {"license", r.license},
                  {"role", r.role},
                  {"custom_role_id", OptId(r.custom_role_id)}};
    if (directory) m.evidence["directory"] = directory_why;
    if (!c.recommendation_kind.empty())
      m.evidence["recommendation"] = {{"kind", c.recommendation_kind}, {"reason", recommendation_why}};
    if (!r.tags.empty()) m.evidence["tags"] = r.tags;
    m.user = std::move(u);
    ev.matches.push_back(std::move(m));
  }
  return ev;
}

ActionRequest RequestFor(const Policy& p, int64_t user_id) {
  json f = {{"user_id", user_id}};
  if (p.action == "offboard") {
    f["reassign_to"] = OptId(p.reassign_to);
    f["delete"] = p.delete_user;
    return {"offboard", f};
  }
  if (p.action == "suspend") return {"user.suspend", f};
  f["role"] = p.action == "downgrade-light" ? "agent" : "end-user";
  if (p.action == "downgrade-light") f["custom_role_id"] = OptId(p.custom_role_id);
  if (p.reassign_to) f["reassign_to"] = *p.reassign_to;
  if (p.let_zendesk_reassign) f["let_zendesk_reassign"] = true;
  return {"user.set-role", f};
}

}  // namespace sk::policy
