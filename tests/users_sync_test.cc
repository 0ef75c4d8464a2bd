// Issue 2, end to end over HTTP: connect, users sync against zdsim's truth,
// incremental changes, faults, URL validation and preflight refusals.
#include <gtest/gtest.h>
#include <httplib.h>

#include <map>

#include "support/account.h"

namespace sk::testing {
namespace {

TEST(UsersSync, FullSyncOf25000UsersMatchesTruthAndSecondSyncChangesNothing) {
  zdsim::Options o = SmallAccount(7, "enterprise");
  o.users = 25000;
  o.agents = 400;
  o.tickets_per_day = 5;
  o.rate_limits = false;
  Account acct(o, "users25k");
  auto c = acct.Connect();
  ASSERT_EQ(c.exit_code, 0) << c.err;
  auto sync = acct.Json({"sync"});
  EXPECT_GE(sync["users"].get<int>(), 25000);
  auto users = acct.Json({"users"});
  ASSERT_EQ(users.size(), acct.sim().TruthUsers().size());
  auto got = ProjectUsers(users), want = ProjectUsers(acct.sim().TruthUsers());
  EXPECT_TRUE(got == want) << FirstDifference(got, want, {"id"});
  // Shape of spec §6.
  for (const char* k : {"id", "name", "email", "role", "license", "seat", "custom_role", "suspended", "deleted",
                        "last_login_at", "active_days", "last_active_date"})
    EXPECT_TRUE(users[0].contains(k)) << k;

  auto again = acct.Json({"sync"});
  auto users2 = acct.Json({"users"});
  // Only the connecting admin's last_login_at may move (API calls bump it).
  auto strip = [&](nlohmann::json u) {
    for (auto& x : u)
      if (x["id"] == acct.sim().AdminId()) x["last_login_at"] = nullptr;
    return u;
  };
  EXPECT_TRUE(strip(users2) == strip(users)) << "a second sync must change nothing";
}

TEST(UsersSync, IncrementalSyncReflectsRoleChangesSuspensionsAndDeletions) {
  Account acct(SmallAccount(3), "users-incr");
  ASSERT_EQ(acct.Connect().exit_code, 0);
  acct.Json({"sync"});
  auto truth = acct.sim().TruthUsers();
  // Pick three plain agents and an end user.
  std::vector<int64_t> agents;
  int64_t end_user = 0;
  for (const auto& u : truth) {
    if (u["deleted"].get<bool>()) continue;
    int64_t id = u["id"];
    if (id == acct.sim().AdminId() || id == acct.sim().OwnerId() || id == acct.sim().AgentId()) continue;
    if (u["license"] == "agent" && !u["suspended"].get<bool>() && agents.size() < 3) agents.push_back(id);
    if (u["license"] == "end-user" && !end_user) end_user = id;
  }
  ASSERT_EQ(agents.size(), 3u);
  ASSERT_NE(end_user, 0);
  ASSERT_FALSE(acct.sim().UpdateUser(agents[0], {{"role", "end-user"}}).has_value());
  ASSERT_FALSE(acct.sim().UpdateUser(agents[1], {{"suspended", true}}).has_value());
  ASSERT_TRUE(acct.sim().SoftDeleteUser(agents[2]));
  ASSERT_TRUE(acct.sim().SoftDeleteUser(end_user));
  ASSERT_TRUE(acct.sim().PermanentlyDeleteUser(end_user));
  acct.Advance(3600, false);
  acct.Json({"sync"});
  auto got = ProjectUsers(acct.Json({"users"})), want = ProjectUsers(acct.sim().TruthUsers());
  EXPECT_TRUE(got == want) << FirstDifference(got, want, {"id"});
  auto find = [&](int64_t id) {
    for (const auto& u : got)
      if (u["id"] == id) return u;
    return nlohmann::json();
  };
  EXPECT_EQ(find(agents[0])["license"], "end-user");
  EXPECT_EQ(find(agents[0])["seat"], false);
  EXPECT_EQ(find(agents[1])["suspended"], true);
  EXPECT_EQ(find(agents[1])["seat"], true) << "a suspended agent still holds a seat";
  EXPECT_EQ(find(agents[2])["deleted"], true);
  EXPECT_EQ(find(end_user)["deleted"], true);
  EXPECT_EQ(find(end_user)["name"], "Permanently Deleted User");
}

TEST(UsersSync, A429StormAnd5xxDuringSyncGiveTheSameResult) {
  zdsim::Options o = SmallAccount(11);
  o.users = 3000;
  Account clean(o, "clean");
  ASSERT_EQ(clean.Connect().exit_code, 0);
  clean.Json({"sync"});
  auto want = ProjectUsers(clean.Json({"users"}));

  Account faulty(o, "faulty");
  ASSERT_EQ(faulty.Connect().exit_code, 0);
  zdsim::Fault storm;
  storm.kind = "status";
  storm.status = 429;
  storm.body = "text";
  storm.retry_after = 1;
  storm.count = 4;
  storm.path = "/api/v2/incremental/users";
  faulty.sim().AddFault(storm);
  zdsim::Fault no_header = storm;
  no_header.body = "json";
  no_header.retry_after = std::nullopt;
  no_header.count = 1;
  no_header.skip = 1;
  faulty.sim().AddFault(no_header);
  for (int status : {500, 502, 503, 504}) {
    zdsim::Fault f;
    f.status = status;
    f.count = 1;
    f.skip = 1;
    faulty.sim().AddFault(f);
  }
  auto sync = faulty.Json({"sync"});
  EXPECT_GE(sync["rate_limited"].get<int>(), 4);
  auto got = ProjectUsers(faulty.Json({"users"}));
  // The connecting admin's last_login_at moves with API calls; compare the rest.
  auto strip = [&](nlohmann::json u, int64_t admin) {
    for (auto& x : u)
      if (x["id"] == admin) x["last_login_at"] = nullptr;
    return u;
  };
  EXPECT_TRUE(strip(got, faulty.sim().AdminId()) == strip(want, clean.sim().AdminId())) << FirstDifference(got, want, {"id"});
}

TEST(Connect, UrlValidationRefusesBeforeAnyRequest) {
  Account acct(SmallAccount(1), "urls");
  std::string token = acct.cli().WriteFile("t", "zdsim-admin-api-token");
  for (const std::string& url :
       {std::string("http://acme.zendesk.com"), std::string("https://acme.zendesk.com.evil.net"),
        std::string("https://user@acme.zendesk.com"), std::string("https://169.254.169.254"),
        std::string("https://acme.zendesk.com/api/v2"), std::string("ftp://acme.zendesk.com"), acct.sim().BaseUrl()}) {
    auto r = acct.cli().Run({"connect", "--url", url, "--email", "admin@acme.test", "--token-file", token});
    EXPECT_EQ(r.exit_code, 2) << url << ": " << r.err;
    EXPECT_NE(r.err.find("zendesk.com"), std::string::npos) << "the message says what is accepted: " << r.err;
  }
  EXPECT_TRUE(acct.sim().Requests().empty()) << acct.sim().Requests().dump();
  // A typo in a flag is a usage error too.
  EXPECT_EQ(acct.cli().Run({"connect", "--urll", "x"}).exit_code, 2);
  EXPECT_EQ(acct.cli().Run({"users", "--role", "boss"}).exit_code, 2);
}

TEST(Connect, BadCredentialsNonAdminAndIpRestrictionEachSayWhatIsWrong) {
  Account acct(SmallAccount(1, "professional"), "preflight");
  std::string bad = acct.cli().WriteFile("bad", "not-a-token");
  auto r = acct.cli().Run({"connect", "--url", acct.sim().BaseUrl(), "--allow-local", "--email", "admin@acme.test",
                           "--token-file", bad});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("credentials"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("not-a-token"), std::string::npos) << "the secret is never printed";

  std::string agent = acct.cli().WriteFile("agent", "zdsim-agent-api-token");
  r = acct.cli().Run({"connect", "--url", acct.sim().BaseUrl(), "--allow-local", "--email", acct.sim().AgentEmail(),
                      "--token-file", agent});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("not an admin"), std::string::npos) << r.err;

