// OAuth: POST /oauth/tokens (client_credentials, authorization_code with
// PKCE, refresh_token with rotation), the authorize page and its decision.
#include <cstdlib>

#include "credentials.h"
#include "handlers.h"
#include "render.h"
#include "util/encoding.h"

namespace zdsim {

namespace {

constexpr int64_t kCodeLifetime = 120;
constexpr int64_t kDefaultRefreshLifetime = 2592000;  // 30 days
constexpr int64_t kDefaultAccessLifetime = 1800;      // 30 minutes

// A field from a JSON body or a form-encoded body / query.
std::string Field(const Ctx& c, const json& body, const char* name) {
  if (body.is_object() && body.contains(name)) {
    const auto& v = body[name];
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  }
  return c.req.has_param(name) ? c.req.get_param_value(name) : "";
}

void OauthError(Ctx& c, int status, const std::string& error, const std::string& description) {
  SendJson(c, status, {{"error", error}, {"error_description", description}});
}

std::string HtmlEscape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(ch);
    }
  }
  return out;
}

void Tokens(Ctx& c) {
  json body = json::object();
  if (!c.req.body.empty() && c.req.get_header_value("Content-Type").find("json") != std::string::npos) {
    body = json::parse(c.req.body, nullptr, false);
    if (body.is_discarded()) return OauthError(c, 400, "invalid_request", "The request body is not valid JSON.");
  }
  std::string client_id = Field(c, body, "client_id");
  std::string secret = Field(c, body, "client_secret");
  const std::string auth = c.req.get_header_value("Authorization");
  if (client_id.empty() && auth.rfind("Basic ", 0) == 0) {
    if (auto raw = sk::Base64Decode(auth.substr(6))) {
      const auto colon = raw->find(':');
      if (colon != std::string::npos) {
        client_id = raw->substr(0, colon);
        secret = raw->substr(colon + 1);
      }
    }
  }
  const std::string grant = Field(c, body, "grant_type");
  if (client_id != kOauthClientId || (secret != kOauthClientSecret && grant != "authorization_code") ||
      (grant == "authorization_code" && !secret.empty() && secret != kOauthClientSecret)) {
    return OauthError(c, 401, "invalid_client",
                      "The client identifier provided is invalid, the client failed to authenticate, the client did "
                      "not include its credentials, provided multiple client credentials, or used unsupported "
                      "credentials type.");
  }
  std::optional<int64_t> expires_in;
  if (const std::string e = Field(c, body, "expires_in"); !e.empty()) {
    expires_in = std::atoll(e.c_str());
    if (*expires_in < 300 || *expires_in > 172800)
      return OauthError(c, 400, "invalid_request", "expires_in must be between 300 and 172800 seconds.");
  }
  // Clients created since 2026 get expiring tokens unless they ask otherwise
  // (reference §2.2, default lifetimes); without the quirk, an old client's
  // tokens that never expire.
  const bool expiring = c.s.opt.quirks.expiring_oauth_tokens;
  if (!expires_in && expiring) expires_in = kDefaultAccessLifetime;
  std::optional<int64_t> refresh_in;
  if (expiring) refresh_in = kDefaultRefreshLifetime;
  if (const std::string e = Field(c, body, "refresh_token_expires_in"); !e.empty()) {
    refresh_in = std::atoll(e.c_str());
    if (*refresh_in < 604800 || *refresh_in > 7776000)
      return OauthError(c, 400, "invalid_request", "refresh_token_expires_in must be between 604800 and 7776000.");
  }
  std::string scope = Field(c, body, "scope");
  if (scope.empty()) scope = Field(c, body, "scopes");
  const OauthToken* t = nullptr;
  if (grant == "client_credentials") {
    t = &c.s.tokens.Issue(c.ds.admin, scope.empty() ? "read write" : scope, client_id, c.now, expires_in,
                          false, std::nullopt);
  } else if (grant == "authorization_code") {
    AuthCode* code = c.s.tokens.FindCode(Field(c, body, "code"));
    if (!code || code->used || c.now - code->created_at > kCodeLifetime || code->client_id != client_id)
      return OauthError(c, 400, "invalid_grant",
                        "The provided authorization grant is invalid, expired, revoked, does not match the "
                        "redirection URI used in the authorization request, or was issued to another client.");
    if (Field(c, body, "redirect_uri") != code->redirect_uri)
      return OauthError(c, 400, "invalid_grant", "The redirect_uri does not match the authorization request.");
    if (!code->challenge.empty()) {
      const std::string verifier = Field(c, body, "code_verifier");
      if (verifier.empty() || !VerifyPkce(verifier, code->challenge))
        return OauthError(c, 400, "invalid_grant", "The code_verifier does not match the code_challenge.");
    } else if (secret.empty()) {
      return OauthError(c, 401, "invalid_client", "Client authentication failed.");
    }
    code->used = true;
    t = &c.s.tokens.Issue(code->user, scope.empty() ? code->scope : scope, client_id, c.now, expires_in, true,
                          refresh_in);
  } else if (grant == "refresh_token") {
    t = c.s.tokens.Rotate(Field(c, body, "refresh_token"), c.now, expires_in, refresh_in, scope);
    if (!t)
      return OauthError(c, 400, "invalid_grant",
                        "The provided authorization grant is invalid, expired, revoked, or was already used.");
  } else {
    return OauthError(c, 400, "unsupported_grant_type", "The authorization grant type is not supported.");
  }
  json out = {{"access_token", t->access}, {"token_type", "bearer"}, {"scope", t->scopes}};
  out["expires_in"] = t->expires_at == kNull ? json(nullptr) : json(t->expires_at - c.now);
  if (!t->refresh.empty()) {
    out["refresh_token"] = t->refresh;
    out["refresh_token_expires_in"] =
        t->refresh_expires_at == kNull ? json(nullptr) : json(t->refresh_expires_at - c.now);
  }
  SendJson(c, 201, out);
}

