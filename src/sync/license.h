// License type and paid seat of a Zendesk user (PRODUCT §3), derived from
// role, role_type, custom role and chat-only flag, following Zendesk's rules
// (reference §5.2): admins, agents, the owner and custom-role agents hold a
// seat, suspended agents still do; light agents and contributors do not; end
// users never do; shared agents belong to another account; deleted users
// hold none.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "store/store.h"
#include "zendesk/models.h"

namespace sk::sync {

struct License {
  std::string type;  // admin | agent | light-agent | contributor | billing-admin | chat-agent | end-user
  bool seat = false;
  std::optional<std::string> custom_role;  // the custom role's name when known
};

License Classify(const zendesk::User& u, const std::map<int64_t, zendesk::CustomRole>& roles);

// The store record for a Zendesk user. `soft_deleted` says the user is in
// /deleted_users (else an inactive user is taken as permanently deleted).
store::UserRecord ToRecord(const zendesk::User& u, const std::map<int64_t, zendesk::CustomRole>& roles,
                           bool soft_deleted);

}  // namespace sk::sync
