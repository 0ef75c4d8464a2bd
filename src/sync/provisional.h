// The provisional seat verdict (issue #19 item 5): within minutes of
// `connect`, and at the start of a first sync, every paid seat is marked
// active (with the evidence found) or idle candidate, from a few cheap reads,
// long before the backfill has read 90 days of ticket activity. `seats`, the
// overview and their JSON show it as provisional until the first sync ends;
// that sync then confirms each verdict or reports it as changed
// (ConfirmSeatVerdicts), never silently.
//
// What it reads, over the last kProvisionalDays (30, seats' default idle
// period) in the connection's zone:
// - the staff list (/users?role[]=agent&role[]=admin, 100 a request, account
//   bucket): every seat holder with last_login_at;
// - Enterprise: the audit log's sign-ins, newest first (100 a request,
//   account bucket), at most SEATKEEPER_PROVISIONAL_AUDIT_PAGES pages
//   (default 1,000 = 100,000 sign-ins);
// - Help Center: the articles changed since then (incremental, own bucket);
// - each remaining candidate, at most SEATKEEPER_PROVISIONAL_CHECKS (default
//   1,000): the tickets they commented on updated since then (/search,
//   commenter:, 5 newest) and those tickets' audits (/tickets/{id}/audits)
//   for one they authored in the period.
//
// Evidence, as PRODUCT §4 counts it: an audit-log sign-in ("sign-in"); an
// article created; a ticket audit authored by the seat holder (not seatkeeper's
// own write). A last_login_at in the period is "sign-in or API use": the login
// evidence on plans without the audit log; on plans with it, a move the
// sign-ins read do not confirm is API use (a probable integration when nothing
// else shows), except before the point the budget let the audit log be read
// back to, where it stays "sign-in or API use" (provisionally active, said so).
// The connecting user's last_login_at moves with seatkeeper's own requests:
// never evidence. Suspended seat holders cannot sign in or work: not checked.
//
// Stored per account in the generic key/value store (Store::PutValue), as
// JSON: "seats:provisional" (the verdict) and "seats:confirmation" (what the
// first sync's end made of it). Nothing is written to usage: the backfill
// counts every activity itself, once.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"
#include "sync/source.h"

namespace sk::sync {

inline constexpr int kProvisionalDays = 30;
inline constexpr const char* kVerdictActive = "active";
inline constexpr const char* kVerdictIdleCandidate = "idle-candidate";  // provisional
inline constexpr const char* kVerdictIdle = "idle";                     // confirmed
inline constexpr const char* kVerdictIntegration = "probable-integration";

// One paid seat's provisional verdict.
struct SeatVerdict {
  int64_t user_id = 0;
  std::string name, email, role, license;
  std::optional<std::string> custom_role;
  bool suspended = false;
  std::optional<UnixTime> last_login_at;
  std::string verdict;                    // kVerdictActive, kVerdictIdleCandidate, kVerdictIntegration
  std::string evidence;                   // "sign-in 2026-11-30", "" when none
  std::vector<std::string> evidence_ids;  // "audit_log:5151", "article:9", "audit:12", "last_login_at:<iso>"
  std::optional<DayNumber> evidence_day;  // the day of the evidence
  bool checked = false;                   // its recent tickets were looked at
};

struct ProvisionalVerdict {
  UnixTime at = 0;
  DayNumber today = 0;
  int days = kProvisionalDays;
  std::string login_evidence;             // "audit_log" | "last_login_at"
  std::optional<UnixTime> sign_ins_from;  // audit log: sign-ins read back to here
  int64_t checked = 0, unchecked = 0;     // candidates whose tickets were (not) looked at
  int64_t requests = 0;
  double seconds = 0;
  std::vector<SeatVerdict> seats;
};

// A verdict the backfill did not confirm.
struct VerdictChange {
  int64_t user_id = 0;
  std::string name;
  std::string provisional, provisional_evidence;
  std::string confirmed, confirmed_evidence;
};

struct VerdictConfirmation {
  UnixTime provisional_at = 0, confirmed_at = 0;
  int64_t compared = 0, unchanged = 0;
  std::vector<VerdictChange> changes;
  int64_t new_seats = 0, gone_seats = 0;  // paid seats that appeared / went meanwhile (not compared)
};

// Reads Zendesk as the file comment says and stores the verdict (replacing
// any earlier one and its confirmation). Requests only what the connection's
// capabilities allow.
Result<ProvisionalVerdict> MakeProvisionalVerdict(SyncContext& ctx);

// At the start of a sync: a first sync (none finished yet) without a fresh
// provisional verdict makes one (at most an hour old is fresh: `connect`'s).
// A failure is logged, never fatal: the backfill answers anyway.
void ProvisionalVerdictIfFirstSync(SyncContext& ctx);

// At the end of a sync: when a provisional verdict awaits confirmation,
// compares it with what the synced usage says now (as `seats` would with
// --inactive-days at the verdict's period) and stores and returns the result.
Result<std::optional<VerdictConfirmation>> ConfirmSeatVerdicts(SyncContext& ctx);

Result<std::optional<ProvisionalVerdict>> LoadProvisionalVerdict(store::Store& store,
                                                                 const std::string& account);
Result<std::optional<VerdictConfirmation>> LoadVerdictConfirmation(store::Store& store,
                                                                   const std::string& account);

nlohmann::json ToJson(const ProvisionalVerdict& v);
nlohmann::json ToJson(const VerdictConfirmation& c);
// "provisionally active (sign-in 2026-11-30), confirmed idle: no activity since 2026-10-01".
std::string Describe(const VerdictChange& c);
// The end of a confirmation's text line: ".\n" when nothing changed, else
// `separator`, "<n> changed:" and one line "  <user id> <name>: <Describe>" per
// change (made safe for a terminal).
std::string ChangesText(const VerdictConfirmation& c, const std::string& separator);
// The seat verdict's confirmation in `sync --json`: {"compared", "unchanged", "changed", "changes"...}.
nlohmann::json ConfirmationSummaryJson(const VerdictConfirmation& c);

}  // namespace sk::sync
