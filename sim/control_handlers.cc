// The /_sim/ control API (no authentication): truth, request log, user
// changes, sign-ins, clock, faults and raw ticket state.
#include "handlers.h"
#include "render.h"
#include "util/time.h"

namespace zdsim {

namespace {

int32_t UserArg(Ctx& c) {
  const int32_t i = c.ds.UserIndex(c.ArgId(0));
  if (i < 0) SendNotFound(c);
  return i;
}

std::optional<int64_t> TimeValue(const json& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_string()) {
    if (auto t = sk::ParseIso(v.get<std::string>())) return *t;
  }
  return std::nullopt;
}

void TruthUsers(Ctx& c) {
  const int days = static_cast<int>(ParamInt(c, "days").value_or(90));
  const std::string tz = c.req.has_param("tz") ? c.req.get_param_value("tz") : "UTC";
  try {
    SendJson(c, 200, TruthUsersJson(c.ds, c.s.served, c.now, days, tz));
  } catch (const std::exception& e) {
    SendError(c, 400, "InvalidValue", e.what());
  }
}

void TruthUsage(Ctx& c) {
  const int days = static_cast<int>(ParamInt(c, "days").value_or(c.ds.options().days));
  const std::string tz = c.req.has_param("tz") ? c.req.get_param_value("tz") : "UTC";
  try {
    SendJson(c, 200, TruthUsageJson(c.ds, c.s.served, c.now, days, tz));
  } catch (const std::exception& e) {
    SendError(c, 400, "InvalidValue", e.what());
  }
}

void Requests(Ctx& c) { SendJson(c, 200, c.s.RequestsJson()); }
void ClearRequests(Ctx& c) {
  c.s.requests.clear();
  SendJson(c, 200, {{"cleared", true}});
}

// The acting admin of a control-API change (`actor_id` in the body or the
// query): the change is then theirs, as in Zendesk's UI — an audit-log record
// on Enterprise, and their ticket moves. kNobody without one; -1 when unknown.
int32_t ActorArg(Ctx& c, json* body) {
  std::optional<int64_t> id = ParamInt(c, "actor_id");
  if (body && body->is_object() && body->contains("actor_id")) {
    if ((*body)["actor_id"].is_number_integer()) id = (*body)["actor_id"].get<int64_t>();
    body->erase("actor_id");
  }
  if (!id) return kNobody;
  const int32_t i = c.ds.UserIndex(*id);
  if (i < 0) SendError(c, 400, "InvalidValue", "actor_id names no user");
  return i < 0 ? -1 : i;
}

void PatchUser(Ctx& c) {
  const int32_t i = UserArg(c);
  if (i < 0) return;
  auto body = ParseBody(c);
  if (!body) return;
  const int32_t actor = ActorArg(c, &*body);
  if (actor == -1) return;
  if (auto err = c.s.PatchUser(i, *body, actor))
    return SendError(c, 422, "RecordInvalid", *err == "owner" ? "the account owner must be an admin" : *err);
  SendJson(c, 200, {{"user", UserJson(c.ds, c.ds.users[i], c.base)}});
}

void SoftDelete(Ctx& c) {
  const int32_t i = UserArg(c);
  if (i < 0) return;
  const int32_t actor = ActorArg(c, nullptr);
  if (actor == -1) return;
  c.s.SoftDelete(i, actor);
  SendJson(c, 200, {{"user", UserJson(c.ds, c.ds.users[i], c.base)}});
}

void PermanentDelete(Ctx& c) {
  const int32_t i = UserArg(c);
  if (i < 0) return;
  c.s.PermanentDelete(i, kNobody);
  SendJson(c, 200, {{"user", UserJson(c.ds, c.ds.users[i], c.base)}});
}

void Login(Ctx& c) {
  auto body = ParseBody(c);
  if (!body) return;
  if (!body->contains("user_id") || !(*body)["user_id"].is_number_integer())
    return SendError(c, 400, "InvalidValue", "user_id is required");
  const int32_t i = c.ds.UserIndex((*body)["user_id"].get<int64_t>());
  if (i < 0) return SendNotFound(c);
  int64_t at = c.now;
  if (body->contains("at") && !(*body)["at"].is_null()) {
    auto t = TimeValue((*body)["at"]);
    if (!t) return SendError(c, 400, "InvalidValue", "at must be Unix seconds or ISO 8601");
    at = *t;
  }
  c.s.SignIn(i, at);
  SendJson(c, 200, {{"user_id", c.ds.users[i].id}, {"last_login_at", Iso(at)}});
}

void Advance(Ctx& c) {
  auto body = ParseBody(c);
  if (!body) return;
  const int64_t seconds = body->value("seconds", int64_t{0});
  const bool activity = body->value("activity", true);
  if (seconds < 0) return SendError(c, 400, "InvalidValue", "seconds must be >= 0");
  c.s.Advance(seconds, activity);
  SendJson(c, 200, {{"now", c.s.Now()}, {"now_iso", Iso(c.s.Now())}});
}

void Now(Ctx& c) { SendJson(c, 200, {{"now", c.now}, {"now_iso", Iso(c.now)}}); }

void AddFault(Ctx& c) {
  auto body = ParseBody(c);
  if (!body) return;
  Fault f;
  if (auto err = ParseFault(*body, &f)) return SendError(c, 400, "InvalidValue", *err);
  c.s.faults.Add(f);
  SendJson(c, 200, {{"faults", c.s.faults.List()}});
}

void ClearFaults(Ctx& c) {
  c.s.faults.Clear();
  SendJson(c, 200, {{"faults", json::array()}});
}

void ListFaults(Ctx& c) { SendJson(c, 200, {{"faults", c.s.faults.List()}}); }

// Record counts behind the export arithmetic (bench/): what a sync of the
// window starting at `since` must read, per endpoint, and how many distinct
// tickets the window touches (the per-ticket audits baseline).
void Stats(Ctx& c) {
  const int64_t since = ParamInt(c, "since").value_or(c.now - static_cast<int64_t>(c.ds.options().days) * 86400);
  const int64_t until = c.now - 60;  // exports never return the last minute
  int64_t events = 0, events_7d = 0, tickets_touched = 0;
  const int64_t since_7d = ParamInt(c, "since_7d").value_or(until - 7 * 86400);
  std::vector<bool> touched(c.ds.tickets.size(), false);
  for (const auto& e : c.ds.events) {
    if (e.at < since || e.at >= until) continue;
    ++events;
    if (e.at >= since_7d) ++events_7d;
    if (e.ticket >= 0 && static_cast<size_t>(e.ticket) < touched.size() && !touched[e.ticket]) {
      touched[e.ticket] = true;
      ++tickets_touched;
    }
  }
  int64_t users = 0, deleted_users = 0;
  for (const auto& u : c.ds.users) {
    ++users;
    if (!u.active && !u.scrubbed) ++deleted_users;
  }
  int64_t deleted_tickets = 0, deleted_tickets_since = 0;
  for (const auto& t : c.ds.tickets) {
    if (t.deleted_at == kNull || t.deleted_at < c.now - 30 * 86400) continue;
    ++deleted_tickets;
    if (t.deleted_at >= since) ++deleted_tickets_since;
  }
  int64_t logins = 0;
  for (const auto& a : c.ds.audit)
    if (a.action == AuditAction::kLogin && a.at >= since && a.at < c.now) ++logins;
  int64_t articles = 0;
  for (const auto& a : c.ds.articles)
    if (a.updated_at >= since) ++articles;
  // The audit walk's minimum: audits the list shows before `audits_until`
  // (the walk reads the list from its oldest entry).
  int64_t audits = 0;
  const int64_t audits_until = ParamInt(c, "audits_until").value_or(c.now);
  for (const auto& e : c.ds.events)
    if (e.at < audits_until && AuditListed(c.ds, c.ds.tickets[e.ticket])) ++audits;
  SendJson(c, 200, {{"since", since}, {"now", c.now}, {"events", events}, {"events_7d", events_7d},
                    {"audits", audits}, {"audits_until", audits_until},
                    {"tickets_touched", tickets_touched}, {"users", users}, {"deleted_users", deleted_users},
                    {"deleted_tickets_30d", deleted_tickets}, {"deleted_tickets_since", deleted_tickets_since}, {"audit_logins", logins}, {"articles", articles},
                    {"events_total", static_cast<int64_t>(c.ds.events.size())}});
}

void TicketsState(Ctx& c) { SendJson(c, 200, c.s.TicketsState(ParamInt(c, "assignee_id"))); }

}  // namespace

