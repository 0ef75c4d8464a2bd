// PostgreSQL implementation of the Store and the SyncQueue (libpqxx 6.4).
// Same semantics as the SQLite engine (sqlite_store.cc); same tables
// (schema.cc). One connection per object, serialised by a mutex; a broken
// connection is reopened on the next call.
#include "store/postgres_store.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <tuple>
#include <unordered_set>

#include "store/domain.h"
#include "store/schema.h"
#include "store/secret_box.h"
#include "store/sync_queue.h"

namespace sk::store {

namespace {

// --- parameters: every value travels as text or NULL ---
using Param = std::optional<std::string>;
inline Param P(const std::string& s) {
  return s;
}
inline Param P(const char* s) {
  return std::string(s);
}
inline Param P(int64_t v) {
  return std::to_string(v);
}
inline Param P(int v) {
  return std::to_string(v);
}
inline Param P(bool v) {
  return std::string(v ? "1" : "0");
}
inline Param P(std::nullopt_t) {
  return std::nullopt;
}
template <typename T>
inline Param P(const std::optional<T>& v) {
  return v ? P(*v) : Param();
}

// One element of a text[] literal: always quoted (evidence holds commas),
// with its quotes and backslashes escaped.
std::string ArrayElement(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

// Rows of a page's activity written by one statement (bounds the statement's text).
constexpr size_t kActivityRowsPerStatement = 5000;

pqxx::result Exec(pqxx::transaction_base& tx, const std::string& sql, const std::vector<Param>& params = {}) {
  if (params.empty()) return tx.exec(sql);
  std::vector<const char*> ptrs;
  ptrs.reserve(params.size());
  for (const auto& p : params) ptrs.push_back(p ? p->c_str() : nullptr);
  return tx.exec_params(sql, pqxx::prepare::make_dynamic_params(ptrs));
}

std::string Text(const pqxx::field& f) {
  return f.is_null() ? std::string() : std::string(f.c_str());
}
int64_t Int(const pqxx::field& f) {
  return f.is_null() ? 0 : f.as<int64_t>();
}
std::optional<int64_t> OptInt(const pqxx::field& f) {
  return f.is_null() ? std::nullopt : std::optional<int64_t>(f.as<int64_t>());
}
std::optional<std::string> OptText(const pqxx::field& f) {
  return f.is_null() ? std::nullopt : std::optional<std::string>(f.c_str());
}

// A result row as the domain's row readers read it (domain.h).
class Row {
 public:
  explicit Row(const pqxx::row& r) : r_(r) {}
  bool IsNull(int i) const { return r_[i].is_null(); }
  int64_t Int(int i) const { return sk::store::Int(r_[i]); }
  std::string Text(int i) const { return sk::store::Text(r_[i]); }
  std::optional<int64_t> OptInt(int i) const { return sk::store::OptInt(r_[i]); }
  std::optional<std::string> OptText(int i) const { return sk::store::OptText(r_[i]); }

 private:
  const pqxx::row& r_;
};

// A connection to `url`, reopened when broken. Callers hold the owner's mutex.
class Pg {
 public:
  explicit Pg(std::string url) : url_(std::move(url)) {}

  // Runs `fn` in a transaction (committed when fn returns ok); database errors become kIo.
  template <typename Fn>
  Status Tx(Fn&& fn) {
    return Guard([&] {
      if (!conn_ || !conn_->is_open()) conn_ = std::make_unique<pqxx::connection>(url_);
      std::optional<pqxx::work> begun;
      try {
        begun.emplace(*conn_);
      } catch (const pqxx::broken_connection&) {
        // Cut while idle (server restart, failover): found out only now. Nothing
        // of this transaction was sent, so open a new connection and begin again.
        conn_ = std::make_unique<pqxx::connection>(url_);
        begun.emplace(*conn_);
      }
      pqxx::work& tx = *begun;
      Status s = fn(tx);
      if (!s.ok()) return s;
      tx.commit();
      return Status::Ok();
    });
  }

  // Runs `fn` outside a transaction (VACUUM); database errors become kIo.
  template <typename Fn>
  Status NoTx(Fn&& fn) {
    return Guard([&] {
      if (!conn_ || !conn_->is_open()) conn_ = std::make_unique<pqxx::connection>(url_);
      pqxx::nontransaction tx(*conn_);
      fn(tx);
      return Status::Ok();
    });
  }

 private:
  template <typename Fn>
  Status Guard(Fn&& fn) {
    try {
      return fn();
    } catch (const pqxx::broken_connection& e) {
      conn_.reset();
      return IoError(std::string("postgresql: connection lost: ") + FirstLine(e.what()));
    } catch (const std::exception& e) {
      return IoError(std::string("postgresql: ") + FirstLine(e.what()));
    }
  }

  static std::string FirstLine(const std::string& s) { return s.substr(0, s.find('\n')); }
  std::string url_;
  std::unique_ptr<pqxx::connection> conn_;
};

Status MigratePostgres(Pg& pg) {
  return pg.Tx([](pqxx::work& tx) -> Status {
    // One migrator at a time (several workers may start together).
    tx.exec("SELECT pg_advisory_xact_lock(7301955)");
    tx.exec(schema::kMetaTable);
    int version = 0;
    auto r = tx.exec("SELECT value FROM meta WHERE key='schema_version'");
    if (!r.empty()) version = std::stoi(r[0][0].c_str());
    const int latest = schema::LatestVersion();
    if (version > latest)
      return IoError("the database was written by a newer seatkeeper (schema " + std::to_string(version) +
                     ")");
    for (int v = version; v < latest; ++v) {
      for (const auto& sql : schema::Migration(v, schema::Engine::kPostgres)) tx.exec(sql);
      Exec(tx,
           "INSERT INTO meta(key, value) VALUES('schema_version', $1) ON CONFLICT(key) DO UPDATE SET "
           "value = excluded.value",
           {P(std::to_string(v + 1))});
    }
    return Status::Ok();
  });
}

// A PostgreSQL array literal of ids, for `= ANY($n::bigint[])`.
std::string IdArray(const std::vector<int64_t>& ids) {
  std::string list = "{";
  for (int64_t id : ids) list += (list.size() > 1 ? "," : "") + std::to_string(id);
  return list + "}";
}

class PostgresStore final : public Store {
 public:
  PostgresStore(std::string url, SecretBox box) : pg_(std::move(url)), box_(std::move(box)) {}

  Status Migrate() {
    std::lock_guard lock(mu_);
    return MigratePostgres(pg_);
  }

  Result<std::optional<Connection>> GetConnection(const std::string& account) override {
    std::lock_guard lock(mu_);
    std::optional<Connection> out;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status {
      auto r = Exec(
          tx,
          "SELECT data, secret, refresh_token, client_secret, notify_secret, state, error FROM connections "
          "WHERE account=$1",
          {P(account)});
      if (r.empty()) return Status::Ok();
      const auto& row = r[0];
      Connection c;
      c.account = account;
      SK_RETURN_IF_ERROR(domain::DecodeConnectionData(Text(row[0]), &c));
      SK_RETURN_IF_ERROR(
          domain::OpenSecrets(box_, {account, {Text(row[1]), Text(row[2]), Text(row[3]), Text(row[4])}}, &c));
      c.state = Text(row[5]);
      c.error = Text(row[6]);
      out = std::move(c);
      return Status::Ok();
    }));
    return out;
  }

