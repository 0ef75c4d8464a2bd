#include "store/groups.h"

#include <algorithm>

#include "util/text.h"

namespace sk::store {

using nlohmann::json;

namespace {
constexpr const char* kGroupsKey = "groups";
}  // namespace

std::vector<int64_t> GroupsSnapshot::GroupsOf(int64_t user_id) const {
  std::vector<int64_t> out;
  for (const auto& [user, group] : memberships)
    if (user == user_id) out.push_back(group);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<int64_t> GroupsSnapshot::Resolve(const std::string& name_or_id) const {
  const std::string want = AsciiLower(Trim(name_or_id));
  if (want.empty()) return std::nullopt;
  for (const auto& [id, name] : names)
    if (std::to_string(id) == want) return id;
  for (const auto& [id, name] : names)
    if (AsciiLower(name) == want) return id;
  return std::nullopt;
}

json GroupsSnapshot::ToJson() const {
  json groups = json::array(), members = json::array();
  for (const auto& [id, name] : names) groups.push_back({{"id", id}, {"name", name}});
  for (const auto& [user, group] : memberships) members.push_back({user, group});
  return {{"synced_at", synced_at}, {"groups", groups}, {"memberships", members}};
}

GroupsSnapshot GroupsSnapshot::FromJson(const json& j) {
  GroupsSnapshot g;
  if (!j.is_object()) return g;
  g.synced_at = j.value("synced_at", UnixTime{0});
  for (const auto& x : j.value("groups", json::array()))
    if (x.is_object() && x.contains("id") && x["id"].is_number_integer())
      g.names[x["id"].get<int64_t>()] = x.value("name", "");
  for (const auto& m : j.value("memberships", json::array()))
    if (m.is_array() && m.size() == 2 && m[0].is_number_integer() && m[1].is_number_integer())
      g.memberships.emplace_back(m[0].get<int64_t>(), m[1].get<int64_t>());
  return g;
}

Status PutGroups(Store& st, const std::string& account, const GroupsSnapshot& g) {
  return st.PutValue(account, kGroupsKey, g.ToJson().dump());
}

Result<std::optional<GroupsSnapshot>> GetGroups(Store& st, const std::string& account) {
  SK_ASSIGN_OR_RETURN(auto v, st.GetValue(account, kGroupsKey));
  if (!v) return std::optional<GroupsSnapshot>();
  json j = json::parse(*v, nullptr, false);
  if (!j.is_object()) return IoError("the stored Zendesk groups of " + account + " are damaged");
  return std::optional<GroupsSnapshot>(GroupsSnapshot::FromJson(j));
}

}  // namespace sk::store
