// The user pass and login evidence (issue #20) in process: RunSync against
// an in-process zdsim with its Zendesk behaviours on, checked in the store
// against zdsim's truth. The inventory is complete after every sync (the
// connecting admin of an API-token connection, whose every request moves its
// updated_at into the export's omitted last minute, and staff changed in that
// minute), and on Enterprise a staff member's unconfirmed last_login_at move is
// API use: never a login day; staff with only API use are probable integrations.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "server.h"
#include "store/store.h"
#include "store/store_testing.h"
#include "store/views.h"
#include "sync/preflight.h"
#include "sync/sync.h"
#include "zendesk/client.h"

namespace sk::sync {
namespace {

using nlohmann::json;

class UserSyncTest : public ::testing::Test {
 protected:
  void Start(const std::string& plan) {
    zdsim::Options o;
    o.seed = 41;
    o.plan = plan;
    o.users = 150;
    o.agents = 20;
    o.tickets_per_day = 5;
    o.articles = 5;
    o.days = 90;
    o.now = 1795186800;  // 2026-11-20T15:00:00Z
    o.rate_window_seconds = 1;
    ASSERT_TRUE(o.quirks.api_use_touches_user) << "Zendesk's behaviour is the default";
    sim_ = std::make_unique<zdsim::Simulator>(o);
    sim_->Start();
    Pin();
    auto st = scratch_.emplace("sk-usersync-" + plan).OpenStore();
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    store_ = std::move(*st);
    zendesk::ClientOptions co;
    co.base_url = sim_->BaseUrl();
    co.credentials.kind = zendesk::Credentials::Kind::kApiToken;
    co.credentials.email = sim_->AdminEmail();
    co.credentials.secret = zdsim::kAdminApiToken;
    client_ = std::make_unique<zendesk::Client>(std::move(co));
    store::Connection c;
    c.url = sim_->BaseUrl();
    c.auth_kind = "api_token";
    c.email = sim_->AdminEmail();
    c.secret = zdsim::kAdminApiToken;
    auto connected = ConnectWithPreflight(*client_, *store_, c);
    ASSERT_TRUE(connected.ok()) << connected.status().ToString();
  }
  // seatkeeper's clock is the simulator's.
  void Pin() { ::setenv("SEATKEEPER_NOW", std::to_string(sim_->Now()).c_str(), 1); }
  void TearDown() override {
    ::unsetenv("SEATKEEPER_NOW");
    client_.reset();
    store_.reset();
    if (sim_) sim_->Stop();
    scratch_.reset();
  }
  void Sync() {
    auto r = RunSync(*client_, *store_, "default", {});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->users_marked_deleted, 0);
  }
  DayNumber Today() const { return Zone::Utc().DayOf(sim_->Now()); }
  std::map<int64_t, store::UserWithUsage> Users() {
    auto users = store_->ListUsers("default", store::UserFilter{}, Today() - 89, Today());
    EXPECT_TRUE(users.ok());
    std::map<int64_t, store::UserWithUsage> out;
    for (auto& u : *users) out[u.user.id] = u;
    return out;
  }
  // usage as {user_id, date, sources}, like zdsim's truth.
  json Usage() {
    auto rows = store_->Usage("default", Today() - 89, Today(), std::nullopt);
    EXPECT_TRUE(rows.ok());
    json out = json::array();
    for (const auto& r : *rows) {
      json j = store::UsageJson(r);
      out.push_back({{"user_id", j["user_id"]}, {"date", j["date"]}, {"sources", j["sources"]}});
    }
    return out;
  }
  std::set<int64_t> TruthIntegrations() {
    std::set<int64_t> out;
    for (const auto& u : sim_->TruthUsers(90, "UTC"))
      if (u["probable_integration"].get<bool>()) out.insert(u["id"].get<int64_t>());
    return out;
  }
  std::set<int64_t> IntegrationAgents() {
    std::set<int64_t> out;
    for (const auto& u : sim_->TruthUsers())
      if (u["email"] == "jira.integration@acme.test" || u["email"] == "reporting.bot@acme.test")
        out.insert(u["id"].get<int64_t>());
    return out;
  }

