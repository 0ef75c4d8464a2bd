#include "util/time.h"

#include <gtest/gtest.h>

namespace sk {
namespace {

TEST(Time, IsoRoundTrip) {
  EXPECT_EQ(FormatIso(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatIso(1719792000), "2024-07-01T00:00:00Z");
  EXPECT_EQ(ParseIso("2024-07-01T00:00:00Z"), 1719792000);
  EXPECT_EQ(ParseIso("2024-07-01T02:00:00+02:00"), 1719792000);
  EXPECT_EQ(ParseIso("2024-07-01T00:00:00.123Z"), 1719792000);
  EXPECT_FALSE(ParseIso("2024-13-01T00:00:00Z"));
  EXPECT_FALSE(ParseIso("yesterday"));
  EXPECT_FALSE(ParseIso("2024-07-01T00:00:00Zjunk"));
}

TEST(Time, Days) {
  EXPECT_EQ(FormatDay(0), "1970-01-01");
  EXPECT_EQ(ParseDay("2024-07-01"), 19905);
  EXPECT_EQ(FormatDay(19905), "2024-07-01");
  EXPECT_FALSE(ParseDay("2024-02-30"));
}

TEST(Time, ZonesPutInstantsOnTheirCivilDay) {
  Zone utc = Zone::Utc();
  auto berlin = Zone::Named("Europe/Berlin");
  ASSERT_TRUE(berlin.ok());
  UnixTime t = *ParseIso("2024-06-30T22:30:00Z");  // 00:30 on July 1st in Berlin (CEST)
  EXPECT_EQ(FormatDay(utc.DayOf(t)), "2024-06-30");
  EXPECT_EQ(FormatDay(berlin->DayOf(t)), "2024-07-01");
  EXPECT_EQ(berlin->StartOf(*ParseDay("2024-07-01")), *ParseIso("2024-06-30T22:00:00Z"));
  // The day DST starts has 23 hours.
  DayNumber d = *ParseDay("2024-03-31");
  EXPECT_EQ(berlin->StartOf(d + 1) - berlin->StartOf(d), 23 * 3600);
  EXPECT_EQ(berlin->DayOf(berlin->StartOf(d)), d);
  EXPECT_EQ(berlin->DayOf(berlin->StartOf(d) - 1), d - 1);
  // Negative times floor correctly.
  EXPECT_EQ(utc.DayOf(-1), -1);
}

TEST(Time, UnknownZoneIsAUsageError) {
  auto z = Zone::Named("Mars/Olympus");
  ASSERT_FALSE(z.ok());
  EXPECT_EQ(ExitCodeFor(z.status()), 2);
}

TEST(Time, PinnedNow) {
  setenv("SEATKEEPER_NOW", "2026-11-23T09:15:00Z", 1);
  EXPECT_EQ(NowUnix(), *ParseIso("2026-11-23T09:15:00Z"));
  setenv("SEATKEEPER_NOW", "1700000000", 1);
  EXPECT_EQ(NowUnix(), 1700000000);
  unsetenv("SEATKEEPER_NOW");
  EXPECT_GT(NowUnix(), 1700000000);
}

}  // namespace
}  // namespace sk
