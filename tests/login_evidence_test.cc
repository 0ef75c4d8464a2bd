// Issue #20 parts 1-2, end to end over HTTP (the real seatkeeper binary
// against an in-process zdsim with its Zendesk behaviours on): the inventory
// is complete after every sync — the connecting admin of an API-token
// connection (whose every request moves updated_at into the export's omitted
// last minute) and staff changed in that minute — and login evidence says what
// it is: "sign-in or API use" for a last_login_at move; on Enterprise a staff
// member's unconfirmed move is API use, never a login day, and staff with only
// API use are probable integration accounts, listed apart from idle seats.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "support/account.h"

namespace sk::testing {
namespace {

nlohmann::json Find(const nlohmann::json& users, int64_t id) {
  for (const auto& u : users)
    if (u["id"] == id) return u;
  return nlohmann::json();
}

// An active plain agent other than the well-known users, the n-th one.
int64_t PlainAgent(Account& acct, int n) {
  for (const auto& u : acct.sim().TruthUsers()) {
    if (u["license"] != "agent" || u["deleted"].get<bool>() || u["suspended"].get<bool>()) continue;
    const int64_t id = u["id"];
    if (id == acct.sim().AdminId() || id == acct.sim().OwnerId() || id == acct.sim().AgentId()) continue;
    if (u["email"].get<std::string>().find("integration") != std::string::npos) continue;
    if (n-- == 0) return id;
  }
  return 0;
}

std::set<int64_t> TruthIntegrations(Account& acct) {
  std::set<int64_t> out;
  for (const auto& u : acct.sim().TruthUsers())
    if (u["probable_integration"].get<bool>()) out.insert(u["id"].get<int64_t>());
  return out;
}

// The generated integration agents (sim/dataset.cc), by email.
std::set<int64_t> IntegrationAgents(Account& acct) {
  std::set<int64_t> out;
  for (const auto& u : acct.sim().TruthUsers())
    if (u["email"] == "jira.integration@acme.test" || u["email"] == "reporting.bot@acme.test")
      out.insert(u["id"].get<int64_t>());
  return out;
}

TEST(InventoryComplete, ApiTokenConnectionKeepsTheConnectingAdminAndStaffChangedInTheLastMinute) {
  zdsim::Options o = SmallAccount(31, "professional");
  ASSERT_TRUE(o.quirks.api_use_touches_user) << "Zendesk's behaviour is the default";
  Account acct(o, "inventory-last-minute");
  ASSERT_EQ(acct.Connect().exit_code, 0);
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE("sync " + std::to_string(round + 1));
    // An agent changed at the instant of the sync: inside the export's omitted
    // last minute (the first time, never stored before).
    const int64_t touched = PlainAgent(acct, round);
    ASSERT_NE(touched, 0);
    const std::string name = "Renamed " + std::to_string(round);
    ASSERT_FALSE(acct.sim().UpdateUser(touched, {{"name", name}}).has_value());
    auto sync = acct.Json({"sync"});
    EXPECT_EQ(sync.value("users_marked_deleted", 0), 0) << sync.dump();
    auto users = acct.Json({"users"});
    auto admin = Find(users, acct.sim().AdminId());
    ASSERT_TRUE(admin.is_object()) << "the connecting admin is missing from users";
    EXPECT_FALSE(admin["deleted"].get<bool>());
    auto t = Find(users, touched);
    ASSERT_TRUE(t.is_object()) << "a user touched in the last minute is missing";
    EXPECT_FALSE(t["deleted"].get<bool>());
    EXPECT_EQ(t["name"], name);
    auto got = ProjectUsers(users), want = ProjectUsers(acct.sim().TruthUsers());
    EXPECT_TRUE(got == want) << FirstDifference(got, want, {"id"});
    acct.Advance(3600, false);
  }
}

TEST(LoginEvidence, EnterpriseIntegrationAgentsHaveNoLoginDayAndAreListedApartFromIdleSeats) {
  Account acct(SmallAccount(32, "enterprise"), "integrations");
  ASSERT_EQ(acct.Connect().exit_code, 0);
  const std::set<int64_t> agents = IntegrationAgents(acct);
  ASSERT_EQ(agents.size(), 2u);
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE("sync " + std::to_string(round + 1));
    acct.Json({"sync"});
    const std::set<int64_t> want = TruthIntegrations(acct);
    EXPECT_EQ(want, agents) << "zdsim's truth: the generated integration agents, nobody else";

    auto users = acct.Json({"users"});
    std::set<int64_t> marked;
    for (const auto& u : users) {
      ASSERT_TRUE(u.contains("probable_integration")) << u.dump();
      if (u["probable_integration"].get<bool>()) marked.insert(u["id"].get<int64_t>());
    }
    EXPECT_EQ(marked, want);
    for (int64_t id : agents) {
      auto u = Find(users, id);
      EXPECT_EQ(u["active_days"], 0) << u.dump();
      EXPECT_GT(u["api_use_days"].get<int>(), 0) << u.dump();
    }

    auto usage = acct.Json({"usage"});
    for (const auto& r : usage)
      EXPECT_EQ(agents.count(r["user_id"].get<int64_t>()), 0u)
          << "an API-only move is not a login day: " << r.dump();
    auto got = ProjectUsage(usage), truth = ProjectUsage(acct.sim().TruthUsage(90, "UTC"));
    EXPECT_TRUE(got == truth) << FirstDifference(got, truth, {"date", "user_id"});
    for (const auto& r : usage) {
      if (!r.contains("login_evidence")) continue;
      const auto& ev = r["login_evidence"];
      const bool audit = std::find(ev.begin(), ev.end(), "audit_log") != ev.end();
      EXPECT_EQ(r.value("login_label", std::string()), audit ? "sign-in" : "sign-in or API use") << r.dump();
    }

    auto seats = acct.Json({"seats"});
    std::set<int64_t> idle, apart;
    for (const auto& u : seats["users"]) idle.insert(u["id"].get<int64_t>());
    for (const auto& u : seats["probable_integrations"]) apart.insert(u["id"].get<int64_t>());
    EXPECT_EQ(apart, want) << "listed apart";
    for (int64_t id : agents) EXPECT_EQ(idle.count(id), 0u) << "an integration is not an idle person: " << id;
    EXPECT_EQ(seats["idle_paid_seats"].get<size_t>(), idle.size());
    EXPECT_EQ(seats["probable_integration_seats"].get<size_t>(), apart.size());
    acct.Advance(86400, true);  // a day of activity: the integrations' tokens are used again
  }
}

