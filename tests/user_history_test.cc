// Role history end to end (issue #17 item 3): users change between two syncs
// in zdsim (Enterprise: the audit log names who changed them, reference
// §7.1) — a role change and a suspension by the account owner, a custom role
// change through the Zendesk API by the admin, a deletion by the admin, a role
// change nobody is recorded for, a permanent deletion — and seatkeeper's own
// action; `users history ID --json` and GET /api/users/{id}/history show each
// with the right time or time bounds and the actor where the audit log names one.
#include <gtest/gtest.h>
#include <httplib.h>

#include "support/account.h"
#include "support/serve_process.h"
#include "util/time.h"

namespace sk::testing {
namespace {

using nlohmann::json;

// The history entries of `field`.
std::vector<json> Field(const json& history, const std::string& field) {
  std::vector<json> out;
  for (const auto& e : history["history"])
    if (e["field"] == field) out.push_back(e);
  return out;
}

TEST(UserHistory, ChangesBetweenSyncsWithTimeBoundsAndTheAuditLogsActor) {
  Account acct(SmallAccount(31, "enterprise"), "history");
  zdsim::Simulator& sim = acct.sim();
  ASSERT_EQ(acct.Connect({"--permission", "read-write"}).exit_code, 0);
  acct.Json({"sync"});
  const int64_t t0 = sim.Now();

  std::vector<int64_t> agents = acct.SpareAgents();
  ASSERT_GE(agents.size(), 6u);
  const int64_t role_by_owner = agents[0], custom_by_admin = agents[1], suspended_by_owner = agents[2],
                deleted_by_admin = agents[3], nobody = agents[4], by_seatkeeper = agents[5];

  acct.Advance(3600, false);
  const int64_t t_role = sim.Now();
  ASSERT_FALSE(sim.UpdateUser(role_by_owner, {{"role", "end-user"}}, sim.OwnerId()).has_value());
  acct.Advance(600, false);
  const int64_t t_custom = sim.Now();
  httplib::Client zd(sim.BaseUrl());
  zd.set_basic_auth((sim.AdminEmail() + "/token").c_str(), zdsim::kAdminApiToken);
  auto roles = zd.Get("/api/v2/custom_roles.json");
  ASSERT_TRUE(roles && roles->status == 200);
  int64_t light = 0;
  const json role_list = json::parse(roles->body);
  for (const auto& r : role_list["custom_roles"])
    if (r["role_type"] == 1) light = r["id"];
  ASSERT_NE(light, 0);
  auto put =
      zd.Put("/api/v2/users/" + std::to_string(custom_by_admin) + ".json",
             json{{"user", {{"role", "agent"}, {"custom_role_id", light}}}}.dump(), "application/json");
  ASSERT_TRUE(put && put->status == 200) << (put ? put->body : "no answer");
  acct.Advance(600, false);
  const int64_t t_suspend = sim.Now();
  ASSERT_FALSE(sim.UpdateUser(suspended_by_owner, {{"suspended", true}}, sim.OwnerId()).has_value());
  acct.Advance(600, false);
  const int64_t t_delete = sim.Now();
  auto del = zd.Delete("/api/v2/users/" + std::to_string(deleted_by_admin) + ".json");
  ASSERT_TRUE(del && del->status == 200) << (del ? del->body : "no answer");
  ASSERT_FALSE(sim.UpdateUser(nobody, {{"role", "admin"}}).has_value());  // no actor: no audit record
  acct.Advance(3600, false);
  const int64_t t2 = sim.Now();
  acct.Json({"sync"});

  auto history = [&](int64_t id) { return acct.Json({"users", "history", std::to_string(id)}); };

  json h = history(role_by_owner);
  ASSERT_EQ(Field(h, "role").size(), 1u) << h.dump(2);
  json e = Field(h, "role")[0];
  EXPECT_EQ(e["from"], "agent");
  EXPECT_EQ(e["to"], "end-user");
  EXPECT_EQ(e["at"], FormatIso(t_role)) << e.dump();
  EXPECT_TRUE(e["between"].is_null());
  EXPECT_EQ(e["actor"]["id"], sim.OwnerId()) << e.dump();
  EXPECT_EQ(e["actor"]["via"], "audit_log");
  EXPECT_EQ(e["seen_by"], "sync");
  ASSERT_EQ(Field(h, "license").size(), 1u);
  EXPECT_EQ(Field(h, "license")[0]["to"], "end-user");

  h = history(custom_by_admin);
  ASSERT_EQ(Field(h, "custom_role").size(), 1u) << h.dump(2);
  e = Field(h, "custom_role")[0];
  EXPECT_NE(e["from"], e["to"]);
  EXPECT_EQ(e["to"], "Light Agent");
  EXPECT_EQ(e["at"], FormatIso(t_custom));
  EXPECT_EQ(e["actor"]["id"], sim.AdminId()) << e.dump();
  EXPECT_EQ(Field(h, "license")[0]["to"], "light-agent");

  h = history(suspended_by_owner);
  ASSERT_EQ(Field(h, "suspended").size(), 1u) << h.dump(2);
  e = Field(h, "suspended")[0];
  EXPECT_EQ(e["from"], "false");
  EXPECT_EQ(e["to"], "true");
  EXPECT_EQ(e["at"], FormatIso(t_suspend));
  EXPECT_EQ(e["actor"]["id"], sim.OwnerId());

  h = history(deleted_by_admin);
  ASSERT_EQ(Field(h, "deleted").size(), 1u) << h.dump(2);
  e = Field(h, "deleted")[0];
  EXPECT_EQ(e["to"], "soft");
  EXPECT_EQ(e["at"], FormatIso(t_delete));
  EXPECT_EQ(e["actor"]["id"], sim.AdminId());

  // Nobody is on record: between the two syncs, no actor.
  h = history(nobody);
  ASSERT_EQ(Field(h, "role").size(), 1u) << h.dump(2);
  e = Field(h, "role")[0];
  EXPECT_EQ(e["to"], "admin");
  EXPECT_TRUE(e["at"].is_null()) << e.dump();
  EXPECT_EQ(e["between"]["from"], FormatIso(t0));
  EXPECT_EQ(e["between"]["to"], FormatIso(t2));
  EXPECT_TRUE(e["actor"].is_null());
  CliResult text = acct.cli().Run({"users", "history", std::to_string(nobody)});
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("between " + FormatIso(t0) + " and " + FormatIso(t2)), std::string::npos)
      << text.out;

