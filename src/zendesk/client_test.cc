// Client behaviour over real HTTP against a tiny cpp-httplib stub started on
// 127.0.0.1:0 inside each test. Sleeps are injected, so tests run fast.
#include "zendesk/client.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "zendesk/auth.h"
#include "zendesk/zendesk_test_support.h"

namespace sk::zendesk {
namespace {

using nlohmann::json;

const char kMeBody[] =
    R"({"user":{"id":35436,"name":"Jane Agent","email":"jane@acme.test","role":"admin","role_type":4,
        "custom_role_id":null,"active":true,"created_at":"2023-05-02T10:11:12Z","updated_at":"2024-06-01T08:00:00Z"}})";

using StubZendesk = testing::LocalServer;

struct FakeSleep {
  std::vector<double> sleeps;
  std::function<void(double)> fn() {
    return [this](double s) { sleeps.push_back(s); };
  }
};

// A client of the stub at `base` with fake sleeps, holding `credentials`
// (default: an OAuth access token "tok").
ClientOptions Options(const std::string& base, FakeSleep& sleep,
                      Credentials credentials = {.kind = Credentials::Kind::kOAuthToken, .secret = "tok"}) {
  ClientOptions o;
  o.base_url = base;
  o.credentials = std::move(credentials);
  o.sleep = sleep.fn();
  o.connect_timeout_seconds = 2;
  o.request_timeout_seconds = 5;
  return o;
}

// An OAuth access token that refreshes with refresh token "r1" (client "seatkeeper").
Credentials Refreshable(const std::string& access) {
  return {.kind = Credentials::Kind::kOAuthToken,
          .secret = access,
          .client_id = "seatkeeper",
          .refresh_token = "r1"};
}

// Each test has a stub Zendesk, a request counter for its handlers and fake sleeps.
class ClientTest : public ::testing::Test {
 protected:
  StubZendesk stub;
  std::atomic<int> hits{0};
  FakeSleep sleep;
};

// users/me: the first request gets what `first` writes, later ones kMeBody;
// *hits counts them.
void MeAfterFirst(StubZendesk& stub, std::atomic<int>* hits, std::function<void(httplib::Response&)> first) {
  stub.server().Get("/api/v2/users/me.json", [hits, first](const httplib::Request&, httplib::Response& res) {
    if ((*hits)++ == 0) return first(res);
    res.set_content(kMeBody, "application/json");
  });
}

// Me() through a client whose sleeps are fake: ok, after `requests` requests.
void ExpectMeOkAfter(StubZendesk& stub, const std::atomic<int>& hits, int requests) {
  FakeSleep sleep;
  Client client(Options(stub.base(), sleep));
  auto me = client.Me();
  ASSERT_TRUE(me.ok()) << me.status().ToString();
  EXPECT_EQ(hits, requests);
}

TEST_F(ClientTest, RetryAfterOn429ThenOk) {
  stub.server().Get("/api/v2/users/me.json", [&](const httplib::Request&, httplib::Response& res) {
    if (hits++ == 0) {
      res.status = 429;
      res.set_header("Retry-After", "7");
      res.set_content(R"({"error":"APIRateLimitExceeded"})", "application/json");
      return;
    }
    res.set_header("X-Rate-Limit", "700");
    res.set_header("X-Rate-Limit-Remaining", "699");
    res.set_content(kMeBody, "application/json");
  });
  Client client(Options(stub.base(), sleep));
  auto me = client.Me();
  ASSERT_TRUE(me.ok()) << me.status().ToString();
  EXPECT_EQ(me->id, 35436);
  EXPECT_EQ(hits, 2);
  ASSERT_EQ(sleep.sleeps.size(), 1u);
  EXPECT_GE(sleep.sleeps[0], 7.0);
  EXPECT_LE(sleep.sleeps[0], 7.7);
  EXPECT_EQ(client.stats().rate_limited, 1);
  EXPECT_EQ(client.stats().retries, 1);
  EXPECT_EQ(client.stats().responses_by_status.at(429), 1);
  EXPECT_EQ(client.stats().requests_by_endpoint.at("GET /api/v2/users/me"), 2);
  EXPECT_EQ(client.stats().account_limit, 700);
  EXPECT_NEAR(client.stats().seconds_waited, sleep.sleeps[0], 1e-9);
}

TEST_F(ClientTest, PlainText429WithoutRetryAfterBacksOff) {
  stub.server().Get("/api/v2/users/me.json", [&](const httplib::Request&, httplib::Response& res) {
    if (hits++ < 2) {
      res.status = 429;
      res.set_content("Number of allowed API requests per minute exceeded", "text/plain");
      return;
    }
    res.set_content(kMeBody, "application/json");
  });
  Client client(Options(stub.base(), sleep));
  ASSERT_TRUE(client.Me().ok());
  ASSERT_EQ(sleep.sleeps.size(), 2u);
  EXPECT_GE(sleep.sleeps[0], 0.8);
  EXPECT_LE(sleep.sleeps[0], 1.2);
  EXPECT_GE(sleep.sleeps[1], 1.6);
  EXPECT_LE(sleep.sleeps[1], 2.4);
}

