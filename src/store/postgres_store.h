// PostgreSQL implementation of the Store and the SyncQueue (libpqxx), the
// scale-out engine: several workers and web servers share one database.
// Chosen with SEATKEEPER_DB=postgresql://...; SQLite stays the default.
#pragma once

#include <memory>
#include <string>

#include "store/store.h"
#include "util/status.h"

namespace sk::store {

// True for postgresql:// and postgres:// URLs.
bool IsPostgresUrl(const std::string& db);

// Connects to `url`, migrates the schema (schema.h) under an advisory lock,
// and seals secrets with SecretBox::Open(home) (share SEATKEEPER_KEY between
// machines).
Result<std::unique_ptr<Store>> OpenPostgres(const std::string& url, const std::string& home);

// The database a command uses: SEATKEEPER_DB when set (a postgresql:// URL or
// a SQLite path), else SEATKEEPER_HOME/seatkeeper.db.
std::string DatabaseFor(const std::string& home);
// Opens the store `DatabaseFor(home)` names.
Result<std::unique_ptr<Store>> OpenStore(const std::string& home);

}  // namespace sk::store
