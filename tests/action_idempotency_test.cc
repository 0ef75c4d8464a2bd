// Issue #8: "actions run once even when two workers or two web servers see
// the request". Two `seatkeeper serve` processes share one store; the same
// confirmed action (one Idempotency-Key) reaches both at once, several times
// over: zdsim's request log shows each mutation sent once, and every answer
// is the first run's (or "in progress" while it runs). The CLI's
// --idempotency-key gives a repeated command the first answer.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <pqxx/pqxx>
#include <thread>

#include "store/pg_test_schema.h"
#include "store/store.h"
#include "store/sync_queue.h"
#include "support/account.h"
#include "support/serve_process.h"
#include "util/process.h"

namespace sk::testing {
namespace {

using nlohmann::json;

// Successful mutating requests (non-GET, 2xx) whose path starts with `prefix`.
std::vector<int64_t> PlainAgents(Account& acct) {
  std::vector<int64_t> agents;
  for (const auto& u : acct.sim().TruthUsers())
    if (u["role"] == "agent" && u["license"] == "agent" && !u["deleted"].get<bool>() &&
        !u["suspended"].get<bool>() && u["id"] != acct.sim().AgentId())
      agents.push_back(u["id"]);
  return agents;
}

using store::testing::TestPg;

// The shared store: the SQLite file in the home, or (with SEATKEEPER_TEST_PG)
// a PostgreSQL schema of this test's own, dropped at the end.
class SharedStore : public ::testing::TestWithParam<std::string> {
 protected:
  void TearDown() override {
    if (!schema_.empty()) store::testing::DropTestSchema(schema_);
  }
  // The SEATKEEPER_DB value ("" for SQLite); skips without a PostgreSQL server.
  std::string Db() {
    if (GetParam() != "postgres") return "";
    schema_ = "idem" + std::to_string(getpid());
    return store::testing::CreateTestSchema(schema_);
  }
  std::string schema_;
};

TEST_P(SharedStore, TwoServersActOncePerIdempotencyKey) {
  if (GetParam() == "postgres" && TestPg().empty())
    GTEST_SKIP() << "SEATKEEPER_TEST_PG is not set: run `scripts/pg-test-cluster.sh start` and export its "
                    "SEATKEEPER_TEST_PG line to run the PostgreSQL variant";
  zdsim::Options o = SmallAccount(31);
  o.agents = 30;
  Account acct(o, "idem-serve");
  const std::string db = Db();
  if (!db.empty()) acct.cli().SetEnv("SEATKEEPER_DB", db);
  ASSERT_EQ(acct.Connect({"--permission", "read-write"}).exit_code, 0);
  acct.Json({"sync"});
  const std::string password = "correct horse battery staple 31";
  ASSERT_EQ(acct.cli().Run({"admin", "set-password", "--password-file", "-"}, password + "\n").exit_code, 0);
  std::vector<int64_t> agents = PlainAgents(acct);
  ASSERT_GE(agents.size(), 8u);
  const int64_t heir = acct.sim().AdminId();

  ServeProcess a(acct.cli().home(), FreePort(), db), b(acct.cli().home(), FreePort(), db);
  ASSERT_TRUE(a.Login(password));
  ASSERT_TRUE(b.Login(password));
  acct.sim().ClearRequests();

  struct Case {
    std::string path;
    json body;
    std::string mutation_prefix;  // of the one mutation the action sends
  };
  std::vector<Case> cases;
  for (size_t i = 0; i < 4; ++i)
    cases.push_back(
        {"/api/actions/set-role",
         {{"user_id", agents[i]}, {"role", "end-user"}, {"let_zendesk_reassign", true}, {"dry_run", false}},
         "/api/v2/users/" + std::to_string(agents[i])});
  for (size_t i = 4; i < 6; ++i)
    cases.push_back({"/api/actions/delete-user",
                     {{"user_id", agents[i]}, {"reassign_to", heir}, {"dry_run", false}},
                     "/api/v2/users/" + std::to_string(agents[i])});
  for (size_t i = 6; i < 8; ++i)
    cases.push_back({"/api/actions/reassign-tickets",
                     {{"from", agents[i]}, {"to", heir}, {"dry_run", false}},
                     "/api/v2/tickets/update_many"});

  int replayed = 0, in_progress = 0, ran = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE(c.path + " " + c.body.dump());
    const std::string key = "dialog-" + std::to_string(i);
    const int before = acct.SucceededMutations(c.mutation_prefix);
    ServeProcess::Answer ra, rb;
    std::thread ta([&] { ra = a.Post(c.path, c.body, key); });
    std::thread tb([&] { rb = b.Post(c.path, c.body, key); });
    ta.join();
    tb.join();
    const int sent = acct.SucceededMutations(c.mutation_prefix) - before;
    // (A reassignment sends one update_many per 100 tickets: checked per ticket below.)
    if (c.mutation_prefix.find("update_many") == std::string::npos) {
      EXPECT_EQ(sent, 1) << "the action was sent " << sent << " times";
    }
    for (const auto* r : {&ra, &rb}) {
      if (r->idempotency.empty()) {
        ++ran;
        EXPECT_EQ(r->status, 200) << r->body.dump();
      } else if (r->idempotency == "replayed") {
        ++replayed;
        EXPECT_EQ(r->status, 200) << r->body.dump();
        EXPECT_TRUE(r->body.value("replayed", false));
      } else {
        ++in_progress;
        EXPECT_EQ(r->idempotency, "in-progress");
        EXPECT_EQ(r->status, 409) << r->body.dump();
      }
    }
    EXPECT_TRUE(ra.idempotency.empty() != rb.idempotency.empty())
        << "exactly one server ran it: " << ra.body.dump() << " / " << rb.body.dump();
    // Once done, a repeat on either server replays the first answer.
    ServeProcess::Answer again = (i % 2 ? a : b).Post(c.path, c.body, key);
    EXPECT_EQ(again.idempotency, "replayed");
    EXPECT_EQ(again.status, 200);
    const ServeProcess::Answer& first = ra.idempotency.empty() ? ra : rb;
    EXPECT_EQ(again.body.value("summary", "?"), first.body.value("summary", "!"));
    EXPECT_EQ(acct.SucceededMutations(c.mutation_prefix) - before, sent) << "the repeat sent something";
    // The same key for another request is refused.
    json other = c.body;
    other["dry_run"] = false;
    if (other.contains("role"))
      other["role"] = "admin";
    else if (other.contains("to"))
      other["from"] = agents[0];
    else
      other["user_id"] = agents[0];
    ServeProcess::Answer misuse = a.Post(c.path, other, key);
    EXPECT_EQ(misuse.status, 400) << misuse.body.dump();
  }
  // Every ticket in at most one successful update_many.
  std::map<std::string, int> moves;
  for (const auto& r : acct.sim().Requests()) {
    int st = r["status"];
    std::string path = r["path"];
    if (r["method"] != "PUT" || st < 200 || st >= 300 || path.rfind("/api/v2/tickets/update_many", 0) != 0)
      continue;
    std::string ids = path.substr(path.find("ids=") + 4);
    ids = ids.substr(0, ids.find('&'));
    for (size_t p = 0; p < ids.size();) {
      size_t c = ids.find("%2C", p), comma = ids.find(',', p), e = std::min(c, comma);
      ++moves[ids.substr(p, e - p)];
      if (e == std::string::npos) break;
      p = e + (e == c ? 3 : 1);
    }
  }
  int twice = 0;
  for (const auto& [id, n] : moves) twice += n > 1;
  EXPECT_EQ(twice, 0) << twice << " tickets sent twice";
  std::cout << "[idempotency] " << GetParam() << ": " << cases.size()
            << " actions sent concurrently to two serve processes on one store: " << ran << " ran, "
            << in_progress << " in progress, " << replayed << " replayed; each mutation sent once ("
            << moves.size() << " tickets moved once each)\n";
}

INSTANTIATE_TEST_SUITE_P(Engines, SharedStore, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST(ActionIdempotency, CliRepeatWithTheSameKeyPrintsTheFirstAnswer) {
  zdsim::Options o = SmallAccount(32);
  Account acct(o, "idem-cli");
  ASSERT_EQ(acct.Connect({"--permission", "read-write"}).exit_code, 0);
  acct.Json({"sync"});
  std::vector<int64_t> agents = PlainAgents(acct);
  ASSERT_FALSE(agents.empty());
  const std::string id = std::to_string(agents[0]);
  acct.sim().ClearRequests();
  CliResult first = acct.cli().Run({"user", "set-role", id, "--role", "end-user", "--let-zendesk-reassign",
                                    "--idempotency-key", "k1", "--json"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  // Upgrade it back behind seatkeeper's back: a repeat must not downgrade again.
  acct.sim().UpdateUser(agents[0], {{"role", "agent"}});
  CliResult again = acct.cli().Run({"user", "set-role", id, "--role", "end-user", "--let-zendesk-reassign",
                                    "--idempotency-key", "k1", "--json"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  json j = json::parse(again.out, nullptr, false);
  EXPECT_TRUE(j.value("replayed", false)) << again.out;
  EXPECT_EQ(j.value("summary", "?"), json::parse(first.out).value("summary", "!"));
  EXPECT_EQ(acct.SucceededMutations("/api/v2/users/" + id), 1);
  CliResult misuse = acct.cli().Run({"user", "set-role", id, "--role", "admin", "--idempotency-key", "k1"});
  EXPECT_EQ(misuse.exit_code, 2) << misuse.err;
  CliResult bad = acct.cli().Run(
      {"user", "set-role", id, "--role", "end-user", "--let-zendesk-reassign", "--idempotency-key", "a b"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
}

// A claim (or a sync lease) left by a process of this machine that died is
// taken over by the next run with the key; one a live process holds is not.
TEST(ActionIdempotency, AClaimLeftByADeadLocalProcessIsRunByTheNextRequest) {
  zdsim::Options o = SmallAccount(33);
  Account acct(o, "idem-dead");
  ASSERT_EQ(acct.Connect({"--permission", "read-write"}).exit_code, 0);
  std::vector<int64_t> agents = PlainAgents(acct);
  ASSERT_GE(agents.size(), 2u);
  const pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ::waitpid(dead, nullptr, 0);
  const std::string id = std::to_string(agents[0]), id2 = std::to_string(agents[1]);
  {
    auto st = store::OpenSqlite(acct.cli().home() + "/seatkeeper.db", acct.cli().home());
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    // The CLI's request for set-role, as the first (killed) run recorded it.
    CliResult probe = acct.cli().Run({"user", "set-role", id2, "--role", "end-user", "--let-zendesk-reassign",
                                      "--idempotency-key", "probe", "--json"});
    ASSERT_EQ(probe.exit_code, 0) << probe.err;
    auto claims = (*st)->ClaimAction("default", store::ActionClaim{.key = "probe"});
    ASSERT_TRUE(claims.ok() && *claims);
    std::string request = (*claims)->request;
    for (size_t p = request.find(id2); p != std::string::npos; p = request.find(id2, p + id.size()))
      request.replace(p, id2.size(), id);
    store::ActionClaim dead_claim{.key = "k-dead", .request = request};
    dead_claim.owner = "cli:" + HostName() + ":" + std::to_string(dead);
    dead_claim.claimed_at = NowUnix() - 30;
    ASSERT_TRUE((*st)->ClaimAction("default", dead_claim).ok());
    store::ActionClaim live_claim = dead_claim;
    live_claim.key = "k-live";
    live_claim.owner = "cli:" + HostName() + ":" + std::to_string(::getpid());
    ASSERT_TRUE((*st)->ClaimAction("default", live_claim).ok());
  }
  acct.sim().ClearRequests();
  CliResult live = acct.cli().Run({"user", "set-role", id, "--role", "end-user", "--let-zendesk-reassign",
                                   "--idempotency-key", "k-live"});
  EXPECT_EQ(live.exit_code, 1) << live.out << live.err;
  EXPECT_NE(live.err.find("in progress"), std::string::npos) << live.err;
  EXPECT_EQ(acct.SucceededMutations("/api/v2/users/" + id), 0);
  CliResult run = acct.cli().Run({"user", "set-role", id, "--role", "end-user", "--let-zendesk-reassign",
                                  "--idempotency-key", "k-dead"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(acct.SucceededMutations("/api/v2/users/" + id), 1);
}

TEST(SyncCommand, TakesTheLeaseOverFromADeadLocalSyncButNotFromALiveHolder) {
  zdsim::Options o = SmallAccount(34);
  Account acct(o, "sync-lease");
  ASSERT_EQ(acct.Connect({}).exit_code, 0);
  const pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ::waitpid(dead, nullptr, 0);
  {
    auto q = store::OpenSqliteQueue(acct.cli().home() + "/seatkeeper.db");
    ASSERT_TRUE(q.ok()) << q.status().ToString();
    auto held = (*q)->ClaimAccount("default", "web:" + HostName() + ":" + std::to_string(::getpid()), 600);
    ASSERT_TRUE(held.ok() && *held);
    CliResult busy = acct.cli().Run({"sync"});
    EXPECT_EQ(busy.exit_code, 1) << busy.err;
    EXPECT_NE(busy.err.find("being synced by another process"), std::string::npos) << busy.err;
    ASSERT_TRUE((*q)->Release(**held, false, "error: test", 0).ok());
    auto killed = (*q)->ClaimAccount("default", "cli:" + HostName() + ":" + std::to_string(dead), 600);
    ASSERT_TRUE(killed.ok() && *killed);
  }
  CliResult sync = acct.cli().Run({"sync", "--json"});
  ASSERT_EQ(sync.exit_code, 0) << sync.err;
  EXPECT_EQ(json::parse(sync.out, nullptr, false).value("state", ""), "synced") << sync.out;
}

}  // namespace
}  // namespace sk::testing
