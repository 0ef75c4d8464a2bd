#include "dataset.h"

#include <algorithm>
#include <cctype>

#include "credentials.h"

namespace zdsim {

namespace {

struct Name {
  const char* display;
  const char* slug;
};
constexpr Name kFirst[] = {
    {"José", "jose"},   {"Zoë", "zoe"},       {"Anna", "anna"},     {"Liam", "liam"},     {"Fatima", "fatima"},
    {"Björn", "bjorn"}, {"Chloé", "chloe"},   {"Mateo", "mateo"},   {"Aiko", "aiko"},     {"Noah", "noah"},
    {"Søren", "soren"}, {"Élodie", "elodie"}, {"Priya", "priya"},   {"Oliver", "oliver"}, {"Łukasz", "lukasz"},
    {"Mia", "mia"},     {"Çağla", "cagla"},   {"Jonas", "jonas"},   {"Grace", "grace"},   {"Ingrid", "ingrid"}};
constexpr Name kLast[] = {
    {"Müller", "muller"}, {"Ørsted", "orsted"}, {"García", "garcia"}, {"Smith", "smith"},   {"Nakamura", "nakamura"},
    {"Dubois", "dubois"}, {"Kowalski", "kowalski"}, {"Öztürk", "ozturk"}, {"Johnson", "johnson"}, {"Rossi", "rossi"},
    {"Fernández", "fernandez"}, {"Lindqvist", "lindqvist"}, {"Brown", "brown"}, {"Nguyễn", "nguyen"}, {"Svensson", "svensson"}};
struct Zone {
  const char* name;
  const char* iana;
};
constexpr Zone kZones[] = {{"Eastern Time (US & Canada)", "America/New_York"},
                           {"Berlin", "Europe/Berlin"},
                           {"UTC", "Etc/UTC"},
                           {"Tokyo", "Asia/Tokyo"}};

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

const char* LicenseName(License l) {
  switch (l) {
    case License::kAdmin: return "admin";
    case License::kAgent: return "agent";
    case License::kLightAgent: return "light-agent";
    case License::kContributor: return "contributor";
    case License::kBillingAdmin: return "billing-admin";
    case License::kChatAgent: return "chat-agent";
    case License::kEndUser: return "end-user";
  }
  return "end-user";
}

bool HoldsSeat(License l) {
  return l == License::kAdmin || l == License::kAgent || l == License::kBillingAdmin || l == License::kChatAgent;
}

int64_t GeneratedAt(const Ticket& t, int64_t now) {
  if (t.id % 3 != 0) return t.updated_at;
  const int64_t system_update =
      t.updated_at + 60 + static_cast<int64_t>((static_cast<uint64_t>(t.id) * 2654435761u) % 7141);
  return system_update <= now ? system_update : t.updated_at;
}

const char* AssigneeRefusal(const User& u) {
  if (u.role == "end-user" || !u.active) return "Assignee: is not an agent";
  if (u.license == License::kLightAgent || u.license == License::kContributor)
    return "Assignee: cannot be assigned tickets";
  return nullptr;
}

const char* StatusName(uint8_t s) {
  static const char* kNames[] = {"new", "open", "pending", "hold", "solved", "closed", "deleted"};
  return s < 7 ? kNames[s] : "open";
}

int StatusFromName(const std::string& s) {
  for (int i = 0; i < 7; ++i)
    if (s == StatusName(static_cast<uint8_t>(i))) return i;
  return -1;
}

const char* ViaName(Via v) {
  switch (v) {
    case Via::kWeb: return "Web form";
    case Via::kEmail: return "Mail";
    case Via::kApi: return "Web service";
    case Via::kRule: return "Rule";
  }
  return "Web form";
}

const char* ViaChannel(Via v) {
  switch (v) {
    case Via::kWeb: return "web";
    case Via::kEmail: return "email";
    case Via::kApi: return "api";
    case Via::kRule: return "rule";
  }
  return "web";
}

const char* AuditActionName(AuditAction a) {
  switch (a) {
    case AuditAction::kLogin: return "login";
    case AuditAction::kUpdate: return "update";
    case AuditAction::kDestroy: return "destroy";
    case AuditAction::kCreate: return "create";
  }
  return "update";
}

Dataset::Dataset(const Options& o, int64_t now) : opt_(o), enterprise_(IsEnterprise(o)) {
  Rng rng(o.seed);
  GenerateRoles(rng);
  GenerateUsers(rng, now);
  BuildPools();
  horizon_ = now - 300;
  const int64_t start = now - static_cast<int64_t>(opt_.days + 20) * kDay;
  PlanTickets(start, horizon_, rng);
  const size_t dated = tickets.size();  // sorted by creation time (edge tickets come after)
  PlaceEdgeEvents(now);
  PlanCastWork(start, horizon_, dated);
  SortPending();
  events.reserve(pending_.size());
  Materialize(horizon_);
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pending_pos_));
  pending_.shrink_to_fit();
  pending_pos_ = 0;
  PlanSignIns(start, horizon_, rng);
  PlanArticles(start, horizon_, opt_.articles, rng);
  Archive(now);
  if (opt_.quirks.search_index_lag && opt_.search_lag_seconds > 0) {
    index_lag_ = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(opt_.search_lag_seconds * opt_.rate_window_seconds / 60.0));
  }
}

