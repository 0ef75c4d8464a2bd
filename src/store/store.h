// The store: everything seatkeeper knows about its Zendesk accounts — the
// connection (credentials encrypted at rest), the user inventory, per-user
// per-day activity, sync checkpoints and the audit trail of actions.
//
// One interface, several engines (SQLite embedded by default). Every method
// is atomic; ApplyPage() commits a page of data together with the checkpoint
// that produced it, so an interrupted sync resumes without double counting.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "util/status.h"
#include "util/time.h"

namespace sk::store {

// Whether `name` can name an account (the CLI's --account/--name, the web
// API's ?account=): 1 to 64 characters, each a letter, digit, '.', '_', '-'
// or '@', the first a letter or digit.
inline bool ValidAccountName(const std::string& name) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (name.empty() || name.size() > 64 || !alnum(name[0])) return false;
  for (char c : name)
    if (!alnum(c) && c != '.' && c != '_' && c != '-' && c != '@') return false;
  return true;
}
inline constexpr const char* kAccountNameRule =
    "1 to 64 letters, digits, '.', '_', '-' or '@', starting with a letter or digit";

struct Connection {
  std::string account = "default";
  std::string url;        // validated base URL
  std::string auth_kind;  // "oauth" | "client_credentials" | "api_token"
  std::string email;      // api_token
  std::string client_id;  // client_credentials / oauth refresh
  // Secrets: plain in memory, encrypted by the store at rest.
  std::string secret;         // access token, API token or client secret
  std::string refresh_token;  // oauth (rotating)
  std::string client_secret;  // oauth refresh
  std::optional<UnixTime> token_expires_at;
  std::optional<UnixTime> refresh_expires_at;  // oauth: when the refresh token lapses (unknown: never)
  std::string permission = "read";  // "read" | "read-write"
  std::string timezone = "UTC";
  int api_budget = 100;
  int window_days = 90;
  std::string state = "not-connected";  // not-connected | connected | syncing | synced | error
  std::string error;                    // reason and fix when state == error
  std::string plan;                     // team | professional | enterprise | enterprise-plus | unknown
  std::optional<int64_t> connecting_user_id;
  std::string connecting_user_email;
  std::string preflight_json = "[]";  // [{"check","ok","detail"}]
  std::string capabilities_json =
      "{}";  // probe results: {"audit_logs":bool,"custom_roles":bool,"help_center":bool,...}
  std::optional<UnixTime> last_sync_at;
  std::optional<UnixTime> connected_at;
  // Notifications (src/notify): the channels' settings (JSON, no secrets) and
  // their secrets (JSON: webhook_url, smtp_password), sealed at rest.
  std::string notify_json = "{}";
  std::string notify_secret;
};

// The account owner's Zendesk user id when the connection's capabilities name
// it ("owner_id"), else nullopt.
std::optional<int64_t> KnownOwnerId(const Connection& c);

struct UserRecord {
  int64_t id = 0;
  std::string name;
  std::optional<std::string> email;
  std::string role;
  std::optional<int> role_type;
  std::optional<int64_t> custom_role_id;
  std::optional<std::string> custom_role;  // name, when known
  std::string license;                     // spec §3
  bool seat = false;
  bool suspended = false;
  bool deleted = false;
  std::string deleted_kind;  // "" | "soft" | "permanent"
  std::optional<UnixTime> last_login_at;
  UnixTime created_at = 0;
  UnixTime updated_at = 0;
  // Zendesk's tags of the user, lower case (reclaim policies' --exempt-tags).
  std::vector<std::string> tags;
  bool operator==(const UserRecord&) const = default;
};

// Activity kinds as stored; reported sources are ticket, article, login.
// kLoginObserved: a last_login_at value seen in the window ("sign-in or API
// use"). kApiUse ("api_use"): such a move of a staff member on a plan with the
// audit log, which speaks for their sign-ins — evidence kept, but never an
// active day (PRODUCT §4 item 1).
//
// kFullAgentWork ("full_agent_work"): on that day the user did something on a
// ticket that a light agent cannot do (a public comment, a field change, a
// ticket created or deleted) or had a ticket assigned to them (reference §5.2:
// light agents add private comments only). Evidence for the recommendations
// report, never an active day by itself: the same update is also counted as
// the user's kTicket activity (an assignment by someone else is not theirs).
enum class Kind { kTicket, kArticle, kLoginAudit, kLoginObserved, kApiUse, kFullAgentWork };
const char* KindName(Kind k);
const char* SourceOf(Kind k);  // "ticket" | "article" | "login" | "api_use" (not a source)
inline constexpr const char* kApiUseKind = "api_use";
inline constexpr const char* kFullAgentWorkKind = "full_agent_work";
// Whether a row of kind `k` makes its user active that day (not kApiUse, not kFullAgentWork).
inline bool CountsAsActive(Kind k) {
  return k != Kind::kApiUse && k != Kind::kFullAgentWork;
}
// How a login day's evidence is labelled: "sign-in" when the audit log shows
// one, else "sign-in or API use" (a last_login_at move).
inline constexpr const char* kLoginLabelAudit = "sign-in";
inline constexpr const char* kLoginLabelObserved = "sign-in or API use";