  zdsim::Fault ip;
  ip.kind = "ip_restricted";
  ip.status = 403;
  ip.count = 100;
  acct.sim().AddFault(ip);
  r = acct.Connect();
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("IP restriction"), std::string::npos) << r.err;
  acct.sim().ClearFaults();

  r = acct.Connect();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto status = acct.Json({"status"});
  EXPECT_EQ(status["state"], "connected");
  EXPECT_EQ(status["plan"], "professional");
  EXPECT_EQ(status.dump().find("zdsim-admin-api-token"), std::string::npos);
  auto caps = acct.Json({"capabilities"});
  bool audit_row = false;
  for (const auto& row : caps)
    if (row["capability"].get<std::string>().find("audit log") != std::string::npos) {
      audit_row = true;
      EXPECT_FALSE(row["available"].get<bool>());
      EXPECT_NE(row["reason"].get<std::string>().find("Enterprise"), std::string::npos);
    }
  EXPECT_TRUE(audit_row);
}

TEST(Connect, LegacyApiTokenWarnsAndOAuthDoesNot) {
  Account acct(SmallAccount(2), "warn");
  auto r = acct.Connect();
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.err.find("2027-04-30"), std::string::npos) << r.err;
  r = acct.ConnectOAuth("zdsim-admin-oauth-token", {"--permission", "read-write"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
  EXPECT_EQ(acct.Json({"status"})["permission"], "read-write");
}

}  // namespace
}  // namespace sk::testing

