#include "store/domain.h"

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <nlohmann/json.hpp>

#include "store/audit_chain.h"

namespace sk::store {

std::optional<int64_t> KnownOwnerId(const Connection& c) {
  auto caps = nlohmann::json::parse(c.capabilities_json, nullptr, /*allow_exceptions=*/false);
  if (caps.is_object()) {
    auto it = caps.find("owner_id");
    if (it != caps.end() && it->is_number_integer()) return it->get<int64_t>();
  }
  return std::nullopt;
}

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kTicket:
      return "ticket";
    case Kind::kArticle:
      return "article";
    case Kind::kLoginAudit:
      return "login_audit";
    case Kind::kLoginObserved:
      return "login_observed";
    case Kind::kApiUse:
      return kApiUseKind;
    case Kind::kFullAgentWork:
      return kFullAgentWorkKind;
  }
  return "?";
}

const char* SourceOf(Kind k) {
  return k == Kind::kLoginAudit || k == Kind::kLoginObserved ? "login" : KindName(k);
}

int64_t WallMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace domain {
namespace {

std::optional<int64_t> OptNumber(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<int64_t>();
}

}  // namespace

std::string EncodeConnectionData(const Connection& c) {
  nlohmann::json j = {{"url", c.url},
                      {"auth_kind", c.auth_kind},
                      {"email", c.email},
                      {"client_id", c.client_id},
                      {"permission", c.permission},
                      {"timezone", c.timezone},
                      {"api_budget", c.api_budget},
                      {"window_days", c.window_days},
                      {"plan", c.plan},
                      {"connecting_user_email", c.connecting_user_email},
                      {"preflight", nlohmann::json::parse(c.preflight_json, nullptr, false)},
                      {"notify", nlohmann::json::parse(c.notify_json, nullptr, false)},
                      {"capabilities", nlohmann::json::parse(c.capabilities_json, nullptr, false)}};
  if (c.token_expires_at) j["token_expires_at"] = *c.token_expires_at;
  if (c.refresh_expires_at) j["refresh_expires_at"] = *c.refresh_expires_at;
  if (c.connecting_user_id) j["connecting_user_id"] = *c.connecting_user_id;
  if (c.last_sync_at) j["last_sync_at"] = *c.last_sync_at;
  if (c.connected_at) j["connected_at"] = *c.connected_at;
  return j.dump();
}

Status DecodeConnectionData(const std::string& data, Connection* c) {
  auto j = nlohmann::json::parse(data, nullptr, false);
  if (j.is_discarded()) return IoError("stored connection is damaged");
  c->url = j.value("url", "");
  c->auth_kind = j.value("auth_kind", "");
  c->email = j.value("email", "");
  c->client_id = j.value("client_id", "");
  c->token_expires_at = OptNumber(j, "token_expires_at");
  c->refresh_expires_at = OptNumber(j, "refresh_expires_at");
  c->permission = j.value("permission", "read");
  c->timezone = j.value("timezone", "UTC");
  c->api_budget = j.value("api_budget", 100);
  c->window_days = j.value("window_days", 90);
  c->plan = j.value("plan", "");
  c->connecting_user_id = OptNumber(j, "connecting_user_id");
  c->connecting_user_email = j.value("connecting_user_email", "");
  c->preflight_json = j.value("preflight", nlohmann::json::array()).dump();
  c->notify_json = j.value("notify", nlohmann::json::object()).dump();
  c->capabilities_json = j.value("capabilities", nlohmann::json::object()).dump();
  c->last_sync_at = OptNumber(j, "last_sync_at");
  c->connected_at = OptNumber(j, "connected_at");
  return Status::Ok();
}

Status DecodeTokenTimes(const std::string& data, OAuthTokens* t) {
  auto j = nlohmann::json::parse(data, nullptr, false);
  if (j.is_discarded()) return IoError("stored connection is damaged");
  if (auto v = OptNumber(j, "token_expires_at")) t->expires_at = *v;
  if (auto v = OptNumber(j, "refresh_expires_at")) t->refresh_expires_at = *v;
  return Status::Ok();
}

std::string SecretContext(const std::string& account, std::string_view column) {
  std::string out = account;
  out += '/';
  out += column;
  return out;
}

SealedSecrets SealSecrets(const SecretBox& box, const Connection& c) {
  SealedSecrets s{c.account, {}};
  const std::string* plain[] = {&c.secret, &c.refresh_token, &c.client_secret, &c.notify_secret};
  for (size_t i = 0; i < kSecretColumns.size(); ++i)
    s.values[i] = box.Seal(*plain[i], SecretContext(c.account, kSecretColumns[i]));
  return s;
}

Status OpenSecrets(const SecretBox& box, const SealedSecrets& sealed, Connection* c) {
  std::string* plain[] = {&c->secret, &c->refresh_token, &c->client_secret, &c->notify_secret};
  for (size_t i = 0; i < kSecretColumns.size(); ++i) {
    SK_ASSIGN_OR_RETURN(*plain[i],
                        box.Open(sealed.values[i], SecretContext(sealed.account, kSecretColumns[i])));
  }
  return Status::Ok();
}

Result<std::vector<SealedSecrets>> Reseal(const std::vector<SealedSecrets>& rows, const SecretBox& from,
                                          const SecretBox& to, int* secrets) {
  *secrets = 0;
  std::vector<SealedSecrets> out;
  for (const auto& r : rows) {
    SealedSecrets n{r.account, {}};
    for (size_t i = 0; i < kSecretColumns.size(); ++i) {
      const std::string ad = SecretContext(r.account, kSecretColumns[i]);
      SK_ASSIGN_OR_RETURN(std::string plain, from.Open(r.values[i], ad));
      n.values[i] = to.Seal(plain, ad);
      if (!plain.empty()) ++*secrets;
      sodium_memzero(plain.data(), plain.size());
    }
    out.push_back(std::move(n));
  }
  return out;
}

bool AllOpen(const std::vector<SealedSecrets>& rows, const SecretBox& box) {
  for (const auto& r : rows)
    for (size_t i = 0; i < kSecretColumns.size(); ++i)
      if (!box.Open(r.values[i], SecretContext(r.account, kSecretColumns[i])).ok()) return false;
  return true;
}

std::vector<FieldChange> UserChanges(const UserRecord& old, const UserRecord& now) {
  std::vector<FieldChange> out;
  auto note = [&](const char* field, const std::string& a, const std::string& b) {
    if (a != b) out.push_back({field, a, b});
  };
  auto flag = [](bool b) { return std::string(b ? "true" : "false"); };
  note("name", old.name, now.name);
  note("email", old.email.value_or(""), now.email.value_or(""));
  note("role", old.role, now.role);
  note("custom_role", old.custom_role.value_or(""), now.custom_role.value_or(""));
  note("license", old.license, now.license);
  note("suspended", flag(old.suspended), flag(now.suspended));
  note("deleted", old.deleted_kind, now.deleted_kind);
  return out;
}

std::optional<UnixTime> LastSyncOf(const std::string& data) {
  auto j = nlohmann::json::parse(data, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return OptNumber(j, "last_sync_at");
}

std::string JoinTags(const std::vector<std::string>& tags) {
  std::string out;
  for (const auto& t : tags) {
    if (t.empty()) continue;
    if (!out.empty()) out += ' ';
    out += t;
  }
  return out;
}

std::vector<std::string> SplitTags(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    const size_t end = std::min(s.find(' ', i), s.size());
    if (end > i) out.emplace_back(s.substr(i, end - i));
    i = end + 1;
  }
  return out;
}

Bucket BucketOf(const UserRecord& u) {
  return Bucket{u.license, u.seat && !u.deleted};
}

void PendingActivity::Add(const ActivityDelta& a) {
  count += a.count;
  for (const std::string& id : a.evidence) AddEvidence(&id);
}

Result<PendingRows> SumPageActivity(const Page& page,
                                    const std::function<Result<bool>(const std::string& key)>& first_time) {
  PendingRows rows;
  for (const auto& a : page.activity) rows[{a.day, a.user_id, a.kind}].Add(a);
  // The new once-only deltas per row, in the page's order (the keys are
  // recorded in that order: of one key twice, the first counts).
  std::map<ActivityKey, std::vector<const Page::Once*>> fresh_once;
  for (const auto& o : page.once) {
    SK_ASSIGN_OR_RETURN(bool fresh, first_time(o.key));
    if (fresh) fresh_once[{o.delta.day, o.delta.user_id, o.delta.kind}].push_back(&o);
  }
  // Each goes among its row's ids where Once::at says (its count, too).
  for (auto& [key, once] : fresh_once) {
    std::stable_sort(once.begin(), once.end(),
                     [](const Page::Once* a, const Page::Once* b) { return a->at < b->at; });
    PendingActivity& row = rows[key];
    const auto ids = row.evidence;
    const size_t n = row.ids;
    row.ids = 0;
    size_t next = 0;
    auto take_ids_before = [&](size_t at) {
      for (; next < n && next < at; ++next) row.AddEvidence(ids[next]);
    };
    for (const Page::Once* o : once) {
      take_ids_before(o->at);
      row.Add(o->delta);
    }
    take_ids_before(n);
  }
  return rows;
}

std::string JoinEvidence(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ',';
    out += s;
  }
  return out;
}

