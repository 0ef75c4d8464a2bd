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
// The re-sealing itself (SQL, locks, compaction) is the store's
// (Store::ResealSecrets); this file handles the key files and the output.
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/context.h"
#include "store/domain.h"
#include "store/open.h"
#include "store/secret_box.h"
#include "util/encoding.h"
#include "util/log.h"

namespace sk::cli {
namespace {

constexpr size_t kKeyBytes = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;

// The key in a key file's text (64 hex digits, then maybe a line end).
Result<std::string> KeyFromHex(std::string hex) {
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r' || hex.back() == ' ')) hex.pop_back();
  auto key = HexDecode(hex);
  if (!key || key->size() != kKeyBytes) return IoError("not a 64-hex-digit key");
  return *std::move(key);
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

// The database already opens with SEATKEEPER_HOME/key.new: a rekey killed
// between its commit and the rename of key.new over key. Finishes the rename.
Result<bool> FinishInterruptedRekey(Context& ctx, const std::vector<store::SealedSecrets>& rows) {
  const std::string key_path = ctx.home + "/key", new_path = ctx.home + "/key.new";
  if (::access(new_path.c_str(), F_OK) != 0) return false;
  std::ifstream in(new_path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto key = KeyFromHex(ss.str());
  if (!key.ok() || !store::domain::AllOpen(rows, store::SecretBox::FromKey(*key))) return false;
  if (::rename(new_path.c_str(), key_path.c_str()) != 0) return IoError("cannot rename " + new_path);
  SK_RETURN_IF_ERROR(SyncDir(ctx.home));
  *ctx.out << (ctx.json ? nlohmann::json{{"rekeyed", true}, {"resumed", true}, {"key_file", key_path}}.dump(2)
                        : "Finished an interrupted rekey: " + key_path + " now holds the new key.")
           << "\n";
  return true;
}

// With SEATKEEPER_KEY: the new key is printed for the admin to put in its place.
void ReportPrintedKey(Context& ctx, const store::ResealCount& count, const std::string& hex) {
  nlohmann::json j = {
      {"rekeyed", true}, {"accounts", count.accounts}, {"secrets", count.secrets}, {"key", hex}};
  if (ctx.json) {
    *ctx.out << j.dump(2) << "\n";
    return;
  }
  *ctx.out << "Re-sealed " << count.secrets << " secrets of " << count.accounts
           << " account(s) with a new key. The old key no longer opens them.\n"
           << "Replace SEATKEEPER_KEY (or the `key` setting) with this value before the next command"
           << (store::IsPostgresUrl(store::DatabaseFor(ctx.home))
                   ? ", on every machine sharing the database, and restart their workers and web servers"
                   : "")
           << ":\n"
           << hex << "\n";
}

// With a key file: key.new replaces key.
Status InstallKeyFile(Context& ctx, const store::ResealCount& count) {
  const std::string key_path = ctx.home + "/key", new_path = ctx.home + "/key.new";
  if (::rename(new_path.c_str(), key_path.c_str()) != 0)
    return IoError("cannot rename " + new_path + " to " + key_path);
  SK_RETURN_IF_ERROR(SyncDir(ctx.home));
  nlohmann::json j = {
      {"rekeyed", true}, {"accounts", count.accounts}, {"secrets", count.secrets}, {"key_file", key_path}};
  if (ctx.json) {
    *ctx.out << j.dump(2) << "\n";
  } else {
    *ctx.out << "Re-sealed " << count.secrets << " secrets of " << count.accounts
             << " account(s) with a new key in " << key_path
             << " (0600). The old key no longer opens them.\n";
  }
  return Status::Ok();
}

Status Rekey(Context& ctx) {
  if (sodium_init() < 0) return Internal("libsodium failed to initialise");
  const bool env_key = std::getenv("SEATKEEPER_KEY") && *std::getenv("SEATKEEPER_KEY");
  const std::string new_path = ctx.home + "/key.new";
  // Opening the store creates/migrates the database (and the key file on first use).
  SK_ASSIGN_OR_RETURN(store::Store * db, ctx.Store());
  SK_ASSIGN_OR_RETURN(auto rows, db->ReadSealedSecrets());
  SK_ASSIGN_OR_RETURN(auto old_box, store::SecretBox::Open(ctx.home));
  if (!store::domain::AllOpen(rows, old_box)) {
    if (!env_key) {
      SK_ASSIGN_OR_RETURN(bool finished, FinishInterruptedRekey(ctx, rows));
      if (finished) return Status::Ok();
    }
    return IoError(
        "the stored secrets do not open with the current key (SEATKEEPER_KEY or SEATKEEPER_HOME/key); "
        "nothing was "
        "changed");
  }

  std::string new_key(kKeyBytes, '\0');
  randombytes_buf(new_key.data(), new_key.size());
  const std::string hex = HexEncode(new_key);
  log::RegisterSecret(hex);
  if (!env_key) SK_RETURN_IF_ERROR(WriteKeyFile(new_path, hex));
  auto count = db->ResealSecrets(old_box, store::SecretBox::FromKey(new_key));
  if (!count.ok()) {
    if (!env_key) ::unlink(new_path.c_str());
    return count.status();
  }
  if (!env_key) return InstallKeyFile(ctx, *count);
  ReportPrintedKey(ctx, *count, hex);
  return Status::Ok();
}

}  // namespace

void RegisterRekeyCommand(CLI::App& app, Context& ctx) {
  auto* rekey = app.add_subcommand("rekey", "Rotate the key that encrypts stored secrets");
  rekey->add_flag("--json", ctx.json, "JSON output");
  rekey->callback([&ctx] { ctx.Finish(Rekey(ctx)); });
}

}  // namespace sk::cli
