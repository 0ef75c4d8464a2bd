// Action: reassign every non-closed ticket of one user to another (spec §5).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "actions/action.h"

namespace sk::actions {

struct ReassignOptions {
  int batch_size = 100;          // ids per update_many job (Zendesk allows at most 100)
  int max_in_flight = 10;        // jobs queued/working at once (Zendesk allows 30 per account)
  double max_poll_seconds = 30;  // backoff cap between job-status polls (1, 2, 4 ... ≤ cap)
  int max_polls_per_job = 40;    // then the job's tickets count as unknown and are re-checked
  // Longest wait for jobs Zendesk may have accepted from an interrupted send
  // (no job id known) before their tickets' state decides what is re-sent.
  double in_doubt_wait_seconds = 60;
};

// The store key (Store::GetValue/PutValue) of the reassignment journal of
// tickets assigned to `from`: {"batches":{seq:{"ids","to","job","at"}},"seq"}.
// Every update_many batch is written there before it is sent and gets its job
// id as soon as Zendesk returns it; a batch leaves the journal once its
// outcome is known.
std::string ReassignJournalKey(int64_t from);

// The tickets of `assignee` whose status is not closed, with their status
// counts, from /users/{id}/tickets/assigned: Zendesk's database, current at
// once. The search index lags minutes behind changes (reference §9.1): a
// ticket assigned a moment ago would be missed, one moved away still listed.
// /search/export only when that list is refused (403, 404).
struct AssignedTickets {
  std::vector<int64_t> ids;
  std::map<std::string, int> by_status;
};
Result<AssignedTickets> NonClosedTicketsOf(const ActionContext& ctx, int64_t assignee);

// kRefused unless `to` is an active, unsuspended agent or admin that can be
// assigned tickets (not a light agent). Sends only reads.
Result<zendesk::User> CheckAssignee(const ActionContext& ctx, int64_t to);

// Reassigns every ticket assigned to `from` with status new, open, pending,
// hold or solved to `to`. Never repeats a completed mutation: batches left in
// the journal by an interrupted run are settled first (their jobs polled;
// a batch sent without a known job id waits for the account's unfinished
// jobs and is then judged by the tickets' current assignee), and only
// tickets confirmed (tickets/show_many) to still belong to `from` are sent:
// update_many jobs of ≤ batch_size ids, each polled to completion with
// backoff; per-ticket failures listed in
// details.failures [{id, error, details}]; afterwards re-queries and
// verifies that none are left (details.verified, details.remaining). The
// tickets touched are recorded with Store::RecordOwnWrites so they never
// count as the connecting admin's activity. Result "no-op" when there is
// nothing to move; outcome.status is non-ok when some tickets did not move.
// Refusals: read connection, from == to, `to` not an assignable agent/admin.
Result<ActionOutcome> ReassignTickets(const ActionContext& ctx, int64_t from, int64_t to,
                                      const ReassignOptions& options = {});

}  // namespace sk::actions
