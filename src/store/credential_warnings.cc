#include "store/credential_warnings.h"

#include <algorithm>

namespace sk::store {

namespace {

constexpr const char* kUiStep = "the Zendesk tile's \"Reconnect / change permission\" button in the web UI";

std::string InDays(UnixTime from, UnixTime to) {
  const UnixTime days = (to - from + 86399) / 86400;
  if (to <= from) return "already";
  return "in " + std::to_string(days) + (days == 1 ? " day" : " days");
}

nlohmann::json Warning(const Connection& c, const std::string& kind, bool lapsed, const std::string& message,
                       std::optional<UnixTime> lapses_at) {
  return {{"kind", kind},
          {"severity", lapsed ? "error" : "warning"},
          {"message", message},
          {"lapses_at", lapses_at ? nlohmann::json(FormatIso(*lapses_at)) : nlohmann::json()},
          {"reconnect", {{"cli", ReconnectCommand(c)}, {"ui", kUiStep}}}};
}

}  // namespace

std::optional<UnixTime> ApiTokenLastUse(const Connection& c) {
  std::optional<UnixTime> last = c.connected_at;
  if (c.last_sync_at && (!last || *c.last_sync_at > *last)) last = c.last_sync_at;
  return last;
}

std::string ReconnectCommand(const Connection& c) {
  std::string cmd = "seatkeeper";
  if (c.account != "default") cmd += " --account " + c.account;
  cmd += " connect --url " + c.url + " --client-id " +
         (c.client_id.empty() ? std::string("<client-id>") : c.client_id) +
         " --client-secret-file <file> --permission " + c.permission;
  if (c.url.rfind("http://", 0) == 0) cmd += " --allow-local";
  return cmd;
}

nlohmann::json CredentialWarnings(const Connection& c, UnixTime now) {
  nlohmann::json out = nlohmann::json::array();
  if (c.auth_kind == "api_token") {
    const bool retired = now >= kApiTokenRetirement;
    out.push_back(
        Warning(c, "api-token-retirement", retired,
                retired ? "Zendesk switched every API token off on 2027-04-30: this connection no longer "
                          "works. Reconnect with OAuth."
                        : "This connection uses a Zendesk API token; Zendesk switches every API token off "
                          "on 2027-04-30 (" +
                              InDays(now, kApiTokenRetirement) + "). Reconnect with OAuth before then.",
                kApiTokenRetirement));
    if (auto last = ApiTokenLastUse(c)) {
      const UnixTime lapse = *last + kApiTokenIdleLapse;
      if (now >= lapse - kCredentialWarnAhead) {
        const bool lapsed = now >= lapse;
        out.push_back(
            Warning(c, "api-token-idle", lapsed,
                    "The API token was last used on " + FormatIso(*last) +
                        "; Zendesk switches off API tokens unused for 30 days" +
                        (lapsed ? ", so it has probably been switched off. Reconnect with OAuth."
                                : " (" + InDays(now, lapse) + ", " + FormatIso(lapse) +
                                      "). Run a sync to keep it in use, or better reconnect with OAuth."),
                    lapse));
      }
    }
  } else if (c.auth_kind == "oauth") {
    if (!c.refresh_token.empty() && c.refresh_expires_at &&
        now >= *c.refresh_expires_at - kCredentialWarnAhead) {
      const bool lapsed = now >= *c.refresh_expires_at;
      out.push_back(Warning(c, "refresh-token-expiry", lapsed,
                            std::string("The OAuth refresh token ") +
                                (lapsed ? "expired on " + FormatIso(*c.refresh_expires_at) + ": reconnect."
                                        : "expires " + InDays(now, *c.refresh_expires_at) + " (" +
                                              FormatIso(*c.refresh_expires_at) +
                                              "); a sync before then renews it, or reconnect."),
                            c.refresh_expires_at));
    } else if (c.refresh_token.empty() && c.token_expires_at &&
               now >= *c.token_expires_at - kCredentialWarnAhead) {
      const bool lapsed = now >= *c.token_expires_at;
      out.push_back(
          Warning(c, "access-token-expiry", lapsed,
                  std::string("The OAuth access token cannot be refreshed and ") +
                      (lapsed ? "expired on " + FormatIso(*c.token_expires_at) + ": reconnect."
                              : "expires " + InDays(now, *c.token_expires_at) + ": reconnect before then."),
                  c.token_expires_at));
    }
  }
  return out;
}

}  // namespace sk::store
