#include "reports/user_history.h"

#include <algorithm>
#include <limits>

#include "reports/registry.h"

namespace sk::reports {

using nlohmann::json;

bool HistoryField(const std::string& f) {
  return f == "role" || f == "custom_role" || f == "license" || f == "suspended" || f == "deleted";
}

namespace {

HistoryActor AuditActor(const store::UserAuditRecord& r) {
  HistoryActor a;
  a.id = r.actor_id.value_or(-1);
  a.name = *a.id == -1 && r.actor_name.empty() ? "Zendesk" : r.actor_name;
  a.via = "audit_log";
  return a;
}

// A change a sync found: narrowed by the audit-log records of that user in (since, at].
HistoryEvent FromSync(const store::UserChange& c, const std::vector<store::UserAuditRecord>& log) {
  HistoryEvent e{c.field, c.old_value, c.new_value};
  e.after = c.since;
  e.before = c.at;
  e.seen_by = "sync";
  // A deletion is an audit "destroy"; anything else an "update".
  const bool deletion = c.field == "deleted";
  std::vector<const store::UserAuditRecord*> hits;
  for (const auto& r : log) {
    if (r.at > c.at || (c.since && r.at <= *c.since)) continue;
    if ((r.action == "destroy") != deletion) continue;
    hits.push_back(&r);
  }
  if (hits.empty()) return e;
  for (const auto* r : hits) e.audit_log_ids.push_back(r->id);
  if (hits.size() == 1) {
    e.at = hits[0]->at;
  } else {
    e.after = hits.front()->at - 1;  // at or after the first record
    e.before = hits.back()->at;
  }
  std::vector<HistoryActor> actors;
  for (const auto* r : hits) {
    HistoryActor a = AuditActor(*r);
    if (std::find(actors.begin(), actors.end(), a) == actors.end()) actors.push_back(a);
  }
  if (actors.size() == 1) {
    e.actor = actors[0];
  } else {
    e.possible_actors = actors;
  }
  return e;
}

std::string Time(UnixTime t) {
  return FormatIso(t);
}

json ActorJson(const HistoryActor& a) {
  return {{"id", a.id ? json(*a.id) : json()}, {"name", a.name}, {"via", a.via}};
}

}  // namespace

std::vector<HistoryEvent> BuildHistory(const store::Store::UserHistoryRows& rows) {
  std::vector<HistoryEvent> out;
  for (const auto& c : rows.changes) {
    if (!HistoryField(c.field)) continue;
    if (!c.actor.empty()) {
      HistoryEvent e{c.field, c.old_value, c.new_value};
      e.at = c.at;
      e.before = c.at;
      e.actor = HistoryActor{std::nullopt, c.actor, "seatkeeper"};
      e.seen_by = "seatkeeper";
      out.push_back(std::move(e));
      continue;
    }
    out.push_back(FromSync(c, rows.audit_log));
  }
  return out;
}

Result<UserHistory> RunUserHistory(store::Store& st, const std::string& account, int64_t user_id) {
  SK_ASSIGN_OR_RETURN(auto user, st.GetUser(account, user_id));
  if (!user) return Status(Code::kNotFound, "no user " + std::to_string(user_id) + " in the store");
  SK_ASSIGN_OR_RETURN(auto rows, st.UserHistory(account, user_id));
  return UserHistory{*user, BuildHistory(rows)};
}

json UserHistoryJson(const UserHistory& h) {
  json events = json::array();
  for (const auto& e : h.events) {
    json possible = json::array();
    for (const auto& a : e.possible_actors) possible.push_back(ActorJson(a));
    json between = nullptr;
    if (!e.at) between = {{"from", e.after ? json(Time(*e.after)) : json()}, {"to", Time(e.before)}};
    events.push_back({{"field", e.field},
                      {"from", e.from},
                      {"to", e.to},
                      {"at", e.at ? json(Time(*e.at)) : json()},
                      {"between", between},
                      {"actor", e.actor ? ActorJson(*e.actor) : json()},
                      {"possible_actors", possible},
                      {"seen_by", e.seen_by},
                      {"audit_log_ids", e.audit_log_ids}});
  }
  const auto& u = h.user;
  return {{"user_id", u.id},          {"name", u.name},       {"role", u.role},   {"license", u.license},
          {"suspended", u.suspended}, {"deleted", u.deleted}, {"history", events}};
}

void PrintUserHistory(const UserHistory& h, std::ostream& out) {
  out << "user " << h.user.id << " (" << h.user.name << "): " << h.user.role << ", " << h.user.license
      << (h.user.suspended ? ", suspended" : "") << (h.user.deleted ? ", deleted" : "") << "\n";
  if (h.events.empty()) {
    out << "no role, custom role, suspension or deletion change seen yet\n";
    return;
  }
  for (const auto& e : h.events) {
    std::string when = e.at ? Time(*e.at)
                            : "between " + (e.after ? Time(*e.after) : std::string("(first sync)")) +
                                  " and " + Time(e.before);
    std::string who;
    if (e.actor) {
      who = "by " + e.actor->name + (e.actor->via == "audit_log" ? " (audit log)" : " (seatkeeper)");
    } else if (!e.possible_actors.empty()) {
      who = "by one of";
      for (const auto& a : e.possible_actors) who += " " + a.name + ",";
      who.pop_back();
      who += " (audit log)";
    } else {
      who = "actor unknown";
    }
    out << when << "  " << e.field << ": " << (e.from.empty() ? "(none)" : e.from) << " -> "
        << (e.to.empty() ? "(none)" : e.to) << "  " << who << "\n";
  }
}

std::vector<Report> UserHistoryReports() {
  Report h =
      DeclareReport("users.history", {"users", "history"}, "/api/users/{id}/history",
                    "Role history of one user: role, custom role, license, suspension and deletion "
                    "changes, when and by whom",
                    "Each change with its time (or the two syncs it falls between) and actor where known");
  h.fields = {{"id", "integer", true, "the user's Zendesk id", "360000000001", {}, true, true, true}};
  h.parse = Steps(
      [](const Reader& in) -> Result<int64_t> {
        SK_ASSIGN_OR_RETURN(auto id, in.Integer("id", 1, std::numeric_limits<int64_t>::max()));
        if (!id) return InvalidArgument("the user id is required");
        return *id;
      },
      [](const Source& s, int64_t id) { return RunUserHistory(*s.store, s.account, id); },
      JsonOrText(UserHistoryJson, PrintUserHistory));
  return {h};
}

}  // namespace sk::reports
