#include "actions/offboard.h"

#include "actions/action_testing.h"

namespace sk::actions {
namespace {

using nlohmann::json;
using testing::ActionsTest;

class OffboardTest : public ActionsTest {
 protected:
  // A full agent holding non-closed tickets.
  int64_t Leaver() {
    for (int i = 0; i < 8; ++i) {
      int64_t id = FindUser("agent", i);
      if (id == 0) break;
      if (NonClosed(id) > 0) return id;
    }
    return FindUser("agent");
  }
};

TEST_F(OffboardTest, DryRunShowsTheWholePlanAndSendsNoMutatingRequest) {
  const int64_t id = Leaver();
  ASSERT_NE(id, 0);
  const OffboardRequest req = Leaving(id, Then::kPermanentlyDelete);
  auto r = Offboard(Ctx(true), req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result, "dry-run");
  std::vector<std::string> steps;
  for (const auto& c : r->changes)
    if (steps.empty() || steps.back() != c.step) steps.push_back(c.step);
  EXPECT_EQ(steps,
            (std::vector<std::string>{"reassign-tickets", "downgrade", "delete-user", "permanent-delete"}))
      << r->ToJson().dump(2);
  // The downgrade says what happens to the tickets: the first step moved them.
  if (NonClosed(id) > 0) {
    EXPECT_TRUE(Says(*r, "downgrade", "Zendesk has none to move")) << r->ToJson().dump(2);
  }
  for (const auto& c : r->changes)
    EXPECT_EQ(c.state, c.step == "reassign-tickets" && NonClosed(id) == 0 ? "already-done" : "planned")
        << c.step;
  EXPECT_TRUE(MutatingRequests().empty()) << MutatingRequests().dump();
  auto saved = store_->GetValue("default", OffboardPlanKey(id));
  ASSERT_TRUE(saved.ok());
  EXPECT_FALSE(saved->has_value());  // a dry run saves no plan
}

TEST_F(OffboardTest, RunsEveryStepAndReRunIsNoOp) {
  const int64_t id = Leaver();
  const OffboardRequest req = Leaving(id, Then::kDelete);
  auto r = Offboard(Ctx(), req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->status.ok()) << r->status.ToString() << "\n" << r->ToJson().dump(2);
  EXPECT_EQ(r->result, "ok");
  EXPECT_EQ(NonClosed(id), 0);
  json truth = TruthUser(id);
  EXPECT_EQ(truth["role"], "end-user");
  EXPECT_EQ(truth["deleted"], true);
  // Each step has its own audit entry; the downgrade keeps the previous role.
  auto audit = store_->ListAudit("default");
  ASSERT_TRUE(audit.ok());
  bool saw_downgrade = false;
  for (const auto& e : *audit) {
    if (e.action == "user.set-role") {
      saw_downgrade = true;
      EXPECT_EQ(json::parse(e.before_json)["role"], "agent");
    }
  }
  EXPECT_TRUE(saw_downgrade);

  sim_->ClearRequests();
  auto again = Offboard(Ctx(), req);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->result, "no-op");
  EXPECT_TRUE(MutatingRequests().empty()) << MutatingRequests().dump();
}

TEST_F(OffboardTest, InterruptedAfterReassignmentResumesWithoutRepeatingSteps) {
  const int64_t id = Leaver();
  ASSERT_GT(NonClosed(id), 0);
  // PUT /users/{id} fails: the downgrade step stops the first run. The GETs
  // of the same path before it (offboard's and set-role's reads) pass.
  zdsim::Fault f;
  f.kind = "status";
  f.status = 500;
  f.retry_after.reset();
  f.count = 10;  // whatever the client's retry policy for a PUT
  f.path = "/api/v2/users/" + std::to_string(id);
  f.method = "PUT";
  sim_->AddFault(f);

  const OffboardRequest req = Leaving(id, Then::kDelete);
  auto first = Offboard(Ctx(), req);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->status.ok());
  EXPECT_EQ(first->result, "failed");
  EXPECT_EQ(NonClosed(id), 0);                 // step 1 done
  EXPECT_EQ(TruthUser(id)["role"], "agent");   // step 2 failed
  EXPECT_EQ(TruthUser(id)["deleted"], false);  // step 3 not attempted
  auto saved = store_->GetValue("default", OffboardPlanKey(id));
  ASSERT_TRUE(saved.ok() && saved->has_value());
  json plan = json::parse(**saved);
  EXPECT_EQ(plan["steps"]["reassign-tickets"]["state"], "done");
  EXPECT_EQ(plan["steps"]["downgrade"]["state"], "failed");

  sim_->ClearFaults();
  sim_->ClearRequests();
  auto second = Offboard(Ctx(), req);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(second->status.ok()) << second->status.ToString();
  EXPECT_EQ(second->result, "ok");
  EXPECT_EQ(second->changes.at(0).state, "already-done");
  // The completed reassignment is not repeated.
  EXPECT_EQ(CountRequests("PUT", "/api/v2/tickets/update_many"), 0);
  EXPECT_EQ(CountRequests("PUT", "/api/v2/users/" + std::to_string(id)), 1);
  EXPECT_EQ(CountRequests("DELETE", "/api/v2/users/" + std::to_string(id)), 1);
  EXPECT_EQ(TruthUser(id)["role"], "end-user");
  EXPECT_EQ(TruthUser(id)["deleted"], true);
}

TEST_F(OffboardTest, PreconditionsAreCheckedBeforeAnyMutation) {
  const int64_t id = Leaver();
  OffboardRequest req;
  req.user_id = id;
  req.reassign_to = FindUser("end-user");
  auto bad_assignee = Offboard(Ctx(), req);
  EXPECT_EQ(bad_assignee.status().code(), Code::kRefused);
  req.reassign_to = sim_->AgentId();
  req.permanent = true;
  auto unconfirmed = Offboard(Ctx(), req);
  EXPECT_EQ(unconfirmed.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(unconfirmed.status().message(), kConfirmationRule);
  // A confirmation must name the leaver: another user's id or email is refused alike.
  req.confirm = std::to_string(sim_->AgentId());
  auto misnamed = Offboard(Ctx(), req);
  EXPECT_EQ(misnamed.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(misnamed.status().message(), kConfirmationRule);
  req.confirm.clear();
  req.permanent = false;
  req.user_id = sim_->AdminId();
  auto self = Offboard(Ctx(), req);
  EXPECT_EQ(self.status().code(), Code::kRefused);
  EXPECT_TRUE(MutatingRequests().empty());
}

}  // namespace
}  // namespace sk::actions
