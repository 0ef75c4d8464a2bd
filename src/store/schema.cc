#include "store/schema.h"

#include <algorithm>
#include <charconv>
#include <iterator>

namespace sk::store::schema {
namespace {

// 5: the ids each page of a full user pass saw (comma-joined, one row per
// page), kept until the next pass starts. Replaces stamping users.seen_run,
// which rewrote every user row on every sync; users.seen_run is still read
// so that a pass that was under way when the store was upgraded resumes.
std::vector<const char*> UserPass() {
  return {
      "CREATE TABLE user_pass(account TEXT NOT NULL, run TEXT NOT NULL, ids TEXT NOT NULL)",
      "CREATE INDEX user_pass_run ON user_pass(account, run)",
  };
}

// 6 (issue #17): the audit trail becomes an append-only hash chain per
// account (store/audit_chain.h): an outcome is a revision row
// (revision_of), each row has its position, the previous row's hash and
// its own; audit_head holds the last position and hash, and the last id
// written before the chain (those rows stay unhashed, reported as such).
// Role history: a user change seen by a sync records since when the old
// value was known (the previous sync) and, for seatkeeper's own actions,
// who acted; user_audit_log keeps the audit log's user update/destroy
// records that name the actor of a change.
std::vector<const char*> AuditChainAndRoleHistory() {
  return {
      "ALTER TABLE audit ADD COLUMN revision_of {INT}",
      "ALTER TABLE audit ADD COLUMN seq {INT}",
      "ALTER TABLE audit ADD COLUMN prev_hash TEXT",
      "ALTER TABLE audit ADD COLUMN hash TEXT",
      "CREATE INDEX audit_chain ON audit(account, seq)",
      "CREATE INDEX audit_revision ON audit(account, revision_of)",
      "CREATE TABLE audit_head(account TEXT PRIMARY KEY, seq {INT} NOT NULL, hash TEXT NOT NULL,"
      "  legacy_max_id {INT} NOT NULL DEFAULT 0)",
      "INSERT INTO audit_head(account, seq, hash, legacy_max_id) "
      "SELECT account, 0, '', MAX(id) FROM audit WHERE account IS NOT NULL GROUP BY account",
      "ALTER TABLE user_changes ADD COLUMN since {INT}",
      "ALTER TABLE user_changes ADD COLUMN actor TEXT",
      "CREATE TABLE user_audit_log(account TEXT NOT NULL, id {INT} NOT NULL, user_id {INT} NOT NULL,"
      "  at {INT} NOT NULL, action TEXT NOT NULL, actor_id {INT}, actor_name TEXT NOT NULL DEFAULT '',"
      "  PRIMARY KEY(account, id)){NOROWID}",
      "CREATE INDEX user_audit_log_user ON user_audit_log(account, user_id, at)",
  };
}

// 7 (issue #18): notifications (src/notify): the channels' sealed secrets
// beside the connection's, and the delivery queue (one row per key and
// channel; next_at is when a pending row is due, or its claim's lease).
std::vector<const char*> Notifications() {
  return {
      "ALTER TABLE connections ADD COLUMN notify_secret TEXT NOT NULL DEFAULT ''",
      "CREATE TABLE notifications(id {ID}, account TEXT NOT NULL, key TEXT NOT NULL, channel TEXT NOT NULL,"
      "  kind TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL, state TEXT NOT NULL,"
      "  attempts {INT} NOT NULL DEFAULT 0, next_at {INT} NOT NULL, last_error TEXT NOT NULL DEFAULT '',"
      "  created_at {INT} NOT NULL, sent_at {INT})",
      "CREATE UNIQUE INDEX notifications_key ON notifications(account, key, channel)",
      "CREATE INDEX notifications_due ON notifications(account, state, next_at)",
  };
}

// 8 (issue #18): reclaim policies exempt users by Zendesk tag: each user's
// tags, space-joined (store::domain::JoinTags). Group memberships (exempt by
// group) are kept in the key/value table, replaced whole by each sync.
std::vector<const char*> UserTags() {
  return {
      "ALTER TABLE users ADD COLUMN tags TEXT NOT NULL DEFAULT ''",
  };
}

// Each migration is a list of statements in the neutral dialect (see schema.h).
// Never edit a released migration: append a new one.
const std::vector<std::vector<const char*>>& Migrations() {
  static const std::vector<std::vector<const char*>> m = {
      // 1: the store.
      {
          "CREATE TABLE connections("
          "  account TEXT PRIMARY KEY, data TEXT NOT NULL,"
          "  secret TEXT NOT NULL DEFAULT '', refresh_token TEXT NOT NULL DEFAULT '',"
          "  client_secret TEXT NOT NULL DEFAULT '',"
          "  state TEXT NOT NULL DEFAULT 'not-connected', error TEXT NOT NULL DEFAULT '', updated_at {INT})",
          "CREATE TABLE users("
          "  account TEXT NOT NULL, id {INT} NOT NULL, name TEXT NOT NULL, email TEXT, role TEXT NOT NULL,"
          "  role_type {INT}, custom_role_id {INT}, custom_role TEXT, license TEXT NOT NULL, seat {INT} NOT "
          "NULL,"
          "  suspended {INT} NOT NULL, deleted {INT} NOT NULL, deleted_kind TEXT NOT NULL DEFAULT '',"
          "  last_login_at {INT}, created_at {INT}, updated_at {INT}, first_seen_at {INT}, changed_at {INT},"
          "  seen_run TEXT,"
          "  PRIMARY KEY(account, id)){NOROWID}",
          "CREATE TABLE user_changes(account TEXT, user_id {INT}, at {INT}, field TEXT, old TEXT, new TEXT)",
          "CREATE INDEX user_changes_user ON user_changes(account, user_id, at)",
          "CREATE TABLE activity("
          "  account TEXT NOT NULL, day {INT} NOT NULL, user_id {INT} NOT NULL, kind TEXT NOT NULL,"
          "  count {INT} NOT NULL, evidence TEXT NOT NULL DEFAULT '',"
          "  PRIMARY KEY(account, day, user_id, kind)){NOROWID}",
          "CREATE INDEX activity_user ON activity(account, user_id, day)",
          "CREATE TABLE once_keys(account TEXT, key TEXT, PRIMARY KEY(account, key)){NOROWID}",
          "CREATE TABLE checkpoints(account TEXT, key TEXT, value TEXT NOT NULL, updated_at {INT},"
          "  PRIMARY KEY(account, key)){NOROWID}",
          "CREATE TABLE own_writes(account TEXT, ticket_id {INT}, from_ts {INT}, to_ts {INT})",
          "CREATE INDEX own_writes_ticket ON own_writes(account, ticket_id)",
          "CREATE TABLE audit(id {ID}, account TEXT, at {INT}, actor TEXT, action TEXT,"
          "  target TEXT, before_json TEXT, after_json TEXT, result TEXT, detail TEXT)",
          "CREATE TABLE kv(account TEXT, key TEXT, value TEXT, PRIMARY KEY(account, key)){NOROWID}",
      },
      // 2: sync leases for `seatkeeper worker` (one row per account) and the run history.
      // Times in milliseconds of the real clock (never the pinned SEATKEEPER_NOW).
      {
          "CREATE TABLE sync_leases("
          "  account TEXT PRIMARY KEY, owner TEXT NOT NULL DEFAULT '', generation {INT} NOT NULL DEFAULT 0,"
          "  expires_ms {INT} NOT NULL DEFAULT 0, not_before_ms {INT} NOT NULL DEFAULT 0,"
          "  successes {INT} NOT NULL DEFAULT 0, failures {INT} NOT NULL DEFAULT 0,"
          "  last_result TEXT NOT NULL DEFAULT '')",
          "CREATE TABLE sync_runs(id {ID}, account TEXT NOT NULL, owner TEXT NOT NULL, generation {INT} NOT "
          "NULL,"
          "  started_ms {INT} NOT NULL, heartbeat_ms {INT} NOT NULL, finished_ms {INT}, result TEXT NOT NULL "
          "DEFAULT '')",
          "CREATE INDEX sync_runs_account ON sync_runs(account, started_ms)",
      },
      // 3: idempotency claims of action requests (Idempotency-Key): one run per key.
      {
          "CREATE TABLE action_claims(account TEXT NOT NULL, key TEXT NOT NULL, request TEXT NOT NULL,"
          "  owner TEXT NOT NULL, state TEXT NOT NULL, outcome TEXT NOT NULL DEFAULT '',"
          "  code {INT} NOT NULL DEFAULT 0, claimed_at {INT} NOT NULL, finished_at {INT},"
          "  PRIMARY KEY(account, key)){NOROWID}",
      },
      // 4: per-day active users by license and paid seat, maintained by the
      // writes (activity, user changes) so that Summary reads O(days) rows;
      // `users` counts distinct users with any activity that day. Filled from
      // the existing activity. users_paid serves the paid-seat count.
      {
          "CREATE TABLE day_summary(account TEXT NOT NULL, day {INT} NOT NULL, license TEXT NOT NULL,"
          "  paid {INT} NOT NULL, users {INT} NOT NULL, PRIMARY KEY(account, day, license, paid)){NOROWID}",
          "INSERT INTO day_summary(account, day, license, paid, users) "
          "SELECT a.account, a.day, u.license, CASE WHEN u.seat <> 0 AND u.deleted = 0 THEN 1 ELSE 0 END, "
          "COUNT(DISTINCT a.user_id) FROM activity a JOIN users u ON u.account = a.account AND u.id = "
          "a.user_id "
          "GROUP BY a.account, a.day, u.license, CASE WHEN u.seat <> 0 AND u.deleted = 0 THEN 1 ELSE 0 END",
          "CREATE INDEX users_paid ON users(account, seat, deleted)",
      },
      UserPass(),
      AuditChainAndRoleHistory(),
      Notifications(),
      UserTags(),
  };
  return m;
}

void ReplaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

}  // namespace

int LatestVersion() {
  return static_cast<int>(Migrations().size());
}

std::string Render(const std::string& neutral, Engine engine) {
  std::string s = neutral;
  bool pg = engine == Engine::kPostgres;
  ReplaceAll(s, "{INT}", pg ? "BIGINT" : "INTEGER");
  ReplaceAll(s, "{ID}", pg ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT");
  ReplaceAll(s, "{NOROWID}", pg ? "" : " WITHOUT ROWID");
  return s;
}

std::vector<std::string> Migration(int index, Engine engine) {
  std::vector<std::string> out;
  for (const char* st : Migrations().at(static_cast<size_t>(index))) out.push_back(Render(st, engine));
  return out;
}

}  // namespace sk::store::schema
