#include "sync/provisional.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <map>

#include "sync/license.h"
#include "util/text.h"

namespace sk::sync {
namespace {

constexpr const char* kVerdictKey = "seats:provisional";
constexpr const char* kConfirmationKey = "seats:confirmation";
constexpr UnixTime kFreshSeconds = 3600;
constexpr int kTicketsPerCandidate = 3;  // of the 5 newest the search returns

// A budget from the environment (tests, diagnosis), else `fallback`.
int64_t EnvBudget(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const long long n = std::strtoll(v, &end, 10);
  return (end && *end == '\0' && n >= 0) ? n : fallback;
}

int64_t RequestsSoFar(const zendesk::Client& c) {
  int64_t n = 0;
  for (const auto& [k, v] : c.stats().requests_by_endpoint) n += v;
  return n;
}

// The latest piece of one kind of evidence of a user.
struct Found {
  UnixTime at = 0;
  std::string id;  // "audit_log:5151", ...
};

void KeepLatest(std::map<int64_t, Found>* m, int64_t user, UnixTime at, std::string id) {
  auto& f = (*m)[user];
  if (at > f.at) f = {at, std::move(id)};
}

class ProvisionalPass {
 public:
  explicit ProvisionalPass(SyncContext& ctx) : ctx_(ctx) {}

  Result<ProvisionalVerdict> Run() {
    const auto started = std::chrono::steady_clock::now();
    const int64_t requests0 = RequestsSoFar(*ctx_.client);
    caps_ = nlohmann::json::parse(ctx_.conn.capabilities_json, nullptr, false);
    audit_log_ = caps_.is_object() && caps_.value("audit_logs", false);
    v_.at = ctx_.now;
    v_.today = ctx_.today;
    v_.login_evidence = audit_log_ ? "audit_log" : "last_login_at";
    from_ = ctx_.zone.StartOf(ctx_.today - v_.days + 1);
    SK_RETURN_IF_ERROR(ReadStaff());
    if (audit_log_) SK_RETURN_IF_ERROR(ReadSignIns());
    if (caps_.is_object() && caps_.value("help_center", false)) SK_RETURN_IF_ERROR(ReadArticles());
    Decide();
    SK_RETURN_IF_ERROR(CheckCandidates());
    v_.requests = RequestsSoFar(*ctx_.client) - requests0;
    v_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return v_;
  }

 private:
  // Every staff member holding a paid seat, with last_login_at.
  Status ReadStaff() {
    std::map<int64_t, zendesk::CustomRole> roles;
    if (caps_.is_object() && caps_.value("custom_roles", false)) {
      SK_ASSIGN_OR_RETURN(auto list, ctx_.client->ListCustomRoles());
      for (auto& r : list) roles[r.id] = r;
    }
    std::string cursor;
    for (int64_t pages = 1;; ++pages) {
      SK_ASSIGN_OR_RETURN(auto page, ctx_.client->ListStaff(cursor));
      for (const auto& u : page.items) {
        if (!u.id) continue;
        const store::UserRecord r = ToRecord(u, roles, /*soft_deleted=*/false);
        if (!r.seat || r.deleted) continue;
        SeatVerdict s;
        s.user_id = r.id;
        s.name = r.name;
        s.email = r.email.value_or("");
        s.role = r.role;
        s.license = r.license;
        s.custom_role = r.custom_role;
        s.suspended = r.suspended;
        s.last_login_at = r.last_login_at;
        v_.seats.push_back(std::move(s));
      }
      ctx_.Report({"seat verdict: staff", pages, static_cast<int64_t>(v_.seats.size()), 0.2, -1});
      SK_ASSIGN_OR_RETURN(const bool more, NextCursor(page, &cursor, "the staff list"));
      if (!more) return Status::Ok();
    }
  }