TEST_F(ClientTest, RateLimitedAfterAllAttempts) {
  stub.server().Get("/api/v2/users.json", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 429;
    res.set_content("Number of allowed API requests per minute exceeded", "text/plain");
  });
  auto o = Options(stub.base(), sleep);
  o.max_attempts = 3;
  Client client(o);
  auto r = client.ListUsers("");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kRateLimited);
  EXPECT_NE(r.status().message().find("per minute exceeded"), std::string::npos);
}

TEST_F(ClientTest, Retries503ThenOk) {
  MeAfterFirst(stub, &hits, [](httplib::Response& res) {
    res.status = 503;
    res.set_content("<html>maintenance</html>", "text/html");
  });
  ExpectMeOkAfter(stub, hits, 2);
}

TEST_F(ClientTest, Persistent500BecomesUnavailable) {
  stub.server().Get("/api/v2/users/me.json", [&](const httplib::Request&, httplib::Response& res) {
    ++hits;
    res.status = 500;
    res.set_content(R"({"error":"InternalError"})", "application/json");
  });
  auto o = Options(stub.base(), sleep);
  o.max_attempts = 4;
  Client client(o);
  auto r = client.Me();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_EQ(hits, 4);
  EXPECT_EQ(sleep.sleeps.size(), 3u);
}

TEST_F(ClientTest, ConnectionRefusedIsUnavailable) {
  int port;
  {
    StubZendesk probe;  // grab a free port, then close it
    port = std::stoi(probe.base().substr(probe.base().rfind(':') + 1));
  }
  auto o = Options("http://127.0.0.1:" + std::to_string(port), sleep);
  o.max_attempts = 3;
  Client client(o);
  auto r = client.Me();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_EQ(sleep.sleeps.size(), 2u);
  EXPECT_EQ(r.status().message().find("tok"), std::string::npos);
  // Mutations are retried too when the request never left.
  sleep.sleeps.clear();
  auto m = client.UpdateUser(1, {{"role", "end-user"}});
  EXPECT_EQ(m.status().code(), Code::kUnavailable);
  EXPECT_EQ(sleep.sleeps.size(), 2u);
}

TEST_F(ClientTest, RedirectIsNotFollowed) {
  StubZendesk elsewhere;
  std::atomic<int> stolen{0};
  std::string seen_auth;
  elsewhere.server().Get(".*", [&](const httplib::Request& req, httplib::Response& res) {
    ++stolen;
    seen_auth = req.get_header_value("Authorization");
    res.set_content(kMeBody, "application/json");
  });
  stub.server().Get("/api/v2/users/me.json", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 302;
    res.set_header("Location", elsewhere.base() + "/steal");
  });
  Client client(Options(stub.base(), sleep));
  auto r = client.Me();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kBadResponse);
  EXPECT_EQ(stolen, 0);
  EXPECT_TRUE(seen_auth.empty());
  // Absolute URLs on another origin are refused before sending.
  auto other = client.Get(elsewhere.base() + "/api/v2/users.json");
  EXPECT_EQ(other.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(stolen, 0);
}

TEST_F(ClientTest, ApiTokenBasicHeaderAndWarningOnce) {
  std::vector<std::string> auths;
  std::vector<int> client_ports;
  std::string accept_encoding;
  std::mutex mu;
  stub.server().Get("/api/v2/users/me.json", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    auths.push_back(req.get_header_value("Authorization"));
    client_ports.push_back(req.remote_port);
    accept_encoding = req.get_header_value("Accept-Encoding");
    res.set_content(kMeBody, "application/json");
  });
  auto o = Options(stub.base(), sleep,
                   {.kind = Credentials::Kind::kApiToken, .email = "agent@acme.test", .secret = "abc123"});
  std::vector<std::string> warnings;
  o.on_warning = [&](const std::string& w) { warnings.push_back(w); };
  Client client(o);
  ASSERT_TRUE(client.Me().ok());
  ASSERT_TRUE(client.Me().ok());
  ASSERT_EQ(auths.size(), 2u);
  EXPECT_EQ(auths[0], "Basic YWdlbnRAYWNtZS50ZXN0L3Rva2VuOmFiYzEyMw==");
  EXPECT_EQ(BasicAuthorization("agent@acme.test", "abc123"), auths[0]);
  EXPECT_NE(accept_encoding.find("gzip"), std::string::npos);
  // One kept-alive connection serves both requests.
  EXPECT_EQ(client_ports[0], client_ports[1]);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("2026-10-27"), std::string::npos);
  EXPECT_NE(warnings[0].find("2027-04-30"), std::string::npos);
  EXPECT_NE(warnings[0].find("OAuth"), std::string::npos);
}

