// What the store's rows mean, written once for every engine: the connection
// codec and its sealed columns, the user record and its change log, the
// activity a page adds (evidence capped), usage rows, day summaries, audit and
// claim rows. An engine file (sqlite_store.cc, postgres_store.cc) holds only
// its SQL and connection handling and calls these to turn rows into the
// store's types and back; a new engine adds SQL, not logic.
//
// Row readers are templates over the engine's row: anything with
// IsNull(i), Int(i), Text(i), OptInt(i) and OptText(i) for column i.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "store/secret_box.h"
#include "store/store.h"
#include "store/sync_queue.h"
#include "util/status.h"

namespace sk::store::domain {

// --- rows ---

// Column i of an engine's row into a field, by the field's type.
template <typename Row>
void ReadColumn(const Row& r, int i, std::string& v) {
  v = r.Text(i);
}
template <typename Row>
void ReadColumn(const Row& r, int i, std::optional<std::string>& v) {
  v = r.OptText(i);
}
template <typename Row>
void ReadColumn(const Row& r, int i, int64_t& v) {
  v = r.Int(i);
}
template <typename Row>
void ReadColumn(const Row& r, int i, int& v) {
  v = static_cast<int>(r.Int(i));
}
template <typename Row>
void ReadColumn(const Row& r, int i, bool& v) {
  v = r.Int(i) != 0;
}
template <typename Row>
void ReadColumn(const Row& r, int i, std::optional<int64_t>& v) {
  v = r.OptInt(i);
}
template <typename Row>
void ReadColumn(const Row& r, int i, std::optional<int>& v) {
  const auto x = r.OptInt(i);
  v = x ? std::optional<int>(static_cast<int>(*x)) : std::nullopt;
}
// users.tags: the tags joined by single spaces (a Zendesk tag never holds whitespace).
std::string JoinTags(const std::vector<std::string>& tags);
std::vector<std::string> SplitTags(std::string_view s);
template <typename Row>
void ReadColumn(const Row& r, int i, std::vector<std::string>& v) {
  v = SplitTags(r.OptText(i).value_or(""));
}

// A T read from the columns first, first + 1, ... of `r`, one member each in
// the order given: the row readers below name their columns this way.
template <typename T, typename Row, typename... M>
T ReadColumns(const Row& r, int first, M T::*... members) {
  T out;
  int i = first;
  (ReadColumn(r, i++, out.*members), ...);
  return out;
}

// --- connections ---

// The non-secret settings of `c` as the connections.data column holds them (JSON).
std::string EncodeConnectionData(const Connection& c);
// Fills the non-secret settings of `c` from a data column; kIo when it is damaged.
Status DecodeConnectionData(const std::string& data, Connection* c);
// The OAuth expiry times a data column holds (the rest of `t` is left alone).
Status DecodeTokenTimes(const std::string& data, OAuthTokens* t);

// The sealed columns of the connections table, in this order.
inline constexpr std::array<const char*, 4> kSecretColumns = {"secret", "refresh_token", "client_secret",
                                                              "notify_secret"};
// What a secret of `account` in `column` is sealed with (associated data): "account/column".
std::string SecretContext(const std::string& account, std::string_view column);

SealedSecrets SealSecrets(const SecretBox& box, const Connection& c);
// Opens the three sealed values into `c`'s secret fields.
Status OpenSecrets(const SecretBox& box, const SealedSecrets& sealed, Connection* c);

// Key rotation: every value of `rows` opened with `from` and sealed with
// `to`; `*secrets` counts the non-empty ones. Fails (changing nothing) when
// one does not open with `from`.
Result<std::vector<SealedSecrets>> Reseal(const std::vector<SealedSecrets>& rows, const SecretBox& from,
                                          const SecretBox& to, int* secrets);
// True when every value of `rows` opens with `box`.
bool AllOpen(const std::vector<SealedSecrets>& rows, const SecretBox& box);

// --- users ---

// The user columns every engine selects, aliased `u`, in ReadUser's order.
inline constexpr const char* kUserColumns =
    "SELECT u.id, u.name, u.email, u.role, u.role_type, u.custom_role_id, u.custom_role, u.license, u.seat, "
    "u.suspended, u.deleted, u.deleted_kind, u.last_login_at, u.created_at, u.updated_at, u.tags";
inline constexpr int kUserColumnCount = 16;

template <typename Row>
UserRecord ReadUser(const Row& r, int c = 0) {
  using U = UserRecord;
  return ReadColumns<U>(r, c, &U::id, &U::name, &U::email, &U::role, &U::role_type, &U::custom_role_id,
                        &U::custom_role, &U::license, &U::seat, &U::suspended, &U::deleted, &U::deleted_kind,
                        &U::last_login_at, &U::created_at, &U::updated_at, &U::tags);
}

// A ListUsers row: kUserColumns, then active days, last active day, API-use days.
template <typename Row>
UserWithUsage ReadUserWithUsage(const Row& r) {
  UserWithUsage u;
  u.user = ReadUser(r, 0);
  u.active_days = static_cast<int>(r.Int(kUserColumnCount));
  if (!r.IsNull(kUserColumnCount + 1))
    u.last_active_day = static_cast<DayNumber>(r.Int(kUserColumnCount + 1));
  u.api_use_days = static_cast<int>(r.Int(kUserColumnCount + 2));
  return u;
}

// A change of one field of a user, as user_changes records it.
struct FieldChange {
  const char* field;
  std::string old_value;
  std::string new_value;
};
// The recorded fields that differ between the stored `old` and the synced `now`.
std::vector<FieldChange> UserChanges(const UserRecord& old, const UserRecord& now);

// The previous sync's time as a connections.data column holds it (nullopt:
// none finished yet, or the column is damaged): the lower bound of a change
// a sync finds.
std::optional<UnixTime> LastSyncOf(const std::string& data);
// Seconds a change a sync finds is stamped with (`seen_at` unless the page
// says when its users were read) and its lower bound.
struct ChangeStamp {
  UnixTime at = 0;
  std::optional<UnixTime> since;
  std::string actor;
};

// Role history rows (Store::UserHistory).
inline constexpr const char* kUserChangeColumns =
    "SELECT user_id, at, since, field, old, new, actor FROM user_changes";
template <typename Row>
UserChange ReadUserChange(const Row& r) {
  UserChange c;
  c.user_id = r.Int(0);
  c.at = r.Int(1);
  c.since = r.OptInt(2);
  c.field = r.Text(3);
  c.old_value = r.Text(4);
  c.new_value = r.Text(5);
  c.actor = r.OptText(6).value_or("");
  return c;
}
inline constexpr const char* kUserAuditColumns =
    "SELECT id, user_id, at, action, actor_id, actor_name FROM user_audit_log";
template <typename Row>
UserAuditRecord ReadUserAudit(const Row& r) {
  return UserAuditRecord{r.Int(0), r.Int(1), r.Int(2), r.Text(3), r.OptInt(4), r.Text(5)};
}

// Where a user's active days count in day_summary: their license, and whether
// they hold a paid seat (a seat, not deleted).
struct Bucket {
  std::string license;
  bool paid = false;
  bool operator==(const Bucket&) const = default;
};
Bucket BucketOf(const UserRecord& u);

// --- activity ---

// How many evidence ids an activity row keeps (the first ones seen).
inline constexpr size_t kEvidenceCap = 5;

// Activity for one (day, user, kind) row of a page, summed before writing.
// Its evidence ids point at the page's strings (the rows live no longer than
// the page): a sync batch's page can hold most of a huge account's day, and
// copying its ids held them twice.
struct PendingActivity {
  int64_t count = 0;
  size_t ids = 0;                                           // evidence ids kept
  std::array<const std::string*, kEvidenceCap> evidence{};  // the first ids, in arrival order
  void Add(const ActivityDelta& a);
  void AddEvidence(const std::string* id) {
    if (ids < kEvidenceCap) evidence[ids++] = id;
  }
};
using ActivityKey = std::tuple<DayNumber, int64_t, Kind>;  // day, user, kind
using PendingRows = std::map<ActivityKey, PendingActivity>;

// A page's activity summed per (day, user, kind): all of `page.activity`, and
// each `page.once` whose key `first_time` (the engine recording the key)
// reports as new, its evidence placed among its row's ids as Page::Once::at
// says.
Result<PendingRows> SumPageActivity(const Page& page,
                                    const std::function<Result<bool>(const std::string& key)>& first_time);

// The activity table's evidence column: ids joined by commas (the ids never
// contain one). Split returns at most `limit` ids.
std::string JoinEvidence(const std::vector<std::string>& ids);
std::string JoinEvidence(const PendingActivity& row);
std::vector<std::string> SplitEvidence(const std::string& s, size_t limit);

// The user_pass table's ids column: the page's user ids joined by commas.
std::string JoinUserIds(const std::vector<UserRecord>& users);
// Appends the ids of one user_pass row to `out`.
void SplitUserIds(std::string_view s, std::vector<int64_t>* out);

// --- usage and summaries ---

// Adds one activity row (read ordered by day, user) to `out`: a new usage row
// when the day or user changes, else into the last one. An "api_use" row is
// kept as evidence only.
void AppendUsage(std::vector<UsageRow>* out, DayNumber day, int64_t user, const std::string& kind,
                 int64_t count, const std::string& evidence);
// Drops the rows that have no source (API use only): not active days.
void DropInactiveRows(std::vector<UsageRow>* rows);

// One summary per day of [from, to], every paid seat idle.
std::vector<DaySummary> EmptySummaries(DayNumber from, DayNumber to, int paid_seats);
// Counts one day_summary row (`users` active users of `license`, paid or not) into `out` (from
// EmptySummaries).
void AddSummaryRow(std::vector<DaySummary>* out, DayNumber from, DayNumber day, const std::string& license,
                   bool paid, int users);

// --- audit, claims, the sync queue ---

inline constexpr const char* kAuditColumns =
    "SELECT id, account, at, actor, action, target, before_json, after_json, result, detail FROM audit";
template <typename Row>
AuditEntry ReadAudit(const Row& r) {
  using A = AuditEntry;
  return ReadColumns<A>(r, 0, &A::id, &A::account, &A::at, &A::actor, &A::action, &A::target, &A::before_json,
                        &A::after_json, &A::result, &A::detail);
}

// ListAudit: each entry's latest row (its first row or its last revision),
// with the entry's id, oldest entry first; `param` is the engine's first
// placeholder ("?" or "$1"), the account.
std::string AuditListSql(const char* param);

// ReadAuditChain: every row of an account with its chain fields, in id order
// (ReadAuditLink's columns); then the head (ReadAuditHead's).
inline constexpr const char* kAuditLinkColumns =
    "SELECT id, account, at, actor, action, target, before_json, after_json, result, detail, revision_of, "
    "seq, "
    "prev_hash, hash FROM audit";
inline constexpr const char* kAuditHeadColumns = "SELECT seq, hash, legacy_max_id FROM audit_head";
template <typename Row>
AuditLink ReadAuditLink(const Row& r) {
  AuditLink l;
  l.entry = ReadAudit(r);
  l.revision_of = r.OptInt(10).value_or(0);
  l.seq = r.OptInt(11);
  l.prev_hash = r.OptText(12).value_or("");
  l.hash = r.OptText(13).value_or("");
  return l;
}
template <typename Row>
AuditHead ReadAuditHead(const Row& r) {
  return AuditHead{r.Int(0), r.Text(1), r.Int(2)};
}

// The row an engine appends to an account's chain whose head is `head`
// (nullopt: no row yet): `entry` (at 0 means now) at the next position,
// linked to the head's hash. Its hash needs its id: see SealLink.
AuditLink NextLink(const AuditEntry& entry, int64_t revision_of, const std::optional<AuditHead>& head);
// Sets `link->entry.id` (the id the engine gave the row) and its hash.
void SealLink(AuditLink* link, int64_t id);
// A revision of the entry whose first row is `first` (as read): its new
// result, after and detail.
AuditEntry Revised(const AuditLink& first, const std::string& result, const std::string& after_json,
                   const std::string& detail);

inline constexpr const char* kNotificationColumns =
    "SELECT id, account, key, channel, kind, subject, body, state, attempts, next_at, last_error, "
    "created_at, "
    "sent_at FROM notifications";
template <typename Row>
Notification ReadNotification(const Row& r) {
  using N = Notification;
  return ReadColumns<N>(r, 0, &N::id, &N::account, &N::key, &N::channel, &N::kind, &N::subject, &N::body,
                        &N::state, &N::attempts, &N::next_at, &N::last_error, &N::created_at, &N::sent_at);
}

inline constexpr const char* kClaimColumns =
    "SELECT request, owner, state, outcome, code, claimed_at, finished_at FROM action_claims";
template <typename Row>
ActionClaim ReadClaim(const std::string& key, const Row& r) {
  using C = ActionClaim;
  C c = ReadColumns<C>(r, 0, &C::request, &C::owner, &C::state, &C::outcome, &C::code, &C::claimed_at,
                       &C::finished_at);
  c.key = key;
  return c;
}

// A List row: account, url, state, last_sync_at, due, owner, expires_ms,
// successes, failures, last_result.
template <typename Row>
QueueEntry ReadQueueEntry(const Row& r) {
  using Q = QueueEntry;
  return ReadColumns<Q>(r, 0, &Q::account, &Q::url, &Q::state, &Q::last_sync_at, &Q::due, &Q::owner,
                        &Q::expires_ms, &Q::successes, &Q::failures, &Q::last_result);
}

inline constexpr const char* kSyncRunColumns =
    "SELECT id, account, owner, generation, started_ms, heartbeat_ms, finished_ms, result FROM sync_runs";
template <typename Row>
SyncRun ReadSyncRun(const Row& r) {
  using S = SyncRun;
  return ReadColumns<S>(r, 0, &S::id, &S::account, &S::owner, &S::generation, &S::started_ms,
                        &S::heartbeat_ms, &S::finished_ms, &S::result);
}

}  // namespace sk::store::domain
