// The usage reports over a range of days (from..to, default the usage
// window, at most kMaxRangeDays): who was active on which day and why
// (`seatkeeper usage`, GET /api/usage), the daily summary (`usage` as a
// table, GET /api/usage/summary) and where each day's activity was read
// from (`usage --coverage`, GET /api/usage/coverage); declared in UsageReports().
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "reports/report.h"
#include "sync/source.h"

namespace sk::reports {

// from, to, user.
std::vector<Field> UsageFields();

struct UsageQuery {
  RangeInput range;
  std::optional<int64_t> user;
};
Result<UsageQuery> ReadUsage(const Reader& in);

// One row per user per active day, sorted by date then user.
Result<std::vector<store::UsageRow>> RunUsage(store::Store& st, const std::string& account,
                                              const store::Connection& conn, const UsageQuery& q);
// usage --json, GET /api/usage: an array of store::UsageJson.
nlohmann::json UsageJson(const std::vector<store::UsageRow>& rows);
// usage --user ID, usage --csv: one line per row.
void PrintUsageRows(const std::vector<store::UsageRow>& rows, std::ostream& out, bool csv);

// Per day: active users, by license, paid and idle paid seats.
Result<std::vector<store::DaySummary>> RunSummary(store::Store& st, const std::string& account,
                                                  const store::Connection& conn, const RangeInput& range);
// GET /api/usage/summary: an array of store::AppendSummaryJson objects.
std::string SummaryJson(const std::vector<store::DaySummary>& days);
// usage (the human view): one line per day with a bar of active users.
void PrintSummary(const std::vector<store::DaySummary>& days, std::ostream& out);

// The stored coverage of the days in range.
Result<std::vector<sync::DayCoverage>> RunCoverage(store::Store& st, const std::string& account,
                                                   const store::Connection& conn, const RangeInput& range);
// usage --coverage --json, GET /api/usage/coverage: sync::CoverageJson.
nlohmann::json CoverageJson(const std::vector<sync::DayCoverage>& days);
// usage --coverage: a table, or how to get one.
void PrintCoverage(const std::vector<sync::DayCoverage>& days, std::ostream& out);

}  // namespace sk::reports
