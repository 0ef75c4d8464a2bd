// Users' tags and the group lists (reclaim policies' --exempt-tags and
// --exempt-groups) through the parsers: the tags of every user of a real
// recorded user export (SK_SHARED_DIR, skipped when absent), the reference's
// sample user with tags, and /groups and /group_memberships pages of the shape
// the zenpy recordings TestGroupCreateUpdateDelete / TestGroupMemberships show
// (values made up).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <tuple>

#include "zendesk/parse.h"

namespace sk::zendesk {
namespace {

using nlohmann::json;

TEST(ParseTags, EveryUserOfARecordedExportKeepsItsTags) {
  const std::string path =
      std::string(SK_SHARED_DIR) + "/fixtures/zendesk-recorded/UsersIncrementalTest.test_get_values.json";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "recorded Zendesk fixtures not found at " << path;
  std::ifstream in(path);
  const json f = json::parse(in);
  size_t users = 0;
  for (const auto& x : f["interactions"]) {
    const json& body = x["response"]["body"];
    if (!body.is_object() || !body.contains("users")) continue;
    auto page = ParseIncrementalUsersPage(body.dump());
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ASSERT_EQ(page->items.size(), body["users"].size());
    for (size_t i = 0; i < page->items.size(); ++i, ++users)
      EXPECT_EQ(page->items[i].tags, body["users"][i]["tags"].get<std::vector<std::string>>());
  }
  EXPECT_GT(users, 0u);
}

TEST(ParseTags, SampleUserWithTags) {
  // The reference's minimal realistic user (§4.1), tagged as an account with user tagging does.
  const std::string body =
      R"({"user":{"id":384953442471,"url":"https://acme.zendesk.com/api/v2/users/384953442471.json",
 "name":"Jane Agent","email":"jane@acme.test","created_at":"2023-05-02T10:11:12Z",
 "updated_at":"2024-06-01T08:00:00Z","time_zone":"UTC","iana_time_zone":"Etc/UTC",
 "locale":"en-US","locale_id":1,"organization_id":null,"role":"agent","verified":true,
 "external_id":null,"tags":["vip","emea_team"],"alias":"","active":true,"shared":false,"shared_agent":false,
 "last_login_at":"2024-06-01T07:59:30Z","two_factor_auth_enabled":null,"signature":"",
 "details":"","notes":"","role_type":null,"custom_role_id":null,"moderator":true,
 "ticket_restriction":null,"only_private_comments":false,"restricted_agent":false,
 "suspended":false,"default_group_id":360001234567,"report_csv":false,"user_fields":{}}})";
  auto u = ParseUserResponse(body);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->tags, (std::vector<std::string>{"vip", "emea_team"}));
  auto none = ParseUserResponse(R"({"user":{"id":1,"name":"x","role":"agent","tags":null}})");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->tags.empty());
}

TEST(ParseGroups, GroupsAndMembershipsCursorPages) {
  const std::string groups =
      R"({"groups":[{"url":"https://acme.zendesk.com/api/v2/groups/6130852536346.json","id":6130852536346,
 "is_public":true,"name":"Support","description":"","default":true,"deleted":false,
 "created_at":"2023-09-09T23:52:02Z","updated_at":"2023-09-09T23:52:02Z"},
 {"url":"https://acme.zendesk.com/api/v2/groups/6164094475034.json","id":6164094475034,"is_public":false,
 "name":"Escalations","description":"","default":false,"deleted":true,
 "created_at":"2023-09-18T23:34:56Z","updated_at":"2023-09-18T23:34:56Z"}],
 "meta":{"has_more":false,"after_cursor":"eyJvIjoibmFtZSxpZCJ9","before_cursor":"eyJvIjoibmFtZSxpZCJ9"},
 "links":{"prev":"https://acme.zendesk.com/api/v2/groups.json?page%5Bbefore%5D=x&page%5Bsize%5D=100",
 "next":"https://acme.zendesk.com/api/v2/groups.json?page%5Bafter%5D=y&page%5Bsize%5D=100"}})";
  auto g = ParseGroupsPage(groups);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  std::vector<std::tuple<int64_t, std::string, bool>> got;  // id, name, deleted
  for (const auto& x : g->items) got.emplace_back(x.id, x.name, x.deleted);
  EXPECT_EQ(got, (decltype(got){{6130852536346, "Support", false}, {6164094475034, "Escalations", true}}));
  EXPECT_FALSE(g->has_more);

  const std::string members =
      R"({"group_memberships":[{"url":"https://acme.zendesk.com/api/v2/group_memberships/6130855204506.json",
 "id":6130855204506,"user_id":6130871991962,"group_id":6130852536346,"default":true,
 "created_at":"2023-09-10T00:03:20Z","updated_at":"2023-09-10T00:03:20Z"}],
 "meta":{"has_more":true,"after_cursor":"eyJvIjoiaWQiLCJ2IjoiYVpwV2NuT1RCUUFBIn0=",
 "before_cursor":"eyJvIjoiaWQiLCJ2IjoiYVpwV2NuT1RCUUFBIn0="},
 "links":{"prev":"https://acme.zendesk.com/api/v2/group_memberships.json?page%5Bbefore%5D=eyJvIjoiaWQiLCJ2IjoiYVpwV2NuT1RCUUFBIn0%3D&page%5Bsize%5D=1",
 "next":"https://acme.zendesk.com/api/v2/group_memberships.json?page%5Bafter%5D=eyJvIjoiaWQiLCJ2IjoiYVpwV2NuT1RCUUFBIn0%3D&page%5Bsize%5D=1"}})";
  auto m = ParseGroupMembershipsPage(members);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ(m->items.size(), 1u);
  EXPECT_EQ(m->items[0].id, 6130855204506);
  EXPECT_EQ(m->items[0].user_id, 6130871991962);
  EXPECT_EQ(m->items[0].group_id, 6130852536346);
  EXPECT_TRUE(m->items[0].is_default);
  EXPECT_TRUE(m->has_more);
  EXPECT_EQ(m->after_cursor, "eyJvIjoiaWQiLCJ2IjoiYVpwV2NuT1RCUUFBIn0=");
  EXPECT_FALSE(ParseGroupMembershipsPage(R"({"groups":[]})").ok());  // not this list
}

}  // namespace
}  // namespace sk::zendesk
