// Deleting or downgrading an agent who holds tickets (agent_tickets.h),
// against zdsim with quirks.agent_change_moves_tickets on (its default).
#include "actions/agent_tickets.h"

#include <httplib.h>

#include "actions/action_testing.h"
#include "actions/delete_user.h"
#include "actions/offboard.h"
#include "actions/set_role.h"

namespace sk::actions {
namespace {

using nlohmann::json;
using testing::ActionsTest;

class AgentTicketsTest : public ActionsTest {
 protected:
  // A full agent holding non-closed tickets (with a non-solved one).
  int64_t AgentWithTickets(int skip = 0) {
    for (int i = 0; i < 12; ++i) {
      const int64_t id = FindUser("agent", i);
      if (id == 0) break;
      bool non_solved = false;
      for (const auto& t : sim_->TicketsState(id)) {
        const std::string s = t.value("status", "");
        non_solved = non_solved || (s != "closed" && s != "deleted" && s != "solved");
      }
      if (!non_solved || skip-- > 0) continue;
      return id;
    }
    return 0;
  }
  // Ticket id -> {status, assignee} of the non-closed tickets of `id`.
  std::map<int64_t, std::pair<std::string, json>> Held(int64_t id) {
    std::map<int64_t, std::pair<std::string, json>> out;
    for (const auto& t : sim_->TicketsState(id)) {
      const std::string s = t.value("status", "");
      if (s != "closed" && s != "deleted") out[t["id"].get<int64_t>()] = {s, t["assignee_id"]};
    }
    return out;
  }
  json TicketState(int64_t ticket) {
    for (const auto& t : sim_->TicketsState())
      if (t["id"] == ticket) return t;
    return nullptr;
  }
  int64_t LightAgentRole() {
    auto roles = client_->ListCustomRoles();
    EXPECT_TRUE(roles.ok());
    for (const auto& r : *roles)
      if (r.role_type == 1) return r.id;
    return 0;
  }
};

TEST_F(AgentTicketsTest, DeletingAnAgentWithTicketsNeedsAChoiceAndIsRefusedBeforeAnyWrite) {
  const int64_t id = AgentWithTickets();
  ASSERT_NE(id, 0);
  const auto held = Held(id);
  auto r = DeleteUser(Ctx(), {id, std::nullopt, {}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result, "refused");
  EXPECT_EQ(r->status.code(), Code::kRefused);
  EXPECT_EQ(ExitCodeFor(r->status), 3);
  EXPECT_NE(r->status.message().find("--reassign-to"), std::string::npos) << r->status.message();
  EXPECT_NE(r->status.message().find("--let-zendesk-reassign"), std::string::npos) << r->status.message();
  EXPECT_TRUE(r->details["ticket_side_effect"]["choice_required"].get<bool>());
  EXPECT_TRUE(MutatingRequests().empty()) << MutatingRequests().dump();
  EXPECT_EQ(TruthUser(id)["deleted"], false);
  EXPECT_EQ(Held(id), held);
  auto audit = store_->ListAudit("default");
  ASSERT_TRUE(audit.ok() && !audit->empty());
  EXPECT_EQ(audit->back().result, "refused");
}

TEST_F(AgentTicketsTest, DryRunNamesTheTicketsAndThatZendeskHandsThemToTheActingAdmin) {
  const int64_t id = AgentWithTickets();
  ASSERT_NE(id, 0);
  const auto held = Held(id);
  auto r = DeleteUser(Ctx(true), {id, std::nullopt, {}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result, "dry-run");
  const json e = r->details["ticket_side_effect"];
  EXPECT_EQ(e["held"], held.size());
  EXPECT_EQ(e["zendesk_does"], "handed-to-acting-admin");
  EXPECT_EQ(e["acting_admin_id"], sim_->AdminId());
  EXPECT_TRUE(e["choice_required"].get<bool>());
  bool named = false;
  for (const auto& c : r->changes)
    named =
        named || (c.step == "ticket-side-effect" && c.description.find("acting admin") != std::string::npos &&
                  c.description.find(std::to_string(held.size()) + " non-closed") != std::string::npos);
  EXPECT_TRUE(named) << r->ToJson().dump(2);
  EXPECT_FALSE(r->warnings.empty());
  EXPECT_TRUE(MutatingRequests().empty());
}

TEST_F(AgentTicketsTest, LetZendeskReassignHandsThemToTheAdminAndRecordsThemAsOwnWrites) {
  const int64_t id = AgentWithTickets();
  ASSERT_NE(id, 0);
  const auto held = Held(id);
  auto r = DeleteUser(Ctx(), {id, std::nullopt, {}, /*let_zendesk_reassign=*/true});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result, "ok") << r->ToJson().dump(2);
  EXPECT_EQ(TruthUser(id)["deleted"], true);
  EXPECT_TRUE(Held(id).empty());
  auto own = store_->OwnWrites("default");
  ASSERT_TRUE(own.ok());
  for (const auto& [ticket, was] : held) {
    EXPECT_EQ(TicketState(ticket)["assignee_id"], sim_->AdminId()) << ticket;
    EXPECT_TRUE(own->count(ticket)) << "ticket " << ticket
                                    << " moved by Zendesk is not recorded as own write";
  }
  // Only the delete was sent: Zendesk moved the tickets.
  EXPECT_EQ(MutatingRequests().size(), 1u) << MutatingRequests().dump();
}

TEST_F(AgentTicketsTest, ReassignToMovesThemFirstAndNothingIsHandedToTheAdmin) {
  const int64_t id = AgentWithTickets();
  ASSERT_NE(id, 0);
  const auto held = Held(id);
  const auto admin_before = Held(sim_->AdminId());
  auto r = DeleteUser(Ctx(), {id, sim_->AgentId(), {}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result, "ok") << r->ToJson().dump(2);
  for (const auto& [ticket, was] : held) EXPECT_EQ(TicketState(ticket)["assignee_id"], sim_->AgentId());
  EXPECT_EQ(Held(sim_->AdminId()), admin_before);
}

TEST_F(AgentTicketsTest, DowngradeToLightAgentSaysUnassignedAndNeedsAChoice) {
  const int64_t id = AgentWithTickets(1);
  ASSERT_NE(id, 0);
  const int64_t light = LightAgentRole();
  ASSERT_NE(light, 0);
  const auto held = Held(id);
  auto dry = SetRole(Ctx(true), {id, "agent", light});
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  const json e = dry->details["ticket_side_effect"];
  EXPECT_EQ(e["change"], "downgrade-to-light-agent");
  EXPECT_EQ(e["zendesk_does"], "unassigned");
  EXPECT_NE(e["description"].get<std::string>().find("unassigns"), std::string::npos) << e;

  auto refused = SetRole(Ctx(), {id, "agent", light});
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  EXPECT_EQ(refused->status.code(), Code::kRefused);
  EXPECT_TRUE(MutatingRequests().empty()) << MutatingRequests().dump();
  EXPECT_EQ(Held(id), held);

  SetRoleRequest req{id, "agent", light};
  req.let_zendesk_reassign = true;
  auto done = SetRole(Ctx(), req);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->result, "ok") << done->ToJson().dump(2);
  EXPECT_EQ(TruthUser(id)["license"], "light-agent");
  for (const auto& [ticket, was] : held) {
    const json now = TicketState(ticket);
    if (was.first == "solved")
      EXPECT_EQ(now["assignee_id"], sim_->AdminId());
    else
      EXPECT_TRUE(now["assignee_id"].is_null()) << now;
  }
}

TEST_F(AgentTicketsTest, BothChoicesAtOnceAreAUsageError) {
  const int64_t id = AgentWithTickets();
  DeleteUserRequest d{id, sim_->AgentId(), {}, true};
  auto r = DeleteUser(Ctx(), d);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << r.status().ToString();
  EXPECT_TRUE(MutatingRequests().empty());
}

TEST_F(AgentTicketsTest, OffboardPlanSaysItsFirstStepLeavesZendeskNothingToMove) {
  const int64_t id = AgentWithTickets();
  ASSERT_NE(id, 0);
  const OffboardRequest req = Leaving(id, Then::kDelete);
  auto dry = Offboard(Ctx(true), req);
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  EXPECT_TRUE(dry->status.ok()) << dry->status.ToString();
  EXPECT_TRUE(Says(*dry, "downgrade", "Zendesk has none to move")) << dry->ToJson().dump(2);

  const auto admin_before = Held(sim_->AdminId());
  auto done = Offboard(Ctx(), req);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_TRUE(done->status.ok()) << done->ToJson().dump(2);
  EXPECT_EQ(TruthUser(id)["deleted"], true);
  EXPECT_EQ(Held(sim_->AdminId()), admin_before);
}

// A light agent downgraded before Zendesk began unassigning on such
// downgrades (2026-04-30, reference §4.3) may still hold tickets: deleting
// them would hand those to the acting admin, so it needs a choice too. (zdsim's
// control endpoint changes the role without Zendesk's ticket moves.)
TEST_F(AgentTicketsTest, ALightAgentStillHoldingTicketsNeedsAChoiceToBeDeleted) {
  const int64_t id = AgentWithTickets(2);
  ASSERT_NE(id, 0);
  const int64_t light = LightAgentRole();
  ASSERT_NE(light, 0);
  httplib::Client control(sim_->BaseUrl());
  auto patched = control.Post("/_sim/users/" + std::to_string(id), json{{"custom_role_id", light}}.dump(),
                              "application/json");
  ASSERT_TRUE(patched && patched->status == 200) << (patched ? patched->body : "no answer");
  ASSERT_EQ(TruthUser(id)["license"], "light-agent");
  const auto held = Held(id);
  ASSERT_FALSE(held.empty());
  sim_->ClearRequests();
  auto r = DeleteUser(Ctx(), {id, std::nullopt, {}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result, "refused") << r->ToJson().dump(2);
  EXPECT_TRUE(r->details["ticket_side_effect"]["choice_required"].get<bool>());
  EXPECT_TRUE(MutatingRequests().empty()) << MutatingRequests().dump();
  EXPECT_EQ(Held(id), held);

  DeleteUserRequest req{id, sim_->AgentId(), {}};
  auto done = DeleteUser(Ctx(), req);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->result, "ok") << done->ToJson().dump(2);
  EXPECT_EQ(TruthUser(id)["deleted"], true);
  for (const auto& [ticket, was] : held) EXPECT_EQ(TicketState(ticket)["assignee_id"], sim_->AgentId());
}

// Below Enterprise the custom roles list answers 403 (reference §5.1), yet
// light agents exist there: a downgrade to the light-agent role is still seen
// as one that makes Zendesk unassign the agent's tickets, so it needs a
// choice, and --reassign-to moves them first.
class AgentTicketsBelowEnterpriseTest : public AgentTicketsTest {
  zdsim::Options SimOptions() override {
    zdsim::Options o = testing::SmallAccount();
    o.plan = "professional";
    return o;
  }
};

TEST_F(AgentTicketsBelowEnterpriseTest, DowngradeToTheLightAgentRoleNeedsAChoiceWithoutTheRolesList) {
  ASSERT_EQ(client_->ListCustomRoles().status().code(), Code::kForbidden);
  int64_t light = 0;  // the role id, from a light agent's user record
  std::string cursor;
  for (int pages = 0; light == 0 && pages < 20; ++pages) {
    auto page = client_->ListUsers(cursor);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const auto& u : page->items)
      if (u.role_type == 1 && u.custom_role_id) light = *u.custom_role_id;
    if (!page->has_more) break;
    cursor = page->after_cursor;
  }
  ASSERT_NE(light, 0);
  const int64_t id = AgentWithTickets();
  ASSERT_NE(id, 0);
  const auto held = Held(id);
  auto refused = SetRole(Ctx(), {id, "agent", light});
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  EXPECT_EQ(refused->status.code(), Code::kRefused) << refused->ToJson().dump(2);
  EXPECT_TRUE(MutatingRequests().empty()) << MutatingRequests().dump();
  EXPECT_EQ(Held(id), held);

  SetRoleRequest req{id, "agent", light};
  req.reassign_to = sim_->AgentId();
  auto done = SetRole(Ctx(), req);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->result, "ok") << done->ToJson().dump(2);
  EXPECT_EQ(TruthUser(id)["license"], "light-agent");
  bool warned = false;
  for (const auto& w : done->warnings) warned |= w.find("could not read custom role") != std::string::npos;
  EXPECT_TRUE(warned) << done->ToJson().dump(2);
  for (const auto& [ticket, was] : held) EXPECT_EQ(TicketState(ticket)["assignee_id"], sim_->AgentId());
}

}  // namespace
}  // namespace sk::actions