  // The audit log's sign-ins of the period, newest first, within the page budget.
  Status ReadSignIns() {
    const int64_t budget = EnvBudget("SEATKEEPER_PROVISIONAL_AUDIT_PAGES", 1000);
    std::string cursor;
    UnixTime oldest = ctx_.now;
    for (int64_t pages = 0;; ++pages) {
      if (pages >= budget) {
        v_.sign_ins_from = oldest;  // not read before here
        spdlog::info("seat verdict: sign-ins read back to {} ({} pages)", FormatIso(oldest), pages);
        return Status::Ok();
      }
      SK_ASSIGN_OR_RETURN(auto page, ctx_.client->RecentLoginAuditLogs(from_, ctx_.now, cursor));
      for (const auto& r : page.items) {
        oldest = std::min(oldest, r.created_at);
        if (r.action != "login" || r.actor_id <= 0 || r.created_at < from_) continue;
        KeepLatest(&sign_ins_, r.actor_id, r.created_at, "audit_log:" + std::to_string(r.id));
      }
      ctx_.Report({"seat verdict: sign-ins", pages + 1, static_cast<int64_t>(sign_ins_.size()), 0.5, -1});
      SK_ASSIGN_OR_RETURN(const bool more, NextCursor(page, &cursor, "the audit log"));
      if (!more) break;
    }
    v_.sign_ins_from = from_;
    return Status::Ok();
  }

  // Articles created in the period (the incremental list of those changed since its start).
  Status ReadArticles() {
    UnixTime start = from_;
    for (int pages = 0; pages < 100 && start <= ctx_.now - 60; ++pages) {
      SK_ASSIGN_OR_RETURN(auto page, ctx_.client->IncrementalArticles(start));
      for (const auto& a : page.items)
        if (a.author_id && *a.author_id > 0 && a.created_at >= from_ && a.created_at <= ctx_.now)
          KeepLatest(&articles_, *a.author_id, a.created_at, "article:" + std::to_string(a.id));
      const UnixTime next = page.end_time > start ? page.end_time : start;
      if (page.end_of_stream || page.items.empty() || next == start) break;
      start = next;
    }
    return Status::Ok();
  }

  void SetActive(SeatVerdict& s, const std::string& what, UnixTime at, const std::string& id,
                 const std::string& note = "") {
    const DayNumber day = ctx_.zone.DayOf(at);
    s.verdict = kVerdictActive;
    s.evidence = what + " " + FormatDay(day) + note;
    s.evidence_ids = {id};
    s.evidence_day = day;
  }

  // Sign-ins, articles and last_login_at; the rest stay candidates.
  void Decide() {
    const auto connecting = ctx_.conn.connecting_user_id;
    for (auto& s : v_.seats) {
      s.verdict = kVerdictIdleCandidate;
      auto sign_in = sign_ins_.find(s.user_id);
      auto article = articles_.find(s.user_id);
      const UnixTime sign_in_at = sign_in == sign_ins_.end() ? 0 : sign_in->second.at;
      const UnixTime article_at = article == articles_.end() ? 0 : article->second.at;
      if (sign_in_at && sign_in_at >= article_at) {
        SetActive(s, store::kLoginLabelAudit, sign_in_at, sign_in->second.id);
        continue;
      }
      if (article_at) {
        SetActive(s, "article", article_at, article->second.id);
        continue;
      }
      const bool own = connecting && *connecting == s.user_id;  // seatkeeper's own requests move it
      if (own || !s.last_login_at || *s.last_login_at < from_ || *s.last_login_at > ctx_.now) continue;
      const std::string id = "last_login_at:" + FormatIso(*s.last_login_at);
      if (!audit_log_) {
        SetActive(s, store::kLoginLabelObserved, *s.last_login_at, id);
      } else if (v_.sign_ins_from && *s.last_login_at < *v_.sign_ins_from) {
        SetActive(s, store::kLoginLabelObserved, *s.last_login_at, id,
                  "; not confirmed: the audit log was read back to " + FormatIso(*v_.sign_ins_from));
      } else {
        api_use_[s.user_id] = {*s.last_login_at, id};  // the sign-ins read do not confirm it
      }
    }
  }

