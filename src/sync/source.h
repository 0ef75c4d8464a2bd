// What every sync step shares: the client, the store, the connection, the
// usage window in the connection's zone, and progress reporting. A usage
// source is one file implementing Source plus one line in sources.cc.
#pragma once

#include <charconv>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"
#include "util/status.h"
#include "util/time.h"
#include "zendesk/client.h"

namespace sk::sync {

struct Progress {
  std::string phase;           // "users", "ticket_events", ...
  int64_t pages = 0;           // requests done in this phase
  int64_t records = 0;         // records read in this phase
  double fraction = 0;         // 0..1 of the phase, when known
  double eta_seconds = -1;     // from the rate limits; -1 unknown
};

// What one day's ticket activity was read from, and what could not be seen.
struct DayCoverage {
  DayNumber day = 0;
  // "ticket_events", "ticket_audits", "ticket_events:hidden_tickets" (the
  // export read for tickets the audit list leaves out).
  std::vector<std::string> sources;
  std::vector<std::string> unseen;  // what Zendesk did not show (empty: complete)
  std::string pending;              // what the next sync reads (the last minute of today)
  bool complete() const { return unseen.empty(); }
};

// Tickets the account-wide audit list left out of the walk's part (archived or
// soft-deleted), found with the ticket export and read from the event export.
struct HiddenTickets {
  int64_t tickets = 0;
  std::vector<std::pair<UnixTime, UnixTime>> read;  // the export's [from, until) for them
  std::string refused;                              // the ticket export was refused: why
};

struct SyncContext {
  zendesk::Client* client = nullptr;
  store::Store* store = nullptr;
  store::Connection conn;
  Zone zone = Zone::Utc();
  UnixTime now = 0;
  DayNumber first_day = 0;   // first civil day of the usage window
  DayNumber today = 0;
  UnixTime window_start = 0; // 00:00 of first_day in zone
  std::string run_id;
  // The incremental exports bucket per minute for this plan (10, or 30 with High Volume).
  int incremental_per_minute = 10;
  std::map<int64_t, std::vector<std::pair<UnixTime, UnixTime>>> own_writes;
  std::function<void(const Progress&)> on_progress;
  // The fields below are written by the ticket activity source alone (its
  // lane in an overlapped sync, see sync.cc) and read once every lane is done.
  // Set by the ticket activity source: the part of the window the audit walk
  // covered (from, until), and whether the audit list was unavailable.
  std::optional<std::pair<UnixTime, UnixTime>> audit_walk;
  bool audit_walk_off = false;
  // The walk was not worth its requests: why (the export read its part).
  std::string audit_walk_skipped;
  std::optional<HiddenTickets> audit_walk_hidden;
  // Set by the ticket event export when it reached the present: read until here.
  std::optional<UnixTime> ticket_events_read_until;
  // Set by the ticket activity backfill: each day of the window (also stored).
  std::vector<DayCoverage> coverage;

  // An event by the connecting user on a ticket seatkeeper itself changed at that time.
  bool IsOwnWrite(int64_t user_id, int64_t ticket_id, UnixTime t) const;
  // The account's requests a minute: Zendesk's last X-Rate-Limit, else the
  // one connect saw (capabilities), so a lane that starts before any answer
  // came back plans with the same figure as a sequential sync.
  int64_t account_limit_per_minute() const;
  void Report(const Progress& p) const {
    if (on_progress) on_progress(p);
  }
};

class Source {
 public:
  virtual ~Source() = default;
  virtual const char* name() const = 0;
  // False (with the reason) when the account cannot provide this source.
  virtual bool Available(const SyncContext& ctx, std::string* why) const = 0;
  // Reads from the checkpoint to the present; each page is committed with its checkpoint.
  virtual Status Run(SyncContext& ctx) = 0;
};

// After a page of a cursor-paginated list: false when it was the last page;
// else *cursor moves to the page's after_cursor and true. kBadResponse ("<list>
// has more pages but no new cursor") when the cursor is missing or did not move.
template <typename T>
Result<bool> NextCursor(const zendesk::CursorPage<T>& page, std::string* cursor, const std::string& list) {
  if (!page.has_more) return false;
  if (page.after_cursor.empty() || page.after_cursor == *cursor)
    return BadResponse(list + " has more pages but no new cursor");
  *cursor = page.after_cursor;
  return true;
}

// Registered usage sources in run order (the sequential sync's order).
std::vector<std::unique_ptr<Source>> UsageSources();

// The same sources grouped by the rate-limit bucket they draw on, for the
// overlapped sync (RunSync: one thread per lane, all lanes at once; each
// lane's sources run in this order, each keeping its own order and
// checkpoints). Lane "users" is the user pass's (RunSync runs the pass
// first in it and the periodic full pass last).
struct SourceLane {
  std::string name;  // "ticket activity", "users", ...
  std::vector<std::unique_ptr<Source>> sources;
};
std::vector<SourceLane> UsageSourceLanes();

// Ticket activity (ticket event export + account-wide audit walk): the recent
// part (last 7 days, then following the present) or the older part of the
// window; they share one checkpoint.
std::unique_ptr<Source> MakeTicketActivitySource(bool recent);
// Deleted tickets, newest first: the last 7 days (recent) or the rest of the
// 30 days the list keeps, back to the previous complete pass.
std::unique_ptr<Source> MakeDeletedTicketsSource(bool recent);
std::unique_ptr<Source> MakeArticlesSource();
std::unique_ptr<Source> MakeAuditLogLoginsSource();
// Whether the connection reads Zendesk's audit log (Enterprise and above);
// else *why says that `what` needs it and what is done `instead`.
bool AuditLogAvailable(const SyncContext& ctx, const std::string& what, const std::string& instead,
                       std::string* why);
// The audit log's user update/destroy records: who changed a user (role history).
std::unique_ptr<Source> MakeAuditLogUserChangesSource();
// Reads an audit log range a cursor page at a time (fetch(cursor)), each record
// through add(record, page); each page is applied, the last one with the
// checkpoint `key` set to `to` (an interrupted range is read again: the sources'
// keys make that harmless), and reported as progress `phase`.
Status ReadAuditLogRange(
    SyncContext& ctx, const std::string& key, UnixTime to, const std::string& phase,
    const std::function<Result<zendesk::CursorPage<zendesk::AuditLog>>(const std::string& cursor)>& fetch,
    const std::function<void(const zendesk::AuditLog&, store::Page&)>& add);
// Groups and their members, when a reclaim policy exempts a group (group_memberships_source.cc).
std::unique_ptr<Source> MakeGroupMembershipsSource();

// "<kind>:<id>", the form of every evidence id. A once-only key is one too
// ("deleted:<ticket>"), shared by the sources that can both see a deletion
// (ticket activity and deleted tickets): they must build it alike.
inline std::string EvidenceId(std::string_view kind, int64_t id) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, id).ptr;
  std::string out;
  out.reserve(kind.size() + 1 + static_cast<size_t>(end - digits));
  out.append(kind).append(1, ':').append(digits, end);
  return out;
}

}  // namespace sk::sync
