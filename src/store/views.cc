#include "store/views.h"

namespace sk::store {

namespace {
nlohmann::json OptIso(const std::optional<UnixTime>& t) { return t ? nlohmann::json(FormatIso(*t)) : nlohmann::json(); }
}  // namespace

nlohmann::json UserJson(const UserWithUsage& u) {
  const UserRecord& r = u.user;
  return {{"id", r.id},
          {"name", r.name},
          {"email", r.email ? nlohmann::json(*r.email) : nlohmann::json()},
          {"role", r.role},
          {"license", r.license},
          {"seat", r.seat},
          {"custom_role", r.custom_role ? nlohmann::json(*r.custom_role) : nlohmann::json()},
          {"suspended", r.suspended},
          {"deleted", r.deleted},
          {"last_login_at", OptIso(r.last_login_at)},
          {"active_days", u.active_days},
          {"last_active_date", u.last_active_day ? nlohmann::json(FormatDay(*u.last_active_day)) : nlohmann::json()}};
}

nlohmann::json UsageJson(const UsageRow& r) {
  nlohmann::json sources = nlohmann::json::array();
  for (const char* s : {"login", "ticket", "article"})
    if (r.sources.count(s)) sources.push_back(s);
  nlohmann::json j = {{"user_id", r.user_id}, {"date", FormatDay(r.day)}, {"sources", sources}};
  j["counts"] = r.counts;
  nlohmann::json ev = nlohmann::json::object();
  for (const auto& [kind, ids] : r.evidence) ev[kind] = ids;
  j["evidence"] = ev;
  if (!r.login_evidence.empty()) j["login_evidence"] = r.login_evidence;
  return j;
}

nlohmann::json StatusJson(const std::optional<Connection>& c) {
  if (!c) {
    return {{"state", "not-connected"}, {"url", nullptr},          {"permission", nullptr}, {"plan", nullptr},
            {"last_sync_at", nullptr},  {"error", nullptr},        {"preflight", nlohmann::json::array()}};
  }
  auto preflight = nlohmann::json::parse(c->preflight_json, nullptr, false);
  if (preflight.is_discarded()) preflight = nlohmann::json::array();
  nlohmann::json j = {{"state", c->state},
                      {"url", c->url},
                      {"permission", c->permission},
                      {"plan", c->plan.empty() ? nlohmann::json() : nlohmann::json(c->plan)},
                      {"last_sync_at", OptIso(c->last_sync_at)},
                      {"error", c->error.empty() ? nlohmann::json() : nlohmann::json(c->error)},
                      {"preflight", preflight},
                      {"account", c->account},
                      {"auth", c->auth_kind},
                      {"timezone", c->timezone},
                      {"window_days", c->window_days},
                      {"api_budget", c->api_budget}};
  if (c->connecting_user_id) j["connecting_user_id"] = *c->connecting_user_id;
  return j;
}

nlohmann::json SummaryJson(const DaySummary& s) {
  return {{"date", FormatDay(s.day)},
          {"active_users", s.active_users},
          {"by_license", s.by_license},
          {"paid_seats", s.paid_seats},
          {"idle_paid_seats", s.idle_paid_seats}};
}

nlohmann::json AuditJson(const AuditEntry& e) {
  auto parse = [](const std::string& s) {
    auto j = nlohmann::json::parse(s, nullptr, false);
    return j.is_discarded() ? nlohmann::json(s) : j;
  };
  return {{"id", e.id},         {"at", FormatIso(e.at)},          {"actor", e.actor},
          {"action", e.action}, {"target", e.target},             {"before", parse(e.before_json)},
          {"after", parse(e.after_json)}, {"result", e.result},   {"detail", e.detail}};
}

}  // namespace sk::store
