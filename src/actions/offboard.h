// Action: offboard a leaver as one ordered, resumable plan (spec §5):
//   1. reassign-tickets  every non-closed ticket to --reassign-to
//   2. downgrade         to end user (frees the paid seat)
//   3. delete-user       soft delete                      (with --delete or --permanent)
//   4. permanent-delete  irreversible GDPR deletion       (with --permanent --yes)
#pragma once

#include <cstdint>
#include <string>

#include "actions/action.h"
#include "actions/reassign_tickets.h"

namespace sk::actions {

struct OffboardRequest {
  int64_t user_id = 0;
  int64_t reassign_to = 0;   // required: the agent/admin who takes the tickets
  bool delete_user = false;  // --delete
  bool permanent = false;    // --permanent (implies the soft delete)
  // With --permanent outside dry-run: names the user (its id or email;
  // CheckConfirmation in action.h). The CLI's --yes sends the id.
  std::string confirm;
  ReassignOptions reassign;
};

// The store key (Store::GetValue/PutValue) of a user's offboarding plan: a
// JSON object {"user_id","reassign_to","steps":{name:{"state","at","detail"}},"status"}.
std::string OffboardPlanKey(int64_t user_id);

// Runs the plan's steps in order, each through its own action (so each has
// its own audit entry, e.g. the downgrade keeps the previous role) and each
// verified before the next. Progress is saved after every step: a re-run
// after a failure skips the completed steps (no mutation repeated) and
// continues with the first unfinished one; a finished plan re-run is a
// "no-op". With ctx.dry_run the full plan is shown and nothing is sent but
// reads. All preconditions (permission, owner/self, assignee, --yes) are
// checked before the first mutation. When a step fails the outcome is
// returned with status set to that failure (Zendesk refusals as kRefused)
// and the plan's changes show which steps are done.
Result<ActionOutcome> Offboard(const ActionContext& ctx, const OffboardRequest& req);

}  // namespace sk::actions
