// Authentication: API tokens (Basic email/token:TOKEN), OAuth bearer tokens
// with scopes and expiry, refresh-token rotation and authorization codes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <httplib.h>

#include "dataset.h"

namespace zdsim {

struct OauthToken {
  int64_t id = 0;
  std::string access;
  std::string refresh;  // empty: none
  int32_t user = -1;
  std::string scopes;   // space separated
  std::string client_id;
  int64_t created_at = 0;
  int64_t expires_at = kNull;          // sim time; kNull = never
  int64_t refresh_expires_at = kNull;
  int64_t used_at = kNull;
  bool revoked = false;
};

// Zendesk: an API token unused for 30 days is deactivated; on 2027-04-30 every
// API token stops working (reference §2.1, Retirement).
inline constexpr int64_t kApiTokenIdleLimit = 30 * 86400;
inline constexpr int64_t kApiTokenRetirement = 1809043200;  // 2027-04-30T00:00:00Z

struct AuthCode {
  std::string code;
  int32_t user = -1;
  std::string client_id, redirect_uri, scope, challenge, challenge_method;
  int64_t created_at = 0;
  bool used = false;
};

class TokenStore {
 public:
  TokenStore();
  // Pre-issued tokens for the connecting admin.
  void Seed(int32_t admin, int64_t now);
  OauthToken& Issue(int32_t user, const std::string& scopes, const std::string& client_id, int64_t now,
                    std::optional<int64_t> expires_in, bool with_refresh,
                    std::optional<int64_t> refresh_expires_in);
  OauthToken* FindAccess(const std::string& token);
  OauthToken* FindRefresh(const std::string& token);
  OauthToken* FindId(int64_t id);
  // Refresh rotation: revokes the old pair (its access token stops working at
  // once, like its refresh token), returns the new one (or null when invalid).
  // Lifetimes: nullopt = never expires.
  OauthToken* Rotate(const std::string& refresh, int64_t now, std::optional<int64_t> expires_in,
                     std::optional<int64_t> refresh_expires_in, const std::string& scope);

  std::string NewCode(AuthCode c);
  AuthCode* FindCode(const std::string& code);

  // An API token request by `user` at `now`. With `lapse` (quirk
  // api_token_lapse), a token unused for kApiTokenIdleLimit seconds is switched
  // off for good (Zendesk deactivates it), and every token stops working at
  // kApiTokenRetirement; false = refused. Otherwise records the use.
  bool UseApiToken(int32_t user, int64_t now, bool lapse);
  // Last use of `user`'s API token (simulator start when never used).
  int64_t ApiTokenLastUse(int32_t user) const;

 private:
  std::string NextSecret(const char* prefix);
  std::map<std::string, OauthToken> tokens_;        // by access token
  std::map<std::string, std::string> refresh_;      // refresh -> access
  std::map<std::string, std::string> used_refresh_; // rotated refresh tokens
  std::map<std::string, AuthCode> codes_;
  std::map<int32_t, int64_t> api_token_used_;  // user -> last use (sim time)
  std::map<int32_t, bool> api_token_off_;      // deactivated tokens
  int64_t seeded_at_ = 0;
  uint64_t counter_ = 0;
  int64_t next_id_ = 360000700001;
};

struct AuthResult {
  enum Kind { kNone, kOk, kBadBasic, kBadBearer } kind = kNone;
  int32_t user = -1;
  bool bearer = false;
  bool basic = false;
  std::string scopes;  // bearer only
  OauthToken* token = nullptr;
};

// `api_token_lapse`: apply TokenStore::UseApiToken's switch-off rules.
AuthResult Authenticate(const httplib::Request& req, const Dataset& ds, TokenStore& tokens, int64_t now,
                        bool api_token_lapse = false);
bool HasScope(const std::string& scopes, const std::string& want);

// PKCE S256: base64url(sha256(verifier)) == challenge.
bool VerifyPkce(const std::string& verifier, const std::string& challenge);

}  // namespace zdsim
