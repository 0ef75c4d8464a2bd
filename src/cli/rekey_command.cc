// rekey: rotates the key that seals the stored secrets (issue #7).
//
// Every sealed value (access/API token, refresh token, client secret of every
// connected account) is opened with the current key and sealed again with a
// fresh random key, in one transaction of the store's database: SQLite, or
// PostgreSQL with SEATKEEPER_DB=postgresql://... (rows locked against the
// other processes; restart them with the new key afterwards). With a key file the new key is
// first written to SEATKEEPER_HOME/key.new (0600, fsync), the database is
// re-sealed, then key.new is renamed over key (atomic) and the folder synced.
// A run killed between the commit and the rename leaves key.new behind: the
// next `seatkeeper rekey` sees that the secrets open with key.new and finishes
// the rename. With SEATKEEPER_KEY (or the config file's `key`) the new key is
// printed for the admin to put in its place; nothing is written to disk.
#include <fcntl.h>
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <sstream>

#include "cli/context.h"
#include "store/postgres_store.h"
#include "store/secret_box.h"
#include "store/sqlite_db.h"
#include "util/log.h"

namespace sk::cli {
namespace {

constexpr size_t kKeyBytes = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
const char* const kColumns[] = {"secret", "refresh_token", "client_secret"};

std::string ToHex(const std::string& bin) {
  std::string out(bin.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bin.data()), bin.size());
  out.pop_back();
  return out;
}

Result<std::string> KeyFromHex(std::string hex) {
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r' || hex.back() == ' ')) hex.pop_back();
  std::string out(kKeyBytes, '\0');
  size_t len = 0;
  if (hex.size() != kKeyBytes * 2 ||
      sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(), hex.size(),
                     nullptr, &len, nullptr) != 0 ||
      len != kKeyBytes)
    return IoError("not a 64-hex-digit key");
  return out;
}

struct SealedRow {
  std::string account;
  std::string values[3];
};

// The sealed columns of the connections table in the store's database.
class SealedSecrets {
 public:
  using Reseal = std::function<Result<std::vector<SealedRow>>(const std::vector<SealedRow>&)>;
  virtual ~SealedSecrets() = default;
  virtual Result<std::vector<SealedRow>> Read() = 0;
  // In one transaction: reads every row (no other writer can change one
  // meanwhile), gets the new values from `reseal`, and writes them.
  virtual Status Rewrite(const Reseal& reseal) = 0;
  // Best effort: drops copies sealed with the old key (free pages, WAL, dead rows).
  virtual void Compact() = 0;
};

class SqliteSecrets final : public SealedSecrets {
 public:
  explicit SqliteSecrets(std::unique_ptr<store::Database> db) : db_(std::move(db)) {}

  Result<std::vector<SealedRow>> Read() override {
    std::vector<SealedRow> rows;
    store::Statement s(db_->handle(),
                       "SELECT account, secret, refresh_token, client_secret FROM connections");
    while (s.Step()) rows.push_back({s.Text(0), {s.Text(1), s.Text(2), s.Text(3)}});
    SK_RETURN_IF_ERROR(s.status());
    return rows;
  }

  Status Rewrite(const Reseal& reseal) override {
    // Overwrite freed content, so old ciphertexts do not linger in free pages.
    SK_RETURN_IF_ERROR(db_->Exec("PRAGMA secure_delete=ON"));
    store::Transaction tx(db_.get());
    SK_RETURN_IF_ERROR(tx.status());
    SK_ASSIGN_OR_RETURN(auto rows, Read());
    SK_ASSIGN_OR_RETURN(auto resealed, reseal(rows));
    for (const auto& r : resealed) {
      store::Statement u(db_->handle(),
                         "UPDATE connections SET secret=?, refresh_token=?, client_secret=? WHERE account=?");
      SK_RETURN_IF_ERROR(
          u.Bind(1, r.values[0]).Bind(2, r.values[1]).Bind(3, r.values[2]).Bind(4, r.account).Run());
    }
    return tx.Commit();
  }

  void Compact() override {
    // Rewrite the file and empty the WAL. Another process may be reading: the new key is in use already.
    if (Status v = db_->Exec("VACUUM"); !v.ok()) spdlog::warn("rekey: VACUUM failed: {}", v.message());
    if (Status c = db_->Exec("PRAGMA wal_checkpoint(TRUNCATE)"); !c.ok())
      spdlog::warn("rekey: WAL checkpoint failed: {}", c.message());
  }

