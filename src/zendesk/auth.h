// Authentication pieces: Authorization header values for the three credential
// kinds, OAuth token request bodies, and the POST /oauth/tokens exchange.
// The client decides when to (re)obtain tokens; see client.cc.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "util/status.h"
#include "zendesk/models.h"

namespace sk::zendesk {

class Transport;

// "Basic base64({email}/token:{token})".
std::string BasicAuthorization(std::string_view email, std::string_view api_token);
// "Bearer {token}".
std::string BearerAuthorization(std::string_view access_token);

// The warning passed to on_warning once per Client that uses an API token.
extern const char kApiTokenDeprecationWarning[];

nlohmann::json ClientCredentialsBody(const std::string& client_id, const std::string& client_secret,
                                     const std::string& scope);
nlohmann::json RefreshTokenBody(const std::string& refresh_token, const std::string& client_id,
                                const std::string& client_secret);
// The code exchange names the scope the authorization asked for (reference §2.2).
nlohmann::json AuthorizationCodeBody(const std::string& client_id, const std::string& client_secret,
                                     const std::string& code, const std::string& redirect_uri,
                                     const std::string& code_verifier, const std::string& scope);

// POSTs `body` to {base_url}/oauth/tokens (no retries). 200 and 201 are
// success. Refusals (400/401 invalid_grant, invalid_client...) give
// kUnauthenticated with Zendesk's reason; never echoes the secrets sent.
Result<TokenSet> RequestToken(Transport& transport, const std::string& base_url, const nlohmann::json& body);

}  // namespace sk::zendesk
