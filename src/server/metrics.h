// Prometheus metrics of `seatkeeper serve` (GET /metrics, text format 0.0.4):
// HTTP requests by route and status, actions by kind and result, and what
// the sync runner reports per account (requests to Zendesk by rate-limit
// bucket and status, 429s, time spent waiting, rate-limit headroom, sync
// progress, duration and last success). Every family is documented in
// Families() (HELP text and type); names follow Prometheus conventions.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "zendesk/client.h"

namespace sk::server {

struct MetricFamily {
  std::string name;
  std::string type;  // "counter" | "gauge"
  std::string help;
};

class Metrics {
 public:
  // Every family seatkeeper exports (README's metrics table lists the same).
  static const std::vector<MetricFamily>& Families();

  // Adds `n` (≥ 0) to counter `name` with `labels` (already formatted:
  // a="x",b="y"). `name` must be a counter of Families().
  void Add(const std::string& name, const std::string& labels, double n = 1);
  // Sets a gauge of Families().
  void Set(const std::string& name, const std::string& labels, double v);
  // All series in the text exposition format, with HELP/TYPE lines.
  std::string Render();

  // A label value escaped for the exposition format.
  static std::string Label(const std::string& v);

 private:
  std::mutex mu_;
  std::map<std::string, std::map<std::string, double>> series_;
};

// Adds what a Zendesk client did (the seatkeeper_zendesk_* families) for `account`.
void RecordClientStats(Metrics& metrics, const std::string& account, const zendesk::ClientStats& stats);

// Records `client`'s counters (RecordClientStats) when destroyed, if it is
// set by then: whatever way a handler returns, its requests count.
class RecordClientStatsOnExit {
 public:
  RecordClientStatsOnExit(Metrics& metrics, std::string account,
                          const std::unique_ptr<zendesk::Client>& client)
      : metrics_(metrics), account_(std::move(account)), client_(client) {}
  ~RecordClientStatsOnExit() {
    if (client_) RecordClientStats(metrics_, account_, client_->stats());
  }
  RecordClientStatsOnExit(const RecordClientStatsOnExit&) = delete;
  RecordClientStatsOnExit& operator=(const RecordClientStatsOnExit&) = delete;

 private:
  Metrics& metrics_;
  std::string account_;
  const std::unique_ptr<zendesk::Client>& client_;
};

}  // namespace sk::server
