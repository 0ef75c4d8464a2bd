// zdsim's groups, group memberships and user tags (reclaim policies'
// exemptions): cursor walks of /groups and /group_memberships agree with the
// truth's group_ids; a tag change through PUT /users shows in the user and
// the truth; a demoted agent's memberships are no longer listed.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "sim_test_util.h"

namespace zdsim {
namespace {

using nlohmann::json;
using testing::AdminClient;
using testing::Body;
using testing::FixedOptions;
using testing::WalkCbp;

TEST(ZdsimGroups, WalksAgreeWithTheTruthAndTagsChangeThroughPut) {
  Simulator sim(FixedOptions());
  sim.Start();
  auto cli = AdminClient(sim);
  int pages = 0;
  json groups = WalkCbp(*cli, "/api/v2/groups.json?page%5Bsize%5D=2", "groups", &pages);
  EXPECT_EQ(pages, 2);
  std::map<int64_t, std::string> live;
  for (const auto& g : groups)
    if (!g["deleted"]) live[g["id"]] = g["name"];
  EXPECT_EQ(live.size(), 3u);
  json members =
      WalkCbp(*cli, "/api/v2/group_memberships.json?page%5Bsize%5D=7", "group_memberships", &pages);
  EXPECT_GT(pages, 2);
  std::map<int64_t, std::set<int64_t>> got, want;
  std::set<int64_t> ids;
  for (const auto& m : members) {
    EXPECT_TRUE(ids.insert(m["id"].get<int64_t>()).second) << "a membership listed twice";
    if (live.count(m["group_id"])) got[m["user_id"]].insert(m["group_id"].get<int64_t>());
  }
  int64_t escalated = 0, tagged = 0;
  for (const auto& u : sim.TruthUsers()) {
    for (const auto& g : u["group_ids"]) want[u["id"]].insert(g.get<int64_t>());
    for (const auto& n : u["groups"])
      if (n == "Escalations" && u["role"] == "agent" && !escalated) escalated = u["id"];
    if (u["name"] == "Rita Reader") {
      EXPECT_EQ(u["tags"], json::array({"vip"}));
      tagged = u["id"];
    }
  }
  EXPECT_EQ(got, want);
  ASSERT_NE(escalated, 0);

  // Tags are replaced by PUT /users/{id}, lower-cased, and served.
  auto r = cli->Put(("/api/v2/users/" + std::to_string(tagged) + ".json").c_str(),
                    R"({"user":{"tags":["VIP","Board","vip"]}})", "application/json");
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");
  EXPECT_EQ(Body(r)["user"]["tags"], json::array({"vip", "board"}));

  // An agent demoted to end user leaves every group.
  ASSERT_FALSE(sim.UpdateUser(escalated, {{"role", "end-user"}}).has_value());
  members = WalkCbp(*cli, "/api/v2/group_memberships.json?page%5Bsize%5D=100", "group_memberships", &pages);
  for (const auto& m : members) EXPECT_NE(m["user_id"], escalated);
  // exclude_deleted leaves the deleted group out.
  r = cli->Get("/api/v2/groups.json?exclude_deleted=true");
  ASSERT_TRUE(r && r->status == 200);
  EXPECT_EQ(Body(r)["groups"].size(), 3u);
}

}  // namespace
}  // namespace zdsim