  // A ticket audit the user authored in the period, on the tickets they commented on lately.
  Result<std::optional<Found>> TicketEvidence(int64_t user) {
    const std::string since = FormatDay(ctx_.zone.DayOf(from_) - 1);  // a day early: the search's zone
    SK_ASSIGN_OR_RETURN(auto tickets, ctx_.client->SearchRecentTickets(
                                          "updated>=" + since + " commenter:" + std::to_string(user), 5));
    std::optional<Found> best;
    for (size_t i = 0; i < tickets.size() && i < kTicketsPerCandidate; ++i) {
      std::string cursor;
      for (int pages = 0; pages < 3; ++pages) {
        SK_ASSIGN_OR_RETURN(auto audits, ctx_.client->TicketAuditsOf(tickets[i].id, cursor));
        for (const auto& a : audits.items) {
          if (a.author_id != user || a.created_at < from_ || a.created_at > ctx_.now) continue;
          if (ctx_.IsOwnWrite(user, a.ticket_id, a.created_at)) continue;
          if (!best || a.created_at > best->at) best = Found{a.created_at, "audit:" + std::to_string(a.id)};
        }
        if (!audits.has_more || audits.after_cursor.empty() || audits.after_cursor == cursor) break;
        cursor = audits.after_cursor;
      }
    }
    return best;
  }

  Status CheckCandidates() {
    int64_t budget = EnvBudget("SEATKEEPER_PROVISIONAL_CHECKS", 1000);
    for (auto& s : v_.seats) {
      if (s.verdict == kVerdictActive) continue;
      if (!s.suspended && budget > 0) {
        --budget;
        ++v_.checked;
        s.checked = true;
        SK_ASSIGN_OR_RETURN(auto found, TicketEvidence(s.user_id));
        ctx_.Report({"seat verdict: candidates", v_.checked, v_.checked, 0.9, -1});
        if (found) {
          SetActive(s, "ticket", found->at, found->id);
          continue;
        }
      } else if (!s.suspended) {
        ++v_.unchecked;
      }
      if (auto api = api_use_.find(s.user_id); api != api_use_.end()) {
        s.verdict = kVerdictIntegration;
        s.evidence = "only API use: last_login_at " + FormatDay(ctx_.zone.DayOf(api->second.at));
        s.evidence_ids = {api->second.id};
      } else {
        s.evidence = s.suspended ? "suspended" : s.checked ? "" : "not checked for ticket activity";
      }
    }
    return Status::Ok();
  }

