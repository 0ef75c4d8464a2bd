// A test fixture run once per store engine: "sqlite" always, "postgres" when
// SEATKEEPER_TEST_PG names a server (scripts/pg-test-cluster.sh start; each
// test then gets a fresh schema of its own, dropped at the end).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <memory>
#include <string>

#include "store/open.h"
#include "store/pg_test_schema.h"

namespace sk::store::testing {

class EngineTest : public ::testing::TestWithParam<std::string> {
 protected:
  // `prefix` names the test's home folder and PostgreSQL schema.
  explicit EngineTest(std::string prefix) : prefix_(std::move(prefix)) {}

  // Makes home_ and db_ (a SQLite file in home_ or a PostgreSQL schema);
  // skips the PostgreSQL run when no cluster is configured.
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& c : name)
      if (!isalnum(static_cast<unsigned char>(c))) c = '_';
    home_ = std::filesystem::temp_directory_path() /
            ("sk-" + prefix_ + "-" + std::to_string(getpid()) + "-" + name);
    std::filesystem::remove_all(home_);
    std::filesystem::create_directories(home_);
    if (GetParam() == "postgres") {
      if (TestPg().empty())
        GTEST_SKIP()
            << "SEATKEEPER_TEST_PG is not set: start a cluster with `scripts/pg-test-cluster.sh start` "
               "and export its SEATKEEPER_TEST_PG line to run the PostgreSQL engine";
      schema_ = ("t" + prefix_ + std::to_string(getpid()) + "_" + name).substr(0, 60);
      std::transform(schema_.begin(), schema_.end(), schema_.begin(), ::tolower);
      db_ = CreateTestSchema(schema_);
    } else {
      db_ = (home_ / "seatkeeper.db").string();
    }
  }
  void TearDown() override {
    if (!schema_.empty()) DropTestSchema(schema_);
    std::filesystem::remove_all(home_);
  }

  // Another store / queue on the test's database (another process, say).
  Result<std::unique_ptr<Store>> OpenTestStore() {
    return IsPostgresUrl(db_) ? OpenPostgres(db_, home_.string()) : OpenSqlite(db_, home_.string());
  }
  Result<std::unique_ptr<SyncQueue>> OpenTestQueue() {
    return IsPostgresUrl(db_) ? OpenPostgresQueue(db_) : OpenSqliteQueue(db_);
  }

  std::filesystem::path home_;
  std::string db_, schema_;

 private:
  std::string prefix_;
};

// An EngineTest with a store open on the test's database (store_), closed
// before the database is dropped.
class EngineStoreTest : public EngineTest {
 protected:
  using EngineTest::EngineTest;
  void SetUp() override {
    EngineTest::SetUp();
    if (IsSkipped()) return;
    auto s = OpenTestStore();
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  void TearDown() override {
    store_.reset();
    EngineTest::TearDown();
  }
  std::unique_ptr<Store> store_;
};

// A user for store tests: an agent (or an end user when `license` is "end-user").
inline UserRecord TestUser(int64_t id, const std::string& license, bool seat) {
  UserRecord u;
  u.id = id;
  u.name = "User " + std::to_string(id);
  u.email = "u" + std::to_string(id) + "@example.com";
  u.role = license == "end-user" ? "end-user" : "agent";
  u.license = license;
  u.seat = seat;
  return u;
}

}  // namespace sk::store::testing
