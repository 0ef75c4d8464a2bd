// GET /api/openapi.json: the OpenAPI 3 document, generated from the route
// table so that it always lists exactly what the server registers.
#include <regex>

#include "server/web_server.h"

namespace sk::server {

nlohmann::json WebServer::OpenApi() const {
  using nlohmann::json;
  json paths = json::object();
  const json error_schema = {{"$ref", "#/components/schemas/Error"}};
  for (const Route& r : routes_) {
    json op = {{"summary", r.summary}, {"operationId", r.method + " " + r.path}};
    json params = json::array();
    std::smatch m;
    std::string rest = r.path;
    while (std::regex_search(rest, m, std::regex(R"(\{([a-z_]+)\})"))) {
      params.push_back({{"name", m[1].str()},
                        {"in", "path"},
                        {"required", true},
                        {"schema", {{"type", "integer"}, {"format", "int64"}}}});
      rest = m.suffix();
    }
    for (const auto& [name, desc] : r.query)
      params.push_back({{"name", name},
                        {"in", "query"},
                        {"required", false},
                        {"description", desc},
                        {"schema", {{"type", "string"}}}});
    if (!params.empty()) op["parameters"] = params;
    if (!r.body_example.is_null()) {
      op["requestBody"] = {
          {"required", r.path != "/api/sync"},
          {"content",
           {{"application/json", {{"schema", {{"type", "object"}}}, {"example", r.body_example}}}}}};
    }
    json responses = {{"200", {{"description", "OK"}}}};
    if (r.path == "/oauth/callback")
      responses = {{"303", {{"description", "Redirect to the UI"}}},
                   {"400", {{"description", "state mismatch or replay"}}}};
    if (r.path == "/api/sync") responses["202"] = {{"description", "Sync started"}};
    for (const auto& q : r.query) {
      if (q.first != "account") continue;
      responses["400"] = {{"description", "Malformed parameter (an account name, a filter, a date)"},
                          {"content", {{"application/json", {{"schema", error_schema}}}}}};
      if (r.path != "/api/connect/start")
        responses["404"] = {{"description", "No account of that name in the store"},
                            {"content", {{"application/json", {{"schema", error_schema}}}}}};
    }
    if (r.access == Route::Access::kSession) {
      responses["401"] = {{"description", "Not logged in"},
                          {"content", {{"application/json", {{"schema", error_schema}}}}}};
      op["security"] = json::array({{{"session", json::array()}}});
      if (r.method != "GET") {
        op["security"] = json::array({{{"session", json::array()}, {"csrf", json::array()}}});
        responses["403"] = {
            {"description", "Missing or wrong X-CSRF-Token; or refused (read connection, precondition)"},
            {"content", {{"application/json", {{"schema", error_schema}}}}}};
      }
    } else {
      op["security"] = json::array();
    }
    if (r.path == "/api/login") responses["401"] = {{"description", "Wrong password"}};
    op["responses"] = responses;
    std::string method = r.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    paths[r.path][method] = op;
  }
  return {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "seatkeeper API"},
        {"version", SK_VERSION},
        {"description",
         "REST API of `seatkeeper serve`, mirroring the CLI with the same JSON shapes. Log in with POST "
         "/api/login; send the returned csrf_token as X-CSRF-Token on every POST. One server serves every "
         "account in the store: GET /api/accounts lists them, and every account-scoped route (GET or "
         "POST) takes the account as the query parameter account=NAME, defaulting to the server's "
         "--account."}}},
      {"paths", paths},
      {"components",
       {{"securitySchemes",
         {{"session", {{"type", "apiKey"}, {"in", "cookie"}, {"name", "sk_session"}}},
          {"csrf", {{"type", "apiKey"}, {"in", "header"}, {"name", "X-CSRF-Token"}}}}},
        {"schemas",
         {{"Error",
           {{"type", "object"},
            {"properties", {{"error", {{"type", "string"}}}, {"code", {{"type", "string"}}}}},
            {"required", {"error"}}}}}}}}};
}

}  // namespace sk::server