const Ticket& Dataset::AsIndexed(int32_t ticket) const {
  auto it = unindexed_tickets_.find(ticket);
  if (it == unindexed_tickets_.end() || std::chrono::steady_clock::now() - it->second.changed >= index_lag_)
    return tickets[ticket];
  return it->second.as_indexed;
}

bool Dataset::UserIndexed(int32_t user) const {
  auto it = unindexed_users_.find(user);
  return it == unindexed_users_.end() || std::chrono::steady_clock::now() - it->second >= index_lag_;
}

void Dataset::CatchUpIndex(bool all) {
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(unindexed_tickets_,
                [&](const auto& e) { return all || now - e.second.changed >= index_lag_; });
  std::erase_if(unindexed_users_, [&](const auto& e) { return all || now - e.second >= index_lag_; });
}

void Dataset::GenerateRoles(Rng&) {
  const int64_t t = 1609840800;  // 2021-01-05
  int64_t id = 360000111111;
  auto add = [&](const char* name, const char* desc, int type, bool light) {
    roles.push_back(Role{id, name, desc, type, light, t});
    id += 11111;
  };
  add("Admin", "Can manage the account", 4, false);
  add("Light Agent", "Can view and add private comments", 1, true);
  add("Contributor", "Can view tickets and add private comments", 3, false);
  add("Billing Admin", "Manages billing", 5, false);
  add("Chat-only agent", "Chat only", 2, false);
  add("Staff", "Can edit tickets within their groups", 0, false);
  add("Tier 2 Support", "Escalation agents (custom role)", 0, false);
}

const Role* Dataset::FindRole(int64_t id) const {
  for (const auto& r : roles)
    if (r.id == id) return &r;
  return nullptr;
}

const Role* Dataset::RoleByName(const std::string& name) const {
  for (const auto& r : roles)
    if (r.name == name) return &r;
  return nullptr;
}

int64_t Dataset::NextUserId() const {
  return 360000000003 + static_cast<int64_t>(users.size()) * 7919;
}

int32_t Dataset::AddUser(User u) {
  u.id = NextUserId();
  const auto idx = static_cast<int32_t>(users.size());
  user_by_id_[u.id] = idx;
  if (!u.email.empty()) user_by_email_[Lower(u.email)] = idx;
  users.push_back(std::move(u));
  if (index_lag_.count() > 0) unindexed_users_[idx] = std::chrono::steady_clock::now();
  return idx;
}

void Dataset::ReindexEmail(int32_t idx) {
  if (!users[idx].email.empty()) user_by_email_[Lower(users[idx].email)] = idx;
}

int32_t Dataset::UserIndex(int64_t id) const {
  auto it = user_by_id_.find(id);
  return it == user_by_id_.end() ? -1 : it->second;
}

int32_t Dataset::UserByEmail(const std::string& email) const {
  auto it = user_by_email_.find(Lower(email));
  if (it == user_by_email_.end()) return -1;
  const User& u = users[it->second];
  if (u.scrubbed || Lower(u.email) != Lower(email)) return -1;
  return it->second;
}

