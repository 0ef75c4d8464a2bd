#include "actions/action.h"

#include "actions/action_testing.h"
#include "actions/create_user.h"
#include "actions/delete_user.h"
#include "actions/offboard.h"
#include "actions/permanent_delete.h"
#include "actions/reassign_tickets.h"
#include "actions/set_role.h"

namespace sk::actions {
namespace {

using nlohmann::json;
using testing::ActionsTest;

class ActionTest : public ActionsTest {};

TEST_F(ActionTest, ReadConnectionRefusesEveryActionBeforeAnyRequest) {
  conn_.permission = "read";
  const int64_t agent = sim_->AgentId();
  const int64_t other = sim_->OwnerId();
  std::vector<std::pair<std::string, Status>> results;
  for (bool dry : {false, true}) {
    ActionContext c = Ctx(dry);
    results.emplace_back("create", CreateUser(c, {"X", "x@acme.test", "agent", std::nullopt}).status());
    results.emplace_back("set-role", SetRole(c, {agent, "end-user", std::nullopt}).status());
    results.emplace_back("delete", DeleteUser(c, {agent, std::nullopt, {}}).status());
    PermanentDeleteRequest p;
    p.user_id = agent;
    p.confirm = std::to_string(agent);
    results.emplace_back("permanent", PermanentlyDeleteUser(c, p).status());
    results.emplace_back("reassign", ReassignTickets(c, agent, other).status());
    OffboardRequest o;
    o.user_id = agent;
    o.reassign_to = other;
    o.delete_user = true;
    results.emplace_back("offboard", Offboard(c, o).status());
  }
  for (const auto& [name, s] : results) {
    EXPECT_EQ(s.code(), Code::kRefused) << name << ": " << s.ToString();
    EXPECT_NE(s.message().find("read-only"), std::string::npos) << name;
    EXPECT_EQ(ExitCodeFor(s), 3);
  }
  EXPECT_TRUE(sim_->Requests().empty()) << sim_->Requests().dump();
  // Each refusal is in the audit trail.
  auto audit = store_->ListAudit("default");
  ASSERT_TRUE(audit.ok());
  EXPECT_EQ(audit->size(), 12u);
  for (const auto& e : *audit) EXPECT_EQ(e.result, "refused") << e.action;
}

TEST_F(ActionTest, ReadScopedOAuthTokenRefusalAlsoSurfaces) {
  // A read-write connection whose token lacks the write scope: Zendesk refuses.
  client_ = MakeClient(zendesk::Credentials::Kind::kOAuthToken, zdsim::kAdminOauthReadToken);
  const int64_t id = FindUser("agent");
  SetRoleRequest req{id, "end-user", std::nullopt};
  req.let_zendesk_reassign = true;  // the agent's tickets are not the point here
  auto r = SetRole(Ctx(), req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kRefused) << r.status().ToString();
  EXPECT_EQ(TruthUser(id)["role"], "agent");
}

TEST(FromZendeskTest, MapsRefusalsAndKeepsFailures) {
  EXPECT_EQ(FromZendesk(Status(Code::kInvalidRecord, "Email: x is already being used"), "create x").code(),
            Code::kRefused);
  EXPECT_EQ(FromZendesk(Status(Code::kForbidden, "no"), "x").code(), Code::kRefused);
  EXPECT_EQ(FromZendesk(Status(Code::kUnavailable, "503"), "x").code(), Code::kUnavailable);
  EXPECT_NE(FromZendesk(Status(Code::kInvalidRecord, "the reason"), "do it").message().find("the reason"),
            std::string::npos);
}

TEST(CheckWritePermissionTest, OnlyReadWrite) {
  store::Connection c;
  c.permission = "read";
  EXPECT_EQ(CheckWritePermission(c).code(), Code::kRefused);
  c.permission = "read-write";
  EXPECT_TRUE(CheckWritePermission(c).ok());
}

}  // namespace
}  // namespace sk::actions
