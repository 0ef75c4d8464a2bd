// Issue #20 part 3 end to end (the real CLI against zdsim, whose
// agent_change_moves_tickets quirk is on as Zendesk has it): deleting or
// downgrading an agent who holds non-closed tickets needs --reassign-to or
// --let-zendesk-reassign; the dry run says what Zendesk does with them; the
// tickets Zendesk hands to the connecting admin never make that admin active.
#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <string>

#include "credentials.h"
#include "support/account.h"

namespace sk::testing {
namespace {

using nlohmann::json;

zdsim::Options Small(uint64_t seed) {
  zdsim::Options o = SmallAccount(seed);
  o.users = 120;
  o.agents = 20;
  o.days = 30;
  o.tickets_per_day = 15;
  o.articles = 3;
  return o;
}

// Ticket id -> status of the non-closed tickets assigned to `id` (zdsim's state).
std::map<int64_t, std::string> Held(zdsim::Simulator& sim, int64_t id) {
  std::map<int64_t, std::string> out;
  for (const auto& t : sim.TicketsState(id)) {
    const std::string s = t["status"];
    if (s != "closed" && s != "deleted") out[t["id"].get<int64_t>()] = s;
  }
  return out;
}

json TicketState(zdsim::Simulator& sim, int64_t ticket) {
  for (const auto& t : sim.TicketsState())
    if (t["id"] == ticket) return t;
  return nullptr;
}

// A full agent (not a well-known user) holding a non-solved, non-closed ticket.
int64_t AgentWithTickets(zdsim::Simulator& sim, int skip = 0) {
  for (const auto& u : sim.TruthUsers()) {
    const int64_t id = u["id"];
    if (u["license"] != "agent" || u["deleted"] || u["suspended"]) continue;
    if (id == sim.AdminId() || id == sim.OwnerId() || id == sim.AgentId()) continue;
    bool non_solved = false;
    for (const auto& [t, s] : Held(sim, id)) non_solved = non_solved || s != "solved";
    if (!non_solved || skip-- > 0) continue;
    return id;
  }
  return 0;
}

std::vector<json> Mutations(zdsim::Simulator& sim) {
  std::vector<json> out;
  for (const auto& r : sim.Requests())
    if (r["method"] != "GET" && r["method"] != "HEAD") out.push_back(r);
  return out;
}

json TruthRowsOf(zdsim::Simulator& sim, int64_t user) {
  json out = json::array();
  for (const auto& r : sim.TruthUsage(90, "UTC"))
    if (r["user_id"] == user) out.push_back(r);
  return out;
}

TEST(AgentTicketMoves, DeleteNeedsAChoiceAndZendeskHandingTicketsToTheAdminNeverMakesThemActive) {
  Account acct(Small(31), "moves-delete");
  ASSERT_EQ(acct.Connect({"--permission", "read-write"}).exit_code, 0);
  zdsim::Simulator& sim = acct.sim();
  // A quiet new day: the only ticket updates on it are Zendesk's moves.
  acct.Advance(86400, false);
  const int64_t agent = AgentWithTickets(sim);
  ASSERT_NE(agent, 0);
  const std::string id = std::to_string(agent);
  const auto held = Held(sim, agent);

  // Without a choice: refused (exit 3) naming both options; nothing sent.
  sim.ClearRequests();
  CliResult refused = acct.cli().Run({"user", "delete", id});
  EXPECT_EQ(refused.exit_code, 3) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("--reassign-to"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("--let-zendesk-reassign"), std::string::npos) << refused.err;
  EXPECT_TRUE(Mutations(sim).empty()) << json(Mutations(sim)).dump();
  EXPECT_EQ(Held(sim, agent), held);

  // The dry run names the tickets and what Zendesk does with them.
  CliResult dry = acct.cli().Run({"user", "delete", id, "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find(std::to_string(held.size()) + " non-closed ticket"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("hands them all to the acting admin"), std::string::npos) << dry.out;

  // --let-zendesk-reassign: Zendesk hands every one to the connecting admin.
  json done = acct.Json({"user", "delete", id, "--let-zendesk-reassign"});
  EXPECT_EQ(done["result"], "ok") << done.dump(2);
  for (const auto& [ticket, status] : held) {
    const json now = TicketState(sim, ticket);
    EXPECT_EQ(now["assignee_id"], sim.AdminId()) << now;
    EXPECT_EQ(now["status"], status);
  }

  // A following sync sees those moves (authored by the admin) and does not
  // count them as the admin's activity: the admin's usage equals the truth.
  acct.Advance(120, false);
  acct.Json({"sync"});
  json got = ProjectUsage(acct.Json({"usage", "--user", std::to_string(sim.AdminId())}));
  json want = TruthRowsOf(sim, sim.AdminId());
  EXPECT_EQ(got, want) << FirstDifference(got, want, {"user_id", "date"});
}

TEST(AgentTicketMoves, DeleteWithReassignToMovesTicketsFirstAndHandsNothingToTheAdmin) {
  Account acct(Small(32), "moves-reassign");
  ASSERT_EQ(acct.Connect({"--permission", "read-write"}).exit_code, 0);
  zdsim::Simulator& sim = acct.sim();
  const int64_t agent = AgentWithTickets(sim);
  ASSERT_NE(agent, 0);
  const auto held = Held(sim, agent);
  const auto admin_before = Held(sim, sim.AdminId());
  json done =
      acct.Json({"user", "delete", std::to_string(agent), "--reassign-to", std::to_string(sim.AgentId())});
  EXPECT_EQ(done["result"], "ok") << done.dump(2);
  for (const auto& [ticket, status] : held) EXPECT_EQ(TicketState(sim, ticket)["assignee_id"], sim.AgentId());
  EXPECT_EQ(Held(sim, sim.AdminId()), admin_before);
  EXPECT_TRUE(Held(sim, agent).empty());
}

TEST(AgentTicketMoves, DowngradeToLightAgentDryRunSaysUnassignedAndIsRefusedWithoutAChoice) {
  Account acct(Small(33), "moves-light");
  ASSERT_EQ(acct.Connect({"--permission", "read-write"}).exit_code, 0);
  zdsim::Simulator& sim = acct.sim();
  const int64_t agent = AgentWithTickets(sim);
  ASSERT_NE(agent, 0);
  const std::string id = std::to_string(agent);
  const auto held = Held(sim, agent);
  httplib::Client zd(sim.BaseUrl());
  zd.set_basic_auth((sim.AdminEmail() + "/token").c_str(), zdsim::kAdminApiToken);
  auto roles = zd.Get("/api/v2/custom_roles.json");
  ASSERT_TRUE(roles && roles->status == 200);
  std::string light;
  const json role_list = json::parse(roles->body);
  for (const auto& r : role_list["custom_roles"])
    if (r["role_type"] == 1) light = std::to_string(r["id"].get<int64_t>());
  ASSERT_FALSE(light.empty());

  CliResult dry =
      acct.cli().Run({"user", "set-role", id, "--role", "agent", "--custom-role", light, "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("Zendesk unassigns"), std::string::npos) << dry.out;
  json dj = acct.Json({"user", "set-role", id, "--role", "agent", "--custom-role", light, "--dry-run"});
  EXPECT_EQ(dj["details"]["ticket_side_effect"]["zendesk_does"], "unassigned") << dj.dump(2);
  EXPECT_EQ(dj["details"]["ticket_side_effect"]["held"], held.size());

  sim.ClearRequests();
  CliResult refused = acct.cli().Run({"user", "set-role", id, "--role", "agent", "--custom-role", light});
  EXPECT_EQ(refused.exit_code, 3) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("--let-zendesk-reassign"), std::string::npos) << refused.err;
  EXPECT_TRUE(Mutations(sim).empty()) << json(Mutations(sim)).dump();
  EXPECT_EQ(Held(sim, agent), held);
  for (const auto& u : sim.TruthUsers()) {
    if (u["id"] != agent) continue;
    EXPECT_EQ(u["license"], "agent");
  }
}

}  // namespace
}  // namespace sk::testing
