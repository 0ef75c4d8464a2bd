// Action: change a user's role — downgrade an agent/admin to end user (frees
// the seat) or upgrade to agent/admin, optionally with a custom role (spec §5).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "actions/action.h"

namespace sk::actions {

struct SetRoleRequest {
  int64_t user_id = 0;
  std::string role;                       // end-user | agent | admin
  std::optional<int64_t> custom_role_id;  // agent/admin only
};

// Sets the role with PUT /users/{id} and checks Zendesk's answer. Idempotent:
// a user already in that role (and custom role, when given) is a "no-op"
// with no PUT. The audit entry's before holds the previous role and custom
// role, and the outcome's details.undo the command that reverts it.
// Refused: read connection (before any request), a deleted user, changing the
// account owner or the connecting user away from admin (when known locally),
// and Zendesk's own refusals with its reason. kInvalidArgument for a bad
// role. The updated user is upserted into the store.
Result<ActionOutcome> SetRole(const ActionContext& ctx, const SetRoleRequest& req);

}  // namespace sk::actions
