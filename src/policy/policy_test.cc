// Unit tests of the pure parts of policies: the directory parser (CSV with
// quotes, a UTF-8 mark, JSON shapes, bad rows), statuses, policy JSON
// round trip and validation messages.
#include "policy/policy.h"

#include <gtest/gtest.h>

#include "policy/directory.h"
#include "store/groups.h"
#include "store/store_testing.h"

namespace sk::policy {
namespace {

TEST(Directory, CsvWithQuotesMarkAndBadRows) {
  const std::string csv =
      "\xEF\xBB\xBF"
      "Primary Email,Status,Department,Manager,Aliases\r\n"
      "Ann@Example.com,ACTIVE,\"Sales, EMEA\",\"Boss \"\"B\"\"\",ann.old@example.com; a@example.com\r\n"
      "bob@example.com,DEPROVISIONED,,,\r\n"
      "\"multi\nline@example.com\",active,,,\r\n"
      "nobody,active,,,\r\n"
      "carl@example.com,,,,\r\n"
      "ann@example.com,active,,,\r\n"
      "\r\n"
      "too,few\r\n";
  auto d = ParseDirectory(csv);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->format, "csv");
  ASSERT_EQ(d->members.size(), 2u);
  EXPECT_EQ(d->members[0].department, "Sales, EMEA");
  EXPECT_EQ(d->members[0].manager, "Boss \"B\"");
  EXPECT_EQ(d->members[0].aliases, (std::vector<std::string>{"ann.old@example.com", "a@example.com"}));
  EXPECT_FALSE(d->members[1].active);
  ASSERT_EQ(d->problems.size(), 5u);
  EXPECT_EQ(d->problems[0].line, 4);  // the quoted newline: the record starts on line 4
  EXPECT_EQ(d->problems[1].line, 6);
  EXPECT_EQ(d->problems[2].line, 7);
  EXPECT_NE(d->problems[3].message.find("repeats line 2"), std::string::npos) << d->problems[3].message;
  EXPECT_EQ(d->problems[4].line, 10);
  const auto index = d->Index();
  EXPECT_EQ(index.count("ann@example.com"), 1u);
  EXPECT_EQ(index.count("ann.old@example.com"), 1u);
}

TEST(Directory, JsonShapesAndClearErrors) {
  auto a = ParseDirectory(
      R"({"users":[{"primaryEmail":"x@y.z","suspended":true},{"mail":"w@y.z","accountEnabled":true}]})");
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->members.size(), 2u);
  EXPECT_FALSE(a->members[0].active);
  EXPECT_TRUE(a->members[1].active);
  EXPECT_EQ(ParseDirectory("[1, {\"email\": \"q@r.s\", \"status\": \"ACTIVE\"}]")->problems.size(), 1u);
  EXPECT_EQ(ParseDirectory("{not json").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseDirectory("name,team\nx,y\n").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseDirectory("").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ActiveStatus("Provisioned"), std::optional<bool>(true));
  EXPECT_EQ(ActiveStatus("TERMINATED"), std::optional<bool>(false));
  EXPECT_EQ(ActiveStatus("maybe"), std::nullopt);
}

TEST(Policy, JsonRoundTripAndValidation) {
  Policy p;
  p.name = "idle-agents";
  p.action = "downgrade-light";
  p.custom_role_id = 7;
  p.condition.licenses = {"agent"};
  p.condition.idle_days = 45;
  p.exempt.users = {1, 2};
  p.exempt.emails = {"*@partner.com"};
  ASSERT_TRUE(ValidatePolicy(p).ok());
  auto back = Policy::FromJson(p.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->ToJson(), p.ToJson());
  Policy bad = p;
  bad.custom_role_id.reset();
  EXPECT_NE(ValidatePolicy(bad).message().find("--custom-role"), std::string::npos);
  bad = p;
  bad.condition.recommendation_kind = "idle";
  EXPECT_EQ(ValidatePolicy(bad).code(), Code::kInvalidArgument);
  EXPECT_NE(ValidatePolicy(bad).message().find("light-agent"), std::string::npos)
      << ValidatePolicy(bad).message();
  EXPECT_EQ(RequestFor(p, 5).operation, "user.set-role");
  EXPECT_EQ(RequestFor(p, 5).fields["custom_role_id"], 7);
}

