// `seatkeeper worker`: claims due syncs from the shared store (see
// store/sync_queue.h), runs each with a heartbeat keeping its lease alive,
// and releases it. Several workers on several machines share one
// PostgreSQL; a Zendesk account is synced by one worker at a time, so its
// rate limit is shared and never exceeded; a crashed worker's lease expires
// and another worker takes the account over, resuming from its checkpoints.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"
#include "store/sync_queue.h"
#include "sync/sync.h"
#include "zendesk/client.h"

namespace sk::sync {

struct WorkerOptions {
  std::string id;              // lease owner; default "<host>:<pid>"
  int lease_seconds = 60;      // a lease not renewed for this long is taken over
  int heartbeat_seconds = 20;  // renewal period (< lease_seconds)
  int poll_seconds = 10;       // wait when nothing is due
  int retry_seconds = 300;     // a failed account waits this long before another try
  bool until_idle = false;     // return when no account is due (tests, cron)
  int max_syncs = 0;           // return after this many syncs (0: no limit)
  std::optional<int> days;     // usage window override
  // Accounts synced at once, each on its own thread with its own client
  // (1..64): small accounts spend most of a sync waiting on Zendesk.
  int concurrency = 1;
  // Opens another connection to the same store: each thread after the first
  // writes through its own (empty: all share the one given to RunWorker).
  std::function<Result<std::unique_ptr<store::Store>>()> open_store;
  // Checked between syncs and while idle: true asks the worker to return.
  std::function<bool()> should_stop;
  // Called (from the heartbeat thread) when the lease was lost while syncing:
  // another worker owns the account now, so this one must stop writing.
  std::function<void(const store::Lease&)> on_lease_lost;
  // A foreground `seatkeeper sync` prints its own error line: the worker's
  // "failed ... retry in N s" log line would repeat it a third time.
  bool log_failure = true;
  // Called after each sync this process released (ok or failed), with the
  // account: notifications of its outcome (src/notify), set by the caller.
  std::function<void(const std::string& account)> after_sync;
};

struct WorkerReport {
  int synced = 0;
  int failed = 0;
  std::vector<std::string> accounts;  // in order, "name" or "name (failed: why)"
};

using ClientFactory = std::function<Result<std::unique_ptr<zendesk::Client>>(const store::Connection&)>;

// Runs until idle (until_idle), max_syncs, should_stop, or a store error.
Result<WorkerReport> RunWorker(store::Store& store, store::SyncQueue& queue, const ClientFactory& make_client,
                               const WorkerOptions& options);

// Runs `sync` while holding `lease`: heartbeats it, then releases it with the
// result (a failed account waits retry_seconds). `sync` gets the run id to
// pass on as SyncOptions::run_id; every line logged meanwhile carries it and
// the account. A lost lease is logged and reported to options.on_lease_lost,
// and its release is left to the new holder. Returns `sync`'s status.
Status SyncUnderLease(store::SyncQueue& queue, const store::Lease& lease, const WorkerOptions& options,
                      const std::function<Status(const std::string& run_id)>& sync);

// Claims and syncs at most one due account; false when none was due and free.
Result<bool> RunOneSync(store::Store& store, store::SyncQueue& queue, const ClientFactory& make_client,
                        const WorkerOptions& options, WorkerReport* report);

std::string DefaultWorkerId();

}  // namespace sk::sync
