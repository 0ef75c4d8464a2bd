// Action: create a Zendesk user (spec §5 "create user").
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "actions/action.h"

namespace sk::actions {

struct CreateUserRequest {
  std::string name;
  std::string email;
  std::string role = "end-user";          // end-user | agent | admin
  std::optional<int64_t> custom_role_id;  // agent/admin only
};

// Creates the user. Idempotent: when a user with that email already exists
// (found in the store or through Zendesk's user search) it reports that user
// with result "no-op" and sends no POST, warning when its role differs.
// kInvalidArgument for a blank name, a malformed email, an unknown role or a
// custom role on an end user; kRefused on a read connection (before any
// request) and when Zendesk refuses (its reason included). With ctx.dry_run
// only reads are sent. The created user is upserted into the store.
Result<ActionOutcome> CreateUser(const ActionContext& ctx, const CreateUserRequest& req);

}  // namespace sk::actions
