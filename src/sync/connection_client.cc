#include "sync/connection_client.h"

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "util/log.h"

namespace sk::sync {

std::unique_ptr<zendesk::Client> MakeConnectionClient(const store::Connection& c, store::Store* store,
                                                      ConnectionClientOptions options) {
  for (const auto* s : {&c.secret, &c.refresh_token, &c.client_secret}) log::RegisterSecret(*s);
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
    o.credentials.access_token = c.secret;  // reuse the token obtained earlier
    o.credentials.scope = c.permission == "read-write" ? "read write" : "read";
  } else {
    o.credentials.kind = zendesk::Credentials::Kind::kOAuthToken;
    o.credentials.secret = c.secret;
    o.credentials.refresh_token = c.refresh_token;
    o.credentials.client_id = c.client_id;
    o.credentials.client_secret = c.client_secret;
  }
  o.credentials.expires_at = c.token_expires_at;
  if (c.auth_kind == "oauth" && !options.on_tokens && store) {
    // A rotating pair shared by every process on the store: refreshed once
    // between them (Store::RotateTokens), stored before it is used.
    std::string account = c.account;
    o.rotate_tokens =
        [store, account](
            const std::string& used_refresh,
            const std::function<Result<zendesk::TokenSet>()>& request) -> Result<zendesk::TokenSet> {
      std::string scope;
      auto rotation = store->RotateTokens(account, used_refresh, [&]() -> Result<store::OAuthTokens> {
        SK_ASSIGN_OR_RETURN(zendesk::TokenSet t, request());
        log::RegisterSecret(t.access_token);
        log::RegisterSecret(t.refresh_token);
        scope = t.scope;
        // Zendesk always returns a new refresh token; keep the old one only if it did not.
        return store::OAuthTokens{t.access_token, t.refresh_token.empty() ? used_refresh : t.refresh_token,
                                  t.expires_at, t.refresh_expires_at};
      });
      if (!rotation.ok()) return rotation.status();
      const store::OAuthTokens& s = rotation->tokens;
      log::RegisterSecret(s.access);
      log::RegisterSecret(s.refresh);
      if (!rotation->rotated)
        spdlog::info("zendesk: using the OAuth tokens another seatkeeper process refreshed");
      return zendesk::TokenSet{s.access, s.refresh, s.expires_at, s.refresh_expires_at, scope};
    };
  }
  auto persist = std::move(options.on_tokens);
  if (!persist && store) {
    std::string account = c.account;
    persist = [store, account](const zendesk::TokenSet& t) {
      return store->SaveTokens(account, t.access_token, t.refresh_token, t.expires_at);
    };
  }
  o.on_tokens = [persist](const zendesk::TokenSet& t) {
    log::RegisterSecret(t.access_token);
    log::RegisterSecret(t.refresh_token);
    return persist ? persist(t) : Status::Ok();
  };
  o.on_warning = std::move(options.on_warning);
  o.ca_file = options.ca_file;
  if (o.ca_file.empty()) {
    if (const char* ca = std::getenv("SEATKEEPER_CA_FILE")) o.ca_file = ca;
  }
  return std::make_unique<zendesk::Client>(std::move(o));
}

}  // namespace sk::sync