TEST(LoginEvidence, WithoutTheAuditLogAMoveIsALoginDayLabelledSignInOrApiUse) {
  Account acct(SmallAccount(33, "professional"), "observed-label");
  ASSERT_EQ(acct.Connect().exit_code, 0);
  acct.Json({"sync"});
  const std::set<int64_t> agents = IntegrationAgents(acct);
  ASSERT_EQ(agents.size(), 2u);
  auto usage = acct.Json({"usage"});
  auto got = ProjectUsage(usage), truth = ProjectUsage(acct.sim().TruthUsage(90, "UTC"));
  EXPECT_TRUE(got == truth) << FirstDifference(got, truth, {"date", "user_id"});
  int login_rows = 0, integration_rows = 0;
  for (const auto& r : usage) {
    const auto& s = r["sources"];
    if (std::find(s.begin(), s.end(), "login") == s.end()) continue;
    ++login_rows;
    integration_rows += agents.count(r["user_id"].get<int64_t>());
    EXPECT_EQ(r["login_evidence"], nlohmann::json::array({"last_login_at"})) << r.dump();
    EXPECT_EQ(r.value("login_label", std::string()), "sign-in or API use") << r.dump();
  }
  EXPECT_GT(login_rows, 0);
  EXPECT_GT(integration_rows, 0)
      << "without the audit log an integration's move is the login evidence there is";
  for (const auto& u : acct.Json({"users"}))
    EXPECT_EQ(u.value("probable_integration", true), false) << u.dump();
  EXPECT_TRUE(TruthIntegrations(acct).empty());
  bool evidence_row = false;
  for (const auto& row : acct.Json({"capabilities"})) {
    const std::string cap = row["capability"];
    if (cap.rfind("login evidence:", 0) != 0) continue;
    evidence_row = true;
    EXPECT_NE(cap.find("sign-in or API use"), std::string::npos) << cap;
  }
  EXPECT_TRUE(evidence_row) << "the capabilities table says which login evidence the account has";
}

}  // namespace
}  // namespace sk::testing
