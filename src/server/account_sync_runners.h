// The web server's background syncs for every account in the store: one
// SyncRunner per account, created on first use, and one daily schedule
// thread that covers every connected account (each synced at --sync-at in
// its own connection's zone, under its own lease in the sync queue).
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "server/metrics.h"
#include "server/sync_runner.h"
#include "store/store.h"
#include "util/status.h"

namespace sk::server {

class AccountSyncRunners {
 public:
  // `base` is every runner's options but the account. `store`, `base.queue`
  // and `metrics` (when given) must outlive this object.
  AccountSyncRunners(store::Store* store, SyncRunnerOptions base, Metrics* metrics = nullptr);
  // Stops the schedule, then waits for every running sync.
  ~AccountSyncRunners();
  AccountSyncRunners(const AccountSyncRunners&) = delete;
  AccountSyncRunners& operator=(const AccountSyncRunners&) = delete;

  // The runner of `account`, created on first use; the reference stays valid
  // until this object is destroyed. The caller validates the name.
  SyncRunner& For(const std::string& account);
  // The runners created so far, by account name.
  std::vector<std::pair<std::string, SyncRunner*>> All();
  bool AnyRunning();
  // Blocks until no runner has a sync running (tests).
  void WaitIdle();

  // Runs the daily schedule on one thread until this object is destroyed:
  // every 20 s, `accounts()` names the connected accounts and each one's
  // runner looks at the clock (SyncRunner::ScheduleTick). An error from
  // `accounts()` (store unreachable) skips that tick's accounts, not the tick.
  void StartSchedule(DailyTime at, std::function<Result<std::vector<std::string>>()> accounts);
  struct SchedulerHealth {
    bool enabled = false;
    bool alive = false;                 // enabled and checked the clock within the last 2 minutes
    std::optional<UnixTime> last_tick;  // real clock
  };
  // Liveness of that one thread.
  SchedulerHealth scheduler_health();

 private:
  void ScheduleLoop(DailyTime at, std::function<Result<std::vector<std::string>>()> accounts);

  store::Store* store_;
  SyncRunnerOptions base_;
  Metrics* metrics_;

  std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  std::map<std::string, std::unique_ptr<SyncRunner>> runners_;
  bool stopping_ = false;
  bool schedule_enabled_ = false;
  std::optional<UnixTime> schedule_tick_;
  std::thread scheduler_;
};

}  // namespace sk::server
