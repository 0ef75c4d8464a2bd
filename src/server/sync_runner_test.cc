#include "server/sync_runner.h"

#include <gtest/gtest.h>

#include "server/admin_auth.h"

namespace sk::server {
namespace {

TEST(DailyTimeTest, ParsesHoursAndMinutes) {
  auto t = ParseDailyTime("03:00");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->hour, 3);
  EXPECT_EQ(t->minute, 0);
  EXPECT_EQ(ParseDailyTime("23:59")->minute, 59);
  for (const char* bad : {"24:00", "3:00", "03:60", "0300", "ab:cd", "", "03:00 "})
    EXPECT_FALSE(ParseDailyTime(bad)) << bad;
}

TEST(DailyTimeTest, NextRunIsTheNextLocalTimeInTheZone) {
  const UnixTime t = *ParseIso("2026-11-23T10:00:00Z");
  EXPECT_EQ(FormatIso(NextDailyRun(Zone::Utc(), {3, 0}, t)), "2026-11-24T03:00:00Z");
  EXPECT_EQ(FormatIso(NextDailyRun(Zone::Utc(), {11, 30}, t)), "2026-11-23T11:30:00Z");
  // Exactly at the time: the next day's.
  EXPECT_EQ(FormatIso(NextDailyRun(Zone::Utc(), {10, 0}, t)), "2026-11-24T10:00:00Z");
  // 03:00 in Berlin (UTC+1 in November) is 02:00Z.
  auto berlin = Zone::Named("Europe/Berlin");
  ASSERT_TRUE(berlin.ok());
  EXPECT_EQ(FormatIso(NextDailyRun(*berlin, {3, 0}, t)), "2026-11-24T02:00:00Z");
  // 00:30 Berlin on the 23rd was 23:30Z on the 22nd: already past at 10:00Z.
  EXPECT_EQ(FormatIso(NextDailyRun(*berlin, {0, 30}, t)), "2026-11-23T23:30:00Z");
}

TEST(LoginThrottleTest, RefusesAfterTooManyFailuresUntilASuccessOrTheWindowPasses) {
  LoginThrottle throttle(3, 60);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(throttle.Allow());
    throttle.Failed();
  }
  EXPECT_FALSE(throttle.Allow());
  throttle.Succeeded();
  EXPECT_TRUE(throttle.Allow());
  LoginThrottle zero_window(1, 0);
  zero_window.Failed();
  EXPECT_TRUE(zero_window.Allow());
}

TEST(SessionStoreTest, PendingConnectStatesAreSingleUseAndPerSession) {
  SessionStore sessions;
  Session a = sessions.Create();
  Session b = sessions.Create();
  EXPECT_NE(a.id, b.id);
  EXPECT_NE(a.csrf_token, b.csrf_token);
  EXPECT_EQ(a.id.size(), 64u);
  PendingConnect p;
  p.url = "https://acme.zendesk.com";
  sessions.AddPending(a.id, "s1", p);
  EXPECT_FALSE(sessions.TakePending(b.id, "s1"));
  EXPECT_TRUE(sessions.TakePending(a.id, "s1"));
  EXPECT_FALSE(sessions.TakePending(a.id, "s1"));
  sessions.Destroy(a.id);
  EXPECT_FALSE(sessions.Find(a.id));
  EXPECT_TRUE(sessions.Find(b.id));
}

TEST(SessionStoreTest, IdleSessionsExpire) {
  SessionStore sessions(/*idle_seconds=*/-1, /*absolute_seconds=*/3600);
  Session s = sessions.Create();
  EXPECT_FALSE(sessions.Find(s.id));
}

}  // namespace
}  // namespace sk::server
