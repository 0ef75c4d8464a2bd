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

// The activity table's evidence column: ids joined by commas (the ids never
// contain one). Split returns at most `limit` ids.
std::string JoinEvidence(const std::vector<std::string>& ids);
std::vector<std::string> SplitEvidence(const std::string& s, size_t limit);

// Adds one activity row (kind, count, evidence column) read from the store to
// a usage row of the same day and user: sources, counts, evidence, and which
// login evidence it is. An "api_use" row is kept as evidence only.
void AddUsageKind(UsageRow* row, const std::string& kind, int64_t count, const std::string& evidence);
// Drops the rows that have no source (API use only): not active days.
void DropInactiveRows(std::vector<UsageRow>* rows);

// The user_pass table's ids column: the page's user ids joined by commas.
std::string JoinUserIds(const std::vector<UserRecord>& users);
// Appends the ids of one user_pass row to `out`.
void SplitUserIds(std::string_view s, std::vector<int64_t>* out);

}  // namespace sk::store::schema