  std::unique_ptr<zdsim::Simulator> sim_;
  std::optional<store::testing::ScratchHome> scratch_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<zendesk::Client> client_;
};

TEST_F(UserSyncTest, TheConnectingAdminAndStaffChangedInTheLastMinuteAreInTheInventoryAfterEverySync) {
  Start("professional");
  std::vector<int64_t> agents;
  for (const auto& u : sim_->TruthUsers()) {
    const int64_t id = u["id"];
    if (u["license"] == "agent" && !u["deleted"].get<bool>() && !u["suspended"].get<bool>() &&
        id != sim_->AdminId() && id != sim_->OwnerId() && id != sim_->AgentId())
      agents.push_back(id);
  }
  ASSERT_GE(agents.size(), 2u);
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE("sync " + std::to_string(round + 1));
    // Changed at the instant of the sync: inside the export's omitted minute
    // (the first time, never stored before).
    const std::string name = "Renamed " + std::to_string(round);
    ASSERT_FALSE(sim_->UpdateUser(agents[static_cast<size_t>(round)], {{"name", name}}).has_value());
    Sync();
    auto users = Users();
    ASSERT_TRUE(users.count(sim_->AdminId())) << "the connecting admin is missing";
    EXPECT_FALSE(users[sim_->AdminId()].user.deleted);
    ASSERT_TRUE(users.count(agents[static_cast<size_t>(round)]))
        << "a user changed in the last minute is missing";
    EXPECT_EQ(users[agents[static_cast<size_t>(round)]].user.name, name);
    EXPECT_FALSE(users[agents[static_cast<size_t>(round)]].user.deleted);
    const json truth = sim_->TruthUsers();
    EXPECT_EQ(users.size(), truth.size());
    for (const auto& t : truth) {
      auto it = users.find(t["id"].get<int64_t>());
      ASSERT_NE(it, users.end()) << "missing: " << t.dump();
      const store::UserRecord& u = it->second.user;
      EXPECT_EQ(u.name, t["name"].get<std::string>()) << t.dump();
      EXPECT_EQ(u.deleted, t["deleted"].get<bool>()) << t.dump();
      EXPECT_EQ(u.license, t["license"].get<std::string>()) << t.dump();
      EXPECT_EQ(u.last_login_at ? json(FormatIso(*u.last_login_at)) : json(), t["last_login_at"]) << t.dump();
    }
    sim_->Advance(3600, false);
    Pin();
  }
}

TEST_F(UserSyncTest, OnEnterpriseApiUseIsNeverALoginDayAndMarksProbableIntegrations) {
  Start("enterprise");
  Sync();
  const std::set<int64_t> agents = IntegrationAgents();
  ASSERT_EQ(agents.size(), 2u);
  EXPECT_EQ(TruthIntegrations(), agents);
  std::set<int64_t> marked;
  for (const auto& [id, u] : Users()) {
    if (store::ProbableIntegration(u)) marked.insert(id);
    EXPECT_EQ(store::UserJson(u)["probable_integration"], store::ProbableIntegration(u));
  }
  EXPECT_EQ(marked, agents);
  const json usage = Usage();
  for (const auto& r : usage) EXPECT_EQ(agents.count(r["user_id"].get<int64_t>()), 0u) << r.dump();
  EXPECT_EQ(usage, sim_->TruthUsage(90, "UTC"));
}

TEST_F(UserSyncTest, WithoutTheAuditLogAMoveIsALoginDayLabelledSignInOrApiUse) {
  Start("professional");
  Sync();
  const std::set<int64_t> agents = IntegrationAgents();
  EXPECT_EQ(Usage(), sim_->TruthUsage(90, "UTC"));
  auto rows = store_->Usage("default", Today() - 89, Today(), std::nullopt);
  ASSERT_TRUE(rows.ok());
  int integration_logins = 0;
  for (const auto& r : *rows) {
    if (!r.sources.count("login")) continue;
    integration_logins += agents.count(r.user_id) ? 1 : 0;
    EXPECT_EQ(store::UsageJson(r)["login_label"], "sign-in or API use");
  }
  EXPECT_GT(integration_logins, 0) << "without the audit log a move is the login evidence there is";
  EXPECT_TRUE(TruthIntegrations().empty());
  for (const auto& [id, u] : Users()) EXPECT_FALSE(store::ProbableIntegration(u)) << id;
}

}  // namespace
}  // namespace sk::sync
