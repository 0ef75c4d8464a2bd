#include "sync/provisional.h"

#include <gtest/gtest.h>

namespace sk::sync {
namespace {

TEST(ChangesText, NothingChangedEndsTheLine) {
  VerdictConfirmation c;
  c.compared = c.unchanged = 3;
  EXPECT_EQ(ChangesText(c, "; "), ".\n");
}

TEST(ChangesText, CountThenOneSafeLinePerChange) {
  VerdictConfirmation c;
  c.changes.push_back({7, "Ada", kVerdictActive, "sign-in 2026-11-30", kVerdictIdle, "no activity"});
  c.changes.push_back({9, "Eve\x1b[2J", kVerdictIdleCandidate, "", kVerdictActive, ""});
  EXPECT_EQ(ChangesText(c, ", "),
            ", 2 changed:\n"
            "  7 Ada: provisionally active (sign-in 2026-11-30), confirmed idle: no activity\n"
            "  9 Eve\xEF\xBF\xBD[2J: provisionally an idle candidate, confirmed active\n");
}

}  // namespace
}  // namespace sk::sync