// Activity to add for one user on one day (counts add up; evidence keeps the first few ids).
struct ActivityDelta {
  int64_t user_id = 0;
  DayNumber day = 0;
  Kind kind = Kind::kTicket;
  int64_t count = 0;
  std::vector<std::string> evidence;
};

// A record of Zendesk's audit log about a change to a user (source_type
// "user", action "update" or "destroy"; Enterprise plans): who made a change
// and when. Its change_description is not documented word for word, so it is
// not kept: a record says that the user was changed, not what changed.
struct UserAuditRecord {
  int64_t id = 0;
  int64_t user_id = 0;
  UnixTime at = 0;
  std::string action;               // "update" | "destroy"
  std::optional<int64_t> actor_id;  // nullopt or -1: Zendesk itself
  std::string actor_name;
};

// One recorded change of a user field, as a sync or one of seatkeeper's own
// actions saw it (user_changes).
struct UserChange {
  int64_t user_id = 0;
  UnixTime at = 0;                // when it was seen (a sync) or made (an action)
  std::optional<UnixTime> since;  // a sync's: the previous sync, when the old value was still known
  std::string field;              // role, custom_role, license, suspended, deleted, name, email
  std::string old_value, new_value;
  std::string actor;  // seatkeeper's own action: its actor ("cli:root"); else ""
};

// A page of sync results committed atomically with its checkpoint.
struct Page {
  std::vector<ActivityDelta> activity;
  std::vector<UserRecord> users;  // upserted; changes recorded in user_changes
  // Activity that must count once however often it is reported (a ticket
  // deletion seen in both ticket events and deleted tickets, an observed
  // last_login_at value, an article): applied only the first time its key is seen.
  struct Once {
    std::string key;  // e.g. "deleted:123", "login:42:1700000000", "article:9"
    ActivityDelta delta;
    // Where its evidence goes, if the key is new: after the first `at` ids
    // `activity` gives its (user, day, kind) row (default: after all of
    // them; several at one place keep their order here). A batch of pages
    // applied as one page sets it to where the delta's own page ended, so
    // that the batch stores the same evidence ids, in the same order, as its
    // pages applied one by one.
    size_t at = kAfterActivity;
    static constexpr size_t kAfterActivity = static_cast<size_t>(-1);
  };
  std::vector<Once> once;
  // Users in `users` are stamped with this run id; see MarkUnseenUsersDeleted.
  std::string run_id;
  std::map<std::string, std::string> checkpoints;  // source key -> opaque value
  // When the changes of `users` are stamped (default: ApplyPage's seen_at):
  // a sync's page, when its users were read. A change a sync finds is
  // recorded as made after the account's previous sync (UserChange::since).
  std::optional<UnixTime> changes_at;
  // Set when seatkeeper's own action made the changes (its actor): recorded
  // as made at changes_at by that actor, with no since.
  std::string changed_by;
  // The audit log's records of user changes (kept once per id).
  std::vector<UserAuditRecord> user_audit;
};

struct UsageRow {
  int64_t user_id = 0;
  DayNumber day = 0;
  std::set<std::string> sources;                             // ticket, article, login
  std::map<std::string, int64_t> counts;                     // per source
  std::map<std::string, std::vector<std::string>> evidence;  // per kind name
  std::vector<std::string> login_evidence;                   // "audit_log" and/or "last_login_at"
  // last_login_at moves that day kept as API use (kApiUse): evidence["api_use"].
  int64_t api_use = 0;
};

// One stored activity row of one kind: a user's count and first evidence ids on a day.
struct KindDay {
  int64_t user_id = 0;
  DayNumber day = 0;
  int64_t count = 0;
  std::vector<std::string> evidence;
};

