// Issue #8, end to end: many Zendesk accounts (in-process zdsim instances)
// in one store, synced by several `seatkeeper worker` processes (the real
// binary) that share the queue; one worker is SIGKILLed in the middle of a
// sync. Every account ends synced exactly once with usage equal to the
// simulator's truth (what a single-process run gives), no request got a
// 429, and no two syncs of one account overlapped (lease history).
//
// PostgreSQL: needs SEATKEEPER_TEST_PG (scripts/pg-test-cluster.sh start);
// SQLite: always (workers on one machine share the file).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <pqxx/pqxx>
#include <sstream>
#include <thread>

#include "store/pg_test_schema.h"
#include "store/postgres_store.h"
#include "store/sync_queue.h"
#include "support/account.h"

extern char** environ;

namespace sk::testing {
namespace {

using store::testing::TestPg;

// A `seatkeeper` child process running in the background, stderr to a file.
class Child {
 public:
  Child(const std::map<std::string, std::string>& env, const std::vector<std::string>& args,
        const std::string& log)
      : log_(log) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_ = SpawnSeatkeeper(args, env, -1, fd, fd, {fd});
    if (fd >= 0) close(fd);
  }
  ~Child() {
    if (pid_ > 0 && !done_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  void Kill() {
    kill(pid_, SIGKILL);
    Wait(10);
  }
  // Exit status (128+signal when killed), or -1 on timeout.
  int Wait(int timeout_seconds) {
    if (done_) return status_;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      int st = 0;
      pid_t r = waitpid(pid_, &st, WNOHANG);
      if (r == pid_) {
        done_ = true;
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return status_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }
  std::string Log() const {
    std::ifstream in(log_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  std::string log_;
  pid_t pid_ = -1;
  bool done_ = false;
  int status_ = -1;
};

struct WorkersCase {
  std::string engine;
  int accounts;
  int workers;
  int concurrency = 1;  // --concurrency: accounts each worker process syncs at once
};

void PrintTo(const WorkersCase& c, std::ostream* os) {
  *os << c.engine << "/" << c.accounts << " accounts/" << c.workers << " workers x " << c.concurrency;
}

// A lease owner of worker process `w`: "w0", or "w0/2" (its second thread).
bool OwnedBy(const std::string& owner, const std::string& w) {
  return owner == w || owner.rfind(w + "/", 0) == 0;
}

class Workers : public ::testing::TestWithParam<WorkersCase> {
 protected:
  void TearDown() override {
    if (!schema_.empty()) store::testing::DropTestSchema(schema_);
  }
  std::string schema_;
};

TEST_P(Workers, ManyAccountsSyncedExactlyOnceDespiteAKilledWorker) {
  const auto& p = GetParam();
  CliRunner cli("workers-" + p.engine);
  std::string db;
  if (p.engine == "postgres") {
    if (TestPg().empty())
      GTEST_SKIP() << "SEATKEEPER_TEST_PG is not set: run `scripts/pg-test-cluster.sh start` and export its "
                      "SEATKEEPER_TEST_PG line to run the PostgreSQL worker test";
    schema_ = "workers_" + std::to_string(getpid());
    db = store::testing::CreateTestSchema(schema_);
  } else {
    db = cli.home() + "/seatkeeper.db";
  }
  cli.SetEnv("SEATKEEPER_DB", db);
  cli.SetEnv("SEATKEEPER_NOW", std::to_string(kNow));

  // Small accounts with 1-second rate windows, all distinct.
  std::vector<std::unique_ptr<zdsim::Simulator>> sims;
  std::string token = cli.WriteFile("api-token", "zdsim-admin-api-token\n");
  for (int i = 0; i < p.accounts; ++i) {
    zdsim::Options o =
        SmallAccount(100 + static_cast<uint64_t>(i), i % 3 == 0 ? "professional" : "enterprise");
    o.users = 120;
    o.agents = 15;
    o.tickets_per_day = 8;
    o.articles = 5;
    o.subdomain = "acct" + std::to_string(i);
    sims.push_back(std::make_unique<zdsim::Simulator>(o));
    sims.back()->Start();
    auto r =
        cli.Run({"connect", "--url", sims.back()->BaseUrl(), "--allow-local", "--email",
                 sims.back()->AdminEmail(), "--token-file", token, "--account", "acct" + std::to_string(i)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  auto queue_or = store::IsPostgresUrl(db) ? store::OpenPostgresQueue(db) : store::OpenSqliteQueue(db);
  ASSERT_TRUE(queue_or.ok()) << queue_or.status().ToString();
  auto queue = std::move(queue_or).value();
  {
    auto entries = queue->List(kNow);
    ASSERT_TRUE(entries.ok());
    ASSERT_EQ(entries->size(), static_cast<size_t>(p.accounts));
    for (const auto& e : *entries) EXPECT_TRUE(e.due) << e.account;
  }

  std::map<std::string, std::string> env = {
      {"SEATKEEPER_HOME", cli.home()}, {"SEATKEEPER_DB", db}, {"SEATKEEPER_NOW", std::to_string(kNow)}};
  // Leases of 8 s renewed every second: the killed worker's account is taken
  // over 8 s after its last beat. At 3 s a live worker's beat, late on a
  // loaded machine (ASan, -j4 on 2 cores, PostgreSQL), lost its lease to
  // another worker and it exited 75, as designed, failing the run.
  auto started = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<Child>> workers;
  for (int w = 0; w < p.workers; ++w)
    workers.push_back(std::make_unique<Child>(
        env,
        std::vector<std::string>{"worker", "--until-idle", "--id", "w" + std::to_string(w), "--lease-seconds",
                                 "8", "--heartbeat-seconds", "1", "--retry-seconds", "1", "--concurrency",
                                 std::to_string(p.concurrency), "--log-level", "info"},
        cli.home() + "/worker" + std::to_string(w) + ".log"));

  // Kill w0 while it holds a lease, a little into its sync.
  std::string killed_account;
  for (int i = 0; i < 600 && killed_account.empty(); ++i) {
    auto entries = queue->List(kNow);
    ASSERT_TRUE(entries.ok());
    for (const auto& e : *entries)
      if (OwnedBy(e.owner, "w0")) killed_account = e.account;
    if (killed_account.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(killed_account.empty()) << "w0 never claimed an account:\n" << workers[0]->Log();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  workers[0]->Kill();
  {
    // Still mid-sync when killed: the run is open.
    auto runs = queue->Runs();
    ASSERT_TRUE(runs.ok());
    bool open = false;
    for (const auto& r : *runs) open |= OwnedBy(r.owner, "w0") && !r.finished_ms;
    EXPECT_TRUE(open) << "w0 was not syncing when killed; raise the account size";
  }
  for (int w = 1; w < p.workers; ++w) {
    int rc = workers[static_cast<size_t>(w)]->Wait(240);
    EXPECT_EQ(rc, 0) << "worker w" << w << ":\n" << workers[static_cast<size_t>(w)]->Log().substr(0, 6000);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cerr << p.accounts << " accounts, " << p.workers << " workers (one killed): " << seconds << " s\n";

  // Every account synced exactly once, nothing due.
  auto entries = queue->List(kNow);
  ASSERT_TRUE(entries.ok());
  for (const auto& e : *entries) {
    EXPECT_FALSE(e.due) << e.account;
    EXPECT_EQ(e.state, "synced") << e.account;
    EXPECT_EQ(e.successes, 1) << e.account << " was synced " << e.successes << " times";
    EXPECT_EQ(e.failures, 0) << e.account << ": " << e.last_result;
  }
  // No overlapping syncs of one account; the killed one was taken over by another worker.
  auto runs = queue->Runs();
  ASSERT_TRUE(runs.ok());
  std::map<std::string, std::vector<store::SyncRun>> by_account;
  for (const auto& r : *runs) by_account[r.account].push_back(r);
  ASSERT_EQ(by_account.size(), static_cast<size_t>(p.accounts));
  for (const auto& [account, list] : by_account) {
    for (size_t i = 1; i < list.size(); ++i) {
      int64_t prev_end = list[i - 1].finished_ms.value_or(list[i - 1].heartbeat_ms);
      EXPECT_GE(list[i].started_ms, prev_end)
          << account << ": run " << list[i].id << " by " << list[i].owner << " overlaps run "
          << list[i - 1].id << " by " << list[i - 1].owner;
    }
    // With --concurrency, w0 held several leases when it was killed: each of
    // those accounts was taken over.
    const bool killed = account == killed_account ||
                        (OwnedBy(list.front().owner, "w0") && !list.front().finished_ms && p.concurrency > 1);
    if (killed) {
      ASSERT_GE(list.size(), 2u) << account;
      EXPECT_TRUE(OwnedBy(list.front().owner, "w0")) << list.front().owner;
      EXPECT_FALSE(OwnedBy(list.back().owner, "w0")) << list.back().owner;
      EXPECT_EQ(list.back().result, "ok");
    } else {
      EXPECT_EQ(list.size(), 1u) << account << " synced more than once";
    }
  }
  // --concurrency N: one process synced several accounts at the same time, each
  // under a lease of its own thread ("w1/2").
  if (p.concurrency > 1) {
    bool overlapped = false;
    for (const auto& a : *runs)
      for (const auto& b : *runs)
        overlapped |= a.account != b.account && OwnedBy(a.owner, "w1") && OwnedBy(b.owner, "w1") &&
                      a.owner != b.owner && b.started_ms >= a.started_ms &&
                      b.started_ms < a.finished_ms.value_or(a.heartbeat_ms);
    EXPECT_TRUE(overlapped) << "worker w1 never synced two accounts at once";
  }
  // Usage equals the truth (a single-process run's result); no 429 anywhere; accounts isolated.
  for (int i = 0; i < p.accounts; ++i) {
    auto& sim = *sims[static_cast<size_t>(i)];
    std::string name = "acct" + std::to_string(i);
    auto r = cli.Run({"usage", "--json", "--account", name});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto got = ProjectUsage(nlohmann::json::parse(r.out));
    auto want = ProjectUsage(sim.TruthUsage(90, "UTC"));
    EXPECT_TRUE(got == want) << name << (name == killed_account ? " (killed mid-sync)" : "") << ": "
                             << FirstDifference(got, want, {"date", "user_id"});
    auto u = cli.Run({"users", "--json", "--account", name});
    ASSERT_EQ(u.exit_code, 0) << u.err;
    EXPECT_TRUE(ProjectUsers(nlohmann::json::parse(u.out)) == ProjectUsers(sim.TruthUsers())) << name;
    int rate_limited = 0;
    for (const auto& req : sim.Requests()) rate_limited += req["status"] == 429;
    EXPECT_EQ(rate_limited, 0) << name << " got 429s";
  }
  for (auto& s : sims) s->Stop();
}

INSTANTIATE_TEST_SUITE_P(Engines, Workers,
                         ::testing::Values(WorkersCase{"postgres", 20, 3}, WorkersCase{"sqlite", 8, 3},
                                           WorkersCase{"postgres", 20, 2, 4},
                                           WorkersCase{"sqlite", 10, 2, 3}),
                         [](const auto& info) {
                           return info.param.engine + (info.param.concurrency > 1 ? "_concurrent" : "");
                         });

}  // namespace
}  // namespace sk::testing
