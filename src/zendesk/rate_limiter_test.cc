#include "zendesk/rate_limiter.h"

#include <gtest/gtest.h>

namespace sk::zendesk {
namespace {

TEST(ParseRateLimitHeadersTest, AllFamilies) {
  auto legacy = ParseRateLimitHeaders({{"x-rate-limit", "700"}, {"x-rate-limit-remaining", "699"}}, 0);
  EXPECT_EQ(legacy.account.limit, 700);
  EXPECT_EQ(legacy.account.remaining, 699);
  EXPECT_FALSE(legacy.account.reset_seconds.has_value());

  auto ietf = ParseRateLimitHeaders({{"x-rate-limit", "700"},
                                     {"x-rate-limit-remaining", "676"},
                                     {"ratelimit-limit", "700"},
                                     {"ratelimit-remaining", "675"},
                                     {"ratelimit-reset", "49"}},
                                    0);
  EXPECT_EQ(ietf.account.remaining, 675);
  EXPECT_EQ(ietf.account.reset_seconds, 49);

  auto older = ParseRateLimitHeaders(
      {{"rate-limit", "400"}, {"rate-limit-remaining", "10"}, {"rate-limit-reset", "7"}}, 0);
  EXPECT_EQ(older.account.limit, 400);
  EXPECT_EQ(older.account.remaining, 10);
  EXPECT_EQ(older.account.reset_seconds, 7);

  auto named =
      ParseRateLimitHeaders({{"zendesk-ratelimit-incremental-exports", "total=10; remaining=9; resets=42"},
                             {"zendesk-ratelimit-tickets-index", "total=100; remaining=99; resets=43"},
                             {"retry-after", "17"}},
                            0);
  ASSERT_EQ(named.named.count("incremental-exports"), 1u);
  EXPECT_EQ(named.named["incremental-exports"].limit, 10);
  EXPECT_EQ(named.named["incremental-exports"].remaining, 9);
  EXPECT_EQ(named.named["incremental-exports"].reset_seconds, 42);
  EXPECT_EQ(named.retry_after, 17);

  auto date = ParseRateLimitHeaders({{"retry-after", "Wed, 21 Oct 2015 07:28:30 GMT"}}, 1445412480);
  EXPECT_EQ(date.retry_after, 30);
}

TEST(BucketForHeaderNameTest, Mapping) {
  EXPECT_EQ(BucketForHeaderName("incremental-exports"), Bucket::kIncremental);
  EXPECT_EQ(BucketForHeaderName("incremental-exports-cursor"), Bucket::kIncrementalCursor);
  EXPECT_EQ(BucketForHeaderName("deleted-tickets-index"), Bucket::kDeletedTickets);
  EXPECT_EQ(BucketForHeaderName("create-update-user"), Bucket::kUserUpdate);
  EXPECT_FALSE(BucketForHeaderName("tickets-index").has_value());
}

TEST(BackoffTest, Ranges) {
  EXPECT_DOUBLE_EQ(BackoffSeconds(0, 0.5), 1.0);
  EXPECT_DOUBLE_EQ(BackoffSeconds(3, 0.5), 8.0);
  EXPECT_DOUBLE_EQ(BackoffSeconds(10, 0.5), 64.0);
  EXPECT_DOUBLE_EQ(BackoffSeconds(2, 0.0), 4 * 0.8);
  EXPECT_NEAR(BackoffSeconds(2, 0.999999), 4 * 1.2, 1e-4);
  EXPECT_DOUBLE_EQ(RetryAfterSeconds(30, 0.0), 30);
  EXPECT_LE(RetryAfterSeconds(30, 0.99), 33);
}

// Feeds `limiter` an answer whose account limit headers say `remaining` of
// 700 are left, resetting in `reset` seconds, at time `at`.
void ObserveAccount(RateLimiter& limiter, int remaining, double reset, double at) {
  RateLimitHeaders h;
  h.account = {700, remaining, reset};
  limiter.Observe(Bucket::kAccount, h, at);
}

// The delay before the next account request after such an answer at `at`.
double DelayAfter(RateLimiter& limiter, int remaining, double reset, double at) {
  ObserveAccount(limiter, remaining, reset, at);
  return limiter.DelayBefore(Bucket::kAccount, at);
}

TEST(RateLimiterTest, PacesBelowBudgetShare) {
  RateLimiter half(50);
  EXPECT_EQ(DelayAfter(half, 400, 20.0, 100), 0);
  EXPECT_DOUBLE_EQ(DelayAfter(half, 350, 20.0, 100), 20.0);
  // Any Support bucket is gated by the account budget too.
  EXPECT_DOUBLE_EQ(half.DelayBefore(Bucket::kIncremental, 105), 15.0);
  half.AssumeWaited(Bucket::kAccount, 120);
  EXPECT_EQ(half.DelayBefore(Bucket::kAccount, 120), 0);
}

// At 100 %, floor(2 %) of a window in whole requests stays unused: 14 of
// the account's 700, none of a bucket under 50 a minute (the incremental
// exports' 10: a reserve of one cost a tenth of the backfill's time).
TEST(RateLimiterTest, FullBudgetKeepsSmallReserve) {
  RateLimiter full(100);
  EXPECT_EQ(DelayAfter(full, 20, 30.0, 0), 0);
  EXPECT_EQ(DelayAfter(full, 15, 30.0, 0), 0);
  EXPECT_GT(DelayAfter(full, 14, 30.0, 0), 0);

  RateLimiter exports(100);
  RateLimitHeaders h;
  h.named["incremental-exports"] = {10, 10, 60.0};
  exports.Observe(Bucket::kIncremental, h, 0);
  int sent = 0;
  for (; sent < 20 && exports.DelayBefore(Bucket::kIncremental, 1) == 0; ++sent)
    exports.NoteSent(Bucket::kIncremental, 1);
  EXPECT_EQ(sent, 10);
  EXPECT_DOUBLE_EQ(exports.DelayBefore(Bucket::kIncremental, 1), 59.0);
}

TEST(RateLimiterTest, NamedBucketAndLocalCount) {
  RateLimiter full(100);
  RateLimitHeaders h;
  h.named["incremental-exports"] = {10, 2, 40.0};
  full.Observe(Bucket::kIncremental, h, 0);
  EXPECT_EQ(full.DelayBefore(Bucket::kIncremental, 0), 0);
  full.NoteSent(Bucket::kIncremental, 0);  // remaining 1 now: the last one may go
  EXPECT_EQ(full.DelayBefore(Bucket::kIncremental, 5), 0);
  full.NoteSent(Bucket::kIncremental, 5);  // remaining 0
  EXPECT_DOUBLE_EQ(full.DelayBefore(Bucket::kIncremental, 10), 30.0);
  EXPECT_EQ(full.DelayBefore(Bucket::kAccount, 10), 0);
}

TEST(ParseRateLimitHeadersTest, TheHyphenated2023BucketSpelling) {
  // zenpy recordings, 2023-09: "zendesk-rate-limit-<bucket>" (a hyphen in rate-limit).
  auto h =
      ParseRateLimitHeaders({{"rate-limit", "700"},
                             {"rate-limit-remaining", "535"},
                             {"rate-limit-reset", "12"},
                             {"zendesk-rate-limit-incremental-exports", "total=10; remaining=3; resets=12"}},
                            0);
  EXPECT_EQ(h.account.limit, 700);
  ASSERT_EQ(h.named.count("incremental-exports"), 1u);
  EXPECT_EQ(h.named["incremental-exports"].remaining, 3);
  RateLimiter limiter(100);
  limiter.Observe(Bucket::kIncremental, h, 0);
  ASSERT_NE(limiter.StateOf(Bucket::kIncremental), nullptr);
  EXPECT_EQ(limiter.StateOf(Bucket::kIncremental)->limit, 10);
}

// Answers that carry only the account window (X-Rate-Limit, ratelimit-*,
// rate-limit-*): the first 429 of an endpoint bucket teaches its limit and
// window, and later windows are paced without another 429.
TEST(RateLimiterTest, LearnsABucketFromItsFirst429WhenNoHeaderNamesIt) {
  RateLimiter limiter(100);
  RateLimitHeaders account_only;
  account_only.account = {700, 600, 40.0};
  for (int i = 0; i < 11; ++i) {
    EXPECT_EQ(limiter.DelayBefore(Bucket::kIncremental, i), 0) << i;
    limiter.NoteSent(Bucket::kIncremental, i);
    limiter.Observe(Bucket::kIncremental, account_only, i);
  }
  RateLimitHeaders refused = account_only;
  refused.retry_after = 50;  // the window began at t=0 and ends at t=60
  limiter.NoteRateLimited(Bucket::kIncremental, refused, 10);
  const RateLimiter::State* s = limiter.StateOf(Bucket::kIncremental);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->limit, 10);
  EXPECT_DOUBLE_EQ(s->window, 60);
  EXPECT_DOUBLE_EQ(limiter.DelayBefore(Bucket::kIncremental, 10), 50);
  limiter.AssumeWaited(Bucket::kIncremental, 60, /*force=*/true);
  // The next window: all 10 requests go (no reserve under 50 a minute), the 11th waits for the window's end.
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(limiter.DelayBefore(Bucket::kIncremental, 60 + i), 0) << i;
    limiter.NoteSent(Bucket::kIncremental, 60 + i);
  }
  EXPECT_DOUBLE_EQ(limiter.DelayBefore(Bucket::kIncremental, 70), 50);
  // Other buckets are untouched.
  EXPECT_EQ(limiter.DelayBefore(Bucket::kDeletedTickets, 70), 0);

  // Nothing is learned when the answer names the bucket or the account window is spent.
  RateLimiter other(100);
  RateLimitHeaders named;
  named.named["incremental-exports"] = {10, 0, 30.0};
  named.retry_after = 30;
  other.NoteSent(Bucket::kIncremental, 0);
  other.NoteRateLimited(Bucket::kIncremental, named, 0);
  EXPECT_EQ(other.StateOf(Bucket::kIncremental), nullptr);
  RateLimitHeaders spent;
  spent.account = {700, 0, 30.0};
  other.NoteRateLimited(Bucket::kDeletedTickets, spent, 0);
  EXPECT_EQ(other.StateOf(Bucket::kDeletedTickets), nullptr);
}

}  // namespace
}  // namespace sk::zendesk
