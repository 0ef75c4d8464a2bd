// Unit tests of the pure parts of policies: the directory parser (CSV with
// quotes, a UTF-8 mark, JSON shapes, bad rows), statuses, policy JSON
// round trip and validation messages.
#include "policy/policy.h"

#include <gtest/gtest.h>

#include "policy/directory.h"

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
  EXPECT_EQ(RequestFor(p, 5).operation, "user.set-role");
  EXPECT_EQ(RequestFor(p, 5).fields["custom_role_id"], 7);
}

}  // namespace
}  // namespace sk::policy