void AuthorizePage(Ctx& c) {
  const std::string client = c.req.get_param_value("client_id");
  const std::string redirect = c.req.get_param_value("redirect_uri");
  if (client != kOauthClientId || redirect.empty() || c.req.get_param_value("response_type") != "code") {
    c.res.status = 400;
    c.res.set_content("<html><body><h1>Invalid authorization request</h1><p>Unknown client_id, missing "
                      "redirect_uri or response_type is not code.</p></body></html>",
                      "text/html; charset=utf-8");
    return;
  }
  const std::string method = c.req.get_param_value("code_challenge_method");
  if (c.req.has_param("code_challenge") && !method.empty() && method != "S256") {
    c.res.status = 400;
    c.res.set_content("<html><body>Only code_challenge_method=S256 is supported</body></html>", "text/html");
    return;
  }
  std::string hidden;
  for (const char* k : {"client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"}) {
    hidden += std::string("<input type=\"hidden\" name=\"") + k + "\" value=\"" +
              HtmlEscape(c.req.get_param_value(k)) + "\">";
  }
  const std::string admin = HtmlEscape(c.ds.users[c.ds.admin].name);
  const std::string scope = HtmlEscape(c.req.get_param_value("scope"));
  std::string html = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Allow access</title></head><body>"
                     "<h1>seatkeeper would like to access your Zendesk account</h1>"
                     "<p>Signed in as " + admin + ". Requested scope: <code>" + scope + "</code></p>"
                     "<form method=\"post\" action=\"/oauth/authorizations\" id=\"approve\">" + hidden +
                     "<input type=\"hidden\" name=\"decision\" value=\"approve\">"
                     "<button type=\"submit\" name=\"approve\">Allow</button></form>"
                     "<form method=\"post\" action=\"/oauth/authorizations\" id=\"deny\">" + hidden +
                     "<input type=\"hidden\" name=\"decision\" value=\"deny\">"
                     "<button type=\"submit\" name=\"deny\">Deny</button></form></body></html>";
  c.res.status = 200;
  c.res.set_content(html, "text/html; charset=utf-8");
}

void Decide(Ctx& c) {
  const std::string redirect = c.req.get_param_value("redirect_uri");
  if (c.req.get_param_value("client_id") != kOauthClientId || redirect.empty()) {
    c.res.status = 400;
    c.res.set_content("<html><body>Invalid authorization decision</body></html>", "text/html");
    return;
  }
  const std::string state = c.req.get_param_value("state");
  const std::string sep = redirect.find('?') == std::string::npos ? "?" : "&";
  std::string location;
  if (c.req.get_param_value("decision") == "approve") {
    AuthCode code;
    code.user = c.ds.admin;
    code.client_id = kOauthClientId;
    code.redirect_uri = redirect;
    code.scope = c.req.has_param("scope") && !c.req.get_param_value("scope").empty() ? c.req.get_param_value("scope")
                                                                                      : "read write";
    code.challenge = c.req.get_param_value("code_challenge");
    code.challenge_method = c.req.get_param_value("code_challenge_method");
    code.created_at = c.now;
    location = redirect + sep + "code=" + UrlEncode(c.s.tokens.NewCode(code));
  } else {
    location = redirect + sep + "error=access_denied&error_description=" +
               UrlEncode("The resource owner or authorization server denied the request.");
  }
  if (c.req.has_param("state")) location += "&state=" + UrlEncode(state);
  c.res.status = 302;
  c.res.set_header("Location", location);
}

}  // namespace

void RegisterOauthRoutes(Router& r) {
  r.Add("POST", R"(/oauth/tokens)", Access::kPublic, Tokens, "-");
  r.Add("GET", R"(/oauth/authorizations/new)", Access::kPublic, AuthorizePage, "-");
  r.Add("POST", R"(/oauth/authorizations)", Access::kPublic, Decide, "-");
}

}  // namespace zdsim
