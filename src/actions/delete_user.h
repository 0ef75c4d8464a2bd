// Action: soft-delete a Zendesk user (spec §5 "delete user").
#pragma once

#include <cstdint>
#include <optional>

#include "actions/action.h"
#include "actions/reassign_tickets.h"

namespace sk::actions {

struct DeleteUserRequest {
  int64_t user_id = 0;
  // When set, the user's non-closed tickets are reassigned to this agent/admin
  // first (and the delete is not attempted if any fail to move).
  std::optional<int64_t> reassign_to;
  ReassignOptions reassign;
  // Without reassign_to, an agent who holds non-closed tickets is deleted only
  // with this set: Zendesk then hands the tickets to the acting admin.
  bool let_zendesk_reassign = false;
  // Set by offboard, whose earlier step reassigns the tickets to reassign_to.
  bool reassigned_by_earlier_step = false;
};

// Soft-deletes the user (DELETE /users/{id}) and checks it came back
// inactive. Idempotent: an already deleted user is a "no-op" ("already
// deleted"). An agent/admin who holds non-closed tickets needs a choice
// (agent_tickets.h): reassign_to (reassigned first) or let_zendesk_reassign
// (Zendesk hands them to the acting admin; recorded as seatkeeper's own
// writes); without either the outcome is "refused" (status kRefused, no write
// sent). The dry run names the tickets and what happens to them
// (details.ticket_side_effect). Refused: read connection (before any
// request), unknown user, the account owner or the connecting user (when
// known locally), an invalid reassign_to, and Zendesk's own refusals with its
// reason. The user record in the store is marked deleted at once.
Result<ActionOutcome> DeleteUser(const ActionContext& ctx, const DeleteUserRequest& req);

}  // namespace sk::actions
