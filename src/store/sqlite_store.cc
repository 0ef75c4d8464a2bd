// SQLite implementation of the Store (the embedded default).
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "store/domain.h"
#include "store/schema.h"
#include "store/secret_box.h"
#include "store/sqlite_db.h"
#include "store/store.h"
#include "store/sync_queue.h"

namespace sk::store {

namespace {

Status MigrateSqlite(Database* db) {
  SK_RETURN_IF_ERROR(db->Exec(schema::kMetaTable));
  int version = 0;
  {
    Statement s(db->handle(), "SELECT value FROM meta WHERE key='schema_version'");
    if (s.Step()) version = std::stoi(s.Text(0));
    SK_RETURN_IF_ERROR(s.status());
  }
  const int latest = schema::LatestVersion();
  if (version > latest)
    return IoError("the database was written by a newer seatkeeper (schema " + std::to_string(version) + ")");
  for (int v = version; v < latest; ++v) {
    Transaction tx(db);
    SK_RETURN_IF_ERROR(tx.status());
    for (const auto& sql : schema::Migration(v, schema::Engine::kSqlite)) SK_RETURN_IF_ERROR(db->Exec(sql));
    Statement s(db->handle(), "INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', ?)");
    SK_RETURN_IF_ERROR(s.Bind(1, std::to_string(v + 1)).Run());
    SK_RETURN_IF_ERROR(tx.Commit());
  }
  return Status::Ok();
}

// Answers of earlier reads on one reader connection. They stay valid while
// nothing is committed to the database: PRAGMA data_version of a connection
// changes with every commit of any other connection, in any process (the
// reader itself never writes). The server asks for the same pages again and
// again between syncs; a commit (a sync page, an action) drops them all.
struct ReadCache {
  static constexpr size_t kMaxEntries = 256;
  int64_t version = -1;
  std::map<std::string, std::optional<Connection>> connections;
  std::map<std::string, std::vector<UserWithUsage>> user_pages;
  std::map<std::string, std::vector<DaySummary>> summaries;

  void Clear() {
    connections.clear();
    user_pages.clear();
    summaries.clear();
  }
  template <typename Map, typename V>
  void Put(Map& m, const std::string& key, const V& v) {
    if (m.size() >= kMaxEntries) m.clear();
    m[key] = v;
  }
};

struct Reader {
  std::unique_ptr<Database> db;
  ReadCache cache;
};

// Read-only connections for the store's read methods, one caller at a time
// each, so reads run in parallel with each other and with the writer (WAL)
// instead of queueing on the writer's mutex. Opened on demand up to `max`;
// each keeps its prepared statements and its ReadCache.
class ReaderPool {
 public:
  ReaderPool(std::string path, size_t max, bool mapped)
      : path_(std::move(path)), max_(max), mapped_(mapped) {}

  class Lease {
   public:
    Lease(ReaderPool* pool, std::unique_ptr<Reader> r) : pool_(pool), r_(std::move(r)) {}
    Lease(Lease&& o) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (r_) pool_->Return(std::move(r_));
    }
    Database* operator->() { return r_->db.get(); }
    // The connection's cache, emptied first if anything was committed since it was filled.
    Result<ReadCache*> Cache() {
      Statement& v = r_->db->Prepared("PRAGMA data_version");
      if (!v.Step()) return v.status().ok() ? IoError("sqlite: no data_version") : v.status();
      const int64_t version = v.Int(0);
      v.Reset();
      if (version != r_->cache.version) {
        r_->cache.Clear();
        r_->cache.version = version;
      }
      return &r_->cache;
    }

   private:
    ReaderPool* pool_;
    std::unique_ptr<Reader> r_;
  };

  Result<Lease> Acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !free_.empty() || open_ < max_; });
    if (!free_.empty()) {
      auto r = std::move(free_.back());
      free_.pop_back();
      return Lease(this, std::move(r));
    }
    ++open_;
    lock.unlock();
    auto db = Database::OpenReadOnly(path_);
    if (db.ok()) {
      // Mapped (a server): pages come from the OS page cache through the
      // mapping rather than each connection's own cache (OpenOptions).
      (void)(*db)->Exec(mapped_ ? "PRAGMA mmap_size=1073741824; PRAGMA cache_size=-4096;"
                                : "PRAGMA cache_size=-4096;");
      auto r = std::make_unique<Reader>();
      r->db = std::move(db).value();
      return Lease(this, std::move(r));
    }
    lock.lock();
    --open_;
    cv_.notify_one();
    return db.status();
  }

 private:
  void Return(std::unique_ptr<Reader> r) {
    r->db->ResetAll();  // no statement keeps a read transaction (and the WAL) open
    std::lock_guard lock(mu_);
    free_.push_back(std::move(r));
    cv_.notify_one();
  }

  const std::string path_;
  const size_t max_;
  const bool mapped_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Reader>> free_;
  size_t open_ = 0;
};

// The writer's statements are cached too; this resets them when a method returns.
class WriterUse {
 public:
  explicit WriterUse(Database* db) : db_(db) {}
  ~WriterUse() { db_->ResetAll(); }

 private:
  Database* db_;
};

