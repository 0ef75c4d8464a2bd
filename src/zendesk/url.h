// Validation of the Zendesk account URL a user configures, and small URL
// helpers (query encoding, origin checks) used by the client.
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace sk::zendesk {

// Returns the normalized base URL ("https://acme.zendesk.com", no trailing
// slash, host lowercased) or kInvalidArgument saying what is accepted.
// Accepts only https://<subdomain>.zendesk.com with an optional trailing "/";
// the subdomain matches ^[a-z0-9][a-z0-9-]*$ (case-insensitive) and is at most
// 63 characters. Rejects http:// for zendesk.com, user info, ports, paths,
// queries, fragments, IP literals and any other host. With allow_local it also
// accepts http(s)://127.0.0.1:PORT and http(s)://localhost:PORT (the simulator).
Result<std::string> ValidateAccountUrl(std::string_view url, bool allow_local);

// Percent-encodes everything except RFC 3986 unreserved characters.
std::string UrlEncode(std::string_view s);

// "scheme://host[:port]" of an absolute URL, lowercased; "" when `url` is not
// absolute.
std::string OriginOf(std::string_view url);

// The path of a request without query string or origin, with numeric path
// segments and job ids replaced by "{id}" ("/api/v2/users/{id}"), for stats.
std::string EndpointKey(std::string_view path_or_url);

}  // namespace sk::zendesk
