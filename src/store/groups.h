// Zendesk groups and their members, as the last sync read them
// (sync/group_memberships_source.cc), for reclaim policies that exempt the
// members of a group (policy add --exempt-groups). Kept whole in the
// per-account key/value table (key "groups"), replaced by each read: a
// policy test reads it and never asks Zendesk.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/store.h"
#include "util/status.h"
#include "util/time.h"

namespace sk::store {

struct GroupsSnapshot {
  UnixTime synced_at = 0;
  std::map<int64_t, std::string> names;                  // live groups by id (deleted ones left out)
  std::vector<std::pair<int64_t, int64_t>> memberships;  // (user_id, group_id), of live groups

  // The ids of the groups `user_id` belongs to, ascending.
  std::vector<int64_t> GroupsOf(int64_t user_id) const;
  // The group an entry of --exempt-groups names: a live group's id, or its
  // name compared case-insensitively (nullopt when none).
  std::optional<int64_t> Resolve(const std::string& name_or_id) const;

  nlohmann::json ToJson() const;
  static GroupsSnapshot FromJson(const nlohmann::json& j);
};

// Replaces the account's snapshot.
Status PutGroups(Store& st, const std::string& account, const GroupsSnapshot& g);
// The account's snapshot; nullopt when no sync has read the groups yet.
Result<std::optional<GroupsSnapshot>> GetGroups(Store& st, const std::string& account);

}  // namespace sk::store
