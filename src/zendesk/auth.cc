#include "zendesk/auth.h"

#include "util/encoding.h"
#include "zendesk/client.h"
#include "zendesk/errors.h"
#include "zendesk/parse.h"
#include "zendesk/transport.h"

namespace sk::zendesk {

const char kApiTokenDeprecationWarning[] =
    "This connection uses a Zendesk API token. Zendesk stops creating API tokens after 2026-10-27 and "
    "switches "
    "all of them off on 2027-04-30; reconnect with OAuth (seatkeeper connect --client-id ...) before then.";

std::string BasicAuthorization(std::string_view email, std::string_view api_token) {
  std::string raw(email);
  raw += "/token:";
  raw += api_token;
  return "Basic " + sk::Base64Encode(raw);  // standard alphabet, padded
}

std::string BearerAuthorization(std::string_view access_token) {
  return "Bearer " + std::string(access_token);
}

nlohmann::json ClientCredentialsBody(const std::string& client_id, const std::string& client_secret,
                                     const std::string& scope) {
  return {{"grant_type", "client_credentials"},
          {"client_id", client_id},
          {"client_secret", client_secret},
          {"scope", scope.empty() ? std::string("read write") : scope}};
}

nlohmann::json RefreshTokenBody(const std::string& refresh_token, const std::string& client_id,
                                const std::string& client_secret) {
  nlohmann::json body = {
      {"grant_type", "refresh_token"}, {"refresh_token", refresh_token}, {"client_id", client_id}};
  if (!client_secret.empty()) body["client_secret"] = client_secret;
  return body;
}

nlohmann::json AuthorizationCodeBody(const std::string& client_id, const std::string& client_secret,
                                     const std::string& code, const std::string& redirect_uri,
                                     const std::string& code_verifier, const std::string& scope) {
  nlohmann::json body = {{"grant_type", "authorization_code"},
                         {"code", code},
                         {"client_id", client_id},
                         {"redirect_uri", redirect_uri},
                         {"scope", scope}};
  if (!client_secret.empty()) body["client_secret"] = client_secret;
  if (!code_verifier.empty()) body["code_verifier"] = code_verifier;
  return body;
}

Result<TokenSet> RequestToken(Transport& transport, const std::string& base_url, const nlohmann::json& body) {
  HttpRequest req;
  req.method = "POST";
  req.url = base_url + "/oauth/tokens";
  req.has_body = true;
  req.body = body.dump();
  TransportResult tr = transport.Perform(req);
  if (tr.error == NetError::kNotSent) return UnreachableStatus(req.url, tr.error_message, 1, 0);
  if (tr.error != NetError::kNone) {
    return Status(Code::kUnavailable,
                  "could not reach Zendesk to obtain an OAuth token: " + tr.error_message);
  }
  const Response& resp = tr.response;
  if (resp.status == 200 || resp.status == 201) return ParseTokenResponse(resp.body, NowUnix());
  if (resp.status == 400 || resp.status == 401 || resp.status == 403) {
    std::string reason = ZendeskReason(resp.body);
    while (!reason.empty() && reason.back() == '.') reason.pop_back();
    return Status(Code::kUnauthenticated,
                  "Zendesk refused the OAuth token request (HTTP " + std::to_string(resp.status) +
                      "): " + (reason.empty() ? std::string("no reason given") : reason) +
                      ". Check the OAuth client id/secret, or reconnect");
  }
  return StatusFromHttp(resp.status, resp.body, resp.headers, "POST /oauth/tokens");
}

Result<TokenSet> ClientCredentialsGrant(const std::string& base_url, const std::string& client_id,
                                        const std::string& client_secret, const std::string& scope,
                                        const std::string& ca_file) {
  Transport transport({10, 60, ca_file});
  return RequestToken(transport, base_url, ClientCredentialsBody(client_id, client_secret, scope));
}

Result<TokenSet> AuthorizationCodeGrant(const std::string& base_url, const std::string& client_id,
                                        const std::string& client_secret, const std::string& code,
                                        const std::string& redirect_uri, const std::string& code_verifier,
                                        const std::string& scope, const std::string& ca_file) {
  Transport transport({10, 60, ca_file});
  return RequestToken(
      transport, base_url,
      AuthorizationCodeBody(client_id, client_secret, code, redirect_uri, code_verifier, scope));
}

}  // namespace sk::zendesk
