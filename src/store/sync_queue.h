// The sync queue shared by `seatkeeper worker` processes: which accounts are
// due for a sync, and leases so that one worker at a time syncs a Zendesk
// account (PostgreSQL: row locks with FOR UPDATE SKIP LOCKED; SQLite: the
// single-writer BEGIN IMMEDIATE transaction). A lease expires unless its
// holder heartbeats; an expired lease (a crashed worker) is taken over.
//
// An account is due when it is connected and never synced, or its
// last_sync_at (sync clock, SEATKEEPER_NOW aware) is older than 24 h, or
// kv[sync_requested] is "1". Lease times use the real clock.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/status.h"
#include "util/time.h"

namespace sk::store {

struct Lease {
  std::string account;
  std::string owner;
  int64_t generation = 0;  // fencing token: bumped by every claim
  int64_t run_id = 0;      // sync_runs row
  bool requested = false;  // claimed because of sync_requested
};

struct QueueEntry {
  std::string account;
  std::string url;
  std::string state;
  std::optional<UnixTime> last_sync_at;
  bool due = false;
  std::string owner;  // current lease holder ("" when free or expired)
  int64_t expires_ms = 0;
  int64_t successes = 0;
  int64_t failures = 0;
  std::string last_result;
};

struct SyncRun {
  int64_t id = 0;
  std::string account;
  std::string owner;
  int64_t generation = 0;
  int64_t started_ms = 0;
  int64_t heartbeat_ms = 0;
  std::optional<int64_t> finished_ms;
  std::string result;  // "" while running (or when its worker died), "ok", "error: ..."
};

class SyncQueue {
 public:
  virtual ~SyncQueue() = default;
  // Claims one due account that no live lease holds and whose Zendesk URL no
  // other live lease holds. `sync_now` is the sync clock (NowUnix()).
  virtual Result<std::optional<Lease>> Claim(const std::string& owner, int lease_seconds,
                                             UnixTime sync_now) = 0;
  // Claims `account` itself, due or not (a sync someone asked for: the web
  // server's button, connect and schedule), unless a live lease holds it or
  // its Zendesk URL; nullopt then. Clears sync_requested like Claim.
  virtual Result<std::optional<Lease>> ClaimAccount(const std::string& account, const std::string& owner,
                                                    int lease_seconds) = 0;
  // Extends the lease; false when it was lost (expired and taken over).
  virtual Result<bool> Heartbeat(const Lease& lease, int lease_seconds) = 0;
  // Ends the lease. On failure the account waits `retry_seconds` before it is claimable again.
  virtual Status Release(const Lease& lease, bool ok, const std::string& result, int retry_seconds) = 0;
  // Ends the lease `owner` holds on `account` now, without a result: its
  // holder is known to be gone (a killed process on this machine, see
  // util/process.h), so the account need not wait for the lease to expire.
  // Does nothing when someone else holds it.
  virtual Status ExpireLease(const std::string& account, const std::string& owner) = 0;
  // Marks the account for a sync at the next opportunity.
  virtual Status RequestSync(const std::string& account) = 0;
  // Every connected account with its queue state, by name.
  virtual Result<std::vector<QueueEntry>> List(UnixTime sync_now) = 0;
  // The run history (oldest first).
  virtual Result<std::vector<SyncRun>> Runs() = 0;
};

// Milliseconds of the real clock.
int64_t WallMillis();

}  // namespace sk::store

// The queue's openers (OpenSyncQueue and one per engine): store/open.h.
#include "store/open.h"  // IWYU pragma: export
