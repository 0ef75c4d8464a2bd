// One confirmation rule for irreversible actions on every surface (issue
// #21): permanent deletion (user delete --permanent, offboard --permanent)
// needs a confirmation naming the user, its id or its email. The CLI's --yes
// names the id typed on the command line; the REST API takes "confirm" (id
// or email). A missing or misnamed confirmation is refused the same way on
// both surfaces (same code and message, exit 2 / HTTP 400, an audit entry
// "refused") and sends nothing; zdsim's state proves what was deleted.
#include <gtest/gtest.h>

#include "actions/action.h"
#include "support/account.h"
#include "support/serve_process.h"

namespace sk::testing {
namespace {

using nlohmann::json;

// The end users zdsim holds, active.
std::vector<json> ActiveEndUsers(Account& acct) {
  std::vector<json> out;
  for (const auto& u : acct.sim().TruthUsers())
    if (u["role"] == "end-user" && !u["deleted"].get<bool>() && u["email"].is_string()) out.push_back(u);
  return out;
}

TEST(ConfirmationRule, SameRuleAndRefusalOnTheCliAndTheRestApi) {
  Account acct(SmallAccount(21), "confirm-rule");
  ASSERT_EQ(acct.Connect({"--permission", "read-write"}).exit_code, 0);
  acct.Json({"sync"});
  const std::string password = "correct horse battery staple 21";
  ASSERT_EQ(acct.cli().Run({"admin", "set-password", "--password-file", "-"}, password + "\n").exit_code, 0);
  ServeProcess web(acct.cli().home(), FreePort());
  ASSERT_TRUE(web.Login(password));
  std::vector<json> users = ActiveEndUsers(acct);
  ASSERT_GE(users.size(), 4u);
  const std::string rule = actions::kConfirmationRule;
  acct.sim().ClearRequests();

  // Unconfirmed: refused alike, nothing sent.
  const int64_t a = users[0]["id"];
  CliResult cli = acct.cli().Run({"user", "delete", std::to_string(a), "--permanent", "--json"});
  EXPECT_EQ(cli.exit_code, 2) << cli.err;
  json cj = json::parse(cli.out);
  ServeProcess::Answer rest =
      web.Post("/api/actions/delete-user", {{"user_id", a}, {"permanent", true}, {"dry_run", false}});
  EXPECT_EQ(rest.status, 400) << rest.body.dump();
  for (const json& j : {cj, rest.body}) {
    EXPECT_EQ(j["result"], "refused") << j.dump();
    EXPECT_EQ(j["code"], "invalid argument") << j.dump();
    EXPECT_EQ(j["error"], rule) << j.dump();
  }
  // Another user's email or id does not confirm this one.
  rest = web.Post("/api/actions/delete-user",
                  {{"user_id", a}, {"permanent", true}, {"dry_run", false}, {"confirm", users[1]["email"]}});
  EXPECT_EQ(rest.status, 400) << rest.body.dump();
  EXPECT_EQ(rest.body["error"], rule);
  rest = web.Post("/api/actions/offboard", {{"user_id", a},
                                            {"reassign_to", acct.sim().AdminId()},
                                            {"permanent", true},
                                            {"dry_run", false},
                                            {"confirm", std::to_string(users[1]["id"].get<int64_t>())}});
  EXPECT_EQ(rest.status, 400) << rest.body.dump();
  EXPECT_EQ(rest.body["error"], rule);
  cli = acct.cli().Run({"offboard", std::to_string(a), "--reassign-to", std::to_string(acct.sim().AdminId()),
                        "--permanent", "--json"});
  EXPECT_EQ(cli.exit_code, 2) << cli.err;
  EXPECT_EQ(json::parse(cli.out)["error"], rule);
  EXPECT_EQ(acct.Mutations(), 0);
  EXPECT_FALSE(acct.TruthUser(a)["deleted"].get<bool>());
  // Every refusal is in the audit log, whichever surface it came from.
  int refused = 0;
  for (const auto& e : acct.Json({"audit"}))
    refused += e["result"] == "refused" && e["target"] == "user:" + std::to_string(a);
  EXPECT_EQ(refused, 5);

  // Confirmed: by --yes (the id typed), by the id, by the email (any case).
  ASSERT_EQ(acct.cli().Run({"user", "delete", std::to_string(a), "--permanent", "--yes"}).exit_code, 0);
  const int64_t b = users[1]["id"], c = users[2]["id"];
  rest = web.Post("/api/actions/delete-user",
                  {{"user_id", b}, {"permanent", true}, {"dry_run", false}, {"confirm", std::to_string(b)}});
  EXPECT_EQ(rest.status, 200) << rest.body.dump();
  std::string email = users[2]["email"];
  for (char& ch : email) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  rest = web.Post("/api/actions/delete-user",
                  {{"user_id", c}, {"permanent", true}, {"dry_run", false}, {"confirm", email}});
  EXPECT_EQ(rest.status, 200) << rest.body.dump();
  for (int64_t id : {a, b, c}) {
    json t = acct.TruthUser(id);
    EXPECT_TRUE(t["deleted"].get<bool>()) << t.dump();
    EXPECT_TRUE(t["email"].is_null()) << "not scrubbed: " << t.dump();
  }
}

}  // namespace
}  // namespace sk::testing