TEST_F(ClientTest, BearerRefreshOn401PersistsBeforeRetry) {
  std::mutex mu;
  std::vector<std::string> log;
  json token_request;
  stub.server().Get("/api/v2/users/me.json", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    std::string auth = req.get_header_value("Authorization");
    log.push_back("me:" + auth);
    if (auth != "Bearer new-access") {
      res.status = 401;
      res.set_content(
          R"({"error":"invalid_token","error_description":"The access token provided is expired, revoked, malformed or invalid for other reasons."})",
          "application/json");
      return;
    }
    res.set_content(kMeBody, "application/json");
  });
  stub.server().Post("/oauth/tokens", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    log.push_back("tokens");
    token_request = json::parse(req.body);
    EXPECT_EQ(req.get_header_value("Content-Type"), "application/json");
    res.status = 201;
    res.set_content(
        R"({"access_token":"new-access","refresh_token":"r2","token_type":"bearer","expires_in":7200})",
        "application/json");
  });
  auto o = Options(stub.base(), sleep, Refreshable("old-access"));
  o.credentials.client_secret = "shh";
  std::vector<TokenSet> saved;
  o.on_tokens = [&](const TokenSet& t) {
    std::lock_guard<std::mutex> lock(mu);
    log.push_back("on_tokens");
    saved.push_back(t);
    return Status::Ok();
  };
  Client client(o);
  auto me = client.Me();
  ASSERT_TRUE(me.ok()) << me.status().ToString();
  std::vector<std::string> want = {"me:Bearer old-access", "tokens", "on_tokens", "me:Bearer new-access"};
  EXPECT_EQ(log, want);
  EXPECT_EQ(token_request["grant_type"], "refresh_token");
  EXPECT_EQ(token_request["refresh_token"], "r1");
  EXPECT_EQ(token_request["client_id"], "seatkeeper");
  EXPECT_EQ(token_request["client_secret"], "shh");
  ASSERT_EQ(saved.size(), 1u);
  EXPECT_EQ(saved[0].refresh_token, "r2");
  EXPECT_TRUE(saved[0].expires_at.has_value());
}

// An access token with less than kRefreshMargin left is refreshed before
// the request (no 401 first), through rotate_tokens, once.
TEST_F(ClientTest, RefreshesThroughTheRotationHookBeforeExpiry) {
  std::mutex mu;
  std::vector<std::string> log;
  stub.server().Get("/api/v2/users/me.json", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    log.push_back("me:" + req.get_header_value("Authorization"));
    res.set_content(kMeBody, "application/json");
  });
  stub.server().Post("/oauth/tokens", [&](const httplib::Request&, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    log.push_back("tokens");
    res.status = 201;
    res.set_content(R"({"access_token":"new-access","refresh_token":"r2","expires_in":1800})",
                    "application/json");
  });
  auto o = Options(stub.base(), sleep, Refreshable("old-access"));
  o.credentials.expires_at = NowUnix() + kRefreshMargin - 10;
  std::vector<std::string> used;
  o.rotate_tokens = [&](const std::string& used_refresh, const std::function<Result<TokenSet>()>& request) {
    used.push_back(used_refresh);
    return request();
  };
  o.on_tokens = [](const TokenSet&) -> Status { return IoError("on_tokens is not used with rotate_tokens"); };
  Client client(o);
  ASSERT_TRUE(client.Me().ok());
  ASSERT_TRUE(client.Me().ok());
  std::vector<std::string> want = {"tokens", "me:Bearer new-access", "me:Bearer new-access"};
  EXPECT_EQ(log, want);
  EXPECT_EQ(used, std::vector<std::string>{"r1"});
}

// After a 401, a pair another process already rotated is used as it is.
TEST_F(ClientTest, UsesThePairAnotherProcessRotated) {
  std::atomic<int> token_requests{0};
  std::vector<std::string> auths;
  stub.server().Get("/api/v2/users/me.json", [&](const httplib::Request& req, httplib::Response& res) {
    auths.push_back(req.get_header_value("Authorization"));
    if (auths.back() != "Bearer theirs") {
      res.status = 401;
      res.set_content(R"({"error":"invalid_token","error_description":"revoked"})", "application/json");
      return;
    }
    res.set_content(kMeBody, "application/json");
  });
  stub.server().Post("/oauth/tokens", [&](const httplib::Request&, httplib::Response& res) {
    ++token_requests;
    res.status = 400;
    res.set_content(R"({"error":"invalid_grant","error_description":"used"})", "application/json");
  });
  auto o = Options(stub.base(), sleep, Refreshable("ours"));
  o.rotate_tokens = [](const std::string&, const std::function<Result<TokenSet>()>&) -> Result<TokenSet> {
    return TokenSet{"theirs", "r2", std::nullopt, std::nullopt, ""};
  };
  Client client(o);
  auto me = client.Me();
  ASSERT_TRUE(me.ok()) << me.status().ToString();
  EXPECT_EQ(token_requests, 0);
  EXPECT_EQ(auths, (std::vector<std::string>{"Bearer ours", "Bearer theirs"}));
}

