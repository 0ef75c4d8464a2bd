// How role history reads the store's rows (issue #17 item 3): audit-log
// records in a change's interval give its time and actor, several narrow it,
// different actors stay possible actors; seatkeeper's own changes are exact.
#include "reports/user_history.h"

#include <gtest/gtest.h>

namespace sk::reports {
namespace {

store::UserChange Seen(const std::string& field, UnixTime since, UnixTime at) {
  store::UserChange c;
  c.user_id = 1;
  c.field = field;
  c.old_value = "a";
  c.new_value = "b";
  c.since = since;
  c.at = at;
  return c;
}

TEST(UserHistoryReport, AuditLogRecordsNarrowASyncsInterval) {
  store::Store::UserHistoryRows rows;
  rows.changes = {Seen("role", 1000, 5000), Seen("suspended", 5000, 9000), Seen("deleted", 9000, 12000),
                  Seen("name", 1000, 5000)};
  rows.audit_log = {{1, 1, 900, "update", 7, "Old"},      // before the interval: not this change
                    {2, 1, 2000, "update", 7, "Olga"},    // the role change's only record
                    {3, 1, 6000, "update", 7, "Olga"},    // two records in the suspension's interval ...
                    {4, 1, 8000, "update", 8, "Ben"},     // ... by two people
                    {5, 1, 10000, "destroy", 8, "Ben"}};  // the deletion
  auto events = BuildHistory(rows);
  ASSERT_EQ(events.size(), 3u) << "name changes are not role history";
  EXPECT_EQ(events[0].at, 2000);
  ASSERT_TRUE(events[0].actor.has_value());
  EXPECT_EQ(events[0].actor->name, "Olga");
  EXPECT_EQ(events[0].audit_log_ids, std::vector<int64_t>{2});
  EXPECT_FALSE(events[1].at.has_value());
  EXPECT_EQ(events[1].after, 5999);
  EXPECT_EQ(events[1].before, 8000);
  EXPECT_FALSE(events[1].actor.has_value());
  EXPECT_EQ(events[1].possible_actors.size(), 2u);
  EXPECT_EQ(events[2].at, 10000);
  EXPECT_EQ(events[2].actor->name, "Ben");
}

TEST(UserHistoryReport, WithoutRecordsTheChangeIsBetweenTwoSyncs) {
  store::Store::UserHistoryRows rows;
  rows.changes = {Seen("role", 1000, 5000)};
  auto events = BuildHistory(rows);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].at.has_value());
  EXPECT_EQ(events[0].after, 1000);
  EXPECT_EQ(events[0].before, 5000);
  EXPECT_FALSE(events[0].actor.has_value());
  UserHistory h{store::UserRecord{}, events};
  auto j = UserHistoryJson(h);
  EXPECT_EQ(j["history"][0]["between"]["from"], FormatIso(1000));
  EXPECT_EQ(j["history"][0]["between"]["to"], FormatIso(5000));
  EXPECT_TRUE(j["history"][0]["at"].is_null());
}

TEST(UserHistoryReport, SeatkeepersOwnChangeIsExact) {
  store::Store::UserHistoryRows rows;
  store::UserChange c = Seen("role", 0, 4000);
  c.since.reset();
  c.actor = "cli:root";
  rows.changes = {c};
  rows.audit_log = {{2, 1, 3999, "update", 7, "Admin"}};
  auto events = BuildHistory(rows);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at, 4000);
  EXPECT_EQ(events[0].actor->name, "cli:root");
  EXPECT_EQ(events[0].actor->via, "seatkeeper");
  EXPECT_EQ(events[0].seen_by, "seatkeeper");
}

}  // namespace
}  // namespace sk::reports
