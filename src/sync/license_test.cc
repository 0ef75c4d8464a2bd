#include "sync/license.h"

#include <gtest/gtest.h>

namespace sk::sync {
namespace {

zendesk::User U(const std::string& role, std::optional<int> role_type, std::optional<int64_t> custom = std::nullopt) {
  zendesk::User u;
  u.id = 1;
  u.role = role;
  u.role_type = role_type;
  u.custom_role_id = custom;
  return u;
}

TEST(License, ZendeskSeatRules) {
  std::map<int64_t, zendesk::CustomRole> roles = {
      {10, {10, "Light Agent", 1, true}}, {11, {11, "Tier 2 Support", 0, false}}, {12, {12, "Admin", 4, false}}};
  struct Case {
    zendesk::User u;
    std::string license;
    bool seat;
  } cases[] = {
      {U("end-user", std::nullopt), "end-user", false},
      {U("admin", 4, 12), "admin", true},
      {U("admin", 5), "billing-admin", true},
      {U("agent", std::nullopt), "agent", true},  // plain agent below Enterprise
      {U("agent", 0, 11), "agent", true},         // custom-role agent
      {U("agent", 1, 10), "light-agent", false},
      {U("agent", std::nullopt, 10), "light-agent", false},  // role says light agent
      {U("agent", 3), "contributor", false},
      {U("agent", 2), "chat-agent", true},
  };
  for (const auto& c : cases) {
    License l = Classify(c.u, roles);
    EXPECT_EQ(l.type, c.license) << c.u.role << " " << c.u.role_type.value_or(-1);
    EXPECT_EQ(l.seat, c.seat) << c.license;
  }
  EXPECT_EQ(Classify(U("agent", 0, 11), roles).custom_role, "Tier 2 Support");
  auto suspended = U("agent", std::nullopt);
  suspended.suspended = true;
  EXPECT_TRUE(Classify(suspended, roles).seat) << "a suspended agent still holds a seat";
  auto shared = U("agent", std::nullopt);
  shared.shared_agent = true;
  EXPECT_FALSE(Classify(shared, roles).seat);
  auto deleted = U("agent", std::nullopt);
  deleted.active = false;
  EXPECT_FALSE(Classify(deleted, roles).seat);
  auto rec = ToRecord(deleted, roles, true);
  EXPECT_TRUE(rec.deleted);
  EXPECT_EQ(rec.deleted_kind, "soft");
  EXPECT_EQ(ToRecord(deleted, roles, false).deleted_kind, "permanent");
}

}  // namespace
}  // namespace sk::sync
