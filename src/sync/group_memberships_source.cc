// Zendesk groups and their members, for reclaim policies that exempt the
// members of a group (`policy add --exempt-groups Escalations`): GET
// /api/v2/groups, then GET /api/v2/group_memberships ({id, user_id, group_id,
// default}), both cursor-paginated at 100 a page (page[size]=100, meta.has_more,
// links.next) on the account's rate-limit budget. The whole set is read and
// stored at once (store/groups.h), replacing the previous one; an interrupted
// read keeps the previous set. Cost: ceil(groups / 100) + ceil(memberships /
// 100) requests — 2 for most accounts, about 1 + staff x groups-per-agent /
// 100 for large ones (5,000 agents in 2 groups each: 101).
//
// When: only when some policy of the account exempts a group. Memberships
// serve nothing else (no report uses them), and on a large account they cost
// as much as the daily staff list again, on every sync, for every account.
// The price: a policy added with --exempt-groups cannot be tested until the
// next sync has read them (`policy test` says so instead of guessing).
#include <nlohmann/json.hpp>

#include "store/groups.h"
#include "sync/source.h"

namespace sk::sync {
namespace {

// Whether a stored policy (policy/policy.h: "policy:NAME" -> JSON with
// exempt.groups) exempts any group.
Result<bool> GroupsWanted(store::Store& st, const std::string& account) {
  SK_ASSIGN_OR_RETURN(auto policies, st.ListValues(account, "policy:"));
  for (const auto& [key, value] : policies) {
    auto j = nlohmann::json::parse(value, nullptr, false);
    if (!j.is_object() || !j.contains("exempt") || !j["exempt"].is_object()) continue;
    const auto& groups = j["exempt"].value("groups", nlohmann::json::array());
    if (groups.is_array() && !groups.empty()) return true;
  }
  return false;
}

class GroupMembershipsSource final : public Source {
 public:
  const char* name() const override { return "group_memberships"; }
  // Every account has groups; whether they are read is Run's business (not
  // a "skipped" line on every sync of an account without such a policy).
  bool Available(const SyncContext&, std::string*) const override { return true; }

  Status Run(SyncContext& ctx) override {
    SK_ASSIGN_OR_RETURN(bool wanted, GroupsWanted(*ctx.store, ctx.conn.account));
    if (!wanted) return Status::Ok();
    store::GroupsSnapshot g;
    g.synced_at = ctx.now;
    int64_t pages = 0, records = 0;
    std::string cursor;
    bool more = false;
    do {
      SK_ASSIGN_OR_RETURN(auto page, ctx.client->ListGroups(cursor));
      ++pages;
      for (const auto& group : page.items) {
        ++records;
        if (!group.deleted) g.names[group.id] = group.name;
      }
      ctx.Report({"group_memberships", pages, records, 0.1, -1});
      SK_ASSIGN_OR_RETURN(more, NextCursor(page, &cursor, "the group list"));
    } while (more);
    cursor.clear();
    do {
      SK_ASSIGN_OR_RETURN(auto page, ctx.client->ListGroupMemberships(cursor));
      ++pages;
      for (const auto& m : page.items) {
        ++records;
        if (g.names.count(m.group_id)) g.memberships.emplace_back(m.user_id, m.group_id);
      }
      ctx.Report({"group_memberships", pages, records, page.has_more ? 0.5 : 1.0, -1});
      SK_ASSIGN_OR_RETURN(more, NextCursor(page, &cursor, "the group membership list"));
    } while (more);
    return store::PutGroups(*ctx.store, ctx.conn.account, g);
  }
};

}  // namespace

std::unique_ptr<Source> MakeGroupMembershipsSource() {
  return std::make_unique<GroupMembershipsSource>();
}

}  // namespace sk::sync
