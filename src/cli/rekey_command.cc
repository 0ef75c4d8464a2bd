// rekey: rotates the key that seals the stored secrets (issue #7).
//
// Every sealed value (access/API token, refresh token, client secret of every
// connected account) is opened with the current key and sealed again with a
// fresh random key, in one SQLite transaction. With a key file the new key is
// first written to SEATKEEPER_HOME/key.new (0600, fsync), the database is
// re-sealed, then key.new is renamed over key (atomic) and the folder synced.
// A run killed between the commit and the rename leaves key.new behind: the
// next `seatkeeper rekey` sees that the secrets open with key.new and finishes
// the rename. With SEATKEEPER_KEY (or the config file's `key`) the new key is
// printed for the admin to put in its place; nothing is written to disk.
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <sstream>

#include "cli/context.h"
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
      sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(), hex.size(), nullptr, &len,
                     nullptr) != 0 ||
      len != kKeyBytes)
    return IoError("not a 64-hex-digit key");
  return out;
}

struct SealedRow {
  std::string account;
  std::string values[3];
};

Result<std::vector<SealedRow>> ReadSealed(store::Database& db) {
  std::vector<SealedRow> rows;
  store::Statement s(db.handle(), "SELECT account, secret, refresh_token, client_secret FROM connections");
  while (s.Step()) rows.push_back({s.Text(0), {s.Text(1), s.Text(2), s.Text(3)}});
  SK_RETURN_IF_ERROR(s.status());
  return rows;
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
  SK_ASSIGN_OR_RETURN(auto db, store::Database::Open(ctx.home + "/seatkeeper.db"));
  SK_ASSIGN_OR_RETURN(auto rows, ReadSealed(*db));
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
        *ctx.out << (ctx.json ? nlohmann::json{{"rekeyed", true}, {"resumed", true}, {"key_file", key_path}}.dump(2)
                              : "Finished an interrupted rekey: " + key_path + " now holds the new key.")
                 << "\n";
        return Status::Ok();
      }
    }
    return IoError(
        "the stored secrets do not open with the current key (SEATKEEPER_KEY or SEATKEEPER_HOME/key); nothing was "
        "changed");
  }

  std::string new_key(kKeyBytes, '\0');
  randombytes_buf(new_key.data(), new_key.size());
  const std::string hex = ToHex(new_key);
  log::RegisterSecret(hex);
  auto new_box = store::SecretBox::FromKey(new_key);
  if (!env_key) SK_RETURN_IF_ERROR(WriteKeyFile(new_path, hex));

  int secrets = 0;
  // Overwrite freed content, so old ciphertexts do not linger in free pages.
  SK_RETURN_IF_ERROR(db->Exec("PRAGMA secure_delete=ON"));
  {
    store::Transaction tx(db.get());
    SK_RETURN_IF_ERROR(tx.status());
    // Re-read inside the transaction: nothing can change between read and write.
    SK_ASSIGN_OR_RETURN(rows, ReadSealed(*db));
    for (const auto& r : rows) {
      std::string resealed[3];
      for (int i = 0; i < 3; ++i) {
        std::string ad = r.account + "/" + kColumns[i];
        SK_ASSIGN_OR_RETURN(std::string plain, old_box.Open(r.values[i], ad));
        resealed[i] = new_box.Seal(plain, ad);
        if (!plain.empty()) ++secrets;
        sodium_memzero(plain.data(), plain.size());
      }
      store::Statement u(db->handle(),
                         "UPDATE connections SET secret=?, refresh_token=?, client_secret=? WHERE account=?");
      SK_RETURN_IF_ERROR(u.Bind(1, resealed[0]).Bind(2, resealed[1]).Bind(3, resealed[2]).Bind(4, r.account).Run());
    }
    Status committed = tx.Commit();
    if (!committed.ok()) {
      if (!env_key) ::unlink(new_path.c_str());
      return committed;
    }
  }

  // Drop every copy sealed with the old key: rewrite the file and empty the WAL.
  // Best effort (another process may be reading): the new key is already in use.
  if (Status v = db->Exec("VACUUM"); !v.ok()) spdlog::warn("rekey: VACUUM failed: {}", v.message());
  if (Status c = db->Exec("PRAGMA wal_checkpoint(TRUNCATE)"); !c.ok())
    spdlog::warn("rekey: WAL checkpoint failed: {}", c.message());

  nlohmann::json j = {{"rekeyed", true}, {"accounts", rows.size()}, {"secrets", secrets}};
  if (env_key) {
    j["key"] = hex;
    if (ctx.json) {
      *ctx.out << j.dump(2) << "\n";
    } else {
      *ctx.out << "Re-sealed " << secrets << " secrets of " << rows.size()
               << " account(s) with a new key. The old key no longer opens them.\n"
               << "Replace SEATKEEPER_KEY (or the `key` setting) with this value before the next command:\n"
               << hex << "\n";
    }
    return Status::Ok();
  }
  if (::rename(new_path.c_str(), key_path.c_str()) != 0) return IoError("cannot rename " + new_path + " to " + key_path);
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
