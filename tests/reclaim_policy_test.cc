// Reclaim policies and the proposals queue end to end (issue #18): the real
// `seatkeeper` against zdsim with its fixed clock. `policy test` matches what
// the simulator's truth says and changes nothing; a sync turns matches into
// pending proposals that never run unapproved; an approved one waits out its
// grace period and runs once through the action's own path (dry run, audit
// entry naming the policy and the proposal), unless the user signed in or
// edited a ticket meanwhile (cancelled with that evidence); two processes on
// one PostgreSQL store run an approved proposal exactly once; bad policies
// are refused with exit 2.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <map>
#include <set>
#include <thread>

#include "store/pg_test_schema.h"
#include "support/account.h"
#include "support/serve_process.h"

namespace sk::testing {
namespace {

using nlohmann::json;
constexpr int64_t kDay = 86400;

// Successful writes to one user (the role change of a downgrade).
int UserWrites(Account& acct, int64_t user) {
  const std::string path = "/api/v2/users/" + std::to_string(user);
  int n = 0;
  for (const auto& r : acct.sim().Requests()) {
    const int st = r["status"];
    if (r["method"] == "PUT" && st >= 200 && st < 300 && r["path"].get<std::string>().rfind(path, 0) == 0)
      ++n;
  }
  return n;
}

// The day the simulator's clock is on, "YYYY-MM-DD" (UTC).
std::string Today(Account& acct) {
  time_t t = acct.sim().Now();
  char buf[16];
  strftime(buf, sizeof buf, "%Y-%m-%d", gmtime(&t));
  return buf;
}

std::string DayOf(int64_t unix) {
  time_t t = unix;
  char buf[16];
  strftime(buf, sizeof buf, "%Y-%m-%d", gmtime(&t));
  return buf;
}

// Truth: the users with activity on or after `from` (YYYY-MM-DD), with their sources.
std::map<int64_t, std::set<std::string>> ActiveSince(Account& acct, const std::string& from) {
  std::map<int64_t, std::set<std::string>> out;
  for (const auto& row : acct.sim().TruthUsage(90, "UTC")) {
    if (row["date"].get<std::string>() < from) continue;
    for (const auto& s : row["sources"]) out[row["user_id"]].insert(s.get<std::string>());
  }
  return out;
}

// Truth: who "license agent, idle 15+ days" matches: full agents not deleted,
// without activity in the last 15 days, neither the connecting admin, the
// owner nor a probable integration account.
std::set<int64_t> ExpectedIdleAgents(Account& acct) {
  const std::string since = DayOf(acct.sim().Now() - 14 * kDay);
  auto active = ActiveSince(acct, since);
  std::set<int64_t> want;
  for (const auto& u : acct.sim().TruthUsers()) {
    const int64_t id = u["id"];
    if (u["license"] != "agent" || u["deleted"].get<bool>() || u.value("probable_integration", false))
      continue;
    if (id == acct.sim().AdminId() || id == acct.sim().OwnerId() || active.count(id)) continue;
    want.insert(id);
  }
  return want;
}

std::map<std::string, json> ProposalsById(Account& acct) {
  std::map<std::string, json> out;
  for (const auto& p : acct.Json({"proposals"})) out[p["id"]] = p;
  return out;
}

const std::vector<std::string> kIdlePolicy = {
    "policy",    "add",   "idle",        "--action", "downgrade-end-user",
    "--license", "agent", "--idle-days", "15",       "--let-zendesk-reassign"};

// A connected, synced account where nobody was active for the last 20 days.
void QuietAccount(Account& acct) {
  ASSERT_EQ(acct.Connect({"--permission", "read-write"}).exit_code, 0);
  acct.Json({"sync"});
  acct.Advance(20 * kDay, /*activity=*/false);
  acct.Json({"sync"});
}

TEST(ReclaimPolicy, TestMatchesTheTruthAndProposalsNeverRunUnapproved) {
  Account acct(SmallAccount(41), "policy-propose");
  QuietAccount(acct);
  ASSERT_EQ(acct.cli().Run(kIdlePolicy).exit_code, 0);
  acct.sim().ClearRequests();

  // policy test: who matches today, with the evidence; nothing changes.
  json t = acct.Json({"policy", "test", "idle"});
  std::set<int64_t> got;
  for (const auto& m : t["matches"]) {
    got.insert(m["user_id"].get<int64_t>());
    EXPECT_GE(m["evidence"]["idle_days"].get<int>(), 15) << m.dump();
    EXPECT_EQ(m["would_run"]["operation"], "user.set-role");
  }
  const std::set<int64_t> want = ExpectedIdleAgents(acct);
  ASSERT_FALSE(want.empty());
  EXPECT_EQ(got, want);
  EXPECT_EQ(t["changed"], false);
  for (const auto& e : t["exempted"]) EXPECT_FALSE(e["why"].get<std::string>().empty());
  EXPECT_EQ(acct.Mutations(), 0);
  EXPECT_TRUE(acct.Json({"proposals"}).empty()) << "policy test made proposals";

  // A sync turns the matches into pending proposals, once.
  acct.Json({"sync"});
  auto proposals = ProposalsById(acct);
  std::set<int64_t> proposed;
  for (const auto& [id, p] : proposals) {
    EXPECT_EQ(p["state"], "pending") << p.dump();
    EXPECT_EQ(p["policy"], "idle");
    proposed.insert(p["user_id"].get<int64_t>());
  }
  EXPECT_EQ(proposed, want);
  acct.Json({"sync"});
  EXPECT_EQ(ProposalsById(acct).size(), proposals.size()) << "a second sync proposed again";

  // Unapproved, nothing runs however long it waits.
  acct.Advance(10 * kDay, /*activity=*/false);
  acct.Json({"sync"});
  acct.Json({"proposals", "run"});
  for (const auto& [id, p] : ProposalsById(acct)) EXPECT_EQ(p["state"], "pending") << p.dump();
  EXPECT_EQ(acct.Mutations(), 0);
  for (int64_t id : want) EXPECT_EQ(acct.TruthUser(id)["license"], "agent");
}

TEST(ReclaimPolicy, ApprovedRunsOnceAfterTheGracePeriodUnlessTheUserIsActive) {
  Account acct(SmallAccount(42), "policy-grace");
  QuietAccount(acct);
  ASSERT_EQ(acct.cli().Run(kIdlePolicy).exit_code, 0);
  acct.Json({"sync"});
  auto proposals = ProposalsById(acct);
  ASSERT_GE(proposals.size(), 3u);
  for (const auto& [id, p] : proposals) {
    json a = acct.Json({"proposals", "approve", id});
    EXPECT_EQ(a["result"], "ok") << a.dump();
  }
  const std::string approval_day = Today(acct);
  acct.sim().ClearRequests();

  // One user signs in during the grace period: the next sync cancels that
  // proposal with the sign-in as evidence; nothing runs before the period ends.
  const std::string signer_id = proposals.begin()->first;
  const int64_t signer = proposals.begin()->second["user_id"];
  acct.Advance(kDay, /*activity=*/false);
  ASSERT_TRUE(acct.sim().Login(signer));
  acct.Json({"sync"});
  json cancelled = ProposalsById(acct)[signer_id];
  EXPECT_EQ(cancelled["state"], "cancelled") << cancelled.dump();
  EXPECT_EQ(cancelled["cancel_evidence"]["sources"], json::array({"login"})) << cancelled.dump();
  EXPECT_EQ(acct.Mutations(), 0) << "a proposal ran during its grace period";

  // The period passes with the simulator's usual activity: whoever the truth
  // shows active since the approval is cancelled with the evidence, the others run.
  acct.Advance(7 * kDay, /*activity=*/true);
  acct.Json({"sync"});
  const auto active = ActiveSince(acct, approval_day);
  int done = 0, by_ticket = 0;
  for (const auto& [id, p] : ProposalsById(acct)) {
    const int64_t user = p["user_id"];
    if (active.count(user)) {
      EXPECT_EQ(p["state"], "cancelled") << p.dump();
      EXPECT_EQ(UserWrites(acct, user), 0) << p.dump();
      EXPECT_EQ(acct.TruthUser(user)["license"], "agent");
      if (p["cancel_evidence"].is_object()) {
        std::set<std::string> sources;
        for (const auto& s : p["cancel_evidence"]["sources"]) sources.insert(s);
        by_ticket += sources.count("ticket");
      }
      continue;
    }
    EXPECT_EQ(p["state"], "done") << p.dump();
    EXPECT_EQ(UserWrites(acct, user), 1) << p.dump();
    EXPECT_EQ(acct.TruthUser(user)["role"], "end-user") << p.dump();
    EXPECT_EQ(p["dry_run"]["result"], "dry-run") << p.dump();
    EXPECT_GT(p["audit_id"].get<int64_t>(), 0);
    ++done;
  }
  EXPECT_GT(done, 0) << "nobody stayed idle: the test proves nothing about running";
  EXPECT_GT(by_ticket, 0) << "nobody edited a ticket during the grace period";

  // The audit trail: each run is a dry run then the change, by the policy and proposal.
  std::map<std::string, std::vector<std::string>> runs;  // proposal id -> results
  for (const auto& e : acct.Json({"audit"})) {
    const std::string actor = e["actor"];
    auto at = actor.find("proposal:");
    if (e["action"] != "user.set-role" || at == std::string::npos) continue;
    EXPECT_EQ(actor.rfind("policy:idle ", 0), 0u) << actor;
    runs[actor.substr(at + 9, actor.find(' ', at) - at - 9)].push_back(e["result"]);
  }
  EXPECT_EQ(static_cast<int>(runs.size()), done);
  for (const auto& [id, results] : runs)
    EXPECT_EQ(results, (std::vector<std::string>{"dry-run", "ok"})) << id;

  // Later syncs and runs send nothing again.
  const int sent = acct.Mutations();
  acct.Advance(kDay, /*activity=*/false);
  acct.Json({"sync"});
  acct.Json({"proposals", "run"});
  EXPECT_EQ(acct.Mutations(), sent);
  std::cout << "[reclaim] " << proposals.size() << " approved: " << done << " ran once, "
            << proposals.size() - done << " cancelled for activity (" << by_ticket << " by a ticket edit)\n";
}

TEST(ReclaimPolicy, TwoProcessesOnOnePostgresStoreRunAProposalOnce) {
  const std::string pg = store::testing::TestPg();
  if (pg.empty()) GTEST_SKIP() << "SEATKEEPER_TEST_PG is not set (scripts/pg-test-cluster.sh start)";
  const std::string schema = "policy" + std::to_string(getpid());
  const std::string db = store::testing::CreateTestSchema(schema);
  {
    Account acct(SmallAccount(43), "policy-pg");
    acct.cli().SetEnv("SEATKEEPER_DB", db);
    QuietAccount(acct);
    std::vector<std::string> add = kIdlePolicy;
    add.insert(add.end(), {"--grace-days", "0"});
    ASSERT_EQ(acct.cli().Run(add).exit_code, 0);
    acct.Json({"sync"});
    auto proposals = ProposalsById(acct);
    ASSERT_GE(proposals.size(), 3u);
    for (const auto& [id, p] : proposals) acct.Json({"proposals", "approve", id});
    acct.sim().ClearRequests();

    // Due at once (grace 0, a sync at this very time): two processes race.
    CliResult a, b;
    std::thread ta([&] { a = acct.cli().Run({"proposals", "run", "--json"}); });
    std::thread tb([&] { b = acct.cli().Run({"proposals", "run", "--json"}); });
    ta.join();
    tb.join();
    ASSERT_EQ(a.exit_code, 0) << a.err;
    ASSERT_EQ(b.exit_code, 0) << b.err;
    for (const auto& [id, p] : ProposalsById(acct)) {
      EXPECT_EQ(p["state"], "done") << p.dump();
      EXPECT_EQ(UserWrites(acct, p["user_id"]), 1) << p.dump();
    }
    const json ja = json::parse(a.out), jb = json::parse(b.out);
    const int ran = ja["details"]["ran"].get<int>() + jb["details"]["ran"].get<int>();
    EXPECT_GE(ran, static_cast<int>(proposals.size()));
    int changes = 0;
    for (const auto& e : acct.Json({"audit"}))
      changes += e["action"] == "user.set-role" && e["result"] == "ok";
    EXPECT_EQ(changes, static_cast<int>(proposals.size()));
    std::cout << "[reclaim] two processes on PostgreSQL: " << proposals.size()
              << " approved proposals, each user written once (runs reported: " << ja["details"]["ran"]
              << " + " << jb["details"]["ran"] << ")\n";
  }
  store::testing::DropTestSchema(schema);
}

TEST(ReclaimPolicy, RestApiManagesPoliciesAndDecidesProposalsOnce) {
  Account acct(SmallAccount(45), "policy-rest");
  QuietAccount(acct);
  const std::string password = "correct horse battery staple 45";
  ASSERT_EQ(acct.cli().Run({"admin", "set-password", "--password-file", "-"}, password + "\n").exit_code, 0);
  ServeProcess web(acct.cli().home(), FreePort());
  ASSERT_TRUE(web.Login(password));

  // The declarations reach /api/operations (the UI's forms) like every action and report.
  std::set<std::string> names;
  for (const auto& op : web.Get("/api/operations").body) names.insert(op["name"].get<std::string>());
  for (const char* n : {"policy.add", "policy.remove", "proposal.approve", "proposal.reject",
                        "proposal.cancel", "proposals.run", "policy.list", "policy.test", "proposals"})
    EXPECT_TRUE(names.count(n)) << n;

  // A bad policy is a 400 naming the problem; a good one is stored once.
  auto bad =
      web.Post("/api/actions/policy-add", {{"name", "idle"}, {"action", "suspend"}, {"dry_run", false}});
  EXPECT_EQ(bad.status, 400) << bad.body.dump();
  EXPECT_NE(bad.body.dump().find("--idle-days"), std::string::npos) << bad.body.dump();
  const json add = {{"name", "idle"},    {"action", "downgrade-end-user"}, {"license", "agent"},
                    {"idle_days", "15"}, {"let_zendesk_reassign", true},   {"dry_run", false}};
  auto added = web.Post("/api/actions/policy-add", add, "add-idle");
  ASSERT_EQ(added.status, 200) << added.body.dump();
  EXPECT_EQ(web.Post("/api/actions/policy-add", add, "add-idle").idempotency, "replayed");
  EXPECT_EQ(web.Get("/api/policies").body.size(), 1u);

  // policy test over the API answers what the CLI answers.
  auto tested = web.Get("/api/policies/test?name=idle");
  ASSERT_EQ(tested.status, 200) << tested.body.dump();
  // (The server runs on the real clock, the CLI on the simulator's: the same users, other idle days.)
  auto ids = [](const json& matches) {
    std::set<int64_t> out;
    for (const auto& m : matches) out.insert(m["user_id"].get<int64_t>());
    return out;
  };
  EXPECT_EQ(ids(tested.body["matches"]), ids(acct.Json({"policy", "test", "idle"})["matches"]));
  EXPECT_EQ(web.Get("/api/policies/test?name=nope").status, 403);

  acct.Json({"sync"});
  auto listed = web.Get("/api/proposals?state=pending");
  ASSERT_EQ(listed.status, 200);
  ASSERT_GE(listed.body.size(), 2u);
  const std::string first = listed.body[0]["id"], second = listed.body[1]["id"];
  auto approved =
      web.Post("/api/actions/proposal-approve", {{"proposal_id", first}, {"dry_run", false}}, "ap-1");
  EXPECT_EQ(approved.status, 200) << approved.body.dump();
  EXPECT_EQ(web.Post("/api/actions/proposal-approve", {{"proposal_id", first}, {"dry_run", false}}, "ap-1")
                .idempotency,
            "replayed");
  // Approving twice under another key is refused: it is no longer pending.
  EXPECT_EQ(
      web.Post("/api/actions/proposal-approve", {{"proposal_id", first}, {"dry_run", false}}, "ap-2").status,
      403);
  EXPECT_EQ(web.Post("/api/actions/proposal-reject", {{"proposal_id", second}, {"dry_run", false}}).status,
            400);
  auto rejected = web.Post("/api/actions/proposal-reject",
                           {{"proposal_id", second}, {"reason", "on parental leave"}, {"dry_run", false}});
  EXPECT_EQ(rejected.status, 200) << rejected.body.dump();
  auto by_id = ProposalsById(acct);
  EXPECT_EQ(by_id[first]["state"], "approved");
  EXPECT_EQ(by_id[first]["decided_by"], "web:admin");
  EXPECT_EQ(by_id[second]["state"], "rejected");
  EXPECT_EQ(by_id[second]["reason"], "on parental leave");
  // A rejected user is not proposed again by that policy.
  acct.Json({"sync"});
  int for_second = 0;
  for (const auto& [id, p] : ProposalsById(acct)) for_second += p["user_id"] == by_id[second]["user_id"];
  EXPECT_EQ(for_second, 1);
}

TEST(ReclaimPolicy, AnAutomaticPolicyNeedsNoApprovalAndRemovingOneCancelsItsProposals) {
  Account acct(SmallAccount(46), "policy-auto");
  QuietAccount(acct);
  std::vector<std::string> add = kIdlePolicy;
  add[2] = "auto";
  add.insert(add.end(), {"--automatic", "--grace-days", "0"});
  ASSERT_EQ(acct.cli().Run(add).exit_code, 0);
  std::vector<std::string> manual = kIdlePolicy;
  manual[2] = "manual";
  manual[4] = "suspend";
  manual.pop_back();  // --let-zendesk-reassign is for downgrades
  ASSERT_EQ(acct.cli().Run(manual).exit_code, 0);
  acct.sim().ClearRequests();
  acct.Json({"sync"});
  int automatic = 0, pending = 0;
  for (const auto& [id, p] : ProposalsById(acct)) {
    if (p["policy"] == "auto") {
      EXPECT_EQ(p["state"], "approved") << p.dump();
      EXPECT_EQ(p["decided_by"], "policy:auto (automatic)");
      ++automatic;
    } else {
      EXPECT_EQ(p["state"], "pending") << p.dump();
      ++pending;
    }
  }
  ASSERT_GT(automatic, 0);
  ASSERT_GT(pending, 0);
  EXPECT_EQ(acct.Mutations(), 0) << "proposed and run in the same sync";
  // Removing a policy cancels its open proposals.
  ASSERT_EQ(acct.cli().Run({"policy", "remove", "manual"}).exit_code, 0);
  acct.Advance(3600, /*activity=*/false);
  acct.Json({"sync"});
  for (const auto& [id, p] : ProposalsById(acct)) {
    const int64_t user = p["user_id"];
    if (p["policy"] == "manual") {
      EXPECT_EQ(p["state"], "cancelled") << p.dump();
      EXPECT_EQ(p["reason"], "policy manual was removed");
      continue;
    }
    EXPECT_EQ(p["state"], "done") << p.dump();
    EXPECT_EQ(UserWrites(acct, user), 1) << p.dump();
    EXPECT_EQ(acct.TruthUser(user)["role"], "end-user");
  }
}

TEST(ReclaimPolicy, ExemptionsAndProtectedUsersNeverMatch) {
  Account acct(SmallAccount(47), "policy-exempt");
  QuietAccount(acct);
  const std::set<int64_t> idle = ExpectedIdleAgents(acct);
  ASSERT_GE(idle.size(), 3u);
  auto it = idle.begin();
  const int64_t by_id = *it++, by_email = *it++;
  const std::string email = acct.TruthUser(by_email)["email"];
  std::string shouted = email;
  for (char& c : shouted) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  // Staff of every license, idle 15 days: the connecting admin is never matched.
  ASSERT_EQ(
      acct.cli()
          .Run({"policy", "add", "staff", "--action", "suspend", "--role", "agent,admin", "--idle-days", "15",
                "--exempt-users", std::to_string(by_id), "--exempt-emails", shouted + ",*@nowhere.test"})
          .exit_code,
      0);
  json t = acct.Json({"policy", "test", "staff"});
  std::map<int64_t, std::string> exempted;
  for (const auto& e : t["exempted"]) exempted[e["user_id"]] = e["why"];
  std::set<int64_t> matched;
  for (const auto& m : t["matches"]) matched.insert(m["user_id"].get<int64_t>());
  EXPECT_EQ(exempted[acct.sim().AdminId()], "the connecting user");
  EXPECT_EQ(exempted[by_id], "exempt by user id");
  EXPECT_EQ(exempted[by_email], "exempt by email");
  for (int64_t id : {acct.sim().AdminId(), by_id, by_email}) EXPECT_FALSE(matched.count(id)) << id;
  // Probable integration accounts are exempt unless the policy includes them.
  std::set<int64_t> integrations;
  for (const auto& u : acct.sim().TruthUsers())
    if (u.value("probable_integration", false) && !u["deleted"].get<bool>())
      integrations.insert(u["id"].get<int64_t>());
  for (int64_t id : integrations) {
    EXPECT_FALSE(matched.count(id)) << id;
    EXPECT_EQ(exempted[id].rfind("probable integration account", 0), 0u) << id << " " << exempted[id];
  }
  ASSERT_EQ(acct.cli()
                .Run({"policy", "add", "bots", "--action", "suspend", "--role", "agent,admin", "--idle-days",
                      "15", "--include-integrations"})
                .exit_code,
            0);
  std::set<int64_t> bots;
  const json with_bots = acct.Json({"policy", "test", "bots"});
  for (const auto& m : with_bots["matches"]) bots.insert(m["user_id"].get<int64_t>());
  for (int64_t id : integrations) EXPECT_TRUE(bots.count(id)) << id;
}

TEST(ReclaimPolicy, AProposalTheActionRefusesIsFailedWithTheReasonAndSendsNothing) {
  Account acct(SmallAccount(48), "policy-failed");
  QuietAccount(acct);
  // No ticket choice: downgrading an agent who holds non-closed tickets is
  // refused by set-role before anything is sent.
  ASSERT_EQ(acct.cli()
                .Run({"policy", "add", "strict", "--action", "downgrade-end-user", "--license", "agent",
                      "--idle-days", "15", "--automatic", "--grace-days", "0"})
                .exit_code,
            0);
  acct.Json({"sync"});
  acct.sim().ClearRequests();
  acct.Advance(3600, /*activity=*/false);
  acct.Json({"sync"});
  int failed = 0, done = 0;
  for (const auto& [id, p] : ProposalsById(acct)) {
    const int64_t user = p["user_id"];
    int held = 0;
    for (const auto& t : acct.sim().TicketsState(user))
      held += t["status"] != "closed" && t["status"] != "deleted" && !t.value("archived", false);
    if (held > 0) {
      EXPECT_EQ(p["state"], "failed") << held << " " << p.dump();
      EXPECT_NE(p["reason"].get<std::string>().find("ticket"), std::string::npos) << p.dump();
      EXPECT_EQ(UserWrites(acct, user), 0);
      EXPECT_EQ(acct.TruthUser(user)["role"], "agent");
      ++failed;
    } else {
      EXPECT_EQ(p["state"], "done") << p.dump();
      ++done;
    }
  }
  EXPECT_GT(failed, 0) << "no idle agent holds tickets: the test proves nothing about failures";
  std::cout << "[reclaim] automatic policy without a ticket choice: " << done << " done, " << failed
            << " failed (tickets held)\n";
}

TEST(ReclaimPolicy, BadPoliciesAreRefusedWithExitTwo) {
  Account acct(SmallAccount(44), "policy-usage");
  ASSERT_EQ(acct.Connect({"--permission", "read-write"}).exit_code, 0);
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--action", "suspend"}, "a policy needs --idle-days"},
      {{"--action", "downgrade-light", "--idle-days", "30"}, "needs --custom-role"},
      {{"--action", "offboard", "--idle-days", "30"}, "needs --reassign-to"},
      {{"--action", "suspend", "--idle-days", "0"}, "--idle-days must be between 1 and 3650"},
      {{"--action", "suspend", "--idle-days", "thirty"}, "--idle-days must be a whole number"},
      {{"--action", "suspend", "--idle-days", "30", "--grace-days", "400"},
       "--grace-days must be between 0 and 365"},
      {{"--action", "suspend", "--idle-days", "30", "--license", "gold"}, "unknown license \"gold\""},
      {{"--action", "suspend", "--idle-days", "30", "--role", "boss"}, "unknown role \"boss\""},
      {{"--action", "suspend", "--idle-days", "30", "--exempt-users", "12,x"}, "--exempt-users"},
      {{"--action", "suspend", "--idle-days", "30", "--exempt-emails", "nobody"}, "neither an address nor"},
      {{"--action", "suspend", "--idle-days", "30", "--last-active-before", "2026-13-01"},
       "--last-active-before"},
      {{"--action", "suspend", "--idle-days", "30", "--custom-role", "5"}, "only for action downgrade-light"},
      {{"--action", "destroy", "--idle-days", "30"}, "--action"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"policy", "add", "p1"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    CliResult r = acct.cli().Run(args);
    EXPECT_EQ(r.exit_code, 2) << c.message << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
  CliResult bad_name =
      acct.cli().Run({"policy", "add", "Idle Agents", "--action", "suspend", "--idle-days", "30"});
  EXPECT_EQ(bad_name.exit_code, 2);
  EXPECT_NE(bad_name.err.find("policy name"), std::string::npos) << bad_name.err;
  EXPECT_TRUE(acct.Json({"policy", "list"}).empty()) << "a refused policy was stored";
  // A good one; a second of the same name is refused (exit 3); so are
  // decisions on proposals that do not exist, and a rejection without reason.
  ASSERT_EQ(acct.cli().Run({"policy", "add", "p1", "--action", "suspend", "--idle-days", "30"}).exit_code, 0);
  EXPECT_EQ(acct.cli().Run({"policy", "add", "p1", "--action", "suspend", "--idle-days", "30"}).exit_code, 3);
  EXPECT_EQ(acct.cli().Run({"proposals", "approve", "nope-1-20261120"}).exit_code, 3);
  CliResult no_reason = acct.cli().Run({"proposals", "reject", "nope-1-20261120"});
  EXPECT_EQ(no_reason.exit_code, 2);
  EXPECT_NE(no_reason.err.find("--reason"), std::string::npos) << no_reason.err;
  EXPECT_EQ(acct.cli().Run({"policy", "test", "nope"}).exit_code, 3);
  EXPECT_EQ(acct.Json({"policy", "list"}).size(), 1u);
  EXPECT_EQ(acct.cli().Run({"policy", "remove", "p1"}).exit_code, 0);
  EXPECT_TRUE(acct.Json({"policy", "list"}).empty());
}

}  // namespace
}  // namespace sk::testing
