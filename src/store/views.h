// The JSON shapes scripts depend on (PRODUCT §6), built once from store data
// and used by both the CLI (--json) and the REST API. Fields may be added,
// never renamed.
#pragma once

#include <nlohmann/json.hpp>

#include "store/store.h"

namespace sk::store {

// users --json element.
nlohmann::json UserJson(const UserWithUsage& u);
// Appends UserJson(u) serialized exactly as nlohmann's dump(-1, ' ', false,
// error_handler_t::replace) would (same bytes), without building the JSON
// value: the REST API's users pages are the server's hottest path.
void AppendUserJson(std::string* out, const UserWithUsage& u);
// usage --json element.
nlohmann::json UsageJson(const UsageRow& r);
// status --json (never contains a secret).
nlohmann::json StatusJson(const std::optional<Connection>& c);
nlohmann::json SummaryJson(const DaySummary& s);
// Appends SummaryJson(s) serialized as nlohmann's dump(-1, ' ', false,
// error_handler_t::replace) would (same bytes).
void AppendSummaryJson(std::string* out, const DaySummary& s);
nlohmann::json AuditJson(const AuditEntry& e);

}  // namespace sk::store