 private:
  std::unique_ptr<store::Database> db_;
};

class PostgresSecrets final : public SealedSecrets {
 public:
  explicit PostgresSecrets(std::string url) : url_(std::move(url)) {}

  Result<std::vector<SealedRow>> Read() override {
    return Guard<std::vector<SealedRow>>([&] {
      pqxx::connection c(url_);
      pqxx::read_transaction tx(c);
      return Rows(tx, "");
    });
  }

  Status Rewrite(const Reseal& reseal) override {
    return Guard<bool>([&]() -> Result<bool> {
             pqxx::connection c(url_);
             pqxx::work tx(c);
             // FOR UPDATE: a worker saving rotated OAuth tokens waits for this commit
             // (then fails to open them with its old key, and must restart).
             SK_ASSIGN_OR_RETURN(auto resealed, reseal(Rows(tx, " FOR UPDATE")));
             for (const auto& r : resealed)
               tx.exec_params(
                   "UPDATE connections SET secret=$1, refresh_token=$2, client_secret=$3 WHERE account=$4",
                   r.values[0], r.values[1], r.values[2], r.account);
             tx.commit();
             return true;
           })
        .status();
  }

  void Compact() override {
    try {
      pqxx::connection c(url_);
      pqxx::nontransaction tx(c);
      tx.exec("VACUUM connections");  // dead row versions still hold the old ciphertexts
    } catch (const std::exception& e) {
      spdlog::warn("rekey: VACUUM connections failed: {}", FirstLine(e.what()));
    }
  }

 private:
  static std::string FirstLine(const std::string& s) { return s.substr(0, s.find('\n')); }
  static std::vector<SealedRow> Rows(pqxx::transaction_base& tx, const std::string& lock) {
    std::vector<SealedRow> rows;
    auto r = tx.exec(
        "SELECT account, secret, refresh_token, client_secret FROM connections ORDER BY account" + lock);
    for (const auto& row : r) {
      SealedRow s;
      s.account = row[0].c_str();
      for (int i = 0; i < 3; ++i) s.values[i] = row[i + 1].is_null() ? "" : row[i + 1].c_str();
      rows.push_back(std::move(s));
    }
    return rows;
  }
  // Database errors become kIo.
  template <typename T, typename Fn>
  static Result<T> Guard(Fn&& fn) {
    try {
      return fn();
    } catch (const std::exception& e) {
      return IoError("postgresql: " + FirstLine(e.what()));
    }
  }
  std::string url_;
};

// The secrets of the database `store::DatabaseFor(home)` names.
Result<std::unique_ptr<SealedSecrets>> OpenSealed(const std::string& home) {
  const std::string db = store::DatabaseFor(home);
  if (store::IsPostgresUrl(db)) return std::unique_ptr<SealedSecrets>(std::make_unique<PostgresSecrets>(db));
  SK_ASSIGN_OR_RETURN(auto sqlite, store::Database::Open(db));
  return std::unique_ptr<SealedSecrets>(std::make_unique<SqliteSecrets>(std::move(sqlite)));
}

// True when every sealed value opens with `box`.
bool AllOpen(const std::vector<SealedRow>& rows, const store::SecretBox& box) {
  for (const auto& r : rows)
    for (int i = 0; i < 3; ++i)
      if (!box.Open(r.values[i], r.account + "/" + kColumns[i]).ok()) return false;
  return true;
}

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return IoError("cannot open " + dir);
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::Ok() : IoError("cannot sync " + dir);
}

Status WriteKeyFile(const std::string& path, const std::string& hex) {
  ::unlink(path.c_str());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot create " + path);
  std::string line = hex + "\n";
  bool ok = ::fchmod(fd, 0600) == 0;
  ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ok;
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return IoError("cannot write " + path);
  }
  return Status::Ok();
}

