// Role history rows (issue #17 item 3) on every engine: a change a sync finds
// records since when the old value was known (the previous sync) and when it
// was seen; seatkeeper's own change records its actor; the audit log's user
// records are kept once; a vanished user's deletion is bounded the same way.
#include <gtest/gtest.h>

#include "store/engine_test.h"
#include "store/store.h"
#include "store/store_testing.h"

namespace sk::store {
namespace {

class UserHistoryRowsTest : public testing::EngineStoreTest {
 protected:
  UserHistoryRowsTest() : EngineStoreTest("hist") {}
};

TEST_P(UserHistoryRowsTest, ChangesCarryTheirBoundsAndActor) {
  ASSERT_TRUE(store_->PutConnection(testing::TestConnection()).ok());
  Page first;
  first.users = {testing::TestUser(1, "agent", true), testing::TestUser(2, "agent", true)};
  first.run_id = "r1";
  ASSERT_TRUE(store_->ApplyPage("default", first, 1000).ok());
  ASSERT_TRUE(store_->FinishSync("default", 1000, 90).ok());

  // The next sync reads user 1 demoted at 2500 (its pages are stamped 2000).
  Page second;
  UserRecord u1 = testing::TestUser(1, "end-user", false);
  second.users = {u1};
  second.run_id = "r2";
  second.changes_at = 2500;
  second.user_audit = {{77, 1, 1800, "update", 5, "Olga Owner"}, {78, 1, 1900, "update", -1, ""}};
  ASSERT_TRUE(store_->ApplyPage("default", second, 2000).ok());
  ASSERT_TRUE(store_->ApplyPage("default", second, 2000).ok());  // a re-read page: nothing twice

  // seatkeeper suspends user 2 itself.
  Page action;
  UserRecord u2 = testing::TestUser(2, "agent", true);
  u2.suspended = true;
  action.users = {u2};
  action.changes_at = 2600;
  action.changed_by = "cli:root";
  ASSERT_TRUE(store_->ApplyPage("default", action, 2600).ok());

  auto h1 = store_->UserHistory("default", 1);
  ASSERT_TRUE(h1.ok()) << h1.status().ToString();
  ASSERT_FALSE(h1->changes.empty());
  for (const auto& ch : h1->changes) {
    EXPECT_EQ(ch.at, 2500) << ch.field;
    EXPECT_EQ(ch.since, 1000) << ch.field;
    EXPECT_EQ(ch.actor, "") << ch.field;
  }
  EXPECT_EQ(h1->changes[0].field, "role");
  EXPECT_EQ(h1->changes[0].old_value, "agent");
  EXPECT_EQ(h1->changes[0].new_value, "end-user");
  ASSERT_EQ(h1->audit_log.size(), 2u);
  EXPECT_EQ(h1->audit_log[0].id, 77);
  EXPECT_EQ(h1->audit_log[0].actor_id, 5);
  EXPECT_EQ(h1->audit_log[0].actor_name, "Olga Owner");
  EXPECT_EQ(h1->audit_log[1].at, 1900);

  auto h2 = store_->UserHistory("default", 2);
  ASSERT_TRUE(h2.ok());
  ASSERT_EQ(h2->changes.size(), 1u);
  EXPECT_EQ(h2->changes[0].field, "suspended");
  EXPECT_EQ(h2->changes[0].at, 2600);
  EXPECT_FALSE(h2->changes[0].since.has_value());
  EXPECT_EQ(h2->changes[0].actor, "cli:root");

  // User 2 vanishes from the pass r2 (only user 1 was seen): permanently deleted, after the previous sync.
  ASSERT_EQ(*store_->MarkUnseenUsersDeleted("default", "r2", 3000), 1);
  h2 = store_->UserHistory("default", 2);
  ASSERT_EQ(h2->changes.size(), 2u);
  EXPECT_EQ(h2->changes[1].field, "deleted");
  EXPECT_EQ(h2->changes[1].new_value, "permanent");
  EXPECT_EQ(h2->changes[1].since, 1000);
  EXPECT_GE(h2->changes[1].at, 3000);
}

INSTANTIATE_TEST_SUITE_P(Engines, UserHistoryRowsTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sk::store
