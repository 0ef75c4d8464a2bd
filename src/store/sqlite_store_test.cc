#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "store/secret_box.h"
#include "store/store.h"
#include "store/views.h"

namespace sk::store {
namespace {

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
  static UserRecord User(int64_t id, const std::string& license, bool seat) {
    UserRecord u;
    u.id = id;
    u.name = "User " + std::to_string(id);
    u.email = "u" + std::to_string(id) + "@example.com";
    u.role = license == "end-user" ? "end-user" : "agent";
    u.license = license;
    u.seat = seat;
    return u;
  }
  std::filesystem::path home_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, ConnectionSecretsAreSealedAtRest) {
  Connection c;
  c.url = "https://acme.zendesk.com";
  c.auth_kind = "oauth";
  c.secret = "very-secret-access-token-123";
  c.refresh_token = "very-secret-refresh-456";
  c.client_secret = "very-secret-client-789";
  c.state = "connected";
  ASSERT_TRUE(store_->PutConnection(c).ok());
  auto back = store_->GetConnection("default");
  ASSERT_TRUE(back.ok());
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ((*back)->secret, c.secret);
  EXPECT_EQ((*back)->refresh_token, c.refresh_token);
  EXPECT_EQ((*back)->client_secret, c.client_secret);
  ASSERT_TRUE(store_->SaveTokens("default", "rotated-access-aaa", "rotated-refresh-bbb", 1234).ok());
  back = store_->GetConnection("default");
  EXPECT_EQ((*back)->secret, "rotated-access-aaa");
  EXPECT_EQ((*back)->refresh_token, "rotated-refresh-bbb");
  EXPECT_EQ((*back)->token_expires_at, 1234);
  store_.reset();
  // No secret appears in any file of the home folder.
  for (const auto& f : std::filesystem::recursive_directory_iterator(home_)) {
    if (!f.is_regular_file()) continue;
    std::ifstream in(f.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    for (const char* secret : {"very-secret", "rotated-access", "rotated-refresh"})
      EXPECT_EQ(ss.str().find(secret), std::string::npos) << secret << " found in " << f.path();
  }
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

TEST_F(StoreTest, OnceKeysCountOnceAndPagesCommitWithCheckpoints) {
  Page p;
  p.users = {User(1, "agent", true), User(2, "end-user", false)};
  p.activity.push_back({1, 100, Kind::kTicket, 3, {"event:1", "event:2", "event:3"}});
  p.once.push_back({"deleted:77", {1, 100, Kind::kTicket, 1, {"deleted:77"}}});
  p.once.push_back({"login:2:5000", {2, 100, Kind::kLoginObserved, 1, {"last_login_at:x"}}});
  p.checkpoints["k"] = "v1";
  ASSERT_TRUE(store_->ApplyPage("default", p, 10).ok());
  // The same deletion and login again (another source, or a re-read page): no change.
  Page again;
  again.once = p.once;
  ASSERT_TRUE(store_->ApplyPage("default", again, 11).ok());
  auto usage = store_->Usage("default", 90, 110, std::nullopt);
  ASSERT_TRUE(usage.ok());
  ASSERT_EQ(usage->size(), 2u);
  EXPECT_EQ((*usage)[0].user_id, 1);
  EXPECT_EQ((*usage)[0].counts.at("ticket"), 4);
  EXPECT_EQ((*usage)[1].sources, std::set<std::string>{"login"});
  EXPECT_EQ((*usage)[1].login_evidence, std::vector<std::string>{"last_login_at"});
  EXPECT_EQ(*store_->GetCheckpoint("default", "k").value(), "v1");
  auto j = UsageJson((*usage)[0]);
  EXPECT_EQ(j["date"], "1970-04-11");
  EXPECT_EQ(j["sources"], nlohmann::json::array({"ticket"}));
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
    p.users.push_back(User(id * 7919, id % 10 ? "end-user" : "agent", id % 10 == 0));
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
  p.users = {User(1, "agent", true), User(2, "agent", true), User(3, "agent", true)};
  ASSERT_TRUE(store_->ApplyPage("default", p, 10).ok());
  SideQuery(home_ / "seatkeeper.db", "UPDATE users SET seen_run='upgraded-run' WHERE id=2");
  Page q;
  q.run_id = "upgraded-run";
  q.users = {User(3, "agent", true)};
  ASSERT_TRUE(store_->ApplyPage("default", q, 20).ok());
  EXPECT_EQ(*store_->UnseenUsers("default", "upgraded-run"), std::vector<int64_t>{1});
}

TEST_F(StoreTest, UserChangesAreRecordedAndVanishedUsersMarkedDeleted) {
  Page p;
  p.run_id = "run1";
  p.users = {User(1, "agent", true), User(2, "agent", true)};
  ASSERT_TRUE(store_->ApplyPage("default", p, 10).ok());
  Page q;
  q.run_id = "run2";
  UserRecord demoted = User(1, "end-user", false);
  q.users = {demoted};
  ASSERT_TRUE(store_->ApplyPage("default", q, 20).ok());
  auto marked = store_->MarkUnseenUsersDeleted("default", "run2", 20);
  ASSERT_TRUE(marked.ok());
  EXPECT_EQ(*marked, 1);
  auto u2 = store_->GetUser("default", 2);
  ASSERT_TRUE(u2.ok() && u2->has_value());
  EXPECT_TRUE((*u2)->deleted);
  EXPECT_EQ((*u2)->deleted_kind, "permanent");
  EXPECT_FALSE((*u2)->seat);
  auto u1 = store_->GetUser("default", 1);
  EXPECT_EQ((*u1)->license, "end-user");
  EXPECT_FALSE((*u1)->deleted);
}

TEST_F(StoreTest, ListUsersFiltersAndCountsActiveDays) {
  Page p;
  p.users = {User(1, "agent", true), User(2, "agent", true), User(3, "end-user", false)};
  p.activity.push_back({1, 100, Kind::kTicket, 1, {}});
  p.activity.push_back({1, 101, Kind::kArticle, 1, {}});
  p.activity.push_back({1, 101, Kind::kTicket, 1, {}});
  p.activity.push_back({3, 50, Kind::kTicket, 1, {}});  // before the window
  ASSERT_TRUE(store_->ApplyPage("default", p, 10).ok());
  UserFilter all;
  auto users = store_->ListUsers("default", all, 90, 110);
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 3u);
  EXPECT_EQ((*users)[0].active_days, 2);
  EXPECT_EQ((*users)[0].last_active_day, 101);
  EXPECT_EQ((*users)[2].active_days, 0);
  EXPECT_EQ((*users)[2].last_active_day, 50);
  UserFilter idle;
  idle.seat = true;
  idle.inactive_days = 5;  // nothing since day 106
  users = store_->ListUsers("default", idle, 90, 110);
  ASSERT_EQ(users->size(), 2u);
  idle.inactive_days = 15;  // activity on day 101 is within the last 15 days
  users = store_->ListUsers("default", idle, 90, 110);
  ASSERT_EQ(users->size(), 1u);
  EXPECT_EQ((*users)[0].user.id, 2);
  auto summary = store_->Summary("default", 100, 101);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ((*summary)[1].active_users, 1);
  EXPECT_EQ((*summary)[1].paid_seats, 2);
  EXPECT_EQ((*summary)[1].idle_paid_seats, 1);
}

TEST_F(StoreTest, AuditTrail) {
  AuditEntry e;
  e.account = "default";
  e.actor = "cli:root";
  e.action = "user.set_role";
  e.target = "42";
  e.before_json = R"({"role":"agent"})";
  e.result = "started";
  auto id = store_->AppendAudit(e);
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(store_->UpdateAudit(*id, "ok", R"({"role":"end-user"})", "").ok());
  auto list = store_->ListAudit("default");
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].result, "ok");
  EXPECT_EQ(AuditJson((*list)[0])["before"]["role"], "agent");
}

}  // namespace
}  // namespace sk::store
