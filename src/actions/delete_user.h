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
};

// Soft-deletes the user (DELETE /users/{id}) and checks it came back
// inactive. Idempotent: an already deleted user is a "no-op" ("already
// deleted"). Without reassign_to, non-closed assigned tickets only produce a
// warning. Refused: read connection (before any request), unknown user, the
// account owner or the connecting user (when known locally), an invalid
// reassign_to, and Zendesk's own refusals with its reason. The user record
// in the store is marked deleted at once.
Result<ActionOutcome> DeleteUser(const ActionContext& ctx, const DeleteUserRequest& req);

}  // namespace sk::actions
