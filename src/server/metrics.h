// Prometheus metrics of `seatkeeper serve` (GET /metrics, text format 0.0.4):
// HTTP requests by route and status, actions by result, and what the sync
// runner reports (requests to Zendesk by endpoint and status, 429s,
// rate-limit headroom, sync progress and duration).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace sk::server {

class Metrics {
 public:
  // Adds `n` to counter `name` with `labels` (already formatted: a="x",b="y").
  void Add(const std::string& name, const std::string& labels, int64_t n = 1);
  // Sets a gauge.
  void Set(const std::string& name, const std::string& labels, double v);
  // All series in the text exposition format, with HELP/TYPE lines.
  std::string Render();

  // A label value escaped for the exposition format.
  static std::string Label(const std::string& v);

 private:
  std::mutex mu_;
  std::map<std::string, std::map<std::string, int64_t>> counters_;
  std::map<std::string, std::map<std::string, double>> gauges_;
};

}  // namespace sk::server
