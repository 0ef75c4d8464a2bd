// One sync of a connected account: the user inventory, then every usage
// source the account offers, each resuming from its checkpoint. Sets the
// connection state (syncing → synced, or error with the reason).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"
#include "sync/provisional.h"
#include "sync/source.h"
#include "zendesk/client.h"

namespace sk::sync {

struct SyncOptions {
  std::optional<int> days;  // usage window; default the connection's (90)
  std::function<void(const Progress&)> on_progress;
  // Names the run in logs and marks the user pass; default: a fresh id.
  std::string run_id;
  // One source after another on one connection, as before issue #19 (also
  // SEATKEEPER_SYNC_SEQUENTIAL=1). Default: the sources overlap, one lane per
  // rate-limit bucket (see sync.cc).
  bool sequential = false;
};

struct SyncReport {
  int64_t users = 0;
  int64_t users_marked_deleted = 0;
  std::vector<std::string> sources_run;
  std::vector<std::pair<std::string, std::string>> sources_skipped;  // name, why
  double seconds = 0;
  std::map<std::string, int64_t> requests_by_endpoint;
  int64_t rate_limited = 0;
  // The part of the window read from the account-wide audit list, if any.
  std::optional<std::pair<UnixTime, UnixTime>> audit_walk;
  bool audit_walk_off = false;
  std::string audit_walk_skipped;  // the walk did not pay: why (the export read its part)
  std::optional<HiddenTickets> audit_walk_hidden;
  // Each day of the window: where its ticket activity came from, what was not seen.
  std::vector<DayCoverage> coverage;
  // The first sync's confirmation of the provisional seat verdict, if it made one.
  std::optional<VerdictConfirmation> seat_verdict;
};

Result<SyncReport> RunSync(zendesk::Client& client, store::Store& store, const std::string& account,
                           const SyncOptions& options);

// The user inventory part alone (also used by RunSync): a full pass when no
// earlier pass left a position to follow, else the daily pass (staff list and
// the user export continued from where it stopped; see user_sync.cc).
Status SyncUsers(SyncContext& ctx, int64_t* users_seen, int64_t* marked_deleted);
// The periodic full user pass, when due (or interrupted earlier): run after the
// day's usage sources so it never delays them. True when it ran.
Result<bool> SyncUsersFullIfDue(SyncContext& ctx, int64_t* users_seen, int64_t* marked_deleted);

// Builds the context for `conn` at `now` with a window of `days`.
Result<SyncContext> MakeContext(zendesk::Client& client, store::Store& store, const store::Connection& conn,
                                UnixTime now, int days);

}  // namespace sk::sync
