// Fixed-window request buckets (account-wide and endpoint-specific), measured
// on the real clock so tests can use 1-second windows.
#pragma once

#include <chrono>
#include <string>
#include <unordered_map>

namespace zdsim {

class RateLimiter {
 public:
  RateLimiter(int window_seconds, bool enabled) : window_(window_seconds < 1 ? 1 : window_seconds), enabled_(enabled) {}

  struct Outcome {
    bool allowed = true;
    int limit = 0;
    int remaining = 0;
    int reset = 0;  // whole seconds until the window resets (>= 1)
  };
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

}  // namespace zdsim