Status Rekey(Context& ctx) {
  if (sodium_init() < 0) return Internal("libsodium failed to initialise");
  const bool env_key = std::getenv("SEATKEEPER_KEY") && *std::getenv("SEATKEEPER_KEY");
  const std::string key_path = ctx.home + "/key", new_path = ctx.home + "/key.new";
  // Opening the store creates/migrates the database (and the key file on first use).
  SK_RETURN_IF_ERROR(ctx.Store().status());
  SK_ASSIGN_OR_RETURN(auto db, OpenSealed(ctx.home));
  SK_ASSIGN_OR_RETURN(auto rows, db->Read());
  SK_ASSIGN_OR_RETURN(auto old_box, store::SecretBox::Open(ctx.home));

  if (!AllOpen(rows, old_box)) {
    // An interrupted rekey: the database already uses key.new.
    if (!env_key && ::access(new_path.c_str(), F_OK) == 0) {
      std::ifstream in(new_path);
      std::stringstream ss;
      ss << in.rdbuf();
      auto key = KeyFromHex(ss.str());
      if (key.ok() && AllOpen(rows, store::SecretBox::FromKey(*key))) {
        if (::rename(new_path.c_str(), key_path.c_str()) != 0) return IoError("cannot rename " + new_path);
        SK_RETURN_IF_ERROR(SyncDir(ctx.home));
        *ctx.out << (ctx.json
                         ? nlohmann::json{{"rekeyed", true}, {"resumed", true}, {"key_file", key_path}}.dump(
                               2)
                         : "Finished an interrupted rekey: " + key_path + " now holds the new key.")
                 << "\n";
        return Status::Ok();
      }
    }
    return IoError(
        "the stored secrets do not open with the current key (SEATKEEPER_KEY or SEATKEEPER_HOME/key); "
        "nothing was "
        "changed");
  }

  std::string new_key(kKeyBytes, '\0');
  randombytes_buf(new_key.data(), new_key.size());
  const std::string hex = ToHex(new_key);
  log::RegisterSecret(hex);
  auto new_box = store::SecretBox::FromKey(new_key);
  if (!env_key) SK_RETURN_IF_ERROR(WriteKeyFile(new_path, hex));

  int secrets = 0;
  Status rewritten =
      db->Rewrite([&](const std::vector<SealedRow>& current) -> Result<std::vector<SealedRow>> {
        // Re-read inside the transaction: nothing can change between read and write.
        rows = current;
        secrets = 0;
        std::vector<SealedRow> out;
        for (const auto& r : current) {
          SealedRow n{r.account, {}};
          for (int i = 0; i < 3; ++i) {
            std::string ad = r.account + "/" + kColumns[i];
            SK_ASSIGN_OR_RETURN(std::string plain, old_box.Open(r.values[i], ad));
            n.values[i] = new_box.Seal(plain, ad);
            if (!plain.empty()) ++secrets;
            sodium_memzero(plain.data(), plain.size());
          }
          out.push_back(std::move(n));
        }
        return out;
      });
  if (!rewritten.ok()) {
    if (!env_key) ::unlink(new_path.c_str());
    return rewritten;
  }
  db->Compact();

  nlohmann::json j = {{"rekeyed", true}, {"accounts", rows.size()}, {"secrets", secrets}};
  if (env_key) {
    j["key"] = hex;
    if (ctx.json) {
      *ctx.out << j.dump(2) << "\n";
    } else {
      *ctx.out << "Re-sealed " << secrets << " secrets of " << rows.size()
               << " account(s) with a new key. The old key no longer opens them.\n"
               << "Replace SEATKEEPER_KEY (or the `key` setting) with this value before the next command"
               << (store::IsPostgresUrl(store::DatabaseFor(ctx.home))
                       ? ", on every machine sharing the database, and restart their workers and web servers"
                       : "")
               << ":\n"
               << hex << "\n";
    }
    return Status::Ok();
  }
  if (::rename(new_path.c_str(), key_path.c_str()) != 0)
    return IoError("cannot rename " + new_path + " to " + key_path);
  SK_RETURN_IF_ERROR(SyncDir(ctx.home));
  j["key_file"] = key_path;
  if (ctx.json) {
    *ctx.out << j.dump(2) << "\n";
  } else {
    *ctx.out << "Re-sealed " << secrets << " secrets of " << rows.size() << " account(s) with a new key in "
             << key_path << " (0600). The old key no longer opens them.\n";
  }
  return Status::Ok();
}

}  // namespace

void RegisterRekeyCommand(CLI::App& app, Context& ctx) {
  auto* rekey = app.add_subcommand("rekey", "Rotate the key that encrypts stored secrets");
  rekey->add_flag("--json", ctx.json, "JSON output");
  rekey->callback([&ctx] { ctx.Finish(Rekey(ctx)); });
}

}  // namespace sk::cli
