#include "actions/delete_user.h"

#include "actions/action_testing.h"
#include "actions/permanent_delete.h"

namespace sk::actions {
namespace {

using nlohmann::json;
using testing::ActionsTest;

// Soft deletion (DeleteUser) and permanent deletion (PermanentDelete), which soft-deletes first.
class DeleteUserTest : public ActionsTest {};
class PermanentDeleteTest : public ActionsTest {};

TEST_F(DeleteUserTest, SoftDeletesAndReRunSaysAlreadyDone) {
  const int64_t id = FindUser("end-user");
  ASSERT_NE(id, 0);
  auto r = DeleteUser(Ctx(), {id, std::nullopt, {}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result, "ok");
  EXPECT_EQ(TruthUser(id)["deleted"], true);
  EXPECT_EQ(CountRequests("DELETE", "/api/v2/users/" + std::to_string(id)), 1);
  EXPECT_EQ(MutatingRequests().size(), 1u);
  auto rec = store_->GetUser("default", id);
  ASSERT_TRUE(rec.ok() && rec->has_value());
  EXPECT_TRUE((*rec)->deleted);
  EXPECT_EQ((*rec)->deleted_kind, "soft");

  sim_->ClearRequests();
  auto again = DeleteUser(Ctx(), {id, std::nullopt, {}});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->result, "no-op");
  EXPECT_NE(again->summary.find("already deleted"), std::string::npos);
  EXPECT_TRUE(MutatingRequests().empty());
}

TEST_F(DeleteUserTest, DryRunSendsNoMutatingRequest) {
  const int64_t id = FindUser("agent");
  auto r = DeleteUser(Ctx(true), {id, sim_->AgentId(), {}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result, "dry-run");
  EXPECT_NE(r->summary.find("would soft-delete"), std::string::npos);
  EXPECT_TRUE(MutatingRequests().empty()) << MutatingRequests().dump();
  EXPECT_EQ(TruthUser(id)["deleted"], false);
}

TEST_F(DeleteUserTest, ReassignsNonClosedTicketsFirst) {
  // The agent with the most non-closed tickets.
  int64_t from = 0;
  int most = 0;
  for (int i = 0; i < 6; ++i) {
    int64_t id = FindUser("agent", i);
    if (id == 0) break;
    int n = NonClosed(id);
    if (n > most) most = n, from = id;
  }
  ASSERT_GT(most, 0) << "the simulated account has no agent with open tickets";
  auto r = DeleteUser(Ctx(), {from, sim_->AgentId(), {}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result, "ok") << r->summary;
  EXPECT_EQ(NonClosed(from), 0);
  EXPECT_EQ(TruthUser(from)["deleted"], true);
  EXPECT_GE(CountRequests("PUT", "/api/v2/tickets/update_many"), 1);
}

TEST_F(DeleteUserTest, OwnerAndSelfAreRefused) {
  auto self = DeleteUser(Ctx(), {sim_->AdminId(), std::nullopt, {}});
  EXPECT_EQ(self.status().code(), Code::kRefused);
  conn_.capabilities_json = json{{"owner_id", sim_->OwnerId()}}.dump();
  auto owner = DeleteUser(Ctx(), {sim_->OwnerId(), std::nullopt, {}});
  EXPECT_EQ(owner.status().code(), Code::kRefused);
  EXPECT_TRUE(MutatingRequests().empty());
}

TEST_F(DeleteUserTest, ZendeskRefusalOfOwnerDeleteSurfaces) {
  auto r = DeleteUser(Ctx(), {sim_->OwnerId(), std::nullopt, {}, /*let_zendesk_reassign=*/true});
  EXPECT_EQ(r.status().code(), Code::kRefused) << r.status().ToString();
  EXPECT_NE(r.status().message().find("owner"), std::string::npos) << r.status().ToString();
  EXPECT_EQ(TruthUser(sim_->OwnerId())["deleted"], false);
}

TEST_F(PermanentDeleteTest, NeedsConfirmation) {
  const int64_t id = FindUser("end-user");
  PermanentDeleteRequest p;
  p.user_id = id;
  auto r = PermanentlyDeleteUser(Ctx(), p);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), kConfirmationRule);
  // A confirmation naming someone else (another id, another email) is refused the same way.
  p.confirm = std::to_string(id + 1);
  EXPECT_EQ(PermanentlyDeleteUser(Ctx(), p).status().message(), kConfirmationRule);
  p.confirm = "someone-else@example.com";
  EXPECT_EQ(PermanentlyDeleteUser(Ctx(), p).status().message(), kConfirmationRule);
  EXPECT_TRUE(sim_->Requests().empty() || MutatingRequests().empty());
}

TEST_F(PermanentDeleteTest, TheUsersEmailConfirmsAsWellAsItsId) {
  const int64_t id = FindUser("end-user");
  auto user = client_->ShowUser(id);
  ASSERT_TRUE(user.ok() && user->email);
  PermanentDeleteRequest p;
  p.user_id = id;
  std::string upper = *user->email;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  p.confirm = upper;
  auto r = PermanentlyDeleteUser(Ctx(), p);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result, "ok") << r->ToJson().dump(2);
}

TEST_F(PermanentDeleteTest, SoftDeletesFirstThenScrubsAndReRunIsNoOp) {
  const int64_t id = FindUser("end-user");
  ASSERT_NE(id, 0);
  PermanentDeleteRequest p;
  p.user_id = id;
  p.confirm = std::to_string(id);
  auto r = PermanentlyDeleteUser(Ctx(), p);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result, "ok");
  EXPECT_EQ(CountRequests("DELETE", "/api/v2/users/" + std::to_string(id)), 1);
  EXPECT_EQ(CountRequests("DELETE", "/api/v2/deleted_users/" + std::to_string(id)), 1);
  EXPECT_EQ(MutatingRequests().size(), 2u);
  json truth = TruthUser(id);
  EXPECT_EQ(truth["deleted"], true);
  EXPECT_TRUE(truth["email"].is_null());
  auto rec = store_->GetUser("default", id);
  ASSERT_TRUE(rec.ok() && rec->has_value());
  EXPECT_EQ((*rec)->deleted_kind, "permanent");
  EXPECT_FALSE((*rec)->email.has_value());

