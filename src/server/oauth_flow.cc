#include "server/oauth_flow.h"

#include <sodium.h>

#include "sync/connection_client.h"
#include "sync/preflight.h"
#include "zendesk/client.h"
#include "zendesk/url.h"

namespace sk::server {

std::string PkceChallenge(const std::string& verifier) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size());
  std::string out(sodium_base64_ENCODED_LEN(sizeof digest, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), digest, sizeof digest, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

std::string ScopeFor(const std::string& permission) {
  return permission == "read-write" ? "read write" : "read";
}

std::string AuthorizeUrl(const PendingConnect& p, const std::string& state) {
  using zendesk::UrlEncode;
  return p.url + "/oauth/authorizations/new?response_type=code&client_id=" + UrlEncode(p.client_id) +
         "&redirect_uri=" + UrlEncode(p.redirect_uri) + "&scope=" + UrlEncode(ScopeFor(p.permission)) +
         "&state=" + UrlEncode(state) + "&code_challenge=" + UrlEncode(PkceChallenge(p.code_verifier)) +
         "&code_challenge_method=S256";
}

Result<store::Connection> CompleteConnect(store::Store& store, const std::string& account,
                                          const PendingConnect& p, const std::string& code,
                                          const std::string& ca_file) {
  SK_ASSIGN_OR_RETURN(
      auto tokens, zendesk::AuthorizationCodeGrant(p.url, p.client_id, p.client_secret, code, p.redirect_uri,
                                                   p.code_verifier, ScopeFor(p.permission), ca_file));
  store::Connection c;
  c.account = account;
  c.url = p.url;
  c.auth_kind = "oauth";
  c.client_id = p.client_id;
  c.client_secret = p.client_secret;
  c.secret = tokens.access_token;
  c.refresh_token = tokens.refresh_token;
  c.token_expires_at = tokens.expires_at;
  c.refresh_expires_at = tokens.refresh_expires_at;
  c.permission = p.permission;
  c.timezone = p.timezone;

  // The preflight runs before anything is stored; a token rotated meanwhile
  // updates `c`, which is stored afterwards.
  store::Connection* target = &c;
  sync::ConnectionClientOptions client_options;
  client_options.ca_file = ca_file;
  client_options.on_tokens = [target](const zendesk::TokenSet& t) {
    target->secret = t.access_token;
    if (!t.refresh_token.empty()) target->refresh_token = t.refresh_token;
    target->token_expires_at = t.expires_at;
    if (t.refresh_expires_at) target->refresh_expires_at = t.refresh_expires_at;
    return Status::Ok();
  };
  auto client = sync::MakeConnectionClient(c, nullptr, std::move(client_options));
  SK_ASSIGN_OR_RETURN(auto old, store.GetConnection(account));
  if (old && old->url == c.url) c.api_budget = old->api_budget;
  return sync::ConnectWithPreflight(*client, store, c);
}

}  // namespace sk::server