  Status PutConnection(const Connection& c) override {
    std::lock_guard lock(mu_);
    const SealedSecrets sealed = domain::SealSecrets(box_, c);
    return pg_.Tx([&](pqxx::work& tx) -> Status {
      Exec(tx,
           "INSERT INTO connections(account, data, secret, refresh_token, client_secret, notify_secret, "
           "state, "
           "error, updated_at) "
           "VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT(account) DO UPDATE SET data=excluded.data, "
           "secret=excluded.secret, refresh_token=excluded.refresh_token, "
           "client_secret=excluded.client_secret, notify_secret=excluded.notify_secret, "
           "state=excluded.state, error=excluded.error, updated_at=excluded.updated_at",
           {P(c.account), P(domain::EncodeConnectionData(c)), P(sealed.values[0]), P(sealed.values[1]),
            P(sealed.values[2]), P(sealed.values[3]), P(c.state), P(c.error),
            P(static_cast<int64_t>(NowUnix()))});
      return Status::Ok();
    });
  }

  Status SaveTokens(const std::string& account, const std::string& access, const std::string& refresh,
                    std::optional<UnixTime> expires_at) override {
    std::lock_guard lock(mu_);
    return pg_.Tx([&](pqxx::work& tx) -> Status {
      auto r =
          Exec(tx,
               "UPDATE connections SET secret=$1, refresh_token=$2, data=jsonb_set(data::jsonb, "
               "'{token_expires_at}', COALESCE(to_jsonb($3::bigint), 'null'::jsonb))::text, updated_at=$4 "
               "WHERE account=$5",
               {P(box_.Seal(access, domain::SecretContext(account, "secret"))),
                P(box_.Seal(refresh, domain::SecretContext(account, "refresh_token"))), P(expires_at),
                P(static_cast<int64_t>(NowUnix())), P(account)});
      if (r.affected_rows() != 1) return IoError("no connection named " + account);
      return Status::Ok();
    });
  }

  Status FinishSync(const std::string& account, UnixTime last_sync_at, int window_days) override {
    std::lock_guard lock(mu_);
    return pg_.Tx([&](pqxx::work& tx) -> Status {
      auto r = Exec(tx,
                    "UPDATE connections SET state='synced', error='', data=jsonb_set(jsonb_set(data::jsonb, "
                    "'{last_sync_at}', to_jsonb($1::bigint)), '{window_days}', to_jsonb($2::int))::text, "
                    "updated_at=$3 WHERE account=$4",
                    {P(static_cast<int64_t>(last_sync_at)), P(window_days),
                     P(static_cast<int64_t>(NowUnix())), P(account)});
      if (r.affected_rows() != 1) return IoError("no connection named " + account);
      return Status::Ok();
    });
  }