  SyncContext& ctx_;
  nlohmann::json caps_;
  bool audit_log_ = false;
  UnixTime from_ = 0;
  ProvisionalVerdict v_;
  std::map<int64_t, Found> sign_ins_, articles_, api_use_;
};

std::string VerdictWord(const std::string& v) {
  if (v == kVerdictIdleCandidate) return "an idle candidate";
  if (v == kVerdictIntegration) return "a probable integration";
  return v;
}

}  // namespace

nlohmann::json ToJson(const ProvisionalVerdict& v) {
  nlohmann::json seats = nlohmann::json::array();
  for (const auto& s : v.seats) {
    nlohmann::json j = {
        {"user_id", s.user_id},
        {"name", s.name},
        {"email", s.email},
        {"role", s.role},
        {"license", s.license},
        {"custom_role", s.custom_role ? nlohmann::json(*s.custom_role) : nlohmann::json()},
        {"suspended", s.suspended},
        {"last_login_at", s.last_login_at ? nlohmann::json(FormatIso(*s.last_login_at)) : nullptr},
        {"verdict", s.verdict},
        {"evidence", s.evidence},
        {"evidence_ids", s.evidence_ids},
        {"evidence_date", s.evidence_day ? nlohmann::json(FormatDay(*s.evidence_day)) : nullptr},
        {"checked", s.checked}};
    seats.push_back(std::move(j));
  }
  return {{"at", FormatIso(v.at)},
          {"today", FormatDay(v.today)},
          {"days", v.days},
          {"login_evidence", v.login_evidence},
          {"sign_ins_from", v.sign_ins_from ? nlohmann::json(FormatIso(*v.sign_ins_from)) : nullptr},
          {"checked", v.checked},
          {"unchecked", v.unchecked},
          {"requests", v.requests},
          {"seconds", v.seconds},
          {"seats", std::move(seats)}};
}

namespace {

std::optional<UnixTime> IsoOrNull(const nlohmann::json& j) {
  if (!j.is_string()) return std::nullopt;
  return ParseIso(j.get<std::string>());
}

ProvisionalVerdict VerdictFromJson(const nlohmann::json& j) {
  ProvisionalVerdict v;
  v.at = IsoOrNull(j.value("at", nlohmann::json())).value_or(0);
  v.today = ParseDay(j.value("today", std::string())).value_or(0);
  v.days = j.value("days", kProvisionalDays);
  v.login_evidence = j.value("login_evidence", std::string());
  v.sign_ins_from = IsoOrNull(j.value("sign_ins_from", nlohmann::json()));
  v.checked = j.value("checked", int64_t{0});
  v.unchecked = j.value("unchecked", int64_t{0});
  v.requests = j.value("requests", int64_t{0});
  v.seconds = j.value("seconds", 0.0);
  for (const auto& s : j.value("seats", nlohmann::json::array())) {
    SeatVerdict r;
    r.user_id = s.value("user_id", int64_t{0});
    r.name = s.value("name", std::string());
    r.email = s.value("email", std::string());
    r.role = s.value("role", std::string());
    r.license = s.value("license", std::string());
    if (s.contains("custom_role") && s["custom_role"].is_string()) r.custom_role = s["custom_role"];
    r.suspended = s.value("suspended", false);
    r.last_login_at = IsoOrNull(s.value("last_login_at", nlohmann::json()));
    r.verdict = s.value("verdict", std::string());
    r.evidence = s.value("evidence", std::string());
    r.evidence_ids = s.value("evidence_ids", std::vector<std::string>{});
    if (s.contains("evidence_date") && s["evidence_date"].is_string())
      r.evidence_day = ParseDay(s["evidence_date"].get<std::string>());
    r.checked = s.value("checked", false);
    v.seats.push_back(std::move(r));
  }
  return v;
}

}  // namespace

nlohmann::json ToJson(const VerdictConfirmation& c) {
  nlohmann::json changes = nlohmann::json::array();
  for (const auto& ch : c.changes)
    changes.push_back({{"user_id", ch.user_id},
                       {"name", ch.name},
                       {"provisional", ch.provisional},
                       {"provisional_evidence", ch.provisional_evidence},
                       {"confirmed", ch.confirmed},
                       {"confirmed_evidence", ch.confirmed_evidence},
                       {"summary", Describe(ch)}});
  return {{"provisional_at", FormatIso(c.provisional_at)},
          {"confirmed_at", FormatIso(c.confirmed_at)},
          {"compared", c.compared},
          {"unchanged", c.unchanged},
          {"changed", c.changes.size()},
          {"changes", std::move(changes)},
          {"new_seats", c.new_seats},
          {"gone_seats", c.gone_seats}};
}

nlohmann::json ConfirmationSummaryJson(const VerdictConfirmation& c) {
  return ToJson(c);
}

std::string Describe(const VerdictChange& c) {
  std::string out = "provisionally " + VerdictWord(c.provisional);
  if (!c.provisional_evidence.empty()) out += " (" + c.provisional_evidence + ")";
  out += ", confirmed " + VerdictWord(c.confirmed);
  if (!c.confirmed_evidence.empty()) out += ": " + c.confirmed_evidence;
  return out;
}

std::string ChangesText(const VerdictConfirmation& c, const std::string& separator) {
  if (c.changes.empty()) return ".\n";
  std::string out = separator + std::to_string(c.changes.size()) + " changed:\n";
  for (const auto& ch : c.changes)
    out += "  " + std::to_string(ch.user_id) + " " + TerminalSafe(ch.name) + ": " +
           TerminalSafe(Describe(ch)) + "\n";
  return out;
}

Result<ProvisionalVerdict> MakeProvisionalVerdict(SyncContext& ctx) {
  ProvisionalPass pass(ctx);
  SK_ASSIGN_OR_RETURN(ProvisionalVerdict v, pass.Run());
  SK_RETURN_IF_ERROR(ctx.store->PutValue(ctx.conn.account, kVerdictKey, ToJson(v).dump()));
  SK_RETURN_IF_ERROR(ctx.store->TakeValue(ctx.conn.account, kConfirmationKey).status());
  int64_t active = 0, idle = 0;
  for (const auto& s : v.seats) (s.verdict == kVerdictActive ? active : idle) += 1;
  spdlog::info(
      "provisional seat verdict: {} of {} paid seats active, {} not ({} candidates checked, {} not); "
      "{} requests, {:.1f} s",
      active, v.seats.size(), idle, v.checked, v.unchecked, v.requests, v.seconds);
  return v;
}

namespace {

// The JSON object stored under `key`; nullopt when there is none (or what is there is not an object).
Result<std::optional<nlohmann::json>> LoadObject(store::Store& store, const std::string& account,
                                                 const std::string& key) {
  SK_ASSIGN_OR_RETURN(auto text, store.GetValue(account, key));
  if (!text) return std::optional<nlohmann::json>();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object()) return std::optional<nlohmann::json>();
  return std::optional<nlohmann::json>(std::move(j));
}

}  // namespace

