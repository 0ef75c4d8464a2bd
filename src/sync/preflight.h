// The checklist run on connect (PRODUCT §1): credentials valid, connecting
// user is an admin, IP restriction not blocking, plan detected (sign-in
// history needs Enterprise), custom roles and Help Center readable.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "store/store.h"
#include "util/status.h"
#include "zendesk/client.h"

namespace sk::sync {

struct PreflightResult {
  zendesk::User me;
  std::string plan;            // team | professional | enterprise | enterprise-plus | unknown
  nlohmann::json checks;       // [{"check","ok","detail"}]
  nlohmann::json capabilities; // {"audit_logs","custom_roles","help_center","help_center_reason","high_volume","rate_limit"}
};

// Fails (with a distinct, actionable status) when the credentials are bad,
// the user is not an admin (kRefused) or an IP restriction blocks the server;
// other findings are recorded in `checks` and `capabilities`.
Result<PreflightResult> RunPreflight(zendesk::Client& client);

// Runs the preflight with `client` (built for `c`) and stores `c` as
// connected with its results — plan, connecting user, checks, capabilities —
// keeping an earlier connection's sync history when the URL is the same.
// Nothing is stored when the preflight fails. Returns the stored connection.
Result<store::Connection> ConnectWithPreflight(zendesk::Client& client, store::Store& store, store::Connection c,
                                               PreflightResult* result = nullptr);

// The integration capabilities table (PRODUCT §1) for a connection.
nlohmann::json CapabilitiesTable(const std::string& permission, const std::string& plan,
                                 const nlohmann::json& capabilities);

}  // namespace sk::sync
