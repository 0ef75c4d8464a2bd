// Issue #20 part 5: a sync paces on whichever rate-limit header family
// Zendesk sends. zdsim serves exactly one family at a time
// (--rate-limit-headers); windows are 10 s of real time so the sync's
// incremental-export pages (10 per window) must be paced. The result equals
// zdsim's truth and no request is answered 429 — or, where the family hides
// the endpoint buckets, at most two per bucket (the client learns the bucket).
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "support/account.h"

namespace sk::testing {
namespace {

struct FamilyCase {
  std::string name;
  std::string families;
  // Families without Zendesk-RateLimit-<bucket> headers hide the endpoint
  // buckets: the client learns each from its first 429, and may correct the
  // estimate once (the first count can span two of Zendesk's windows), so at
  // most two per bucket, where the old client got one in every window.
  int max_429_per_bucket;
};

class SyncPacesOnOneFamily : public ::testing::TestWithParam<FamilyCase> {};

TEST_P(SyncPacesOnOneFamily, NoTooManyRequestsAndEqualsTruth) {
  zdsim::Options o = SmallAccount(21);
  o.tickets_per_day = 60;  // enough ticket events for more than 10 export pages
  o.rate_window_seconds = 10;
  // Pacing against the 10 s window is under test, not answer times: keep the
  // suite's 1/60 latency scale rather than the window's 1/6.
  o.latency_scale = 1.0 / 60;
  o.rate_limit_headers = GetParam().families;
  Account acct(o, "family-" + GetParam().name);
  ASSERT_EQ(acct.Connect().exit_code, 0);
  acct.sim().ClearRequests();
  acct.Json({"sync"});

  int incremental = 0;
  std::map<std::string, int> too_many;  // 429s by bucket
  std::string first_429;
  for (const auto& r : acct.sim().Requests()) {
    incremental += r["bucket"] == "incremental-exports";
    if (r["status"] == 429) {
      ++too_many[r["bucket"].is_string() ? r["bucket"].get<std::string>() : "account"];
      if (first_429.empty()) first_429 = r.dump();
    }
  }
  ASSERT_GT(incremental, 10)
      << "the sync must need more than one window of incremental exports to show pacing";
  for (const auto& [bucket, n] : too_many)
    EXPECT_LE(n, GetParam().max_429_per_bucket)
        << "with only " << GetParam().families << " the " << bucket << " bucket was answered 429 " << n
        << " times; first: " << first_429;

  auto users = ProjectUsers(acct.Json({"users"}));
  auto want_users = ProjectUsers(acct.sim().TruthUsers());
  // The connecting admin's last_login_at moves with API calls; compare the rest.
  auto strip = [&](nlohmann::json u) {
    for (auto& x : u)
      if (x["id"] == acct.sim().AdminId()) x["last_login_at"] = nullptr;
    return u;
  };
  EXPECT_TRUE(strip(users) == strip(want_users)) << FirstDifference(users, want_users, {"id"});
  auto usage = ProjectUsage(acct.Json({"usage"}));
  auto want_usage = ProjectUsage(acct.sim().TruthUsage(90, "UTC"));
  EXPECT_TRUE(usage == want_usage) << FirstDifference(usage, want_usage, {"date", "user_id"});
}

INSTANTIATE_TEST_SUITE_P(
    Families, SyncPacesOnOneFamily,
    ::testing::Values(FamilyCase{"only_2023_names", "rate-limit,zendesk-rate-limit", 0},
                      FamilyCase{"only_zendesk_rate_limit_buckets", "zendesk-rate-limit", 0},
                      FamilyCase{"only_ietf_and_2024_buckets", "ratelimit,zendesk-ratelimit", 0},
                      FamilyCase{"only_2023_account_names", "rate-limit", 2},
                      FamilyCase{"only_x_rate_limit", "x-rate-limit", 2}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace sk::testing
