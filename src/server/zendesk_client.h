// A Zendesk client for a stored connection, as the CLI builds it: the
// connection's credentials and API budget; rotated OAuth tokens go to
// `on_tokens` (by default persisted atomically to the store).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "store/store.h"
#include "zendesk/client.h"

namespace sk::server {

std::unique_ptr<zendesk::Client> MakeZendeskClient(const store::Connection& c, const std::string& ca_file,
                                                   std::function<Status(const zendesk::TokenSet&)> on_tokens);

// Same, persisting rotated tokens to `store` (which must outlive the client).
std::unique_ptr<zendesk::Client> MakeZendeskClient(const store::Connection& c, const std::string& ca_file,
                                                   store::Store* store);

}  // namespace sk::server
