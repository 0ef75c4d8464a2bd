#include "server/zendesk_client.h"

namespace sk::server {

std::unique_ptr<zendesk::Client> MakeZendeskClient(
    const store::Connection& c, const std::string& ca_file,
    std::function<Status(const zendesk::TokenSet&)> on_tokens) {
  zendesk::ClientOptions o;
  o.base_url = c.url;
  o.api_budget_percent = c.api_budget;
  if (c.auth_kind == "api_token") {
    o.credentials.kind = zendesk::Credentials::Kind::kApiToken;
    o.credentials.email = c.email;
    o.credentials.secret = c.secret;
  } else if (c.auth_kind == "client_credentials") {
    o.credentials.kind = zendesk::Credentials::Kind::kClientCredentials;
    o.credentials.client_id = c.client_id;
    o.credentials.secret = c.client_secret;
    o.credentials.access_token = c.secret;
  } else {
    o.credentials.kind = zendesk::Credentials::Kind::kOAuthToken;
    o.credentials.secret = c.secret;
    o.credentials.refresh_token = c.refresh_token;
    o.credentials.client_id = c.client_id;
    o.credentials.client_secret = c.client_secret;
  }
  o.on_tokens = std::move(on_tokens);
  o.ca_file = ca_file;
  return std::make_unique<zendesk::Client>(std::move(o));
}

std::unique_ptr<zendesk::Client> MakeZendeskClient(const store::Connection& c, const std::string& ca_file,
                                                   store::Store* store) {
  std::string account = c.account;
  return MakeZendeskClient(c, ca_file, [store, account](const zendesk::TokenSet& t) {
    return store->SaveTokens(account, t.access_token, t.refresh_token, t.expires_at);
  });
}

}  // namespace sk::server
