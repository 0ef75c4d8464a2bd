#include "sync/worker.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "util/log.h"
#include "util/process.h"

namespace sk::sync {

std::string DefaultWorkerId() {
  return ProcessName();
}

namespace {

// Renews the lease every `period` seconds until stopped.
class Heartbeat {
 public:
  Heartbeat(store::SyncQueue& queue, const store::Lease& lease, const WorkerOptions& o)
      : queue_(queue), lease_(lease) {
    thread_ = std::thread([this, o, fields = log::CurrentFields()] {
      log::Scope scope(fields);  // the sync's account and run id
      const auto period = std::chrono::seconds(std::max(1, o.heartbeat_seconds));
      std::unique_lock lock(mu_);
      while (!cv_.wait_for(lock, period, [this] { return stop_; })) {
        lock.unlock();
        auto held = queue_.Heartbeat(lease_, o.lease_seconds);
        lock.lock();
        if (!held.ok()) {
          // A store hiccup: try again at the next beat; the lease outlives a few misses.
          spdlog::warn("lease heartbeat for {} failed: {}", lease_.account, held.status().message());
          continue;
        }
        if (!*held) {
          lost_ = true;
          spdlog::error("lease on {} was lost (expired and taken over by another worker)", lease_.account);
          if (o.on_lease_lost) o.on_lease_lost(lease_);
          return;
        }
      }
    });
  }
  ~Heartbeat() { Stop(); }
  bool Stop() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    return !lost_;
  }

