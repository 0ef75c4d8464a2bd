// Issue #20 part 4: expiring, rotating OAuth tokens and lapsing API tokens,
// end to end (the real seatkeeper binary against an in-process zdsim whose
// quirks expiring_oauth_tokens and api_token_lapse are on, as Zendesk has them).
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "credentials.h"
#include "store/store.h"
#include "support/account.h"

namespace sk::testing {
namespace {

using nlohmann::json;

json TokenCall(Account& a, const json& body) {
  httplib::Client http(a.sim().BaseUrl());
  auto r = http.Post("/oauth/tokens", body.dump(), "application/json");
  if (!r || r->status != 201) {
    ADD_FAILURE() << "token call failed: " << (r ? r->body : "no answer");
    return json::object();
  }
  return json::parse(r->body);
}

// An authorization-code grant for the connecting admin, as the web UI's
// connect flow obtains it: an access token of 30 minutes and a refresh token.
json AuthorizationCodeTokens(Account& a) {
  httplib::Client http(a.sim().BaseUrl());
  auto r =
      http.Post("/oauth/authorizations",
                "client_id=seatkeeper&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&scope=read+write"
                "&state=s1&decision=approve",
                "application/x-www-form-urlencoded");
  if (!r || r->status != 302) {
    ADD_FAILURE() << "authorization failed";
    return json::object();
  }
  std::string loc = r->get_header_value("Location");
  auto q = loc.find("code=");
  std::string code = loc.substr(q + 5, loc.find('&', q) - q - 5);
  return TokenCall(a, {{"grant_type", "authorization_code"},
                       {"code", code},
                       {"client_id", zdsim::kOauthClientId},
                       {"client_secret", zdsim::kOauthClientSecret},
                       {"redirect_uri", "http://127.0.0.1:9/callback"}});
}

std::unique_ptr<store::Store> OpenStore(Account& a) {
  auto st = store::OpenSqlite(a.cli().home() + "/seatkeeper.db", a.cli().home());
  EXPECT_TRUE(st.ok()) << st.status().message();
  return st.ok() ? std::move(*st) : nullptr;
}

// Connects with an authorization-code pair (what the web UI stores: access
// and refresh token, their expiries, the OAuth client).
json ConnectWithRefreshToken(Account& a, const std::vector<std::string>& extra = {}) {
  json t = AuthorizationCodeTokens(a);
  EXPECT_EQ(t["expires_in"], 1800) << "zdsim's default lifetime (quirk expiring_oauth_tokens)";
  CliResult r = a.ConnectOAuth(t["access_token"], extra);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto st = OpenStore(a);
  auto c = st->GetConnection("default");
  EXPECT_TRUE(c.ok() && c->has_value());
  store::Connection conn = **c;
  conn.refresh_token = t["refresh_token"];
  conn.client_id = zdsim::kOauthClientId;
  conn.client_secret = zdsim::kOauthClientSecret;
  conn.token_expires_at = a.sim().Now() + t["expires_in"].get<int64_t>();
  conn.refresh_expires_at = a.sim().Now() + t["refresh_token_expires_in"].get<int64_t>();
  EXPECT_TRUE(st->PutConnection(conn).ok());
  return t;
}

store::Connection Stored(Account& a) {
  auto c = OpenStore(a)->GetConnection("default");
  EXPECT_TRUE(c.ok() && c->has_value());
  return c.ok() && c->has_value() ? **c : store::Connection();
}

struct TokenRequests {
  int total = 0, ok = 0;
};
TokenRequests CountTokenRequests(Account& a) {
  TokenRequests n;
  for (const auto& r : a.sim().Requests()) {
    if (r["method"] != "POST" || r["path"].get<std::string>().rfind("/oauth/tokens", 0) != 0) continue;
    ++n.total;
    if (r["status"] == 201) ++n.ok;
  }
  return n;
}

int ApiRequests(const json& requests, int status = 0) {
  int n = 0;
  for (const auto& r : requests)
    if (r["path"].get<std::string>().rfind("/api/v2/", 0) == 0 && (status == 0 || r["status"] == status)) ++n;
  return n;
}

// Whether `access` is a live token in zdsim right now.
bool Works(Account& a, const std::string& access) {
  httplib::Client http(a.sim().BaseUrl());
  http.set_bearer_token_auth(access.c_str());
  auto r = http.Get("/api/v2/users/me.json");
  return r && r->status == 200 && !json::parse(r->body)["user"]["id"].is_null();
}

// A sync that outlives two access tokens: zdsim's clock passes each token's
// 30 minutes mid-sync. The sync refreshes once per lifetime (on Zendesk's 401
// invalid_token, seatkeeper's own clock being pinned), completes, and the
// store holds the last pair, which works.
TEST(TokenLifetimes, SyncLongerThanTheAccessTokenRefreshesOncePerLifetime) {
  Account acct(SmallAccount(41), "oauth-long-sync");
  ConnectWithRefreshToken(acct);
  acct.sim().ClearRequests();
  zdsim::Fault slow;  // each API request takes 20 ms, so the clock moves mid-sync
  slow.kind = "slow";
  slow.path = "/api/v2/";
  slow.count = 1000000;
  slow.delay_ms = 20;
  acct.sim().AddFault(slow);
  std::atomic<bool> done{false};
  int advanced = 0;
  std::thread clock([&] {
    int next = 5;  // after the 5th API request, then 15 requests after the first refresh
    while (!done && advanced < 2) {
      const json reqs = acct.sim().Requests();
      if (ApiRequests(reqs) >= next) {
        acct.sim().Advance(1801, false);
        ++advanced;
        next = ApiRequests(reqs) + 15;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  CliResult r = acct.cli().Run({"sync"});
  done = true;
  clock.join();
  acct.sim().ClearFaults();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(advanced, 2) << "the sync ended before both tokens expired; requests: "
                         << ApiRequests(acct.sim().Requests());
  const TokenRequests n = CountTokenRequests(acct);
  EXPECT_EQ(n.total, 2) << "one refresh per access token lifetime";
  EXPECT_EQ(n.ok, 2);
  store::Connection c = Stored(acct);
  EXPECT_EQ(c.state, "synced");
  EXPECT_TRUE(Works(acct, c.secret)) << "the stored access token is the live one";
  EXPECT_TRUE(c.refresh_expires_at.has_value());
  // The stored refresh token is the live one: using it rotates the pair.
  json again = TokenCall(acct, {{"grant_type", "refresh_token"},
                                {"refresh_token", c.refresh_token},
                                {"client_id", zdsim::kOauthClientId},
                                {"client_secret", zdsim::kOauthClientSecret}});
  EXPECT_TRUE(again.contains("access_token"));
  // What the sync stored matches zdsim's truth.
  auto got = ProjectUsers(acct.Json({"users"}));
  EXPECT_EQ(got.size(), acct.sim().TruthUsers().size());
}

// seatkeeper refreshes before expiry: a token with less than kRefreshMargin
// left is replaced before the first request, once, with no 401 on the way.
TEST(TokenLifetimes, RefreshesBeforeTheAccessTokenExpires) {
  Account acct(SmallAccount(42), "oauth-early");
  json t = ConnectWithRefreshToken(acct);
  {
    auto st = OpenStore(acct);
    auto c = st->GetConnection("default");
    store::Connection conn = **c;
    conn.token_expires_at = acct.sim().Now() + 60;  // one minute left on seatkeeper's clock
    ASSERT_TRUE(st->PutConnection(conn).ok());
  }
  acct.sim().ClearRequests();
  CliResult r = acct.cli().Run({"sync"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const json reqs = acct.sim().Requests();
  EXPECT_EQ(CountTokenRequests(acct).ok, 1);
  EXPECT_EQ(CountTokenRequests(acct).total, 1);
  EXPECT_EQ(ApiRequests(reqs, 401), 0) << "refreshed before Zendesk refused the token";
  EXPECT_FALSE(Works(acct, t["access_token"])) << "the refresh deleted the old token";
  store::Connection c = Stored(acct);
  EXPECT_TRUE(Works(acct, c.secret));
  EXPECT_GT(*c.token_expires_at, acct.sim().Now() + 1000);
}

// Two processes on one store (a sync and a CLI action) both need a refresh
// of the same expired token: one refresh request reaches Zendesk, the other
// process uses the pair the first stored, and both succeed.
TEST(TokenLifetimes, TwoProcessesRefreshTheSharedTokenOnce) {
  Account acct(SmallAccount(43), "oauth-two");
  ConnectWithRefreshToken(acct, {"--permission", "read-write"});
  acct.sim().Advance(1801, false);  // both processes start with an expired access token
  acct.sim().ClearRequests();
  zdsim::Fault slow;  // the refresh takes 2 s: the other process starts meanwhile
  slow.kind = "slow";
  slow.path = "/oauth/tokens";
  slow.count = 10;
  slow.delay_ms = 2000;
  acct.sim().AddFault(slow);
  std::string end_user;  // re-setting an end user's role reads it from Zendesk and changes nothing
  for (const auto& u : acct.sim().TruthUsers())
    if (u["role"] == "end-user" && !u["deleted"].get<bool>() && end_user.empty()) end_user = u["id"].dump();
  ASSERT_FALSE(end_user.empty());
  CliResult sync, action;
  std::thread a([&] { sync = acct.cli().Run({"sync"}); });
  std::thread b([&] {
    action = acct.cli().Run({"user", "set-role", end_user, "--role", "end-user", "--dry-run", "--json"});
  });
  a.join();
  b.join();
  acct.sim().ClearFaults();
  EXPECT_EQ(sync.exit_code, 0) << sync.err;
  EXPECT_EQ(action.exit_code, 0) << action.err;
  const TokenRequests n = CountTokenRequests(acct);
  EXPECT_EQ(n.total, 1) << "exactly one refresh request reached Zendesk";
  EXPECT_EQ(n.ok, 1);
  EXPECT_GE(ApiRequests(acct.sim().Requests(), 401), 2) << "both processes found the token expired";
  EXPECT_TRUE(Works(acct, Stored(acct).secret));
}

// An API token connection left idle: status warns a week ahead with the
// reconnect step; after 30 idle days Zendesk has switched the token off, the
// sync fails with exit 1, a clear message and the step, and keeps the data.
TEST(TokenLifetimes, IdleApiTokenIsWarnedAboutThenFailsCleanly) {
  Account acct(SmallAccount(44), "api-token-idle");
  ASSERT_EQ(acct.Connect().exit_code, 0);
  acct.Json({"sync"});
  auto kinds = [](const json& status) {
    std::map<std::string, json> out;
    for (const auto& w : status["warnings"]) out[w["kind"].get<std::string>()] = w;
    return out;
  };
  auto w = kinds(acct.Json({"status"}));
  ASSERT_TRUE(w.count("api-token-retirement")) << "an API token connection is always warned";
  EXPECT_EQ(w["api-token-retirement"]["lapses_at"], "2027-04-30T00:00:00Z");
  EXPECT_FALSE(w.count("api-token-idle")) << "just used";

  acct.Advance(22 * 86400, false);
  EXPECT_FALSE(kinds(acct.Json({"status"})).count("api-token-idle")) << "more than 7 days left";
  acct.Advance(2 * 86400, false);  // 24 days idle: 6 days left
  w = kinds(acct.Json({"status"}));
  ASSERT_TRUE(w.count("api-token-idle"));
  EXPECT_EQ(w["api-token-idle"]["severity"], "warning");
  const std::string cli = w["api-token-idle"]["reconnect"]["cli"];
  EXPECT_NE(cli.find("seatkeeper connect --url " + acct.sim().BaseUrl() + " --client-id"), std::string::npos)
      << cli;
  CliResult text = acct.cli().Run({"status"});
  EXPECT_NE(text.out.find("WARNING"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(cli), std::string::npos) << text.out;

  acct.Advance(7 * 86400, false);  // 31 days idle: zdsim has switched the token off
  const json users = acct.Json({"users"});
  const json usage = acct.Json({"usage", "--from", "2026-08-01"});
  ASSERT_FALSE(users.empty());
  CliResult r = acct.cli().Run({"sync"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("API token"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("seatkeeper connect --url"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("zdsim-admin-api-token"), std::string::npos) << "the secret is never printed";
  json status = acct.Json({"status"});
  EXPECT_EQ(status["state"], "error");
  w = kinds(status);
  EXPECT_EQ(w["api-token-idle"]["severity"], "error");
  EXPECT_EQ(acct.Json({"users"}), users) << "no synced data lost";
  EXPECT_EQ(acct.Json({"usage", "--from", "2026-08-01"}), usage);
}

// A daily sync keeps an API token in use: no idle warning after 40 days of them.
TEST(TokenLifetimes, DailySyncKeepsTheApiTokenInUse) {
  Account acct(SmallAccount(45), "api-token-daily");
  ASSERT_EQ(acct.Connect().exit_code, 0);
  acct.Json({"sync"});
  for (int day = 0; day < 5; ++day) {
    acct.Advance(8 * 86400, false);
    acct.Json({"sync"});
  }
  json status = acct.Json({"status"});
  EXPECT_EQ(status["state"], "synced");
  for (const auto& w : status["warnings"]) EXPECT_NE(w["kind"], "api-token-idle") << w.dump();
}

}  // namespace
}  // namespace sk::testing
