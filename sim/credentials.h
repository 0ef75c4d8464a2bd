// Fixed credentials of the simulated account (also printed by `zdsim serve`).
#pragma once

#include <string>

namespace zdsim {

inline constexpr const char* kAdminApiToken = "zdsim-admin-api-token";
inline constexpr const char* kAgentApiToken = "zdsim-agent-api-token";
inline constexpr const char* kAdminOauthToken = "zdsim-admin-oauth-token";  // scopes "read write"
inline constexpr const char* kAdminOauthReadToken = "zdsim-admin-oauth-read";  // scope "read"
inline constexpr const char* kOauthClientId = "seatkeeper";
inline constexpr const char* kOauthClientSecret = "zdsim-client-secret";

// The connecting admin, a plain agent and the (different) account owner.
inline std::string AdminEmail(const std::string& subdomain) { return "admin@" + subdomain + ".test"; }
inline std::string AgentEmail(const std::string& subdomain) { return "agent@" + subdomain + ".test"; }
inline std::string OwnerEmail(const std::string& subdomain) { return "owner@" + subdomain + ".test"; }

}  // namespace zdsim