void RegisterControlRoutes(Router& r) {
  r.Add("GET", R"(/_sim/truth/users)", Access::kPublic, TruthUsers, "-");
  r.Add("GET", R"(/_sim/truth/usage)", Access::kPublic, TruthUsage, "-");
  r.Add("GET", R"(/_sim/requests)", Access::kPublic, Requests, "-");
  r.Add("DELETE", R"(/_sim/requests)", Access::kPublic, ClearRequests, "-");
  r.Add("POST", R"(/_sim/users/(\d+))", Access::kPublic, PatchUser, "-");
  r.Add("POST", R"(/_sim/users/(\d+)/soft_delete)", Access::kPublic, SoftDelete, "-");
  r.Add("POST", R"(/_sim/users/(\d+)/permanent_delete)", Access::kPublic, PermanentDelete, "-");
  r.Add("POST", R"(/_sim/login)", Access::kPublic, Login, "-");
  r.Add("POST", R"(/_sim/advance)", Access::kPublic, Advance, "-");
  r.Add("GET", R"(/_sim/now)", Access::kPublic, Now, "-");
  r.Add("POST", R"(/_sim/faults)", Access::kPublic, AddFault, "-");
  r.Add("DELETE", R"(/_sim/faults)", Access::kPublic, ClearFaults, "-");
  r.Add("GET", R"(/_sim/faults)", Access::kPublic, ListFaults, "-");
  r.Add("GET", R"(/_sim/state/tickets)", Access::kPublic, TicketsState, "-");
  r.Add("GET", R"(/_sim/stats)", Access::kPublic, Stats, "-");
}

}  // namespace zdsim