 private:
  store::SyncQueue& queue_;
  store::Lease lease_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::atomic<bool> lost_{false};
  std::thread thread_;
};

bool SleepUnlessStopped(int seconds, const WorkerOptions& o) {
  for (int i = 0; i < seconds * 10; ++i) {
    if (o.should_stop && o.should_stop()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return !(o.should_stop && o.should_stop());
}

}  // namespace

Status SyncUnderLease(store::SyncQueue& queue, const store::Lease& lease, const WorkerOptions& o,
                      const std::function<Status(const std::string& run_id)>& sync) {
  const std::string run_id = log::NewRunId();
  log::Scope scope({{"account", lease.account},
                    {"run_id", run_id},
                    {"worker", lease.owner},
                    {"lease_run", std::to_string(lease.run_id)}});
  spdlog::info("claimed sync of {} (lease generation {}{})", lease.account, lease.generation,
               lease.requested ? ", requested" : "");
  Heartbeat beat(queue, lease, o);
  Status st = sync(run_id);
  bool held = beat.Stop();
  std::string result = st.ok() ? "ok" : "error: " + st.message();
  if (!held) {
    // Another worker owns it now; its release decides. Record nothing over it.
    spdlog::error("sync of {} ended after its lease was lost: {}", lease.account, result);
  } else {
    Status rel = queue.Release(lease, st.ok(), result, o.retry_seconds);
    if (!rel.ok()) spdlog::error("releasing the lease on {} failed: {}", lease.account, rel.message());
    if (o.after_sync) o.after_sync(lease.account);
  }
  if (st.ok()) {
    spdlog::info("synced {}", lease.account);
  } else if (o.log_failure) {
    spdlog::warn("sync of {} failed: {} (retry in {} s)", lease.account, st.message(), o.retry_seconds);
  }
  return st;
}

Result<bool> RunOneSync(store::Store& store, store::SyncQueue& queue, const ClientFactory& make_client,
                        const WorkerOptions& o, WorkerReport* report) {
  const std::string id = o.id.empty() ? DefaultWorkerId() : o.id;
  SK_ASSIGN_OR_RETURN(auto lease, queue.Claim(id, o.lease_seconds, NowUnix()));
  if (!lease) return false;
  Status st = SyncUnderLease(queue, *lease, o, [&](const std::string& run_id) -> Status {
    SK_ASSIGN_OR_RETURN(auto conn, store.GetConnection(lease->account));
    if (!conn) return Refused("the connection " + lease->account + " vanished");
    SK_ASSIGN_OR_RETURN(auto client, make_client(*conn));
    SyncOptions so;
    so.days = o.days;
    so.run_id = run_id;
    return RunSync(*client, store, lease->account, so).status();
  });
  if (st.ok()) {
    ++report->synced;
    report->accounts.push_back(lease->account);
  } else {
    ++report->failed;
    report->accounts.push_back(lease->account + " (failed: " + st.message() + ")");
  }
  return true;
}

namespace {

// What the threads of one worker share: the report, the syncs started (for
// max_syncs), and the first store error, which stops them all.
struct Shared {
  std::mutex mu;
  WorkerReport report;
  int started = 0;
  Status error = Status::Ok();
  std::atomic<bool> stop{false};
};

// True when nothing more will become claimable without waiting: nothing is
// due, or only accounts waiting out a failure (until_idle does not wait for them).
Result<bool> Idle(store::SyncQueue& queue) {
  // An account leased by a crashed worker is still due and will be claimable
  // once its lease expires.
  SK_ASSIGN_OR_RETURN(auto entries, queue.List(NowUnix()));
  bool any_due = false;
  for (const auto& e : entries) any_due |= e.due;
  bool only_failed = any_due;
  for (const auto& e : entries)
    if (e.due && (e.last_result.rfind("error", 0) != 0 || !e.owner.empty())) only_failed = false;
  return !any_due || only_failed;
}

// One thread's loop: claim, sync, repeat; wait (or return, until_idle) when nothing is due.
Status WorkerLoop(store::Store& store, store::SyncQueue& queue, const ClientFactory& make_client,
                  const WorkerOptions& o, Shared& shared) {
  for (;;) {
    if (shared.stop || (o.should_stop && o.should_stop())) return Status::Ok();
    {
      std::lock_guard lock(shared.mu);
      if (o.max_syncs > 0 && shared.started >= o.max_syncs) return Status::Ok();
      ++shared.started;
    }
    WorkerReport mine;
    SK_ASSIGN_OR_RETURN(bool ran, RunOneSync(store, queue, make_client, o, &mine));
    {
      std::lock_guard lock(shared.mu);
      if (!ran) --shared.started;
      shared.report.synced += mine.synced;
      shared.report.failed += mine.failed;
      for (auto& a : mine.accounts) shared.report.accounts.push_back(std::move(a));
    }
    if (ran) continue;
    if (o.until_idle) {
      SK_ASSIGN_OR_RETURN(bool idle, Idle(queue));
      if (idle || !SleepUnlessStopped(1, o)) return Status::Ok();
      continue;
    }
    if (!SleepUnlessStopped(o.poll_seconds, o)) return Status::Ok();
  }
}

}  // namespace

Result<WorkerReport> RunWorker(store::Store& store, store::SyncQueue& queue, const ClientFactory& make_client,
                               const WorkerOptions& options) {
  WorkerOptions o = options;
  if (o.id.empty()) o.id = DefaultWorkerId();
  if (o.lease_seconds < 2) return InvalidArgument("--lease-seconds must be at least 2");
  if (o.heartbeat_seconds < 1 || o.heartbeat_seconds * 2 > o.lease_seconds)
    return InvalidArgument("--heartbeat-seconds must be at least 1 and at most half of --lease-seconds");
  if (o.concurrency < 1 || o.concurrency > 64) return InvalidArgument("--concurrency must be 1 to 64");
  spdlog::info("worker {} started (lease {} s, heartbeat {} s, {} at a time)", o.id, o.lease_seconds,
               o.heartbeat_seconds, o.concurrency);
  Shared shared;
  auto run = [&](WorkerOptions mine, int k) {
    mine.should_stop = [&shared, outer = o.should_stop] { return shared.stop || (outer && outer()); };
    // Threads after the first write through a store connection of their own
    // (one PostgreSQL connection each; SQLite's WAL takes turns) when the caller can open one.
    Result<std::unique_ptr<store::Store>> own = std::unique_ptr<store::Store>();
    if (k > 1 && o.open_store) own = o.open_store();
    Status st = own.ok() ? WorkerLoop(*own ? **own : store, queue, make_client, mine, shared) : own.status();
    if (st.ok()) return;
    std::lock_guard lock(shared.mu);
    if (shared.error.ok()) shared.error = st;
    shared.stop = true;  // a store error: the other threads stop after their current sync
  };
  if (o.concurrency == 1) {
    run(o, 1);
  } else {
    // Each thread syncs its own account with its own client (one connection
    // per account, paced by that account's limits) over the shared store,
    // which serialises writes; a thread's lease owner is the worker's id and
    // its number, so the leases say which thread holds which account.
    std::vector<std::thread> threads;
    for (int k = 1; k <= o.concurrency; ++k) {
      WorkerOptions mine = o;
      mine.id = o.id + "/" + std::to_string(k);
      threads.emplace_back(run, mine, k);
    }
    for (auto& t : threads) t.join();
  }
  SK_RETURN_IF_ERROR(shared.error);
  spdlog::info("worker {} stopped: {} synced, {} failed", o.id, shared.report.synced, shared.report.failed);
  return std::move(shared.report);
}

}  // namespace sk::sync