int32_t Dataset::TicketIndex(int64_t id) const {
  if (id < 1 || id > static_cast<int64_t>(tickets.size())) return -1;
  const auto idx = static_cast<int32_t>(id - 1);
  return tickets[idx].created ? idx : -1;
}

int64_t Dataset::EventIndexFromId(int64_t id) const {
  const int64_t off = id - kEventIdBase;
  if (off < 0 || off % kEventIdStride != 0) return -1;
  const int64_t idx = off / kEventIdStride;
  return idx < static_cast<int64_t>(events.size()) ? idx : -1;
}

void Dataset::Relicense(User& u) const {
  const Role* r = u.custom_role_id ? FindRole(u.custom_role_id) : nullptr;
  if (u.role == "end-user") {
    u.license = License::kEndUser;
    u.role_type = -1;
    u.custom_role_id = 0;
  } else if (u.role == "admin") {
    u.license = (r && r->role_type == 5) ? License::kBillingAdmin : License::kAdmin;
    u.role_type = r ? r->role_type : 4;
    if (!r) {
      if (const Role* a = RoleByName("Admin")) u.custom_role_id = a->id;
    }
  } else {  // agent
    u.role_type = r ? r->role_type : -1;
    if (!r && enterprise_) {
      if (const Role* s = RoleByName("Staff")) {
        u.custom_role_id = s->id;
        u.role_type = 0;
      }
    }
    const int t = u.role_type;
    if (t == 1 || (r && r->light_agent)) u.license = License::kLightAgent;
    else if (t == 3) u.license = License::kContributor;
    else if (t == 2 || u.chat_only) u.license = License::kChatAgent;
    else u.license = License::kAgent;
    if (t == 4) u.license = License::kAdmin;
  }
  u.chat_only = u.license == License::kChatAgent;
}

