#include "core.h"

#include <algorithm>

#include "render.h"
#include "util/time.h"

namespace zdsim {

namespace {
int64_t InitialNow(const Options& o) { return o.now ? *o.now : sk::NowUnix(); }
}  // namespace

SimCore::SimCore(const Options& o)
    : opt(o),
      limiter(o.rate_window_seconds, o.rate_limits),
      latency(LatencyScale(o), o.latency_rtt_ms / 1000.0, o.seed),
      real_start(std::chrono::steady_clock::now()),
      start_(InitialNow(o)),
      fixed_(o.now.has_value()) {
  ds = std::make_unique<Dataset>(opt, start_);
  tokens.Seed(ds->admin, start_);
}

int64_t SimCore::Now() const {
  int64_t t = start_ + offset_;
  if (!fixed_) {
    t += std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - real_start).count();
  }
  return t;
}

void SimCore::Advance(int64_t seconds, bool activity) {
  if (seconds <= 0) return;
  const int64_t before = Now();
  jobs.Process(*ds, before, /*all=*/true);  // a queued job does not outlast the move
  offset_ += seconds;
  ds->Advance(before, Now(), activity);
  if (seconds >= opt.search_lag_seconds) ds->CatchUpIndex(/*all=*/true);
}

int SimCore::AccountLimit() const {
  if (opt.high_volume || opt.plan == "enterprise-plus") return 2500;
  if (opt.plan == "team") return 200;
  if (opt.plan == "professional") return 400;
  return 700;
}

int SimCore::IncrementalLimit() const { return (opt.high_volume || opt.plan == "enterprise-plus") ? 30 : 10; }
int SimCore::UsersCursorLimit() const { return (opt.high_volume || opt.plan == "enterprise-plus") ? 60 : 20; }

void SimCore::NoteServed(int32_t idx) {
  const User& u = ds->users[idx];
  if (u.last_login_at != kNull) {
    auto& v = served[idx];
    if (std::find(v.begin(), v.end(), u.last_login_at) == v.end()) v.push_back(u.last_login_at);
  }
}

void SimCore::ServeUser(JsonWriter& w, int32_t idx, const std::string& base) {
  NoteServed(idx);
  WriteUser(w, ds->users[idx], base);
}

nlohmann::json SimCore::ServeUser(int32_t idx, const std::string& base) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  ServeUser(w, idx, base);
  return nlohmann::json::parse(std::string_view(buf.GetString(), buf.GetSize()));
}

std::optional<std::string> SimCore::PatchUser(int32_t idx, const nlohmann::json& p, int32_t actor) {
  User& u = ds->users[idx];
  if (!p.is_object()) return "body must be an object";
  User next = u;
  try {
    if (p.contains("name")) {
      if (!p["name"].is_string() || p["name"].get<std::string>().empty()) return "Name: cannot be blank";
      next.name = p["name"].get<std::string>();
    }
    if (p.contains("email")) {
      const std::string e = p["email"].is_null() ? "" : p["email"].get<std::string>();
      const int32_t other = e.empty() ? -1 : ds->UserByEmail(e);
      if (other >= 0 && other != idx) return "Email: " + e + " is already being used by another user";
      next.email = e;
    }
    bool role_changed = false;
    if (p.contains("role")) {
      const std::string r = p["role"].get<std::string>();
      if (r != "end-user" && r != "agent" && r != "admin") return "Role: is invalid";
      role_changed = r != next.role;
      next.role = r;
      if (!p.contains("custom_role_id")) next.custom_role_id = 0;
    }
    if (p.contains("custom_role_id")) {
      if (p["custom_role_id"].is_null()) {
        next.custom_role_id = 0;
      } else {
        const int64_t rid = p["custom_role_id"].get<int64_t>();
        const Role* r = ds->FindRole(rid);
        if (!r) return "Custom role: is invalid";
        next.custom_role_id = rid;
        if (next.role == "end-user") next.role = "agent";  // documented promotion
        if (r->role_type == 4 || r->role_type == 5) next.role = "admin";
      }
      role_changed = true;
    }
    if (p.contains("suspended")) next.suspended = p["suspended"].get<bool>();
    if (p.contains("tags")) {  // replaces the tags; Zendesk keeps them lower case, once each
      next.tags.clear();
      for (const auto& t : p["tags"]) {
        std::string tag = t.get<std::string>();
        std::transform(tag.begin(), tag.end(), tag.begin(),
                       [](unsigned char ch) { return std::tolower(ch); });
        if (!tag.empty() && std::find(next.tags.begin(), next.tags.end(), tag) == next.tags.end())
          next.tags.push_back(tag);
      }
    }
    if (role_changed) {
      if (u.owner && next.role != "admin") return "owner";
      next.chat_only = false;
      ds->Relicense(next);
    }
  } catch (const std::exception& e) {
    return std::string("invalid value: ") + e.what();
  }
  const bool email_changed = next.email != u.email;
  const License old_license = u.license;
  u = next;
  u.updated_at = std::max(u.updated_at, Now());
  if (email_changed) ds->ReindexEmail(idx);
  if (ds->enterprise() && actor != kNobody) ds->AddAudit(Now(), actor, idx, AuditAction::kUpdate);
  if (opt.quirks.agent_change_moves_tickets && actor >= 0 && u.active) {
    auto assignable = [](License l) {
      return l != License::kEndUser && l != License::kLightAgent && l != License::kContributor;
    };
    if (assignable(old_license) && u.license == License::kEndUser) {
      MoveTicketsOf(idx, TicketMove::kToActor, actor);
    } else if (assignable(old_license) &&
               (u.license == License::kLightAgent || u.license == License::kContributor)) {
      MoveTicketsOf(idx, TicketMove::kUnassign, actor);
    }
  }
  return std::nullopt;
}