std::string JoinEvidence(const PendingActivity& row) {
  std::string out;
  for (size_t i = 0; i < row.ids; ++i) {
    if (!out.empty()) out += ',';
    out += *row.evidence[i];
  }
  return out;
}

std::vector<std::string> SplitEvidence(const std::string& s, size_t limit) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size() && out.size() < limit) {
    size_t c = s.find(',', pos);
    if (c == std::string::npos) c = s.size();
    if (c > pos) out.push_back(s.substr(pos, c - pos));
    pos = c + 1;
  }
  return out;
}

std::string JoinUserIds(const std::vector<UserRecord>& users) {
  std::string out;
  for (const auto& u : users) {
    if (!out.empty()) out += ',';
    out += std::to_string(u.id);
  }
  return out;
}

void SplitUserIds(std::string_view s, std::vector<int64_t>* out) {
  while (!s.empty()) {
    size_t c = s.find(',');
    std::string_view one = s.substr(0, c);
    int64_t id = 0;
    if (std::from_chars(one.data(), one.data() + one.size(), id).ec == std::errc()) out->push_back(id);
    s.remove_prefix(c == std::string_view::npos ? s.size() : c + 1);
  }
}

void AppendUsage(std::vector<UsageRow>* out, DayNumber day, int64_t user, const std::string& kind,
                 int64_t count, const std::string& evidence) {
  if (out->empty() || out->back().day != day || out->back().user_id != user) {
    out->emplace_back();
    out->back().day = day;
    out->back().user_id = user;
  }
  UsageRow* row = &out->back();
  row->evidence[kind] = SplitEvidence(evidence, kEvidenceCap);
  if (kind == kApiUseKind) {
    row->api_use += count;
    return;
  }
  if (kind == kFullAgentWorkKind) return;  // evidence kept, not a source
  std::string source = kind.rfind("login", 0) == 0 ? "login" : kind;
  row->sources.insert(source);
  row->counts[source] += count;
  if (kind == "login_audit") row->login_evidence.push_back("audit_log");
  if (kind == "login_observed") row->login_evidence.push_back("last_login_at");
}

