// GET /api/openapi.json: the OpenAPI 3 document, generated from the route
// table so that it always lists exactly what the server registers.
#include <regex>

#include "server/web_server.h"

namespace sk::server {

namespace {

using nlohmann::json;

const json kErrorSchema = {{"$ref", "#/components/schemas/Error"}};

json ErrorResponse(const std::string& description) {
  return {{"description", description}, {"content", {{"application/json", {{"schema", kErrorSchema}}}}}};
}

// The path parameters ({id}) and the documented query parameters of a route.
json Parameters(const Route& r) {
  auto detail = [&r](const std::string& name, const char* key, json fallback) {
    if (r.parameters.is_object() && r.parameters.contains(name) && r.parameters[name].contains(key))
      return r.parameters[name][key];
    return fallback;
  };
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
  for (const auto& [name, desc] : r.query) {
    json p = {{"name", name},
              {"in", "query"},
              {"required", detail(name, "required", false)},
              {"description", desc},
              {"schema", detail(name, "schema", {{"type", "string"}})}};
    if (json example = detail(name, "example", nullptr); !example.is_null()) p["example"] = example;
    params.push_back(std::move(p));
  }
  return params;
}

json Responses(const Route& r) {
  json responses = {{"200", {{"description", "OK"}}}};
  if (r.path == "/oauth/callback")
    responses = {{"303", {{"description", "Redirect to the UI"}}},
                 {"400", {{"description", "state mismatch or replay"}}}};
  if (r.path == "/api/sync") responses["202"] = {{"description", "Sync started"}};
  for (const auto& q : r.query) {
    if (q.first != "account") continue;
    responses["400"] = ErrorResponse("Malformed parameter (an account name, a filter, a date)");
    if (r.path != "/api/connect/start")
      responses["404"] = ErrorResponse("No account of that name in the store");
  }
  if (r.access == Route::Access::kSession) {
    responses["401"] = ErrorResponse("Not logged in");
    if (r.method != "GET")
      responses["403"] =
          ErrorResponse("Missing or wrong X-CSRF-Token; or refused (read connection, precondition)");
  }
  if (r.path == "/api/login") responses["401"] = {{"description", "Wrong password"}};
  return responses;
}

// The OpenAPI operation object of one route.
json OperationOf(const Route& r) {
  json op = {{"summary", r.summary}, {"operationId", r.method + " " + r.path}};
  if (!r.description.empty()) op["description"] = r.description;
  json params = Parameters(r);
  if (!params.empty()) op["parameters"] = params;
  if (!r.body_example.is_null()) {
    const json schema = r.body_schema.is_null() ? json{{"type", "object"}} : r.body_schema;
    op["requestBody"] = {
        {"required", r.path != "/api/sync"},
        {"content", {{"application/json", {{"schema", schema}, {"example", r.body_example}}}}}};
  }
  if (r.access == Route::Access::kSession) {
    op["security"] = r.method != "GET" ? json::array({{{"session", json::array()}, {"csrf", json::array()}}})
                                       : json::array({{{"session", json::array()}}});
  } else {
    op["security"] = json::array();
  }
  op["responses"] = Responses(r);
  return op;
}

}  // namespace

nlohmann::json WebServer::OpenApi() const {
  json paths = json::object();
  for (const Route& r : routes_) {
    std::string method = r.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    paths[r.path][method] = OperationOf(r);
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
