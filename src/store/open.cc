#include "store/open.h"

#include <sys/stat.h>

#include <cstdlib>

namespace sk::store {

bool IsPostgresUrl(const std::string& db) {
  return db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0;
}

std::string DatabaseFor(const std::string& home) {
  if (const char* db = std::getenv("SEATKEEPER_DB"); db && *db) return db;
  return home + "/seatkeeper.db";
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& home, const OpenOptions& options) {
  std::string db = DatabaseFor(home);
  if (IsPostgresUrl(db)) return OpenPostgres(db, home);
  ::mkdir(home.c_str(), 0700);
  return OpenSqlite(db, home, options);
}

Result<std::unique_ptr<SyncQueue>> OpenSyncQueue(const std::string& home) {
  std::string db = DatabaseFor(home);
  if (IsPostgresUrl(db)) return OpenPostgresQueue(db);
  ::mkdir(home.c_str(), 0700);
  return OpenSqliteQueue(db);
}

}  // namespace sk::store