TEST_F(ClientTest, RefreshStopsWhenTokensCannotBePersisted) {
  std::atomic<int> me_hits{0};
  stub.server().Get("/api/v2/users/me.json", [&](const httplib::Request&, httplib::Response& res) {
    ++me_hits;
    res.status = 401;
    res.set_content(R"({"error":"invalid_token","error_description":"expired"})", "application/json");
  });
  stub.server().Post("/oauth/tokens", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"access_token":"new","refresh_token":"r2"})", "application/json");
  });
  auto o = Options(stub.base(), sleep, Refreshable("tok"));
  o.on_tokens = [](const TokenSet&) { return IoError("disk full"); };
  Client client(o);
  auto me = client.Me();
  ASSERT_FALSE(me.ok());
  EXPECT_EQ(me.status().code(), Code::kIo);
  EXPECT_EQ(me_hits, 1);
}

TEST_F(ClientTest, ClientCredentialsTokenObtainedOnFirstRequest) {
  json token_request;
  std::string auth;
  stub.server().Post("/oauth/tokens", [&](const httplib::Request& req, httplib::Response& res) {
    token_request = json::parse(req.body);
    res.set_content(R"({"access_token":"cc-token","token_type":"bearer","scope":"read write"})",
                    "application/json");
  });
  stub.server().Get("/api/v2/users/me.json", [&](const httplib::Request& req, httplib::Response& res) {
    auth = req.get_header_value("Authorization");
    res.set_content(kMeBody, "application/json");
  });
  auto o = Options(stub.base(), sleep,
                   {.kind = Credentials::Kind::kClientCredentials, .secret = "csecret", .client_id = "cid"});
  Client client(o);
  ASSERT_TRUE(client.Me().ok());
  EXPECT_EQ(auth, "Bearer cc-token");
  EXPECT_EQ(token_request["grant_type"], "client_credentials");
  EXPECT_EQ(token_request["client_id"], "cid");
  EXPECT_EQ(token_request["client_secret"], "csecret");
  EXPECT_EQ(token_request["scope"], "read write");

  auto grant = ClientCredentialsGrant(stub.base(), "cid", "csecret", "read");
  ASSERT_TRUE(grant.ok()) << grant.status().ToString();
  EXPECT_EQ(grant->access_token, "cc-token");

  // The code exchange sends the scope the authorization asked for, as the reference's body does.
  auto code =
      AuthorizationCodeGrant(stub.base(), "cid", "", "the-code", "https://sk.example/cb", "verifier", "read");
  ASSERT_TRUE(code.ok()) << code.status().ToString();
  EXPECT_EQ(token_request["grant_type"], "authorization_code");
  EXPECT_EQ(token_request["scope"], "read");
  EXPECT_EQ(token_request["code_verifier"], "verifier");
  EXPECT_FALSE(token_request.contains("client_secret")) << "a public client sends no secret";
}

