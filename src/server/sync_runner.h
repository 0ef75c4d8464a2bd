// Background syncs for the web server: one at a time, started on request
// (POST /api/sync, after an OAuth connect) or by the daily schedule at a
// local time in the connection's zone. Progress (phase, fraction, ETA) is
// kept for /api/status while a sync runs.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "server/metrics.h"
#include "store/store.h"
#include "sync/source.h"

namespace sk::server {

struct DailyTime {
  int hour = 3;
  int minute = 0;
};
// Parses "HH:MM" (00:00 .. 23:59).
std::optional<DailyTime> ParseDailyTime(const std::string& s);

// The first instant after `now` that is `at` local time in `zone`.
UnixTime NextDailyRun(const Zone& zone, DailyTime at, UnixTime now);

class SyncRunner {
 public:
  // `store` (and `metrics`, when given) must outlive the runner. `ca_file`
  // is passed to the client.
  SyncRunner(store::Store* store, std::string account, std::string ca_file, Metrics* metrics = nullptr);
  ~SyncRunner();  // stops the schedule and waits for a running sync
  SyncRunner(const SyncRunner&) = delete;
  SyncRunner& operator=(const SyncRunner&) = delete;

  // Starts a sync in the background; false (and nothing started) when one
  // is already running. `reason`: "manual", "connect", "schedule".
  bool Start(const std::string& reason);
  bool running();
  // Blocks until no sync runs (tests).
  void WaitIdle();

  // Runs the daily schedule on its own thread until the runner is destroyed.
  void StartSchedule(DailyTime at);

  // {"running", "reason", "started_at", "phase", "pages", "records",
  //  "fraction", "eta_seconds", "last_result", "last_error", "last_finished_at",
  //  "next_scheduled_at"}
  nlohmann::json Snapshot();

 private:
  void Run(std::string reason);
  void ScheduleLoop(DailyTime at);

  store::Store* store_;
  std::string account_;
  std::string ca_file_;
  Metrics* metrics_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool running_ = false;
  bool stopping_ = false;
  std::string reason_;
  UnixTime started_at_ = 0;
  sync::Progress progress_;
  std::string last_result_;
  std::string last_error_;
  UnixTime last_finished_at_ = 0;
  std::optional<UnixTime> next_scheduled_at_;
  std::thread worker_;
  std::thread scheduler_;
};

}  // namespace sk::server
