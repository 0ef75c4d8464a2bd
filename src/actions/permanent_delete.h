// Action: permanently delete a user (GDPR-style, irreversible; spec §5).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "actions/action.h"
#include "actions/reassign_tickets.h"

namespace sk::actions {

struct PermanentDeleteRequest {
  int64_t user_id = 0;
  // Names the user (its id or email; CheckConfirmation in action.h); required unless dry-run.
  std::string confirm;
  bool soft_delete_first = true;       // soft-delete an active user first (as `user delete --permanent`)
  std::optional<int64_t> reassign_to;  // used by the soft delete, see DeleteUserRequest
  ReassignOptions reassign;
  bool let_zendesk_reassign = false;  // used by the soft delete, see DeleteUserRequest
};

// Permanently deletes the user (DELETE /deleted_users/{id}), soft-deleting it
// first when it is still active and soft_delete_first is set; without it the
// request is sent and Zendesk's refusal surfaces with its reason.
// Idempotent: a user already permanently deleted (absent from
// /deleted_users, or scrubbed) is a "no-op". kInvalidArgument (kConfirmationRule)
// unless `confirm` names the user (outside dry-run); refused on a read connection (before any
// request), for the owner or the connecting user, and on Zendesk's refusal.
// The store's record is scrubbed (name "Permanently Deleted User", no email).
Result<ActionOutcome> PermanentlyDeleteUser(const ActionContext& ctx, const PermanentDeleteRequest& req);

// Whether the user is soft-deleted and still awaiting permanent deletion:
// GET /deleted_users/{id} answers 200 (true) or 404 (false).
Result<bool> InDeletedUsers(const ActionContext& ctx, int64_t id);

}  // namespace sk::actions