// PUT and DELETE are idempotent: their 5xx and 409 answers are retried like a
// GET's (reference §11.4, §11.5). A POST (create) is retried only after a 503
// or 429, which Zendesk sends without applying the request.
TEST_F(ClientTest, PutAndDeleteRetriedAfter5xxPostOnlyAfter503) {
  std::atomic<int> put_hits{0}, post_hits{0}, delete_hits{0};
  std::string content_type;
  stub.server().Put("/api/v2/users/1.json", [&](const httplib::Request& req, httplib::Response& res) {
    content_type = req.get_header_value("Content-Type");
    if (put_hits++ == 0) {
      res.status = 502;
      return;
    }
    res.set_content(R"({"user":{"id":1,"name":"A","role":"end-user"}})", "application/json");
  });
  stub.server().Post("/api/v2/users.json", [&](const httplib::Request& req, httplib::Response& res) {
    const int n = post_hits++;
    if (n == 0) {
      res.status = 500;
      return;
    }
    if (n == 1) {
      res.status = 503;
      res.set_header("Retry-After", "3");
      return;
    }
    auto body = json::parse(req.body);
    EXPECT_EQ(body["user"]["name"], "Roger");
    res.status = 201;
    res.set_content(R"({"user":{"id":9,"name":"Roger","role":"end-user"}})", "application/json");
  });
  // The first DELETE applied but its answer was lost to a 500: the retry finds no user.
  stub.server().Delete("/api/v2/users/2.json", [&](const httplib::Request&, httplib::Response& res) {
    res.status = delete_hits++ == 0 ? 500 : 404;
    if (res.status == 404)
      res.set_content(R"({"error":"RecordNotFound","description":"Not found"})", "application/json");
  });
  Client client(Options(stub.base(), sleep));
  auto r = client.UpdateUser(1, {{"role", "end-user"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->role, "end-user");
  EXPECT_EQ(put_hits, 2);
  EXPECT_EQ(content_type, "application/json");
  EXPECT_EQ(sleep.sleeps.size(), 1u);

  auto refused = client.CreateUser({{"name", "Roger"}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kUnavailable);
  EXPECT_EQ(post_hits, 1) << "a create that answered 500 may have applied: not sent again";
  auto created = client.CreateUser({{"name", "Roger"}});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->id, 9);
  EXPECT_EQ(post_hits, 3);
  ASSERT_EQ(sleep.sleeps.size(), 2u);
  EXPECT_GE(sleep.sleeps[1], 3.0);

  auto deleted = client.DeleteUser(2);
  ASSERT_FALSE(deleted.ok());
  EXPECT_EQ(delete_hits, 2);
  EXPECT_EQ(deleted.status().code(), Code::kUnavailable) << deleted.status().ToString();
  EXPECT_NE(deleted.status().message().find("may have applied"), std::string::npos)
      << deleted.status().ToString();
}

// A send whose answer never came (a timeout): a PUT or DELETE is sent again,
// as sending it twice leaves Zendesk as sending it once does (reference
// §11.5); a POST is not (it may have created the user) and says so. A DELETE
// whose retry finds nothing says the first attempt may have applied.
TEST_F(ClientTest, LostAnswerRetriesPutAndDeleteNotPost) {
  std::atomic<int> put_hits{0}, post_hits{0}, delete_hits{0};
  const auto slow = std::chrono::milliseconds(2500);
  stub.server().Put("/api/v2/users/1.json", [&](const httplib::Request&, httplib::Response& res) {
    if (put_hits++ == 0) std::this_thread::sleep_for(slow);
    res.set_content(R"({"user":{"id":1,"role":"end-user"}})", "application/json");
  });
  stub.server().Post("/api/v2/users.json", [&](const httplib::Request&, httplib::Response& res) {
    ++post_hits;
    std::this_thread::sleep_for(slow);
    res.status = 201;
    res.set_content(R"({"user":{"id":9}})", "application/json");
  });
  stub.server().Delete("/api/v2/users/2.json", [&](const httplib::Request&, httplib::Response& res) {
    if (delete_hits++ == 0) {
      std::this_thread::sleep_for(slow);
      res.set_content(R"({"user":{"id":2,"active":false}})", "application/json");
      return;
    }
    res.status = 404;
    res.set_content(R"({"error":"RecordNotFound","description":"Not found"})", "application/json");
  });
  auto o = Options(stub.base(), sleep);
  o.request_timeout_seconds = 1;
  Client client(o);
  auto put = client.UpdateUser(1, {{"role", "end-user"}});
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->role, "end-user");
  EXPECT_EQ(put_hits, 2);

  auto post = client.CreateUser({{"name", "Roger"}});
  ASSERT_FALSE(post.ok());
  EXPECT_EQ(post.status().code(), Code::kUnavailable);
  EXPECT_NE(post.status().message().find("may have applied it"), std::string::npos)
      << post.status().ToString();
  EXPECT_EQ(post_hits, 1);

  auto del = client.DeleteUser(2);
  ASSERT_FALSE(del.ok());
  EXPECT_EQ(del.status().code(), Code::kUnavailable) << del.status().ToString();
  EXPECT_NE(del.status().message().find("no answer came"), std::string::npos) << del.status().ToString();
  EXPECT_NE(del.status().message().find("may have applied"), std::string::npos) << del.status().ToString();
  EXPECT_EQ(delete_hits, 2);
}

TEST_F(ClientTest, PacesWhenRemainingBelowBudgetShare) {
  stub.server().Get("/api/v2/users.json", [&](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Rate-Limit", "100");
    res.set_header("X-Rate-Limit-Remaining", "40");
    res.set_header("ratelimit-limit", "100");
    res.set_header("ratelimit-remaining", "40");
    res.set_header("ratelimit-reset", "30");
    res.set_content(R"({"users":[],"meta":{"has_more":false,"after_cursor":null}})", "application/json");
  });
  auto o = Options(stub.base(), sleep);
  o.api_budget_percent = 50;
  Client client(o);
  ASSERT_TRUE(client.ListUsers("").ok());
  EXPECT_TRUE(sleep.sleeps.empty());
  ASSERT_TRUE(client.ListUsers("").ok());
  ASSERT_EQ(sleep.sleeps.size(), 1u);
  EXPECT_GT(sleep.sleeps[0], 29.0);
  EXPECT_LE(sleep.sleeps[0], 30.0);
  EXPECT_EQ(client.stats().account_remaining, 40);
}

TEST_F(ClientTest, BucketHeadersPaceIncrementalExports) {
  stub.server().Get(
      "/api/v2/incremental/ticket_events.json", [&](const httplib::Request& req, httplib::Response& res) {
        EXPECT_EQ(req.get_param_value("start_time"), "1719792000");
        EXPECT_EQ(req.get_param_value("per_page"), "1000");
        res.set_header("Zendesk-RateLimit-incremental-exports", "total=10; remaining=0; resets=12");
        res.set_content(
            R"({"ticket_events":[],"count":0,"end_time":1719792000,"next_page":null,"end_of_stream":true})",
            "application/json");
      });
  Client client(Options(stub.base(), sleep));
  ASSERT_TRUE(client.TicketEvents(1719792000).ok());
  ASSERT_TRUE(client.TicketEvents(1719792000).ok());
  ASSERT_EQ(sleep.sleeps.size(), 1u);
  EXPECT_GT(sleep.sleeps[0], 11.0);
}

TEST_F(ClientTest, AnonymousUsersMeIsUnauthenticated) {
  stub.server().Get("/api/v2/users/me.json", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        R"({"user":{"id":null,"url":null,"name":"Anonymous user","email":"invalid@example.com","role":"end-user"}})",
        "application/json");
  });
  Client client(Options(stub.base(), sleep));
  auto r = client.Me();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnauthenticated);
  EXPECT_NE(r.status().message().find("anonymous"), std::string::npos);
}

