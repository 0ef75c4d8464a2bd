// quirks.agent_change_moves_tickets: what Zendesk does to an agent's tickets
// when an admin deletes or downgrades them (reference §4.3), over real HTTP.
#include <gtest/gtest.h>

#include <map>

#include "sim_test_util.h"

namespace zdsim {
namespace {

using nlohmann::json;
using testing::AdminClient;
using testing::Body;
using testing::FixedOptions;

class AgentTicketMoves : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    Options o = FixedOptions();
    o.quirks.agent_change_moves_tickets = GetParam();
    sim_ = std::make_unique<Simulator>(o);
    sim_->Start();
    cli_ = AdminClient(*sim_);
  }

  // Non-closed tickets per status of user `id` (zdsim's state).
  std::map<std::string, int> Held(int64_t id) {
    std::map<std::string, int> n;
    for (const auto& t : sim_->TicketsState(id))
      if (t["status"] != "closed" && t["status"] != "deleted") ++n[t["status"].get<std::string>()];
    return n;
  }
  static int Total(const std::map<std::string, int>& m) {
    int n = 0;
    for (const auto& [s, c] : m) n += c;
    return n;
  }

  // A full agent (not a well-known user) holding non-closed tickets, solved
  // ones too when `with_solved`; `skip` picks a later one.
  int64_t AgentWithTickets(bool with_solved, int skip = 0) {
    for (const auto& u : sim_->TruthUsers()) {
      const int64_t id = u["id"];
      if (u["license"] != "agent" || u["deleted"] || u["suspended"]) continue;
      if (id == sim_->AdminId() || id == sim_->OwnerId() || id == sim_->AgentId()) continue;
      auto held = Held(id);
      if (Total(held) == 0 || (with_solved && (held["solved"] == 0 || Total(held) == held["solved"])))
        continue;
      if (skip-- > 0) continue;
      return id;
    }
    return 0;
  }

  int64_t RoleId(const std::string& name) {
    auto r = cli_->Get("/api/v2/custom_roles.json");
    EXPECT_TRUE(r && r->status == 200);
    const json body = Body(r);
    for (const auto& role : body["custom_roles"])
      if (role["name"] == name) return role["id"];
    return 0;
  }

  // The admin's usage rows (truth); API-served logins of others may change.
  json AdminUsage() {
    json rows = json::array();
    for (const auto& r : sim_->TruthUsage(30, "UTC"))
      if (r["user_id"] == sim_->AdminId()) rows.push_back(r);
    return rows;
  }

  // The last audit of ticket `id`, as /tickets/{id}/audits serves it.
  json LastAudit(int64_t id) {
    auto r = cli_->Get(("/api/v2/tickets/" + std::to_string(id) + "/audits.json").c_str());
    EXPECT_TRUE(r && r->status == 200);
    return Body(r)["audits"].back();
  }

  std::unique_ptr<Simulator> sim_;
  std::unique_ptr<httplib::Client> cli_;
};

TEST_P(AgentTicketMoves, DeleteHandsNonClosedTicketsToTheActingAdmin) {
  const int64_t agent = AgentWithTickets(false);
  ASSERT_NE(agent, 0);
  const auto held = Held(agent);
  const json tickets = sim_->TicketsState(agent);
  const json admin_usage = AdminUsage();
  auto r = cli_->Delete(("/api/v2/users/" + std::to_string(agent) + ".json").c_str());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  if (!GetParam()) {
    EXPECT_EQ(Held(agent), held);
    return;
  }
  EXPECT_EQ(Total(Held(agent)), 0);
  int moved = 0;
  for (const auto& t : tickets) {
    if (t["status"] == "closed" || t["status"] == "deleted") continue;
    json now;
    for (const auto& s : sim_->TicketsState())
      if (s["id"] == t["id"]) now = s;
    EXPECT_EQ(now["assignee_id"], sim_->AdminId()) << t;
    EXPECT_EQ(now["status"], t["status"]);
    const json audit = LastAudit(t["id"]);
    EXPECT_EQ(audit["author_id"], sim_->AdminId());
    ASSERT_EQ(audit["events"].size(), 1u) << audit;
    EXPECT_EQ(audit["events"][0]["field_name"], "assignee_id");
    EXPECT_EQ(audit["events"][0]["previous_value"], std::to_string(agent));
    EXPECT_EQ(audit["events"][0]["value"], std::to_string(sim_->AdminId()));
    ++moved;
  }
  EXPECT_EQ(moved, Total(held));
  // Zendesk's moves are nobody's activity, the acting admin's least of all.
  EXPECT_EQ(AdminUsage(), admin_usage);
}

TEST_P(AgentTicketMoves, DowngradeToEndUserHandsTicketsToTheActingAdmin) {
  const int64_t agent = AgentWithTickets(false, 1);
  ASSERT_NE(agent, 0);
  const auto held = Held(agent);
  const int before_admin = Total(Held(sim_->AdminId()));
  auto r = cli_->Put(("/api/v2/users/" + std::to_string(agent) + ".json").c_str(),
                     R"({"user":{"role":"end-user"}})", "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  if (!GetParam()) {
    EXPECT_EQ(Held(agent), held);
    return;
  }
  EXPECT_EQ(Total(Held(agent)), 0);
  EXPECT_EQ(Total(Held(sim_->AdminId())), before_admin + Total(held));
}

TEST_P(AgentTicketMoves, DowngradeToLightAgentUnassignsNonSolvedAndHandsSolvedToTheAdmin) {
  const int64_t agent = AgentWithTickets(true);
  ASSERT_NE(agent, 0);
  const int64_t light = RoleId("Light Agent");
  ASSERT_NE(light, 0);
  const json tickets = sim_->TicketsState(agent);
  const auto held = Held(agent);
  const json admin_usage = AdminUsage();
  auto r =
      cli_->Put(("/api/v2/users/" + std::to_string(agent) + ".json").c_str(),
                json{{"user", {{"role", "agent"}, {"custom_role_id", light}}}}.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  if (!GetParam()) {
    EXPECT_EQ(Held(agent), held);
    return;
  }
  EXPECT_EQ(Total(Held(agent)), 0);
  const json all = sim_->TicketsState();
  for (const auto& t : tickets) {
    if (t["status"] == "closed" || t["status"] == "deleted") continue;
    json now;
    for (const auto& s : all)
      if (s["id"] == t["id"]) now = s;
    if (t["status"] == "solved") {
      EXPECT_EQ(now["assignee_id"], sim_->AdminId()) << t;
    } else {
      EXPECT_TRUE(now["assignee_id"].is_null()) << now;
      EXPECT_EQ(now["status"], t["status"]);
    }
  }
  EXPECT_EQ(AdminUsage(), admin_usage);
}

TEST_P(AgentTicketMoves, SuspendingAndControlApiChangesMoveNothing) {
  const int64_t agent = AgentWithTickets(false);
  ASSERT_NE(agent, 0);
  const auto held = Held(agent);
  auto r = cli_->Put(("/api/v2/users/" + std::to_string(agent) + ".json").c_str(),
                     R"({"user":{"suspended":true}})", "application/json");
  ASSERT_TRUE(r && r->status == 200);
  EXPECT_EQ(Held(agent), held);
  // The control API stands for changes made outside the API: no acting admin.
  ASSERT_FALSE(sim_->UpdateUser(agent, {{"role", "end-user"}}).has_value());
  EXPECT_EQ(Held(agent), held);
}

INSTANTIATE_TEST_SUITE_P(Quirk, AgentTicketMoves, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "On" : "Off"; });

}  // namespace
}  // namespace zdsim