namespace sk::testing {
namespace {

TEST(UsersSync, AUserChangedInTheLastMinuteIsNotMistakenForADeletedOne) {
  // Zendesk's incremental export leaves out records changed in the last
  // minute; a sync right after a role change must ask for that user instead
  // of marking them deleted.
  Account acct(SmallAccount(21), "recent-change");
  ASSERT_EQ(acct.Connect().exit_code, 0);
  acct.Json({"sync"});
  int64_t agent = 0;
  for (const auto& u : acct.sim().TruthUsers())
    if (u["license"] == "agent" && !u["deleted"].get<bool>() && u["id"] != acct.sim().AdminId() &&
        u["id"] != acct.sim().OwnerId() && u["id"] != acct.sim().AgentId()) {
      agent = u["id"];
      break;
    }
  ASSERT_NE(agent, 0);
  ASSERT_FALSE(acct.sim().UpdateUser(agent, {{"role", "end-user"}}).has_value());
  acct.Json({"sync"});  // same instant: the export does not show the change yet
  auto got = ProjectUsers(acct.Json({"users"})), want = ProjectUsers(acct.sim().TruthUsers());
  EXPECT_TRUE(got == want) << FirstDifference(got, want, {"id"});
  for (const auto& u : got)
    if (u["id"] == agent) {
      EXPECT_FALSE(u["deleted"].get<bool>());
      EXPECT_EQ(u["license"], "end-user");
    }
}

}  // namespace
}  // namespace sk::testing