TEST_F(ClientTest, UnknownSubdomain404) {
  stub.server().Get("/api/v2/users/me.json", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_content("<html>Help Center Closed</html>", "text/html");
  });
  Client client(Options(stub.base(), sleep));
  auto r = client.Me();
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_NE(r.status().message().find("check the subdomain"), std::string::npos);
}

TEST_F(ClientTest, TruncatedBodyOnGetIsRetried) {
  MeAfterFirst(stub, &hits, [](httplib::Response& res) {
    res.set_content(R"({"user":{"id":35436,"na)", "application/json");
  });
  ExpectMeOkAfter(stub, hits, 2);
}

TEST_F(ClientTest, TypedCallsBuildZendeskQueries) {
  std::mutex mu;
  std::map<std::string, std::string> targets;
  auto record = [&](const std::string& name) {
    return [&, name](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu);
      targets[name] = req.target;
      if (name == "audit_logs") {
        auto range = req.params.equal_range("filter[created_at][]");
        EXPECT_EQ(std::distance(range.first, range.second), 2);
        EXPECT_EQ(req.get_param_value("filter[action]"), "login");
        res.set_content(R"({"audit_logs":[],"meta":{"has_more":false}})", "application/json");
      } else if (name == "search") {
        EXPECT_EQ(req.get_param_value("query"), "assignee:7 status<closed");
        EXPECT_EQ(req.get_param_value("filter[type]"), "ticket");
        res.set_content(R"({"results":[],"meta":{"has_more":false}})", "application/json");
      } else if (name == "update_many") {
        EXPECT_EQ(req.get_param_value("ids"), "1,2");
        res.set_content(R"({"job_status":{"id":"J1","status":"queued"}})", "application/json");
      } else if (name == "articles") {
        res.set_content(R"({"articles":[],"count":0,"next_page":null,"end_time":5})", "application/json");
      } else {
        res.set_content(R"({"users":[],"meta":{"has_more":false}})", "application/json");
      }
    };
  };
  stub.server().Get("/api/v2/audit_logs.json", record("audit_logs"));
  stub.server().Get("/api/v2/search/export.json", record("search"));
  stub.server().Put("/api/v2/tickets/update_many.json", record("update_many"));
  stub.server().Get("/api/v2/help_center/incremental/articles.json", record("articles"));
  stub.server().Get("/api/v2/users.json", record("users"));
  Client client(Options(stub.base(), sleep));
  ASSERT_TRUE(client.LoginAuditLogs(1719792000, 1719878400, "").ok());
  ASSERT_TRUE(client.SearchTickets("type:ticket assignee:7 status<closed", "").ok());
  auto job = client.UpdateManyTickets({1, 2}, {{"assignee_id", nullptr}});
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(job->id, "J1");
  ASSERT_TRUE(client.IncrementalArticles(5).ok());
  ASSERT_TRUE(client.ListUsers("abc=").ok());
  EXPECT_EQ(targets["audit_logs"],
            "/api/v2/audit_logs.json?filter%5Baction%5D=login"
            "&filter%5Bcreated_at%5D%5B%5D=2024-07-01T00%3A00%3A00Z"
            "&filter%5Bcreated_at%5D%5B%5D=2024-07-02T00%3A00%3A00Z&sort=created_at&page%5Bsize%5D=100");
  EXPECT_NE(targets["search"].find("page%5Bsize%5D=1000"), std::string::npos);
  EXPECT_EQ(targets["users"], "/api/v2/users.json?page%5Bsize%5D=100&page%5Bafter%5D=abc%3D");
  EXPECT_EQ(client.UpdateManyTickets(std::vector<int64_t>(101, 1), json::object()).status().code(),
            Code::kInvalidArgument);
}

