// Fixed-window request buckets (account-wide and endpoint-specific), measured
// on the real clock so tests can use 1-second windows.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>

#include "options.h"

namespace zdsim {

class RateLimiter {
 public:
  RateLimiter(int window_seconds, bool enabled) : window_(window_seconds < 1 ? 1 : window_seconds), enabled_(enabled) {}

  struct Outcome {
    bool allowed = true;
    int limit = 0;
    int remaining = 0;
    int reset = 0;  // whole seconds until the window resets (>= 1): Retry-After
    // Seconds until the window resets as the reset headers give them:
    // whole seconds, rounded up, as Zendesk sends them for its one-minute
    // windows. A window compressed by --rate-window-seconds keeps that
    // granularity, a 60th of the window (3-second windows: 0.05, 1.35), so
    // that rounding costs a test or bench what it costs a client of Zendesk
    // (under a second a minute). ResetText formats it.
    double reset_left = 0;
  };
  // `o.reset_left` as a header value: "5", "0.05", "1.35".
  static std::string ResetText(const Outcome& o);
  // Counts one request against `key` (limit per window * window_factor).
  Outcome Take(const std::string& key, int limit, int window_factor = 1);
  // Current state without counting.
  Outcome Peek(const std::string& key, int limit, int window_factor = 1);
  void Reset() { buckets_.clear(); }
  int window() const { return window_; }

 private:
  struct Bucket {
    std::chrono::steady_clock::time_point start;
    int used = 0;
  };
  Outcome Compute(Bucket& b, int limit, int window_factor, bool take);

  int window_;
  bool enabled_;
  std::unordered_map<std::string, Bucket> buckets_;
};

// The rate-limit header families Zendesk has sent (reference §11.3, zenpy
// recordings 2023-2024), as bits of a mask.
enum HeaderFamily : unsigned {
  kXRateLimit = 1,     // X-Rate-Limit, X-Rate-Limit-Remaining (account, no reset)
  kIetf = 2,           // ratelimit-limit, ratelimit-remaining, ratelimit-reset (2024+)
  kRateLimit2023 = 4,  // rate-limit, rate-limit-remaining, rate-limit-reset (2023)
  kBucket = 8,         // Zendesk-RateLimit-<bucket>: total=N; remaining=M; resets=S (2024+)
  kBucket2023 = 16,    // zendesk-rate-limit-<bucket>: the same value (2023)
};

// "x-rate-limit,ratelimit,rate-limit,zendesk-ratelimit,zendesk-rate-limit"
// (any subset, any order; "none" = 0) to a mask; nullopt on an unknown name.
std::optional<unsigned> ParseHeaderFamilies(const std::string& list);

// The families a response on `path` (".json" stripped) metered by endpoint
// bucket `bucket` ("" = account only) carries. Options::rate_limit_headers
// when set; else with quirks.rate_limit_header_variants the spelling varies
// by endpoint as recordings show it; else X-Rate-Limit, ratelimit-* and
// Zendesk-RateLimit-<bucket> everywhere.
unsigned HeaderFamiliesFor(const Options& o, const std::string& path, const std::string& bucket);

}  // namespace zdsim
