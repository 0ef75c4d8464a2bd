#include "sync/license.h"

namespace sk::sync {

License Classify(const zendesk::User& u, const std::map<int64_t, zendesk::CustomRole>& roles) {
  License l;
  const zendesk::CustomRole* role = nullptr;
  if (u.custom_role_id) {
    if (auto it = roles.find(*u.custom_role_id); it != roles.end()) {
      role = &it->second;
      l.custom_role = role->name;
    }
  }
  std::optional<int> role_type = u.role_type;
  if (!role_type && role) role_type = role->role_type;

  if (u.role == "admin") {
    l.type = role_type == 5 ? "billing-admin" : "admin";
    l.seat = true;
  } else if (u.role == "agent") {
    if (role_type == 1 || (role && role->light_agent)) {
      l.type = "light-agent";
    } else if (role_type == 3) {
      l.type = "contributor";
    } else if (role_type == 2 || u.chat_only) {
      l.type = "chat-agent";
      l.seat = true;
    } else if (role_type == 5) {
      l.type = "billing-admin";
      l.seat = true;
    } else {
      l.type = "agent";
      l.seat = true;
    }
  } else {
    l.type = "end-user";
  }
  if (u.shared_agent) l.seat = false;
  if (!u.active) l.seat = false;
  return l;
}

store::UserRecord ToRecord(const zendesk::User& u, const std::map<int64_t, zendesk::CustomRole>& roles,
                           bool soft_deleted) {
  License l = Classify(u, roles);
  store::UserRecord r;
  r.id = u.id.value_or(0);
  r.name = u.name;
  r.email = u.email;
  r.role = u.role;
  r.role_type = u.role_type;
  r.custom_role_id = u.custom_role_id;
  r.custom_role = l.custom_role;
  r.license = l.type;
  r.seat = l.seat;
  r.suspended = u.suspended;
  r.deleted = !u.active;
  r.deleted_kind = u.active ? "" : (soft_deleted ? "soft" : "permanent");
  r.last_login_at = u.last_login_at;
  r.created_at = u.created_at;
  r.updated_at = u.updated_at;
  r.tags = u.tags;
  return r;
}

}  // namespace sk::sync