void Dataset::GenerateUsers(Rng& rng, int64_t now) {
  const int agents = std::max(3, opt_.agents);
  const int total = std::max(agents, opt_.users);
  users.reserve(total + 16);
  const std::string sub = opt_.subdomain;
  const int64_t created_hi = now - static_cast<int64_t>(opt_.days + 25) * kDay;
  const int64_t created_lo = created_hi - 3 * 365 * kDay;
  const Role* admin_role = RoleByName("Admin");

  enum Kind { kOwnerK, kAdminK, kAgentK, kLightK, kContribK, kBillingK, kChatK, kCustomK, kSuspendedK, kEndK };
  // Small accounts get a plain agent and a light agent first, then the rarer kinds.
  static const Kind kPattern[] = {kAgentK, kLightK,   kAdminK,  kCustomK, kChatK,   kAgentK,
                                  kContribK, kLightK, kAgentK,  kSuspendedK, kCustomK, kAgentK,
                                  kLightK,  kAgentK,  kAdminK,  kAgentK};
  for (int i = 0; i < total; ++i) {
    User u;
    Kind kind;
    if (i == 0) kind = kOwnerK;
    else if (i == 1) kind = kAdminK;
    else if (i == 2) kind = kAgentK;
    else if (i == 3 && agents > 8) kind = kBillingK;
    else if (i < agents) kind = kPattern[(i - 4 + 16) % 16];
    else kind = kEndK;
    if (kind == kCustomK && !enterprise_) kind = kAgentK;

    const Name& f = kFirst[rng.Below(std::size(kFirst))];
    const Name& l = kLast[rng.Below(std::size(kLast))];
    u.name = std::string(f.display) + " " + l.display;
    std::string slug = std::string(f.slug) + "." + l.slug + "." + std::to_string(i);
    if (i == 4) { u.name = "José Müller"; slug = "jose.muller"; }
    if (i == 5) { u.name = "山田太郎"; slug = "taro.yamada"; }
    if (i == 6) { u.name = "Zoë Ørsted"; slug = "zoe.orsted"; }
    if (i == agents + 2) { u.name = "Émile Zoëga-Ñúñez"; slug = "emile.zoega." + std::to_string(i); }
    if (i == agents + 3) { u.name = "李小龍"; slug = "li.xiaolong." + std::to_string(i); }
    u.email = slug + (kind == kEndK ? "@example.com" : "@" + sub + ".test");
    if (i == 0) { u.name = "Olivia Owner"; u.email = OwnerEmail(sub); }
    if (i == 1) { u.name = "Adrian Admin"; u.email = AdminEmail(sub); }
    if (i == 2) { u.name = "Agnes Agent"; u.email = AgentEmail(sub); }

    u.created_at = rng.Range(created_lo, created_hi);
    u.updated_at = u.created_at;
    const Zone& z = kZones[rng.Below(std::size(kZones))];
    u.time_zone = z.name;
    u.iana_time_zone = z.iana;
    u.organization_id = kind == kEndK ? (rng.Chance(0.3) ? 360000200000 + rng.Range(0, 4) * 101 : 0) : 360000200000;
    u.default_group_id = kind == kEndK ? 0 : 360001234567;

    switch (kind) {
      case kOwnerK:
      case kAdminK:
        u.role = "admin";
        u.owner = kind == kOwnerK;
        u.custom_role_id = admin_role->id;
        break;
      case kBillingK:
        u.role = "admin";
        u.custom_role_id = RoleByName("Billing Admin")->id;
        break;
      case kAgentK:
      case kSuspendedK:
        u.role = "agent";
        u.suspended = kind == kSuspendedK;
        break;
      case kLightK:
        u.role = "agent";
        u.custom_role_id = RoleByName("Light Agent")->id;
        break;
      case kContribK:
        u.role = "agent";
        u.custom_role_id = RoleByName("Contributor")->id;
        break;
      case kChatK:
        u.role = "agent";
        u.chat_only = true;
        if (enterprise_) u.custom_role_id = RoleByName("Chat-only agent")->id;
        else u.role_type = 2;
        break;
      case kCustomK:
        u.role = "agent";
        u.custom_role_id = RoleByName("Tier 2 Support")->id;
        break;
      case kEndK:
        u.role = "end-user";
        break;
    }
    Relicense(u);
    if (kind == kChatK) { u.role_type = 2; u.chat_only = true; u.license = License::kChatAgent; }

    // Activity level drives sign-ins and ticket work.
    if (i == 0 || i == 2) u.activity = 2;
    else if (i == 1) u.activity = 1;
    else if (kind == kEndK) u.activity = 1;
    else {
      const auto r = rng.Below(100);
      u.activity = r < 15 ? 0 : r < 40 ? 1 : r < 85 ? 2 : 3;
    }
    if (u.suspended) u.activity = 0;

    // Deletions: forced examples plus a random share.
    bool soft = false, perm = false;
    if (i >= 7 && i < agents) {
      if (agents >= 12 && i == agents - 1) soft = true;
      else if (agents >= 12 && i == agents - 2) perm = true;
      else if (rng.Chance(0.03)) soft = true;
    } else if (i >= agents) {
      const int k = i - agents;
      if (total - agents >= 10 && k == 0) soft = true;
      else if (total - agents >= 10 && k == 1) perm = true;
      else if (rng.Chance(0.04)) (rng.Chance(0.25) ? perm : soft) = true;
    }
    if (soft || perm) {
      u.active = false;
      u.deleted_at = now - rng.Range(2 * kDay, 60 * kDay);
      u.updated_at = u.deleted_at;
      if (perm) {
        u.scrubbed = true;
        u.name = "Permanently Deleted User";
        u.email.clear();
      }
    } else {
      u.updated_at = std::min(now - 400, u.created_at + rng.Range(0, now - u.created_at));
    }
    AddUser(std::move(u));
  }
  AddIntegrationAgents(now);
  AddCast(now);
  AddGroupsAndTags();
}

