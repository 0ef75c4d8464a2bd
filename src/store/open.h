// Opening the store: the engine factory. A database is named by a
// postgresql:// URL (the scale-out engine, postgres_store.cc) or a SQLite path
// (the embedded default, sqlite_store.cc). A new engine adds its Open*
// functions here and one branch in OpenStore / OpenSyncQueue (open.cc).
#pragma once

#include <memory>
#include <string>

#include "store/store.h"
#include "store/sync_queue.h"
#include "util/status.h"

namespace sk::store {

// True for postgresql:// and postgres:// URLs.
bool IsPostgresUrl(const std::string& db);

// The database a command uses: SEATKEEPER_DB when set (a postgresql:// URL or
// a SQLite path), else SEATKEEPER_HOME/seatkeeper.db.
std::string DatabaseFor(const std::string& home);

struct OpenOptions {
  // SQLite: read connections map the file (PRAGMA mmap_size) and share the
  // OS page cache, for a server's many concurrent readers. Off, each reads
  // into its own bounded cache: every page a mapping touches counts in the
  // process's resident memory, and a sync's last reads (the seat verdict's
  // check over every paid seat's usage) touched 26 MB of the large account's
  // file, a quarter of its peak (bench/RESULTS.md, issue #19).
  bool mapped_reads = false;
};

// Opens the store `DatabaseFor(home)` names (created and migrated as needed).
// Secrets are sealed with the key from SecretBox::Open(home).
Result<std::unique_ptr<Store>> OpenStore(const std::string& home, const OpenOptions& options = {});
// The sync queue of the same database.
Result<std::unique_ptr<SyncQueue>> OpenSyncQueue(const std::string& home);

// The engines. SQLite: the file at `path`, created and migrated as needed.
Result<std::unique_ptr<Store>> OpenSqlite(const std::string& path, const std::string& home,
                                          const OpenOptions& options = {});
Result<std::unique_ptr<SyncQueue>> OpenSqliteQueue(const std::string& path);
// PostgreSQL: connects to `url` and migrates the schema (schema.h) under an
// advisory lock; share SEATKEEPER_KEY between machines.
Result<std::unique_ptr<Store>> OpenPostgres(const std::string& url, const std::string& home);
Result<std::unique_ptr<SyncQueue>> OpenPostgresQueue(const std::string& url);

}  // namespace sk::store
