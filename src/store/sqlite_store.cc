// SQLite implementation of the Store (the embedded default).
#include <sys/stat.h>

#include <algorithm>
#include <mutex>
#include <nlohmann/json.hpp>

#include "store/secret_box.h"
#include "store/sqlite_db.h"
#include "store/store.h"

namespace sk::store {

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kTicket: return "ticket";
    case Kind::kArticle: return "article";
    case Kind::kLoginAudit: return "login_audit";
    case Kind::kLoginObserved: return "login_observed";
  }
  return "?";
}

const char* SourceOf(Kind k) {
  switch (k) {
    case Kind::kTicket: return "ticket";
    case Kind::kArticle: return "article";
    case Kind::kLoginAudit:
    case Kind::kLoginObserved: return "login";
  }
  return "?";
}

namespace {

// Versioned migrations: entry i brings the schema from version i to i+1.
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE connections(
  account TEXT PRIMARY KEY, data TEXT NOT NULL,
  secret TEXT NOT NULL DEFAULT '', refresh_token TEXT NOT NULL DEFAULT '', client_secret TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT 'not-connected', error TEXT NOT NULL DEFAULT '', updated_at INTEGER);
CREATE TABLE users(
  account TEXT NOT NULL, id INTEGER NOT NULL, name TEXT NOT NULL, email TEXT, role TEXT NOT NULL,
  role_type INTEGER, custom_role_id INTEGER, custom_role TEXT, license TEXT NOT NULL, seat INTEGER NOT NULL,
  suspended INTEGER NOT NULL, deleted INTEGER NOT NULL, deleted_kind TEXT NOT NULL DEFAULT '',
  last_login_at INTEGER, created_at INTEGER, updated_at INTEGER, first_seen_at INTEGER, changed_at INTEGER,
  seen_run TEXT,
  PRIMARY KEY(account, id)) WITHOUT ROWID;
CREATE TABLE user_changes(account TEXT, user_id INTEGER, at INTEGER, field TEXT, old TEXT, new TEXT);
CREATE INDEX user_changes_user ON user_changes(account, user_id, at);
CREATE TABLE activity(
  account TEXT NOT NULL, day INTEGER NOT NULL, user_id INTEGER NOT NULL, kind TEXT NOT NULL,
  count INTEGER NOT NULL, evidence TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(account, day, user_id, kind)) WITHOUT ROWID;
CREATE INDEX activity_user ON activity(account, user_id, day);
CREATE TABLE once_keys(account TEXT, key TEXT, PRIMARY KEY(account, key)) WITHOUT ROWID;
CREATE TABLE checkpoints(account TEXT, key TEXT, value TEXT NOT NULL, updated_at INTEGER,
  PRIMARY KEY(account, key)) WITHOUT ROWID;
CREATE TABLE own_writes(account TEXT, ticket_id INTEGER, from_ts INTEGER, to_ts INTEGER);
CREATE INDEX own_writes_ticket ON own_writes(account, ticket_id);
CREATE TABLE audit(id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT, at INTEGER, actor TEXT, action TEXT,
  target TEXT, before_json TEXT, after_json TEXT, result TEXT, detail TEXT);
CREATE TABLE kv(account TEXT, key TEXT, value TEXT, PRIMARY KEY(account, key)) WITHOUT ROWID;
)sql",
};

std::string Csv(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ',';
    out += s;
  }
  return out;
}