void DropInactiveRows(std::vector<UsageRow>* rows) {
  rows->erase(std::remove_if(rows->begin(), rows->end(), [](const UsageRow& r) { return r.sources.empty(); }),
              rows->end());
}

std::vector<DaySummary> EmptySummaries(DayNumber from, DayNumber to, int paid_seats) {
  std::vector<DaySummary> out;
  for (DayNumber d = from; d <= to; ++d) {
    DaySummary ds;
    ds.day = d;
    ds.paid_seats = paid_seats;
    ds.idle_paid_seats = paid_seats;
    out.push_back(ds);
  }
  return out;
}

void AddSummaryRow(std::vector<DaySummary>* out, DayNumber from, DayNumber day, const std::string& license,
                   bool paid, int users) {
  auto& ds = (*out)[static_cast<size_t>(day - from)];
  ds.active_users += users;
  ds.by_license[license] += users;
  if (paid) ds.idle_paid_seats -= users;
}

std::string AuditListSql(const char* param) {
  return std::string(
             "SELECT COALESCE(a.revision_of, a.id), a.account, a.at, a.actor, a.action, a.target, "
             "a.before_json, "
             "a.after_json, a.result, a.detail FROM audit a WHERE a.account=") +
         param +
         " AND NOT EXISTS (SELECT 1 FROM audit b WHERE b.account = a.account AND b.revision_of = "
         "COALESCE(a.revision_of, a.id) AND b.id > a.id) ORDER BY COALESCE(a.revision_of, a.id)";
}

AuditLink NextLink(const AuditEntry& entry, int64_t revision_of, const std::optional<AuditHead>& head) {
  AuditLink l;
  l.entry = entry;
  if (l.entry.at == 0) l.entry.at = NowUnix();
  l.revision_of = revision_of;
  const int64_t last = head ? head->seq : 0;
  l.seq = last + 1;
  l.prev_hash = last > 0 ? head->hash : kGenesisHash;
  return l;
}

void SealLink(AuditLink* link, int64_t id) {
  link->entry.id = id;
  link->hash = LinkHash(*link);
}

AuditEntry Revised(const AuditLink& first, const std::string& result, const std::string& after_json,
                   const std::string& detail) {
  AuditEntry e = first.entry;
  e.result = result;
  e.after_json = after_json;
  e.detail = detail;
  return e;
}

}  // namespace domain
}  // namespace sk::store
