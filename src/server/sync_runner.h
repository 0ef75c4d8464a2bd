// Background syncs for the web server: one at a time, started on request
// (POST /api/sync, after an OAuth connect) or by the daily schedule at a
// local time in the connection's zone. Each sync holds the account's lease
// in the sync queue, the one `seatkeeper worker` processes take, so a web
// server and a worker (or two web servers) never sync one Zendesk account at
// the same time. Progress (phase, fraction, ETA) is kept for /api/status.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "server/metrics.h"
#include "store/store.h"
#include "store/sync_queue.h"
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

struct SyncRunnerOptions {
  std::string account = "default";
  std::string ca_file;  // extra CA bundle for the Zendesk client
  // The queue whose per-account lease every sync holds. Null only for a
  // single process with no workers (tests); then syncs take no lease.
  store::SyncQueue* queue = nullptr;
  std::string lease_owner;  // default "web:<host>:<pid>"
  int lease_seconds = 60;
  int heartbeat_seconds = 20;
  // Called (from the heartbeat thread) when the lease was lost mid-sync:
  // another process owns the account now. `seatkeeper serve` exits.
  std::function<void(const store::Lease&)> on_lease_lost;
};

class SyncRunner {
 public:
  // `store`, `options.queue` and `metrics` (when given) must outlive the runner.
  SyncRunner(store::Store* store, SyncRunnerOptions options, Metrics* metrics = nullptr);
  ~SyncRunner();  // stops the schedule and waits for a running sync
  SyncRunner(const SyncRunner&) = delete;
  SyncRunner& operator=(const SyncRunner&) = delete;

  // Claims the account's lease and starts a sync in the background; false
  // (and nothing started) when a sync already runs here, or another process
  // holds the lease (Snapshot()'s "refused" says which). `reason`:
  // "manual", "connect", "schedule".
  bool Start(const std::string& reason);
  bool running();
  // Blocks until no sync runs (tests).
  void WaitIdle();

  // One look at the clock for the daily schedule: (re)computes the next run
  // at `at` in the connection's zone and starts a "schedule" sync when it is
  // due. The schedule thread of AccountSyncRunners calls it every 20 s.
  void ScheduleTick(DailyTime at);

  // {"running", "reason", "started_at", "phase", "pages", "records",
  //  "fraction", "eta_seconds", "last_result", "last_error", "last_finished_at",
  //  "next_scheduled_at", "refused"}
  nlohmann::json Snapshot();

 private:
  void Run(std::string reason, std::optional<store::Lease> lease);
  Status SyncOnce(const std::string& run_id);

  store::Store* store_;
  SyncRunnerOptions opt_;
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
  std::string refused_;  // why the last Start did not start, "" when it did
  UnixTime last_finished_at_ = 0;
  std::optional<UnixTime> next_scheduled_at_;
  UnixTime last_notify_at_ = 0;  // ScheduleTick's notification flush (its thread only)
  std::string schedule_zone_;  // the zone next_scheduled_at_ was computed in
  std::thread worker_;
};

}  // namespace sk::server