void Dataset::AddGroupsAndTags() {
  // Support: the default group every agent and admin belongs to (their
  // default_group_id). Escalations: the private-notes cast member and every
  // seventh staff member; Tier 2: every fifth; Old Team: deleted, empty.
  const int64_t t = 1609840800;  // 2021-01-05
  groups = {{360001234567, "Support", false, true, t},
            {360001234568, "Escalations", false, false, t + 86400},
            {360001234569, "Tier 2", false, false, t + 2 * 86400},
            {360001234570, "Old Team", true, false, t + 3 * 86400}};
  for (int32_t i = 0; i < static_cast<int32_t>(users.size()); ++i) {
    User& u = users[i];
    if (u.role == "end-user") {
      if (i % 10 == 7) u.tags = {"newsletter"};
      continue;
    }
    const int64_t at = std::max(u.created_at, t + 4 * 86400);
    memberships.push_back({0, i, 360001234567, true, at});
    if (u.cast == kPrivateNotes || (!u.cast && !u.owner && i % 7 == 3)) AddMembership(i, 360001234568, at);
    if (!u.cast && i % 5 == 4) AddMembership(i, 360001234569, at);
    // Tags: the reader of the cast is a VIP; every sixth other staff member a contractor.
    if (u.cast == kReader)
      u.tags = {"vip"};
    else if (!u.cast && !u.owner && i % 6 == 5)
      u.tags = {"contractor"};
  }
  for (size_t k = 0; k < memberships.size(); ++k)
    memberships[k].id = 360009000000 + static_cast<int64_t>(k) * 7;
}

void Dataset::AddMembership(int32_t user, int64_t group_id, int64_t at) {
  const int64_t id = memberships.empty() ? 360009000000 : memberships.back().id + 7;
  memberships.push_back({id, user, group_id, false, at});
}

void Dataset::AddIntegrationAgents(int64_t now) {
  // Integration accounts: staff whose API token a tool uses every day; they
  // never sign in, so on plans with the audit log their only trace is
  // last_login_at (and updated_at) moving with API use (PlanSignIns). Added
  // after every other user, without the generation's random sequence, so the
  // rest of the account is the same as without them.
  const int n = std::max(3, opt_.agents) >= 12 ? 2 : 1;
  struct Spec {
    const char* name;
    const char* slug;
    const char* role;
  };
  static const Spec kSpecs[] = {{"Jira Integration", "jira.integration", "agent"},
                                {"Reporting Bot", "reporting.bot", "admin"}};
  for (int k = 0; k < n; ++k) {
    User u;
    u.name = kSpecs[k].name;
    u.email = std::string(kSpecs[k].slug) + "@" + opt_.subdomain + ".test";
    u.created_at = now - static_cast<int64_t>(opt_.days + 25 + 400 + 30 * k) * kDay;
    u.updated_at = u.created_at;
    u.organization_id = 360000200000;
    u.default_group_id = 360001234567;
    u.role = kSpecs[k].role;
    if (u.role == "admin") {
      if (const Role* a = RoleByName("Admin")) u.custom_role_id = a->id;
    }
    Relicense(u);
    u.activity = 0;
    u.integration = true;
    AddUser(std::move(u));
  }
}

void Dataset::AddCast(int64_t now) {
  // Full agents (paid seats) whose work decides a recommendation, after every
  // other user and without the generation's random sequence (the rest of the
  // account is the same as without them). Their activity: PlanCastWork
  // (tickets) and PlanSignIns (the reader's sign-ins).
  struct Spec {
    const char* name;
    const char* slug;
    Cast cast;
  };
  static const Spec kSpecs[] = {{"Nora Notes", "nora.notes", kPrivateNotes},
                                {"Rita Reader", "rita.reader", kReader},
                                {"Omar Onereply", "omar.onereply", kOneReply}};
  int k = 0;
  for (const Spec& spec : kSpecs) {
    User u;
    u.name = spec.name;
    u.email = std::string(spec.slug) + "@" + opt_.subdomain + ".test";
    u.created_at = now - static_cast<int64_t>(opt_.days + 25 + 300 + 17 * k++) * kDay;
    u.updated_at = u.created_at;
    u.organization_id = 360000200000;
    u.default_group_id = 360001234567;
    u.role = "agent";
    Relicense(u);
    u.activity = 0;  // in no generated pool: no other ticket work, no articles
    u.cast = spec.cast;
    AddUser(std::move(u));
  }
}

