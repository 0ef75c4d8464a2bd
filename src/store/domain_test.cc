// The engine-neutral rows (domain.h), without a database. Their use by each
// engine is covered by store_conformance_test.cc.
#include "store/domain.h"

#include <gtest/gtest.h>

#include "store/store_testing.h"

namespace sk::store::domain {
namespace {

TEST(DomainTest, ConnectionDataRoundTripsAndDamageIsAnError) {
  Connection c = testing::FullConnection();
  c.token_expires_at = 100;
  c.secret = "not in the data column";
  const std::string data = EncodeConnectionData(c);
  EXPECT_EQ(data.find("not in the data column"), std::string::npos);
  Connection back;
  ASSERT_TRUE(DecodeConnectionData(data, &back).ok());
  back.secret = c.secret;
  back.account = c.account;
  EXPECT_EQ(back.url, c.url);
  EXPECT_EQ(back.timezone, "Europe/Berlin");
  EXPECT_EQ(back.api_budget, 40);
  EXPECT_EQ(back.token_expires_at, 100);
  EXPECT_FALSE(back.refresh_expires_at.has_value());
  EXPECT_EQ(back.connecting_user_id, 42);
  EXPECT_EQ(back.preflight_json, c.preflight_json);
  EXPECT_EQ(back.capabilities_json, c.capabilities_json);
  OAuthTokens t;
  ASSERT_TRUE(DecodeTokenTimes(data, &t).ok());
  EXPECT_EQ(t.expires_at, 100);
  EXPECT_FALSE(DecodeConnectionData("{not json", &back).ok());
}

TEST(DomainTest, SecretsAreSealedPerAccountAndColumn) {
  const SecretBox box = SecretBox::FromKey(std::string(32, 'k'));
  Connection c;
  c.account = "acme";
  c.secret = "s";
  c.refresh_token = "r";
  SealedSecrets sealed = SealSecrets(box, c);
  EXPECT_TRUE(sealed.values[2].empty()) << "an empty secret stays empty";
  Connection back;
  ASSERT_TRUE(OpenSecrets(box, sealed, &back).ok());
  EXPECT_EQ(back.secret, "s");
  EXPECT_EQ(back.refresh_token, "r");
  std::swap(sealed.values[0], sealed.values[1]);
  EXPECT_FALSE(OpenSecrets(box, sealed, &back).ok()) << "a value is bound to its column";
}

TEST(DomainTest, UserChangesListTheRecordedFieldsThatDiffer) {
  UserRecord a;
  a.name = "Ana";
  a.role = "agent";
  a.license = "agent";
  UserRecord b = a;
  b.last_login_at = 5;  // not a recorded field
  EXPECT_TRUE(UserChanges(a, b).empty());
  b.email = "ana@example.com";
  b.suspended = true;
  b.deleted_kind = "soft";
  auto changes = UserChanges(a, b);
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_STREQ(changes[0].field, "email");
  EXPECT_EQ(changes[0].new_value, "ana@example.com");
  EXPECT_STREQ(changes[1].field, "suspended");
  EXPECT_EQ(changes[1].old_value, "false");
  EXPECT_STREQ(changes[2].field, "deleted");
  EXPECT_EQ(BucketOf(b), (Bucket{"agent", false}));
}

TEST(DomainTest, PageActivityIsSummedWithCappedEvidenceAndOnceKeysCountOnce) {
  Page p;
  p.activity.push_back({1, 10, Kind::kTicket, 3, {"a", "b", "c"}});
  p.activity.push_back({1, 10, Kind::kTicket, 2, {"d", "e", "f"}});
  p.once.push_back({"seen", {1, 10, Kind::kTicket, 1, {"g"}}});
  p.once.push_back({"new", {2, 10, Kind::kArticle, 1, {"h"}}});
  auto rows = SumPageActivity(p, [](const std::string& key) -> Result<bool> { return key == "new"; });
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  const PendingActivity& t = rows->at({10, 1, Kind::kTicket});
  EXPECT_EQ(t.count, 5);
  EXPECT_EQ(JoinEvidence(t), "a,b,c,d,e");
  EXPECT_EQ(rows->at({10, 2, Kind::kArticle}).count, 1);
  EXPECT_FALSE(SumPageActivity(p, [](const std::string&) -> Result<bool> { return IoError("down"); }).ok());
}

TEST(DomainTest, UsageRowsGroupByDayAndUserAndApiUseIsEvidenceOnly) {
  std::vector<UsageRow> rows;
  AppendUsage(&rows, 10, 1, "ticket", 2, "e1,e2");
  AppendUsage(&rows, 10, 1, "login_audit", 1, "");
  AppendUsage(&rows, 10, 2, kApiUseKind, 3, "x");
  AppendUsage(&rows, 11, 1, "login_observed", 1, "");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].sources, (std::set<std::string>{"ticket", "login"}));
  EXPECT_EQ(rows[0].evidence.at("ticket"), (std::vector<std::string>{"e1", "e2"}));
  EXPECT_EQ(rows[0].login_evidence, std::vector<std::string>{"audit_log"});
  EXPECT_EQ(rows[1].api_use, 3);
  DropInactiveRows(&rows);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].login_evidence, std::vector<std::string>{"last_login_at"});

  auto days = EmptySummaries(10, 12, 4);
  AddSummaryRow(&days, 10, 11, "agent", true, 3);
  AddSummaryRow(&days, 10, 11, "light", false, 1);
  EXPECT_EQ(days[1].active_users, 4);
  EXPECT_EQ(days[1].idle_paid_seats, 1);
  EXPECT_EQ(days[0].idle_paid_seats, 4);
}

}  // namespace
}  // namespace sk::store::domain
