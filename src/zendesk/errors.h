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

// users/me answered 200 with the anonymous user (id null).
Status AnonymousUserStatus();

// True for statuses worth retrying on an idempotent request.
bool IsRetryableHttpStatus(long http_status);

}  // namespace sk::zendesk