Result<std::optional<ProvisionalVerdict>> LoadProvisionalVerdict(store::Store& store,
                                                                 const std::string& account) {
  SK_ASSIGN_OR_RETURN(auto j, LoadObject(store, account, kVerdictKey));
  if (!j) return std::optional<ProvisionalVerdict>();
  return std::optional<ProvisionalVerdict>(VerdictFromJson(*j));
}

Result<std::optional<VerdictConfirmation>> LoadVerdictConfirmation(store::Store& store,
                                                                   const std::string& account) {
  SK_ASSIGN_OR_RETURN(auto loaded, LoadObject(store, account, kConfirmationKey));
  if (!loaded) return std::optional<VerdictConfirmation>();
  const nlohmann::json& j = *loaded;
  VerdictConfirmation c;
  c.provisional_at = IsoOrNull(j.value("provisional_at", nlohmann::json())).value_or(0);
  c.confirmed_at = IsoOrNull(j.value("confirmed_at", nlohmann::json())).value_or(0);
  c.compared = j.value("compared", int64_t{0});
  c.unchanged = j.value("unchanged", int64_t{0});
  c.new_seats = j.value("new_seats", int64_t{0});
  c.gone_seats = j.value("gone_seats", int64_t{0});
  for (const auto& ch : j.value("changes", nlohmann::json::array()))
    c.changes.push_back(
        {ch.value("user_id", int64_t{0}), ch.value("name", std::string()),
         ch.value("provisional", std::string()), ch.value("provisional_evidence", std::string()),
         ch.value("confirmed", std::string()), ch.value("confirmed_evidence", std::string())});
  return std::optional<VerdictConfirmation>(std::move(c));
}

