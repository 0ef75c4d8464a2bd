// `user suspend` / `user unsuspend` end to end (issue #21's "done when": an
// action added as one file plus one registration line): the CLI command and
// the REST route act on zdsim over real HTTP (its state shows the user
// suspended, the seat kept), with the dry run, idempotency, self protection
// and audit entries of the shared path; OpenAPI and GET /api/operations list
// both actions and the UI's buttons.
#include <gtest/gtest.h>

#include <set>

#include "support/account.h"
#include "support/serve_process.h"

namespace sk::testing {
namespace {

using nlohmann::json;

TEST(SuspendUser, CliAndRestSuspendInZendeskThroughTheSharedPath) {
  Account acct(SmallAccount(22), "suspend");
  ASSERT_EQ(acct.Connect({"--permission", "read-write"}).exit_code, 0);
  acct.Json({"sync"});
  const std::vector<int64_t> spare = acct.SpareAgents();
  ASSERT_FALSE(spare.empty());
  const int64_t agent = spare.back();
  const std::string id = std::to_string(agent);
  acct.sim().ClearRequests();

  // Dry run: says what would change, sends nothing.
  json dry = acct.Json({"user", "suspend", id, "--dry-run"});
  EXPECT_EQ(dry["result"], "dry-run") << dry.dump();
  EXPECT_EQ(dry["changes"][0]["state"], "planned");
  EXPECT_EQ(acct.Mutations(), 0);
  EXPECT_FALSE(acct.TruthUser(agent)["suspended"].get<bool>());

  // The CLI suspends it in Zendesk; the seat stays taken; a re-run is a no-op.
  json done = acct.Json({"user", "suspend", id});
  EXPECT_EQ(done["result"], "ok") << done.dump();
  json truth = acct.TruthUser(agent);
  EXPECT_TRUE(truth["suspended"].get<bool>()) << truth.dump();
  EXPECT_TRUE(truth["seat"].get<bool>()) << truth.dump();
  EXPECT_EQ(acct.Mutations(), 1);
  EXPECT_EQ(acct.Json({"user", "suspend", id})["result"], "no-op");
  EXPECT_EQ(acct.Mutations(), 1);
  bool listed = false;
  for (const auto& u : acct.Json({"users"}))
    if (u["id"] == agent) listed = u["suspended"].get<bool>();
  EXPECT_TRUE(listed) << "the store was not updated at once";
  // The connecting user is protected (exit 3, nothing sent); so is the
  // account owner when seatkeeper knows it (ProtectOwnerAndSelf).
  EXPECT_EQ(acct.cli().Run({"user", "suspend", std::to_string(acct.sim().AdminId())}).exit_code, 3);
  EXPECT_EQ(acct.Mutations(), 1);

  // The REST route lifts it, once per Idempotency-Key.
  const std::string password = "correct horse battery staple 22";
  ASSERT_EQ(acct.cli().Run({"admin", "set-password", "--password-file", "-"}, password + "\n").exit_code, 0);
  ServeProcess web(acct.cli().home(), FreePort());
  ASSERT_TRUE(web.Login(password));
  ServeProcess::Answer lifted =
      web.Post("/api/actions/unsuspend-user", {{"user_id", agent}, {"dry_run", false}}, "lift-1");
  EXPECT_EQ(lifted.status, 200) << lifted.body.dump();
  EXPECT_EQ(lifted.body["result"], "ok");
  EXPECT_FALSE(acct.TruthUser(agent)["suspended"].get<bool>());
  ServeProcess::Answer again =
      web.Post("/api/actions/unsuspend-user", {{"user_id", agent}, {"dry_run", false}}, "lift-1");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.idempotency, "replayed");
  EXPECT_EQ(acct.Mutations(), 2);

  // Audited on both surfaces.
  int cli_entries = 0, web_entries = 0;
  for (const auto& e : acct.Json({"audit"})) {
    if (e["target"] != "user:" + id || e["result"] != "ok") continue;
    cli_entries += e["action"] == "user.suspend" && e["actor"].get<std::string>().rfind("cli:", 0) == 0;
    web_entries += e["action"] == "user.unsuspend" && e["actor"] == "web:admin";
  }
  EXPECT_EQ(cli_entries, 1);
  EXPECT_EQ(web_entries, 1);

  // Listed for OpenAPI clients and for the UI (a button on the user page).
  ServeProcess::Answer openapi = web.Get("/api/openapi.json");
  ASSERT_EQ(openapi.status, 200);
  EXPECT_TRUE(openapi.body["paths"].contains("/api/actions/suspend-user"));
  EXPECT_TRUE(openapi.body["paths"].contains("/api/actions/unsuspend-user"));
  ServeProcess::Answer ops = web.Get("/api/operations");
  ASSERT_EQ(ops.status, 200);
  std::set<std::string> buttons;
  for (const auto& op : ops.body)
    for (const auto& b : op["buttons"]) buttons.insert(b["id"].get<std::string>());
  EXPECT_TRUE(buttons.count("action-suspend")) << ops.body.dump();
  EXPECT_TRUE(buttons.count("action-unsuspend"));
}

}  // namespace
}  // namespace sk::testing
