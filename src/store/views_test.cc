#include "store/views.h"

#include <gtest/gtest.h>

namespace sk::store {
namespace {

std::string Dumped(const UserWithUsage& u) {
  return UserJson(u).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

TEST(ViewsTest, AppendUserJsonHasTheBytesOfUserJson) {
  UserWithUsage u;
  u.user.id = 42;
  u.user.name = "Ann \"the admin\" O'Neil\\\n\t\r\b\f\x01\x1f\x7f end";
  u.user.role = "admin";
  u.user.license = "admin";
  u.user.seat = true;
  std::string out;
  AppendUserJson(&out, u);
  EXPECT_EQ(out, Dumped(u));

  u.user.email = "ann@example.com";
  u.user.custom_role = "Überadmin 管理者 🚀";
  u.user.suspended = true;
  u.user.deleted = true;
  u.user.last_login_at = 1764064800;
  u.active_days = 17;
  u.last_active_day = 20416;
  out.clear();
  AppendUserJson(&out, u);
  EXPECT_EQ(out, Dumped(u));

  u.user.name = std::string("broken \xff\xfe utf-8 \xc3");  // replaced the way nlohmann replaces it
  u.user.email = std::string("");
  out = "[";
  AppendUserJson(&out, u);
  EXPECT_EQ(out, "[" + Dumped(u));
}

TEST(ViewsTest, AppendUserJsonFormatsDatesAsFormatDayAndFormatIso) {
  UserWithUsage u;
  u.user.name = "n";
  for (int64_t t :
       {int64_t{0}, int64_t{-1}, int64_t{-86400}, int64_t{-86401}, int64_t{951782399}, int64_t{951868800},
        int64_t{1764064800}, int64_t{1764151199}, int64_t{4102444800}, int64_t{253402300799},
        int64_t{253402300800}, int64_t{-62135596800}, int64_t{-62135596801}}) {
    u.user.last_login_at = t;
    u.last_active_day = static_cast<DayNumber>(t / 86400);
    std::string out;
    AppendUserJson(&out, u);
    EXPECT_EQ(out, Dumped(u)) << t;
  }
}

TEST(ViewsTest, AppendSummaryJsonHasTheBytesOfSummaryJson) {
  DaySummary d;
  d.day = 20417;
  std::string out;
  AppendSummaryJson(&out, d);
  EXPECT_EQ(out, SummaryJson(d).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  d.active_users = 12;
  d.by_license = {{"agent", 7}, {"end-user", 4}, {"light-agent", 1}, {"we\"ird\x01", 0}};
  d.paid_seats = 500;
  d.idle_paid_seats = 493;
  out.clear();
  AppendSummaryJson(&out, d);
  EXPECT_EQ(out, SummaryJson(d).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace
}  // namespace sk::store