  Result<TokenRotation> RotateTokens(const std::string& account, const std::string& used_refresh,
                                     const std::function<Result<OAuthTokens>()>& rotate) override {
    std::lock_guard lock(mu_);
    TokenRotation out;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status {
      // FOR UPDATE: a second process's rotation waits on the row, then sees the new pair.
      auto r = Exec(tx, "SELECT data, secret, refresh_token FROM connections WHERE account=$1 FOR UPDATE",
                    {P(account)});
      if (r.empty()) return IoError("no connection named " + account);
      SK_RETURN_IF_ERROR(domain::DecodeTokenTimes(Text(r[0][0]), &out.tokens));
      SK_ASSIGN_OR_RETURN(out.tokens.access,
                          box_.Open(Text(r[0][1]), domain::SecretContext(account, "secret")));
      SK_ASSIGN_OR_RETURN(out.tokens.refresh,
                          box_.Open(Text(r[0][2]), domain::SecretContext(account, "refresh_token")));
      if (out.tokens.refresh != used_refresh) return Status::Ok();  // another process rotated it
      SK_ASSIGN_OR_RETURN(out.tokens, rotate());
      out.rotated = true;
      Exec(tx,
           "UPDATE connections SET secret=$1, refresh_token=$2, data=jsonb_set(jsonb_set(data::jsonb, "
           "'{token_expires_at}', COALESCE(to_jsonb($3::bigint), 'null'::jsonb)), '{refresh_expires_at}', "
           "COALESCE(to_jsonb($4::bigint), 'null'::jsonb))::text, updated_at=$5 WHERE account=$6",
           {P(box_.Seal(out.tokens.access, domain::SecretContext(account, "secret"))),
            P(box_.Seal(out.tokens.refresh, domain::SecretContext(account, "refresh_token"))),
            P(out.tokens.expires_at), P(out.tokens.refresh_expires_at), P(static_cast<int64_t>(NowUnix())),
            P(account)});
      return Status::Ok();
    }));
    return out;
  }

  Status SetState(const std::string& account, const std::string& state, const std::string& error) override {
    std::lock_guard lock(mu_);
    return pg_.Tx([&](pqxx::work& tx) -> Status {
      Exec(tx, "UPDATE connections SET state=$1, error=$2, updated_at=$3 WHERE account=$4",
           {P(state), P(error), P(static_cast<int64_t>(NowUnix())), P(account)});
      return Status::Ok();
    });
  }

  Result<std::optional<std::string>> GetCheckpoint(const std::string& account,
                                                   const std::string& key) override {
    return ValueOf("SELECT value FROM checkpoints WHERE account=$1 AND key=$2", account, key);
  }

  Status ClearCheckpoints(const std::string& account, const std::string& prefix) override {
    std::lock_guard lock(mu_);
    return pg_.Tx([&](pqxx::work& tx) -> Status {
      Exec(tx, "DELETE FROM checkpoints WHERE account=$1 AND substr(key, 1, $2::int)=$3",
           {P(account), P(static_cast<int64_t>(prefix.size())), P(prefix)});
      return Status::Ok();
    });
  }

  Status ApplyPage(const std::string& account, const Page& page, UnixTime seen_at) override {
    std::lock_guard lock(mu_);
    return pg_.Tx([&](pqxx::work& tx) -> Status {
      SK_RETURN_IF_ERROR(UpsertUsers(tx, account, page, seen_at));
      for (const auto& r : page.user_audit)
        Exec(tx,
             "INSERT INTO user_audit_log(account, id, user_id, at, action, actor_id, actor_name) "
             "VALUES($1,$2,$3,$4,$5,$6,$7) ON CONFLICT(account, id) DO NOTHING",
             {P(account), P(r.id), P(r.user_id), P(static_cast<int64_t>(r.at)), P(r.action), P(r.actor_id),
              P(r.actor_name)});
      if (!page.run_id.empty() && !page.users.empty()) {
        // The ids this page of the user pass saw (see Unseen); a new pass drops the last one's.
        Exec(tx, "DELETE FROM user_pass WHERE account=$1 AND run<>$2", {P(account), P(page.run_id)});
        Exec(tx, "INSERT INTO user_pass(account, run, ids) VALUES($1,$2,$3)",
             {P(account), P(page.run_id), P(domain::JoinUserIds(page.users))});
      }
      // The page's activity summed per (day, user, kind) first: one upsert per row.
      // A key counts the first time the page names it, and only if no earlier page recorded it.
      std::unordered_set<std::string> fresh = RecordOnceKeys(tx, account, page);
      SK_ASSIGN_OR_RETURN(auto rows,
                          domain::SumPageActivity(page, [&](const std::string& key) -> Result<bool> {
                            return fresh.erase(key) == 1;
                          }));
      if (!rows.empty()) {
        // (day, user) pairs without any activity yet become active users of
        // that day in day_summary (before their rows are written).
        std::string days = "{", users = "{";
        std::optional<std::pair<DayNumber, int64_t>> last;
        for (const auto& [key, v] : rows) {
          if (!CountsAsActive(std::get<2>(key))) continue;  // evidence, not activity
          std::pair<DayNumber, int64_t> pair{std::get<0>(key), std::get<1>(key)};
          if (last == pair) continue;
          last = pair;
          days += (days.size() > 1 ? "," : "") + std::to_string(pair.first);
          users += (users.size() > 1 ? "," : "") + std::to_string(pair.second);
        }
        days += "}";
        users += "}";
        Exec(tx,
             "INSERT INTO day_summary(account, day, license, paid, users) "
             "SELECT $1, p.day, u.license, CASE WHEN u.seat <> 0 AND u.deleted = 0 THEN 1 ELSE 0 END, "
             "COUNT(*) "
             "FROM unnest($2::bigint[], $3::bigint[]) AS p(day, user_id) "
             "JOIN users u ON u.account = $1 AND u.id = p.user_id "
             "WHERE NOT EXISTS(SELECT 1 FROM activity a WHERE a.account = $1 AND a.day = p.day AND "
             "a.user_id = p.user_id AND a.kind NOT IN ('api_use', 'full_agent_work')) GROUP BY 1, 2, 3, 4 "
             "ON CONFLICT(account, day, license, paid) DO UPDATE SET users = day_summary.users + "
             "excluded.users",
             {P(account), P(days), P(users)});
      }
      UpsertActivityRows(tx, account, rows);
      for (const auto& [k, v] : page.checkpoints)
        Exec(tx,
             "INSERT INTO checkpoints(account, key, value, updated_at) VALUES($1,$2,$3,$4) ON "
             "CONFLICT(account, key) "
             "DO UPDATE SET value=excluded.value, updated_at=excluded.updated_at",
             {P(account), P(k), P(v), P(static_cast<int64_t>(NowUnix()))});
      return Status::Ok();
    });
  }

  Result<std::vector<int64_t>> UnseenUsers(const std::string& account, const std::string& run_id) override {
    std::lock_guard lock(mu_);
    std::vector<int64_t> out;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status {
      out = Unseen(tx, account, run_id);
      return Status::Ok();
    }));
    return out;
  }

  Result<int64_t> MarkUnseenUsersDeleted(const std::string& account, const std::string& run_id,
                                         UnixTime seen_at) override {
    std::lock_guard lock(mu_);
    int64_t n = 0;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status {
      const std::vector<int64_t> gone = Unseen(tx, account, run_id);
      n = static_cast<int64_t>(gone.size());
      if (gone.empty()) return Status::Ok();
      const std::string ids = IdArray(gone);
      // Those holding a paid seat lose it: their active days change bucket in day_summary.
      std::vector<int64_t> losing;
      for (const auto& r :
           Exec(tx,
                "SELECT id FROM users WHERE account=$1 AND id = ANY($2::bigint[]) AND seat <> 0 "
                "AND deleted = 0",
                {P(account), P(ids)}))
        losing.push_back(Int(r[0]));
      CountUserDays(tx, account, losing, -1);
      // Vanished since the previous sync, and before now (the pass read after seen_at).
      Exec(tx,
           "INSERT INTO user_changes(account, user_id, at, field, old, new, since) SELECT account, id, $1, "
           "'deleted', deleted_kind, 'permanent', $4 FROM users WHERE account=$2 AND id = ANY($3::bigint[])",
           {P(static_cast<int64_t>(std::max(seen_at, NowUnix()))), P(account), P(ids),
            P(LastSync(tx, account))});
      Exec(tx,
           "UPDATE users SET deleted=1, deleted_kind='permanent', seat=0, changed_at=$1 WHERE account=$2 "
           "AND id = ANY($3::bigint[])",
           {P(static_cast<int64_t>(seen_at)), P(account), P(ids)});
      CountUserDays(tx, account, losing, +1);
      return Status::Ok();
    }));
    return n;
  }

  Result<std::vector<UserRecord>> AllUsers(const std::string& account) override {
    std::lock_guard lock(mu_);
    std::vector<UserRecord> out;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status {
      auto r = Exec(tx, std::string(domain::kUserColumns) + " FROM users u WHERE account=$1 ORDER BY id",
                    {P(account)});
      for (const auto& row : r) out.push_back(domain::ReadUser(Row(row)));
      return Status::Ok();
    }));
    return out;
  }

  Result<std::optional<UserRecord>> GetUser(const std::string& account, int64_t id) override {
    std::lock_guard lock(mu_);
    std::optional<UserRecord> out;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status {
      auto r = Exec(tx, std::string(domain::kUserColumns) + " FROM users u WHERE account=$1 AND id=$2",
                    {P(account), P(id)});
      if (!r.empty()) out = domain::ReadUser(Row(r[0]));
      return Status::Ok();
    }));
    return out;
  }

  Result<std::vector<UserWithUsage>> ListUsers(const std::string& account, const UserFilter& f,
                                               DayNumber from, DayNumber to) override {
    std::lock_guard lock(mu_);
    std::vector<Param> params = {P(account), P(static_cast<int64_t>(from)), P(static_cast<int64_t>(to))};
    auto next = [&](Param p) {
      params.push_back(std::move(p));
      return "$" + std::to_string(params.size());
    };
    std::string sql = std::string(domain::kUserColumns) +
                      ", COALESCE(a.days, 0), l.last_day, COALESCE(a.api_use_days, 0) FROM users u "
                      "LEFT JOIN (SELECT user_id, COUNT(DISTINCT day) FILTER (WHERE kind NOT IN ('api_use', "
                      "'full_agent_work')) AS days, "
                      "  COUNT(*) FILTER (WHERE kind = 'api_use') AS api_use_days FROM activity "
                      "  WHERE account=$1 AND day BETWEEN $2::bigint AND $3::bigint GROUP BY user_id) a "
                      "ON a.user_id = u.id "
                      "LEFT JOIN (SELECT user_id, MAX(day) AS last_day FROM activity "
                      "  WHERE account=$1 AND day <= $3::bigint AND kind NOT IN ('api_use', "
                      "'full_agent_work') GROUP BY user_id) l "
                      "ON l.user_id = u.id "
                      "WHERE u.account=$1";
    if (f.role) sql += " AND u.role=" + next(P(*f.role));
    if (f.license) sql += " AND u.license=" + next(P(*f.license));
    if (f.seat) sql += " AND u.seat=" + next(P(*f.seat)) + "::bigint";
    if (f.inactive_days)
      sql += " AND (l.last_day IS NULL OR l.last_day < " +
             next(P(static_cast<int64_t>(to - *f.inactive_days + 1))) + "::bigint)";
    if (!f.include_deleted) sql += " AND u.deleted=0";
    if (!f.search.empty()) {
      std::string n = next(P(f.search));
      sql += " AND (strpos(lower(u.name), lower(" + n +
             ")) > 0 OR strpos(lower(COALESCE(u.email,'')), lower(" + n + ")) > 0)";
    }
    if (f.after_id) sql += " AND u.id > " + next(P(*f.after_id)) + "::bigint";
    sql += " ORDER BY u.id";
    if (f.limit > 0) sql += " LIMIT " + std::to_string(f.limit);
    std::vector<UserWithUsage> out;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status {
      for (const auto& row : Exec(tx, sql, params)) out.push_back(domain::ReadUserWithUsage(Row(row)));
      return Status::Ok();
    }));
    return out;
  }

  Result<std::vector<UsageRow>> Usage(const std::string& account, DayNumber from, DayNumber to,
                                      std::optional<int64_t> user_id) override {
    std::lock_guard lock(mu_);
    std::string sql =
        "SELECT day, user_id, kind, count, evidence FROM activity WHERE account=$1 AND day BETWEEN "
        "$2::bigint AND "
        "$3::bigint";
    std::vector<Param> params = {P(account), P(static_cast<int64_t>(from)), P(static_cast<int64_t>(to))};
    if (user_id) {
      sql += " AND user_id=$4::bigint";
      params.push_back(P(*user_id));
    }
    sql += " ORDER BY day, user_id, kind";
    std::vector<UsageRow> out;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status {
      for (const auto& r : Exec(tx, sql, params))
        domain::AppendUsage(&out, static_cast<DayNumber>(Int(r[0])), Int(r[1]), Text(r[2]), Int(r[3]),
                            Text(r[4]));
      return Status::Ok();
    }));
    domain::DropInactiveRows(&out);
    return out;
  }

  Result<std::vector<KindDay>> ActivityOfKind(const std::string& account, Kind kind, DayNumber from,
                                              DayNumber to) override {
    std::lock_guard lock(mu_);
    std::vector<KindDay> out;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status {
      for (const auto& r :
           Exec(tx,
                "SELECT user_id, day, count, evidence FROM activity WHERE account=$1 AND kind=$2 "
                "AND day BETWEEN $3::bigint AND $4::bigint ORDER BY user_id, day",
                {P(account), P(std::string(KindName(kind))), P(static_cast<int64_t>(from)),
                 P(static_cast<int64_t>(to))}))
        out.push_back({Int(r[0]), static_cast<DayNumber>(Int(r[1])), Int(r[2]),
                       domain::SplitEvidence(Text(r[3]), domain::kEvidenceCap)});
      return Status::Ok();
    }));
    return out;
  }

  Result<std::vector<DaySummary>> Summary(const std::string& account, DayNumber from, DayNumber to) override {
    std::lock_guard lock(mu_);
    std::vector<DaySummary> out;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status {
      auto p = Exec(tx, "SELECT COUNT(*) FROM users WHERE account=$1 AND seat=1 AND deleted=0", {P(account)});
      out = domain::EmptySummaries(from, to, static_cast<int>(Int(p[0][0])));
      // O(days): day_summary is maintained by the writes (see ApplyPage, UpsertUsers).
      auto r = Exec(
          tx,
          "SELECT day, license, paid, users FROM day_summary WHERE account=$1 AND day BETWEEN $2::bigint "
          "AND $3::bigint AND users > 0",
          {P(account), P(static_cast<int64_t>(from)), P(static_cast<int64_t>(to))});
      for (const auto& row : r)
        domain::AddSummaryRow(&out, from, static_cast<DayNumber>(Int(row[0])), Text(row[1]), Int(row[2]) != 0,
                              static_cast<int>(Int(row[3])));
      return Status::Ok();
    }));
    return out;
  }

  Status RecordOwnWrites(const std::string& account, const std::vector<int64_t>& ticket_ids, UnixTime from,
                         UnixTime to) override {
    std::lock_guard lock(mu_);
    return pg_.Tx([&](pqxx::work& tx) -> Status {
      for (int64_t id : ticket_ids)
        Exec(tx, "INSERT INTO own_writes(account, ticket_id, from_ts, to_ts) VALUES($1,$2,$3,$4)",
             {P(account), P(id), P(static_cast<int64_t>(from)), P(static_cast<int64_t>(to))});
      return Status::Ok();
    });
  }

  Result<std::map<int64_t, std::vector<std::pair<UnixTime, UnixTime>>>> OwnWrites(
      const std::string& account) override {
    std::lock_guard lock(mu_);
    std::map<int64_t, std::vector<std::pair<UnixTime, UnixTime>>> out;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status {
      // Insertion order, as SQLite's rowid order gives.
      for (const auto& r :
           Exec(tx, "SELECT ticket_id, from_ts, to_ts FROM own_writes WHERE account=$1 ORDER BY ctid",
                {P(account)}))
        out[Int(r[0])].emplace_back(Int(r[1]), Int(r[2]));
      return Status::Ok();
    }));
    return out;
  }

  Result<int64_t> AppendAudit(const AuditEntry& e) override {
    std::lock_guard lock(mu_);
    int64_t id = 0;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status {
      id = AppendLink(tx, e, 0);
      return Status::Ok();
    }));
    return id;
  }

  Status UpdateAudit(int64_t id, const std::string& result, const std::string& after_json,
                     const std::string& detail) override {
    std::lock_guard lock(mu_);
    return pg_.Tx([&](pqxx::work& tx) -> Status {
      auto r = Exec(tx, std::string(domain::kAuditLinkColumns) + " WHERE id=$1", {P(id)});
      if (r.empty()) return Status::Ok();  // no such entry: nothing to revise
      const AuditLink row = domain::ReadAuditLink(Row(r[0]));
      const int64_t first = row.revision_of ? row.revision_of : row.entry.id;
      AppendLink(tx, domain::Revised(row, result, after_json, detail), first);
      return Status::Ok();
    });
  }

  Result<std::vector<AuditEntry>> ListAudit(const std::string& account) override {
    std::lock_guard lock(mu_);
    std::vector<AuditEntry> out;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status {
      for (const auto& r : Exec(tx, domain::AuditListSql("$1"), {P(account)}))
        out.push_back(domain::ReadAudit(Row(r)));
      return Status::Ok();
    }));
    return out;
  }

  Result<UserHistoryRows> UserHistory(const std::string& account, int64_t user_id) override {
    std::lock_guard lock(mu_);
    UserHistoryRows out;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status {
      // Insertion order within a time, as SQLite's rowid order gives.
      for (const auto& r : Exec(
               tx,
               std::string(domain::kUserChangeColumns) + " WHERE account=$1 AND user_id=$2 ORDER BY at, ctid",
               {P(account), P(user_id)}))
        out.changes.push_back(domain::ReadUserChange(Row(r)));
      for (const auto& r :
           Exec(tx,
                std::string(domain::kUserAuditColumns) + " WHERE account=$1 AND user_id=$2 ORDER BY at, id",
                {P(account), P(user_id)}))
        out.audit_log.push_back(domain::ReadUserAudit(Row(r)));
      return Status::Ok();
    }));
    return out;
  }

  Result<AuditChain> ReadAuditChain(const std::string& account) override {
    std::lock_guard lock(mu_);
    AuditChain out;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status {
      // One snapshot for the head and the rows: a row appended meanwhile is in both or in neither.
      tx.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
      auto h = Exec(tx, std::string(domain::kAuditHeadColumns) + " WHERE account=$1", {P(account)});
      if (!h.empty()) out.head = domain::ReadAuditHead(Row(h[0]));
      for (const auto& r :
           Exec(tx, std::string(domain::kAuditLinkColumns) + " WHERE account=$1 ORDER BY id", {P(account)}))
        out.links.push_back(domain::ReadAuditLink(Row(r)));
      return Status::Ok();
    }));
    return out;
  }

  Result<std::optional<std::string>> GetValue(const std::string& account, const std::string& key) override {
    return ValueOf("SELECT value FROM kv WHERE account=$1 AND key=$2", account, key);
  }

  Status PutValue(const std::string& account, const std::string& key, const std::string& value) override {
    std::lock_guard lock(mu_);
    return pg_.Tx([&](pqxx::work& tx) -> Status {
      Exec(tx,
           "INSERT INTO kv(account, key, value) VALUES($1,$2,$3) ON CONFLICT(account, key) DO UPDATE SET "
           "value=excluded.value",
           {P(account), P(key), P(value)});
      return Status::Ok();
    });
  }

  Result<std::optional<std::string>> TakeValue(const std::string& account, const std::string& key) override {
    return ValueOf("DELETE FROM kv WHERE account=$1 AND key=$2 RETURNING value", account, key);
  }

  Result<std::vector<std::pair<std::string, std::string>>> ListValues(const std::string& account,
                                                                      const std::string& prefix) override {
    std::lock_guard lock(mu_);
    std::vector<std::pair<std::string, std::string>> out;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status {
      auto r = Exec(
          tx, "SELECT key, value FROM kv WHERE account=$1 AND substr(key, 1, length($2)) = $2 ORDER BY key",
          {P(account), P(prefix)});
      for (const auto& row : r) out.emplace_back(Text(row[0]), Text(row[1]));
      return Status::Ok();
    }));
    return out;
  }

  Result<bool> EnqueueNotification(const Notification& n) override {
    std::lock_guard lock(mu_);
    bool queued = false;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status {
      queued = !Exec(tx,
                     "INSERT INTO notifications(account, key, channel, kind, subject, body, state, next_at, "
                     "created_at) VALUES($1,$2,$3,$4,$5,$6,'pending',$7,$8) "
                     "ON CONFLICT(account, key, channel) DO NOTHING RETURNING id",
                     {P(n.account), P(n.key), P(n.channel), P(n.kind), P(n.subject), P(n.body), P(n.next_at),
                      P(n.created_at)})
                    .empty();
      return Status::Ok();
    }));
    return queued;
  }

  Result<std::vector<Notification>> ListNotifications(const std::string& account,
                                                      std::optional<UnixTime> due_by, int limit) override {
    std::lock_guard lock(mu_);
    std::vector<Notification> out;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status {
      auto r =
          Exec(tx,
               std::string(domain::kNotificationColumns) +
                   (due_by ? " WHERE account=$1 AND state='pending' AND next_at<=$3 ORDER BY id"
                           : " WHERE account=$1 ORDER BY id DESC") +
                   " LIMIT $2",
               due_by ? std::vector<Param>{P(account), P(int64_t{limit > 0 ? limit : 1 << 30}), P(*due_by)}
                      : std::vector<Param>{P(account), P(int64_t{limit > 0 ? limit : 1 << 30})});
      for (const auto& row : r) out.push_back(domain::ReadNotification(Row(row)));
      return Status::Ok();
    }));
    return out;
  }

  Result<bool> ClaimNotification(const std::string& account, int64_t id, int64_t attempts,
                                 UnixTime lease_until) override {
    std::lock_guard lock(mu_);
    bool claimed = false;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status {
      claimed =
          !Exec(tx,
                "UPDATE notifications SET attempts=attempts+1, next_at=$1 WHERE account=$2 AND id=$3 AND "
                "attempts=$4 AND state='pending' RETURNING id",
                {P(lease_until), P(account), P(id), P(attempts)})
               .empty();
      return Status::Ok();
    }));
    return claimed;
  }

  Status FinishNotification(const Notification& n) override {
    std::lock_guard lock(mu_);
    return pg_.Tx([&](pqxx::work& tx) -> Status {
      Exec(tx,
           "UPDATE notifications SET state=$1, last_error=$2, next_at=$3, sent_at=$4 WHERE account=$5 AND "
           "id=$6",
           {P(n.state), P(n.last_error), P(n.next_at), P(n.sent_at), P(n.account), P(n.id)});
      return Status::Ok();
    });
  }

  Result<std::optional<ActionClaim>> ClaimAction(const std::string& account,
                                                 const ActionClaim& claim) override {
    std::lock_guard lock(mu_);
    std::optional<ActionClaim> out;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status {
      // The primary key decides between concurrent claimers (any process).
      auto ins = Exec(tx,
                      "INSERT INTO action_claims(account, key, request, owner, state, claimed_at) "
                      "VALUES($1,$2,$3,$4,'running',$5) ON CONFLICT(account, key) DO NOTHING RETURNING key",
                      {P(account), P(claim.key), P(claim.request), P(claim.owner), P(claim.claimed_at)});
      if (!ins.empty()) return Status::Ok();
      auto r = Exec(tx, std::string(domain::kClaimColumns) + " WHERE account=$1 AND key=$2",
                    {P(account), P(claim.key)});
      if (r.empty()) return Internal("action claim " + claim.key + " vanished");
      out = domain::ReadClaim(claim.key, Row(r[0]));
      return Status::Ok();
    }));
    return out;
  }

  Result<bool> TakeOverActionClaim(const std::string& account, const std::string& key,
                                   const std::string& stale_owner, const std::string& owner,
                                   UnixTime at) override {
    std::lock_guard lock(mu_);
    bool taken = false;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status {
      auto r = Exec(
          tx,
          "UPDATE action_claims SET owner=$1, claimed_at=$2 WHERE account=$3 AND key=$4 AND owner=$5 AND "
          "state='running'",
          {P(owner), P(at), P(account), P(key), P(stale_owner)});
      taken = r.affected_rows() == 1;
      return Status::Ok();
    }));
    return taken;
  }

  Status FinishActionClaim(const std::string& account, const std::string& key, const std::string& outcome,
                           int code, UnixTime at) override {
    std::lock_guard lock(mu_);
    return pg_.Tx([&](pqxx::work& tx) -> Status {
      Exec(tx,
           "UPDATE action_claims SET state='done', outcome=$1, code=$2, finished_at=$3 WHERE account=$4 AND "
           "key=$5",
           {P(outcome), P(static_cast<int64_t>(code)), P(at), P(account), P(key)});
      return Status::Ok();
    });
  }

  Result<std::vector<SealedSecrets>> ReadSealedSecrets() override {
    std::lock_guard lock(mu_);
    std::vector<SealedSecrets> out;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status {
      out = ReadSealed(tx, "");
      return Status::Ok();
    }));
    return out;
  }

  Result<ResealCount> ResealSecrets(const SecretBox& from, const SecretBox& to) override {
    std::lock_guard lock(mu_);
    ResealCount count;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status {
      // FOR UPDATE: a worker saving rotated OAuth tokens waits for this commit.
      const std::vector<SealedSecrets> rows = ReadSealed(tx, " FOR UPDATE");
      SK_ASSIGN_OR_RETURN(auto resealed, domain::Reseal(rows, from, to, &count.secrets));
      for (const auto& r : resealed)
        Exec(tx,
             "UPDATE connections SET secret=$1, refresh_token=$2, client_secret=$3, notify_secret=$4 "
             "WHERE account=$5",
             {P(r.values[0]), P(r.values[1]), P(r.values[2]), P(r.values[3]), P(r.account)});
      count.accounts = static_cast<int64_t>(rows.size());
      return Status::Ok();
    }));
    // Dead row versions still hold the old ciphertexts.
    Status v = pg_.NoTx([](pqxx::nontransaction& tx) { tx.exec("VACUUM connections"); });
    if (!v.ok()) spdlog::warn("rekey: VACUUM connections failed: {}", v.message());
    return count;
  }

 private:
  // The text `sql` ($1 account, $2 key) returns in its first row, or none.
  Result<std::optional<std::string>> ValueOf(const char* sql, const std::string& account,
                                             const std::string& key) {
    std::lock_guard lock(mu_);
    std::optional<std::string> out;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status {
      auto r = Exec(tx, sql, {P(account), P(key)});
      if (!r.empty()) out = Text(r[0][0]);
      return Status::Ok();
    }));
    return out;
  }

  // Appends `e` to its account's chain (a revision of entry `revision_of`
  // unless 0) in `tx`; returns the row id. The head row is locked FOR UPDATE
  // until `tx` ends, so two writers never link to the same head.
  static int64_t AppendLink(pqxx::work& tx, const AuditEntry& e, int64_t revision_of) {
    Exec(tx,
         "INSERT INTO audit_head(account, seq, hash, legacy_max_id) VALUES($1,0,'',0) "
         "ON CONFLICT(account) DO NOTHING",
         {P(e.account)});
    auto h =
        Exec(tx, std::string(domain::kAuditHeadColumns) + " WHERE account=$1 FOR UPDATE", {P(e.account)});
    AuditLink l = domain::NextLink(e, revision_of, domain::ReadAuditHead(Row(h.at(0))));
    const AuditEntry& x = l.entry;
    auto r = Exec(
        tx,
        "INSERT INTO audit(account, at, actor, action, target, before_json, after_json, result, detail, "
        "revision_of, seq, prev_hash, hash) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,'') RETURNING id",
        {P(x.account), P(static_cast<int64_t>(x.at)), P(x.actor), P(x.action), P(x.target), P(x.before_json),
         P(x.after_json), P(x.result), P(x.detail), revision_of ? P(revision_of) : P(std::nullopt), P(*l.seq),
         P(l.prev_hash)});
    domain::SealLink(&l, Int(r[0][0]));
    Exec(tx, "UPDATE audit SET hash=$1 WHERE id=$2", {P(l.hash), P(l.entry.id)});
    Exec(tx, "UPDATE audit_head SET seq=$1, hash=$2 WHERE account=$3",
         {P(*l.seq), P(l.hash), P(l.entry.account)});
    return l.entry.id;
  }

  static std::vector<SealedSecrets> ReadSealed(pqxx::work& tx, const std::string& lock) {
    std::vector<SealedSecrets> rows;
    for (const auto& r : tx.exec(
             "SELECT account, secret, refresh_token, client_secret, notify_secret FROM connections ORDER BY "
             "account" +
             lock))
      rows.push_back({Text(r[0]), {Text(r[1]), Text(r[2]), Text(r[3]), Text(r[4])}});
    return rows;
  }

  // Users not seen by the user pass `run_id` (its user_pass rows, or the
  // seen_run stamp that stores before schema 5 wrote) and not permanently
  // deleted, by id.
  std::vector<int64_t> Unseen(pqxx::work& tx, const std::string& account, const std::string& run_id) {
    std::vector<int64_t> seen, out;
    for (const auto& r :
         Exec(tx, "SELECT ids FROM user_pass WHERE account=$1 AND run=$2", {P(account), P(run_id)}))
      domain::SplitUserIds(r[0].c_str(), &seen);
    std::sort(seen.begin(), seen.end());
    for (const auto& r : Exec(tx,
                              "SELECT id, seen_run IS NOT DISTINCT FROM $2 FROM users WHERE account=$1 AND "
                              "deleted_kind != 'permanent' ORDER BY id",
                              {P(account), P(run_id)})) {
      const int64_t id = Int(r[0]);
      if (!r[1].as<bool>() && !std::binary_search(seen.begin(), seen.end(), id)) out.push_back(id);
    }
    return out;
  }

  // Inside the page's transaction. A user whose stored record is unchanged is
  // not written (a sync reads every user; rewriting them all left a dead
  // tuple per user per sync).
  // The previous sync's time (see domain::LastSyncOf).
  static std::optional<UnixTime> LastSync(pqxx::work& tx, const std::string& account) {
    auto r = Exec(tx, "SELECT data FROM connections WHERE account=$1", {P(account)});
    return r.empty() ? std::nullopt : domain::LastSyncOf(Text(r[0][0]));
  }

  // Caller holds mu_ and the transaction: the page's summed rows, added to activity.
  void UpsertActivityRows(pqxx::work& tx, const std::string& account, const domain::PendingRows& rows) {
    // The rows as arrays, kActivityRowsPerStatement to a statement: one
    // round trip per row took a large account's first sync 338 s of wall
    // time (46.6 CPU s in seatkeeper, most of it in the kernel's socket
    // calls), against 44 s on SQLite. A page's rows are distinct keys, so
    // no statement touches a row twice.
    for (auto it = rows.begin(); it != rows.end();) {
      std::string days = "{", users = "{", kinds = "{", counts = "{", evidence = "{";
      for (size_t n = 0; it != rows.end() && n < kActivityRowsPerStatement; ++it, ++n) {
        const auto& [key, v] = *it;
        const char* sep = n ? "," : "";
        days += sep + std::to_string(std::get<0>(key));
        users += sep + std::to_string(std::get<1>(key));
        kinds += sep + ArrayElement(KindName(std::get<2>(key)));
        counts += sep + std::to_string(v.count);
        evidence += sep + ArrayElement(domain::JoinEvidence(v));
      }
      for (auto* a : {&days, &users, &kinds, &counts, &evidence}) *a += '}';
      Exec(tx,
           "INSERT INTO activity(account, day, user_id, kind, count, evidence) "
           "SELECT $1, r.day, r.user_id, r.kind, r.count, r.evidence "
           "FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::bigint[], $6::text[]) "
           "AS r(day, user_id, kind, count, evidence) "
           "ON CONFLICT(account, day, user_id, kind) DO UPDATE SET count = activity.count + excluded.count, "
           "evidence = CASE WHEN activity.evidence = '' THEN excluded.evidence "
           "WHEN excluded.evidence = '' OR length(activity.evidence) - "
           "length(replace(activity.evidence, ',', '')) >= 4 "
           "THEN activity.evidence ELSE activity.evidence || ',' || excluded.evidence END",
           {P(account), P(days), P(users), P(kinds), P(counts), P(evidence)});
    }
  }

  // Records the page's once-only keys, kActivityRowsPerStatement a statement
  // instead of a round trip each, and returns those not recorded before.
  static std::unordered_set<std::string> RecordOnceKeys(pqxx::work& tx, const std::string& account,
                                                        const Page& page) {
    std::unordered_set<std::string> fresh;
    for (size_t start = 0; start < page.once.size(); start += kActivityRowsPerStatement) {
      const size_t end = std::min(page.once.size(), start + kActivityRowsPerStatement);
      std::string keys = "{";
      for (size_t i = start; i < end; ++i) keys += (i > start ? "," : "") + ArrayElement(page.once[i].key);
      keys += '}';
      for (const auto& r :
           Exec(tx,
                "INSERT INTO once_keys(account, key) SELECT $1, k FROM unnest($2::text[]) AS k "
                "ON CONFLICT DO NOTHING RETURNING key",
                {P(account), P(keys)}))
        fresh.insert(Text(r[0]));
    }
    return fresh;
  }

  Status UpsertUsers(pqxx::work& tx, const std::string& account, const Page& page, UnixTime seen_at) {
    const std::vector<UserRecord>& users = page.users;
    if (users.empty()) return Status::Ok();
    std::optional<domain::ChangeStamp> stamp;  // read when the first change is found
    // The stored versions of this page's users, in one query.
    std::vector<int64_t> page_ids;
    for (const auto& u : users) page_ids.push_back(u.id);
    const std::string ids = IdArray(page_ids);
    std::map<int64_t, UserRecord> stored;
    for (const auto& r :
         Exec(tx,
              std::string(domain::kUserColumns) + " FROM users u WHERE account=$1 AND id = ANY($2::bigint[])",
              {P(account), P(ids)}))
      stored[Int(r[0])] = domain::ReadUser(Row(r));
    // Users whose day_summary bucket (license, paid seat) changes, new ones
    // included: their active days leave the old bucket now and join the new
    // one after the upsert.
    std::vector<int64_t> moving, leaving;
    for (const auto& u : users) {
      auto it = stored.find(u.id);
      if (it == stored.end()) {
        moving.push_back(u.id);
      } else if (domain::BucketOf(it->second) != domain::BucketOf(u)) {
        moving.push_back(u.id);
        leaving.push_back(u.id);
      }
    }
    CountUserDays(tx, account, leaving, -1);
    for (const auto& u : users) {
      auto it = stored.find(u.id);
      if (it != stored.end() && it->second == u) continue;
      bool changed = it == stored.end();
      if (it != stored.end()) {
        for (const auto& c : domain::UserChanges(it->second, u)) {
          changed = true;
          if (!stamp) {
            stamp = domain::ChangeStamp{page.changes_at.value_or(seen_at), std::nullopt, page.changed_by};
            if (page.changed_by.empty()) stamp->since = LastSync(tx, account);
          }
          Exec(tx,
               "INSERT INTO user_changes(account, user_id, at, field, old, new, since, actor) "
               "VALUES($1,$2,$3,$4,$5,$6,$7,$8)",
               {P(account), P(u.id), P(static_cast<int64_t>(stamp->at)), P(c.field), P(c.old_value),
                P(c.new_value), P(stamp->since), stamp->actor.empty() ? Param() : P(stamp->actor)});
        }
      }
      Param role_type = u.role_type ? P(*u.role_type) : Param();
      Exec(tx,
           "INSERT INTO users(account, id, name, email, role, role_type, custom_role_id, custom_role, "
           "license, "
           "seat, suspended, deleted, deleted_kind, last_login_at, created_at, updated_at, first_seen_at, "
           "changed_at, tags) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19) "
           "ON CONFLICT(account, id) DO UPDATE SET name=excluded.name, email=excluded.email, "
           "role=excluded.role, role_type=excluded.role_type, custom_role_id=excluded.custom_role_id, "
           "custom_role=excluded.custom_role, license=excluded.license, seat=excluded.seat, "
           "suspended=excluded.suspended, deleted=excluded.deleted, deleted_kind=excluded.deleted_kind, "
           "last_login_at=excluded.last_login_at, created_at=excluded.created_at, "
           "updated_at=excluded.updated_at, changed_at=COALESCE(excluded.changed_at, users.changed_at), "
           "tags=excluded.tags",
           {P(account), P(u.id), P(u.name), P(u.email), P(u.role), role_type, P(u.custom_role_id),
            P(u.custom_role), P(u.license), P(u.seat), P(u.suspended), P(u.deleted), P(u.deleted_kind),
            P(u.last_login_at), P(static_cast<int64_t>(u.created_at)), P(static_cast<int64_t>(u.updated_at)),
            P(static_cast<int64_t>(seen_at)), changed ? P(static_cast<int64_t>(seen_at)) : Param(),
            P(domain::JoinTags(u.tags))});
    }
    CountUserDays(tx, account, moving, +1);
    return Status::Ok();
  }

  // Adds `sign` (+1 / -1) to day_summary for every active day of each user in
  // `ids`, in the bucket of their current license and paid seat.
  void CountUserDays(pqxx::work& tx, const std::string& account, const std::vector<int64_t>& ids, int sign) {
    if (ids.empty()) return;
    const std::string list = IdArray(ids);
    Exec(tx,
         "INSERT INTO day_summary(account, day, license, paid, users) "
         "SELECT $1, a.day, u.license, CASE WHEN u.seat <> 0 AND u.deleted = 0 THEN 1 ELSE 0 END, "
         "$3::bigint * COUNT(DISTINCT a.user_id) FROM activity a JOIN users u ON u.account = a.account AND "
         "u.id = a.user_id WHERE a.account = $1 AND a.user_id = ANY($2::bigint[]) AND a.kind NOT IN "
         "('api_use', 'full_agent_work') "
         "GROUP BY 1, 2, 3, 4 "
         "ON CONFLICT(account, day, license, paid) DO UPDATE SET users = day_summary.users + excluded.users",
         {P(account), P(list), P(static_cast<int64_t>(sign))});
  }

  std::mutex mu_;
  Pg pg_;
  SecretBox box_;
};

