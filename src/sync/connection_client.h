// The Zendesk client for a stored connection — one construction shared by
// the CLI, the web server and the workers: the connection's credentials and
// API budget; every secret registered for masking in logs; rotated OAuth
// tokens handed to `on_tokens` (persisted to the store by default).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "store/store.h"
#include "zendesk/client.h"

namespace sk::sync {

struct ConnectionClientOptions {
  std::string ca_file;  // extra CA bundle (SEATKEEPER_CA_FILE by default)
  // Rotated tokens; default: store->SaveTokens for the connection's account.
  std::function<Status(const zendesk::TokenSet&)> on_tokens;
  std::function<void(const std::string&)> on_warning;
};

std::unique_ptr<zendesk::Client> MakeConnectionClient(const store::Connection& c, store::Store* store,
                                                      ConnectionClientOptions options = {});

}  // namespace sk::sync
