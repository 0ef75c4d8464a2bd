// Small helpers shared by the server's route files: JSON responses and
// errors, request body and query parsing, cookies.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "util/status.h"

namespace sk::server {

inline constexpr const char* kSessionCookie = "sk_session";

void SendJson(httplib::Response& res, int status, const nlohmann::json& body);
// {"error": message, "code": name} with `status`.
void SendError(httplib::Response& res, int status, const std::string& message, const std::string& code = "");
// Maps a Status to an HTTP status: invalid argument 400, refused 403,
// not found 404, conflict 409, unauthenticated/forbidden/unavailable from
// Zendesk 502, others 500; and sends it as SendError.
void SendStatus(httplib::Response& res, const Status& s);
int HttpStatusFor(const Status& s);

// The request body as a JSON object; kInvalidArgument otherwise.
Result<nlohmann::json> JsonBody(const httplib::Request& req);

// Query parameter helpers: nullopt when absent; kInvalidArgument when malformed.
Result<std::optional<int64_t>> QueryInt(const httplib::Request& req, const std::string& name, int64_t min,
                                        int64_t max);
std::optional<std::string> QueryString(const httplib::Request& req, const std::string& name);

// Value of cookie `name` from the Cookie header, "" when absent.
std::string CookieValue(const httplib::Request& req, const std::string& name);

std::string HtmlEscape(const std::string& s);

}  // namespace sk::server
