// The proposals queue (issue #18): after each sync every policy's matches
// become proposals (one per policy, user and day), stored per account in the
// key/value table ("proposal:ID" -> JSON). States:
//   pending   -> approved (an admin; or at once when the policy is automatic)
//             -> rejected (an admin, with a reason) | cancelled
//   approved  -> cancelled (the user was active in the grace period: the
//                evidence is kept; or no longer matches) | done | failed
// An approved proposal waits out its policy's grace period, then runs
// through its action's own path (dry run recorded first, audit entry whose
// actor names the policy and the proposal) under the idempotency claim
// "proposal:ID" (actions/idempotency.h): at most once across every process
// sharing the store.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "actions/action.h"
#include "policy/policy.h"
#include "store/store.h"
#include "util/status.h"

namespace sk::policy {

struct Proposal {
  std::string id;  // "<policy>-<user id>-<YYYYMMDD>"
  std::string policy;
  int64_t user_id = 0;
  std::string user_name;
  std::optional<std::string> user_email;
  std::string action;             // the policy's action ("downgrade-light", ...)
  nlohmann::json request;         // {"operation","fields"}: the registry operation it runs
  std::string state = "pending";  // pending|approved|rejected|cancelled|done|failed
  UnixTime created_at = 0;
  nlohmann::json evidence;  // the match's evidence when proposed
  bool automatic = false;
  int grace_days = 7;
  std::string decided_by;  // who approved, rejected or cancelled it
  UnixTime decided_at = 0;
  std::optional<UnixTime> due_at;  // approved: runs once a sync after this time finds no activity
  std::string reason;              // rejected: the admin's; cancelled/failed: why
  nlohmann::json cancel_evidence;  // cancelled for activity: the usage that cancelled it
  nlohmann::json dry_run;          // the dry run's outcome, recorded before the run
  nlohmann::json outcome;          // the run's outcome (or error)
  int64_t audit_id = 0;
  UnixTime finished_at = 0;

  nlohmann::json ToJson() const;
  static Proposal FromJson(const nlohmann::json& j);
};

Result<std::vector<Proposal>> ListProposals(store::Store& st, const std::string& account);
Result<std::optional<Proposal>> GetProposal(store::Store& st, const std::string& account,
                                            const std::string& id);
Status PutProposal(store::Store& st, const std::string& account, const Proposal& p);

// What one pass over the queue did (the sync's log line, `proposals run`).
struct QueueReport {
  int proposed = 0;
  int cancelled = 0;
  int ran = 0;
  int failed = 0;
  int waiting = 0;                                 // approved, still in their grace period (or no sync since)
  nlohmann::json items = nlohmann::json::array();  // {"id","state","note"} of each proposal touched
  nlohmann::json ToJson() const;
};

// Turns today's matches of every policy into proposals: a new pending one
// (approved at once for an automatic policy) per matched user without an
// open or rejected proposal of that policy; a pending one whose user no
// longer matches is cancelled.
Result<QueueReport> Propose(store::Store& st, const store::Connection& conn);

// Each approved proposal: cancelled when its user was active since the
// approval (the usage evidence kept) or no longer matches its policy; run
// once its grace period is over and a sync after that found no activity.
// `ctx` gives the store, connection and client; its actor is replaced by
// "policy:NAME proposal:ID (approved by WHO)". `owner` names this process in
// the idempotency claim.
Result<QueueReport> RunDue(const actions::ActionContext& ctx, const std::string& owner);

// The daily-sync hook (sync::SetAfterSyncHook): RunDue, then Propose.
// Failures are logged; the sync itself stays a success.
void InstallAfterSyncHook();

}  // namespace sk::policy