// Captures the "waiting: ..." lines the client logs (spdlog, info level: the
// CLI's standard error) while alive.
class WaitLines {
 public:
  WaitLines() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)) {
    previous_ = spdlog::default_logger();
    auto logger = std::make_shared<spdlog::logger>("wait-lines", sink_);
    logger->set_level(spdlog::level::info);
    logger->set_pattern("%v");
    spdlog::set_default_logger(logger);
  }
  ~WaitLines() { spdlog::set_default_logger(previous_); }
  std::vector<std::string> lines() const {
    std::vector<std::string> v;
    std::istringstream in(out_.str());
    for (std::string l; std::getline(in, l);)
      if (l.rfind("waiting: ", 0) == 0) v.push_back(l);
    return v;
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

// Issue #20 part 6: an unreachable Zendesk (nothing listens on the port) is
// given up after ~12 s on the injected clock — backoff 1 + 2 + 4 s, and the
// next 8 s would pass 12 s, so 4 attempts instead of 8 — with each retry
// announced and the likely causes named.
TEST_F(ClientTest, UnreachableGivesUpWithinTheLimitAndAnnouncesEachRetry) {
  std::string base;
  {
    StubZendesk closed;
    base = closed.base();
  }  // stopped: the port now refuses connections
  WaitLines waiting;
  Client client(Options(base, sleep));
  auto me = client.Me();
  ASSERT_FALSE(me.ok());
  EXPECT_EQ(me.status().code(), Code::kUnavailable);
  const std::string& msg = me.status().message();
  EXPECT_NE(msg.find("could not reach Zendesk at 127.0.0.1:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("after 4 attempts"), std::string::npos) << msg;
  for (const char* cause : {"firewall", "proxy", "DNS", "IP restriction"})
    EXPECT_NE(msg.find(cause), std::string::npos) << cause << ": " << msg;
  EXPECT_EQ(sleep.sleeps.size(), 3u);
  auto lines = waiting.lines();
  ASSERT_EQ(lines.size(), 3u);
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_NE(lines[i].find("no answer from Zendesk at 127.0.0.1:"), std::string::npos) << lines[i];
    EXPECT_NE(lines[i].find("attempt " + std::to_string(i + 2) + " of at most 8, giving up after 12 s"),
              std::string::npos)
        << lines[i];
    EXPECT_EQ(lines[i].find("tok"), std::string::npos) << "no credentials: " << lines[i];
  }
}

// Once Zendesk has answered, a connection failure is a transient error: the
// existing policy (max_attempts) applies, each retry announced.
TEST_F(ClientTest, AfterAnAnswerConnectionFailuresKeepTheRetryPolicy) {
  auto stub = std::make_unique<StubZendesk>();
  stub->server().Get("/api/v2/users/me.json", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kMeBody, "application/json");
  });
  WaitLines waiting;
  Client client(Options(stub->base(), sleep));
  ASSERT_TRUE(client.Me().ok());
  stub.reset();
  EXPECT_FALSE(client.Me().ok());
  EXPECT_EQ(sleep.sleeps.size(), 7u);
  EXPECT_EQ(waiting.lines().size(), 7u);
}

// 429/5xx retries say what they wait for too.
TEST_F(ClientTest, RetriesAreAnnounced) {
  MeAfterFirst(stub, &hits, [](httplib::Response& res) {
    res.status = 429;
    res.set_header("Retry-After", "3");
    res.set_content("Number of allowed API requests per minute exceeded", "text/plain");
  });
  WaitLines waiting;
  Client client(Options(stub.base(), sleep));
  ASSERT_TRUE(client.Me().ok());
  auto lines = waiting.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("Zendesk answered HTTP 429 to GET /api/v2/users/me; retrying in 3."),
            std::string::npos)
      << lines[0];
  EXPECT_NE(lines[0].find("as its Retry-After asks (attempt 2 of at most 8)"), std::string::npos) << lines[0];
}

// Issue #19 item 2: the sync's lanes share one client from several threads.
// Calls in flight at once each have their own connection, and every count lands.
TEST_F(ClientTest, CallsFromSeveralThreadsRunAtOnceOnTheirOwnConnections) {
  std::mutex mu;
  int in_flight = 0, most = 0;
  stub.server().Get("/api/v2/users/me.json", [&](const httplib::Request&, httplib::Response& res) {
    {
      std::lock_guard lk(mu);
      most = std::max(most, ++in_flight);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    {
      std::lock_guard lk(mu);
      --in_flight;
    }
    res.set_header("X-Rate-Limit", "700");
    res.set_header("X-Rate-Limit-Remaining", "600");
    res.set_content(kMeBody, "application/json");
  });
  Client client(Options(stub.base(), sleep));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) ok += client.Me().ok() ? 1 : 0;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 40);
  EXPECT_GE(most, 2) << "the calls waited for each other";
  EXPECT_EQ(client.stats().requests_by_endpoint.at("GET /api/v2/users/me"), 40);
  EXPECT_EQ(client.stats().responses_by_status.at(200), 40);
}

