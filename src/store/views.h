// The JSON shapes scripts depend on (PRODUCT §6), built once from store data
// and used by both the CLI (--json) and the REST API. Fields may be added,
// never renamed.
#pragma once

#include <nlohmann/json.hpp>

#include "store/store.h"

namespace sk::store {

// users --json element.
nlohmann::json UserJson(const UserWithUsage& u);
// usage --json element.
nlohmann::json UsageJson(const UsageRow& r);
// status --json (never contains a secret).
nlohmann::json StatusJson(const std::optional<Connection>& c);
nlohmann::json SummaryJson(const DaySummary& s);
nlohmann::json AuditJson(const AuditEntry& e);

}  // namespace sk::store
