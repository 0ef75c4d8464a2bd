#include "server/account_sync_runners.h"

#include <chrono>

namespace sk::server {

AccountSyncRunners::AccountSyncRunners(store::Store* store, SyncRunnerOptions base, Metrics* metrics)
    : store_(store), base_(std::move(base)), metrics_(metrics) {}

AccountSyncRunners::~AccountSyncRunners() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
  // Each runner's destructor waits for its sync.
  std::lock_guard lock(mu_);
  runners_.clear();
}

SyncRunner& AccountSyncRunners::For(const std::string& account) {
  std::lock_guard lock(mu_);
  auto& slot = runners_[account];
  if (!slot) {
    SyncRunnerOptions o = base_;
    o.account = account;
    slot = std::make_unique<SyncRunner>(store_, std::move(o), metrics_);
  }
  return *slot;
}

std::vector<std::pair<std::string, SyncRunner*>> AccountSyncRunners::All() {
  std::lock_guard lock(mu_);
  std::vector<std::pair<std::string, SyncRunner*>> out;
  for (auto& [name, runner] : runners_) out.emplace_back(name, runner.get());
  return out;
}

bool AccountSyncRunners::AnyRunning() {
  for (auto& [name, runner] : All())
    if (runner->running()) return true;
  return false;
}

void AccountSyncRunners::WaitIdle() {
  for (auto& [name, runner] : All()) runner->WaitIdle();
}

void AccountSyncRunners::StartSchedule(DailyTime at,
                                       std::function<Result<std::vector<std::string>>()> accounts) {
  std::lock_guard lock(mu_);
  if (scheduler_.joinable()) return;
  schedule_enabled_ = true;
  scheduler_ = std::thread([this, at, accounts = std::move(accounts)] { ScheduleLoop(at, accounts); });
}

void AccountSyncRunners::ScheduleLoop(DailyTime at,
                                      std::function<Result<std::vector<std::string>>()> accounts) {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    auto names = accounts();
    if (names.ok())
      for (const std::string& name : *names) For(name).ScheduleTick(at);
    lock.lock();
    schedule_tick_ = store::WallMillis() / 1000;
    if (metrics_)
      metrics_->Set("seatkeeper_scheduler_last_tick_timestamp_seconds", "",
                    static_cast<double>(*schedule_tick_));
    cv_.wait_for(lock, std::chrono::seconds(20), [this] { return stopping_; });
  }
}

AccountSyncRunners::SchedulerHealth AccountSyncRunners::scheduler_health() {
  std::lock_guard lock(mu_);
  SchedulerHealth h;
  h.enabled = schedule_enabled_;
  h.last_tick = schedule_tick_;
  h.alive = schedule_enabled_ && schedule_tick_ && store::WallMillis() / 1000 - *schedule_tick_ <= 120;
  return h;
}

}  // namespace sk::server
