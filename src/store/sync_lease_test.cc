// SyncQueue::ClaimAccount (the lease a web server's sync takes, issue #8)
// and Store::Ping (GET /healthz), on SQLite always and on PostgreSQL when
// SEATKEEPER_TEST_PG names a server (scripts/pg-test-cluster.sh start).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <pqxx/pqxx>

#include "store/engine_test.h"
#include "store/pg_test_schema.h"
#include "store/postgres_store.h"
#include "store/store.h"
#include "store/store_testing.h"
#include "store/sync_queue.h"

namespace sk::store {
namespace {

using testing::TestPg;

class SyncLease : public testing::EngineStoreTest {
 protected:
  SyncLease() : EngineStoreTest("lease") {}
  void SetUp() override {
    EngineStoreTest::SetUp();
    if (IsSkipped()) return;
    for (int i = 0; i < 2; ++i) {
      auto q = OpenTestQueue();
      ASSERT_TRUE(q.ok()) << q.status().ToString();
      (i == 0 ? web_ : worker_) = std::move(q).value();
    }
  }
  void TearDown() override {
    web_.reset();
    worker_.reset();
    EngineStoreTest::TearDown();
  }
  // A connected account synced a minute ago: not due for a worker.
  void AddAccount(const std::string& name, const std::string& url) {
    Connection c = testing::TestConnection(name, url, "api_token", "token-" + name);
    c.last_sync_at = NowUnix() - 60;
    ASSERT_TRUE(store_->PutConnection(c).ok());
  }

  std::unique_ptr<SyncQueue> web_, worker_;
};

TEST_P(SyncLease, AnAccountIsClaimedByOneProcessAtATimeDueOrNot) {
  AddAccount("a", "https://a.zendesk.com");
  auto first = web_->ClaimAccount("a", "web:1", 60);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(*first) << "an account that is not due is still claimable on request";
  EXPECT_EQ((*first)->account, "a");
  EXPECT_GT((*first)->run_id, 0);
  // Held: neither another web server nor a worker gets it.
  auto second = worker_->ClaimAccount("a", "web:2", 60);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(*second);
  ASSERT_TRUE(worker_->RequestSync("a").ok());
  auto claimed = worker_->Claim("worker", 60, NowUnix());
  ASSERT_TRUE(claimed.ok());
  EXPECT_FALSE(*claimed);
  auto hb = web_->Heartbeat(**first, 60);
  ASSERT_TRUE(hb.ok());
  EXPECT_TRUE(*hb);
  ASSERT_TRUE(web_->Release(**first, true, "ok", 300).ok());
  // Released: the sync requested meanwhile goes to a worker, with a newer generation.
  auto later = worker_->Claim("worker", 60, NowUnix());
  ASSERT_TRUE(later.ok() && *later);
  EXPECT_GT((*later)->generation, (*first)->generation);
  ASSERT_TRUE(worker_->Release(**later, true, "ok", 300).ok());
  auto runs = worker_->Runs();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].owner, "web:1");
  EXPECT_EQ((*runs)[0].result, "ok");
  EXPECT_EQ((*runs)[1].owner, "worker");
}

TEST_P(SyncLease, AGoneHoldersLeaseIsEndedAtOnceAndOnlyItsOwn) {
  AddAccount("a", "https://a.zendesk.com");
  auto held = web_->ClaimAccount("a", "cli:host:101", 600);
  ASSERT_TRUE(held.ok() && *held);
  // Someone else's name does not end it.
  ASSERT_TRUE(worker_->ExpireLease("a", "cli:host:102").ok());
  auto busy = worker_->ClaimAccount("a", "cli:host:103", 60);
  ASSERT_TRUE(busy.ok());
  EXPECT_FALSE(*busy);
  // The holder's own name does, long before its 600 s are up; the old holder is fenced.
  ASSERT_TRUE(worker_->ExpireLease("a", "cli:host:101").ok());
  auto taken = worker_->ClaimAccount("a", "cli:host:103", 60);
  ASSERT_TRUE(taken.ok() && *taken);
  EXPECT_GT((*taken)->generation, (*held)->generation);
  auto old = web_->Heartbeat(**held, 60);
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(*old);
}