struct UserFilter {
  std::optional<std::string> role;
  std::optional<std::string> license;
  std::optional<bool> seat;
  std::optional<int> inactive_days;  // no activity in the last N days
  bool include_deleted = true;
  std::string search;  // substring of name/email
  std::optional<int64_t> after_id;
  int limit = 0;  // 0 = all
};

struct UserWithUsage {
  UserRecord user;
  int active_days = 0;  // in the window
  std::optional<DayNumber> last_active_day;
  int api_use_days = 0;  // days in the window with API use (Kind::kApiUse) only as evidence
};

// A staff member whose only activity in the window is API use: probably an
// integration's account, neither an idle person nor an active one.
inline bool ProbableIntegration(const UserWithUsage& u) {
  return u.api_use_days > 0 && u.active_days == 0 && u.user.role != "end-user";
}

struct DaySummary {
  DayNumber day = 0;
  int active_users = 0;
  std::map<std::string, int> by_license;
  int paid_seats = 0;
  int idle_paid_seats = 0;  // paid seats without activity that day
};

struct AuditEntry {
  int64_t id = 0;
  std::string account;
  UnixTime at = 0;
  std::string actor;   // "cli:root", "web:admin"
  std::string action;  // "user.create", "user.delete", ...
  std::string target;  // user id, ticket list, ...
  std::string before_json = "null";
  std::string after_json = "null";
  std::string result;  // "ok" | "dry-run" | "refused" | "failed" | "started"
  std::string detail;
};

// One row of the audit table with its hash-chain fields (store/audit_chain.h
// says what is hashed and how a chain is checked).
struct AuditLink {
  AuditEntry entry;            // entry.id is the row's own id
  int64_t revision_of = 0;     // 0: an entry's first row; else that first row's id
  std::optional<int64_t> seq;  // position in the account's chain; nullopt: a row from before the chain
  std::string prev_hash;
  std::string hash;
};

// An account's chain head (the audit_head row): the last position and hash.
struct AuditHead {
  int64_t seq = 0;
  std::string hash;
  int64_t legacy_max_id = 0;  // rows up to this id were written before the chain existed
};

// Every audit row of an account, in id order, and its head (nullopt: none).
struct AuditChain {
  std::vector<AuditLink> links;
  std::optional<AuditHead> head;
};

// An action request's idempotency claim: the first process to claim a key
// (per account) runs the action; every other request with that key sees the
// claim, and once it is done the first run's answer, instead of acting again.
struct ActionClaim {
  std::string key;                // the caller's Idempotency-Key
  std::string request;            // what was asked (action and parameters, JSON)
  std::string owner;              // who holds it ("web:host:pid", "cli:host:pid")
  std::string state = "running";  // "running" | "done"
  std::string outcome;            // the first run's answer (JSON) once done
  int code = 0;                   // the first run's sk::Code once done (0 = ok)
  UnixTime claimed_at = 0;
  std::optional<UnixTime> finished_at;
};

// An OAuth token pair as stored for a connection.
struct OAuthTokens {
  std::string access;
  std::string refresh;
  std::optional<UnixTime> expires_at;
  std::optional<UnixTime> refresh_expires_at;
};

// What Store::RotateTokens did: `tokens` is the pair to use from now on;
// `rotated` says whether this call refreshed it (else another process had).
struct TokenRotation {
  OAuthTokens tokens;
  bool rotated = false;
};

// One connection's sealed secret columns as stored (secret, refresh_token,
// client_secret, notify_secret: domain::kSecretColumns), for key rotation.
struct SealedSecrets {
  std::string account;
  std::array<std::string, 4> values;
};

// One message to one channel (src/notify): queued once per (account, key,
// channel), delivered with retries; `body` holds names, counts and links only.
struct Notification {
  int64_t id = 0;
  std::string account;
  std::string key;      // what it is about, once: "action:42", "sync-failed:…", "digest:2026-W49"
  std::string channel;  // "webhook" | "email"
  std::string kind;     // "action.done", "action.failed", "sync.failed", "digest", "test", ...
  std::string subject;
  std::string body;
  std::string state = "pending";  // pending | sent | failed (gave up)
  int64_t attempts = 0;
  UnixTime next_at = 0;  // when it is due (pending), or the claim's lease
  std::string last_error;
  UnixTime created_at = 0;
  std::optional<UnixTime> sent_at;
};

// What Store::ResealSecrets re-sealed.
struct ResealCount {
  int64_t accounts = 0;
  int secrets = 0;  // non-empty values
};

