// Warnings about a connection's credentials that are about to stop working:
// an OAuth refresh token near its expiry, an API token unused for nearly 30
// days (Zendesk switches those off), and any API token at all (Zendesk
// switches every one off on 2027-04-30), each with the step that reconnects.
#pragma once

#include <nlohmann/json.hpp>

#include "store/store.h"
#include "util/time.h"

namespace sk::store {

// Zendesk's API token retirement (reference §2.1): unused for 30 days → off;
// every token off on 2027-04-30T00:00:00Z.
inline constexpr UnixTime kApiTokenIdleLapse = 30 * 86400;
inline constexpr UnixTime kApiTokenRetirement = 1809043200;
// How early a lapse is warned about.
inline constexpr UnixTime kCredentialWarnAhead = 7 * 86400;

// When the connection's API token was last used successfully: its last
// successful sync or its connection, whichever is later (nullopt: unknown).
std::optional<UnixTime> ApiTokenLastUse(const Connection& c);

// The `seatkeeper connect ...` command line that replaces `c`'s credentials
// with OAuth (client credentials), keeping its permission and account name.
std::string ReconnectCommand(const Connection& c);

// [{"kind","severity":"warning|error","message","lapses_at"(ISO or null),
// "reconnect":{"cli","ui"}}] for `c` at `now`; empty when nothing lapses soon.
// kinds: api-token-retirement, api-token-idle, refresh-token-expiry,
// access-token-expiry (an OAuth token that cannot be refreshed).
nlohmann::json CredentialWarnings(const Connection& c, UnixTime now);

}  // namespace sk::store