// --- the sync queue (see sync_queue.h) ---

constexpr const char* kLastSyncSql = "((c.data::jsonb)->>'last_sync_at')::bigint";
constexpr const char* kRequestedSql =
    "EXISTS(SELECT 1 FROM kv WHERE kv.account = c.account AND kv.key = 'sync_requested' AND kv.value = '1')";

std::string DueSql(const std::string& now_param) {
  return std::string("c.state <> 'not-connected' AND (") + kLastSyncSql + " IS NULL OR " + kLastSyncSql +
         " < " + now_param + "::bigint - 86400 OR " + kRequestedSql + ")";
}

class PostgresQueue final : public SyncQueue {
 public:
  explicit PostgresQueue(std::string url) : pg_(std::move(url)) {}
  Status Migrate() {
    std::lock_guard lock(mu_);
    return MigratePostgres(pg_);
  }

  Result<std::optional<Lease>> Claim(const std::string& owner, int lease_seconds,
                                     UnixTime sync_now) override {
    return ClaimInTx([&](pqxx::work& tx, int64_t wall, std::optional<Lease>& out) -> Status {
      Exec(tx,
           "INSERT INTO sync_leases(account) SELECT account FROM connections c WHERE NOT EXISTS("
           "SELECT 1 FROM sync_leases l WHERE l.account = c.account) ON CONFLICT DO NOTHING");
      std::string skipped = "{}";
      for (int attempt = 0; attempt < 50; ++attempt) {
        // Row lease: the first due, free row nobody else is claiming right now.
        auto r = Exec(tx,
                      std::string("SELECT l.account, ") + kRequestedSql +
                          " AS requested, (c.data::jsonb)->>'url' FROM sync_leases l JOIN connections c ON "
                          "c.account = l.account WHERE " +
                          DueSql("$1") +
                          " AND l.expires_ms < $2::bigint AND l.not_before_ms <= $2::bigint AND "
                          "NOT (l.account = ANY($3::text[])) ORDER BY 2 DESC, COALESCE(" +
                          kLastSyncSql + ", 0), l.account LIMIT 1 FOR UPDATE OF l SKIP LOCKED",
                      {P(static_cast<int64_t>(sync_now)), P(wall), P(skipped)});
        if (r.empty()) return Status::Ok();
        std::string account = Text(r[0][0]);
        bool requested = r[0][1].as<bool>();
        std::string url = Text(r[0][2]);
        if (UrlBusy(tx, account, url)) {
          const std::string esc = ArrayElement(account);
          skipped =
              skipped == "{}" ? "{" + esc + "}" : skipped.substr(0, skipped.size() - 1) + "," + esc + "}";
          continue;
        }
        out = Take(tx, account, owner, requested, lease_seconds, wall);
        return Status::Ok();
      }
      return Status::Ok();
    });
  }

