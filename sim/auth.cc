#include "auth.h"

#include <cstdio>
#include <sstream>

#include "credentials.h"
#include "pagination.h"
#include "sha256.h"
#include "util/encoding.h"

namespace zdsim {

TokenStore::TokenStore() = default;

std::string TokenStore::NextSecret(const char* prefix) {
  const uint64_t x = Mix(++counter_ * 0x51ED27ULL + 7);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%016llx%04llx", prefix, static_cast<unsigned long long>(x),
                static_cast<unsigned long long>(counter_ & 0xffff));
  return buf;
}

void TokenStore::Seed(int32_t admin, int64_t now) {
  seeded_at_ = now;
  for (auto [tok, scopes] : {std::pair{kAdminOauthToken, "read write"}, std::pair{kAdminOauthReadToken, "read"}}) {
    OauthToken t;
    t.id = next_id_++;
    t.access = tok;
    t.user = admin;
    t.scopes = scopes;
    t.client_id = kOauthClientId;
    t.created_at = now;
    tokens_[t.access] = t;
  }
}

OauthToken& TokenStore::Issue(int32_t user, const std::string& scopes, const std::string& client_id,
                              int64_t now, std::optional<int64_t> expires_in, bool with_refresh,
                              std::optional<int64_t> refresh_expires_in) {
  OauthToken t;
  t.id = next_id_++;
  t.access = NextSecret("zdsim-at-");
  t.user = user;
  t.scopes = scopes;
  t.client_id = client_id;
  t.created_at = now;
  if (expires_in) t.expires_at = now + *expires_in;
  if (with_refresh) {
    t.refresh = NextSecret("zdsim-rt-");
    if (refresh_expires_in) t.refresh_expires_at = now + *refresh_expires_in;
    refresh_[t.refresh] = t.access;
  }
  auto& slot = tokens_[t.access];
  slot = t;
  return slot;
}

OauthToken* TokenStore::FindAccess(const std::string& token) {
  auto it = tokens_.find(token);
  return it == tokens_.end() ? nullptr : &it->second;
}

OauthToken* TokenStore::FindRefresh(const std::string& token) {
  auto it = refresh_.find(token);
  return it == refresh_.end() ? nullptr : FindAccess(it->second);
}

OauthToken* TokenStore::FindId(int64_t id) {
  for (auto& [k, t] : tokens_)
    if (t.id == id) return &t;
  return nullptr;
}

OauthToken* TokenStore::Rotate(const std::string& refresh, int64_t now, std::optional<int64_t> expires_in,
                               std::optional<int64_t> refresh_expires_in, const std::string& scope) {
  OauthToken* old = FindRefresh(refresh);
  if (!old || old->revoked) return nullptr;
  if (old->refresh_expires_at != kNull && now >= old->refresh_expires_at) return nullptr;
  old->revoked = true;
  refresh_.erase(refresh);
  used_refresh_[refresh] = old->access;
  const std::string scopes = scope.empty() ? old->scopes : scope;
  return &Issue(old->user, scopes, old->client_id, now, expires_in, true, refresh_expires_in);
}

std::string TokenStore::NewCode(AuthCode c) {
  c.code = NextSecret("zdsim-code-");
  const std::string code = c.code;
  codes_[code] = std::move(c);
  return code;
}

AuthCode* TokenStore::FindCode(const std::string& code) {
  auto it = codes_.find(code);
  return it == codes_.end() ? nullptr : &it->second;
}

bool TokenStore::UseApiToken(int32_t user, int64_t now, bool lapse) {
  if (lapse) {
    bool& off = api_token_off_[user];
    if (!off && (now - ApiTokenLastUse(user) > kApiTokenIdleLimit || now >= kApiTokenRetirement)) off = true;
    if (off) return false;
  }
  api_token_used_[user] = now;
  return true;
}

int64_t TokenStore::ApiTokenLastUse(int32_t user) const {
  auto it = api_token_used_.find(user);
  return it == api_token_used_.end() ? seeded_at_ : it->second;
}

bool HasScope(const std::string& scopes, const std::string& want) {
  std::istringstream in(scopes);
  std::string s;
  while (in >> s)
    if (s == want) return true;
  return false;
}

AuthResult Authenticate(const httplib::Request& req, const Dataset& ds, TokenStore& tokens, int64_t now,
                        bool api_token_lapse) {
  AuthResult r;
  const std::string h = req.get_header_value("Authorization");
  if (h.empty()) return r;
  if (h.rfind("Bearer ", 0) == 0 || h.rfind("bearer ", 0) == 0) {
    r.bearer = true;
    OauthToken* t = tokens.FindAccess(h.substr(7));
    if (!t || t->revoked || (t->expires_at != kNull && now >= t->expires_at) || t->user < 0 ||
        !ds.users[t->user].active || ds.users[t->user].suspended) {
      r.kind = AuthResult::kBadBearer;
      return r;
    }
    t->used_at = now;
    r.kind = AuthResult::kOk;
    r.user = t->user;
    r.scopes = t->scopes;
    r.token = t;
    return r;
  }
  if (h.rfind("Basic ", 0) == 0 || h.rfind("basic ", 0) == 0) {
    r.basic = true;
    r.kind = AuthResult::kBadBasic;
    auto raw = sk::Base64Decode(h.substr(6));
    if (!raw) return r;
    const auto colon = raw->find(':');
    if (colon == std::string::npos) return r;
    std::string login = raw->substr(0, colon);
    const std::string secret = raw->substr(colon + 1);
    const std::string suffix = "/token";
    if (login.size() <= suffix.size() || login.substr(login.size() - suffix.size()) != suffix) return r;
    login.resize(login.size() - suffix.size());
    const int32_t u = ds.UserByEmail(login);
    if (u < 0 || !ds.users[u].active || ds.users[u].suspended) return r;
    const bool ok = (u == ds.admin && secret == kAdminApiToken) || (u == ds.agent && secret == kAgentApiToken);
    if (!ok || !tokens.UseApiToken(u, now, api_token_lapse)) return r;
    r.kind = AuthResult::kOk;
    r.user = u;
    return r;
  }
  r.kind = AuthResult::kBadBasic;
  return r;
}

bool VerifyPkce(const std::string& verifier, const std::string& challenge) {
  const std::string b64 = sk::Base64Encode(Sha256(verifier), sk::Base64::kUrlSafeNoPadding);
  std::string ch = challenge;
  while (!ch.empty() && ch.back() == '=') ch.pop_back();
  return b64 == ch;
}

}  // namespace zdsim