void Dataset::PlanCastWork(int64_t from, int64_t to, size_t dated) {
  if (dated == 0 || to <= from) return;
  Rng rng(opt_.seed ^ 0xCA57CA57);
  // A ticket created 10 minutes to 2 hours before `at` (usually still open;
  // Materialize drops an update of a closed or deleted ticket).
  auto ticket_before = [&](int64_t at) -> int32_t {
    auto it = std::lower_bound(tickets.begin(), tickets.begin() + static_cast<std::ptrdiff_t>(dated),
                               at - 2 * 3600, [](const Ticket& t, int64_t v) { return t.created_at < v; });
    const auto i = static_cast<int32_t>(it - tickets.begin());
    if (static_cast<size_t>(i) >= dated || tickets[i].created_at > at - 600) return -1;
    return i;
  };
  for (int32_t i = 0; i < static_cast<int32_t>(users.size()); ++i) {
    const uint8_t cast = users[i].cast;
    if (cast != kPrivateNotes && cast != kOneReply) continue;
    std::vector<int64_t> times;
    for (int64_t d = from / kDay; d <= to / kDay; ++d)
      if (rng.Chance(0.3)) times.push_back(d * kDay + rng.Range(8 * 3600, 18 * 3600));
    // The one public reply: 15 minutes after a ticket created about 15 days
    // before the end (no ticket is closed or deleted that soon).
    auto first =
        std::lower_bound(tickets.begin(), tickets.begin() + static_cast<std::ptrdiff_t>(dated),
                         to - 15 * kDay, [](const Ticket& t, int64_t v) { return t.created_at < v; });
    const auto reply_ticket = static_cast<int32_t>(first - tickets.begin());
    for (int64_t at : times) {
      if (at < from || at > to) continue;
      if (const int32_t t = ticket_before(at); t >= 0)
        pending_.push_back(Event{at, t, i, kNoChange32, kNobody, EventKind::kUpdate, kNoChange, kNoChange,
                                 kComment, Via::kWeb});
    }
    if (cast == kOneReply && static_cast<size_t>(reply_ticket) < dated &&
        tickets[reply_ticket].created_at + 900 <= to)
      pending_.push_back(Event{tickets[reply_ticket].created_at + 900, reply_ticket, i, kNoChange32, kNobody,
                               EventKind::kUpdate, kNoChange, kNoChange,
                               static_cast<uint8_t>(kComment | kPublic), Via::kWeb});
  }
}

void Dataset::AddAudit(int64_t at, int32_t actor, int32_t source, AuditAction action, uint8_t detail) {
  const int64_t id = 5151515151 + static_cast<int64_t>(audit.size()) * 3;
  if (!audit.empty() && at < audit.back().at) audit_sorted_ = false;
  audit.push_back(AuditRecord{id, at, actor, source, action, detail});
}

const std::vector<AuditRecord>& Dataset::SortedAudit() {
  if (!audit_sorted_) {
    std::sort(audit.begin(), audit.end(), [](const AuditRecord& a, const AuditRecord& b) {
      return a.at != b.at ? a.at < b.at : a.id < b.id;
    });
    audit_sorted_ = true;
  }
  return audit;
}

size_t Dataset::ApplyEvent(Event e) {
  Ticket& t = tickets[e.ticket];
  if (index_lag_.count() > 0) {
    // The index keeps the ticket as it was before its first unindexed change
    // until the lag has passed since the latest one.
    auto [it, fresh] = unindexed_tickets_.try_emplace(e.ticket, Unindexed{t, {}});
    if (!fresh && std::chrono::steady_clock::now() - it->second.changed >= index_lag_)
      it->second.as_indexed = t;
    it->second.changed = std::chrono::steady_clock::now();
  }
  if (e.kind == EventKind::kCreate) {
    t.created = true;
    e.status_from = kNoChange;
    e.assignee_from = kNobody;
  } else {
    e.status_from = t.status;
    e.assignee_from = t.assignee;
  }
  if (e.kind == EventKind::kDelete) {
    e.status_to = static_cast<uint8_t>(Status::kDeleted);
    t.previous_state = t.status;
    t.deleted_at = e.at;
    t.deleter = e.actor;
  }
  if (e.status_to != kNoChange) t.status = e.status_to;
  if (e.assignee_to != kNoChange32) t.assignee = e.assignee_to;
  if (e.status_to == e.status_from) e.status_to = kNoChange;
  if (e.assignee_to == e.assignee_from && e.kind != EventKind::kCreate) e.assignee_to = kNoChange32;
  t.updated_at = e.at;
  const size_t idx = events.size();
  events.push_back(e);
  if (ticket_events.size() < tickets.size()) ticket_events.resize(tickets.size());
  ticket_events[e.ticket].push_back(static_cast<int32_t>(idx));
  if ((e.flags & kComment) && e.actor >= 0) {
    if (commented.size() <= static_cast<size_t>(e.actor)) commented.resize(users.size());
    auto& mine = commented[static_cast<size_t>(e.actor)];
    if (mine.empty() || mine.back() != e.ticket) mine.push_back(e.ticket);
  }
  return idx;
}

