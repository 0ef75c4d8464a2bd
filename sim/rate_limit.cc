#include "rate_limit.h"

#include <cmath>
#include <cstdio>

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
  const double tick = window / 60.0 / window_factor;  // one of Zendesk's seconds, compressed
  o.reset_left = std::max(1.0, std::ceil((window - elapsed) / tick - 1e-9)) * tick;
  if (!enabled_) {  // limits off: never refused (and the server sends no rate-limit headers)
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

std::string RateLimiter::ResetText(const Outcome& o) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", o.reset_left);
  std::string t = buf;
  while (t.back() == '0') t.pop_back();
  if (t.back() == '.') t.pop_back();
  return t;
}

RateLimiter::Outcome RateLimiter::Take(const std::string& key, int limit, int window_factor) {
  return Compute(buckets_[key], limit, window_factor, true);
}

RateLimiter::Outcome RateLimiter::Peek(const std::string& key, int limit, int window_factor) {
  return Compute(buckets_[key], limit, window_factor, false);
}

}  // namespace zdsim

namespace zdsim {

std::optional<unsigned> ParseHeaderFamilies(const std::string& list) {
  unsigned mask = 0;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string name = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (name == "x-rate-limit")
      mask |= kXRateLimit;
    else if (name == "ratelimit")
      mask |= kIetf;
    else if (name == "rate-limit")
      mask |= kRateLimit2023;
    else if (name == "zendesk-ratelimit")
      mask |= kBucket;
    else if (name == "zendesk-rate-limit")
      mask |= kBucket2023;
    else if (name != "none")
      return std::nullopt;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return mask;
}

unsigned HeaderFamiliesFor(const Options& o, const std::string& path, const std::string& bucket) {
  if (!o.rate_limit_headers.empty()) return ParseHeaderFamilies(o.rate_limit_headers).value_or(0);
  const unsigned modern = kXRateLimit | kIetf | kBucket;
  if (!o.quirks.rate_limit_header_variants) return modern;
  // As recorded (zenpy cassettes, d3v-zenpydev, 2023-09 .. 2024-09):
  // Help Center and community answers carry only X-Rate-Limit.
  if (path.rfind("/api/v2/help_center", 0) == 0 || path.rfind("/api/v2/community", 0) == 0)
    return kXRateLimit;
  // The 2023 spellings, kept here by the time-based incremental exports and
  // the ticket lists (zendesk-rate-limit-tickets-index,
  // zendesk-rate-limit-deleted-tickets-destroy were recorded in 2023).
  if (bucket == "incremental-exports" || bucket == "tickets-index" || bucket == "deleted-tickets-index")
    return kXRateLimit | kRateLimit2023 | kBucket2023;
  // Newer surfaces answer without the legacy X-Rate-Limit pair (the 2025
  // recordings of newer APIs carry none of it; access logs use ratelimit-*).
  if (path.rfind("/api/v2/audit_logs", 0) == 0) return kIetf | kBucket;
  return modern;
}

}  // namespace zdsim