  Result<std::optional<Lease>> ClaimAccount(const std::string& account, const std::string& owner,
                                            int lease_seconds) override {
    return ClaimInTx([&](pqxx::work& tx, int64_t wall, std::optional<Lease>& out) -> Status {
      Exec(tx,
           "INSERT INTO sync_leases(account) SELECT account FROM connections WHERE account = $1 "
           "ON CONFLICT DO NOTHING",
           {P(account)});
      // A row another claimer holds locked right now counts as busy.
      auto r =
          Exec(tx,
               std::string("SELECT ") + kRequestedSql +
                   ", (c.data::jsonb)->>'url' FROM sync_leases l JOIN connections c ON c.account = l.account "
                   "WHERE l.account = $1 AND l.expires_ms < $2::bigint FOR UPDATE OF l SKIP LOCKED",
               {P(account), P(wall)});
      if (r.empty()) return Status::Ok();
      const bool requested = r[0][0].as<bool>();
      const std::string url = Text(r[0][1]);
      if (UrlBusy(tx, account, url)) return Status::Ok();
      out = Take(tx, account, owner, requested, lease_seconds, wall);
      return Status::Ok();
    });
  }

  Result<bool> Heartbeat(const Lease& lease, int lease_seconds) override {
    std::lock_guard lock(mu_);
    bool held = false;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status {
      const int64_t wall = WallMillis();
      auto r =
          Exec(tx, "UPDATE sync_leases SET expires_ms=$1 WHERE account=$2 AND owner=$3 AND generation=$4",
               {P(wall + static_cast<int64_t>(lease_seconds) * 1000), P(lease.account), P(lease.owner),
                P(lease.generation)});
      held = r.affected_rows() == 1;
      if (held) Exec(tx, "UPDATE sync_runs SET heartbeat_ms=$1 WHERE id=$2", {P(wall), P(lease.run_id)});
      return Status::Ok();
    }));
    return held;
  }

  Status Release(const Lease& lease, bool ok, const std::string& result, int retry_seconds) override {
    std::lock_guard lock(mu_);
    return pg_.Tx([&](pqxx::work& tx) -> Status {
      const int64_t wall = WallMillis();
      if (ok)
        Exec(tx,
             "UPDATE sync_leases SET owner='', expires_ms=0, not_before_ms=0, successes=successes+1, "
             "last_result=$1 "
             "WHERE account=$2 AND generation=$3",
             {P(result), P(lease.account), P(lease.generation)});
      else
        Exec(tx,
             "UPDATE sync_leases SET owner='', expires_ms=0, not_before_ms=$4, failures=failures+1, "
             "last_result=$1 "
             "WHERE account=$2 AND generation=$3",
             {P(result), P(lease.account), P(lease.generation),
              P(wall + static_cast<int64_t>(retry_seconds) * 1000)});
      Exec(tx, "UPDATE sync_runs SET finished_ms=$1, heartbeat_ms=$1, result=$2 WHERE id=$3",
           {P(wall), P(result), P(lease.run_id)});
      if (!ok && lease.requested)
        Exec(tx,
             "INSERT INTO kv(account, key, value) VALUES($1, 'sync_requested', '1') ON CONFLICT(account, "
             "key) DO "
             "UPDATE SET value='1'",
             {P(lease.account)});
      return Status::Ok();
    });
  }

  Status ExpireLease(const std::string& account, const std::string& owner) override {
    std::lock_guard lock(mu_);
    return pg_.Tx([&](pqxx::work& tx) -> Status {
      Exec(tx, "UPDATE sync_leases SET expires_ms=0 WHERE account=$1 AND owner=$2", {P(account), P(owner)});
      return Status::Ok();
    });
  }

  Status RequestSync(const std::string& account) override {
    std::lock_guard lock(mu_);
    return pg_.Tx([&](pqxx::work& tx) -> Status {
      Exec(tx,
           "INSERT INTO kv(account, key, value) VALUES($1, 'sync_requested', '1') ON CONFLICT(account, key) "
           "DO "
           "UPDATE SET value='1'",
           {P(account)});
      return Status::Ok();
    });
  }

  Result<std::vector<QueueEntry>> List(UnixTime sync_now) override {
    std::lock_guard lock(mu_);
    std::vector<QueueEntry> out;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status {
      auto r = Exec(tx,
                    std::string("SELECT c.account, COALESCE((c.data::jsonb)->>'url', ''), c.state, ") +
                        kLastSyncSql + ", (" + DueSql("$1") +
                        ")::int, CASE WHEN l.expires_ms >= $2::bigint THEN l.owner ELSE '' END, "
                        "COALESCE(l.expires_ms, 0), COALESCE(l.successes, 0), COALESCE(l.failures, 0), "
                        "COALESCE(l.last_result, '') FROM connections c LEFT JOIN sync_leases l ON "
                        "l.account = c.account ORDER BY c.account",
                    {P(static_cast<int64_t>(sync_now)), P(WallMillis())});
      for (const auto& row : r) out.push_back(domain::ReadQueueEntry(Row(row)));
      return Status::Ok();
    }));
    return out;
  }

  Result<std::vector<SyncRun>> Runs() override {
    std::lock_guard lock(mu_);
    std::vector<SyncRun> out;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status {
      for (const auto& row : tx.exec(std::string(domain::kSyncRunColumns) + " ORDER BY id"))
        out.push_back(domain::ReadSyncRun(Row(row)));
      return Status::Ok();
    }));
    return out;
  }

 private:
  // One claim in one transaction: `claim(tx, wall clock in ms, out)` sets
  // `out` to the lease it took, if any.
  Result<std::optional<Lease>> ClaimInTx(
      const std::function<Status(pqxx::work&, int64_t, std::optional<Lease>&)>& claim) {
    std::lock_guard lock(mu_);
    std::optional<Lease> out;
    SK_RETURN_IF_ERROR(pg_.Tx([&](pqxx::work& tx) -> Status { return claim(tx, WallMillis(), out); }));
    return out;
  }
  // One worker per Zendesk account even when two names share its URL: claims
  // of one URL are serialised (a lock held to the end of the transaction), and
  // a live lease on the URL under another name than `account` wins.
  static bool UrlBusy(pqxx::work& tx, const std::string& account, const std::string& url) {
    Exec(tx, "SELECT pg_advisory_xact_lock(7301956, hashtext($1))", {P(url)});
    auto busy =
        Exec(tx,
             "SELECT 1 FROM sync_leases l JOIN connections c ON c.account = l.account WHERE "
             "l.account <> $1 AND l.expires_ms >= $2::bigint AND (c.data::jsonb)->>'url' = $3 LIMIT 1",
             {P(account), P(WallMillis()), P(url)});
    return !busy.empty();
  }

  // Inside a claim's transaction: gives `account` to `owner` (a new
  // generation), clears its sync request and starts its run.
  static Lease Take(pqxx::work& tx, const std::string& account, const std::string& owner, bool requested,
                    int lease_seconds, int64_t wall) {
    auto g = Exec(tx,
                  "UPDATE sync_leases SET owner=$1, generation=generation+1, expires_ms=$2 WHERE account=$3 "
                  "RETURNING generation",
                  {P(owner), P(wall + static_cast<int64_t>(lease_seconds) * 1000), P(account)});
    Lease l;
    l.account = account;
    l.owner = owner;
    l.generation = Int(g[0][0]);
    l.requested = requested;
    if (requested)
      Exec(tx, "UPDATE kv SET value='0' WHERE account=$1 AND key='sync_requested'", {P(account)});
    auto run = Exec(tx,
                    "INSERT INTO sync_runs(account, owner, generation, started_ms, heartbeat_ms) "
                    "VALUES($1,$2,$3,$4,$4) RETURNING id",
                    {P(account), P(owner), P(l.generation), P(wall)});
    l.run_id = Int(run[0][0]);
    return l;
  }

  std::mutex mu_;
  Pg pg_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenPostgres(const std::string& url, const std::string& home) {
  ::mkdir(home.c_str(), 0700);
  SK_ASSIGN_OR_RETURN(auto box, SecretBox::Open(home));
  auto store = std::make_unique<PostgresStore>(url, std::move(box));
  SK_RETURN_IF_ERROR(store->Migrate());
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::unique_ptr<SyncQueue>> OpenPostgresQueue(const std::string& url) {
  auto q = std::make_unique<PostgresQueue>(url);
  SK_RETURN_IF_ERROR(q->Migrate());
  return std::unique_ptr<SyncQueue>(std::move(q));
}

}  // namespace sk::store
