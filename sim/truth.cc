#include "truth.h"

#include <map>
#include <stdexcept>

#include "render.h"
#include "util/time.h"

namespace zdsim {

nlohmann::json TruthUsersJson(const Dataset& ds) {
  nlohmann::json out = nlohmann::json::array();
  for (const User& u : ds.users) {
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
                   {"last_login_at", IsoOrNull(u.last_login_at)}});
  }
  return out;
}

ServedLogins AssumeAllServed(const Dataset& ds) {
  ServedLogins s;
  for (int32_t i = 0; i < static_cast<int32_t>(ds.users.size()); ++i) {
    if (i == ds.admin || ds.users[i].api_caller || ds.users[i].last_login_at == kNull) continue;
    s[i].push_back(ds.users[i].last_login_at);
  }
  return s;
}

nlohmann::json TruthUsageJson(const Dataset& ds, const ServedLogins& served, int64_t now, int window_days,
                              const std::string& tz) {
  auto zone = sk::Zone::Named(tz);
  if (!zone.ok()) throw std::invalid_argument("unknown time zone " + tz);
  const sk::Zone& z = *zone;
  const sk::DayNumber today = z.DayOf(now);
  const sk::DayNumber first = today - window_days + 1;
  const int64_t start = z.StartOf(first);
  enum : uint8_t { kLogin = 1, kTicket = 2, kArticle = 4 };
  std::map<std::pair<sk::DayNumber, int64_t>, uint8_t> rows;
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
  auto mark = [&](int64_t at, int32_t user, uint8_t bit) {
    if (user < 0 || at < start || at > now) return;
    const sk::DayNumber d = day_of(at);
    if (d < first || d > today) return;
    rows[{d, ds.users[user].id}] |= bit;
  };
  for (const Event& e : ds.events) {
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
    for (int64_t t : values) mark(t, user, kLogin);
  }
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