void ProvisionalVerdictIfFirstSync(SyncContext& ctx) {
  if (ctx.conn.last_sync_at) return;  // a first sync only
  auto saved = LoadProvisionalVerdict(*ctx.store, ctx.conn.account);
  if (saved.ok() && *saved && (*saved)->at + kFreshSeconds > ctx.now && (*saved)->at <= ctx.now) return;
  auto made = MakeProvisionalVerdict(ctx);
  if (!made.ok()) spdlog::warn("provisional seat verdict not made: {}", made.status().message());
}

namespace {

// What the synced usage says of a seat, as `seats` shows it with --inactive-days `days`.
std::pair<std::string, std::string> ConfirmedVerdict(SyncContext& ctx, const store::UserWithUsage& u,
                                                     int days) {
  if (store::ProbableIntegration(u))
    return {kVerdictIntegration, "only API use in the window (" + std::to_string(u.api_use_days) +
                                     (u.api_use_days == 1 ? " day)" : " days)")};
  const DayNumber first = ctx.today - days + 1;
  if (u.last_active_day && *u.last_active_day >= first) {
    std::string evidence = "active " + FormatDay(*u.last_active_day);
    auto rows = ctx.store->Usage(ctx.conn.account, *u.last_active_day, *u.last_active_day, u.user.id);
    if (rows.ok() && !rows->empty()) {
      std::string ids;
      for (const auto& [kind, list] : rows->front().evidence)
        for (const auto& id : list) ids += (ids.empty() ? "" : " ") + id;
      if (!ids.empty()) evidence += " (" + ids + ")";
    }
    return {kVerdictActive, evidence};
  }
  return {kVerdictIdle, u.last_active_day ? "no activity since " + FormatDay(*u.last_active_day)
                                          : "no activity in the window"};
}

}  // namespace

Result<std::optional<VerdictConfirmation>> ConfirmSeatVerdicts(SyncContext& ctx) {
  SK_ASSIGN_OR_RETURN(auto provisional, LoadProvisionalVerdict(*ctx.store, ctx.conn.account));
  if (!provisional) return std::optional<VerdictConfirmation>();
  SK_ASSIGN_OR_RETURN(auto done, LoadVerdictConfirmation(*ctx.store, ctx.conn.account));
  if (done) return std::optional<VerdictConfirmation>();  // confirmed by an earlier sync
  store::UserFilter paid;
  paid.seat = true;
  paid.include_deleted = false;
  SK_ASSIGN_OR_RETURN(auto seats, ctx.store->ListUsers(ctx.conn.account, paid, ctx.first_day, ctx.today));
  std::map<int64_t, const store::UserWithUsage*> now;
  for (const auto& u : seats) now[u.user.id] = &u;
  VerdictConfirmation c;
  c.provisional_at = provisional->at;
  c.confirmed_at = ctx.now;
  for (const auto& s : provisional->seats) {
    auto it = now.find(s.user_id);
    if (it == now.end()) {
      ++c.gone_seats;
      continue;
    }
    ++c.compared;
    auto [verdict, evidence] = ConfirmedVerdict(ctx, *it->second, provisional->days);
    const std::string was = s.verdict == kVerdictIdleCandidate ? kVerdictIdle : s.verdict;
    if (verdict == was) {
      ++c.unchanged;
      continue;
    }
    c.changes.push_back({s.user_id, s.name, s.verdict, s.evidence, verdict, evidence});
  }
  for (const auto& s : provisional->seats) now.erase(s.user_id);
  c.new_seats = static_cast<int64_t>(now.size());
  SK_RETURN_IF_ERROR(ctx.store->PutValue(ctx.conn.account, kConfirmationKey, ToJson(c).dump()));
  spdlog::info("seat verdict confirmed: {} of {} provisional verdicts unchanged, {} changed", c.unchanged,
               c.compared, c.changes.size());
  for (const auto& ch : c.changes)
    spdlog::info("seat verdict changed: user {}: {}", ch.user_id, Describe(ch));
  return std::optional<VerdictConfirmation>(std::move(c));
}

}  // namespace sk::sync
