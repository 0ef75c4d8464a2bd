#include "actions/set_role.h"

#include "actions/action_testing.h"

namespace sk::actions {
namespace {

using nlohmann::json;
using testing::ActionsTest;

class SetRoleTest : public ActionsTest {};

// Zendesk refusing the change with a 400 (or 422) is Zendesk's refusal with
// its reason (CLI exit 3), never a usage error of the caller (exit 2); the
// role is unchanged and the audit entry says "refused".
TEST_F(SetRoleTest, ZendeskBadRequestIsARefusalNotAUsageError) {
  for (int http : {400, 422}) {
    const int64_t id = FindUser("agent", http == 400 ? 0 : 1);
    ASSERT_NE(id, 0);
    zdsim::Fault f;
    f.kind = "status";
    f.status = http;
    f.body = "json";
    f.count = 1;
    f.path = "/api/v2/users/" + std::to_string(id);
    f.method = "PUT";  // not the reads of the user and their tickets before it
    sim_->AddFault(f);
    SetRoleRequest req{id, "end-user", std::nullopt};
    req.let_zendesk_reassign = true;  // the agent's tickets are not the point here
    auto r = SetRole(Ctx(), req);
    sim_->ClearFaults();
    ASSERT_FALSE(r.ok()) << http;
    EXPECT_EQ(r.status().code(), Code::kRefused) << http << " " << r.status().ToString();
    EXPECT_EQ(ExitCodeFor(r.status()), 3) << r.status().ToString();
    EXPECT_NE(r.status().message().find("Zendesk refused"), std::string::npos) << r.status().ToString();
    EXPECT_NE(r.status().message().find("(" + std::to_string(http) + ")"), std::string::npos)
        << r.status().ToString();
    EXPECT_EQ(TruthUser(id)["role"], "agent");
    auto audit = store_->ListAudit("default");
    ASSERT_TRUE(audit.ok() && !audit->empty());
    EXPECT_EQ(audit->back().result, "refused");
  }
}

TEST_F(SetRoleTest, DowngradeFreesTheSeatKeepsUndoAndReRunIsNoOp) {
  const int64_t id = FindUser("agent");
  ASSERT_NE(id, 0);
  SetRoleRequest req{id, "end-user", std::nullopt};
  req.let_zendesk_reassign = true;  // Zendesk hands any tickets to the admin (agent_tickets_test.cc)
  auto r = SetRole(Ctx(), req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result, "ok");
  EXPECT_EQ(TruthUser(id)["role"], "end-user");
  EXPECT_EQ(TruthUser(id)["seat"], false);
  EXPECT_EQ(CountRequests("PUT", "/api/v2/users/" + std::to_string(id)), 1);
  EXPECT_EQ(MutatingRequests().size(), 1u);
  EXPECT_EQ(r->details["previous_role"], "agent");
  EXPECT_NE(r->details["undo"].get<std::string>().find("--role agent"), std::string::npos);

  auto rec = store_->GetUser("default", id);
  ASSERT_TRUE(rec.ok() && rec->has_value());
  EXPECT_EQ((*rec)->role, "end-user");
  EXPECT_FALSE((*rec)->seat);

  auto audit = store_->ListAudit("default");
  ASSERT_TRUE(audit.ok() && !audit->empty());
  json before = json::parse(audit->back().before_json);
  EXPECT_EQ(before["role"], "agent");
  EXPECT_EQ(audit->back().result, "ok");
  EXPECT_EQ(json::parse(audit->back().after_json)["role"], "end-user");

  sim_->ClearRequests();
  auto again = SetRole(Ctx(), {id, "end-user", std::nullopt});  // no choice needed: nothing to do
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->result, "no-op");
  EXPECT_TRUE(MutatingRequests().empty());
}

TEST_F(SetRoleTest, UpgradeEndUserToAdmin) {
  const int64_t id = FindUser("end-user");
  ASSERT_NE(id, 0);
  auto r = SetRole(Ctx(), {id, "admin", std::nullopt});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(TruthUser(id)["role"], "admin");
  EXPECT_EQ(r->details["previous_role"], "end-user");
}

TEST_F(SetRoleTest, DryRunSendsNoMutatingRequest) {
  const int64_t id = FindUser("agent");
  auto r = SetRole(Ctx(true), {id, "end-user", std::nullopt});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result, "dry-run");
  EXPECT_NE(r->summary.find("-> end-user"), std::string::npos) << r->summary;
  EXPECT_TRUE(MutatingRequests().empty());
  EXPECT_EQ(TruthUser(id)["role"], "agent");
}

TEST_F(SetRoleTest, OwnerAndSelfAreRefusedLocally) {
  conn_.capabilities_json = json{{"owner_id", sim_->OwnerId()}}.dump();
  auto owner = SetRole(Ctx(), {sim_->OwnerId(), "end-user", std::nullopt});
  EXPECT_EQ(owner.status().code(), Code::kRefused);
  EXPECT_NE(owner.status().message().find("owner"), std::string::npos);
  auto self = SetRole(Ctx(), {sim_->AdminId(), "agent", std::nullopt});
  EXPECT_EQ(self.status().code(), Code::kRefused);
  EXPECT_NE(self.status().message().find("connecting user"), std::string::npos);
  EXPECT_TRUE(MutatingRequests().empty());
}

TEST_F(SetRoleTest, ZendeskRefusalOfOwnerDowngradeSurfacesItsReason) {
  // Owner not known locally: Zendesk's own refusal must come through.
  SetRoleRequest req{sim_->OwnerId(), "end-user", std::nullopt};
  req.let_zendesk_reassign = true;
  auto r = SetRole(Ctx(), req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kRefused) << r.status().ToString();
  EXPECT_NE(r.status().message().find("owner"), std::string::npos) << r.status().ToString();
  EXPECT_EQ(TruthUser(sim_->OwnerId())["role"], "admin");
}

}  // namespace
}  // namespace sk::actions