TEST_P(SyncLease, ARunningActionClaimIsTakenOverOnceFromItsStaleHolder) {
  ActionClaim c;
  c.key = "k1";
  c.request = R"({"action":"delete","user":7})";
  c.owner = "web:host:101";
  c.claimed_at = 1000;
  auto first = store_->ClaimAction("a", c);
  ASSERT_TRUE(first.ok() && !*first);
  auto wrong = store_->TakeOverActionClaim("a", "k1", "web:host:999", "cli:host:5", 2000);
  ASSERT_TRUE(wrong.ok());
  EXPECT_FALSE(*wrong) << "only from the holder named";
  auto taken = store_->TakeOverActionClaim("a", "k1", "web:host:101", "cli:host:5", 2000);
  ASSERT_TRUE(taken.ok());
  EXPECT_TRUE(*taken);
  auto again = store_->TakeOverActionClaim("a", "k1", "web:host:101", "cli:host:6", 2001);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again) << "a second taker loses";
  auto now = store_->ClaimAction("a", c);
  ASSERT_TRUE(now.ok() && *now);
  EXPECT_EQ((*now)->owner, "cli:host:5");
  EXPECT_EQ((*now)->claimed_at, 2000);
  ASSERT_TRUE(store_->FinishActionClaim("a", "k1", "{}", 0, 2100).ok());
  auto done = store_->TakeOverActionClaim("a", "k1", "cli:host:5", "cli:host:6", 2200);
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(*done) << "a finished claim is never taken over";
}

TEST_P(SyncLease, ClaimingOnRequestClearsThePendingRequest) {
  AddAccount("a", "https://a.zendesk.com");
  ASSERT_TRUE(worker_->RequestSync("a").ok());
  auto lease = web_->ClaimAccount("a", "web:1", 60);
  ASSERT_TRUE(lease.ok() && *lease);
  EXPECT_TRUE((*lease)->requested);
  ASSERT_TRUE(web_->Release(**lease, true, "ok", 300).ok());
  auto entries = worker_->List(NowUnix());
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_FALSE((*entries)[0].due) << "the request was served by the web server's sync";
}

TEST_P(SyncLease, TwoNamesForOneZendeskAccountShareTheLease) {
  AddAccount("prod", "https://acme.zendesk.com");
  AddAccount("alias", "https://acme.zendesk.com");
  AddAccount("other", "https://other.zendesk.com");
  auto lease = web_->ClaimAccount("prod", "web:1", 60);
  ASSERT_TRUE(lease.ok() && *lease);
  auto alias = worker_->ClaimAccount("alias", "web:2", 60);
  ASSERT_TRUE(alias.ok());
  EXPECT_FALSE(*alias) << "one Zendesk account's rate limit must not be shared by two syncs";
  auto other = worker_->ClaimAccount("other", "web:2", 60);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(*other);
}

TEST_P(SyncLease, AnExpiredLeaseIsTakenOverAndTheOldHolderLosesIt) {
  AddAccount("a", "https://a.zendesk.com");
  auto old = web_->ClaimAccount("a", "web:1", 0);  // expires at once
  ASSERT_TRUE(old.ok() && *old);
  usleep(20 * 1000);
  auto taken = worker_->ClaimAccount("a", "web:2", 60);
  ASSERT_TRUE(taken.ok() && *taken);
  auto hb = web_->Heartbeat(**old, 60);
  ASSERT_TRUE(hb.ok());
  EXPECT_FALSE(*hb);
}

TEST_P(SyncLease, PingAnswersWhileTheDatabaseIsThere) {
  EXPECT_TRUE(store_->Ping().ok());
  if (GetParam() != "sqlite") return;
  // Deleted under the open handle: reads still work, but nothing written
  // would reach a file; the health check says so.
  std::filesystem::remove(db_);
  Status s = store_->Ping();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("deleted"), std::string::npos) << s.message();
}

INSTANTIATE_TEST_SUITE_P(Engines, SyncLease, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sk::store
