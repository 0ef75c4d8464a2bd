// zdsim: expiring, rotating OAuth tokens and lapsing API tokens (quirks
// expiring_oauth_tokens and api_token_lapse, each also shown turned off).
#include <gtest/gtest.h>

#include "auth.h"
#include "sim_test_util.h"

namespace zdsim {
namespace {

using nlohmann::json;
using testing::AdminClient;
using testing::Body;
using testing::FixedOptions;

const char kRedirect[] = "http://127.0.0.1:1/cb";

json TokenCall(const Simulator& sim, const json& body, int want = 201) {
  httplib::Client c(sim.BaseUrl());
  auto r = c.Post("/oauth/tokens", body.dump(), "application/json");
  EXPECT_TRUE(r);
  if (!r) return json::object();
  EXPECT_EQ(r->status, want) << r->body;
  return json::parse(r->body);
}

// An authorization-code grant for the admin (no PKCE, confidential client).
json CodeGrant(const Simulator& sim, json extra = json::object()) {
  httplib::Client c(sim.BaseUrl());
  httplib::Params form{{"client_id", kOauthClientId},
                       {"redirect_uri", kRedirect},
                       {"scope", "read write"},
                       {"decision", "approve"}};
  auto r = c.Post("/oauth/authorizations", form);
  EXPECT_TRUE(r && r->status == 302);
  if (!r) return json::object();
  const std::string loc = r->get_header_value("Location");
  const auto at = loc.find("code=") + 5;
  json body = {{"grant_type", "authorization_code"},
               {"code", loc.substr(at, loc.find('&', at) - at)},
               {"client_id", kOauthClientId},
               {"client_secret", kOauthClientSecret},
               {"redirect_uri", kRedirect}};
  body.update(extra);
  return TokenCall(sim, body);
}

json Refresh(const Simulator& sim, const std::string& refresh, int want = 201) {
  return TokenCall(sim,
                   {{"grant_type", "refresh_token"},
                    {"refresh_token", refresh},
                    {"client_id", kOauthClientId},
                    {"client_secret", kOauthClientSecret}},
                   want);
}

int MeStatus(const Simulator& sim, const std::string& access, json* body = nullptr) {
  httplib::Client c(sim.BaseUrl());
  c.set_bearer_token_auth(access.c_str());
  auto r = c.Get("/api/v2/users.json?page[size]=1");
  if (!r) return -1;
  if (body) *body = json::parse(r->body, nullptr, false);
  return r->status;
}

TEST(ZdsimTokenLifetimes, AuthorizationCodeTokensExpireAfterThirtyMinutes) {
  Simulator sim(FixedOptions());
  sim.Start();
  json t = CodeGrant(sim);
  EXPECT_EQ(t["expires_in"], 1800);
  EXPECT_EQ(t["refresh_token_expires_in"], 30 * 86400);
  const std::string access = t["access_token"];
  EXPECT_EQ(MeStatus(sim, access), 200);
  sim.Advance(1799, false);
  EXPECT_EQ(MeStatus(sim, access), 200);
  sim.Advance(1, false);
  json body;
  EXPECT_EQ(MeStatus(sim, access, &body), 401);
  EXPECT_EQ(body["error"], "invalid_token");
  // The refresh token still works after the access token expired...
  json t2 = Refresh(sim, t["refresh_token"]);
  EXPECT_EQ(t2["expires_in"], 1800);
  EXPECT_EQ(MeStatus(sim, t2["access_token"]), 200);
  // ...but not once its own 30 days are over.
  sim.Advance(30 * 86400, false);
  EXPECT_EQ(Refresh(sim, t2["refresh_token"], 400)["error"], "invalid_grant");
}

TEST(ZdsimTokenLifetimes, RequestedLifetimesAreHonoured) {
  Simulator sim(FixedOptions());
  sim.Start();
  json t = CodeGrant(sim, {{"expires_in", 7200}, {"refresh_token_expires_in", 604800}});
  EXPECT_EQ(t["expires_in"], 7200);
  EXPECT_EQ(t["refresh_token_expires_in"], 604800);
}

TEST(ZdsimTokenLifetimes, RotationDeletesTheOldAccessTokenAtOnce) {
  Simulator sim(FixedOptions());
  sim.Start();
  json t = CodeGrant(sim);
  json t2 = Refresh(sim, t["refresh_token"]);
  EXPECT_EQ(MeStatus(sim, t["access_token"]), 401) << "the previous access token is deleted by the refresh";
  EXPECT_EQ(MeStatus(sim, t2["access_token"]), 200);
  // The loser of a refresh race holds nothing valid.
  EXPECT_EQ(Refresh(sim, t["refresh_token"], 400)["error"], "invalid_grant");
  EXPECT_EQ(MeStatus(sim, t2["access_token"]), 200) << "a failed reuse does not revoke the new pair";
}

TEST(ZdsimTokenLifetimes, ClientCredentialsTokensExpireWithoutRefreshToken) {
  Simulator sim(FixedOptions());
  sim.Start();
  json t = TokenCall(sim, {{"grant_type", "client_credentials"},
                           {"client_id", kOauthClientId},
                           {"client_secret", kOauthClientSecret}});
  EXPECT_EQ(t["expires_in"], 1800);
  EXPECT_FALSE(t.contains("refresh_token")) << t.dump();
  sim.Advance(1800, false);
  EXPECT_EQ(MeStatus(sim, t["access_token"]), 401);
}

TEST(ZdsimTokenLifetimes, WithoutTheQuirkTokensNeverExpire) {
  Options o = FixedOptions();
  o.quirks.expiring_oauth_tokens = false;
  Simulator sim(o);
  sim.Start();
  json t = CodeGrant(sim);
  EXPECT_TRUE(t["expires_in"].is_null()) << t.dump();
  EXPECT_TRUE(t["refresh_token_expires_in"].is_null()) << t.dump();
  sim.Advance(90 * 86400, false);
  EXPECT_EQ(MeStatus(sim, t["access_token"]), 200);
  Refresh(sim, t["refresh_token"]);
}

int ApiTokenStatus(const Simulator& sim) {
  auto c = AdminClient(sim);
  auto r = c->Get("/api/v2/users.json?page[size]=1");
  EXPECT_TRUE(r);
  if (r && r->status == 401) {
    EXPECT_EQ(Body(r)["error"], "Couldn't authenticate you");
  }
  return r ? r->status : -1;
}

TEST(ZdsimApiTokenLapse, TokenUnusedForThirtyDaysIsSwitchedOff) {
  Simulator sim(FixedOptions());
  sim.Start();
  sim.Advance(29 * 86400, false);
  EXPECT_EQ(ApiTokenStatus(sim), 200) << "29 days after the simulator started: still on";
  sim.Advance(30 * 86400, false);  // used 30 days ago exactly: still on
  EXPECT_EQ(ApiTokenStatus(sim), 200);
  sim.Advance(30 * 86400 + 1, false);
  EXPECT_EQ(ApiTokenStatus(sim), 401);
  sim.Advance(60, false);
  EXPECT_EQ(ApiTokenStatus(sim), 401) << "a switched-off token stays off";
  // users/me answers anonymously, as for any bad API token.
  auto r = AdminClient(sim)->Get("/api/v2/users/me.json");
  ASSERT_TRUE(r);
  EXPECT_TRUE(Body(r)["user"]["id"].is_null());
  // OAuth tokens are not affected.
  EXPECT_EQ(MeStatus(sim, kAdminOauthToken), 200);
}

TEST(ZdsimApiTokenLapse, EveryTokenStopsOnRetirementDay) {
  Options o = FixedOptions();
  o.now = kApiTokenRetirement - 60;
  Simulator sim(o);
  sim.Start();
  EXPECT_EQ(ApiTokenStatus(sim), 200);
  sim.Advance(60, false);
  EXPECT_EQ(ApiTokenStatus(sim), 401);
}

TEST(ZdsimApiTokenLapse, WithoutTheQuirkTokensKeepWorking) {
  Options o = FixedOptions();
  o.quirks.api_token_lapse = false;
  o.now = kApiTokenRetirement + 86400;
  Simulator sim(o);
  sim.Start();
  sim.Advance(60 * 86400, false);
  EXPECT_EQ(ApiTokenStatus(sim), 200);
}

}  // namespace
}  // namespace zdsim
