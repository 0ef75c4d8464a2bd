// End-to-end tests of zdsim over real HTTP against an in-process Simulator.
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <set>
#include <thread>

#include "pagination.h"
#include "rate_limit.h"
#include "sim_test_util.h"
#include "util/time.h"

namespace zdsim {
namespace {

using nlohmann::json;
using testing::AdminClient;
using testing::Body;
using testing::FixedOptions;
using testing::kNow;

TEST(ZdsimDeterminism, SameSeedSameTruth) {
  Simulator a(FixedOptions()), b(FixedOptions());
  EXPECT_EQ(a.TruthUsers(), b.TruthUsers());
  EXPECT_EQ(a.TruthUsage(30, "UTC"), b.TruthUsage(30, "UTC"));
  EXPECT_EQ(a.TruthUsage(30, "Europe/Berlin"), b.TruthUsage(30, "Europe/Berlin"));
  Options other = FixedOptions();
  other.seed = 2;
  Simulator c(other);
  EXPECT_NE(a.TruthUsers(), c.TruthUsers());
}

TEST(ZdsimDataset, HasEveryKindOfUser) {
  Simulator sim(FixedOptions());
  std::set<std::string> licenses;
  bool soft = false, scrubbed = false, suspended = false, null_login = false;
  for (const auto& u : sim.TruthUsers()) {
    licenses.insert(u["license"].get<std::string>());
    soft = soft || (u["deleted"] && u["email"].is_string());
    scrubbed = scrubbed || (u["deleted"] && u["email"].is_null() && u["name"] == "Permanently Deleted User");
    suspended = suspended || u["suspended"].get<bool>();
    null_login = null_login || u["last_login_at"].is_null();
  }
  for (const char* l : {"admin", "agent", "light-agent", "contributor", "billing-admin", "chat-agent", "end-user"})
    EXPECT_TRUE(licenses.count(l)) << l;
  EXPECT_TRUE(soft);
  EXPECT_TRUE(scrubbed);
  EXPECT_TRUE(suspended);
  EXPECT_TRUE(null_login);
}

TEST(ZdsimDataset, LargeAccountGeneratesQuickly) {
  Options o = FixedOptions();
  o.users = 25000;
  o.agents = 1500;
  o.days = 90;
  o.tickets_per_day = 300;
  const auto t0 = std::chrono::steady_clock::now();
  Simulator sim(o);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(secs, 120.0);  // a hang guard only: the speed is the bench's to measure
  EXPECT_EQ(sim.TruthUsers().size(), 25005u);  // + the 2 integration agents and the 3 cast members
}

class ZdsimServer : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_ = std::make_unique<Simulator>(FixedOptions());
    sim_->Start();
    cli_ = AdminClient(*sim_);
  }
  std::unique_ptr<Simulator> sim_;
  std::unique_ptr<httplib::Client> cli_;
};

TEST_F(ZdsimServer, CbpWalkCoversAllActiveUsers) {
  std::set<int64_t> want;
  for (const auto& u : sim_->TruthUsers())
    if (!u["deleted"]) want.insert(u["id"].get<int64_t>());
  std::set<int64_t> got;
  std::string next = "/api/v2/users.json?page%5Bsize%5D=7";
  int pages = 0;
  while (true) {
    auto r = cli_->Get(next.c_str());
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    json j = Body(r);
    for (const auto& u : j["users"]) EXPECT_TRUE(got.insert(u["id"].get<int64_t>()).second);
    ++pages;
    if (!j["meta"]["has_more"]) break;
    next = j["links"]["next"].get<std::string>();
    next = next.substr(next.find("/api/"));
  }
  EXPECT_EQ(got, want);
  EXPECT_GT(pages, 10);
}

TEST_F(ZdsimServer, PaginationErrors) {
  auto r = cli_->Get("/api/v2/users.json?page%5Bsize%5D=101");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Body(r)["error"], "InvalidPaginationParameter");
  EXPECT_EQ(Body(r)["description"], "page[size] cannot be greater than 100");
  r = cli_->Get("/api/v2/users?page%5Bafter%5D=not-a-cursor!!");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  r = cli_->Get("/api/v2/users.json?page=101&per_page=100");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  r = cli_->Get("/api/v2/users.json?page=2&per_page=50");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(Body(r).contains("count"));
}