class SecretBox;

class Store {
 public:
  virtual ~Store() = default;

  // A cheap round trip proving the database answers (GET /healthz); the
  // error says why not.
  virtual Status Ping() { return GetValue("", "ping").status(); }

  virtual Result<std::optional<Connection>> GetConnection(const std::string& account) = 0;
  virtual Status PutConnection(const Connection& c) = 0;
  // Replaces the stored OAuth tokens atomically (refresh tokens are single use).
  virtual Status SaveTokens(const std::string& account, const std::string& access, const std::string& refresh,
                            std::optional<UnixTime> expires_at) = 0;
  // Refreshes the account's rotating OAuth tokens at most once across every
  // process sharing the store (a compare-and-swap under a lock on the
  // connection): while the stored refresh token is still `used_refresh`, calls
  // `rotate` (the one refresh request to Zendesk) and stores its answer
  // before returning it; when another process has already rotated it, returns
  // the stored pair without calling `rotate`. Other processes' rotations of
  // this account wait meanwhile. `rotate` must not use the store.
  virtual Result<TokenRotation> RotateTokens(const std::string& account, const std::string& used_refresh,
                                             const std::function<Result<OAuthTokens>()>& rotate) = 0;
  virtual Status SetState(const std::string& account, const std::string& state, const std::string& error) = 0;
  // A sync finished: state "synced", no error, last_sync_at and window_days
  // set; the credentials are left as they are (another process may have
  // rotated them meanwhile).
  virtual Status FinishSync(const std::string& account, UnixTime last_sync_at, int window_days) = 0;

  virtual Result<std::optional<std::string>> GetCheckpoint(const std::string& account,
                                                           const std::string& key) = 0;
  virtual Status ClearCheckpoints(const std::string& account, const std::string& prefix) = 0;

  // Applies a page and its checkpoints in one transaction. `seen_at` stamps user changes.
  virtual Status ApplyPage(const std::string& account, const Page& page, UnixTime seen_at) = 0;

  // Users not seen by the full user pass `run_id` vanished from Zendesk: mark them
  // permanently deleted (never drop them). Returns how many were marked.
  // Ids of users not (yet) seen by the user pass `run_id` and not already
  // permanently deleted: the sync asks Zendesk about each before MarkUnseenUsersDeleted.
  virtual Result<std::vector<int64_t>> UnseenUsers(const std::string& account, const std::string& run_id) {
    (void)account;
    (void)run_id;
    return std::vector<int64_t>{};
  }
  virtual Result<int64_t> MarkUnseenUsersDeleted(const std::string& account, const std::string& run_id,
                                                 UnixTime seen_at) = 0;

  virtual Result<std::vector<UserRecord>> AllUsers(const std::string& account) = 0;
  virtual Result<std::optional<UserRecord>> GetUser(const std::string& account, int64_t id) = 0;
  virtual Result<std::vector<UserWithUsage>> ListUsers(const std::string& account, const UserFilter& f,
                                                       DayNumber from, DayNumber to) = 0;
  virtual Result<std::vector<UsageRow>> Usage(const std::string& account, DayNumber from, DayNumber to,
                                              std::optional<int64_t> user_id) = 0;
  virtual Result<std::vector<DaySummary>> Summary(const std::string& account, DayNumber from,
                                                  DayNumber to) = 0;
  // Every activity row of `kind` in [from, to] (evidence-only kinds too),
  // ordered by user, then day.
  virtual Result<std::vector<KindDay>> ActivityOfKind(const std::string& account, Kind kind, DayNumber from,
                                                      DayNumber to) = 0;

  // Role history: every recorded change of the user (oldest first), and the
  // audit log's records about that user (oldest first).
  struct UserHistoryRows {
    std::vector<UserChange> changes;
    std::vector<UserAuditRecord> audit_log;
  };
  virtual Result<UserHistoryRows> UserHistory(const std::string& account, int64_t user_id) = 0;

  // Tickets changed by seatkeeper's own writes: their events by the
  // connecting user in [from, to] are not that user's activity.
  virtual Status RecordOwnWrites(const std::string& account, const std::vector<int64_t>& ticket_ids,
                                 UnixTime from, UnixTime to) = 0;
  virtual Result<std::map<int64_t, std::vector<std::pair<UnixTime, UnixTime>>>> OwnWrites(
      const std::string& account) = 0;

