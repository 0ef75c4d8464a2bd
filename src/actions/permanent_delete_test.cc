#include "actions/permanent_delete.h"

#include "actions/action_testing.h"
#include "actions/delete_user.h"

namespace sk::actions {
namespace {

using nlohmann::json;
using testing::ActionsTest;

class PermanentDeleteTest : public ActionsTest {};

TEST_F(PermanentDeleteTest, NeedsConfirmation) {
  const int64_t id = FindUser("end-user");
  PermanentDeleteRequest p;
  p.user_id = id;
  auto r = PermanentlyDeleteUser(Ctx(), p);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(sim_->Requests().empty() || MutatingRequests().empty());
}

TEST_F(PermanentDeleteTest, SoftDeletesFirstThenScrubsAndReRunIsNoOp) {
  const int64_t id = FindUser("end-user");
  ASSERT_NE(id, 0);
  PermanentDeleteRequest p;
  p.user_id = id;
  p.confirmed = true;
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
  p.confirmed = true;
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
