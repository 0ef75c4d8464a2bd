// Usage coverage: for each day of an account's window, which sources its
// ticket activity was read from and what Zendesk did not let the sync see
// (for example the activity on tickets the audit list leaves out, when the
// ticket export that finds them is refused). Written by the ticket activity
// backfill at the end of every sync, read by `seatkeeper usage --coverage`
// and GET /api/usage/coverage.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "store/store.h"
#include "sync/source.h"
#include "util/status.h"

namespace sk::sync {

// Replaces the account's stored coverage with `days`.
Status StoreCoverage(store::Store& store, const std::string& account, const std::vector<DayCoverage>& days);
// The stored coverage, oldest day first; empty before the first full sync.
Result<std::vector<DayCoverage>> LoadCoverage(store::Store& store, const std::string& account);

// [{"date","complete","sources","unseen","pending"?}], the shape of the CLI and the API.
nlohmann::json CoverageJson(const std::vector<DayCoverage>& days);
// {"days","complete","incomplete":[{"date","unseen"}]}: the summary `sync --json` shows.
nlohmann::json CoverageSummaryJson(const std::vector<DayCoverage>& days);

}  // namespace sk::sync