namespace sk::testing {
namespace {

int CountPaths(const nlohmann::json& requests, const std::string& prefix) {
  int n = 0;
  for (const auto& r : requests)
    if (r["path"].get<std::string>().rfind(prefix, 0) == 0) ++n;
  return n;
}

// Issue #19 item 3: the daily users pass reads the staff list and the user
// export continued from where the last pass stopped, not every user again.
// Role changes, suspensions, deletions (also in the export's omitted last
// minute) and new users are in the store the same day; an end user's
// last_login_at (a Help Center sign-in moves it without updated_at) comes with
// the weekly full pass, which runs after the day's usage sources.
TEST(UsersSync, DailyPassReadsStaffAndChangesOnlyAndEqualsTruth) {
  zdsim::Options o = SmallAccount(17, "enterprise");
  o.users = 30000;
  o.agents = 300;
  o.tickets_per_day = 5;
  o.rate_limits = false;
  Account acct(o, "users-daily");
  ASSERT_EQ(acct.Connect().exit_code, 0);
  acct.sim().ClearRequests();
  acct.Json({"sync"});
  const auto first = acct.sim().Requests();
  ASSERT_GE(CountPaths(first, "/api/v2/incremental/users"), 30);

  std::vector<int64_t> agents, end_users;
  for (const auto& u : acct.sim().TruthUsers()) {
    if (u["deleted"].get<bool>() || u["suspended"].get<bool>()) continue;
    const int64_t id = u["id"];
    if (id == acct.sim().AdminId() || id == acct.sim().OwnerId() || id == acct.sim().AgentId()) continue;
    if (u["license"] == "agent" && agents.size() < 5) agents.push_back(id);
    if (u["license"] == "end-user" && end_users.size() < 2) end_users.push_back(id);
  }
  ASSERT_EQ(agents.size(), 5u);
  ASSERT_EQ(end_users.size(), 2u);
  ASSERT_FALSE(acct.sim().UpdateUser(agents[0], {{"role", "end-user"}}).has_value());
  ASSERT_FALSE(acct.sim().UpdateUser(agents[1], {{"suspended", true}}).has_value());
  ASSERT_TRUE(acct.sim().SoftDeleteUser(agents[2]));
  ASSERT_FALSE(acct.sim().UpdateUser(end_users[0], {{"role", "agent"}}).has_value());
  ASSERT_TRUE(acct.sim().SoftDeleteUser(end_users[1]));
  ASSERT_TRUE(acct.sim().PermanentlyDeleteUser(end_users[1]));
  httplib::Client http(acct.sim().BaseUrl());
  http.set_basic_auth(acct.sim().AdminEmail() + "/token", zdsim::kAdminApiToken);
  std::vector<int64_t> created;
  for (const auto& [name, role] : std::vector<std::pair<std::string, std::string>>{
           {"New Agent", "agent"}, {"New Customer", "end-user"}, {"New Admin", "admin"}}) {
    nlohmann::json body = {
        {"user", {{"name", name}, {"email", name.substr(4) + "@new.test"}, {"role", role}}}};
    auto r = http.Post("/api/v2/users", body.dump(), "application/json");
    ASSERT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
    created.push_back(nlohmann::json::parse(r->body)["user"]["id"].get<int64_t>());
  }
  acct.Advance(86400, true);
  // In the export's omitted last minute: gone from the staff list, not yet in the export.
  ASSERT_FALSE(acct.sim().UpdateUser(agents[3], {{"role", "end-user"}}).has_value());
  ASSERT_TRUE(acct.sim().SoftDeleteUser(agents[4]));

  acct.sim().ClearRequests();
  acct.Json({"sync"});
  const auto second = acct.sim().Requests();
  EXPECT_LE(CountPaths(second, "/api/v2/incremental/users"), 2);
  EXPECT_LT(second.size() * 4, first.size()) << second.size() << " requests against " << first.size();

  // Equal to the truth, but for end users' last_login_at (the weekly full pass's).
  auto strip = [](nlohmann::json users) {
    for (auto& u : users)
      if (u["role"] == "end-user") u["last_login_at"] = nullptr;
    return users;
  };
  auto got = ProjectUsers(acct.Json({"users"})), want = ProjectUsers(acct.sim().TruthUsers());
  EXPECT_TRUE(strip(got) == strip(want)) << FirstDifference(strip(got), strip(want), {"id"});
  std::map<int64_t, nlohmann::json> by_id;
  for (const auto& u : got) by_id[u["id"].get<int64_t>()] = u;
  EXPECT_EQ(by_id[agents[0]]["license"], "end-user");
  EXPECT_EQ(by_id[agents[1]]["suspended"], true);
  EXPECT_EQ(by_id[agents[1]]["seat"], true);
  EXPECT_EQ(by_id[agents[2]]["deleted"], true);
  EXPECT_EQ(by_id[agents[3]]["license"], "end-user");
  EXPECT_EQ(by_id[agents[3]]["deleted"], false);
  EXPECT_EQ(by_id[agents[4]]["deleted"], true);
  EXPECT_EQ(by_id[end_users[0]]["seat"], true);
  EXPECT_EQ(by_id[end_users[1]]["name"], "Permanently Deleted User");
  for (int64_t id : created) EXPECT_TRUE(by_id.count(id)) << id;
  // Usage too, but for users whose role changed: zdsim's truth judges their
  // past last_login_at by today's role (on Enterprise a staff member's is API
  // use, an end user's a sign-in); the store kept what it was when read.
  auto without_promoted = [&](const nlohmann::json& rows) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : rows)
      if (r["user_id"] != end_users[0] && r["user_id"] != agents[0] && r["user_id"] != agents[3])
        out.push_back(r);
    return out;
  };
  auto usage = without_promoted(ProjectUsage(acct.Json({"usage"})));
  auto usage_truth = without_promoted(ProjectUsage(acct.sim().TruthUsage(90, "UTC")));
  EXPECT_TRUE(usage == usage_truth) << FirstDifference(usage, usage_truth, {"date", "user_id"});

  // A week on: the full pass runs, after every usage request of that sync.
  acct.Advance(7 * 86400, true);
  acct.sim().ClearRequests();
  acct.Json({"sync"});
  const auto week = acct.sim().Requests();
  int last_usage = -1, first_full = -1;
  for (int i = 0; i < static_cast<int>(week.size()); ++i) {
    const std::string path = week[i]["path"];
    if (path.rfind("/api/v2/incremental/ticket_events", 0) == 0 || path.rfind("/api/v2/audit_logs", 0) == 0)
      last_usage = i;
    if (first_full < 0 && path.rfind("/api/v2/incremental/users/cursor", 0) == 0 &&
        path.find("start_time=0") != std::string::npos)
      first_full = i;
  }
  ASSERT_GE(first_full, 0) << "no full pass after a week";
  EXPECT_GT(first_full, last_usage) << "the full pass came before the day's usage";
  EXPECT_GE(CountPaths(week, "/api/v2/incremental/users"), 30);
  got = ProjectUsers(acct.Json({"users"}));
  want = ProjectUsers(acct.sim().TruthUsers());
  EXPECT_TRUE(got == want) << FirstDifference(got, want, {"id"});
}

}  // namespace
}  // namespace sk::testing