void Dataset::SortPending() {
  // std::sort (no extra buffer, deterministic); ties keep creation first.
  std::sort(pending_.begin() + static_cast<std::ptrdiff_t>(pending_pos_), pending_.end(),
            [](const Event& a, const Event& b) {
              if (a.at != b.at) return a.at < b.at;
              if (a.ticket != b.ticket) return a.ticket < b.ticket;
              return a.kind == EventKind::kCreate && b.kind != EventKind::kCreate;
            });
}

void Dataset::Materialize(int64_t upto) {
  const int64_t floor = events.empty() ? INT64_MIN : events.back().at;
  while (pending_pos_ < pending_.size() && pending_[pending_pos_].at <= upto) {
    const Event e = pending_[pending_pos_++];
    if (e.at < floor) continue;  // would break time order (period skipped)
    const Ticket& t = tickets[e.ticket];
    if (e.kind != EventKind::kCreate) {
      if (!t.created || t.status == static_cast<uint8_t>(Status::kDeleted) ||
          t.status == static_cast<uint8_t>(Status::kClosed) || t.archived)
        continue;
    }
    ApplyEvent(e);
  }
  if (pending_pos_ > 4096 && pending_pos_ * 2 > pending_.size()) {
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pending_pos_));
    pending_pos_ = 0;
  }
}

void Dataset::Archive(int64_t now) {
  // Zendesk archives tickets closed for 120 days, sooner on very busy
  // accounts, after 3 days on sandboxes, and never a ticket with more than
  // 10,000 events (reference §6.6). The generator makes no ticket that large
  // (at most a dozen events), so the last rule only guards API-made ones.
  const int64_t after = static_cast<int64_t>(opt_.archive_after_days) * kDay;
  for (size_t i = 0; i < tickets.size(); ++i) {
    Ticket& t = tickets[i];
    if (t.created && !t.archived && t.status == static_cast<uint8_t>(Status::kClosed) &&
        t.updated_at < now - after && (i >= ticket_events.size() || ticket_events[i].size() <= 10000))
      t.archived = true;
  }
}

void Dataset::Advance(int64_t old_now, int64_t new_now, bool activity) {
  if (new_now <= old_now) return;
  const int64_t new_horizon = new_now - 300;
  if (!activity) {
    // The skipped period stays empty: drop what was planned in it.
    while (pending_pos_ < pending_.size() && pending_[pending_pos_].at <= new_horizon) ++pending_pos_;
    horizon_ = std::max(horizon_, new_horizon);
    return;
  }
  Rng rng(opt_.seed ^ Mix(++advance_seq_) ^ static_cast<uint64_t>(old_now));
  const int64_t from = std::max(horizon_, old_now);
  if (new_horizon > from) {
    const size_t before = pending_.size();
    PlanTickets(from + 1, new_horizon, rng);
    if (pending_.size() != before) SortPending();
    PlanSignIns(from + 1, new_horizon, rng);
    PlanArticles(from + 1, new_horizon,
                 static_cast<double>(opt_.articles) * static_cast<double>(new_horizon - from) /
                     (static_cast<double>(opt_.days + 20) * kDay),
                 rng);
  }
  Materialize(new_horizon);
  horizon_ = std::max(horizon_, new_horizon);
  Archive(new_now);
}

}  // namespace zdsim