  // seatkeeper's own action: its time and actor, at once, and a later sync adds nothing.
  ASSERT_EQ(acct.Json({"user", "suspend", std::to_string(by_seatkeeper)})["result"], "ok");
  h = history(by_seatkeeper);
  ASSERT_EQ(Field(h, "suspended").size(), 1u) << h.dump(2);
  e = Field(h, "suspended")[0];
  EXPECT_EQ(e["at"], FormatIso(t2));
  EXPECT_EQ(e["seen_by"], "seatkeeper");
  EXPECT_EQ(e["actor"]["via"], "seatkeeper");
  EXPECT_EQ(e["actor"]["name"].get<std::string>().rfind("cli:", 0), 0u) << e.dump();

  // A permanent deletion nobody is on record for: between the second and third sync.
  ASSERT_TRUE(sim.PermanentlyDeleteUser(deleted_by_admin));
  acct.Advance(3600, false);
  const int64_t t3 = sim.Now();
  acct.Json({"sync"});
  EXPECT_EQ(Field(history(by_seatkeeper), "suspended").size(), 1u);
  h = history(deleted_by_admin);
  ASSERT_EQ(Field(h, "deleted").size(), 2u) << h.dump(2);
  e = Field(h, "deleted")[1];
  EXPECT_EQ(e["from"], "soft");
  EXPECT_EQ(e["to"], "permanent");
  EXPECT_EQ(e["between"]["from"], FormatIso(t2));
  EXPECT_EQ(e["between"]["to"], FormatIso(t3));

  // Unknown user: exit 1, not found.
  EXPECT_EQ(acct.cli().Run({"users", "history", "999999999"}).exit_code, 1);

  // The REST API answers the same JSON.
  const std::string password = "correct horse battery staple 31";
  ASSERT_EQ(acct.cli().Run({"admin", "set-password", "--password-file", "-"}, password + "\n").exit_code, 0);
  ServeProcess web(acct.cli().home(), FreePort());
  ASSERT_TRUE(web.Login(password));
  ServeProcess::Answer rest = web.Get("/api/users/" + std::to_string(role_by_owner) + "/history");
  EXPECT_EQ(rest.status, 200);
  EXPECT_EQ(rest.body, history(role_by_owner));
  EXPECT_EQ(web.Get("/api/users/999999999/history").status, 404);
}

}  // namespace
}  // namespace sk::testing
