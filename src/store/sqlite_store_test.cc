#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "store/engine_test.h"
#include "store/secret_box.h"
#include "store/store.h"
#include "store/store_testing.h"
#include "store/views.h"

namespace sk::store {
namespace {

using testing::TestUser;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = std::filesystem::temp_directory_path() /
            ("sk-store-" + std::to_string(getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(home_);
    auto s = OpenSqlite((home_ / "seatkeeper.db").string(), home_.string());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(home_);
  }
  std::filesystem::path home_;
  std::unique_ptr<Store> store_;
};

// Sealing at rest on every engine: store_conformance_test.cc. Here: the
// key beside the embedded database is the owner's alone.
TEST_F(StoreTest, TheKeyFileIsTheOwnersAlone) {
  ASSERT_TRUE(store_->PutConnection(testing::TestConnection()).ok());
  struct stat st {};
  ASSERT_EQ(stat((home_ / "key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
}

TEST_F(StoreTest, WrongKeyCannotOpenSecrets) {
  SecretBox a = SecretBox::FromKey(std::string(32, 'a'));
  SecretBox b = SecretBox::FromKey(std::string(32, 'b'));
  std::string sealed = a.Seal("token", "default/secret");
  EXPECT_TRUE(a.Open(sealed, "default/secret").ok());
  EXPECT_FALSE(b.Open(sealed, "default/secret").ok());
  EXPECT_FALSE(a.Open(sealed, "other/secret").ok()) << "a sealed value is bound to its slot";
}

// Runs one statement on a second connection to the store's database and
// returns the first column of its first row (0 when there is none).
int64_t SideQuery(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  EXPECT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(h);
  int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_finalize(st);
  sqlite3_close(h);
  return v;
}

// Every sync reads every user. A user whose record did not change must not be
// written again: rewriting 500,000 rows in the export's (random) id order
// cost a huge account about 4 GB of WAL per daily sync.
TEST_F(StoreTest, ARepeatedUserPassWritesOnlyWhatChanged) {
  const auto db = home_ / "seatkeeper.db";
  Page p;
  p.run_id = "run1";
  for (int64_t id = 1; id <= 5000; ++id)
    p.users.push_back(TestUser(id * 7919, id % 10 ? "end-user" : "agent", id % 10 == 0));
  ASSERT_TRUE(store_->ApplyPage("default", p, 10).ok());
  SideQuery(db, "PRAGMA wal_checkpoint(TRUNCATE)");
  ASSERT_EQ(std::filesystem::file_size(home_ / "seatkeeper.db-wal"), 0u);
  p.run_id = "run2";
  p.users[42].name = "Renamed";
  ASSERT_TRUE(store_->ApplyPage("default", p, 20).ok());
  // The page's ids (one row of about 30 KB) and one changed user: a few
  // dozen pages. Rewriting the 5,000 users would write every page of the table.
  const int64_t users_pages = SideQuery(db, "SELECT count(*) FROM dbstat WHERE name='users'");
  const auto wal_pages = static_cast<int64_t>(std::filesystem::file_size(home_ / "seatkeeper.db-wal") / 4120);
  EXPECT_GT(users_pages, 40);
  EXPECT_LT(wal_pages, users_pages / 2)
      << "the WAL holds " << wal_pages << " pages; users has " << users_pages;
  auto renamed = store_->GetUser("default", 43 * 7919);
  ASSERT_TRUE(renamed.ok() && renamed->has_value());
  EXPECT_EQ((*renamed)->name, "Renamed");
  EXPECT_TRUE(store_->UnseenUsers("default", "run2")->empty()) << "unchanged users still count as seen";
}

// A pass that was under way when the store was upgraded to schema 5 stamped
// users.seen_run; those users still count as seen by that pass.
TEST_F(StoreTest, UsersStampedBeforeSchema5CountAsSeenByTheirPass) {
  Page p;
  p.run_id = "old-run";
  p.users = {TestUser(1, "agent", true), TestUser(2, "agent", true), TestUser(3, "agent", true)};
  ASSERT_TRUE(store_->ApplyPage("default", p, 10).ok());
  SideQuery(home_ / "seatkeeper.db", "UPDATE users SET seen_run='upgraded-run' WHERE id=2");
  Page q;
  q.run_id = "upgraded-run";
  q.users = {TestUser(3, "agent", true)};
  ASSERT_TRUE(store_->ApplyPage("default", q, 20).ok());
  EXPECT_EQ(*store_->UnseenUsers("default", "upgraded-run"), std::vector<int64_t>{1});
}

}  // namespace
}  // namespace sk::store