int SimCore::MoveTicketsOf(int32_t idx, TicketMove how, int32_t actor) {
  int moved = 0;
  const int64_t now = Now();
  for (int32_t i = 0; i < static_cast<int32_t>(ds->tickets.size()); ++i) {
    const Ticket& t = ds->tickets[i];
    if (!t.created || t.archived || t.assignee != idx) continue;
    if (t.status == static_cast<uint8_t>(Status::kClosed) ||
        t.status == static_cast<uint8_t>(Status::kDeleted))
      continue;
    const bool solved = t.status == static_cast<uint8_t>(Status::kSolved);
    const int32_t to = how == TicketMove::kToActor || solved ? actor : kNobody;
    ds->ApplyEvent(
        Event{now, i, actor, to, kNobody, EventKind::kUpdate, kNoChange, kNoChange, kZendeskMove, Via::kApi});
    ++moved;
  }
  return moved;
}

void SimCore::SoftDelete(int32_t idx, int32_t actor) {
  User& u = ds->users[idx];
  if (opt.quirks.agent_change_moves_tickets && actor >= 0 && u.active && u.license != License::kEndUser)
    MoveTicketsOf(idx, TicketMove::kToActor, actor);
  u.active = false;
  u.deleted_at = Now();
  u.updated_at = std::max(u.updated_at, Now());
  if (ds->enterprise() && actor != kNobody) ds->AddAudit(Now(), actor, idx, AuditAction::kDestroy);
}

void SimCore::PermanentDelete(int32_t idx, int32_t) {
  User& u = ds->users[idx];
  if (u.active) SoftDelete(idx, kNobody);
  u.scrubbed = true;
  u.name = "Permanently Deleted User";
  u.email.clear();
  u.updated_at = std::max(u.updated_at, Now());
}

void SimCore::SignIn(int32_t idx, int64_t at) {
  User& u = ds->users[idx];
  u.last_login_at = at;
  if (ds->enterprise() && u.license != License::kEndUser) ds->AddAudit(at, idx, idx, AuditAction::kLogin);
}

nlohmann::json SimCore::TicketsState(std::optional<int64_t> assignee_id) const {
  nlohmann::json out = nlohmann::json::array();
  int32_t want = kNobody;
  if (assignee_id) {
    want = ds->UserIndex(*assignee_id);
    if (want < 0) return out;
  }
  for (const Ticket& t : ds->tickets) {
    if (!t.created) continue;
    if (assignee_id && t.assignee != want) continue;
    out.push_back({{"id", t.id},
                   {"status", StatusName(t.status)},
                   {"assignee_id", UserRef(*ds, t.assignee)},
                   {"archived", t.archived}});
  }
  return out;
}

nlohmann::json SimCore::RequestsJson() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : requests) {
    out.push_back({{"method", r.method},
                   {"path", r.path},
                   {"status", r.status},
                   {"bucket", r.bucket.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.bucket)},
                   {"user_id", r.has_user ? nlohmann::json(r.user_id) : nlohmann::json(nullptr)},
                   {"at", Iso(r.at)},
                   {"elapsed_ms", r.elapsed_ms},
                   {"latency_ms", r.latency_ms}});
  }
  return out;
}

}  // namespace zdsim