TEST_F(ZdsimServer, IncrementalRejectsTooRecentStartTime) {
  auto r = cli_->Get(("/api/v2/incremental/users.json?start_time=" + std::to_string(kNow - 30)).c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  EXPECT_EQ(Body(r)["description"].get<std::string>().rfind("Too recent start_time", 0), 0u);
  r = cli_->Get("/api/v2/incremental/users.json?start_time=0");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  json j = Body(r);
  EXPECT_TRUE(j["end_of_stream"].get<bool>());
  // Deleted users included; the caller is not: its API-token requests move its
  // updated_at into the omitted last minute (quirk api_use_touches_user).
  EXPECT_EQ(j["users"].size(), sim_->TruthUsers().size() - 1);
  for (const auto& u : j["users"]) EXPECT_NE(u["id"], sim_->AdminId());
}

TEST_F(ZdsimServer, AnonymousUsersMe) {
  httplib::Client bad(sim_->BaseUrl());
  bad.set_basic_auth("admin@acme.test/token", "wrong");
  auto r = bad.Get("/api/v2/users/me.json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(Body(r)["user"]["id"].is_null());
  r = bad.Get("/api/v2/users.json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(Body(r)["error"], "Couldn't authenticate you");
  httplib::Client bearer(sim_->BaseUrl());
  bearer.set_bearer_token_auth("nope");
  r = bearer.Get("/api/v2/users.json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(Body(r)["error"], "invalid_token");
}

TEST(ZdsimLogin, ConnectingAdminLoginMovesAndIsNotEvidence) {
  // Professional: no audit log, so login evidence comes only from served last_login_at.
  Options o = FixedOptions();
  o.plan = "professional";
  auto sim_ = std::make_unique<Simulator>(o);
  sim_->Start();
  auto cli_ = AdminClient(*sim_);
  auto r = cli_->Get("/api/v2/users/me.json");
  ASSERT_TRUE(r);
  json me = Body(r)["user"];
  EXPECT_EQ(me["email"], "admin@acme.test");
  EXPECT_EQ(me["last_login_at"], sk::FormatIso(kNow));
  for (const auto& row : sim_->TruthUsage(30, "UTC")) {
    if (row["user_id"] == me["id"]) {
      for (const auto& s : row["sources"]) EXPECT_NE(s, "login");
    }
  }
}

TEST_F(ZdsimServer, RateLimitAndHeaders) {
  std::string path = "/api/v2/incremental/users.json?start_time=0&per_page=1";
  for (int i = 0; i < 10; ++i) {
    auto r = cli_->Get(path.c_str());
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << i;
    EXPECT_EQ(r->get_header_value("X-Rate-Limit"), "700");
    // The time-based exports answer with the 2023 spellings (rate_limit_header_variants).
    EXPECT_EQ(r->get_header_value("zendesk-rate-limit-incremental-exports").rfind("total=10; remaining=", 0),
              0u);
    EXPECT_EQ(r->get_header_value("rate-limit"), "700");
  }
  auto r = cli_->Get(path.c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_GE(std::stoi(r->get_header_value("Retry-After")), 1);
  EXPECT_EQ(Body(r)["error"], "APIRateLimitExceeded");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  r = cli_->Get(path.c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

// Which rate-limit header names a response carries (lower case).
std::set<std::string> RateHeaderNames(const httplib::Result& r) {
  std::set<std::string> names;
  for (const auto& [k, v] : r->headers) {
    std::string lower = k;
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (lower.find("rate") != std::string::npos) names.insert(lower);
  }
  return names;
}

TEST(ZdsimRateLimit, HeaderSpellingsVaryByEndpointAsRecorded) {
  using Names = std::set<std::string>;
  const Names modern = {"x-rate-limit", "x-rate-limit-remaining", "ratelimit-limit", "ratelimit-remaining",
                        "ratelimit-reset"};
  const Names era2023 = {"x-rate-limit", "x-rate-limit-remaining", "rate-limit", "rate-limit-remaining",
                         "rate-limit-reset"};
  auto with = [](Names n, const std::string& extra) {
    n.insert(extra);
    return n;
  };
  struct Case {
    const char* path;
    Names variants;  // quirk on
  };
  const std::vector<Case> cases = {
      {"/api/v2/users/me.json", modern},
      {"/api/v2/incremental/users/cursor.json?start_time=0&per_page=1",
       with(modern, "zendesk-ratelimit-incremental-exports-cursor")},
      {"/api/v2/incremental/ticket_events.json?start_time=0",
       with(era2023, "zendesk-rate-limit-incremental-exports")},
      {"/api/v2/deleted_tickets.json", with(era2023, "zendesk-rate-limit-deleted-tickets-index")},
      {"/api/v2/help_center/articles.json", {"x-rate-limit", "x-rate-limit-remaining"}},
      {"/api/v2/audit_logs.json", {"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"}},
  };
  Simulator variants(FixedOptions());
  variants.Start();
  Options plain_options = FixedOptions();
  plain_options.quirks.rate_limit_header_variants = false;
  Simulator plain(plain_options);
  plain.Start();
  for (const auto& c : cases) {
    auto r = AdminClient(variants)->Get(c.path);
    ASSERT_TRUE(r) << c.path;
    ASSERT_EQ(r->status, 200) << c.path;
    EXPECT_EQ(RateHeaderNames(r), c.variants) << c.path;
    // --no-rate-limit-header-variants: the 2024 spellings everywhere.
    r = AdminClient(plain)->Get(c.path);
    ASSERT_TRUE(r) << c.path;
    Names want = modern;
    for (const auto& n : c.variants)
      if (n.rfind("zendesk-rate", 0) == 0) want.insert("zendesk-ratelimit-" + n.substr(n.find("limit-") + 6));
    EXPECT_EQ(RateHeaderNames(r), want) << c.path;
  }

  // --rate-limit-headers: exactly the families asked for, everywhere.
  Options only = FixedOptions();
  only.rate_limit_headers = "zendesk-rate-limit";
  Simulator bucket_only(only);
  bucket_only.Start();
  auto r = AdminClient(bucket_only)->Get("/api/v2/users/me.json");
  ASSERT_TRUE(r);
  EXPECT_EQ(RateHeaderNames(r), Names{});
  r = AdminClient(bucket_only)->Get("/api/v2/incremental/users/cursor.json?start_time=0&per_page=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(RateHeaderNames(r), Names{"zendesk-rate-limit-incremental-exports-cursor"});
  EXPECT_EQ(r->get_header_value("zendesk-rate-limit-incremental-exports-cursor")
                .rfind("total=20; remaining=19; resets=", 0),
            0u);
  EXPECT_EQ(ParseHeaderFamilies("rate-limit,zendesk-rate-limit"), kRateLimit2023 | kBucket2023);
  EXPECT_EQ(ParseHeaderFamilies("none"), 0u);
  EXPECT_FALSE(ParseHeaderFamilies("x-ratelimit").has_value());
}

TEST(ZdsimRateLimit, AccountWideIsPlainText) {
  Options o = FixedOptions();
  o.plan = "team";
  o.rate_window_seconds = 30;
  Simulator sim(o);
  sim.Start();
  auto cli = AdminClient(sim);
  int ok = 0;
  for (int i = 0; i < 200; ++i) {
    auto r = cli->Get("/api/v2/users/me");
    ASSERT_TRUE(r);
    if (r->status == 200) ++ok;
  }
  EXPECT_EQ(ok, 200);
  auto last = cli->Get("/api/v2/users/me");
  ASSERT_TRUE(last);
  EXPECT_EQ(last->status, 429);
  EXPECT_EQ(last->body, "Number of allowed API requests per minute exceeded");
  EXPECT_GE(std::stoi(last->get_header_value("Retry-After")), 1);
  EXPECT_EQ(last->get_header_value("X-Rate-Limit-Remaining"), "0");
}

// Zendesk sends a window's reset in whole seconds of its one-minute window. A
// window compressed by --rate-window-seconds keeps that granularity (a 60th
// of the window), so rounding up costs a bench what it costs a real client:
// in whole seconds of a 3-second window a client would wait 0.5 s too long
// per window on average, a sixth of the window.
TEST(ZdsimRateLimit, ResetsKeepZendesksGranularityInACompressedWindow) {
  // The bucket's resets=S and the account's ratelimit-reset, which must agree in form.
  auto reset_of = [](Simulator& sim) {
    auto r = AdminClient(sim)->Get("/api/v2/incremental/ticket_events.json?start_time=0");
    EXPECT_TRUE(r);
    const std::string h = r ? r->get_header_value("Zendesk-RateLimit-incremental-exports") : "";
    const size_t at = h.find("resets=");
    EXPECT_NE(at, std::string::npos) << h;
    const std::string account = r ? r->get_header_value("ratelimit-reset") : "";
    EXPECT_FALSE(account.empty());
    EXPECT_LE(std::stod(account.empty() ? "0" : account), 60.0) << account;
    return at == std::string::npos ? std::string("0") : h.substr(at + 7);
  };
  Options o = FixedOptions();
  o.rate_limit_headers = "zendesk-ratelimit,ratelimit";
  o.rate_window_seconds = 3;
  Simulator compressed(o);
  compressed.Start();
  EXPECT_EQ(reset_of(compressed), "3");  // the window begins with this request
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  const std::string text = reset_of(compressed);
  const double seconds = std::stod(text);
  EXPECT_LT(seconds, 2.7) << text;  // whole seconds would say 3
  EXPECT_GT(seconds, 0.5) << text;
  const double ticks = seconds / 0.05;  // a 60th of 3 s
  EXPECT_NEAR(ticks, std::round(ticks), 1e-6) << text;

  Options minute = FixedOptions();
  minute.rate_window_seconds = 60;
  minute.rate_limit_headers = "zendesk-ratelimit,ratelimit";
  Simulator real(minute);
  real.Start();
  EXPECT_EQ(reset_of(real), "60");
}
// With limits off nothing is refused and no rate-limit header is sent: a
// client counting its own requests against an announced window of 10 export
// requests would otherwise pace itself to 10 a minute all the same.
TEST(ZdsimRateLimit, LimitsOffSendNoHeaders) {
  Options o = FixedOptions();
  o.rate_limits = false;
  Simulator sim(o);
  sim.Start();
  auto cli = AdminClient(sim);
  for (const char* path : {"/api/v2/incremental/ticket_events.json?start_time=0",
                           "/api/v2/ticket_audits.json", "/api/v2/users/me", "/api/v2/audit_logs.json"}) {
    for (int i = 0; i < 12; ++i) {
      auto r = cli->Get(path);
      ASSERT_TRUE(r);
      ASSERT_EQ(r->status, 200) << path;
      for (const auto& [name, value] : r->headers) {
        std::string lower = name;
        for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        EXPECT_EQ(lower.find("rate"), std::string::npos) << path << ": " << name << ": " << value;
      }
    }
  }
}

TEST_F(ZdsimServer, InjectedFaults) {
  httplib::Client ctl(sim_->BaseUrl());
  auto r = ctl.Post("/_sim/faults", R"({"kind":"status","status":429,"retry_after":3,"count":2,"path":"/api/v2/users"})",
                    "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  r = cli_->Get("/api/v2/custom_roles.json");  // other path: unaffected
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  for (int i = 0; i < 2; ++i) {
    r = cli_->Get("/api/v2/users.json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 429);
    EXPECT_EQ(r->get_header_value("Retry-After"), "3");
  }
  r = cli_->Get("/api/v2/users.json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = ctl.Post("/_sim/faults", R"({"kind":"status","status":503,"body":"text","retry_after":null,"skip":1})",
               "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(cli_->Get("/api/v2/users/me")->status, 200);
  r = cli_->Get("/api/v2/users/me");
  EXPECT_EQ(r->status, 503);
  EXPECT_FALSE(r->has_header("Retry-After"));
  EXPECT_EQ(cli_->Get("/api/v2/users/me")->status, 200);
  // The request log shows all of them.
  json log = sim_->Requests();
  int n429 = 0;
  for (const auto& e : log) n429 += e["status"] == 429 ? 1 : 0;
  EXPECT_EQ(n429, 2);
}

TEST_F(ZdsimServer, TicketEventsExcludeLastMinuteAndSeatkeeperWrites) {
  // Pick an open ticket and reassign it through update_many.
  json state = sim_->TicketsState();
  int64_t ticket = 0;
  for (const auto& t : state)
    if (t["status"] == "open" && !t["archived"]) ticket = t["id"];
  ASSERT_NE(ticket, 0);
  const json before_usage = sim_->TruthUsage(30, "UTC");
  auto r = cli_->Put(("/api/v2/tickets/update_many.json?ids=" + std::to_string(ticket)).c_str(),
                     json{{"ticket", {{"assignee_id", sim_->AgentId()}}}}.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json job = Body(r)["job_status"];
  EXPECT_EQ(job["status"], "queued");
  const std::string job_path = "/api/v2/job_statuses/" + job["id"].get<std::string>() + ".json";
  for (int i = 0; i < 50 && job["status"] != "completed"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    job = Body(cli_->Get(job_path.c_str()))["job_status"];
  }
  ASSERT_EQ(job["status"], "completed");
  EXPECT_EQ(job["results"][0]["success"], true);
  EXPECT_EQ(sim_->TruthUsage(30, "UTC"), before_usage);  // API writes never count

  auto events_since = [&](int64_t start) {
    auto res = cli_->Get(("/api/v2/incremental/ticket_events.json?start_time=" + std::to_string(start)).c_str());
    EXPECT_TRUE(res);
    EXPECT_EQ(res->status, 200) << res->body;
    return Body(res)["ticket_events"];
  };
  for (const auto& e : events_since(kNow - 3 * 86400)) EXPECT_LE(e["timestamp"].get<int64_t>(), kNow - 60);
  sim_->Advance(120, false);
  bool seen = false;
  for (const auto& e : events_since(kNow - 600)) seen = seen || (e["ticket_id"] == ticket && e["timestamp"] == kNow);
  EXPECT_TRUE(seen);
}

// Light agents and contributors cannot hold assigned tickets: a single update
// answers 422, and update_many's job reports the ticket as failed.
TEST_F(ZdsimServer, LightAgentsAndContributorsCannotBeAssignees) {
  std::map<std::string, int64_t> by_license;
  for (const auto& u : sim_->TruthUsers())
    if (!u["deleted"].get<bool>())
      by_license.try_emplace(u["license"].get<std::string>(), u["id"].get<int64_t>());
  ASSERT_TRUE(by_license.count("light-agent") && by_license.count("contributor"));
  std::vector<int64_t> open;
  std::map<int64_t, json> assignees;
  for (const auto& t : sim_->TicketsState())
    if (t["status"] == "open" && !t["archived"]) {
      open.push_back(t["id"]);
      assignees[t["id"].get<int64_t>()] = t["assignee_id"];
    }
  ASSERT_GE(open.size(), 2u);
  auto put = [&](const std::string& path, int64_t assignee) {
    auto r =
        cli_->Put(path.c_str(), json{{"ticket", {{"assignee_id", assignee}}}}.dump(), "application/json");
    EXPECT_TRUE(r);
    return r;
  };
  auto single = put("/api/v2/tickets/" + std::to_string(open[0]) + ".json", by_license["light-agent"]);
  EXPECT_EQ(single->status, 422) << single->body;
  EXPECT_NE(single->body.find("assignee_id"), std::string::npos) << single->body;
  auto many =
      put("/api/v2/tickets/update_many.json?ids=" + std::to_string(open[1]), by_license["contributor"]);
  ASSERT_EQ(many->status, 200) << many->body;
  json job = Body(many)["job_status"];
  const std::string job_path = "/api/v2/job_statuses/" + job["id"].get<std::string>() + ".json";
  for (int i = 0; i < 50 && job["status"] != "completed"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    job = Body(cli_->Get(job_path.c_str()))["job_status"];
  }
  ASSERT_EQ(job["status"], "completed");
  EXPECT_EQ(job["results"][0]["success"], false) << job.dump();
  // Neither ticket moved.
  for (const auto& t : sim_->TicketsState()) {
    if (t["id"] == open[0] || t["id"] == open[1]) {
      EXPECT_EQ(t["assignee_id"], assignees[t["id"].get<int64_t>()]);
    }
  }
}

// A job's data is kept for a day (reference §9.3): a day later its status
// answers 404 and the list leaves it out; its changes were made long before.
TEST_F(ZdsimServer, JobDataIsGoneADayLater) {
  int64_t ticket = 0;
  for (const auto& t : sim_->TicketsState())
    if (t["status"] == "open" && !t["archived"] && t["assignee_id"] != sim_->AgentId()) ticket = t["id"];
  ASSERT_NE(ticket, 0);
  auto r = cli_->Put(("/api/v2/tickets/update_many.json?ids=" + std::to_string(ticket)).c_str(),
                     json{{"ticket", {{"assignee_id", sim_->AgentId()}}}}.dump(), "application/json");
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");
  const std::string id = Body(r)["job_status"]["id"];
  const std::string job_path = "/api/v2/job_statuses/" + id + ".json";
  auto listed = [&] {
    auto l = cli_->Get("/api/v2/job_statuses.json");
    EXPECT_TRUE(l && l->status == 200);
    const json body = Body(l);
    for (const auto& j : body["job_statuses"])
      if (j["id"] == id) return true;
    return false;
  };
  auto shown = cli_->Get(job_path.c_str());
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->status, 200);
  EXPECT_TRUE(listed());
  sim_->Advance(86399, false);
  shown = cli_->Get(job_path.c_str());
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->status, 200) << "kept for a whole day";
  EXPECT_EQ(Body(shown)["job_status"]["status"], "completed");
  sim_->Advance(1, false);
  shown = cli_->Get(job_path.c_str());
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->status, 404) << shown->body;
  EXPECT_FALSE(listed());
  bool moved = false;
  for (const auto& t : sim_->TicketsState())
    moved |= t["id"] == ticket && t["assignee_id"] == sim_->AgentId();
  EXPECT_TRUE(moved);
}

// A JSON body counts only when sent as application/json: without the header
// the update arrives without its fields and changes nothing.
TEST_F(ZdsimServer, BodyWithoutJsonContentTypeIsNotRead) {
  const int64_t agent = sim_->AgentId();
  const std::string path = "/api/v2/users/" + std::to_string(agent) + ".json";
  auto r = cli_->Put(path.c_str(), R"({"user":{"name":"Renamed"}})", "text/plain");
  ASSERT_TRUE(r);
  std::string name;
  for (const auto& u : sim_->TruthUsers())
    if (u["id"] == agent) name = u["name"];
  EXPECT_NE(name, "Renamed") << r->status << " " << r->body;
  r = cli_->Put(path.c_str(), R"({"user":{"name":"Renamed"}})", "application/json; charset=utf-8");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  for (const auto& u : sim_->TruthUsers())
    if (u["id"] == agent) name = u["name"];
  EXPECT_EQ(name, "Renamed");
}

TEST_F(ZdsimServer, WindowEdgesHaveEvents) {
  const sk::Zone utc = sk::Zone::Utc();
  const int64_t start = utc.StartOf(utc.DayOf(kNow) - 30 + 1);
  auto r = cli_->Get(("/api/v2/incremental/ticket_events.json?start_time=" + std::to_string(start - 1)).c_str());
  ASSERT_TRUE(r);
  json ev = Body(r)["ticket_events"];
  ASSERT_GE(ev.size(), 2u);
  EXPECT_EQ(ev[0]["timestamp"], start - 1);
  bool at_start = false;
  for (const auto& e : ev) at_start = at_start || e["timestamp"] == start;
  EXPECT_TRUE(at_start);
}

TEST(ZdsimPlans, AuditLogsAndCustomRolesForbiddenBelowEnterprise) {
  Options o = FixedOptions();
  o.plan = "professional";
  Simulator sim(o);
  sim.Start();
  auto cli = AdminClient(sim);
  auto r = cli->Get("/api/v2/audit_logs.json?page%5Bsize%5D=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(Body(r)["error"], "Forbidden");
  EXPECT_EQ(cli->Get("/api/v2/custom_roles.json")->status, 403);
  EXPECT_EQ(cli->Get("/api/v2/users/me")->get_header_value("X-Rate-Limit"), "400");
  for (const auto& u : sim.TruthUsers()) EXPECT_TRUE(u["custom_role"].is_null());
}

TEST_F(ZdsimServer, AgentsCannotUseAdminEndpoints) {
  httplib::Client agent(sim_->BaseUrl());
  agent.set_basic_auth((sim_->AgentEmail() + "/token").c_str(), kAgentApiToken);
  EXPECT_EQ(agent.Get("/api/v2/users/me")->status, 200);
  EXPECT_EQ(agent.Get("/api/v2/incremental/users?start_time=0")->status, 403);
  EXPECT_EQ(agent.Get("/api/v2/audit_logs")->status, 403);
  EXPECT_EQ(agent.Get("/api/v2/ticket_audits")->status, 403);
  EXPECT_EQ(agent.Get("/api/v2/deleted_users")->status, 403);
}

TEST_F(ZdsimServer, OauthClientCredentialsAndScopes) {
  httplib::Client c(sim_->BaseUrl());
  auto r = c.Post("/oauth/tokens",
                  json{{"grant_type", "client_credentials"}, {"client_id", kOauthClientId},
                       {"client_secret", kOauthClientSecret}, {"scope", "read"}}
                      .dump(),
                  "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  const std::string token = Body(r)["access_token"];
  httplib::Client b(sim_->BaseUrl());
  b.set_bearer_token_auth(token.c_str());
  EXPECT_EQ(b.Get("/api/v2/users/me")->status, 200);
  r = b.Post("/api/v2/users", R"({"user":{"name":"X","email":"x@example.com"}})", "application/json");
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(Body(r)["description"], "You are missing the following required scopes: write");
  r = b.Get("/api/v2/oauth/tokens/current.json");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["token"]["scopes"], json::array({"read"}));
}

TEST_F(ZdsimServer, OauthAuthorizationCodeWithPkceAndRotation) {
  httplib::Client c(sim_->BaseUrl());
  // verifier/challenge pair from RFC 7636 appendix B
  const std::string verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  const std::string challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
  auto page = c.Get(("/oauth/authorizations/new?response_type=code&client_id=seatkeeper&redirect_uri=" +
                     UrlEncode("http://127.0.0.1:1/cb") + "&scope=read%20write&state=xyz&code_challenge=" + challenge +
                     "&code_challenge_method=S256")
                        .c_str());
  ASSERT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("Allow"), std::string::npos);
  httplib::Params form{{"client_id", "seatkeeper"}, {"redirect_uri", "http://127.0.0.1:1/cb"},
                       {"scope", "read write"}, {"state", "xyz"}, {"code_challenge", challenge},
                       {"code_challenge_method", "S256"}, {"decision", "approve"}};
  auto r = c.Post("/oauth/authorizations", form);
  ASSERT_EQ(r->status, 302);
  const std::string loc = r->get_header_value("Location");
  ASSERT_EQ(loc.rfind("http://127.0.0.1:1/cb?code=", 0), 0u) << loc;
  EXPECT_NE(loc.find("&state=xyz"), std::string::npos);
  const std::string code = loc.substr(loc.find("code=") + 5, loc.find('&') - loc.find("code=") - 5);
  json req = {{"grant_type", "authorization_code"}, {"code", code}, {"client_id", "seatkeeper"},
              {"client_secret", kOauthClientSecret}, {"redirect_uri", "http://127.0.0.1:1/cb"},
              {"code_verifier", "wrong"}};
  EXPECT_EQ(c.Post("/oauth/tokens", req.dump(), "application/json")->status, 400);
  req["code_verifier"] = verifier;
  r = c.Post("/oauth/tokens", req.dump(), "application/json");
  ASSERT_EQ(r->status, 201) << r->body;
  const std::string refresh = Body(r)["refresh_token"];
  json ref = {{"grant_type", "refresh_token"}, {"refresh_token", refresh}, {"client_id", "seatkeeper"},
              {"client_secret", kOauthClientSecret}};
  r = c.Post("/oauth/tokens", ref.dump(), "application/json");
  ASSERT_EQ(r->status, 201);
  EXPECT_NE(Body(r)["refresh_token"], refresh);
  r = c.Post("/oauth/tokens", ref.dump(), "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Body(r)["error"], "invalid_grant");
}

TEST_F(ZdsimServer, UserLifecycle) {
  auto r = cli_->Post("/api/v2/users.json",
                      R"({"user":{"name":"Roger Wilco","email":"roger@example.org","role":"agent"}})",
                      "application/json");
  ASSERT_EQ(r->status, 201) << r->body;
  const int64_t id = Body(r)["user"]["id"];
  r = cli_->Post("/api/v2/users.json", R"({"user":{"name":"Dup","email":"roger@example.org"}})", "application/json");
  EXPECT_EQ(r->status, 422);
  EXPECT_EQ(Body(r)["details"]["email"][0]["error"], "DuplicateValue");
  const std::string p = "/api/v2/users/" + std::to_string(id) + ".json";
  EXPECT_EQ(cli_->Delete(("/api/v2/deleted_users/" + std::to_string(id)).c_str())->status, 404);
  r = cli_->Put(p.c_str(), R"({"user":{"role":"end-user"}})", "application/json");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["user"]["role"], "end-user");
  r = cli_->Delete(p.c_str());
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["user"]["active"], false);
  r = cli_->Delete(("/api/v2/deleted_users/" + std::to_string(id)).c_str());
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["deleted_user"]["name"], "Permanently Deleted User");
  EXPECT_EQ(cli_->Delete(("/api/v2/users/" + std::to_string(sim_->OwnerId())).c_str())->status, 403);
  EXPECT_EQ(cli_->Delete(("/api/v2/users/" + std::to_string(sim_->AdminId())).c_str())->status, 403);
  r = cli_->Put(("/api/v2/users/" + std::to_string(sim_->OwnerId())).c_str(), R"({"user":{"role":"agent"}})",
                "application/json");
  EXPECT_EQ(r->status, 422);
}

TEST_F(ZdsimServer, ServedLastLoginIsEvidenceOnEveryPlan) {
  // An end user's last_login_at counts once served.
  json truth = sim_->TruthUsers();
  int64_t uid = 0;
  std::string login;
  for (const auto& u : truth) {
    if (u["license"] == "end-user" && !u["deleted"] && u["last_login_at"].is_string() &&
        *sk::ParseIso(u["last_login_at"].get<std::string>()) > kNow - 20 * 86400) {
      uid = u["id"];
      login = u["last_login_at"];
      break;
    }
  }
  ASSERT_NE(uid, 0);
  const std::string day = login.substr(0, 10);
  auto has_login = [&] {
    for (const auto& row : sim_->TruthUsage(30, "UTC"))
      if (row["user_id"] == uid && row["date"] == day)
        for (const auto& s : row["sources"])
          if (s == "login") return true;
    return false;
  };
  EXPECT_FALSE(has_login());
  ASSERT_EQ(cli_->Get(("/api/v2/users/" + std::to_string(uid)).c_str())->status, 200);
  EXPECT_TRUE(has_login());
}

// Quirk api_use_touches_user (reference §2.1, added 2026-12): a request
// with an API token moves the caller's last_login_at and updated_at; with
// --no-api-use-touches-user neither moves.
TEST(ZdsimQuirks, ApiTokenRequestsMoveLastLoginAndUpdatedAtUnlessTurnedOff) {
  for (bool on : {true, false}) {
    Options o = FixedOptions();
    o.quirks.api_use_touches_user = on;
    Simulator sim(o);
    sim.Start();
    auto cli = AdminClient(sim);
    sim.Advance(3600, false);
    auto me = cli->Get("/api/v2/users/me.json");
    ASSERT_TRUE(me && me->status == 200);
    const json u = Body(me)["user"];
    const std::string now = sk::FormatIso(sim.Now());
    if (on) {
      EXPECT_EQ(u["last_login_at"], now);
      EXPECT_EQ(u["updated_at"], now);
      // So the connecting admin is inside the export's omitted last minute.
      auto exp = cli->Get("/api/v2/incremental/users/cursor.json?start_time=0");
      ASSERT_TRUE(exp && exp->status == 200);
      const json users = Body(exp)["users"];  // a named copy: the loop must not outlive a temporary
      for (const auto& x : users) EXPECT_NE(x["id"], sim.AdminId());
    } else {
      EXPECT_NE(u["last_login_at"], now);
      EXPECT_NE(u["updated_at"], now);
    }
    sim.Stop();
  }
}

// Integration agents: staff whose last_login_at moves with API use on most
// days without a sign-in; on Enterprise the truth calls them probable
// integrations and gives them no login day.
TEST(ZdsimDataset, IntegrationAgentsAreApiUseOnly) {
  Options o = FixedOptions();
  o.plan = "enterprise";
  Simulator sim(o);
  sim.Start();
  auto cli = AdminClient(sim);
  std::set<int64_t> integrations;
  std::string next = "/api/v2/users.json?role%5B%5D=agent&role%5B%5D=admin&page%5Bsize%5D=100";
  while (!next.empty()) {
    auto r = cli->Get(next.c_str());
    ASSERT_TRUE(r && r->status == 200);
    const json j = Body(r);
    for (const auto& u : j["users"])
      if (u["email"] == "jira.integration@acme.test" || u["email"] == "reporting.bot@acme.test")
        integrations.insert(u["id"].get<int64_t>());
    next = j["meta"]["has_more"].get<bool>()
               ? j["links"]["next"].get<std::string>().substr(sim.BaseUrl().size())
               : "";
  }
  ASSERT_EQ(integrations.size(), 2u);  // served by the staff list above
  for (const auto& u : sim.TruthUsers(30, "UTC"))
    EXPECT_EQ(u["probable_integration"].get<bool>(), integrations.count(u["id"].get<int64_t>()) > 0)
        << u.dump();
  for (const auto& r : sim.TruthUsage(30, "UTC"))
    EXPECT_EQ(integrations.count(r["user_id"].get<int64_t>()), 0u) << r.dump();
  sim.Stop();
}

}  // namespace
}  // namespace zdsim
