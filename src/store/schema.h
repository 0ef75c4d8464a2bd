// The one description of the store's tables, rendered for each engine.
//
// Migrations are written once in a neutral dialect; Render() turns a
// statement into SQLite or PostgreSQL. Tokens:
//   {INT}       64-bit integer          (SQLite INTEGER, PostgreSQL BIGINT)
//   {ID}        auto-increment key      (INTEGER PRIMARY KEY AUTOINCREMENT / BIGSERIAL PRIMARY KEY)
//   {NOROWID}   table option            (" WITHOUT ROWID" / "")
// Migration i (0-based) brings the schema from version i to i+1; both
// engines record the version in meta(key='schema_version').
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace sk::store::schema {

enum class Engine { kSqlite, kPostgres };

// Number of migrations (= latest schema version).
int LatestVersion();
// The statements of migration `index` (0-based), rendered for `engine`.
std::vector<std::string> Migration(int index, Engine engine);
// One neutral statement rendered for `engine`.
std::string Render(const std::string& neutral, Engine engine);

// The meta table both engines create before migrating.
inline constexpr const char* kMetaTable = "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)";

// Seconds after which a synced account is due again.
inline constexpr long long kSyncIntervalSeconds = 24 * 3600;
// kv key set to "1" by `seatkeeper sync --queue` (and cleared when a worker claims the sync).
inline constexpr const char* kSyncRequestedKey = "sync_requested";

}  // namespace sk::store::schema
