#include "store/views.h"

#include <date/date.h>

#include <algorithm>
#include <climits>

#include "store/credential_warnings.h"

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
          {"last_active_date",
           u.last_active_day ? nlohmann::json(FormatDay(*u.last_active_day)) : nlohmann::json()},
          {"api_use_days", u.api_use_days},
          {"probable_integration", ProbableIntegration(u)}};
}

namespace {

// A JSON string as nlohmann dumps it (ensure_ascii off). Text that is not
// valid UTF-8 goes through nlohmann itself so the replacement is the same.
void AppendString(std::string* out, std::string_view s) {
  bool ascii = true;
  for (unsigned char c : s) ascii &= c < 0x80;
  if (!ascii) {
    *out += nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\b':
        *out += "\\b";
        break;
      case '\f':
        *out += "\\f";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (c < 0x20) {
          *out += "\\u00";
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xf]);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

void AppendDigits(std::string* out, unsigned v, int width) {
  char buf[4];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out->append(buf, static_cast<size_t>(width));
}

// "YYYY-MM-DD" as FormatDay writes it; false for years it prints differently.
bool AppendYmd(std::string* out, DayNumber d) {
  const date::year_month_day ymd{date::sys_days{date::days{d}}};
  const int y = static_cast<int>(ymd.year());
  if (y < 1000 || y > 9999) return false;
  AppendDigits(out, static_cast<unsigned>(y), 4);
  out->push_back('-');
  AppendDigits(out, static_cast<unsigned>(ymd.month()), 2);
  out->push_back('-');
  AppendDigits(out, static_cast<unsigned>(ymd.day()), 2);
  return true;
}

// A quoted FormatDay(d), without the stream formatting.
void AppendDay(std::string* out, DayNumber d) {
  const size_t mark = out->size();
  out->push_back('"');
  if (!AppendYmd(out, d)) {
    out->resize(mark);
    AppendString(out, FormatDay(d));
    return;
  }
  out->push_back('"');
}

// A quoted FormatIso(t), without the stream formatting.
void AppendIso(std::string* out, UnixTime t) {
  const size_t mark = out->size();
  const int64_t day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
  const int64_t sec = t - day * 86400;
  out->push_back('"');
  if (day < INT32_MIN || day > INT32_MAX || !AppendYmd(out, static_cast<DayNumber>(day))) {
    out->resize(mark);
    AppendString(out, FormatIso(t));
    return;
  }
  out->push_back('T');
  AppendDigits(out, static_cast<unsigned>(sec / 3600), 2);
  out->push_back(':');
  AppendDigits(out, static_cast<unsigned>(sec / 60 % 60), 2);
  out->push_back(':');
  AppendDigits(out, static_cast<unsigned>(sec % 60), 2);
  *out += "Z\"";
}

void AppendOptString(std::string* out, const std::optional<std::string>& s) {
  if (s) {
    AppendString(out, *s);
  } else {
    *out += "null";
  }
}

}  // namespace

void AppendUserJson(std::string* out, const UserWithUsage& u) {
  const UserRecord& r = u.user;
  // nlohmann objects keep their keys sorted: the same order here.
  *out += "{\"active_days\":";
  *out += std::to_string(u.active_days);
  *out += ",\"api_use_days\":";
  *out += std::to_string(u.api_use_days);
  *out += ",\"custom_role\":";
  AppendOptString(out, r.custom_role);
  *out += r.deleted ? ",\"deleted\":true" : ",\"deleted\":false";
  *out += ",\"email\":";
  AppendOptString(out, r.email);
  *out += ",\"id\":";
  *out += std::to_string(r.id);
  *out += ",\"last_active_date\":";
  if (u.last_active_day) {
    AppendDay(out, *u.last_active_day);
  } else {
    *out += "null";
  }
  *out += ",\"last_login_at\":";
  if (r.last_login_at) {
    AppendIso(out, *r.last_login_at);
  } else {
    *out += "null";
  }
  *out += ",\"license\":";
  AppendString(out, r.license);
  *out += ",\"name\":";
  AppendString(out, r.name);
  *out += ProbableIntegration(u) ? ",\"probable_integration\":true" : ",\"probable_integration\":false";
  *out += ",\"role\":";
  AppendString(out, r.role);
  *out += r.seat ? ",\"seat\":true" : ",\"seat\":false";
  *out += r.suspended ? ",\"suspended\":true}" : ",\"suspended\":false}";
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
  if (!r.login_evidence.empty()) {
    j["login_evidence"] = r.login_evidence;
    // A last_login_at move is "sign-in or API use"; only the audit log proves a sign-in.
    const bool audit =
        std::find(r.login_evidence.begin(), r.login_evidence.end(), "audit_log") != r.login_evidence.end();
    j["login_label"] = audit ? kLoginLabelAudit : kLoginLabelObserved;
  }
  if (r.api_use > 0) j["api_use"] = r.api_use;
  return j;
}

nlohmann::json StatusJson(const std::optional<Connection>& c) {
  if (!c) {
    return {{"state", "not-connected"},
            {"url", nullptr},
            {"permission", nullptr},
            {"plan", nullptr},
            {"last_sync_at", nullptr},
            {"error", nullptr},
            {"preflight", nlohmann::json::array()},
            {"warnings", nlohmann::json::array()}};
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
  j["warnings"] = CredentialWarnings(*c, NowUnix());
  return j;
}

nlohmann::json SummaryJson(const DaySummary& s) {
  return {{"date", FormatDay(s.day)},
          {"active_users", s.active_users},
          {"by_license", s.by_license},
          {"paid_seats", s.paid_seats},
          {"idle_paid_seats", s.idle_paid_seats}};
}

void AppendSummaryJson(std::string* out, const DaySummary& s) {
  *out += "{\"active_users\":";
  *out += std::to_string(s.active_users);
  *out += ",\"by_license\":{";
  bool first = true;
  for (const auto& [license, n] : s.by_license) {
    if (!first) out->push_back(',');
    first = false;
    AppendString(out, license);
    out->push_back(':');
    *out += std::to_string(n);
  }
  *out += "},\"date\":";
  AppendDay(out, s.day);
  *out += ",\"idle_paid_seats\":";
  *out += std::to_string(s.idle_paid_seats);
  *out += ",\"paid_seats\":";
  *out += std::to_string(s.paid_seats);
  out->push_back('}');
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
