// How long Zendesk takes to answer: a per-endpoint model of server time
// (a base plus a cost per KB of body, with jitter and a rare slow tail), so
// that a client's wall time under zdsim approaches what it would be against
// Zendesk instead of being bound by loopback microseconds (issue #19).
//
// The figures come from Zendesk's own `x-runtime` header (server time in
// seconds) in 1,329 recorded responses of the public zenpy client's test
// cassettes (2023, sim/README.md "Latency" lists them). Network transfer is
// not in x-runtime; `--latency-rtt-ms` adds a round trip if wanted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>

#include "rng.h"

namespace zdsim {

// Median server time of one answer: base seconds plus seconds per KB of body.
struct LatencyProfile {
  double base_s = 0;
  double per_kb_s = 0;
};

// The recorded profile of `method path` (path without ".json" or query).
LatencyProfile ProfileFor(const std::string& method, const std::string& path, int status);

class LatencyModel {
 public:
  // scale multiplies every time, the round trip included (0 turns the model
  // off); zdsim scales with the rate-limit window so that short-window tests
  // stay short while keeping the ratio of latency to rate limits.
  LatencyModel(double scale, double rtt_s, uint64_t seed);

  // Seconds to hold this answer before sending it. Thread-safe.
  double Delay(const std::string& method, const std::string& path, int status, size_t body_bytes);

  double scale() const { return scale_; }

 private:
  double scale_;
  double rtt_s_;
  std::mutex mu_;
  Rng rng_;
};

}  // namespace zdsim
