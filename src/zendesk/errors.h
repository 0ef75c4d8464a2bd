// Maps Zendesk's HTTP answers to Status values with actionable messages.
// Pure functions: no I/O, usable by the client and by actions.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "util/status.h"

namespace sk::zendesk {

// Zendesk's human reason from an error body, whatever its envelope:
// classic {"error","description","details"} (details.*[].description are
// appended), Help Center {"error":{"title","message"}}, OAuth
// {"error","error_description"}, JSON:API {"errors":[{"title","detail"}]},
// or plain text (trimmed, HTML reduced to a note). "" when nothing useful.
std::string ZendeskReason(std::string_view body);

// The Status for a non-2xx answer. `endpoint` is "METHOD /path" without query
// (used for context and to detect users/me); `headers` have lower-case names.
// 400 and 422 (Zendesk refused the request) are kInvalidRecord, never
// kInvalidArgument: that is the caller's usage error (CLI exit 2), which a
// Zendesk answer never is; actions report it as Zendesk's refusal (exit 3).
// Never includes credentials (they are not in any of the inputs).
Status StatusFromHttp(long http_status, std::string_view body,
                      const std::map<std::string, std::string>& headers, std::string_view endpoint);

// Zendesk could not be reached at all (no answer: host not resolved,
// connection refused or timed out). `url` is the request's URL (only its host
// is shown), `curl_message` libcurl's description; the message names the
// likely causes — DNS, a proxy (HTTPS_PROXY/https_proxy/ALL_PROXY when set,
// names only: a proxy URL may hold a password), a firewall, Zendesk's IP
// restriction — and the attempts made. kUnavailable (exit 1).
Status UnreachableStatus(std::string_view url, std::string_view curl_message, int attempts, double seconds);

// users/me answered 200 with the anonymous user (id null).
Status AnonymousUserStatus();

// True for statuses worth retrying on an idempotent request.
bool IsRetryableHttpStatus(long http_status);

}  // namespace sk::zendesk
