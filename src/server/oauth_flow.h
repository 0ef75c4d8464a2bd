// The OAuth 2 authorization-code flow of the web UI's connect page (PKCE
// S256, `state` bound to the admin's session): building the authorize URL,
// and finishing the connect once Zendesk redirects back with a code —
// exchanging it, running the preflight checklist and storing the connection.
#pragma once

#include <string>

#include "server/admin_auth.h"
#include "store/store.h"
#include "util/status.h"

namespace sk::server {

// base64url(SHA-256(verifier)) without padding (RFC 7636 S256).
std::string PkceChallenge(const std::string& verifier);

// {url}/oauth/authorizations/new?response_type=code&client_id=..&redirect_uri=..
// &scope=(read | read write)&state=..&code_challenge=..&code_challenge_method=S256
std::string AuthorizeUrl(const PendingConnect& p, const std::string& state);

// The scope requested for a permission level: "read" or "read write".
std::string ScopeFor(const std::string& permission);

// Exchanges `code`, runs the preflight with the new tokens and stores the
// connection for `account` (auth_kind "oauth"; tokens and client secret
// encrypted by the store). An earlier connection to the same URL keeps its
// sync history. Nothing is stored when the exchange or the preflight fails.
Result<store::Connection> CompleteConnect(store::Store& store, const std::string& account,
                                          const PendingConnect& p, const std::string& code,
                                          const std::string& ca_file);

}  // namespace sk::server