TEST(Policy, RecommendationTagAndGroupFieldsRoundTripAndValidate) {
  Policy p;
  p.name = "light";
  p.action = "downgrade-light";
  p.custom_role_id = 7;
  p.condition.recommendation_kind = "light-agent";  // a condition by itself: no --idle-days needed
  p.exempt.tags = {"vip", "Contractor"};
  p.exempt.groups = {"Escalations", "360001234569"};
  ASSERT_TRUE(ValidatePolicy(p).ok()) << ValidatePolicy(p).message();
  auto back = Policy::FromJson(p.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->exempt.tags, p.exempt.tags);
  EXPECT_EQ(back->exempt.groups, p.exempt.groups);
  EXPECT_EQ(back->ToJson(), p.ToJson());
  Policy bad = p;
  bad.condition.recommendation_kind = "integration";  // integrations are exempt by default
  EXPECT_NE(ValidatePolicy(bad).message().find("--include-integrations"), std::string::npos);
  bad.exempt.integrations = false;
  EXPECT_TRUE(ValidatePolicy(bad).ok());
  bad = p;
  bad.exempt.tags = {"two words"};
  EXPECT_EQ(ValidatePolicy(bad).code(), Code::kInvalidArgument);
}

TEST(Policy, MatchRecommendationByKindWithItsReason) {
  RecommendationIndex index;
  index.by_user[5] = {"light-agent", "only private notes"};
  index.by_user[6] = {"end-user", "idle"};
  store::UserWithUsage u;
  u.user.id = 5;
  std::string reason;
  EXPECT_TRUE(MatchRecommendation(index, u, "light-agent", &reason));
  EXPECT_EQ(reason, "only private notes");
  EXPECT_FALSE(MatchRecommendation(index, u, "end-user", &reason));
  u.user.id = 7;
  EXPECT_FALSE(MatchRecommendation(index, u, "light-agent", &reason));
}

// Evaluate over a store: a tagged user and a group member who would match
// are exempted with the reason; the rest match; without the groups read,
// the policy is refused rather than run over the people it spares.
TEST(Policy, EvaluateExemptsByTagAndByGroup) {
  store::testing::ScratchHome home("policy-exempt");
  auto st = home.OpenStore();
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  store::Connection conn = store::testing::TestConnection();
  conn.timezone = "UTC";
  ASSERT_TRUE((*st)->PutConnection(conn).ok());
  store::Page page;
  for (int64_t id : {11, 12, 13, 14}) {
    store::UserRecord r;
    r.id = id;
    r.name = "agent " + std::to_string(id);
    r.email = "a" + std::to_string(id) + "@x.test";
    r.role = "agent";
    r.license = "agent";
    r.seat = true;
    r.created_at = 1600000000;
    if (id == 12) r.tags = {"vip", "emea"};
    page.users.push_back(r);
  }
  ASSERT_TRUE((*st)->ApplyPage(conn.account, page, 1700000000).ok());
  Policy p;
  p.name = "idle";
  p.action = "downgrade-end-user";
  p.condition.idle_days = 30;
  p.exempt.tags = {"VIP"};
  p.exempt.groups = {"escalations"};
  auto refused = Evaluate(**st, conn, p);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kRefused);
  EXPECT_NE(refused.status().message().find("seatkeeper sync"), std::string::npos);
  store::GroupsSnapshot g;
  g.synced_at = 1700000000;
  g.names = {{100, "Support"}, {200, "Escalations"}};
  g.memberships = {{11, 100}, {13, 100}, {13, 200}, {14, 100}};
  ASSERT_TRUE(store::PutGroups(**st, conn.account, g).ok());
  auto ev = Evaluate(**st, conn, p);
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  std::vector<int64_t> matched;
  for (const auto& m : ev->matches) matched.push_back(m.user.user.id);
  EXPECT_EQ(matched, (std::vector<int64_t>{11, 14}));
  ASSERT_EQ(ev->exempted.size(), 2u);
  EXPECT_EQ(ev->exempted[0]["user_id"], 12);
  EXPECT_EQ(ev->exempted[0]["why"], "exempt by tag vip");
  EXPECT_EQ(ev->exempted[1]["user_id"], 13);
  EXPECT_EQ(ev->exempted[1]["why"], "exempt by group Escalations (200)");
  p.exempt.groups = {"200"};  // by id
  ev = Evaluate(**st, conn, p);
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(ev->exempted.size(), 2u);
  p.exempt.groups = {"Nobody"};  // a name no group has: refused, naming the known ones
  auto unknown = Evaluate(**st, conn, p);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("Escalations (200)"), std::string::npos)
      << unknown.status().message();
}

}  // namespace
}  // namespace sk::policy
