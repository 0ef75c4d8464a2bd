#include "rate_limit.h"

#include <cmath>

namespace zdsim {

RateLimiter::Outcome RateLimiter::Compute(Bucket& b, int limit, int window_factor, bool take) {
  const auto now = std::chrono::steady_clock::now();
  const double window = static_cast<double>(window_) * window_factor;
  double elapsed = std::chrono::duration<double>(now - b.start).count();
  if (b.used == 0 || elapsed >= window) {
    b.start = now;
    b.used = 0;
    elapsed = 0;
  }
  Outcome o;
  o.limit = limit;
  o.reset = std::max(1, static_cast<int>(std::ceil(window - elapsed)));
  if (!enabled_) {  // limits off: every window looks untouched, so clients never pace
    o.remaining = limit;
    return o;
  }
  if (take) {
    if (b.used >= limit) {
      o.allowed = false;
    } else {
      ++b.used;
    }
  }
  o.remaining = std::max(0, limit - b.used);
  return o;
}

RateLimiter::Outcome RateLimiter::Take(const std::string& key, int limit, int window_factor) {
  return Compute(buckets_[key], limit, window_factor, true);
}

RateLimiter::Outcome RateLimiter::Peek(const std::string& key, int limit, int window_factor) {
  return Compute(buckets_[key], limit, window_factor, false);
}

}  // namespace zdsim