  // The audit trail is an append-only hash chain per account (store/audit_chain.h).
  // AppendAudit writes an entry's first row and returns the entry's id;
  // UpdateAudit records the entry's new result, after and detail as a
  // revision row (the whole entry again), never changing a written row. Both
  // link the row to the account's chain under a lock on its head, so writers
  // in several processes never fork it (SQLite: the write transaction;
  // PostgreSQL: the audit_head row locked FOR UPDATE).
  virtual Result<int64_t> AppendAudit(const AuditEntry& e) = 0;
  virtual Status UpdateAudit(int64_t id, const std::string& result, const std::string& after_json,
                             const std::string& detail) = 0;
  // Each entry as its latest revision says, oldest entry first.
  virtual Result<std::vector<AuditEntry>> ListAudit(const std::string& account) = 0;
  // Every row of the account's audit trail as stored (revisions included) and its head.
  virtual Result<AuditChain> ReadAuditChain(const std::string& account) = 0;

  // Generic per-account key/value (action plans, schedules).
  virtual Result<std::optional<std::string>> GetValue(const std::string& account, const std::string& key) = 0;
  virtual Status PutValue(const std::string& account, const std::string& key, const std::string& value) = 0;
  // Removes the key and returns the value it had (nullopt when there was
  // none), atomically across every process on the store: of several callers
  // taking the same key at once, exactly one gets the value (single-use tokens).
  virtual Result<std::optional<std::string>> TakeValue(const std::string& account,
                                                       const std::string& key) = 0;
  // Every key of `account` that starts with `prefix`, with its value, in key order.
  virtual Result<std::vector<std::pair<std::string, std::string>>> ListValues(const std::string& account,
                                                                              const std::string& prefix) = 0;

  // Claims `claim.key` for the account, atomically across every process that
  // shares the store: nullopt when this call created the claim (the caller
  // runs the action, then FinishActionClaim), else the existing claim,
  // unchanged, whoever holds it.
  virtual Result<std::optional<ActionClaim>> ClaimAction(const std::string& account,
                                                         const ActionClaim& claim) = 0;
  // Hands a running claim whose holder is gone to `owner` (claimed_at = at);
  // false when the claim is no longer running or `stale_owner` no longer
  // holds it (someone else took it over first).
  virtual Result<bool> TakeOverActionClaim(const std::string& account, const std::string& key,
                                           const std::string& stale_owner, const std::string& owner,
                                           UnixTime at) = 0;
  // Completes a claim with the first run's answer; later claims of the key see it.
  virtual Status FinishActionClaim(const std::string& account, const std::string& key,
                                   const std::string& outcome, int code, UnixTime at) = 0;

  // Notifications: queues `n` unless its (account, key, channel) is already
  // queued (false then); a message is sent at most once per key.
  virtual Result<bool> EnqueueNotification(const Notification& n) = 0;
  // The account's notifications, newest first (limit 0 = all); with
  // `due_by`, only the pending ones due by then, oldest first.
  virtual Result<std::vector<Notification>> ListNotifications(const std::string& account,
                                                              std::optional<UnixTime> due_by, int limit) = 0;
  // Takes notification `id` for one delivery attempt across every process:
  // true when it was still pending with `attempts` attempts (then attempts+1
  // and next_at = lease_until, so that a sender that dies is retried then).
  virtual Result<bool> ClaimNotification(const std::string& account, int64_t id, int64_t attempts,
                                         UnixTime lease_until) = 0;
  // Records an attempt's result: state, last_error, next_at (the retry) and sent_at.
  virtual Status FinishNotification(const Notification& n) = 0;

  // Key rotation (`seatkeeper rekey`): every connection's sealed secrets, as stored.
  virtual Result<std::vector<SealedSecrets>> ReadSealedSecrets() = 0;
  // Opens every sealed secret with `from` and seals it again with `to`, in
  // one transaction that holds the connections against other writers (a
  // process saving rotated OAuth tokens meanwhile waits, then fails to open
  // them with its old key); nothing changes when one does not open. Then,
  // best effort, drops the copies sealed with the old key that the database
  // still keeps (free pages, WAL, dead row versions). This store goes on
  // sealing with the key it was opened with: reopen it to use `to`.
  virtual Result<ResealCount> ResealSecrets(const SecretBox& from, const SecretBox& to) = 0;
};

}  // namespace sk::store

// The engine factory (OpenStore, OpenSqlite, OpenPostgres): store/open.h,
// included here for the callers that have only this header.
#include "store/open.h"  // IWYU pragma: export
