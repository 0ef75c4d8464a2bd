#include "cli/context.h"

#include <sys/stat.h>

#include <cstdlib>

#include "store/postgres_store.h"
#include "util/log.h"

namespace sk::cli {

Result<store::Store*> Context::Store() {
  if (!store_) {
    ::mkdir(home.c_str(), 0700);
    // SEATKEEPER_DB=postgresql://... selects PostgreSQL; else SEATKEEPER_HOME/seatkeeper.db.
    SK_ASSIGN_OR_RETURN(store_, store::OpenStore(home));
  }
  return store_.get();
}

Result<store::Connection> Context::RequireConnection() {
  SK_ASSIGN_OR_RETURN(auto* st, Store());
  SK_ASSIGN_OR_RETURN(auto conn, st->GetConnection(account));
  if (!conn || conn->state == "not-connected")
    return Refused("no Zendesk account is connected (account '" + account +
                   "'): run `seatkeeper connect --url https://<subdomain>.zendesk.com ...` first");
  return *conn;
}

Result<std::unique_ptr<zendesk::Client>> Context::MakeClient(const store::Connection& c) {
  SK_ASSIGN_OR_RETURN(auto* st, Store());
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
  std::string acct = c.account;
  o.on_tokens = [st, acct](const zendesk::TokenSet& t) {
    log::RegisterSecret(t.access_token);
    log::RegisterSecret(t.refresh_token);
    return st->SaveTokens(acct, t.access_token, t.refresh_token, t.expires_at);
  };
  std::ostream* e = err;
  o.on_warning = [e](const std::string& w) { *e << "warning: " << w << "\n"; };
  if (const char* ca = std::getenv("SEATKEEPER_CA_FILE")) o.ca_file = ca;
  return std::make_unique<zendesk::Client>(std::move(o));
}

void Context::Finish(const Status& s) {
  if (!s.ok()) {
    *err << "error: " << s.message() << "\n";
    exit_code = ExitCodeFor(s);
  }
}

}  // namespace sk::cli