std::vector<std::string> SplitCsv(const std::string& s, size_t limit) {
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

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<Database> db, SecretBox box) : db_(std::move(db)), box_(std::move(box)) {}

  Status Migrate() {
    SK_RETURN_IF_ERROR(db_->Exec("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)"));
    int version = 0;
    {
      Statement s(db_->handle(), "SELECT value FROM meta WHERE key='schema_version'");
      if (s.Step()) version = std::stoi(s.Text(0));
      SK_RETURN_IF_ERROR(s.status());
    }
    const int latest = static_cast<int>(std::size(kMigrations));
    if (version > latest)
      return IoError("the database was written by a newer seatkeeper (schema " + std::to_string(version) + ")");
    for (int v = version; v < latest; ++v) {
      Transaction tx(db_.get());
      SK_RETURN_IF_ERROR(tx.status());
      SK_RETURN_IF_ERROR(db_->Exec(kMigrations[v]));
      Statement s(db_->handle(), "INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', ?)");
      SK_RETURN_IF_ERROR(s.Bind(1, std::to_string(v + 1)).Run());
      SK_RETURN_IF_ERROR(tx.Commit());
    }
    return Status::Ok();
  }

  Result<std::optional<Connection>> GetConnection(const std::string& account) override {
    std::lock_guard lock(mu_);
    Statement s(db_->handle(),
                "SELECT data, secret, refresh_token, client_secret, state, error FROM connections WHERE account=?");
    s.Bind(1, account);
    if (!s.Step()) {
      SK_RETURN_IF_ERROR(s.status());
      return std::optional<Connection>();
    }
    Connection c;
    auto j = nlohmann::json::parse(s.Text(0), nullptr, false);
    if (j.is_discarded()) return IoError("stored connection is damaged");
    c.account = account;
    c.url = j.value("url", "");
    c.auth_kind = j.value("auth_kind", "");
    c.email = j.value("email", "");
    c.client_id = j.value("client_id", "");
    if (j.contains("token_expires_at") && j["token_expires_at"].is_number())
      c.token_expires_at = j["token_expires_at"].get<int64_t>();
    c.permission = j.value("permission", "read");
    c.timezone = j.value("timezone", "UTC");
    c.api_budget = j.value("api_budget", 100);
    c.window_days = j.value("window_days", 90);
    c.plan = j.value("plan", "");
    if (j.contains("connecting_user_id") && j["connecting_user_id"].is_number())
      c.connecting_user_id = j["connecting_user_id"].get<int64_t>();
    c.connecting_user_email = j.value("connecting_user_email", "");
    c.preflight_json = j.value("preflight", nlohmann::json::array()).dump();
    c.capabilities_json = j.value("capabilities", nlohmann::json::object()).dump();
    if (j.contains("last_sync_at") && j["last_sync_at"].is_number()) c.last_sync_at = j["last_sync_at"].get<int64_t>();
    if (j.contains("connected_at") && j["connected_at"].is_number()) c.connected_at = j["connected_at"].get<int64_t>();
    SK_ASSIGN_OR_RETURN(c.secret, box_.Open(s.Text(1), account + "/secret"));
    SK_ASSIGN_OR_RETURN(c.refresh_token, box_.Open(s.Text(2), account + "/refresh_token"));
    SK_ASSIGN_OR_RETURN(c.client_secret, box_.Open(s.Text(3), account + "/client_secret"));
    c.state = s.Text(4);
    c.error = s.Text(5);
    return std::optional<Connection>(std::move(c));
  }

  Status PutConnection(const Connection& c) override {
    std::lock_guard lock(mu_);
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
                        {"capabilities", nlohmann::json::parse(c.capabilities_json, nullptr, false)}};
    if (c.token_expires_at) j["token_expires_at"] = *c.token_expires_at;
    if (c.connecting_user_id) j["connecting_user_id"] = *c.connecting_user_id;
    if (c.last_sync_at) j["last_sync_at"] = *c.last_sync_at;
    if (c.connected_at) j["connected_at"] = *c.connected_at;
    Statement s(db_->handle(),
                "INSERT OR REPLACE INTO connections(account, data, secret, refresh_token, client_secret, state, "
                "error, updated_at) VALUES(?,?,?,?,?,?,?,?)");
    s.Bind(1, c.account)
        .Bind(2, j.dump())
        .Bind(3, box_.Seal(c.secret, c.account + "/secret"))
        .Bind(4, box_.Seal(c.refresh_token, c.account + "/refresh_token"))
        .Bind(5, box_.Seal(c.client_secret, c.account + "/client_secret"))
        .Bind(6, c.state)
        .Bind(7, c.error)
        .Bind(8, NowUnix());
    return s.Run();
  }

  Status SaveTokens(const std::string& account, const std::string& access, const std::string& refresh,
                    std::optional<UnixTime> expires_at) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_.get());
    SK_RETURN_IF_ERROR(tx.status());
    Statement s(db_->handle(),
                "UPDATE connections SET secret=?, refresh_token=?, "
                "data=json_set(data, '$.token_expires_at', ?), updated_at=? WHERE account=?");
    s.Bind(1, box_.Seal(access, account + "/secret"))
        .Bind(2, box_.Seal(refresh, account + "/refresh_token"))
        .Bind(3, expires_at)
        .Bind(4, NowUnix())
        .Bind(5, account);
    SK_RETURN_IF_ERROR(s.Run());
    if (db_->Changes() != 1) return IoError("no connection named " + account);
    return tx.Commit();
  }

  Status SetState(const std::string& account, const std::string& state, const std::string& error) override {
    std::lock_guard lock(mu_);
    Statement s(db_->handle(), "UPDATE connections SET state=?, error=?, updated_at=? WHERE account=?");
    s.Bind(1, state).Bind(2, error).Bind(3, NowUnix()).Bind(4, account);
    return s.Run();
  }

  Result<std::optional<std::string>> GetCheckpoint(const std::string& account, const std::string& key) override {
    std::lock_guard lock(mu_);
    Statement s(db_->handle(), "SELECT value FROM checkpoints WHERE account=? AND key=?");
    s.Bind(1, account).Bind(2, key);
    if (s.Step()) return std::optional<std::string>(s.Text(0));
    SK_RETURN_IF_ERROR(s.status());
    return std::optional<std::string>();
  }

  Status ClearCheckpoints(const std::string& account, const std::string& prefix) override {
    std::lock_guard lock(mu_);
    Statement s(db_->handle(), "DELETE FROM checkpoints WHERE account=? AND substr(key, 1, ?)=?");
    s.Bind(1, account).Bind(2, static_cast<int64_t>(prefix.size())).Bind(3, prefix);
    return s.Run();
  }

  Status ApplyPage(const std::string& account, const Page& page, UnixTime seen_at) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_.get());
    SK_RETURN_IF_ERROR(tx.status());
    SK_RETURN_IF_ERROR(UpsertUsers(account, page.users, seen_at, page.run_id));

    Statement add(db_->handle(),
                  "INSERT INTO activity(account, day, user_id, kind, count, evidence) VALUES(?,?,?,?,?,?) "
                  "ON CONFLICT(account, day, user_id, kind) DO UPDATE SET count = count + excluded.count, "
                  "evidence = CASE WHEN evidence = '' THEN excluded.evidence "
                  "WHEN excluded.evidence = '' OR length(evidence) - length(replace(evidence, ',', '')) >= 4 "
                  "THEN evidence ELSE evidence || ',' || excluded.evidence END");
    SK_RETURN_IF_ERROR(add.status());
    auto add_activity = [&](int64_t user, DayNumber day, Kind kind, int64_t count,
                            const std::vector<std::string>& ev) -> Status {
      std::vector<std::string> head(ev.begin(), ev.begin() + std::min<size_t>(ev.size(), 5));
      add.Reset();
      add.Bind(1, account).Bind(2, static_cast<int64_t>(day)).Bind(3, user).Bind(4, KindName(kind)).Bind(5, count);
      add.Bind(6, Csv(head));
      return add.Run();
    };
    for (const auto& a : page.activity) SK_RETURN_IF_ERROR(add_activity(a.user_id, a.day, a.kind, a.count, a.evidence));

    Statement once(db_->handle(), "INSERT OR IGNORE INTO once_keys(account, key) VALUES(?,?)");
    for (const auto& o : page.once) {
      once.Reset();
      SK_RETURN_IF_ERROR(once.Bind(1, account).Bind(2, o.key).Run());
      if (db_->Changes() == 1)
        SK_RETURN_IF_ERROR(add_activity(o.delta.user_id, o.delta.day, o.delta.kind, o.delta.count, o.delta.evidence));
    }
    Statement cp(db_->handle(),
                 "INSERT OR REPLACE INTO checkpoints(account, key, value, updated_at) VALUES(?,?,?,?)");
    for (const auto& [k, v] : page.checkpoints) {
      cp.Reset();
      SK_RETURN_IF_ERROR(cp.Bind(1, account).Bind(2, k).Bind(3, v).Bind(4, NowUnix()).Run());
    }
    return tx.Commit();
  }

  Result<int64_t> MarkUnseenUsersDeleted(const std::string& account, const std::string& run_id,
                                         UnixTime seen_at) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_.get());
    SK_RETURN_IF_ERROR(tx.status());
    Statement log(db_->handle(),
                  "INSERT INTO user_changes(account, user_id, at, field, old, new) SELECT account, id, ?, 'deleted', "
                  "deleted_kind, 'permanent' FROM users WHERE account=? AND (seen_run IS NULL OR seen_run != ?) "
                  "AND deleted_kind != 'permanent'");
    SK_RETURN_IF_ERROR(log.Bind(1, seen_at).Bind(2, account).Bind(3, run_id).Run());
    Statement s(db_->handle(),
                "UPDATE users SET deleted=1, deleted_kind='permanent', seat=0, changed_at=? WHERE account=? AND "
                "(seen_run IS NULL OR seen_run != ?) AND deleted_kind != 'permanent'");
    SK_RETURN_IF_ERROR(s.Bind(1, seen_at).Bind(2, account).Bind(3, run_id).Run());
    int64_t n = db_->Changes();
    SK_RETURN_IF_ERROR(tx.Commit());
    return n;
  }

  Result<std::vector<UserRecord>> AllUsers(const std::string& account) override {
    std::lock_guard lock(mu_);
    Statement s(db_->handle(), std::string(kUserColumns) + " FROM users u WHERE account=? ORDER BY id");
    s.Bind(1, account);
    std::vector<UserRecord> out;
    while (s.Step()) out.push_back(ReadUser(s, 0));
    SK_RETURN_IF_ERROR(s.status());
    return out;
  }

  Result<std::optional<UserRecord>> GetUser(const std::string& account, int64_t id) override {
    std::lock_guard lock(mu_);
    Statement s(db_->handle(), std::string(kUserColumns) + " FROM users u WHERE account=? AND id=?");
    s.Bind(1, account).Bind(2, id);
    if (s.Step()) return std::optional<UserRecord>(ReadUser(s, 0));
    SK_RETURN_IF_ERROR(s.status());
    return std::optional<UserRecord>();
  }

  Result<std::vector<UserWithUsage>> ListUsers(const std::string& account, const UserFilter& f, DayNumber from,
                                               DayNumber to) override {
    std::lock_guard lock(mu_);
    std::string sql = std::string(kUserColumns) +
                      ", COALESCE(a.days, 0), l.last_day FROM users u "
                      "LEFT JOIN (SELECT user_id, COUNT(DISTINCT day) AS days FROM activity "
                      "  WHERE account=?1 AND day BETWEEN ?2 AND ?3 GROUP BY user_id) a ON a.user_id = u.id "
                      "LEFT JOIN (SELECT user_id, MAX(day) AS last_day FROM activity "
                      "  WHERE account=?1 AND day <= ?3 GROUP BY user_id) l ON l.user_id = u.id "
                      "WHERE u.account=?1";
    if (f.role) sql += " AND u.role=?4";
    if (f.license) sql += " AND u.license=?5";
    if (f.seat) sql += " AND u.seat=?6";
    if (f.inactive_days) sql += " AND (l.last_day IS NULL OR l.last_day < ?7)";
    if (!f.include_deleted) sql += " AND u.deleted=0";
    if (!f.search.empty()) sql += " AND (instr(lower(u.name), lower(?8)) > 0 OR instr(lower(COALESCE(u.email,'')), lower(?8)) > 0)";
    if (f.after_id) sql += " AND u.id > ?9";
    sql += " ORDER BY u.id";
    if (f.limit > 0) sql += " LIMIT " + std::to_string(f.limit);
    Statement s(db_->handle(), sql);
    SK_RETURN_IF_ERROR(s.status());
    s.Bind(1, account).Bind(2, static_cast<int64_t>(from)).Bind(3, static_cast<int64_t>(to));
    if (f.role) s.Bind(4, *f.role);
    if (f.license) s.Bind(5, *f.license);
    if (f.seat) s.Bind(6, *f.seat);
    if (f.inactive_days) s.Bind(7, static_cast<int64_t>(to - *f.inactive_days + 1));
    if (!f.search.empty()) s.Bind(8, f.search);
    if (f.after_id) s.Bind(9, *f.after_id);
    std::vector<UserWithUsage> out;
    while (s.Step()) {
      UserWithUsage u;
      u.user = ReadUser(s, 0);
      u.active_days = static_cast<int>(s.Int(kUserColumnCount));
      if (!s.IsNull(kUserColumnCount + 1)) u.last_active_day = static_cast<DayNumber>(s.Int(kUserColumnCount + 1));
      out.push_back(std::move(u));
    }
    SK_RETURN_IF_ERROR(s.status());
    return out;
  }

  Result<std::vector<UsageRow>> Usage(const std::string& account, DayNumber from, DayNumber to,
                                      std::optional<int64_t> user_id) override {
    std::lock_guard lock(mu_);
    std::string sql =
        "SELECT day, user_id, kind, count, evidence FROM activity WHERE account=? AND day BETWEEN ? AND ?";
    if (user_id) sql += " AND user_id=?";
    sql += " ORDER BY day, user_id, kind";
    Statement s(db_->handle(), sql);
    s.Bind(1, account).Bind(2, static_cast<int64_t>(from)).Bind(3, static_cast<int64_t>(to));
    if (user_id) s.Bind(4, *user_id);
    std::vector<UsageRow> out;
    while (s.Step()) {
      DayNumber day = static_cast<DayNumber>(s.Int(0));
      int64_t user = s.Int(1);
      if (out.empty() || out.back().day != day || out.back().user_id != user) {
        out.emplace_back();
        out.back().day = day;
        out.back().user_id = user;
      }
      UsageRow& row = out.back();
      std::string kind = s.Text(2);
      std::string source = kind.rfind("login", 0) == 0 ? "login" : kind;
      row.sources.insert(source);
      row.counts[source] += s.Int(3);
      row.evidence[kind] = SplitCsv(s.Text(4), 5);
      if (kind == "login_audit") row.login_evidence.push_back("audit_log");
      if (kind == "login_observed") row.login_evidence.push_back("last_login_at");
    }
    SK_RETURN_IF_ERROR(s.status());
    return out;
  }

  Result<std::vector<DaySummary>> Summary(const std::string& account, DayNumber from, DayNumber to) override {
    std::lock_guard lock(mu_);
    int paid = 0;
    {
      Statement s(db_->handle(), "SELECT COUNT(*) FROM users WHERE account=? AND seat=1 AND deleted=0");
      s.Bind(1, account);
      if (s.Step()) paid = static_cast<int>(s.Int(0));
      SK_RETURN_IF_ERROR(s.status());
    }
    std::vector<DaySummary> out;
    for (DayNumber d = from; d <= to; ++d) {
      DaySummary ds;
      ds.day = d;
      ds.paid_seats = paid;
      ds.idle_paid_seats = paid;
      out.push_back(ds);
    }
    Statement s(db_->handle(),
                "SELECT a.day, u.license, u.seat AND NOT u.deleted, COUNT(DISTINCT a.user_id) FROM activity a "
                "JOIN users u ON u.account = a.account AND u.id = a.user_id "
                "WHERE a.account=? AND a.day BETWEEN ? AND ? GROUP BY a.day, u.license, 3");
    s.Bind(1, account).Bind(2, static_cast<int64_t>(from)).Bind(3, static_cast<int64_t>(to));
    while (s.Step()) {
      auto& ds = out[static_cast<size_t>(s.Int(0) - from)];
      int n = static_cast<int>(s.Int(3));
      ds.active_users += n;
      ds.by_license[s.Text(1)] += n;
      if (s.Int(2)) ds.idle_paid_seats -= n;
    }
    SK_RETURN_IF_ERROR(s.status());
    return out;
  }

  Status RecordOwnWrites(const std::string& account, const std::vector<int64_t>& ticket_ids, UnixTime from,
                         UnixTime to) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_.get());
    SK_RETURN_IF_ERROR(tx.status());
    Statement s(db_->handle(), "INSERT INTO own_writes(account, ticket_id, from_ts, to_ts) VALUES(?,?,?,?)");
    for (int64_t id : ticket_ids) {
      s.Reset();
      SK_RETURN_IF_ERROR(s.Bind(1, account).Bind(2, id).Bind(3, from).Bind(4, to).Run());
    }
    return tx.Commit();
  }

  Result<std::map<int64_t, std::vector<std::pair<UnixTime, UnixTime>>>> OwnWrites(
      const std::string& account) override {
    std::lock_guard lock(mu_);
    Statement s(db_->handle(), "SELECT ticket_id, from_ts, to_ts FROM own_writes WHERE account=?");
    s.Bind(1, account);
    std::map<int64_t, std::vector<std::pair<UnixTime, UnixTime>>> out;
    while (s.Step()) out[s.Int(0)].emplace_back(s.Int(1), s.Int(2));
    SK_RETURN_IF_ERROR(s.status());
    return out;
  }

  Result<int64_t> AppendAudit(const AuditEntry& e) override {
    std::lock_guard lock(mu_);
    Statement s(db_->handle(),
                "INSERT INTO audit(account, at, actor, action, target, before_json, after_json, result, detail) "
                "VALUES(?,?,?,?,?,?,?,?,?)");
    s.Bind(1, e.account).Bind(2, e.at ? e.at : NowUnix()).Bind(3, e.actor).Bind(4, e.action).Bind(5, e.target);
    s.Bind(6, e.before_json).Bind(7, e.after_json).Bind(8, e.result).Bind(9, e.detail);
    SK_RETURN_IF_ERROR(s.Run());
    return static_cast<int64_t>(sqlite3_last_insert_rowid(db_->handle()));
  }

  Status UpdateAudit(int64_t id, const std::string& result, const std::string& after_json,
                     const std::string& detail) override {
    std::lock_guard lock(mu_);
    Statement s(db_->handle(), "UPDATE audit SET result=?, after_json=?, detail=? WHERE id=?");
    s.Bind(1, result).Bind(2, after_json).Bind(3, detail).Bind(4, id);
    return s.Run();
  }

  Result<std::vector<AuditEntry>> ListAudit(const std::string& account) override {
    std::lock_guard lock(mu_);
    Statement s(db_->handle(),
                "SELECT id, account, at, actor, action, target, before_json, after_json, result, detail FROM audit "
                "WHERE account=? ORDER BY id");
    s.Bind(1, account);
    std::vector<AuditEntry> out;
    while (s.Step()) {
      AuditEntry e;
      e.id = s.Int(0);
      e.account = s.Text(1);
      e.at = s.Int(2);
      e.actor = s.Text(3);
      e.action = s.Text(4);
      e.target = s.Text(5);
      e.before_json = s.Text(6);
      e.after_json = s.Text(7);
      e.result = s.Text(8);
      e.detail = s.Text(9);
      out.push_back(std::move(e));
    }
    SK_RETURN_IF_ERROR(s.status());
    return out;
  }

  Result<std::optional<std::string>> GetValue(const std::string& account, const std::string& key) override {
    std::lock_guard lock(mu_);
    Statement s(db_->handle(), "SELECT value FROM kv WHERE account=? AND key=?");
    s.Bind(1, account).Bind(2, key);
    if (s.Step()) return std::optional<std::string>(s.Text(0));
    SK_RETURN_IF_ERROR(s.status());
    return std::optional<std::string>();
  }

  Status PutValue(const std::string& account, const std::string& key, const std::string& value) override {
    std::lock_guard lock(mu_);
    Statement s(db_->handle(), "INSERT OR REPLACE INTO kv(account, key, value) VALUES(?,?,?)");
    return s.Bind(1, account).Bind(2, key).Bind(3, value).Run();
  }

 private:
  static constexpr const char* kUserColumns =
      "SELECT u.id, u.name, u.email, u.role, u.role_type, u.custom_role_id, u.custom_role, u.license, u.seat, "
      "u.suspended, u.deleted, u.deleted_kind, u.last_login_at, u.created_at, u.updated_at";
  static constexpr int kUserColumnCount = 15;

  static UserRecord ReadUser(const Statement& s, int c) {
    UserRecord u;
    u.id = s.Int(c + 0);
    u.name = s.Text(c + 1);
    u.email = s.OptText(c + 2);
    u.role = s.Text(c + 3);
    if (auto v = s.OptInt(c + 4)) u.role_type = static_cast<int>(*v);
    u.custom_role_id = s.OptInt(c + 5);
    u.custom_role = s.OptText(c + 6);
    u.license = s.Text(c + 7);
    u.seat = s.Int(c + 8) != 0;
    u.suspended = s.Int(c + 9) != 0;
    u.deleted = s.Int(c + 10) != 0;
    u.deleted_kind = s.Text(c + 11);
    u.last_login_at = s.OptInt(c + 12);
    u.created_at = s.Int(c + 13);
    u.updated_at = s.Int(c + 14);
    return u;
  }

  // Caller holds mu_ and a transaction.
  Status UpsertUsers(const std::string& account, const std::vector<UserRecord>& users, UnixTime seen_at,
                     const std::string& run_id) {
    if (users.empty()) return Status::Ok();
    Statement get(db_->handle(), std::string(kUserColumns) + " FROM users u WHERE account=? AND id=?");
    Statement change(db_->handle(),
                     "INSERT INTO user_changes(account, user_id, at, field, old, new) VALUES(?,?,?,?,?,?)");
    Statement put(db_->handle(),
                  "INSERT INTO users(account, id, name, email, role, role_type, custom_role_id, custom_role, license, "
                  "seat, suspended, deleted, deleted_kind, last_login_at, created_at, updated_at, first_seen_at, "
                  "changed_at, seen_run) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                  "ON CONFLICT(account, id) DO UPDATE SET name=excluded.name, email=excluded.email, "
                  "role=excluded.role, role_type=excluded.role_type, custom_role_id=excluded.custom_role_id, "
                  "custom_role=excluded.custom_role, license=excluded.license, seat=excluded.seat, "
                  "suspended=excluded.suspended, deleted=excluded.deleted, deleted_kind=excluded.deleted_kind, "
                  "last_login_at=excluded.last_login_at, created_at=excluded.created_at, "
                  "updated_at=excluded.updated_at, changed_at=COALESCE(excluded.changed_at, changed_at), "
                  "seen_run=COALESCE(excluded.seen_run, seen_run)");
    SK_RETURN_IF_ERROR(get.status());
    SK_RETURN_IF_ERROR(change.status());
    SK_RETURN_IF_ERROR(put.status());
    for (const auto& u : users) {
      get.Reset();
      get.Bind(1, account).Bind(2, u.id);
      std::optional<UserRecord> old;
      if (get.Step()) old = ReadUser(get, 0);
      SK_RETURN_IF_ERROR(get.status());
      bool changed = !old;
      if (old) {
        auto note = [&](const char* field, const std::string& a, const std::string& b) -> Status {
          if (a == b) return Status::Ok();
          changed = true;
          change.Reset();
          return change.Bind(1, account).Bind(2, u.id).Bind(3, seen_at).Bind(4, field).Bind(5, a).Bind(6, b).Run();
        };
        SK_RETURN_IF_ERROR(note("name", old->name, u.name));
        SK_RETURN_IF_ERROR(note("email", old->email.value_or(""), u.email.value_or("")));
        SK_RETURN_IF_ERROR(note("role", old->role, u.role));
        SK_RETURN_IF_ERROR(note("custom_role", old->custom_role.value_or(""), u.custom_role.value_or("")));
        SK_RETURN_IF_ERROR(note("license", old->license, u.license));
        SK_RETURN_IF_ERROR(note("suspended", old->suspended ? "true" : "false", u.suspended ? "true" : "false"));
        SK_RETURN_IF_ERROR(note("deleted", old->deleted_kind, u.deleted_kind));
      }
      put.Reset();
      put.Bind(1, account).Bind(2, u.id).Bind(3, u.name).Bind(4, u.email).Bind(5, u.role);
      if (u.role_type) put.Bind(6, *u.role_type); else put.BindNull(6);
      put.Bind(7, u.custom_role_id).Bind(8, u.custom_role).Bind(9, u.license).Bind(10, u.seat);
      put.Bind(11, u.suspended).Bind(12, u.deleted).Bind(13, u.deleted_kind).Bind(14, u.last_login_at);
      put.Bind(15, u.created_at).Bind(16, u.updated_at).Bind(17, seen_at);
      if (changed) put.Bind(18, seen_at); else put.BindNull(18);
      if (run_id.empty()) put.BindNull(19); else put.Bind(19, run_id);
      SK_RETURN_IF_ERROR(put.Run());
    }
    return Status::Ok();
  }

  std::mutex mu_;
  std::unique_ptr<Database> db_;
  SecretBox box_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqlite(const std::string& path, const std::string& home) {
  ::mkdir(home.c_str(), 0700);
  SK_ASSIGN_OR_RETURN(auto box, SecretBox::Open(home));
  SK_ASSIGN_OR_RETURN(auto db, Database::Open(path));
  ::chmod(path.c_str(), 0600);
  auto store = std::make_unique<SqliteStore>(std::move(db), std::move(box));
  SK_RETURN_IF_ERROR(store->Migrate());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace sk::store
