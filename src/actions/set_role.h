// Action: change a user's role — downgrade an agent/admin to end user (frees
// the seat) or upgrade to agent/admin, optionally with a custom role (spec §5).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "actions/action.h"
#include "actions/reassign_tickets.h"

namespace sk::actions {

struct SetRoleRequest {
  int64_t user_id = 0;
  std::string role;                       // end-user | agent | admin
  std::optional<int64_t> custom_role_id;  // agent/admin only
  // A downgrade that makes Zendesk move the user's tickets (to end user: to
  // the acting admin; to light agent/contributor: unassigned) needs one of:
  std::optional<int64_t> reassign_to;       // reassign them to this agent first
  bool let_zendesk_reassign = false;        // let Zendesk move them
  bool reassigned_by_earlier_step = false;  // offboard: its first step moved them
  ReassignOptions reassign;
};

// Sets the role with PUT /users/{id} and checks Zendesk's answer. Idempotent:
// a user already in that role (and custom role, when given) is a "no-op"
// with no PUT. The audit entry's before holds the previous role and custom
// role, and the outcome's details.undo the command that reverts it.
// Refused: read connection (before any request), a deleted user, changing the
// account owner or the connecting user away from admin (when known locally),
// and Zendesk's own refusals with its reason. kInvalidArgument for a bad
// role. The updated user is upserted into the store. A downgrade of an
// agent/admin who holds non-closed tickets to end user, light agent or
// contributor needs reassign_to or let_zendesk_reassign (agent_tickets.h);
// without either the outcome is "refused" (status kRefused) before any
// write. The dry run names the tickets and what Zendesk does with them.
Result<ActionOutcome> SetRole(const ActionContext& ctx, const SetRoleRequest& req);

}  // namespace sk::actions
