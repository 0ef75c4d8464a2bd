// Reclaim policies' exemptions by Zendesk tag and group, and their condition
// by recommendation kind (issue #18 item 1), end to end: the real
// `seatkeeper` against zdsim over HTTP. A `--recommendation light-agent`
// policy matches exactly the users `recommendations --json` lists with that
// kind, with the recommendation's reason as evidence; tagged users and group
// members who would match are listed as exempted with the reason; the groups
// are read by the sync once a policy exempts a group (`policy test` never
// asks Zendesk), and a tag removed in Zendesk is seen by the next sync.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "support/account.h"

namespace sk::testing {
namespace {

using nlohmann::json;

bool Has(const json& list, const std::string& v) {
  for (const auto& x : list)
    if (x == v) return true;
  return false;
}

int RequestsTo(Account& acct, const std::string& path) {
  int n = 0;
  for (const auto& r : acct.sim().Requests()) n += r["path"].get<std::string>().rfind(path, 0) == 0;
  return n;
}

TEST(PolicyExemptions, RecommendationKindTagsAndGroups) {
  Account acct(SmallAccount(41), "policy-exempt");
  ASSERT_EQ(acct.Connect({"--permission", "read-write"}).exit_code, 0);
  acct.Json({"sync"});
  EXPECT_EQ(RequestsTo(acct, "/api/v2/group"), 0) << "groups read with no policy exempting one";
  const json truth = acct.sim().TruthUsers();
  std::map<int64_t, json> by_id;
  int64_t rita = 0, nora = 0;
  for (const auto& u : truth) {
    by_id[u["id"]] = u;
    if (u["name"] == "Rita Reader") rita = u["id"];
    if (u["name"] == "Nora Notes") nora = u["id"];
  }
  ASSERT_TRUE(Has(by_id[rita]["tags"], "vip")) << by_id[rita].dump();
  ASSERT_TRUE(Has(by_id[nora]["groups"], "Escalations")) << by_id[nora].dump();

  // The recommendations report's light-agent rows, and a light-agent role to move them to.
  std::map<int64_t, std::string> light;  // user -> reason
  int64_t role = 0;
  for (const auto& r : acct.Json({"recommendations"})) {
    if (r["kind"] != "light-agent") continue;
    light[r["user_id"]] = r["reason"];
    if (r["action"]["preset"].contains("custom_role_id")) role = r["action"]["preset"]["custom_role_id"];
  }
  ASSERT_TRUE(light.count(rita) && light.count(nora)) << "the cast's private-notes and reader agents";
  ASSERT_GT(role, 0);

  // 1. The condition: exactly the report's users of that kind, with its reason; nothing asked of Zendesk.
  ASSERT_EQ(acct.cli()
                .Run({"policy", "add", "light", "--action", "downgrade-light", "--custom-role",
                      std::to_string(role), "--recommendation", "light-agent"})
                .exit_code,
            0);
  acct.sim().ClearRequests();
  json t = acct.Json({"policy", "test", "light"});
  std::map<int64_t, std::string> got;
  for (const auto& m : t["matches"]) {
    got[m["user_id"]] = m["evidence"]["recommendation"]["reason"];
    EXPECT_EQ(m["evidence"]["recommendation"]["kind"], "light-agent");
  }
  EXPECT_EQ(got, light);
  EXPECT_TRUE(t["exempted"].empty()) << t["exempted"].dump();
  EXPECT_TRUE(acct.sim().Requests().empty()) << "policy test asked Zendesk: " << acct.sim().Requests().dump();

  // 2. Exemptions: before a sync has read the groups the policy cannot be tested (exit 3, says why).
  ASSERT_EQ(acct.cli()
                .Run({"policy", "add", "light-spared", "--action", "downgrade-light", "--custom-role",
                      std::to_string(role), "--recommendation", "light-agent", "--exempt-tags", "VIP",
                      "--exempt-groups", "escalations"})
                .exit_code,
            0);
  CliResult unread = acct.cli().Run({"policy", "test", "light-spared", "--json"});
  EXPECT_EQ(unread.exit_code, 3) << unread.out << unread.err;
  EXPECT_NE(unread.err.find("seatkeeper sync"), std::string::npos) << unread.err;
  acct.sim().ClearRequests();
  acct.Json({"sync"});
  EXPECT_EQ(RequestsTo(acct, "/api/v2/groups"), 1);  // a small account: one page each
  EXPECT_EQ(RequestsTo(acct, "/api/v2/group_memberships"), 1);
  acct.sim().ClearRequests();
  t = acct.Json({"policy", "test", "light-spared"});
  EXPECT_TRUE(acct.sim().Requests().empty());
  std::map<int64_t, std::string> why;
  for (const auto& e : t["exempted"]) why[e["user_id"]] = e["why"];
  std::set<int64_t> matched;
  for (const auto& m : t["matches"]) matched.insert(m["user_id"].get<int64_t>());
  for (const auto& [id, reason] : light) {
    const json& u = by_id[id];
    if (Has(u["tags"], "vip")) {
      EXPECT_EQ(why[id], "exempt by tag vip") << u.dump();
    } else if (Has(u["groups"], "Escalations")) {
      EXPECT_EQ(why[id].rfind("exempt by group Escalations (", 0), 0u) << why[id] << " " << u.dump();
    } else {
      EXPECT_TRUE(matched.count(id)) << u.dump();
      continue;
    }
    EXPECT_FALSE(matched.count(id)) << u.dump();
  }
  EXPECT_EQ(why[rita], "exempt by tag vip");
  EXPECT_EQ(why[nora].rfind("exempt by group Escalations", 0), 0u) << why[nora];
  EXPECT_EQ(matched.size() + why.size(), light.size());

  // The group alone (by id this time): its member is spared, the tagged user matches again.
  std::string escalations = why[nora].substr(why[nora].find('(') + 1);
  escalations = escalations.substr(0, escalations.find(')'));
  ASSERT_EQ(
      acct.cli()
          .Run({"policy", "add", "light-group", "--action", "downgrade-light", "--custom-role",
                std::to_string(role), "--recommendation", "light-agent", "--exempt-groups", escalations})
          .exit_code,
      0);
  t = acct.Json({"policy", "test", "light-group"});
  matched.clear();
  for (const auto& m : t["matches"]) matched.insert(m["user_id"].get<int64_t>());
  EXPECT_TRUE(matched.count(rita)) << t.dump();
  EXPECT_FALSE(matched.count(nora)) << t.dump();

  // 3. The tag removed in Zendesk: the next sync reads it, and Rita matches.
  ASSERT_FALSE(acct.sim().UpdateUser(rita, {{"tags", json::array()}}).has_value());
  acct.Json({"sync"});
  t = acct.Json({"policy", "test", "light-spared"});
  bool rita_matches = false;
  for (const auto& m : t["matches"]) rita_matches |= m["user_id"] == rita;
  EXPECT_TRUE(rita_matches) << t.dump();
}

TEST(PolicyExemptions, BadRecommendationKindsAreUsageErrors) {
  Account acct(SmallAccount(43), "policy-exempt-bad");
  ASSERT_EQ(acct.Connect().exit_code, 0);
  CliResult r =
      acct.cli().Run({"policy", "add", "x", "--action", "downgrade-end-user", "--recommendation", "sleepy"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("light-agent"), std::string::npos) << r.err;
  r = acct.cli().Run({"policy", "add", "y", "--action", "suspend", "--recommendation", "integration"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--include-integrations"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sk::testing
