// The audit trail's hash chain (issue #17 item 4), on every engine (SQLite
// always, PostgreSQL when SEATKEEPER_TEST_PG names a cluster): rows edited,
// removed and reordered directly in the database are found, and the first
// bad one named; writers in two processes never fork the chain.
#include "store/audit_chain.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <pqxx/pqxx>
#include <thread>

#include "store/engine_test.h"

namespace sk::store {
namespace {

class AuditChainTest : public testing::EngineStoreTest {
 protected:
  AuditChainTest() : EngineStoreTest("chain") {}

  // Runs `sql` on the database directly, as someone tampering with it would.
  void Raw(const std::string& sql) {
    if (IsPostgresUrl(db_)) {
      pqxx::connection c(db_);
      pqxx::work w(c);
      w.exec(sql);
      w.commit();
      return;
    }
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db_.c_str(), &h), SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(h);
    ASSERT_EQ(rc, SQLITE_OK) << msg << "\n" << sql;
  }
  int64_t RawInt(const std::string& sql) {
    if (IsPostgresUrl(db_)) {
      pqxx::connection c(db_);
      pqxx::work w(c);
      return w.exec1(sql)[0].as<int64_t>();
    }
    sqlite3* h = nullptr;
    EXPECT_EQ(sqlite3_open(db_.c_str(), &h), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(h);
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
  }
  // The id of the default account's row at chain position `seq`.
  // Exchanges the `column` values a and b of the default account's rows.
  void Swap(const std::string& column, int64_t a, int64_t b) {
    auto set = [&](int64_t from, int64_t to) {
      Raw("UPDATE audit SET " + column + "=" + std::to_string(to) + " WHERE account='default' AND " + column +
          "=" + std::to_string(from));
    };
    set(a, -1);
    set(b, a);
    set(-1, b);
  }

  int64_t IdAt(int seq) {
    return RawInt("SELECT id FROM audit WHERE account='default' AND seq=" + std::to_string(seq));
  }

  int64_t Append(const std::string& account, const std::string& action, const std::string& target) {
    AuditEntry e;
    e.account = account;
    e.at = 1795186800;
    e.actor = "cli:root";
    e.action = action;
    e.target = target;
    e.before_json = R"({"role":"agent"})";
    e.result = "started";
    auto id = store_->AppendAudit(e);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }

  // Positions of the default account: 1 e1, 2 e2, 3 e1 revised, 4 e3, 5 e2 revised, 6 e4
  // (another account's rows in between have a chain of their own).
  void Build() {
    e1_ = Append("default", "user.set-role", "user:1");
    e2_ = Append("default", "user.delete", "user:2");
    Append("other", "user.delete", "user:9");
    ASSERT_TRUE(store_->UpdateAudit(e1_, "ok", R"({"role":"end-user"})", "downgraded").ok());
    e3_ = Append("default", "tickets.reassign", "from:3");
    ASSERT_TRUE(store_->UpdateAudit(e2_, "failed", "null", "Zendesk said no").ok());
    e4_ = Append("default", "user.create", "email:a@b.test");
    auto report = Verify();
    ASSERT_TRUE(report.intact) << report.first_break->detail;
    ASSERT_EQ(report.links, 6);
  }

  ChainReport Verify(const std::string& account = "default") {
    auto chain = store_->ReadAuditChain(account);
    EXPECT_TRUE(chain.ok()) << chain.status().ToString();
    return VerifyChain(chain.ok() ? *chain : AuditChain{});
  }

  void ExpectBreak(const std::string& problem, int64_t seq, int64_t id) {
    auto r = Verify();
    ASSERT_FALSE(r.intact) << "the chain should be broken (" << problem << ")";
    EXPECT_EQ(r.first_break->problem, problem) << r.first_break->detail;
    EXPECT_EQ(r.first_break->seq, seq) << r.first_break->detail;
    EXPECT_EQ(r.first_break->id, id) << r.first_break->detail;
    EXPECT_TRUE(Verify("other").intact) << "another account's chain is its own";
  }

  int64_t e1_ = 0, e2_ = 0, e3_ = 0, e4_ = 0;
};

TEST_P(AuditChainTest, OutcomesAreRevisionRowsAndTheListShowsTheLatest) {
  Build();
  EXPECT_EQ(Verify().entries, 4);
  auto list = store_->ListAudit("default");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 4u);
  EXPECT_EQ((*list)[0].id, e1_);
  EXPECT_EQ((*list)[0].result, "ok");
  EXPECT_EQ((*list)[0].after_json, R"({"role":"end-user"})");
  EXPECT_EQ((*list)[0].before_json, R"({"role":"agent"})");
  EXPECT_EQ((*list)[1].id, e2_);
  EXPECT_EQ((*list)[1].result, "failed");
  EXPECT_EQ((*list)[2].id, e3_);
  EXPECT_EQ((*list)[2].result, "started");
  EXPECT_EQ((*list)[3].id, e4_);
  // Every row is kept: the started rows and their revisions.
  auto chain = store_->ReadAuditChain("default");
  ASSERT_TRUE(chain.ok());
  ASSERT_EQ(chain->links.size(), 6u);
  EXPECT_EQ(chain->links[2].revision_of, e1_);
  EXPECT_EQ(chain->links[0].prev_hash, kGenesisHash);
  EXPECT_EQ(chain->links[1].prev_hash, chain->links[0].hash);
  EXPECT_EQ(chain->head->seq, 6);
  EXPECT_EQ(chain->head->hash, chain->links[5].hash);
}

TEST_P(AuditChainTest, AnEditedRowIsTheFirstBadEntry) {
  Build();
  Raw("UPDATE audit SET detail='nothing happened' WHERE account='default' AND seq=3");
  ExpectBreak("edited", 3, IdAt(3));
}

TEST_P(AuditChainTest, AnEditedResultOfTheFirstRowIsFound) {
  Build();
  Raw("UPDATE audit SET result='ok' WHERE account='default' AND seq=1");
  ExpectBreak("edited", 1, IdAt(1));
}

TEST_P(AuditChainTest, ARemovedRowIsFoundAtItsPosition) {
  Build();
  const int64_t after = IdAt(5);
  Raw("DELETE FROM audit WHERE account='default' AND seq=4");
  ExpectBreak("removed", 4, after);
}

TEST_P(AuditChainTest, ARemovedRowIsFoundEvenWhenTheLaterPositionsAreRenumbered) {
  Build();
  const int64_t after = IdAt(3);
  Raw("DELETE FROM audit WHERE account='default' AND seq=2");
  Raw("UPDATE audit SET seq=seq-1 WHERE account='default' AND seq>2");
  Raw("UPDATE audit_head SET seq=seq-1 WHERE account='default'");
  ExpectBreak("removed", 2, after);
}

TEST_P(AuditChainTest, ARemovedLastRowIsFoundThroughTheHead) {
  Build();
  Raw("DELETE FROM audit WHERE account='default' AND seq=6");
  ExpectBreak("removed", 6, 0);
}

TEST_P(AuditChainTest, SwappedPositionsAreReordered) {
  Build();
  const int64_t third = IdAt(3);
  Swap("seq", 2, 3);
  ExpectBreak("reordered", 2, third);
}

TEST_P(AuditChainTest, SwappedIdsAreReordered) {
  Build();
  const int64_t second = IdAt(2), fourth = IdAt(4);
  Swap("id", second, fourth);
  ExpectBreak("reordered", 2, fourth);
}

TEST_P(AuditChainTest, RowsFromBeforeTheChainAreReportedUnchained) {
  // As a store upgraded to schema 6 has them: rows without chain fields, and
  // a head that remembers the last of them (the migration writes it).
  Raw("INSERT INTO audit(account, at, actor, action, target, before_json, after_json, result, detail) "
      "VALUES('default', 1, 'cli:old', 'user.delete', 'user:5', 'null', 'null', 'ok', '')");
  Raw("INSERT INTO audit(account, at, actor, action, target, before_json, after_json, result, detail) "
      "VALUES('default', 2, 'cli:old', 'user.delete', 'user:6', 'null', 'null', 'ok', '')");
  Raw("INSERT INTO audit_head(account, seq, hash, legacy_max_id) "
      "SELECT account, 0, '', MAX(id) FROM audit GROUP BY account");
  const int64_t legacy = RawInt("SELECT MAX(id) FROM audit");
  Build();
  auto r = Verify();
  EXPECT_TRUE(r.intact);
  EXPECT_EQ(r.unchained, 2);
  EXPECT_EQ(r.entries, 6);
  ASSERT_TRUE(r.first_chained_id.has_value());
  EXPECT_GT(*r.first_chained_id, legacy);
  ASSERT_EQ(store_->ListAudit("default")->size(), 6u);
  // An old row may be revised (an action interrupted across the upgrade): the revision is chained.
  ASSERT_TRUE(store_->UpdateAudit(legacy, "failed", "null", "interrupted").ok());
  EXPECT_TRUE(Verify().intact);
  EXPECT_EQ(store_->ListAudit("default")->at(1).result, "failed");
  // Stripping a chained row of its hash does not make it an old row.
  Raw("UPDATE audit SET hash=NULL, seq=NULL, prev_hash=NULL WHERE id=" + std::to_string(IdAt(2)));
  auto broken = Verify();
  ASSERT_FALSE(broken.intact);
  EXPECT_EQ(broken.first_break->problem, "edited") << broken.first_break->detail;
}

TEST_P(AuditChainTest, AMissingHeadIsARemoval) {
  Build();
  Raw("DELETE FROM audit_head WHERE account='default'");
  auto r = Verify();
  ASSERT_FALSE(r.intact);
  EXPECT_EQ(r.first_break->problem, "removed");
}

TEST_P(AuditChainTest, WritersInTwoProcessesNeverForkTheChain) {
  auto other = OpenTestStore();
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (Store* s : {store_.get(), other->get()})
    threads.emplace_back([s, &errors] {
      for (int i = 0; i < 40; ++i) {
        AuditEntry e;
        e.account = "default";
        e.actor = "cli:racer";
        e.action = "user.delete";
        e.target = "user:" + std::to_string(i);
        auto id = s->AppendAudit(e);
        if (!id.ok() || !s->UpdateAudit(*id, "ok", "null", "done").ok()) ++errors;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  auto r = Verify();
  EXPECT_TRUE(r.intact) << (r.first_break ? r.first_break->detail : "");
  EXPECT_EQ(r.links, 160);
  EXPECT_EQ(r.entries, 80);
}

TEST(AuditCanonicalForm, IsLengthPrefixedSoNoTwoRowsSerialiseTheSame) {
  AuditLink a, b;
  a.entry.actor = "cli:a";
  a.entry.action = "b";
  b.entry.actor = "cli:";
  b.entry.action = "ab";
  EXPECT_NE(CanonicalForm(a), CanonicalForm(b));
  EXPECT_NE(LinkHash(a), LinkHash(b));
  a.entry.id = 7;
  a.entry.account = "default";
  a.entry.at = 1700000000;
  a.prev_hash = kGenesisHash;
  EXPECT_EQ(CanonicalForm(a),
            "seatkeeper.audit.v1\n1:7\n1:0\n7:default\n10:1700000000\n5:cli:a\n1:b\n0:\n4:null\n4:null\n0:"
            "\n0:\n64:" +
                std::string(kGenesisHash) + "\n");
  EXPECT_EQ(LinkHash(a).size(), 64u);
}

INSTANTIATE_TEST_SUITE_P(Engines, AuditChainTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sk::store