// Threads sharing a bucket pace against one view of it: with 8 requests
// left, no more than 8 go out before the client waits, however many threads
// ask at once.
TEST_F(ClientTest, ThreadsSharingABucketNeverOverdrawIt) {
  std::atomic<int> served{0};
  stub.server().Get(
      "/api/v2/incremental/ticket_events.json", [&](const httplib::Request&, httplib::Response& res) {
        const int n = ++served;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        res.set_header("Zendesk-RateLimit-incremental-exports",
                       "total=10; remaining=" + std::to_string(std::max(0, 9 - n)) + "; resets=600");
        res.set_content(R"({"ticket_events":[],"end_of_stream":true,"end_time":1})", "application/json");
      });
  // The first answer tells the client the window; then 4 threads ask for 6
  // pages each. The first wait lets what was sent land, then counts it.
  std::mutex sleep_mu;
  int sent_before_first_wait = -1;
  ClientOptions o = Options(stub.base(), sleep);
  o.sleep = [&](double) {
    std::lock_guard lk(sleep_mu);
    if (sent_before_first_wait >= 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    sent_before_first_wait = served;
  };
  Client client(o);
  ASSERT_TRUE(client.TicketEvents(0).ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 6; ++i) (void)client.TicketEvents(0);
    });
  for (auto& t : threads) t.join();
  // Remaining 8 after the first answer (no reserve on a bucket of 10): at
  // most 8 more, whatever the answers of those in flight said (an answer
  // counted before others in flight reached Zendesk would let more out).
  EXPECT_LE(sent_before_first_wait, 9);
  EXPECT_GE(sent_before_first_wait, 3);
}

// Cancel() ends a call waiting for its bucket at once and refuses new ones
// until ClearCancel(): how a failing lane stops the others.
TEST_F(ClientTest, CancelCutsAPacingWaitShortAndStopsLaterCalls) {
  stub.server().Get("/api/v2/users/me.json", [&](const httplib::Request&, httplib::Response& res) {
    ++hits;
    res.set_header("X-Rate-Limit", "700");
    res.set_header("X-Rate-Limit-Remaining", "0");
    res.set_header("ratelimit-reset", "300");
    res.set_content(kMeBody, "application/json");
  });
  ClientOptions o = Options(stub.base(), sleep);
  o.sleep = nullptr;  // real waits: the one under test
  Client client(o);
  ASSERT_TRUE(client.Me().ok());  // the account window is spent for 300 s
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    client.Cancel("stopped: another part of the sync failed");
  });
  const auto t0 = std::chrono::steady_clock::now();
  auto waited = client.Me();
  canceller.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(30));
  ASSERT_FALSE(waited.ok());
  EXPECT_EQ(waited.status().code(), Code::kUnavailable);
  EXPECT_EQ(waited.status().message(), "stopped: another part of the sync failed");
  EXPECT_EQ(hits, 1) << "nothing is sent once cancelled";
  // Cleared, calls go through again (Help Center's window is its own).
  client.ClearCancel();
  stub.server().Get(
      "/api/v2/help_center/incremental/articles.json", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content(R"({"articles":[],"end_time":1,"next_page":null,"count":0})", "application/json");
      });
  EXPECT_TRUE(client.IncrementalArticles(0).ok());
}

// Two threads whose requests both met an expired access token refresh the
// rotating pair once: the second uses the token the first obtained.
TEST_F(ClientTest, ConcurrentUnauthorizedCallsRefreshTheTokenOnce) {
  std::mutex mu;
  std::condition_variable cv;
  int stale = 0;
  std::atomic<int> token_requests{0};
  stub.server().Get("/api/v2/users/me.json", [&](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Authorization") == "Bearer new-access") {
      res.set_content(kMeBody, "application/json");
      return;
    }
    // Both stale requests are answered together, after both arrived.
    std::unique_lock lk(mu);
    ++stale;
    cv.notify_all();
    cv.wait_for(lk, std::chrono::seconds(5), [&] { return stale >= 2; });
    res.status = 401;
    res.set_content(R"({"error":"invalid_token","error_description":"expired"})", "application/json");
  });
  stub.server().Post("/oauth/tokens", [&](const httplib::Request&, httplib::Response& res) {
    ++token_requests;
    res.status = 201;
    res.set_content(R"({"access_token":"new-access","refresh_token":"r2","expires_in":7200})",
                    "application/json");
  });
  Client client(Options(stub.base(), sleep, Refreshable("old-access")));
  std::atomic<int> ok{0};
  std::thread a([&] { ok += client.Me().ok() ? 1 : 0; });
  std::thread b([&] { ok += client.Me().ok() ? 1 : 0; });
  a.join();
  b.join();
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(stale, 2);
  EXPECT_EQ(token_requests, 1) << "a rotating refresh token is single use";
}

}  // namespace
}  // namespace sk::zendesk