  sim_->ClearRequests();
  auto again = PermanentlyDeleteUser(Ctx(), p);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->result, "no-op");
  EXPECT_TRUE(MutatingRequests().empty());
}

TEST_F(PermanentDeleteTest, DryRunSendsNoMutatingRequest) {
  const int64_t id = FindUser("end-user");
  PermanentDeleteRequest p;
  p.user_id = id;
  auto r = PermanentlyDeleteUser(Ctx(true), p);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result, "dry-run");
  ASSERT_EQ(r->changes.size(), 2u);  // soft delete, then permanent delete
  EXPECT_EQ(r->changes[0].step, "delete-user");
  EXPECT_EQ(r->changes[1].step, "permanent-delete");
  EXPECT_TRUE(MutatingRequests().empty());
}

TEST_F(PermanentDeleteTest, ZendeskRefusesPermanentDeleteOfActiveUserWithItsReason) {
  const int64_t id = FindUser("end-user");
  PermanentDeleteRequest p;
  p.user_id = id;
  p.confirm = std::to_string(id);
  p.soft_delete_first = false;
  auto r = PermanentlyDeleteUser(Ctx(), p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kRefused) << r.status().ToString();
  EXPECT_NE(r.status().message().find("Zendesk refused"), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find("soft-delete it first"), std::string::npos) << r.status().ToString();
  EXPECT_EQ(CountRequests("DELETE", "/api/v2/deleted_users/" + std::to_string(id)), 1);
  EXPECT_EQ(TruthUser(id)["deleted"], false);
}

}  // namespace
}  // namespace sk::actions
