// `seatkeeper reconcile --directory FILE` end to end (issue #18 item 4): an
// identity provider's export built from zdsim's truth, with a leaver
// (deprovisioned), one absent, a renamed address in another case, one
// renamed with the Zendesk address as an alias, members suspended or
// deleted in Zendesk, and bad rows; CSV and JSON give the same answer; a
// policy with --not-in-directory matches the leavers of the remembered one.
#include <gtest/gtest.h>

#include <cctype>
#include <map>
#include <set>

#include "support/account.h"

namespace sk::testing {
namespace {

using nlohmann::json;

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::set<int64_t> Ids(const json& findings) {
  std::set<int64_t> out;
  for (const auto& f : findings) out.insert(f["user_id"].get<int64_t>());
  return out;
}

TEST(DirectoryReconcile, LeaversRenamedAddressesAndBadRows) {
  Account acct(SmallAccount(51), "reconcile");
  ASSERT_EQ(acct.Connect({"--permission", "read-write"}).exit_code, 0);
  acct.Json({"sync"});
  const std::vector<int64_t> spare = acct.SpareAgents();
  ASSERT_GE(spare.size(), 6u);
  const int64_t cased = spare[0], aliased = spare[1], deprovisioned = spare[2], absent = spare[3],
                suspended = spare[4], deleted = spare[5];
  // Changed in Zendesk after the first sync (the next one sees them).
  ASSERT_FALSE(acct.sim().UpdateUser(suspended, {{"suspended", true}}).has_value());
  ASSERT_TRUE(acct.sim().SoftDeleteUser(deleted));
  acct.Advance(3600);
  acct.Json({"sync"});

  // The directory: every Zendesk staff member and the deleted one, from the truth.
  std::string csv = "Email,Status,Department,Manager,Aliases\n";
  json people = json::array();
  std::set<int64_t> listed;
  for (const auto& u : acct.sim().TruthUsers()) {
    const int64_t id = u["id"];
    if (u["role"] == "end-user" || (u["deleted"].get<bool>() && id != deleted) || id == absent) continue;
    std::string email = u["email"], status = "ACTIVE", alias;
    if (id == cased) email = Upper(email);
    if (id == aliased) {
      alias = email;
      email = "renamed." + email;
    }
    if (id == deprovisioned) status = "DEPROVISIONED";
    listed.insert(id);
    csv += email + "," + status + ",Support,\"Lead, Support\"," + alias + "\n";
    people.push_back({{"email", email},
                      {"status", status},
                      {"department", "Support"},
                      {"aliases", alias.empty() ? json::array() : json::array({alias})}});
  }
  const int first_bad = static_cast<int>(people.size()) + 2;  // CSV lines: header, then one per member
  csv += "not-an-email,ACTIVE,,,\n";
  csv += "someone@example.com,on holiday,,,\n";
  csv += ",ACTIVE,,,\n";
  csv += "short,row\n";
  people.push_back({{"email", "not-an-email"}, {"status", "ACTIVE"}});
  people.push_back({{"email", "someone@example.com"}, {"status", "on holiday"}});
  people.push_back({{"status", "ACTIVE"}});
  people.push_back("a string");
  const std::string csv_file = acct.cli().WriteFile("people.csv", csv);
  const std::string json_file = acct.cli().WriteFile("people.json", json({{"users", people}}).dump());
  acct.sim().ClearRequests();

  json r = acct.Json({"reconcile", "--directory", csv_file});
  EXPECT_EQ(Ids(r["leavers"]), (std::set<int64_t>{deprovisioned, absent})) << r["leavers"].dump(1);
  // Truth: the directory's active members suspended or deleted in Zendesk
  // (the two changed above, and any the simulated account had already).
  std::set<int64_t> locked_out;
  for (const auto& u : acct.sim().TruthUsers())
    if (listed.count(u["id"]) && u["id"] != deprovisioned &&
        (u["suspended"].get<bool>() || u["deleted"].get<bool>()))
      locked_out.insert(u["id"].get<int64_t>());
  EXPECT_TRUE(locked_out.count(suspended) && locked_out.count(deleted));

  EXPECT_EQ(Ids(r["suspended_or_deleted_members"]), locked_out) << r["suspended_or_deleted_members"].dump(1);
  for (const auto& f : r["leavers"])
    EXPECT_EQ(f["why"], f["user_id"] == absent ? "absent from the directory"
                                               : "deactivated in the directory (DEPROVISIONED)");
  ASSERT_EQ(r["bad_rows"].size(), 4u) << r["bad_rows"].dump(1);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(r["bad_rows"][i]["line"], first_bad + i) << r["bad_rows"].dump(1);
  EXPECT_NE(r["bad_rows"][1]["problem"].get<std::string>().find("on holiday"), std::string::npos);

  // The JSON export says the same.
  json j = acct.Json({"reconcile", "--directory", json_file});
  auto why = [](const json& findings) {
    std::map<int64_t, std::string> out;
    for (const auto& f : findings) out[f["user_id"]] = f["why"];
    return out;
  };
  EXPECT_EQ(why(j["leavers"]), why(r["leavers"]));
  EXPECT_EQ(why(j["suspended_or_deleted_members"]), why(r["suspended_or_deleted_members"]));
  EXPECT_EQ(j["bad_rows"].size(), 4u);
  EXPECT_EQ(acct.sim().Requests().size(), 0u) << "reconcile asked Zendesk";

  // Nothing remembered yet; a missing file is a usage error.
  EXPECT_EQ(acct.cli().Run({"reconcile"}).exit_code, 3);
  EXPECT_EQ(acct.cli().Run({"reconcile", "--directory", acct.cli().home() + "/nope.csv"}).exit_code, 2);
  EXPECT_EQ(
      acct.cli().Run({"reconcile", "--directory", acct.cli().WriteFile("x.csv", "a,b\n1,2\n")}).exit_code, 2);

  // A policy over "not in directory" needs a remembered one, then matches its leavers.
  ASSERT_EQ(
      acct.cli().Run({"policy", "add", "leavers", "--action", "suspend", "--not-in-directory"}).exit_code, 0);
  EXPECT_EQ(acct.cli().Run({"policy", "test", "leavers"}).exit_code, 3);
  acct.Json({"reconcile", "--directory", csv_file, "--remember"});
  EXPECT_EQ(acct.Json({"reconcile"})["leavers"], r["leavers"]);
  json t = acct.Json({"policy", "test", "leavers"});
  std::set<int64_t> matched;
  for (const auto& m : t["matches"]) {
    matched.insert(m["user_id"].get<int64_t>());
    EXPECT_FALSE(m["evidence"]["directory"].get<std::string>().empty()) << m.dump();
  }
  EXPECT_EQ(matched, (std::set<int64_t>{deprovisioned, absent})) << t.dump(1);
}

}  // namespace
}  // namespace sk::testing