size_t ReaderCount() {
  unsigned n = std::thread::hardware_concurrency();
  return std::clamp<size_t>(n * 2, 4, 16);
}

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<Database> db, SecretBox box, const std::string& path, bool mapped_reads)
      : db_(std::move(db)), box_(std::move(box)), readers_(path, ReaderCount(), mapped_reads) {}

  Status Migrate() { return MigrateSqlite(db_.get()); }

  // A file deleted or replaced under an open SQLite database still answers,
  // but nothing written reaches the file the next process opens.
  Status Ping() override {
    int moved = 0;
    if (sqlite3_file_control(db_->handle(), "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK && moved)
      return IoError("the database file was deleted, moved or replaced since seatkeeper opened it");
    return Store::Ping();
  }

  Result<std::optional<Connection>> GetConnection(const std::string& account) override {
    SK_ASSIGN_OR_RETURN(auto reader, readers_.Acquire());
    SK_ASSIGN_OR_RETURN(ReadCache * cache, reader.Cache());
    if (auto hit = cache->connections.find(account); hit != cache->connections.end()) return hit->second;
    Statement& s = reader->Prepared(
        "SELECT data, secret, refresh_token, client_secret, notify_secret, state, error FROM connections "
        "WHERE account=?");
    s.Bind(1, account);
    if (!s.Step()) {
      SK_RETURN_IF_ERROR(s.status());
      cache->Put(cache->connections, account, std::optional<Connection>());
      return std::optional<Connection>();
    }
    Connection c;
    c.account = account;
    SK_RETURN_IF_ERROR(domain::DecodeConnectionData(s.Text(0), &c));
    SK_RETURN_IF_ERROR(
        domain::OpenSecrets(box_, {account, {s.Text(1), s.Text(2), s.Text(3), s.Text(4)}}, &c));
    c.state = s.Text(5);
    c.error = s.Text(6);
    cache->Put(cache->connections, account, std::optional<Connection>(c));
    return std::optional<Connection>(std::move(c));
  }

  Status PutConnection(const Connection& c) override {
    std::lock_guard lock(mu_);
    const SealedSecrets sealed = domain::SealSecrets(box_, c);
    Statement s(db_->handle(),
                "INSERT OR REPLACE INTO connections(account, data, secret, refresh_token, client_secret, "
                "notify_secret, "
                "state, error, updated_at) VALUES(?,?,?,?,?,?,?,?,?)");
    s.Bind(1, c.account)
        .Bind(2, domain::EncodeConnectionData(c))
        .Bind(3, sealed.values[0])
        .Bind(4, sealed.values[1])
        .Bind(5, sealed.values[2])
        .Bind(6, sealed.values[3])
        .Bind(7, c.state)
        .Bind(8, c.error)
        .Bind(9, NowUnix());
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
    s.Bind(1, box_.Seal(access, domain::SecretContext(account, "secret")))
        .Bind(2, box_.Seal(refresh, domain::SecretContext(account, "refresh_token")))
        .Bind(3, expires_at)
        .Bind(4, NowUnix())
        .Bind(5, account);
    SK_RETURN_IF_ERROR(s.Run());
    if (db_->Changes() != 1) return IoError("no connection named " + account);
    return tx.Commit();
  }

  Status FinishSync(const std::string& account, UnixTime last_sync_at, int window_days) override {
    std::lock_guard lock(mu_);
    Statement s(db_->handle(),
                "UPDATE connections SET state='synced', error='', data=json_set(data, '$.last_sync_at', ?, "
                "'$.window_days', ?), updated_at=? WHERE account=?");
    s.Bind(1, last_sync_at).Bind(2, window_days).Bind(3, NowUnix()).Bind(4, account);
    SK_RETURN_IF_ERROR(s.Run());
    if (db_->Changes() != 1) return IoError("no connection named " + account);
    return Status::Ok();
  }

  Result<TokenRotation> RotateTokens(const std::string& account, const std::string& used_refresh,
                                     const std::function<Result<OAuthTokens>()>& rotate) override {
    std::lock_guard lock(mu_);
    // BEGIN IMMEDIATE takes the database's write lock before the read, so a
    // second process's rotation waits here and then sees the new pair.
    Transaction tx(db_.get());
    SK_RETURN_IF_ERROR(tx.status());
    TokenRotation out;
    {
      Statement q(db_->handle(), "SELECT data, secret, refresh_token FROM connections WHERE account=?");
      q.Bind(1, account);
      if (!q.Step()) {
        SK_RETURN_IF_ERROR(q.status());
        return IoError("no connection named " + account);
      }
      SK_RETURN_IF_ERROR(domain::DecodeTokenTimes(q.Text(0), &out.tokens));
      SK_ASSIGN_OR_RETURN(out.tokens.access, box_.Open(q.Text(1), domain::SecretContext(account, "secret")));
      SK_ASSIGN_OR_RETURN(out.tokens.refresh,
                          box_.Open(q.Text(2), domain::SecretContext(account, "refresh_token")));
    }
    if (out.tokens.refresh != used_refresh) return out;  // another process rotated it
    SK_ASSIGN_OR_RETURN(out.tokens, rotate());
    out.rotated = true;
    Statement s(
        db_->handle(),
        "UPDATE connections SET secret=?, refresh_token=?, data=json_set(data, '$.token_expires_at', ?, "
        "'$.refresh_expires_at', ?), updated_at=? WHERE account=?");
    s.Bind(1, box_.Seal(out.tokens.access, domain::SecretContext(account, "secret")))
        .Bind(2, box_.Seal(out.tokens.refresh, domain::SecretContext(account, "refresh_token")))
        .Bind(3, out.tokens.expires_at)
        .Bind(4, out.tokens.refresh_expires_at)
        .Bind(5, NowUnix())
        .Bind(6, account);
    SK_RETURN_IF_ERROR(s.Run());
    SK_RETURN_IF_ERROR(tx.Commit());
    return out;
  }

  Status SetState(const std::string& account, const std::string& state, const std::string& error) override {
    std::lock_guard lock(mu_);
    Statement s(db_->handle(), "UPDATE connections SET state=?, error=?, updated_at=? WHERE account=?");
    s.Bind(1, state).Bind(2, error).Bind(3, NowUnix()).Bind(4, account);
    return s.Run();
  }

  Result<std::optional<std::string>> GetCheckpoint(const std::string& account,
                                                   const std::string& key) override {
    return ValueOf("SELECT value FROM checkpoints WHERE account=? AND key=?", account, key);
  }

  Status ClearCheckpoints(const std::string& account, const std::string& prefix) override {
    std::lock_guard lock(mu_);
    Statement s(db_->handle(), "DELETE FROM checkpoints WHERE account=? AND substr(key, 1, ?)=?");
    s.Bind(1, account).Bind(2, static_cast<int64_t>(prefix.size())).Bind(3, prefix);
    return s.Run();
  }

  Status ApplyPage(const std::string& account, const Page& page, UnixTime seen_at) override {
    std::lock_guard lock(mu_);
    WriterUse use(db_.get());
    Transaction tx(db_.get());
    SK_RETURN_IF_ERROR(tx.status());
    SK_RETURN_IF_ERROR(UpsertUsers(account, page, seen_at));
    SK_RETURN_IF_ERROR(RecordSeen(account, page.users, page.run_id));
    Statement& record = db_->Prepared(
        "INSERT INTO user_audit_log(account, id, user_id, at, action, actor_id, actor_name) "
        "VALUES(?,?,?,?,?,?,?) ON CONFLICT(account, id) DO NOTHING");
    for (const auto& r : page.user_audit) {
      record.Reset();
      record.Bind(1, account).Bind(2, r.id).Bind(3, r.user_id).Bind(4, r.at).Bind(5, r.action);
      SK_RETURN_IF_ERROR(record.Bind(6, r.actor_id).Bind(7, r.actor_name).Run());
    }

    // The page's activity summed per (day, user, kind) first: one upsert per row.
    Statement& once = db_->Prepared("INSERT OR IGNORE INTO once_keys(account, key) VALUES(?,?)");
    SK_ASSIGN_OR_RETURN(auto rows, domain::SumPageActivity(page, [&](const std::string& key) -> Result<bool> {
                          once.Reset();
                          SK_RETURN_IF_ERROR(once.Bind(1, account).Bind(2, key).Run());
                          return db_->Changes() == 1;
                        }));
    SK_RETURN_IF_ERROR(AddActivity(account, rows));

    Statement& cp =
        db_->Prepared("INSERT OR REPLACE INTO checkpoints(account, key, value, updated_at) VALUES(?,?,?,?)");
    for (const auto& [k, v] : page.checkpoints) {
      cp.Reset();
      SK_RETURN_IF_ERROR(cp.Bind(1, account).Bind(2, k).Bind(3, v).Bind(4, NowUnix()).Run());
    }
    return tx.Commit();
  }

  Result<std::vector<int64_t>> UnseenUsers(const std::string& account, const std::string& run_id) override {
    std::lock_guard lock(mu_);
    WriterUse use(db_.get());
    return UnseenLocked(account, run_id);
  }

  Result<int64_t> MarkUnseenUsersDeleted(const std::string& account, const std::string& run_id,
                                         UnixTime seen_at) override {
    std::lock_guard lock(mu_);
    WriterUse use(db_.get());
    Transaction tx(db_.get());
    SK_RETURN_IF_ERROR(tx.status());
    SK_ASSIGN_OR_RETURN(auto gone, UnseenLocked(account, run_id));
    Statement get(db_->handle(),
                  "SELECT license, seat, deleted, deleted_kind FROM users WHERE account=? AND id=?");
    // Vanished since the previous sync, and before now (the pass read after seen_at).
    SK_ASSIGN_OR_RETURN(const std::optional<UnixTime> since, LastSync(account));
    const UnixTime seen = std::max(seen_at, NowUnix());
    Statement log(db_->handle(),
                  "INSERT INTO user_changes(account, user_id, at, field, old, new, since) "
                  "VALUES(?,?,?,'deleted',?,'permanent',?)");
    Statement mark(
        db_->handle(),
        "UPDATE users SET deleted=1, deleted_kind='permanent', seat=0, changed_at=? WHERE account=? "
        "AND id=?");
    for (int64_t id : gone) {
      get.Reset();
      get.Bind(1, account).Bind(2, id);
      if (!get.Step()) {
        SK_RETURN_IF_ERROR(get.status());
        continue;
      }
      const std::string license = get.Text(0), kind = get.Text(3);
      const bool paid = get.Int(1) != 0 && get.Int(2) == 0;
      // They lose their paid seat: their active days move to the unpaid bucket.
      if (paid)
        SK_RETURN_IF_ERROR(
            MoveUserDays(account, id, domain::Bucket{license, true}, domain::Bucket{license, false}));
      log.Reset();
      SK_RETURN_IF_ERROR(log.Bind(1, account).Bind(2, id).Bind(3, seen).Bind(4, kind).Bind(5, since).Run());
      mark.Reset();
      SK_RETURN_IF_ERROR(mark.Bind(1, seen_at).Bind(2, account).Bind(3, id).Run());
    }
    SK_RETURN_IF_ERROR(tx.Commit());
    return static_cast<int64_t>(gone.size());
  }

  Result<std::vector<UserRecord>> AllUsers(const std::string& account) override {
    SK_ASSIGN_OR_RETURN(auto reader, readers_.Acquire());
    Statement& s =
        reader->Prepared(std::string(domain::kUserColumns) + " FROM users u WHERE account=? ORDER BY id");
    s.Bind(1, account);
    std::vector<UserRecord> out;
    while (s.Step()) out.push_back(domain::ReadUser(s));
    SK_RETURN_IF_ERROR(s.status());
    return out;
  }

  Result<std::optional<UserRecord>> GetUser(const std::string& account, int64_t id) override {
    SK_ASSIGN_OR_RETURN(auto reader, readers_.Acquire());
    Statement& s =
        reader->Prepared(std::string(domain::kUserColumns) + " FROM users u WHERE account=? AND id=?");
    s.Bind(1, account).Bind(2, id);
    if (s.Step()) return std::optional<UserRecord>(domain::ReadUser(s));
    SK_RETURN_IF_ERROR(s.status());
    return std::optional<UserRecord>();
  }

  Result<std::vector<UserWithUsage>> ListUsers(const std::string& account, const UserFilter& f,
                                               DayNumber from, DayNumber to) override {
    // Per-user correlated lookups on activity_user(account, user_id, day):
    // a page of N users costs 2N index seeks, not an aggregate over the whole
    // activity table per request (bench/: 0.46 s -> ms per 100-user page on the
    // large store).
    // API use (kind 'api_use') and full-agent work (evidence for a fuller
    // row of the same day) are evidence, never an active day.
    static constexpr const char* kLastDay =
        "(SELECT MAX(day) FROM activity WHERE account=?1 AND user_id=u.id AND day <= ?3 AND kind NOT IN ("
        "'api_use', 'full_agent_work'))";
    std::string sql =
        std::string(domain::kUserColumns) +
        ", COALESCE((SELECT COUNT(DISTINCT day) FROM activity WHERE account=?1 AND user_id=u.id "
        "AND day BETWEEN ?2 AND ?3 AND kind NOT IN ('api_use', 'full_agent_work')), 0), " +
        kLastDay +
        ", (SELECT COUNT(*) FROM activity WHERE account=?1 AND user_id=u.id AND day BETWEEN ?2 AND ?3 "
        "AND kind = 'api_use') FROM users u WHERE u.account=?1";
    if (f.role) sql += " AND u.role=?4";
    if (f.license) sql += " AND u.license=?5";
    if (f.seat) sql += " AND u.seat=?6";
    if (f.inactive_days) sql += std::string(" AND (") + kLastDay + " IS NULL OR " + kLastDay + " < ?7)";
    if (!f.include_deleted) sql += " AND u.deleted=0";
    if (!f.search.empty())
      sql +=
          " AND (instr(lower(u.name), lower(?8)) > 0 OR instr(lower(COALESCE(u.email,'')), lower(?8)) > 0)";
    if (f.after_id) sql += " AND u.id > ?9";
    sql += " ORDER BY u.id LIMIT ?10";  // a bound limit: one cached statement per filter mix
    SK_ASSIGN_OR_RETURN(auto reader, readers_.Acquire());
    SK_ASSIGN_OR_RETURN(ReadCache * cache, reader.Cache());
    // Pages (not whole exports) are kept: bounded memory.
    const bool cacheable = f.limit > 0 && f.limit <= 1001;
    std::string key;
    if (cacheable) {
      key = account + '\n' + std::to_string(from) + '\n' + std::to_string(to) + '\n' + f.role.value_or("*") +
            '\n' + f.license.value_or("*") + '\n' + (f.seat ? std::to_string(*f.seat) : "*") + '\n' +
            (f.inactive_days ? std::to_string(*f.inactive_days) : "*") + '\n' +
            std::to_string(f.include_deleted) + '\n' + (f.after_id ? std::to_string(*f.after_id) : "*") +
            '\n' + std::to_string(f.limit) + '\n' + f.search;
      if (auto hit = cache->user_pages.find(key); hit != cache->user_pages.end()) return hit->second;
    }
    Statement& s = reader->Prepared(sql);
    SK_RETURN_IF_ERROR(s.status());
    s.Bind(10, static_cast<int64_t>(f.limit > 0 ? f.limit : -1));
    s.Bind(1, account).Bind(2, static_cast<int64_t>(from)).Bind(3, static_cast<int64_t>(to));
    if (f.role) s.Bind(4, *f.role);
    if (f.license) s.Bind(5, *f.license);
    if (f.seat) s.Bind(6, *f.seat);
    if (f.inactive_days) s.Bind(7, static_cast<int64_t>(to - *f.inactive_days + 1));
    if (!f.search.empty()) s.Bind(8, f.search);
    if (f.after_id) s.Bind(9, *f.after_id);
    std::vector<UserWithUsage> out;
    while (s.Step()) out.push_back(domain::ReadUserWithUsage(s));
    SK_RETURN_IF_ERROR(s.status());
    if (cacheable) cache->Put(cache->user_pages, key, out);
    return out;
  }

  Result<std::vector<UsageRow>> Usage(const std::string& account, DayNumber from, DayNumber to,
                                      std::optional<int64_t> user_id) override {
    std::string sql =
        "SELECT day, user_id, kind, count, evidence FROM activity WHERE account=? AND day BETWEEN ? AND ?";
    if (user_id) sql += " AND user_id=?";
    sql += " ORDER BY day, user_id, kind";
    SK_ASSIGN_OR_RETURN(auto reader, readers_.Acquire());
    Statement& s = reader->Prepared(sql);
    s.Bind(1, account).Bind(2, static_cast<int64_t>(from)).Bind(3, static_cast<int64_t>(to));
    if (user_id) s.Bind(4, *user_id);
    std::vector<UsageRow> out;
    while (s.Step())
      domain::AppendUsage(&out, static_cast<DayNumber>(s.Int(0)), s.Int(1), s.Text(2), s.Int(3), s.Text(4));
    SK_RETURN_IF_ERROR(s.status());
    domain::DropInactiveRows(&out);
    return out;
  }

  Result<std::vector<KindDay>> ActivityOfKind(const std::string& account, Kind kind, DayNumber from,
                                              DayNumber to) override {
    SK_ASSIGN_OR_RETURN(auto reader, readers_.Acquire());
    Statement& s = reader->Prepared(
        "SELECT user_id, day, count, evidence FROM activity WHERE account=? AND kind=? AND day BETWEEN ? AND "
        "? "
        "ORDER BY user_id, day");
    s.Bind(1, account)
        .Bind(2, KindName(kind))
        .Bind(3, static_cast<int64_t>(from))
        .Bind(4, static_cast<int64_t>(to));
    std::vector<KindDay> out;
    while (s.Step())
      out.push_back({s.Int(0), static_cast<DayNumber>(s.Int(1)), s.Int(2),
                     domain::SplitEvidence(s.Text(3), domain::kEvidenceCap)});
    SK_RETURN_IF_ERROR(s.status());
    return out;
  }

  Result<std::vector<DaySummary>> Summary(const std::string& account, DayNumber from, DayNumber to) override {
    // O(days): day_summary is maintained by every write that changes a
    // user's activity days or their license/paid bucket.
    SK_ASSIGN_OR_RETURN(auto reader, readers_.Acquire());
    SK_ASSIGN_OR_RETURN(ReadCache * cache, reader.Cache());
    const std::string key = account + '\n' + std::to_string(from) + '\n' + std::to_string(to);
    if (auto hit = cache->summaries.find(key); hit != cache->summaries.end()) return hit->second;
    int paid = 0;
    {
      Statement& s = reader->Prepared("SELECT COUNT(*) FROM users WHERE account=? AND seat=1 AND deleted=0");
      s.Bind(1, account);
      if (s.Step()) paid = static_cast<int>(s.Int(0));
      SK_RETURN_IF_ERROR(s.status());
    }
    std::vector<DaySummary> out = domain::EmptySummaries(from, to, paid);
    Statement& s = reader->Prepared(
        "SELECT day, license, paid, users FROM day_summary WHERE account=? AND day BETWEEN ? AND ? AND users "
        "> 0");
    s.Bind(1, account).Bind(2, static_cast<int64_t>(from)).Bind(3, static_cast<int64_t>(to));
    while (s.Step())
      domain::AddSummaryRow(&out, from, static_cast<DayNumber>(s.Int(0)), s.Text(1), s.Int(2) != 0,
                            static_cast<int>(s.Int(3)));
    SK_RETURN_IF_ERROR(s.status());
    cache->Put(cache->summaries, key, out);
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
    SK_ASSIGN_OR_RETURN(auto reader, readers_.Acquire());
    Statement& s = reader->Prepared("SELECT ticket_id, from_ts, to_ts FROM own_writes WHERE account=?");
    s.Bind(1, account);
    std::map<int64_t, std::vector<std::pair<UnixTime, UnixTime>>> out;
    while (s.Step()) out[s.Int(0)].emplace_back(s.Int(1), s.Int(2));
    SK_RETURN_IF_ERROR(s.status());
    return out;
  }

  Result<int64_t> AppendAudit(const AuditEntry& e) override {
    std::lock_guard lock(mu_);
    // BEGIN IMMEDIATE: one writer at a time across processes, so the head read below stays the head.
    Transaction tx(db_.get());
    SK_RETURN_IF_ERROR(tx.status());
    SK_ASSIGN_OR_RETURN(int64_t id, AppendLink(e, 0));
    SK_RETURN_IF_ERROR(tx.Commit());
    return id;
  }

  Status UpdateAudit(int64_t id, const std::string& result, const std::string& after_json,
                     const std::string& detail) override {
    std::lock_guard lock(mu_);
    Transaction tx(db_.get());
    SK_RETURN_IF_ERROR(tx.status());
    Statement s(db_->handle(), std::string(domain::kAuditLinkColumns) + " WHERE id=?");
    s.Bind(1, id);
    if (!s.Step()) return s.status();  // no such entry: nothing to revise
    const AuditLink row = domain::ReadAuditLink(s);
    s.Reset();
    const int64_t first = row.revision_of ? row.revision_of : row.entry.id;
    SK_RETURN_IF_ERROR(AppendLink(domain::Revised(row, result, after_json, detail), first).status());
    return tx.Commit();
  }

  Result<std::vector<AuditEntry>> ListAudit(const std::string& account) override {
    SK_ASSIGN_OR_RETURN(auto reader, readers_.Acquire());
    Statement& s = reader->Prepared(domain::AuditListSql("?"));
    s.Bind(1, account);
    std::vector<AuditEntry> out;
    while (s.Step()) out.push_back(domain::ReadAudit(s));
    SK_RETURN_IF_ERROR(s.status());
    return out;
  }

  Result<UserHistoryRows> UserHistory(const std::string& account, int64_t user_id) override {
    SK_ASSIGN_OR_RETURN(auto reader, readers_.Acquire());
    UserHistoryRows out;
    Statement& c = reader->Prepared(std::string(domain::kUserChangeColumns) +
                                    " WHERE account=? AND user_id=? ORDER BY at, rowid");
    c.Bind(1, account).Bind(2, user_id);
    while (c.Step()) out.changes.push_back(domain::ReadUserChange(c));
    SK_RETURN_IF_ERROR(c.status());
    Statement& a = reader->Prepared(std::string(domain::kUserAuditColumns) +
                                    " WHERE account=? AND user_id=? ORDER BY at, id");
    a.Bind(1, account).Bind(2, user_id);
    while (a.Step()) out.audit_log.push_back(domain::ReadUserAudit(a));
    SK_RETURN_IF_ERROR(a.status());
    return out;
  }

  Result<AuditChain> ReadAuditChain(const std::string& account) override {
    SK_ASSIGN_OR_RETURN(auto reader, readers_.Acquire());
    AuditChain out;
    // One read transaction: the rows and the head as of one commit.
    SK_RETURN_IF_ERROR(reader->Exec("BEGIN"));
    Statement& s = reader->Prepared(std::string(domain::kAuditLinkColumns) + " WHERE account=? ORDER BY id");
    s.Bind(1, account);
    while (s.Step()) out.links.push_back(domain::ReadAuditLink(s));
    Status st = s.status();
    Statement& h = reader->Prepared(std::string(domain::kAuditHeadColumns) + " WHERE account=?");
    h.Bind(1, account);
    if (st.ok() && h.Step()) out.head = domain::ReadAuditHead(h);
    if (st.ok()) st = h.status();
    reader->ResetAll();
    (void)reader->Exec("COMMIT");
    SK_RETURN_IF_ERROR(st);
    return out;
  }

  Result<std::optional<std::string>> GetValue(const std::string& account, const std::string& key) override {
    return ValueOf("SELECT value FROM kv WHERE account=? AND key=?", account, key);
  }

  Status PutValue(const std::string& account, const std::string& key, const std::string& value) override {
    std::lock_guard lock(mu_);
    Statement s(db_->handle(), "INSERT OR REPLACE INTO kv(account, key, value) VALUES(?,?,?)");
    return s.Bind(1, account).Bind(2, key).Bind(3, value).Run();
  }

  Result<std::optional<std::string>> TakeValue(const std::string& account, const std::string& key) override {
    std::lock_guard lock(mu_);
    Statement s(db_->handle(), "DELETE FROM kv WHERE account=? AND key=? RETURNING value");
    s.Bind(1, account).Bind(2, key);
    std::optional<std::string> out;
    if (s.Step()) out = s.Text(0);
    SK_RETURN_IF_ERROR(s.status());
    while (s.Step()) {
    }
    SK_RETURN_IF_ERROR(s.status());
    return out;
  }

  Result<std::vector<std::pair<std::string, std::string>>> ListValues(const std::string& account,
                                                                      const std::string& prefix) override {
    SK_ASSIGN_OR_RETURN(auto reader, readers_.Acquire());
    Statement& s = reader->Prepared(
        "SELECT key, value FROM kv WHERE account=? AND substr(key, 1, length(?2)) = ?2 ORDER BY key");
    s.Bind(1, account).Bind(2, prefix);
    std::vector<std::pair<std::string, std::string>> out;
    while (s.Step()) out.emplace_back(s.Text(0), s.Text(1));
    SK_RETURN_IF_ERROR(s.status());
    return out;
  }

  Result<bool> EnqueueNotification(const Notification& n) override {
    std::lock_guard lock(mu_);
    Statement s(
        db_->handle(),
        "INSERT OR IGNORE INTO notifications(account, key, channel, kind, subject, body, state, next_at, "
        "created_at) VALUES(?,?,?,?,?,?,'pending',?,?)");
    SK_RETURN_IF_ERROR(s.Bind(1, n.account)
                           .Bind(2, n.key)
                           .Bind(3, n.channel)
                           .Bind(4, n.kind)
                           .Bind(5, n.subject)
                           .Bind(6, n.body)
                           .Bind(7, n.next_at)
                           .Bind(8, n.created_at)
                           .Run());
    return db_->Changes() == 1;
  }

  Result<std::vector<Notification>> ListNotifications(const std::string& account,
                                                      std::optional<UnixTime> due_by, int limit) override {
    SK_ASSIGN_OR_RETURN(auto reader, readers_.Acquire());
    // SQLite: LIMIT -1 is no limit; the newest first unless due ones are asked for.
    Statement& s =
        reader->Prepared(std::string(domain::kNotificationColumns) +
                         (due_by ? " WHERE account=? AND state='pending' AND next_at<=?3 ORDER BY id"
                                 : " WHERE account=? ORDER BY id DESC") +
                         " LIMIT ?2");
    s.Bind(1, account).Bind(2, limit > 0 ? limit : -1);
    if (due_by) s.Bind(3, *due_by);
    std::vector<Notification> out;
    while (s.Step()) out.push_back(domain::ReadNotification(s));
    SK_RETURN_IF_ERROR(s.status());
    return out;
  }

  Result<bool> ClaimNotification(const std::string& account, int64_t id, int64_t attempts,
                                 UnixTime lease_until) override {
    std::lock_guard lock(mu_);
    Statement s(db_->handle(),
                "UPDATE notifications SET attempts=attempts+1, next_at=? WHERE account=? AND id=? AND "
                "attempts=? AND state='pending'");
    SK_RETURN_IF_ERROR(s.Bind(1, lease_until).Bind(2, account).Bind(3, id).Bind(4, attempts).Run());
    return db_->Changes() == 1;
  }

  Status FinishNotification(const Notification& n) override {
    std::lock_guard lock(mu_);
    Statement s(
        db_->handle(),
        "UPDATE notifications SET state=?, last_error=?, next_at=?, sent_at=? WHERE account=? AND id=?");
    s.Bind(1, n.state).Bind(2, n.last_error).Bind(3, n.next_at);
    if (n.sent_at) s.Bind(4, *n.sent_at);
    return s.Bind(5, n.account).Bind(6, n.id).Run();
  }

  Result<std::optional<ActionClaim>> ClaimAction(const std::string& account,
                                                 const ActionClaim& claim) override {
    std::lock_guard lock(mu_);
    // INSERT OR IGNORE on the primary key decides, across processes too.
    Statement ins(db_->handle(),
                  "INSERT OR IGNORE INTO action_claims(account, key, request, owner, state, claimed_at) "
                  "VALUES(?,?,?,?,'running',?)");
    SK_RETURN_IF_ERROR(ins.Bind(1, account)
                           .Bind(2, claim.key)
                           .Bind(3, claim.request)
                           .Bind(4, claim.owner)
                           .Bind(5, claim.claimed_at)
                           .Run());
    if (db_->Changes() == 1) return std::optional<ActionClaim>();
    Statement q(db_->handle(), std::string(domain::kClaimColumns) + " WHERE account=? AND key=?");
    q.Bind(1, account).Bind(2, claim.key);
    if (!q.Step()) {
      SK_RETURN_IF_ERROR(q.status());
      return Internal("action claim " + claim.key + " vanished");
    }
    return std::optional<ActionClaim>(domain::ReadClaim(claim.key, q));
  }

  Result<bool> TakeOverActionClaim(const std::string& account, const std::string& key,
                                   const std::string& stale_owner, const std::string& owner,
                                   UnixTime at) override {
    std::lock_guard lock(mu_);
    Statement s(db_->handle(),
                "UPDATE action_claims SET owner=?, claimed_at=? WHERE account=? AND key=? AND owner=? AND "
                "state='running'");
    SK_RETURN_IF_ERROR(s.Bind(1, owner).Bind(2, at).Bind(3, account).Bind(4, key).Bind(5, stale_owner).Run());
    return db_->Changes() == 1;
  }

  Status FinishActionClaim(const std::string& account, const std::string& key, const std::string& outcome,
                           int code, UnixTime at) override {
    std::lock_guard lock(mu_);
    Statement s(
        db_->handle(),
        "UPDATE action_claims SET state='done', outcome=?, code=?, finished_at=? WHERE account=? AND key=?");
    return s.Bind(1, outcome).Bind(2, code).Bind(3, at).Bind(4, account).Bind(5, key).Run();
  }

  Result<std::vector<SealedSecrets>> ReadSealedSecrets() override {
    std::lock_guard lock(mu_);
    WriterUse use(db_.get());
    return ReadSealedLocked();
  }

  Result<ResealCount> ResealSecrets(const SecretBox& from, const SecretBox& to) override {
    std::lock_guard lock(mu_);
    ResealCount count;
    {
      WriterUse use(db_.get());
      // Freed content is overwritten, so old ciphertexts do not linger in free pages.
      SK_RETURN_IF_ERROR(db_->Exec("PRAGMA secure_delete=ON"));
      Transaction tx(db_.get());
      SK_RETURN_IF_ERROR(tx.status());
      SK_ASSIGN_OR_RETURN(auto rows, ReadSealedLocked());
      SK_ASSIGN_OR_RETURN(auto resealed, domain::Reseal(rows, from, to, &count.secrets));
      Statement& u = db_->Prepared(
          "UPDATE connections SET secret=?, refresh_token=?, client_secret=?, notify_secret=? "
          "WHERE account=?");
      for (const auto& r : resealed) {
        u.Reset();
        u.Bind(1, r.values[0]).Bind(2, r.values[1]).Bind(3, r.values[2]).Bind(4, r.values[3]);
        SK_RETURN_IF_ERROR(u.Bind(5, r.account).Run());
      }
      SK_RETURN_IF_ERROR(tx.Commit());
      count.accounts = static_cast<int64_t>(rows.size());
    }
    // Rewrite the file and empty the WAL. Another process may be reading: the new key is in use already.
    if (Status v = db_->Exec("VACUUM"); !v.ok()) spdlog::warn("rekey: VACUUM failed: {}", v.message());
    if (Status c = db_->Exec("PRAGMA wal_checkpoint(TRUNCATE)"); !c.ok())
      spdlog::warn("rekey: WAL checkpoint failed: {}", c.message());
    return count;
  }

 private:
  // The text `sql` selects for (account, key) on a reader, or none.
  Result<std::optional<std::string>> ValueOf(const char* sql, const std::string& account,
                                             const std::string& key) {
    SK_ASSIGN_OR_RETURN(auto reader, readers_.Acquire());
    Statement& s = reader->Prepared(sql);
    s.Bind(1, account).Bind(2, key);
    if (s.Step()) return std::optional<std::string>(s.Text(0));
    SK_RETURN_IF_ERROR(s.status());
    return std::optional<std::string>();
  }
  static constexpr size_t kDayScanRows = 256;

  // Caller holds mu_ and a write transaction. Appends `e` to its account's
  // chain (a revision of entry `revision_of` unless 0); returns the row id.
  Result<int64_t> AppendLink(const AuditEntry& e, int64_t revision_of) {
    Statement ensure(db_->handle(),
                     "INSERT INTO audit_head(account, seq, hash, legacy_max_id) VALUES(?,0,'',0) "
                     "ON CONFLICT(account) DO NOTHING");
    ensure.Bind(1, e.account);
    SK_RETURN_IF_ERROR(ensure.Run());
    Statement head(db_->handle(), std::string(domain::kAuditHeadColumns) + " WHERE account=?");
    head.Bind(1, e.account);
    if (!head.Step())
      return head.status().ok() ? IoError("sqlite: the audit head was not written") : head.status();
    AuditLink l = domain::NextLink(e, revision_of, domain::ReadAuditHead(head));
    head.Reset();
    Statement ins(
        db_->handle(),
        "INSERT INTO audit(account, at, actor, action, target, before_json, after_json, result, detail, "
        "revision_of, seq, prev_hash, hash) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,'')");
    const AuditEntry& x = l.entry;
    ins.Bind(1, x.account).Bind(2, x.at).Bind(3, x.actor).Bind(4, x.action).Bind(5, x.target);
    ins.Bind(6, x.before_json).Bind(7, x.after_json).Bind(8, x.result).Bind(9, x.detail);
    ins.Bind(10, revision_of ? std::optional<int64_t>(revision_of) : std::nullopt).Bind(11, *l.seq);
    ins.Bind(12, l.prev_hash);
    SK_RETURN_IF_ERROR(ins.Run());
    domain::SealLink(&l, static_cast<int64_t>(sqlite3_last_insert_rowid(db_->handle())));
    Statement seal(db_->handle(), "UPDATE audit SET hash=? WHERE id=?");
    seal.Bind(1, l.hash).Bind(2, l.entry.id);
    SK_RETURN_IF_ERROR(seal.Run());
    Statement move(db_->handle(), "UPDATE audit_head SET seq=?, hash=? WHERE account=?");
    move.Bind(1, *l.seq).Bind(2, l.hash).Bind(3, l.entry.account);
    SK_RETURN_IF_ERROR(move.Run());
    return l.entry.id;
  }

  // Caller holds mu_.
  Result<std::vector<SealedSecrets>> ReadSealedLocked() {
    Statement& s = db_->Prepared(
        "SELECT account, secret, refresh_token, client_secret, notify_secret FROM connections ORDER BY "
        "account");
    std::vector<SealedSecrets> rows;
    while (s.Step()) rows.push_back({s.Text(0), {s.Text(1), s.Text(2), s.Text(3), s.Text(4)}});
    SK_RETURN_IF_ERROR(s.status());
    s.Reset();
    return rows;
  }
  // (day, license, paid) -> users who became active that day in that bucket.
  using NewlyActive = std::map<std::tuple<DayNumber, std::string, bool>, int64_t>;

  // Caller holds mu_ and a transaction. Upserts the rows and counts each
  // (day, user) that had no activity before in day_summary. API use rows are
  // not activity: they neither make a user active that day nor count in
  // day_summary.
  Status AddActivity(const std::string& account, const domain::PendingRows& rows) {
    std::map<DayNumber, size_t> per_day;
    for (const auto& [key, pending] : rows) ++per_day[std::get<0>(key)];
    DayScan scanned;
    std::unordered_map<int64_t, std::optional<domain::Bucket>> buckets;
    NewlyActive newly_active;
    for (auto it = rows.begin(); it != rows.end();) {
      const DayNumber day = std::get<0>(it->first);
      const int64_t user = std::get<1>(it->first);
      SK_ASSIGN_OR_RETURN(bool was_active,
                          WasActive(account, day, user, per_day[day] >= kDayScanRows, &scanned));
      bool any_activity = false;
      for (; it != rows.end() && std::get<0>(it->first) == day && std::get<1>(it->first) == user; ++it) {
        SK_RETURN_IF_ERROR(UpsertActivity(account, it->first, it->second));
        any_activity |= CountsAsActive(std::get<2>(it->first));
      }
      if (was_active || !any_activity) continue;
      auto [b, inserted] = buckets.try_emplace(user);
      if (inserted) {
        SK_ASSIGN_OR_RETURN(b->second, BucketNow(account, user));
      }
      if (b->second) ++newly_active[{day, b->second->license, b->second->paid}];
    }
    return CountNewlyActive(account, newly_active);
  }

  // The users active (not API use only) on `day`, read by WasActive.
  struct DayScan {
    std::optional<DayNumber> day;
    std::unordered_set<int64_t> users;
  };

  // Whether `user` had activity on `day` before this page. With `scan_day`
  // (a day with many rows) one scan of the day's index range answers for all
  // its users instead of one seek each (a sync batch covers a day or two of a
  // large account).
  Result<bool> WasActive(const std::string& account, DayNumber day, int64_t user, bool scan_day,
                         DayScan* scanned) {
    if (scan_day) {
      if (scanned->day != day) {
        Statement& s = db_->Prepared(
            "SELECT DISTINCT user_id FROM activity WHERE account=? AND day=? AND kind NOT IN ('api_use', "
            "'full_agent_work')");
        scanned->users.clear();
        s.Bind(1, account).Bind(2, static_cast<int64_t>(day));
        while (s.Step()) scanned->users.insert(s.Int(0));
        SK_RETURN_IF_ERROR(s.status());
        s.Reset();
        scanned->day = day;
      }
      return scanned->users.count(user) != 0;
    }
    Statement& probe = db_->Prepared(
        "SELECT 1 FROM activity WHERE account=? AND day=? AND user_id=? AND kind NOT IN ('api_use', "
        "'full_agent_work') LIMIT 1");
    probe.Bind(1, account).Bind(2, static_cast<int64_t>(day)).Bind(3, user);
    const bool was_active = probe.Step();
    SK_RETURN_IF_ERROR(probe.status());
    probe.Reset();
    return was_active;
  }

  // Adds one summed row to the activity table (evidence capped at domain::kEvidenceCap ids).
  Status UpsertActivity(const std::string& account, const domain::ActivityKey& key,
                        const domain::PendingActivity& pending) {
    Statement& add = db_->Prepared(
        "INSERT INTO activity(account, day, user_id, kind, count, evidence) VALUES(?,?,?,?,?,?) "
        "ON CONFLICT(account, day, user_id, kind) DO UPDATE SET count = count + excluded.count, "
        "evidence = CASE WHEN evidence = '' THEN excluded.evidence "
        "WHEN excluded.evidence = '' OR length(evidence) - length(replace(evidence, ',', '')) >= 4 "
        "THEN evidence ELSE evidence || ',' || excluded.evidence END");
    add.Bind(1, account).Bind(2, static_cast<int64_t>(std::get<0>(key))).Bind(3, std::get<1>(key));
    add.Bind(4, KindName(std::get<2>(key))).Bind(5, pending.count).Bind(6, domain::JoinEvidence(pending));
    return add.Run();
  }

  // The day_summary bucket `user` counts in now; none for a user not stored.
  Result<std::optional<domain::Bucket>> BucketNow(const std::string& account, int64_t user) {
    Statement& who =
        db_->Prepared("SELECT license, seat != 0 AND deleted = 0 FROM users WHERE account=? AND id=?");
    who.Bind(1, account).Bind(2, user);
    std::optional<domain::Bucket> out;
    if (who.Step()) out = domain::Bucket{who.Text(0), who.Int(1) != 0};
    SK_RETURN_IF_ERROR(who.status());
    who.Reset();
    return out;
  }

  Status CountNewlyActive(const std::string& account, const NewlyActive& newly_active) {
    Statement& bump = db_->Prepared(
        "INSERT INTO day_summary(account, day, license, paid, users) VALUES(?,?,?,?,?) "
        "ON CONFLICT(account, day, license, paid) DO UPDATE SET users = users + excluded.users");
    for (const auto& [key, n] : newly_active) {
      bump.Reset();
      bump.Bind(1, account).Bind(2, static_cast<int64_t>(std::get<0>(key))).Bind(3, std::get<1>(key));
      SK_RETURN_IF_ERROR(bump.Bind(4, std::get<2>(key)).Bind(5, n).Run());
    }
    return Status::Ok();
  }

  // Caller holds mu_ and a transaction. Moves the active days of `user` in
  // day_summary from bucket `from` (none: not counted yet) to `to` (none: no longer counted).
  Status MoveUserDays(const std::string& account, int64_t user, const std::optional<domain::Bucket>& from,
                      const std::optional<domain::Bucket>& to) {
    static constexpr const char* kDays =
        "SELECT DISTINCT day FROM activity WHERE account=?1 AND user_id=?2 AND kind NOT IN ('api_use', "
        "'full_agent_work')";
    if (from) {
      Statement& s =
          db_->Prepared(std::string("UPDATE day_summary SET users = users - 1 WHERE account=?1 AND "
                                    "license=?3 AND paid=?4 AND day IN (") +
                        kDays + ")");
      SK_RETURN_IF_ERROR(s.Bind(1, account).Bind(2, user).Bind(3, from->license).Bind(4, from->paid).Run());
    }
    if (to) {
      Statement& s = db_->Prepared(std::string("INSERT INTO day_summary(account, day, license, paid, users) "
                                               "SELECT ?1, day, ?3, ?4, 1 FROM (") +
                                   kDays +
                                   ") WHERE true ON CONFLICT(account, day, license, paid) DO UPDATE SET "
                                   "users = users + 1");
      SK_RETURN_IF_ERROR(s.Bind(1, account).Bind(2, user).Bind(3, to->license).Bind(4, to->paid).Run());
    }
    return Status::Ok();
  }

  // Users not seen by the user pass `run_id` (its user_pass rows, or the
  // seen_run stamp that stores before schema 5 wrote) and not permanently
  // deleted, by id. On the writer's connection, whose page cache is capped:
  // the query scans every user of the account, and through a reader's memory
  // map that scan would stay resident (+100 MB peak RSS for 500,000 users).
  // Caller holds mu_.
  Result<std::vector<int64_t>> UnseenLocked(const std::string& account, const std::string& run_id) {
    std::vector<int64_t> seen;
    Statement& pass = db_->Prepared("SELECT ids FROM user_pass WHERE account=? AND run=?");
    pass.Bind(1, account).Bind(2, run_id);
    while (pass.Step()) domain::SplitUserIds(pass.Text(0), &seen);
    SK_RETURN_IF_ERROR(pass.status());
    std::sort(seen.begin(), seen.end());
    Statement& s = db_->Prepared(
        "SELECT id, seen_run IS ? FROM users WHERE account=? AND deleted_kind != 'permanent' ORDER BY id");
    s.Bind(1, run_id).Bind(2, account);
    std::vector<int64_t> out;
    while (s.Step()) {
      const int64_t id = s.Int(0);
      if (s.Int(1) == 0 && !std::binary_search(seen.begin(), seen.end(), id)) out.push_back(id);
    }
    SK_RETURN_IF_ERROR(s.status());
    return out;
  }

  // Records the ids a page of the user pass `run_id` saw; the first page of a
  // new pass drops the previous pass's rows. Caller holds mu_ and a transaction.
  Status RecordSeen(const std::string& account, const std::vector<UserRecord>& users,
                    const std::string& run_id) {
    if (run_id.empty() || users.empty()) return Status::Ok();
    Statement& drop = db_->Prepared("DELETE FROM user_pass WHERE account=? AND run<>?");
    SK_RETURN_IF_ERROR(drop.Bind(1, account).Bind(2, run_id).Run());
    Statement& add = db_->Prepared("INSERT INTO user_pass(account, run, ids) VALUES(?,?,?)");
    return add.Bind(1, account).Bind(2, run_id).Bind(3, domain::JoinUserIds(users)).Run();
  }

  // Caller holds mu_ and a transaction. A user whose stored record is
  // unchanged is not written: a sync reads every user, and rewriting them all
  // (500,000 rows spread over the table in the export's order) cost gigabytes
  // of WAL a day.
  // The previous sync's time (see domain::LastSyncOf). Caller holds mu_.
  Result<std::optional<UnixTime>> LastSync(const std::string& account) {
    Statement& s = db_->Prepared("SELECT data FROM connections WHERE account=?");
    s.Bind(1, account);
    std::optional<UnixTime> out;
    if (s.Step()) out = domain::LastSyncOf(s.Text(0));
    SK_RETURN_IF_ERROR(s.status());
    s.Reset();
    return out;
  }

  Status UpsertUsers(const std::string& account, const Page& page, UnixTime seen_at) {
    const std::vector<UserRecord>& users = page.users;
    if (users.empty()) return Status::Ok();
    std::optional<domain::ChangeStamp> stamp;  // read when the first change is found
    Statement& get =
        db_->Prepared(std::string(domain::kUserColumns) + " FROM users u WHERE account=? AND id=?");
    Statement& change = db_->Prepared(
        "INSERT INTO user_changes(account, user_id, at, field, old, new, since, actor) "
        "VALUES(?,?,?,?,?,?,?,?)");
    Statement& put = db_->Prepared(
        "INSERT INTO users(account, id, name, email, role, role_type, custom_role_id, custom_role, license, "
        "seat, suspended, deleted, deleted_kind, last_login_at, created_at, updated_at, first_seen_at, "
        "changed_at, tags) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT(account, id) DO UPDATE SET name=excluded.name, email=excluded.email, "
        "role=excluded.role, role_type=excluded.role_type, custom_role_id=excluded.custom_role_id, "
        "custom_role=excluded.custom_role, license=excluded.license, seat=excluded.seat, "
        "suspended=excluded.suspended, deleted=excluded.deleted, deleted_kind=excluded.deleted_kind, "
        "last_login_at=excluded.last_login_at, created_at=excluded.created_at, "
        "updated_at=excluded.updated_at, changed_at=COALESCE(excluded.changed_at, changed_at), "
        "tags=excluded.tags");
    SK_RETURN_IF_ERROR(get.status());
    SK_RETURN_IF_ERROR(change.status());
    SK_RETURN_IF_ERROR(put.status());
    for (const auto& u : users) {
      get.Reset();
      get.Bind(1, account).Bind(2, u.id);
      std::optional<UserRecord> old;
      if (get.Step()) old = domain::ReadUser(get);
      SK_RETURN_IF_ERROR(get.status());
      if (old && *old == u) continue;
      std::optional<domain::Bucket> was;
      if (old) was = domain::BucketOf(*old);
      bool changed = !old;
      if (old) {
        for (const auto& c : domain::UserChanges(*old, u)) {
          changed = true;
          if (!stamp) {
            stamp = domain::ChangeStamp{page.changes_at.value_or(seen_at), std::nullopt, page.changed_by};
            if (page.changed_by.empty()) {
              SK_ASSIGN_OR_RETURN(stamp->since, LastSync(account));
            }
          }
          change.Reset();
          change.Bind(1, account).Bind(2, u.id).Bind(3, stamp->at);
          change.Bind(4, c.field).Bind(5, c.old_value).Bind(6, c.new_value).Bind(7, stamp->since);
          SK_RETURN_IF_ERROR(
              change.Bind(8, stamp->actor.empty() ? std::nullopt : std::optional<std::string>(stamp->actor))
                  .Run());
        }
      }
      put.Reset();
      put.Bind(1, account).Bind(2, u.id).Bind(3, u.name).Bind(4, u.email).Bind(5, u.role);
      if (u.role_type)
        put.Bind(6, *u.role_type);
      else
        put.BindNull(6);
      put.Bind(7, u.custom_role_id).Bind(8, u.custom_role).Bind(9, u.license).Bind(10, u.seat);
      put.Bind(11, u.suspended).Bind(12, u.deleted).Bind(13, u.deleted_kind).Bind(14, u.last_login_at);
      put.Bind(15, u.created_at).Bind(16, u.updated_at).Bind(17, seen_at);
      if (changed)
        put.Bind(18, seen_at);
      else
        put.BindNull(18);
      put.Bind(19, domain::JoinTags(u.tags));
      SK_RETURN_IF_ERROR(put.Run());
      const domain::Bucket now = domain::BucketOf(u);
      if (was != now) SK_RETURN_IF_ERROR(MoveUserDays(account, u.id, was, now));
    }
    return Status::Ok();
  }

  std::mutex mu_;  // the writer: one write transaction at a time
  std::unique_ptr<Database> db_;
  SecretBox box_;
  ReaderPool readers_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqlite(const std::string& path, const std::string& home,
                                          const OpenOptions& options) {
  ::mkdir(home.c_str(), 0700);
  SK_ASSIGN_OR_RETURN(auto box, SecretBox::Open(home));
  SK_ASSIGN_OR_RETURN(auto db, Database::Open(path));
  ::chmod(path.c_str(), 0600);
  // Sync commits one transaction per Zendesk page and rewrites the same hot
  // activity pages each time: a larger WAL before checkpointing writes each
  // page to the database file once per 32 MB of WAL instead of once per 4 MB,
  // and a 24 MB page cache keeps the activity indexes out of pread (bench/:
  // both bounded, so peak memory stays flat as the account grows).
  SK_RETURN_IF_ERROR(db->Exec("PRAGMA wal_autocheckpoint=8192; PRAGMA cache_size=-24576;"));
  auto store = std::make_unique<SqliteStore>(std::move(db), std::move(box), path, options.mapped_reads);
  SK_RETURN_IF_ERROR(store->Migrate());
  return std::unique_ptr<Store>(std::move(store));
}

namespace {

// Due and claimable conditions shared by Claim and List (see sync_queue.h).
constexpr const char* kDueSql =
    "c.state != 'not-connected' AND (json_extract(c.data, '$.last_sync_at') IS NULL "
    "OR json_extract(c.data, '$.last_sync_at') < ?1 - 86400 "
    "OR EXISTS(SELECT 1 FROM kv WHERE kv.account = c.account AND kv.key = 'sync_requested' AND kv.value = "
    "'1'))";

class SqliteQueue final : public SyncQueue {
 public:
  explicit SqliteQueue(std::unique_ptr<Database> db) : db_(std::move(db)) {}

  Result<std::optional<Lease>> Claim(const std::string& owner, int lease_seconds,
                                     UnixTime sync_now) override {
    return ClaimPicked(
        std::string("SELECT c.account, EXISTS(SELECT 1 FROM kv WHERE kv.account = c.account AND "
                    "kv.key = 'sync_requested' AND kv.value = '1') AS requested "
                    "FROM connections c JOIN sync_leases l ON l.account = c.account WHERE ") +
            kDueSql +
            " AND l.expires_ms < ?2 AND l.not_before_ms <= ?2 AND NOT EXISTS(SELECT 1 FROM sync_leases "
            "l2 JOIN connections c2 ON c2.account = l2.account WHERE l2.account != c.account AND "
            "l2.expires_ms >= ?2 AND json_extract(c2.data, '$.url') = json_extract(c.data, '$.url')) "
            "ORDER BY requested DESC, COALESCE(json_extract(c.data, '$.last_sync_at'), 0), c.account "
            "LIMIT 1",
        [sync_now](Statement& pick) { pick.Bind(1, static_cast<int64_t>(sync_now)); }, owner, lease_seconds);
  }

  Result<std::optional<Lease>> ClaimAccount(const std::string& account, const std::string& owner,
                                            int lease_seconds) override {
    // Free: no live lease on the account, nor on another name for its Zendesk URL (as in Claim).
    return ClaimPicked(
        "SELECT c.account, EXISTS(SELECT 1 FROM kv WHERE kv.account = c.account AND kv.key = "
        "'sync_requested' "
        "AND kv.value = '1') FROM connections c JOIN sync_leases l ON l.account = c.account WHERE "
        "c.account = ?1 AND l.expires_ms < ?2 AND NOT EXISTS(SELECT 1 FROM sync_leases l2 JOIN "
        "connections c2 ON c2.account = l2.account WHERE l2.account != c.account AND "
        "l2.expires_ms >= ?2 AND json_extract(c2.data, '$.url') = json_extract(c.data, '$.url'))",
        [&account](Statement& pick) { pick.Bind(1, account); }, owner, lease_seconds);
  }

  Result<bool> Heartbeat(const Lease& lease, int lease_seconds) override {
    std::lock_guard lock(mu_);
    const int64_t wall = WallMillis();
    Transaction tx(db_.get());
    SK_RETURN_IF_ERROR(tx.status());
    Statement s(db_->handle(),
                "UPDATE sync_leases SET expires_ms=? WHERE account=? AND owner=? AND generation=?");
    SK_RETURN_IF_ERROR(s.Bind(1, wall + static_cast<int64_t>(lease_seconds) * 1000)
                           .Bind(2, lease.account)
                           .Bind(3, lease.owner)
                           .Bind(4, lease.generation)
                           .Run());
    bool held = db_->Changes() == 1;
    if (held) {
      Statement r(db_->handle(), "UPDATE sync_runs SET heartbeat_ms=? WHERE id=?");
      SK_RETURN_IF_ERROR(r.Bind(1, wall).Bind(2, lease.run_id).Run());
    }
    SK_RETURN_IF_ERROR(tx.Commit());
    return held;
  }

  Status Release(const Lease& lease, bool ok, const std::string& result, int retry_seconds) override {
    std::lock_guard lock(mu_);
    const int64_t wall = WallMillis();
    Transaction tx(db_.get());
    SK_RETURN_IF_ERROR(tx.status());
    Statement s(db_->handle(),
                ok ? "UPDATE sync_leases SET owner='', expires_ms=0, not_before_ms=0, successes=successes+1, "
                     "last_result=?1 WHERE account=?2 AND generation=?3"
                   : "UPDATE sync_leases SET owner='', expires_ms=0, not_before_ms=?4, failures=failures+1, "
                     "last_result=?1 WHERE account=?2 AND generation=?3");
    s.Bind(1, result).Bind(2, lease.account).Bind(3, lease.generation);
    if (!ok) s.Bind(4, wall + static_cast<int64_t>(retry_seconds) * 1000);
    SK_RETURN_IF_ERROR(s.Run());
    Statement r(db_->handle(), "UPDATE sync_runs SET finished_ms=?, heartbeat_ms=?, result=? WHERE id=?");
    SK_RETURN_IF_ERROR(r.Bind(1, wall).Bind(2, wall).Bind(3, result).Bind(4, lease.run_id).Run());
    if (!ok && lease.requested) {
      Statement again(db_->handle(),
                      "INSERT OR REPLACE INTO kv(account, key, value) VALUES(?, 'sync_requested', '1')");
      SK_RETURN_IF_ERROR(again.Bind(1, lease.account).Run());
    }
    return tx.Commit();
  }

  Status ExpireLease(const std::string& account, const std::string& owner) override {
    std::lock_guard lock(mu_);
    Statement s(db_->handle(), "UPDATE sync_leases SET expires_ms=0 WHERE account=? AND owner=?");
    return s.Bind(1, account).Bind(2, owner).Run();
  }

  Status RequestSync(const std::string& account) override {
    std::lock_guard lock(mu_);
    Statement s(db_->handle(),
                "INSERT OR REPLACE INTO kv(account, key, value) VALUES(?, 'sync_requested', '1')");
    return s.Bind(1, account).Run();
  }

  Result<std::vector<QueueEntry>> List(UnixTime sync_now) override {
    std::lock_guard lock(mu_);
    const int64_t wall = WallMillis();
    Statement s(db_->handle(),
                std::string("SELECT c.account, COALESCE(json_extract(c.data, '$.url'), ''), c.state, "
                            "json_extract(c.data, '$.last_sync_at'), (") +
                    kDueSql +
                    "), CASE WHEN l.expires_ms >= ?2 THEN l.owner ELSE '' END, COALESCE(l.expires_ms, 0), "
                    "COALESCE(l.successes, 0), COALESCE(l.failures, 0), COALESCE(l.last_result, '') "
                    "FROM connections c LEFT JOIN sync_leases l ON l.account = c.account ORDER BY c.account");
    SK_RETURN_IF_ERROR(s.status());
    s.Bind(1, static_cast<int64_t>(sync_now)).Bind(2, wall);
    std::vector<QueueEntry> out;
    while (s.Step()) out.push_back(domain::ReadQueueEntry(s));
    SK_RETURN_IF_ERROR(s.status());
    return out;
  }

  Result<std::vector<SyncRun>> Runs() override {
    std::lock_guard lock(mu_);
    Statement s(db_->handle(), std::string(domain::kSyncRunColumns) + " ORDER BY id");
    std::vector<SyncRun> out;
    while (s.Step()) out.push_back(domain::ReadSyncRun(s));
    SK_RETURN_IF_ERROR(s.status());
    return out;
  }

 private:
  // One claim, in one BEGIN IMMEDIATE transaction (one claimer at a time
  // across processes: SQLite's single writer): `pick_sql` (?2 the wall clock
  // in ms; `bind` binds ?1) selects an account and whether a sync was
  // requested for it; its lease is taken for `owner`. No row: none.
  Result<std::optional<Lease>> ClaimPicked(const std::string& pick_sql,
                                           const std::function<void(Statement&)>& bind,
                                           const std::string& owner, int lease_seconds) {
    std::lock_guard lock(mu_);
    const int64_t wall = WallMillis();
    Transaction tx(db_.get());
    SK_RETURN_IF_ERROR(tx.status());
    SK_RETURN_IF_ERROR(
        db_->Exec("INSERT OR IGNORE INTO sync_leases(account) SELECT account FROM connections"));
    Statement pick(db_->handle(), pick_sql);
    SK_RETURN_IF_ERROR(pick.status());
    bind(pick);
    pick.Bind(2, wall);
    if (!pick.Step()) {
      SK_RETURN_IF_ERROR(pick.status());
      return std::optional<Lease>();
    }
    SK_ASSIGN_OR_RETURN(Lease l, Take(pick.Text(0), owner, pick.Int(1) != 0, lease_seconds, wall));
    SK_RETURN_IF_ERROR(tx.Commit());
    return std::optional<Lease>(std::move(l));
  }
  // Inside a claim's transaction: gives `account` to `owner` (a new
  // generation), clears its sync request and starts its run.
  Result<Lease> Take(const std::string& account, const std::string& owner, bool requested, int lease_seconds,
                     int64_t wall) {
    Lease l;
    l.account = account;
    l.owner = owner;
    l.requested = requested;
    Statement take(db_->handle(),
                   "UPDATE sync_leases SET owner=?, generation=generation+1, expires_ms=? WHERE account=?");
    SK_RETURN_IF_ERROR(take.Bind(1, owner)
                           .Bind(2, wall + static_cast<int64_t>(lease_seconds) * 1000)
                           .Bind(3, account)
                           .Run());
    Statement gen(db_->handle(), "SELECT generation FROM sync_leases WHERE account=?");
    gen.Bind(1, account);
    if (gen.Step()) l.generation = gen.Int(0);
    SK_RETURN_IF_ERROR(gen.status());
    if (requested) {
      Statement clear(db_->handle(), "UPDATE kv SET value='0' WHERE account=? AND key='sync_requested'");
      SK_RETURN_IF_ERROR(clear.Bind(1, account).Run());
    }
    Statement run(
        db_->handle(),
        "INSERT INTO sync_runs(account, owner, generation, started_ms, heartbeat_ms) VALUES(?,?,?,?,?)");
    SK_RETURN_IF_ERROR(
        run.Bind(1, account).Bind(2, owner).Bind(3, l.generation).Bind(4, wall).Bind(5, wall).Run());
    l.run_id = static_cast<int64_t>(sqlite3_last_insert_rowid(db_->handle()));
    return l;
  }

  std::mutex mu_;
  std::unique_ptr<Database> db_;
};

}  // namespace

Result<std::unique_ptr<SyncQueue>> OpenSqliteQueue(const std::string& path) {
  SK_ASSIGN_OR_RETURN(auto db, Database::Open(path));
  ::chmod(path.c_str(), 0600);
  SK_RETURN_IF_ERROR(MigrateSqlite(db.get()));
  return std::unique_ptr<SyncQueue>(std::make_unique<SqliteQueue>(std::move(db)));
}

}  // namespace sk::store
