// Zendesk rate-limit bookkeeping: parses every rate-limit header family,
// tracks limit/remaining/reset per Bucket, computes proactive pacing delays
// for an API budget share, and retry delays (Retry-After, backoff + jitter).
// Times are seconds on a caller-supplied monotonic clock; no sleeping here.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zendesk/client.h"

namespace sk::zendesk {

// One observation of a limit window.
struct RateWindow {
  std::optional<int> limit;
  std::optional<int> remaining;
  std::optional<double> reset_seconds;  // seconds until the window resets
};

struct RateLimitHeaders {
  // Account-wide family: X-Rate-Limit / X-Rate-Limit-Remaining, ratelimit-*,
  // rate-limit-* (older). The IETF family wins when both are present.
  RateWindow account;
  // Zendesk-RateLimit-<name>: total=N; remaining=M; resets=S (also the 2023
  // spelling zendesk-rate-limit-<name>), by <name> lower-cased
  // ("incremental-exports").
  std::map<std::string, RateWindow> named;
  std::optional<double> retry_after;  // seconds (integer, decimal or HTTP date)
};

// `headers` keys must be lower case. `now_unix` converts HTTP dates.
RateLimitHeaders ParseRateLimitHeaders(const std::map<std::string, std::string>& headers, double now_unix);

// Maps a Zendesk-RateLimit-<name> bucket name to ours; nullopt when unknown.
std::optional<Bucket> BucketForHeaderName(std::string_view name);

// Exponential backoff for retry number `retry` (0-based): 1,2,4,..,64 s with
// ±20 % jitter; `unit_random` in [0,1).
double BackoffSeconds(int retry, double unit_random);
// Retry-After honoured exactly plus up to 10 % jitter.
double RetryAfterSeconds(double retry_after, double unit_random);

class RateLimiter {
 public:
  // budget_percent is clamped to 1..100.
  explicit RateLimiter(int budget_percent);

  // Seconds to wait before sending one request on `bucket` so that the
  // remaining quota never falls below limit*(100-P)/100 (at P=100 a reserve
  // of floor(2 % of limit) requests: 14 of 700, none of 10). Account-bucket
  // limits also gate every Support bucket.
  double DelayBefore(Bucket bucket, double now) const;
  // Records that a request is being sent (local decrement of remaining).
  void NoteSent(Bucket bucket, double now);
  // After sleeping until `until`: windows of `bucket` (and the account) that
  // reset by then are assumed full again; with `force` (Zendesk's own
  // Retry-After has elapsed) they are assumed full regardless.
  void AssumeWaited(Bucket bucket, double until, bool force = false);
  // Updates state from a response's headers.
  void Observe(Bucket bucket, const RateLimitHeaders& h, double now);
  // `n` requests on `bucket`'s window were sent and not answered yet when an
  // answer's remaining count was observed: Zendesk may not have counted them,
  // so they come off it (several threads share the client).
  void Discount(Bucket bucket, int n);
  // A 429 on an endpoint `bucket` whose answers carry no header for it (older
  // header families give only the account window): learns the bucket's limit
  // as the requests sent since its window began and its window as ending at
  // Retry-After, then paces that bucket by itself, so one 429 per bucket
  // replaces a 429 in every window. Nothing happens when the answer names the
  // bucket, or when the account window is the one exhausted.
  void NoteRateLimited(Bucket bucket, const RateLimitHeaders& h, double now);

  struct State {
    std::optional<int> limit;
    std::optional<int> remaining;
    double reset_at = 0;  // monotonic seconds; 0 = unknown
    double window = 0;    // > 0: learned from a 429 (no header); windows of this length
  };
  const State* StateOf(Bucket bucket) const;

 private:
  double DelayFor(const State& s, double now) const;
  void Update(State& s, const RateWindow& w, double now);

  int budget_percent_;
  std::map<Bucket, State> states_;
  // Requests sent per bucket since the window being learned began.
  struct Tally {
    int sent = 0;
    double since = 0;
  };
  std::map<Bucket, Tally> tallies_;
};

}  // namespace sk::zendesk
