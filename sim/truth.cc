#include "truth.h"

#include <map>
#include <set>
#include <stdexcept>

#include "render.h"
#include "util/time.h"

namespace zdsim {

ServedLogins AssumeAllServed(const Dataset& ds) {
  ServedLogins s;
  for (int32_t i = 0; i < static_cast<int32_t>(ds.users.size()); ++i) {
    if (i == ds.admin || ds.users[i].api_caller || ds.users[i].last_login_at == kNull) continue;
    s[i].push_back(ds.users[i].last_login_at);
  }
  return s;
}

namespace {

enum : uint8_t { kLogin = 1, kTicket = 2, kArticle = 4 };
using UsageRows = std::map<std::pair<sk::DayNumber, int64_t>, uint8_t>;

// A staff member on a plan with the audit log: their sign-ins come from it.
bool AuditSpeaksFor(const Dataset& ds, const User& u) {
  return ds.enterprise() && u.role != "end-user";
}

// The usage rows in the window, and (api_use) the users with a served
// last_login_at move in the window that is not login evidence.
// With `full_work`: the users who did in the window what a light agent cannot
// (a public comment, a ticket created or deleted, a field change; not through
// seatkeeper or Zendesk's own moves) or had a ticket assigned to them (by anyone).
UsageRows ComputeUsage(const Dataset& ds, const ServedLogins& served, int64_t now, int window_days,
                       const std::string& tz, std::set<int32_t>* api_use,
                       std::set<int32_t>* full_work = nullptr) {
  auto zone = sk::Zone::Named(tz);
  if (!zone.ok()) throw std::invalid_argument("unknown time zone " + tz);
  const sk::Zone& z = *zone;
  const sk::DayNumber today = z.DayOf(now);
  const sk::DayNumber first = today - window_days + 1;
  const int64_t start = z.StartOf(first);
  UsageRows rows;
  // Zone offsets and transitions are multiples of 15 minutes, so the civil day
  // is constant within each 900-second bucket: cache the last lookup.
  int64_t cached_bucket = INT64_MIN;
  sk::DayNumber cached_day = 0;
  auto day_of = [&](int64_t at) {
    const int64_t bucket = at >= 0 ? at / 900 : (at - 899) / 900;
    if (bucket != cached_bucket) {
      cached_bucket = bucket;
      cached_day = z.DayOf(bucket * 900);
    }
    return cached_day;
  };
  auto in_window = [&](int64_t at) {
    if (at < start || at > now) return false;
    const sk::DayNumber d = day_of(at);
    return d >= first && d <= today;
  };
  auto mark = [&](int64_t at, int32_t user, uint8_t bit) {
    if (user < 0 || !in_window(at)) return;
    rows[{day_of(at), ds.users[user].id}] |= bit;
  };
  for (const Event& e : ds.events) {
    if (full_work && in_window(e.at)) {
      if (e.assignee_to >= 0) full_work->insert(e.assignee_to);
      const bool beyond_light = e.kind != EventKind::kUpdate || e.status_to != kNoChange ||
                                e.assignee_to != kNoChange32 || ((e.flags & kComment) && (e.flags & kPublic));
      if (e.actor >= 0 && !(e.flags & (kSeatkeeper | kZendeskMove)) && beyond_light)
        full_work->insert(e.actor);
    }
    if (e.actor < 0 || (e.flags & (kSeatkeeper | kZendeskMove))) continue;
    mark(e.at, e.actor, kTicket);
  }
  for (const Article& a : ds.articles) mark(a.created_at, a.author, kArticle);
  if (ds.enterprise()) {
    for (const AuditRecord& r : ds.audit)
      if (r.action == AuditAction::kLogin) mark(r.at, r.actor, kLogin);
  }
  for (const auto& [user, values] : served) {
    if (user < 0 || user >= static_cast<int32_t>(ds.users.size()) || ds.users[user].api_caller) continue;
    const bool audited = AuditSpeaksFor(ds, ds.users[user]);
    for (int64_t t : values) {
      if (!audited) {
        mark(t, user, kLogin);
      } else if (api_use && in_window(t)) {
        api_use->insert(user);  // a sign-in would also be in the audit log (marked above)
      }
    }
  }
  return rows;
}

}  // namespace

nlohmann::json TruthUsersJson(const Dataset& ds, const ServedLogins& served, int64_t now, int window_days,
                              const std::string& tz) {
  std::set<int32_t> api_use, full_work;
  const UsageRows rows = ComputeUsage(ds, served, now, window_days, tz, &api_use, &full_work);
  std::set<int64_t> active;
  for (const auto& [key, bits] : rows) active.insert(key.second);
  nlohmann::json out = nlohmann::json::array();
  // The live groups the user belongs to while an active agent or admin (as /group_memberships lists them).
  std::unordered_map<int32_t, std::vector<int64_t>> member_of;
  for (const GroupMembership& m : ds.memberships)
    for (const Group& g : ds.groups)
      if (g.id == m.group_id && !g.deleted) member_of[m.user].push_back(g.id);
  auto groups_of = [&](int32_t i) {
    nlohmann::json ids = nlohmann::json::array();
    const User& u = ds.users[i];
    if (!u.active || u.role == "end-user") return ids;
    if (auto it = member_of.find(i); it != member_of.end())
      for (int64_t g : it->second) ids.push_back(g);
    return ids;
  };
  auto group_names = [&](int32_t i) {
    nlohmann::json names = nlohmann::json::array();
    for (const auto& id : groups_of(i))
      for (const Group& g : ds.groups)
        if (g.id == id) names.push_back(g.name);
    return names;
  };
  for (int32_t i = 0; i < static_cast<int32_t>(ds.users.size()); ++i) {
    const User& u = ds.users[i];
    nlohmann::json custom = nullptr;
    if (ds.enterprise() && u.custom_role_id) {
      if (const Role* r = ds.FindRole(u.custom_role_id)) custom = r->name;
    }
    out.push_back({{"id", u.id},
                   {"name", u.name},
                   {"email", u.email.empty() ? nlohmann::json(nullptr) : nlohmann::json(u.email)},
                   {"role", u.role},
                   {"license", LicenseName(u.license)},
                   {"seat", HoldsSeat(u.license) && u.active},  // a deleted user holds no seat
                   {"custom_role", custom},
                   {"suspended", u.suspended},
                   {"deleted", !u.active},
                   {"last_login_at", IsoOrNull(u.last_login_at)},
                   {"probable_integration", api_use.count(i) > 0 && active.count(u.id) == 0},
                   {"full_agent_work", full_work.count(i) > 0},
                   {"tags", u.tags},
                   {"group_ids", groups_of(i)},
                   {"groups", group_names(i)}});
  }
  return out;
}

nlohmann::json TruthUsageJson(const Dataset& ds, const ServedLogins& served, int64_t now, int window_days,
                              const std::string& tz) {
  const UsageRows rows = ComputeUsage(ds, served, now, window_days, tz, nullptr);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [key, bits] : rows) {
    nlohmann::json sources = nlohmann::json::array();
    if (bits & kLogin) sources.push_back("login");
    if (bits & kTicket) sources.push_back("ticket");
    if (bits & kArticle) sources.push_back("article");
    out.push_back({{"user_id", key.second}, {"date", sk::FormatDay(key.first)}, {"sources", std::move(sources)}});
  }
  return out;
}

}  // namespace zdsim
