// One store test suite, run against every engine: SQLite always, PostgreSQL
// when SEATKEEPER_TEST_PG names a server (scripts/pg-test-cluster.sh start).
// Each PostgreSQL test gets a fresh schema of its own.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>
#include <thread>
#include <tuple>

#include "store/domain.h"
#include "store/engine_test.h"
#include "store/groups.h"
#include "store/pg_test_schema.h"
#include "store/postgres_store.h"
#include "store/schema.h"
#include "store/secret_box.h"
#include "store/store.h"
#include "store/store_testing.h"
#include "store/sync_queue.h"
#include "store/views.h"

namespace sk::store {
namespace {

using testing::TestPg;

class Conformance : public testing::EngineTest {
 protected:
  Conformance() : EngineTest("conf") {}
  void SetUp() override {
    EngineTest::SetUp();
    if (IsSkipped()) return;
    Reopen();
  }
  void TearDown() override {
    queue_.reset();
    store_.reset();
    EngineTest::TearDown();
  }
  void Reopen() {
    store_.reset();
    queue_.reset();
    auto s = OpenTestStore();
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    auto q = OpenQueue();
    ASSERT_TRUE(q.ok()) << q.status().ToString();
    queue_ = std::move(q).value();
  }
  Result<std::unique_ptr<SyncQueue>> OpenQueue() { return OpenTestQueue(); }
  static UserRecord User(int64_t id, const std::string& license, bool seat) {
    return testing::TestUser(id, license, seat);
  }
  void Connect(const std::string& account, const std::string& url,
               std::optional<UnixTime> last_sync = std::nullopt) {
    Connection c = testing::TestConnection(account, url, "api_token", "token-" + account,
                                           last_sync ? "synced" : "connected");
    c.last_sync_at = last_sync;
    ASSERT_TRUE(store_->PutConnection(c).ok());
  }
  // Raw text of every stored value (for the at-rest check).
  std::string Dump() {
    if (IsPostgresUrl(db_)) {
      pqxx::connection c(db_);
      pqxx::work w(c);
      std::string all;
      for (const auto& r : w.exec("SELECT data || secret || refresh_token || client_secret FROM connections"))
        all += r[0].c_str();
      return all;
    }
    std::string all;
    for (const auto& f : std::filesystem::recursive_directory_iterator(home_)) {
      if (!f.is_regular_file()) continue;
      std::ifstream in(f.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      all += ss.str();
    }
    return all;
  }

  std::unique_ptr<Store> store_;
  std::unique_ptr<SyncQueue> queue_;
};

TEST_P(Conformance, ConnectionRoundTripAndSecretsSealedAtRest) {
  EXPECT_FALSE(store_->GetConnection("default")->has_value());
  const Connection c = testing::FullConnection();
  ASSERT_TRUE(store_->PutConnection(c).ok());
  auto back = store_->GetConnection("default");
  ASSERT_TRUE(back.ok() && back->has_value());
  const Connection& b = **back;
  EXPECT_EQ(b.url, c.url);
  EXPECT_EQ(b.client_id, "cid");
  EXPECT_EQ(b.secret, c.secret);
  EXPECT_EQ(b.refresh_token, c.refresh_token);
  EXPECT_EQ(b.client_secret, c.client_secret);
  EXPECT_EQ(b.permission, "read-write");
  EXPECT_EQ(b.timezone, "Europe/Berlin");
  EXPECT_EQ(b.api_budget, 40);
  EXPECT_EQ(b.plan, "enterprise");
  EXPECT_EQ(b.connecting_user_id, 42);
  EXPECT_EQ(b.preflight_json, c.preflight_json);
  EXPECT_EQ(b.capabilities_json, c.capabilities_json);
  EXPECT_EQ(b.last_sync_at, 1700000000);
  EXPECT_EQ(b.connected_at, 1690000000);
  EXPECT_FALSE(b.token_expires_at.has_value());
  ASSERT_TRUE(store_->SaveTokens("default", "rotated-access-aaa", "rotated-refresh-bbb", 1234).ok());
  back = store_->GetConnection("default");
  EXPECT_EQ((*back)->secret, "rotated-access-aaa");
  EXPECT_EQ((*back)->refresh_token, "rotated-refresh-bbb");
  EXPECT_EQ((*back)->token_expires_at, 1234);
  EXPECT_EQ((*back)->plan, "enterprise") << "SaveTokens keeps the rest";
  ASSERT_TRUE(store_->SaveTokens("default", "a2", "r2", std::nullopt).ok());
  EXPECT_FALSE((*store_->GetConnection("default"))->token_expires_at.has_value());
  EXPECT_FALSE(store_->SaveTokens("nobody", "a", "r", 1).ok()) << "no such connection";
  ASSERT_TRUE(store_->SetState("default", "error", "reason and fix").ok());
  back = store_->GetConnection("default");
  EXPECT_EQ((*back)->state, "error");
  EXPECT_EQ((*back)->error, "reason and fix");
  ASSERT_TRUE(store_->SaveTokens("default", "rotated-access-aaa", "rotated-refresh-bbb", 1234).ok());
  store_.reset();
  queue_.reset();
  std::string raw = Dump();
  for (const char* secret : {"very-secret", "rotated-access", "rotated-refresh"})
    EXPECT_EQ(raw.find(secret), std::string::npos) << secret << " stored in clear";
}

// Key rotation (`seatkeeper rekey`): every sealed value of every connection
// is sealed again with the new key, in one go; when one does not open with
// the key given as the old one, nothing changes.
TEST_P(Conformance, ResealSecretsMovesEveryConnectionToTheNewKey) {
  Connect("one", "https://one.zendesk.com");
  Connection c = testing::OAuthConnection("access-two", "refresh-two", "client-secret-two", "two",
                                          "https://two.zendesk.com");
  ASSERT_TRUE(store_->PutConnection(c).ok());
  auto old_key = SecretBox::Open(home_.string());
  ASSERT_TRUE(old_key.ok()) << old_key.status().ToString();
  const SecretBox fresh = SecretBox::FromKey(std::string(32, 'n'));
  auto before = store_->ReadSealedSecrets();
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  ASSERT_EQ(before->size(), 2u);
  EXPECT_TRUE(domain::AllOpen(*before, *old_key));
  EXPECT_FALSE(domain::AllOpen(*before, fresh));

  auto count = store_->ResealSecrets(*old_key, fresh);
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(count->accounts, 2);
  EXPECT_EQ(count->secrets, 4) << "one API token, and an OAuth pair with its client secret";
  auto after = store_->ReadSealedSecrets();
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(domain::AllOpen(*after, fresh));
  EXPECT_FALSE(domain::AllOpen(*after, *old_key));
  Connection plain;
  plain.account = "two";
  ASSERT_TRUE(domain::OpenSecrets(fresh, (*after)[1], &plain).ok());
  EXPECT_EQ(plain.refresh_token, "refresh-two");
  EXPECT_EQ(plain.client_secret, "client-secret-two");

  // The old key no longer opens them: a second rotation from it changes nothing.
  EXPECT_FALSE(store_->ResealSecrets(*old_key, SecretBox::FromKey(std::string(32, 'x'))).ok());
  auto unchanged = store_->ReadSealedSecrets();
  ASSERT_TRUE(unchanged.ok());
  for (size_t i = 0; i < after->size(); ++i) EXPECT_EQ((*unchanged)[i].values, (*after)[i].values);
}

// RotateTokens is a compare-and-swap of the refresh token: it refreshes only
// while the stored refresh token is the one used, stores the answer, and
// otherwise hands back what another process stored.
TEST_P(Conformance, RotateTokensRefreshesOnlyAStillCurrentPair) {
  Connection c = testing::OAuthConnection("access-1", "refresh-1");
  c.token_expires_at = 100;
  c.refresh_expires_at = 1000;
  c.plan = "enterprise";
  ASSERT_TRUE(store_->PutConnection(c).ok());
  int calls = 0;
  auto rotate_to = [&](const std::string& n) {
    return [&calls, n]() -> Result<OAuthTokens> {
      ++calls;
      return OAuthTokens{"access-" + n, "refresh-" + n, 200, 2000};
    };
  };
  auto r = store_->RotateTokens("default", "refresh-1", rotate_to("2"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->rotated);
  EXPECT_EQ(r->tokens.access, "access-2");
  EXPECT_EQ(calls, 1);
  auto back = store_->GetConnection("default");
  EXPECT_EQ((*back)->secret, "access-2");
  EXPECT_EQ((*back)->refresh_token, "refresh-2");
  EXPECT_EQ((*back)->token_expires_at, 200);
  EXPECT_EQ((*back)->refresh_expires_at, 2000);
  EXPECT_EQ((*back)->plan, "enterprise") << "the rest is kept";
  // A process still holding refresh-1 gets the stored pair, without a refresh.
  r = store_->RotateTokens("default", "refresh-1", rotate_to("3"));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->rotated);
  EXPECT_EQ(r->tokens.access, "access-2");
  EXPECT_EQ(r->tokens.refresh, "refresh-2");
  EXPECT_EQ(r->tokens.expires_at, 200);
  EXPECT_EQ(calls, 1);
  // A failed refresh stores nothing.
  r = store_->RotateTokens("default", "refresh-2",
                           []() -> Result<OAuthTokens> { return IoError("refused"); });
  EXPECT_FALSE(r.ok());
  EXPECT_EQ((*store_->GetConnection("default"))->refresh_token, "refresh-2");
  EXPECT_FALSE(store_->RotateTokens("nobody", "x", rotate_to("4")).ok());
  // A finishing sync records itself without touching the rotated tokens.
  ASSERT_TRUE(store_->SetState("default", "syncing", "").ok());
  ASSERT_TRUE(store_->FinishSync("default", 1700000000, 30).ok());
  back = store_->GetConnection("default");
  EXPECT_EQ((*back)->state, "synced");
  EXPECT_EQ((*back)->last_sync_at, 1700000000);
  EXPECT_EQ((*back)->window_days, 30);
  EXPECT_EQ((*back)->refresh_token, "refresh-2");
  EXPECT_EQ((*back)->refresh_expires_at, 2000);
  EXPECT_FALSE(store_->FinishSync("nobody", 1, 1).ok());
  store_.reset();
  queue_.reset();
  EXPECT_EQ(Dump().find("refresh-2"), std::string::npos) << "sealed at rest";
}

// Two stores on one database (two processes) refreshing the same pair at
// once: one refresh runs; the other waits for it and gets its pair.
TEST_P(Conformance, RotateTokensRunsOneRefreshAcrossProcesses) {
  ASSERT_TRUE(store_->PutConnection(testing::OAuthConnection("access-1", "refresh-1")).ok());
  auto other = OpenTestStore();
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  std::atomic<int> calls{0};
  std::atomic<bool> in_refresh{false};
  auto slow_refresh = [&]() -> Result<OAuthTokens> {
    const int n = ++calls;
    in_refresh = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return OAuthTokens{"access-new" + std::to_string(n), "refresh-new" + std::to_string(n), 5, 6};
  };
  Result<TokenRotation> first = IoError("not run"), second = IoError("not run");
  std::thread a([&] { first = store_->RotateTokens("default", "refresh-1", slow_refresh); });
  while (!in_refresh) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::thread b([&] { second = (*other)->RotateTokens("default", "refresh-1", slow_refresh); });
  a.join();
  b.join();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(calls.load(), 1) << "one refresh between the two";
  EXPECT_TRUE(first->rotated);
  EXPECT_FALSE(second->rotated);
  EXPECT_EQ(second->tokens.access, "access-new1");
  EXPECT_EQ(second->tokens.refresh, "refresh-new1");
  EXPECT_EQ((*store_->GetConnection("default"))->refresh_token, "refresh-new1");
}

TEST_P(Conformance, OnceKeysCountOnceAndPagesCommitWithCheckpoints) {
  Page p;
  p.users = {User(1, "agent", true), User(2, "end-user", false)};
  p.activity.push_back({1, 100, Kind::kTicket, 3, {"event:1", "event:2", "event:3"}});
  p.once.push_back({"deleted:77", {1, 100, Kind::kTicket, 1, {"deleted:77"}}});
  p.once.push_back({"login:2:5000", {2, 100, Kind::kLoginObserved, 1, {"last_login_at:x"}}});
  p.checkpoints["k"] = "v1";
  ASSERT_TRUE(store_->ApplyPage("default", p, 10).ok());
  Page again;
  again.once = p.once;
  ASSERT_TRUE(store_->ApplyPage("default", again, 11).ok());
  auto usage = store_->Usage("default", 90, 110, std::nullopt);
  ASSERT_TRUE(usage.ok());
  ASSERT_EQ(usage->size(), 2u);
  EXPECT_EQ((*usage)[0].user_id, 1);
  EXPECT_EQ((*usage)[0].counts.at("ticket"), 4);
  EXPECT_EQ((*usage)[0].evidence.at("ticket"),
            (std::vector<std::string>{"event:1", "event:2", "event:3", "deleted:77"}));
  EXPECT_EQ((*usage)[1].sources, std::set<std::string>{"login"});
  EXPECT_EQ((*usage)[1].login_evidence, std::vector<std::string>{"last_login_at"});
  EXPECT_EQ(*store_->GetCheckpoint("default", "k").value(), "v1");
  auto j = UsageJson((*usage)[0]);
  EXPECT_EQ(j["date"], "1970-04-11");
  EXPECT_EQ(j["sources"], nlohmann::json::array({"ticket"}));
  // Evidence keeps the first five ids.
  Page more;
  more.activity.push_back({1, 100, Kind::kTicket, 3, {"event:4", "event:5", "event:6"}});
  ASSERT_TRUE(store_->ApplyPage("default", more, 12).ok());
  usage = store_->Usage("default", 100, 100, 1);
  ASSERT_EQ(usage->size(), 1u);
  EXPECT_EQ((*usage)[0].counts.at("ticket"), 7);
  EXPECT_EQ((*usage)[0].evidence.at("ticket").size(), 5u);
}

// Of one key named twice in a page the first counts; keys are any text (the
// PostgreSQL store sends them as one array literal, chunked).
TEST_P(Conformance, OnceKeyNamedTwiceInAPageCountsItsFirstOnly) {
  Page p;
  p.users = {User(1, "agent", true)};
  const std::string odd = "deleted:\"7,7\\ {x}";
  p.once.push_back({odd, {1, 100, Kind::kTicket, 1, {"first"}}});
  p.once.push_back({odd, {1, 101, Kind::kTicket, 1, {"second"}}});
  // More keys than one statement of the PostgreSQL store takes.
  for (int i = 0; i < 5003; ++i)
    p.once.push_back({"bulk:" + std::to_string(i), {1, 102, Kind::kTicket, 1, {}}});
  ASSERT_TRUE(store_->ApplyPage("default", p, 10).ok());
  ASSERT_TRUE(store_->ApplyPage("default", p, 11).ok());  // all known now: nothing counts
  auto usage = store_->Usage("default", 90, 110, std::nullopt);
  ASSERT_TRUE(usage.ok());
  ASSERT_EQ(usage->size(), 2u);
  EXPECT_EQ((*usage)[0].day, 100);
  EXPECT_EQ((*usage)[0].counts.at("ticket"), 1);
  EXPECT_EQ((*usage)[0].evidence.at("ticket"), std::vector<std::string>{"first"});
  EXPECT_EQ((*usage)[1].day, 102);
  EXPECT_EQ((*usage)[1].counts.at("ticket"), 5003);
}

TEST_P(Conformance, CheckpointsClearByPrefixPerAccount) {
  Page p;
  p.checkpoints = {{"users:cursor", "a"}, {"users:run", "b"}, {"tickets:cursor", "c"}};
  ASSERT_TRUE(store_->ApplyPage("one", p, 1).ok());
  ASSERT_TRUE(store_->ApplyPage("two", p, 1).ok());
  ASSERT_TRUE(store_->ClearCheckpoints("one", "users:").ok());
  EXPECT_FALSE(store_->GetCheckpoint("one", "users:cursor")->has_value());
  EXPECT_FALSE(store_->GetCheckpoint("one", "users:run")->has_value());
  EXPECT_EQ(*store_->GetCheckpoint("one", "tickets:cursor").value(), "c");
  EXPECT_EQ(*store_->GetCheckpoint("two", "users:cursor").value(), "a") << "accounts are isolated";
  p.checkpoints = {{"tickets:cursor", "d"}};
  ASSERT_TRUE(store_->ApplyPage("one", p, 2).ok());
  EXPECT_EQ(*store_->GetCheckpoint("one", "tickets:cursor").value(), "d");
}

TEST_P(Conformance, UserChangesAreRecordedAndVanishedUsersMarkedDeleted) {
  Page p;
  p.run_id = "run1";
  p.users = {User(1, "agent", true), User(2, "agent", true), User(3, "agent", true)};
  ASSERT_TRUE(store_->ApplyPage("default", p, 10).ok());
  Page q;
  q.run_id = "run2";
  q.users = {User(1, "end-user", false), User(3, "agent", true)};
  ASSERT_TRUE(store_->ApplyPage("default", q, 20).ok());
  auto unseen = store_->UnseenUsers("default", "run2");
  ASSERT_TRUE(unseen.ok());
  EXPECT_EQ(*unseen, std::vector<int64_t>{2});
  auto marked = store_->MarkUnseenUsersDeleted("default", "run2", 20);
  ASSERT_TRUE(marked.ok());
  EXPECT_EQ(*marked, 1);
  EXPECT_EQ(*store_->MarkUnseenUsersDeleted("default", "run2", 21), 0) << "already permanent";
  EXPECT_TRUE(store_->UnseenUsers("default", "run2")->empty())
      << "permanently deleted users are not asked about";
  auto u2 = store_->GetUser("default", 2);
  ASSERT_TRUE(u2.ok() && u2->has_value());
  EXPECT_TRUE((*u2)->deleted);
  EXPECT_EQ((*u2)->deleted_kind, "permanent");
  EXPECT_FALSE((*u2)->seat);
  auto u1 = store_->GetUser("default", 1);
  EXPECT_EQ((*u1)->license, "end-user");
  EXPECT_FALSE((*u1)->deleted);
  EXPECT_FALSE(store_->GetUser("default", 99)->has_value());
  auto all = store_->AllUsers("default");
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, 1);
  EXPECT_EQ((*all)[2].id, 3);
  // A page without a run id keeps the stamp: user 3 still counts as seen by run2.
  Page r;
  r.users = {User(3, "agent", true)};
  ASSERT_TRUE(store_->ApplyPage("default", r, 30).ok());
  EXPECT_EQ(*store_->MarkUnseenUsersDeleted("default", "run2", 31), 0);
}

// A user pass spans many pages (and may resume after a crash): every page's
// users count as seen by it, and a new pass starts from nobody seen.
TEST_P(Conformance, AUserPassRemembersEveryPageItSaw) {
  Page a;
  a.run_id = "pass1";
  a.users = {User(1, "agent", true), User(2, "agent", true)};
  ASSERT_TRUE(store_->ApplyPage("default", a, 10).ok());
  Page b = a;
  b.users = {User(3, "agent", true), User(4, "end-user", false)};
  ASSERT_TRUE(store_->ApplyPage("default", b, 10).ok());
  Page other = a;  // another account's pass is separate
  other.run_id = "pass9";
  ASSERT_TRUE(store_->ApplyPage("two", other, 10).ok());
  EXPECT_TRUE(store_->UnseenUsers("default", "pass1")->empty());
  // The next pass: unchanged users on two pages, user 4 missing.
  Page c = a;
  c.run_id = "pass2";
  ASSERT_TRUE(store_->ApplyPage("default", c, 20).ok());
  EXPECT_EQ(*store_->UnseenUsers("default", "pass2"), (std::vector<int64_t>{3, 4}));
  Page d = c;
  d.users = {User(3, "agent", true)};
  ASSERT_TRUE(store_->ApplyPage("default", d, 20).ok());
  EXPECT_EQ(*store_->UnseenUsers("default", "pass2"), std::vector<int64_t>{4});
  EXPECT_EQ(*store_->UnseenUsers("two", "pass9"), std::vector<int64_t>{}) << "accounts are isolated";
  EXPECT_EQ(*store_->MarkUnseenUsersDeleted("default", "pass2", 21), 1);
  EXPECT_EQ((*store_->GetUser("default", 4))->deleted_kind, "permanent");
  EXPECT_EQ((*store_->GetUser("default", 3))->deleted_kind, "");
  EXPECT_FALSE((*store_->GetUser("two", 1))->deleted);
}

TEST_P(Conformance, UserFieldsRoundTrip) {
  UserRecord u = User(7, "agent", true);
  u.email.reset();
  u.role_type = 3;
  u.custom_role_id = 360001;
  u.custom_role = "Light agent";
  u.suspended = true;
  u.last_login_at = 1700000123;
  u.created_at = 1600000000;
  u.updated_at = 1700000000;
  Page p;
  p.users = {u};
  ASSERT_TRUE(store_->ApplyPage("default", p, 1).ok());
  auto b = store_->GetUser("default", 7);
  ASSERT_TRUE(b.ok() && b->has_value());
  EXPECT_FALSE((*b)->email.has_value());
  EXPECT_EQ((*b)->role_type, 3);
  EXPECT_EQ((*b)->custom_role_id, 360001);
  EXPECT_EQ((*b)->custom_role, "Light agent");
  EXPECT_TRUE((*b)->suspended);
  EXPECT_EQ((*b)->last_login_at, 1700000123);
  EXPECT_EQ((*b)->created_at, 1600000000);
  EXPECT_EQ((*b)->updated_at, 1700000000);
}

// Each row's (user id, active days, last active day or -1).
std::vector<std::array<int64_t, 3>> Activity(const std::vector<UserWithUsage>& rows) {
  std::vector<std::array<int64_t, 3>> out;
  for (const auto& r : rows) out.push_back({r.user.id, r.active_days, r.last_active_day.value_or(-1)});
  return out;
}

// Each day's (day, active users, paid seats, idle paid seats).
std::vector<std::array<int64_t, 4>> Counts(const std::vector<DaySummary>& days) {
  std::vector<std::array<int64_t, 4>> out;
  for (const auto& d : days) out.push_back({d.day, d.active_users, d.paid_seats, d.idle_paid_seats});
  return out;
}

// Users' Zendesk tags (policies' --exempt-tags): stored, read by every user
// read, replaced when Zendesk's change (without a role-history row), and the
// account's groups snapshot (store/groups.h) kept whole.
TEST_P(Conformance, UserTagsAndGroupsRoundTrip) {
  UserRecord u = User(8, "agent", true);
  u.tags = {"vip", "emea_team"};
  Page p;
  p.users = {u, User(9, "agent", true)};
  ASSERT_TRUE(store_->ApplyPage("default", p, 1).ok());
  auto b = store_->GetUser("default", 8);
  ASSERT_TRUE(b.ok() && b->has_value());
  EXPECT_EQ((*b)->tags, u.tags);
  auto all = store_->AllUsers("default");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].tags, u.tags);
  EXPECT_TRUE((*all)[1].tags.empty());
  UserFilter f;
  auto listed = store_->ListUsers("default", f, 0, 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].user.tags, u.tags);
  u.tags = {"contractor"};
  p.users = {u};
  ASSERT_TRUE(store_->ApplyPage("default", p, 2).ok());
  b = store_->GetUser("default", 8);
  ASSERT_TRUE(b.ok() && b->has_value());
  EXPECT_EQ((*b)->tags, std::vector<std::string>{"contractor"});
  auto history = store_->UserHistory("default", 8);
  ASSERT_TRUE(history.ok());
  EXPECT_TRUE(history->changes.empty()) << "a tag change is not a role-history change";

  auto none = GetGroups(*store_, "default");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  GroupsSnapshot g;
  g.synced_at = 5;
  g.names = {{100, "Support"}, {200, "Escalations"}};
  g.memberships = {{8, 100}, {8, 200}, {9, 100}};
  ASSERT_TRUE(PutGroups(*store_, "default", g).ok());
  Reopen();
  auto back = GetGroups(*store_, "default");
  ASSERT_TRUE(back.ok() && back->has_value());
  EXPECT_EQ((*back)->names, g.names);
  EXPECT_EQ((*back)->memberships, g.memberships);
  EXPECT_EQ((*back)->GroupsOf(8), (std::vector<int64_t>{100, 200}));
  EXPECT_EQ((*back)->Resolve("ESCALATIONS"), 200);
  EXPECT_EQ((*back)->Resolve("100"), 100);
  EXPECT_FALSE((*back)->Resolve("Billing").has_value());
  EXPECT_FALSE(GetGroups(*store_, "other")->has_value());
}

TEST_P(Conformance, ListUsersFiltersAndCountsActiveDays) {
  Page p;
  p.users = {User(1, "agent", true), User(2, "agent", true), User(3, "end-user", false)};
  p.users[1].name = "Zoë Admin";
  p.activity.push_back({1, 100, Kind::kTicket, 1, {}});
  p.activity.push_back({1, 101, Kind::kArticle, 1, {}});
  p.activity.push_back({1, 101, Kind::kTicket, 1, {}});
  p.activity.push_back({3, 50, Kind::kTicket, 1, {}});
  ASSERT_TRUE(store_->ApplyPage("default", p, 10).ok());
  auto users = store_->ListUsers("default", UserFilter{}, 90, 110);
  ASSERT_TRUE(users.ok()) << users.status().ToString();
  EXPECT_EQ(Activity(*users), (std::vector<std::array<int64_t, 3>>{{1, 2, 101}, {2, 0, -1}, {3, 0, 50}}));
  // The ids ListUsers returns for `f` over days 90..110.
  auto ids = [&](const UserFilter& f) {
    std::vector<int64_t> out;
    auto rows = store_->ListUsers("default", f, 90, 110);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    for (const auto& r : rows.ok() ? *rows : std::vector<UserWithUsage>{}) out.push_back(r.user.id);
    return out;
  };
  using Ids = std::vector<int64_t>;
  UserFilter idle;
  idle.seat = true;
  idle.inactive_days = 5;
  EXPECT_EQ(ids(idle), (Ids{1, 2}));
  idle.inactive_days = 15;
  EXPECT_EQ(ids(idle), (Ids{2}));
  UserFilter role;
  role.role = "end-user";
  EXPECT_EQ(ids(role), (Ids{3}));
  UserFilter lic;
  lic.license = "agent";
  EXPECT_EQ(ids(lic), (Ids{1, 2}));
  UserFilter search;
  search.search = "zoë";
  EXPECT_EQ(ids(search), (Ids{2}));
  search.search = "U3@EXAMPLE";
  EXPECT_EQ(ids(search), (Ids{3}));
  UserFilter page;
  page.after_id = 1;
  page.limit = 1;
  EXPECT_EQ(ids(page), (Ids{2}));
  Page del;
  del.run_id = "r";
  del.users = {User(1, "agent", true)};
  ASSERT_TRUE(store_->ApplyPage("default", del, 11).ok());
  ASSERT_EQ(*store_->MarkUnseenUsersDeleted("default", "r", 11), 2);
  UserFilter live;
  live.include_deleted = false;
  EXPECT_EQ(ids(live), (Ids{1}));
}

TEST_P(Conformance, SummaryCountsActiveUsersAndIdleSeats) {
  Page p;
  p.users = {User(1, "agent", true), User(2, "agent", true), User(3, "end-user", false)};
  // User 1 active on days 100 and 101 (two sources), user 3 (no seat) on 101.
  for (auto [user, day, kind] : {std::tuple{1, 100, Kind::kTicket}, std::tuple{1, 101, Kind::kArticle},
                                 std::tuple{1, 101, Kind::kLoginAudit}, std::tuple{3, 101, Kind::kTicket}})
    p.activity.push_back({user, day, kind, 1, {}});
  ASSERT_TRUE(store_->ApplyPage("default", p, 10).ok());
  auto summary = store_->Summary("default", 99, 101);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(Counts(*summary),
            (std::vector<std::array<int64_t, 4>>{{99, 0, 2, 2}, {100, 1, 2, 1}, {101, 2, 2, 1}}));
  ASSERT_EQ(summary->size(), 3u);
  EXPECT_EQ((*summary)[2].by_license.at("agent"), 1);
  EXPECT_EQ((*summary)[2].by_license.at("end-user"), 1);
  auto usage = store_->Usage("default", 101, 101, 1);
  ASSERT_EQ(usage->size(), 1u);
  EXPECT_EQ((*usage)[0].sources, (std::set<std::string>{"article", "login"}));
  EXPECT_EQ((*usage)[0].login_evidence, std::vector<std::string>{"audit_log"});
}

// The summary recomputed from Usage() and AllUsers(): what Summary() means.
std::vector<DaySummary> RecomputedSummary(Store& st, const std::string& account, DayNumber from,
                                          DayNumber to) {
  std::map<int64_t, UserRecord> users;
  auto all = st.AllUsers(account);
  EXPECT_TRUE(all.ok());
  for (const auto& u : *all) users[u.id] = u;
  int paid = 0;
  for (const auto& [id, u] : users) paid += u.seat && !u.deleted;
  std::vector<DaySummary> out;
  for (DayNumber d = from; d <= to; ++d) {
    DaySummary ds;
    ds.day = d;
    ds.paid_seats = ds.idle_paid_seats = paid;
    out.push_back(ds);
  }
  auto usage = st.Usage(account, from, to, std::nullopt);
  EXPECT_TRUE(usage.ok());
  for (const auto& r : *usage) {
    auto it = users.find(r.user_id);
    if (it == users.end()) continue;  // activity of a user not (yet) in the inventory
    auto& ds = out[static_cast<size_t>(r.day - from)];
    ++ds.active_users;
    ++ds.by_license[it->second.license];
    if (it->second.seat && !it->second.deleted) --ds.idle_paid_seats;
  }
  return out;
}

void ExpectSameSummary(const std::vector<DaySummary>& got, const std::vector<DaySummary>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].day, want[i].day);
    EXPECT_EQ(got[i].active_users, want[i].active_users) << "day " << got[i].day;
    EXPECT_EQ(got[i].by_license, want[i].by_license) << "day " << got[i].day;
    EXPECT_EQ(got[i].paid_seats, want[i].paid_seats) << "day " << got[i].day;
    EXPECT_EQ(got[i].idle_paid_seats, want[i].idle_paid_seats) << "day " << got[i].day;
  }
}

// Full-agent work (issue #17: a public comment, field change, ticket created
// or assigned) is evidence for the recommendations report: read back by
// ActivityOfKind, never an active day, a usage source or an active user.
TEST_P(Conformance, FullAgentWorkIsEvidenceButNeverAnActiveDay) {
  Page p;
  p.users = {User(1, "agent", true), User(2, "agent", true)};
  p.activity.push_back({1, 100, Kind::kFullAgentWork, 1, {"assigned:7"}});
  p.activity.push_back({2, 100, Kind::kFullAgentWork, 1, {"audit:9"}});
  p.activity.push_back({2, 100, Kind::kTicket, 1, {"audit:9"}});
  p.activity.push_back({2, 101, Kind::kFullAgentWork, 2, {"event:3", "event:4"}});
  ASSERT_TRUE(store_->ApplyPage("default", p, 10).ok());
  auto users = store_->ListUsers("default", UserFilter{}, 99, 101);
  ASSERT_TRUE(users.ok()) << users.status().ToString();
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].active_days, 0) << "an assignment by someone else is not the assignee's activity";
  EXPECT_FALSE((*users)[0].last_active_day.has_value());
  EXPECT_EQ((*users)[1].active_days, 1);
  auto usage = store_->Usage("default", 99, 101, std::nullopt);
  ASSERT_TRUE(usage.ok());
  ASSERT_EQ(usage->size(), 1u);
  EXPECT_EQ((*usage)[0].user_id, 2);
  EXPECT_EQ((*usage)[0].sources, std::set<std::string>{"ticket"});
  auto summary = store_->Summary("default", 100, 101);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ((*summary)[0].active_users, 1);
  EXPECT_EQ((*summary)[1].active_users, 0);
  auto rows = store_->ActivityOfKind("default", Kind::kFullAgentWork, 99, 101);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].user_id, 1);
  EXPECT_EQ((*rows)[0].evidence, std::vector<std::string>{"assigned:7"});
  EXPECT_EQ((*rows)[2].user_id, 2);
  EXPECT_EQ((*rows)[2].day, 101);
  EXPECT_EQ((*rows)[2].count, 2);
  EXPECT_EQ((*rows)[2].evidence, (std::vector<std::string>{"event:3", "event:4"}));
  EXPECT_EQ(store_->ActivityOfKind("default", Kind::kFullAgentWork, 101, 101)->size(), 1u);
}

// API use (a staff member's last_login_at move the audit log does not
// confirm) is evidence kept apart: never an active day, a usage row or an
// active user in the summary; a staff member with only API use is a probable
// integration. A sign-in on the same day makes the day active as usual.
TEST_P(Conformance, ApiUseIsEvidenceButNeverAnActiveDay) {
  Page p;
  p.users = {User(1, "agent", true), User(2, "agent", true)};
  p.once.push_back({"login:1:100", {1, 100, Kind::kApiUse, 1, {"last_login_at:a"}}});
  p.once.push_back({"login:1:101", {1, 101, Kind::kApiUse, 1, {"last_login_at:b"}}});
  p.once.push_back({"login:2:101", {2, 101, Kind::kApiUse, 1, {"last_login_at:c"}}});
  ASSERT_TRUE(store_->ApplyPage("default", p, 10).ok());
  auto users = store_->ListUsers("default", UserFilter{}, 99, 101);
  ASSERT_TRUE(users.ok()) << users.status().ToString();
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].active_days, 0);
  EXPECT_EQ((*users)[0].api_use_days, 2);
  EXPECT_FALSE((*users)[0].last_active_day.has_value());
  EXPECT_TRUE(ProbableIntegration((*users)[0]));
  EXPECT_EQ(UserJson((*users)[0])["probable_integration"], true);
  auto usage = store_->Usage("default", 99, 101, std::nullopt);
  ASSERT_TRUE(usage.ok());
  EXPECT_TRUE(usage->empty()) << "API use alone is not an active day";
  auto summary = store_->Summary("default", 99, 101);
  ASSERT_TRUE(summary.ok());
  for (const auto& d : *summary) {
    EXPECT_EQ(d.active_users, 0) << d.day;
    EXPECT_EQ(d.idle_paid_seats, 2) << d.day;
  }
  UserFilter inactive;
  inactive.inactive_days = 3;
  EXPECT_EQ(store_->ListUsers("default", inactive, 99, 101)->size(), 2u);

  Page q;  // user 2 signs in on day 101 (audit log)
  q.once.push_back({"audit:9", {2, 101, Kind::kLoginAudit, 1, {"audit_log:9"}}});
  ASSERT_TRUE(store_->ApplyPage("default", q, 20).ok());
  users = store_->ListUsers("default", UserFilter{}, 99, 101);
  ASSERT_TRUE(users.ok());
  EXPECT_EQ((*users)[1].active_days, 1);
  EXPECT_FALSE(ProbableIntegration((*users)[1]));
  usage = store_->Usage("default", 99, 101, std::nullopt);
  ASSERT_EQ(usage->size(), 1u);
  EXPECT_EQ((*usage)[0].user_id, 2);
  EXPECT_EQ((*usage)[0].sources, std::set<std::string>{"login"});
  EXPECT_EQ((*usage)[0].api_use, 1);
  EXPECT_EQ(UsageJson((*usage)[0])["login_label"], "sign-in");
  summary = store_->Summary("default", 101, 101);
  EXPECT_EQ((*summary)[0].active_users, 1);
  EXPECT_EQ((*summary)[0].idle_paid_seats, 1);
  ExpectSameSummary(*summary, RecomputedSummary(*store_, "default", 101, 101));
}

// A page with hundreds of users on one day (a sync batch of a large account):
// users already active that day from an earlier page are not counted again,
// new ones are, in their own license bucket, however the page mixes them.
TEST_P(Conformance, ABigSameDayPageCountsOnlyUsersNewToTheDay) {
  Page users;
  for (int64_t id = 1; id <= 600; ++id)
    users.users.push_back(id % 3 == 0 ? User(id, "light-agent", false) : User(id, "agent", true));
  users.run_id = "run-1";
  ASSERT_TRUE(store_->ApplyPage("default", users, 10).ok());
  Page early;  // users 1..200 active on day 100 (ticket), 150..250 on day 101
  for (int64_t id = 1; id <= 200; ++id) early.activity.push_back({id, 100, Kind::kTicket, 1, {}});
  for (int64_t id = 150; id <= 250; ++id) early.activity.push_back({id, 101, Kind::kTicket, 1, {}});
  ASSERT_TRUE(store_->ApplyPage("default", early, 20).ok());
  Page big;  // day 100: 101..600, some with a second kind; day 101: 1 user
  for (int64_t id = 101; id <= 600; ++id) {
    big.activity.push_back({id, 100, Kind::kTicket, 2, {"e" + std::to_string(id)}});
    if (id % 5 == 0) big.activity.push_back({id, 100, Kind::kLoginAudit, 1, {}});
  }
  big.activity.push_back({300, 101, Kind::kTicket, 1, {}});
  ASSERT_TRUE(store_->ApplyPage("default", big, 30).ok());
  auto got = store_->Summary("default", 99, 102);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ExpectSameSummary(*got, RecomputedSummary(*store_, "default", 99, 102));
  auto day = store_->Summary("default", 100, 100);
  ASSERT_TRUE(day.ok());
  EXPECT_EQ((*day)[0].active_users, 600);
  EXPECT_EQ((*day)[0].by_license, (std::map<std::string, int>{{"agent", 400}, {"light-agent", 200}}));
  auto next = store_->Summary("default", 101, 101);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ((*next)[0].active_users, 102);
  auto usage = store_->Usage("default", 100, 100, std::nullopt);
  ASSERT_TRUE(usage.ok());
  int64_t tickets = 0;
  for (const auto& row : *usage)
    if (row.counts.count("ticket")) tickets += row.counts.at("ticket");
  EXPECT_EQ(tickets, 200 + 2 * 500);
}

TEST_P(Conformance, SummaryEqualsRecomputationAfterPagesUserChangesAndOnceKeys) {
  auto check = [&](const char* when) {
    SCOPED_TRACE(when);
    auto got = store_->Summary("default", 98, 106);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ExpectSameSummary(*got, RecomputedSummary(*store_, "default", 98, 106));
  };
  // Activity first, for users the inventory does not know yet.
  Page p1;
  p1.activity = {{1, 100, Kind::kTicket, 2, {"e1", "e2"}},
                 {2, 100, Kind::kTicket, 1, {"e3"}},
                 {1, 100, Kind::kTicket, 1, {"e4"}},
                 {4, 101, Kind::kTicket, 1, {}},
                 {1, 101, Kind::kLoginAudit, 1, {"a1"}}};
  ASSERT_TRUE(store_->ApplyPage("default", p1, 10).ok());
  check("activity before users");
  // The users arrive; activity of the same days and new days; the same key twice.
  Page p2;
  p2.users = {User(1, "agent", true), User(2, "agent", true), User(3, "end-user", false),
              User(4, "light-agent", false)};
  p2.run_id = "run-1";
  p2.activity = {
      {1, 100, Kind::kArticle, 1, {}}, {3, 102, Kind::kTicket, 1, {"e5"}}, {2, 103, Kind::kTicket, 1, {}}};
  p2.once = {{"deleted:77", {3, 102, Kind::kTicket, 1, {"d77"}}},
             {"login:2:1", {2, 104, Kind::kLoginObserved, 1, {"obs"}}},
             {"deleted:77", {3, 105, Kind::kTicket, 1, {"d77"}}}};
  ASSERT_TRUE(store_->ApplyPage("default", p2, 20).ok());
  check("users and once keys");
  // Re-sent once keys count nothing; a second page on known days.
  Page p3;
  p3.once = {{"deleted:77", {3, 106, Kind::kTicket, 1, {"d77"}}},
             {"article:9", {4, 106, Kind::kArticle, 1, {"9"}}}};
  p3.activity = {{2, 100, Kind::kLoginAudit, 1, {}}, {1, 106, Kind::kTicket, 3, {"e6"}}};
  ASSERT_TRUE(store_->ApplyPage("default", p3, 30).ok());
  check("repeated once keys");
  auto usage = store_->Usage("default", 105, 105, std::nullopt);
  ASSERT_TRUE(usage.ok());
  EXPECT_TRUE(usage->empty()) << "a once key counts only the first time";
  // License and seat changes move a user's days between buckets.
  Page p4;
  auto downgraded = User(1, "end-user", false);
  auto upgraded = User(3, "agent", true);
  p4.users = {downgraded, upgraded};
  p4.run_id = "run-2";
  ASSERT_TRUE(store_->ApplyPage("default", p4, 40).ok());
  check("license and seat changes");
  // User 2 (still a paid agent) vanished from the export: permanently deleted, seat freed.
  auto marked = store_->MarkUnseenUsersDeleted("default", "run-2", 50);
  ASSERT_TRUE(marked.ok());
  EXPECT_EQ(*marked, 2);  // users 2 and 4
  check("vanished users");
  // And the data survives a reopen.
  Reopen();
  check("reopened");
  auto days = store_->Summary("default", 100, 100);
  ASSERT_TRUE(days.ok());
  EXPECT_EQ((*days)[0].active_users, 2);
  EXPECT_EQ((*days)[0].by_license, (std::map<std::string, int>{{"agent", 1}, {"end-user", 1}}));
  EXPECT_EQ((*days)[0].paid_seats, 1);
  EXPECT_EQ((*days)[0].idle_paid_seats, 1);
}

TEST_P(Conformance, PageActivitySumsCountsAndKeepsFirstEvidence) {
  Page p;
  p.users = {User(1, "agent", true)};
  p.activity = {{1, 100, Kind::kTicket, 2, {"1", "2", "3"}}, {1, 100, Kind::kTicket, 1, {"4", "5", "6"}}};
  ASSERT_TRUE(store_->ApplyPage("default", p, 10).ok());
  Page q;
  q.activity = {{1, 100, Kind::kTicket, 4, {"7"}}};
  ASSERT_TRUE(store_->ApplyPage("default", q, 20).ok());
  auto usage = store_->Usage("default", 100, 100, 1);
  ASSERT_TRUE(usage.ok());
  ASSERT_EQ(usage->size(), 1u);
  EXPECT_EQ((*usage)[0].counts.at("ticket"), 7);
  EXPECT_EQ((*usage)[0].evidence.at("ticket"), (std::vector<std::string>{"1", "2", "3", "4", "5"}));
}

// A batch of pages applied as one page (a sync's ticket activity does, a day
// of export pages at a time) stores what its pages applied one by one do: a
// once-only delta's evidence goes where its own page ended among its row's
// ids (Page::Once::at), not after the whole batch's; an already seen key adds
// nothing, wherever it sits.
TEST_P(Conformance, OnceDeltasKeepTheirPlaceAmongABatchsIds) {
  auto deletion = [](int64_t ticket, DayNumber day, size_t at = Page::Once::kAfterActivity) {
    const std::string key = "deleted:" + std::to_string(ticket);
    return Page::Once{key, {1, day, Kind::kTicket, 1, {key}}, at};
  };
  for (const std::string account : {"by_page", "batched"}) {
    Page seen;  // deleted:8 was counted before, on another day
    seen.users = {User(1, "agent", true)};
    seen.once = {deletion(8, 90)};
    ASSERT_TRUE(store_->ApplyPage(account, seen, 10).ok());
  }
  // One page at a time: e1 e2 | deleted:8 (seen) | e3 deleted:7 deleted:9 | e4 e5 e6 | deleted:10.
  std::vector<Page> pages(4);
  pages[0].activity = {{1, 100, Kind::kTicket, 2, {"e1", "e2"}}};
  pages[1].once = {deletion(8, 100)};
  pages[2].activity = {{1, 100, Kind::kTicket, 1, {"e3"}}};
  pages[2].once = {deletion(7, 100), deletion(9, 100)};
  pages[3].activity = {{1, 100, Kind::kTicket, 3, {"e4", "e5", "e6"}}};
  pages[3].once = {deletion(10, 101)};  // a row with no other activity
  for (const auto& p : pages) ASSERT_TRUE(store_->ApplyPage("by_page", p, 20).ok());
  // The same as one page; the once-only deltas listed out of order.
  Page batch;
  batch.activity = {{1, 100, Kind::kTicket, 6, {"e1", "e2", "e3", "e4", "e5", "e6"}}};
  batch.once = {deletion(10, 101, 0), deletion(7, 100, 3), deletion(8, 100, 2), deletion(9, 100, 3)};
  ASSERT_TRUE(store_->ApplyPage("batched", batch, 20).ok());

  auto by_page = store_->Usage("by_page", 100, 101, std::nullopt);
  auto batched = store_->Usage("batched", 100, 101, std::nullopt);
  ASSERT_TRUE(by_page.ok() && batched.ok());
  ASSERT_EQ(by_page->size(), 2u);
  ASSERT_EQ(batched->size(), 2u);
  EXPECT_EQ((*by_page)[0].evidence.at("ticket"),
            (std::vector<std::string>{"e1", "e2", "e3", "deleted:7", "deleted:9"}));
  EXPECT_EQ((*by_page)[0].counts.at("ticket"), 8) << "deleted:8 counts nothing";
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ((*batched)[i].day, (*by_page)[i].day);
    EXPECT_EQ((*batched)[i].counts, (*by_page)[i].counts) << "day " << (*by_page)[i].day;
    EXPECT_EQ((*batched)[i].evidence, (*by_page)[i].evidence) << "day " << (*by_page)[i].day;
  }
  // An `at` past the row's ids puts the delta after them.
  Page late;
  late.activity = {{1, 102, Kind::kTicket, 1, {"e7"}}};
  late.once = {deletion(11, 102, 1), deletion(12, 102, 5)};
  ASSERT_TRUE(store_->ApplyPage("batched", late, 30).ok());
  auto day = store_->Usage("batched", 102, 102, 1);
  ASSERT_TRUE(day.ok());
  ASSERT_EQ(day->size(), 1u);
  EXPECT_EQ((*day)[0].counts.at("ticket"), 3);
  EXPECT_EQ((*day)[0].evidence.at("ticket"), (std::vector<std::string>{"e7", "deleted:11", "deleted:12"}));
}

TEST_P(Conformance, ReadsRunInParallelWithAWriter) {
  Page users;
  for (int i = 1; i <= 50; ++i) users.users.push_back(User(i, "agent", true));
  ASSERT_TRUE(store_->ApplyPage("default", users, 1).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0}, bad{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t)
    readers.emplace_back([&] {
      while (!stop) {
        UserFilter f;
        f.limit = 20;
        auto page = store_->ListUsers("default", f, 90, 120);
        auto summary = store_->Summary("default", 90, 120);
        if (!page.ok() || page->size() != 20u || !summary.ok()) ++bad;
        ++reads;
      }
    });
  while (reads < 4) std::this_thread::yield();
  for (int day = 100; day < 110; ++day) {
    Page p;
    for (int i = 1; i <= 50; ++i) p.activity.push_back({i, day, Kind::kTicket, 1, {}});
    p.checkpoints["events"] = std::to_string(day);
    ASSERT_TRUE(store_->ApplyPage("default", p, day).ok());
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  auto summary = store_->Summary("default", 100, 109);
  ASSERT_TRUE(summary.ok());
  for (const auto& d : *summary) EXPECT_EQ(d.active_users, 50);
  EXPECT_EQ(*store_->GetCheckpoint("default", "events"), std::optional<std::string>("109"));
}

// Reads may be answered from a cache; every commit, by this store object or
// by another one on the same database (another process), must show.
TEST_P(Conformance, ReadsSeeCommitsOfOtherStoreObjects) {
  Connect("default", "https://acme.zendesk.com");
  Page p;
  p.users = {User(1, "agent", true), User(2, "agent", true)};
  p.activity = {{1, 100, Kind::kTicket, 1, {}}};
  ASSERT_TRUE(store_->ApplyPage("default", p, 10).ok());
  UserFilter f;
  f.limit = 10;
  auto read = [&] {
    auto users = store_->ListUsers("default", f, 91, 120);
    auto summary = store_->Summary("default", 100, 101);
    auto conn = store_->GetConnection("default");
    EXPECT_TRUE(users.ok() && summary.ok() && conn.ok());
    return std::make_tuple(users->size(), users->front().active_days, (*summary)[1].active_users,
                           (*conn)->state);
  };
  for (int i = 0; i < 3; ++i) EXPECT_EQ(read(), std::make_tuple(size_t{2}, 1, 0, std::string("connected")));

  auto other = OpenTestStore();
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  Page q;
  q.users = {User(3, "agent", true)};
  q.activity = {{1, 101, Kind::kTicket, 1, {}}};
  ASSERT_TRUE((*other)->ApplyPage("default", q, 20).ok());
  ASSERT_TRUE((*other)->SetState("default", "synced", "").ok());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(read(), std::make_tuple(size_t{3}, 2, 1, std::string("synced")));
  ASSERT_TRUE(store_->SetState("default", "error", "x").ok());
  EXPECT_EQ(std::get<3>(read()), "error");
}

TEST_P(Conformance, OwnWritesAuditAndValues) {
  ASSERT_TRUE(store_->RecordOwnWrites("default", {5, 6}, 100, 200).ok());
  ASSERT_TRUE(store_->RecordOwnWrites("default", {5}, 300, 400).ok());
  ASSERT_TRUE(store_->RecordOwnWrites("other", {9}, 1, 2).ok());
  auto w = store_->OwnWrites("default");
  ASSERT_TRUE(w.ok());
  ASSERT_EQ(w->size(), 2u);
  EXPECT_EQ(w->at(5), (std::vector<std::pair<UnixTime, UnixTime>>{{100, 200}, {300, 400}}));
  EXPECT_EQ(w->at(6).size(), 1u);

  AuditEntry e = testing::TestAudit("default", "user.set_role", R"({"role":"agent"})", "null", "started",
                                    "42", "cli:root");
  auto id = store_->AppendAudit(e);
  ASSERT_TRUE(id.ok());
  e.account = "other";
  auto id2 = store_->AppendAudit(e);
  ASSERT_TRUE(id2.ok());
  EXPECT_GT(*id2, *id);
  ASSERT_TRUE(store_->UpdateAudit(*id, "ok", R"({"role":"end-user"})", "done").ok());
  auto list = store_->ListAudit("default");
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].result, "ok");
  EXPECT_EQ((*list)[0].detail, "done");
  EXPECT_GT((*list)[0].at, 0);
  EXPECT_EQ(AuditJson((*list)[0])["before"]["role"], "agent");
  EXPECT_EQ(AuditJson((*list)[0])["after"]["role"], "end-user");

  EXPECT_FALSE(store_->GetValue("default", "plan:1")->has_value());
  ASSERT_TRUE(store_->PutValue("default", "plan:1", "a").ok());
  ASSERT_TRUE(store_->PutValue("default", "plan:1", "b").ok());
  EXPECT_EQ(*store_->GetValue("default", "plan:1").value(), "b");
  EXPECT_FALSE(store_->GetValue("other", "plan:1")->has_value());
}

TEST_P(Conformance, ValuesAreTakenOnceAndListedByPrefix) {
  ASSERT_TRUE(store_->PutValue("_server", "session:b", "2").ok());
  ASSERT_TRUE(store_->PutValue("_server", "session:a", "1").ok());
  ASSERT_TRUE(store_->PutValue("_server", "sessions", "x").ok());
  ASSERT_TRUE(store_->PutValue("_server", "oauth_state:a", "s").ok());
  ASSERT_TRUE(store_->PutValue("other", "session:c", "3").ok());
  auto listed = store_->ListValues("_server", "session:");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0], std::make_pair(std::string("session:a"), std::string("1")));
  EXPECT_EQ((*listed)[1], std::make_pair(std::string("session:b"), std::string("2")));
  // A prefix with LIKE's wildcards matches only itself.
  EXPECT_TRUE(store_->ListValues("_server", "session_")->empty());

  auto taken = store_->TakeValue("_server", "oauth_state:a");
  ASSERT_TRUE(taken.ok()) << taken.status().ToString();
  EXPECT_EQ(taken->value_or("-"), "s");
  // Gone: a second take finds nothing, and so does a read.
  EXPECT_FALSE(store_->TakeValue("_server", "oauth_state:a")->has_value());
  EXPECT_FALSE(store_->GetValue("_server", "oauth_state:a")->has_value());
  EXPECT_FALSE(store_->TakeValue("_server", "missing")->has_value());
  EXPECT_EQ(store_->ListValues("_server", "")->size(), 3u);
}

TEST_P(Conformance, AccountsAreIsolated) {
  Connect("one", "https://one.zendesk.com");
  Connect("two", "https://two.zendesk.com");
  Page p;
  p.users = {User(1, "agent", true)};
  p.activity.push_back({1, 100, Kind::kTicket, 2, {}});
  p.once.push_back({"article:9", {1, 100, Kind::kArticle, 1, {}}});
  ASSERT_TRUE(store_->ApplyPage("one", p, 1).ok());
  // The same once key in another account still counts there.
  ASSERT_TRUE(store_->ApplyPage("two", p, 1).ok());
  EXPECT_EQ((*store_->Usage("two", 100, 100, std::nullopt))[0].counts.at("article"), 1);
  Page q;
  q.run_id = "r";
  ASSERT_TRUE(store_->ApplyPage("two", q, 2).ok());
  EXPECT_EQ(*store_->MarkUnseenUsersDeleted("two", "r", 2), 1);
  EXPECT_FALSE((*store_->GetUser("one", 1))->deleted) << "marking in two never touches one";
  EXPECT_EQ((*store_->GetConnection("one"))->secret, "token-one");
  EXPECT_EQ((*store_->GetConnection("two"))->secret, "token-two");
  EXPECT_EQ((*store_->Summary("one", 100, 100))[0].paid_seats, 1);
  EXPECT_EQ((*store_->Summary("two", 100, 100))[0].paid_seats, 0);
}

TEST_P(Conformance, ReopeningKeepsDataAndSchema) {
  Page p;
  p.users = {User(1, "agent", true)};
  ASSERT_TRUE(store_->ApplyPage("default", p, 1).ok());
  Reopen();
  EXPECT_TRUE(store_->GetUser("default", 1)->has_value());
  EXPECT_GE(schema::LatestVersion(), 3);
}

// --- the sync queue ---

TEST_P(Conformance, QueueClaimsDueAccountsOnceAndTakesOverExpiredLeases) {
  const UnixTime now = 1800000000;
  Connect("fresh", "https://fresh.zendesk.com");                   // never synced: due
  Connect("recent", "https://recent.zendesk.com", now - 3600);     // synced an hour ago
  Connect("stale", "https://stale.zendesk.com", now - 25 * 3600);  // older than 24 h: due
  Connection off;
  off.account = "off";
  off.url = "https://off.zendesk.com";
  ASSERT_TRUE(store_->PutConnection(off).ok());  // not connected: never due
  auto list = queue_->List(now);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 4u);
  std::map<std::string, bool> due;
  for (const auto& e : *list) due[e.account] = e.due;
  EXPECT_EQ(due, (std::map<std::string, bool>{
                     {"fresh", true}, {"off", false}, {"recent", false}, {"stale", true}}));

  auto a = queue_->Claim("w1", 30, now);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(a->has_value());
  EXPECT_EQ((*a)->account, "fresh") << "never synced first";
  auto b = queue_->Claim("w2", 30, now);
  ASSERT_TRUE(b.ok() && b->has_value());
  EXPECT_EQ((*b)->account, "stale");
  auto none = queue_->Claim("w3", 30, now);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value()) << (*none)->account;
  EXPECT_TRUE(*queue_->Heartbeat(**a, 30));

  // w2 finishes: stale is synced now; w1 "crashes" (its lease runs out).
  Connect("stale", "https://stale.zendesk.com", now);
  ASSERT_TRUE(queue_->Release(**b, true, "ok", 60).ok());
  ASSERT_TRUE(queue_->Heartbeat(**a, 0).ok());  // expires right away
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto c = queue_->Claim("w3", 30, now);
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->account, "fresh") << "an expired lease is taken over";
  EXPECT_GT((*c)->generation, (*a)->generation);
  EXPECT_FALSE(*queue_->Heartbeat(**a, 30)) << "the old holder has lost it";
  ASSERT_TRUE(queue_->Release(**c, false, "error: boom", 3600).ok());
  EXPECT_FALSE(queue_->Claim("w3", 30, now)->has_value()) << "a failed account waits before a retry";

  auto runs = queue_->Runs();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 3u);
  EXPECT_EQ((*runs)[0].account, "fresh");
  EXPECT_FALSE((*runs)[0].finished_ms.has_value());
  EXPECT_EQ((*runs)[1].result, "ok");
  EXPECT_EQ((*runs)[2].result, "error: boom");
  auto after = queue_->List(now);
  ASSERT_TRUE(after.ok());
  for (const auto& e : *after)
    if (e.account == "stale") {
      EXPECT_EQ(e.successes, 1);
    }
}

TEST_P(Conformance, QueueHonoursSyncRequestsAndSharedZendeskUrls) {
  const UnixTime now = 1800000000;
  Connect("a", "https://shared.zendesk.com", now - 60);
  Connect("b", "https://shared.zendesk.com", now - 60);
  EXPECT_FALSE(queue_->Claim("w1", 30, now)->has_value());
  ASSERT_TRUE(queue_->RequestSync("a").ok());
  ASSERT_TRUE(store_->PutValue("b", schema::kSyncRequestedKey, "1").ok());  // what `sync --queue` writes
  auto first = queue_->Claim("w1", 30, now);
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_TRUE((*first)->requested);
  // b is due too, but shares a's Zendesk account (same URL) and so its rate limit.
  EXPECT_FALSE(queue_->Claim("w2", 30, now)->has_value());
  ASSERT_TRUE(queue_->Release(**first, true, "ok", 0).ok());
  auto second = queue_->Claim("w2", 30, now);
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_NE((*second)->account, (*first)->account);
  ASSERT_TRUE(queue_->Release(**second, false, "error", 0).ok());
  // A failed requested sync stays requested.
  EXPECT_EQ(*store_->GetValue((*second)->account, schema::kSyncRequestedKey).value(), "1");
  EXPECT_EQ(*store_->GetValue((*first)->account, schema::kSyncRequestedKey).value(), "0");
}

TEST_P(Conformance, ConcurrentClaimersNeverShareAnAccount) {
  const UnixTime now = 1800000000;
  for (int i = 0; i < 12; ++i)
    Connect("acct" + std::to_string(i), "https://a" + std::to_string(i) + ".zendesk.com");
  std::vector<std::unique_ptr<SyncQueue>> queues;
  for (int i = 0; i < 4; ++i) {
    auto q = OpenQueue();
    ASSERT_TRUE(q.ok());
    queues.push_back(std::move(q).value());
  }
  std::mutex mu;
  std::vector<std::string> claimed;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      for (;;) {
        auto l = queues[static_cast<size_t>(i)]->Claim("w" + std::to_string(i), 30, now);
        if (!l.ok() || !l->has_value()) return;
        std::lock_guard lock(mu);
        claimed.push_back((*l)->account);
      }
    });
  for (auto& t : threads) t.join();
  std::sort(claimed.begin(), claimed.end());
  EXPECT_EQ(claimed.size(), 12u);
  EXPECT_EQ(std::unique(claimed.begin(), claimed.end()), claimed.end()) << "an account was claimed twice";
}

// Idempotency claims: the first claim of a key wins, every later one sees it
// (running, then done with the first answer); keys are per account.
TEST_P(Conformance, ActionClaimsAreTakenOnceAndKeepTheFirstAnswer) {
  ActionClaim c;
  c.key = "k-1";
  c.request = R"({"action":"set-role","user_id":7})";
  c.owner = "web:a:1";
  c.claimed_at = 1800000000;
  auto first = store_->ClaimAction("default", c);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->has_value()) << "the first claim is new";
  ActionClaim other = c;
  other.owner = "web:b:2";
  other.claimed_at = 1800000005;
  auto second = store_->ClaimAction("default", other);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ((*second)->state, "running");
  EXPECT_EQ((*second)->owner, "web:a:1");
  EXPECT_EQ((*second)->request, c.request);
  EXPECT_EQ((*second)->claimed_at, 1800000000);
  EXPECT_FALSE((*second)->finished_at.has_value());
  // The same key on another account is another claim.
  auto elsewhere = store_->ClaimAction("other", other);
  ASSERT_TRUE(elsewhere.ok());
  EXPECT_FALSE(elsewhere->has_value());

  ASSERT_TRUE(store_->FinishActionClaim("default", "k-1", R"({"result":"ok"})", 3, 1800000009).ok());
  Reopen();
  auto third = store_->ClaimAction("default", other);
  ASSERT_TRUE(third.ok());
  ASSERT_TRUE(third->has_value());
  EXPECT_EQ((*third)->state, "done");
  EXPECT_EQ((*third)->outcome, R"({"result":"ok"})");
  EXPECT_EQ((*third)->code, 3);
  EXPECT_EQ((*third)->finished_at, std::optional<UnixTime>(1800000009));
  EXPECT_EQ((*third)->owner, "web:a:1");
}

// Several store instances (as several processes would hold) claiming the
// same keys at once: each key has exactly one winner.
TEST_P(Conformance, ConcurrentActionClaimsHaveOneWinnerPerKey) {
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < 4; ++i) {
    auto s = OpenTestStore();
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    stores.push_back(std::move(s).value());
  }
  std::atomic<int> wins{0}, errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      for (int k = 0; k < 20; ++k) {
        ActionClaim c;
        c.key = "key-" + std::to_string(k);
        c.request = "{}";
        c.owner = "w" + std::to_string(i);
        c.claimed_at = 1800000000 + k;
        auto r = stores[static_cast<size_t>(i)]->ClaimAction("default", c);
        if (!r.ok()) {
          ++errors;
        } else if (!r->has_value()) {
          ++wins;
        }
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(wins.load(), 20) << "every key is won exactly once";
}

// Notifications (src/notify): a key is queued once per channel; the due
// ones come oldest first; a claim is taken once per attempt count; a
// finished attempt keeps its state, error, retry time and sent time; the
// notification secret is sealed beside the connection's and comes back.
TEST_P(Conformance, NotificationsQueueOnceAndAreClaimedOnce) {
  Connection c = testing::TestConnection();
  c.notify_secret = R"({"webhook_url":"https://hooks.example.com/services/secret"})";
  c.notify_json = R"({"link_base":"https://sk.example.com"})";
  ASSERT_TRUE(store_->PutConnection(c).ok());
  auto back = store_->GetConnection("default");
  ASSERT_TRUE(back.ok() && *back);
  EXPECT_EQ((*back)->notify_secret, c.notify_secret);
  EXPECT_EQ(nlohmann::json::parse((*back)->notify_json)["link_base"], "https://sk.example.com");
  auto sealed = store_->ReadSealedSecrets();
  ASSERT_TRUE(sealed.ok());
  ASSERT_EQ(sealed->size(), 1u);
  EXPECT_EQ((*sealed)[0].values[3].find("hooks.example.com"), std::string::npos) << "stored in the clear";

  Notification n{.account = "default",
                 .key = "action:1",
                 .channel = "webhook",
                 .kind = "action.done",
                 .subject = "s",
                 .body = "{}",
                 .next_at = 100,
                 .created_at = 100};
  EXPECT_TRUE(*store_->EnqueueNotification(n));
  EXPECT_FALSE(*store_->EnqueueNotification(n)) << "the same key and channel twice";
  n.channel = "email";
  EXPECT_TRUE(*store_->EnqueueNotification(n));
  n.key = "action:2";
  n.next_at = 200;
  EXPECT_TRUE(*store_->EnqueueNotification(n));
  auto due = store_->ListNotifications("default", UnixTime{150}, 10);
  ASSERT_TRUE(due.ok()) << due.status().ToString();
  ASSERT_EQ(due->size(), 2u);
  EXPECT_LT((*due)[0].id, (*due)[1].id) << "oldest first";
  EXPECT_EQ(store_->ListNotifications("default", std::nullopt, 0)->size(), 3u);
  EXPECT_EQ(store_->ListNotifications("default", std::nullopt, 1)->front().key, "action:2") << "newest first";
  EXPECT_TRUE(store_->ListNotifications("other", std::nullopt, 0)->empty());

  Notification first = (*due)[0];
  EXPECT_TRUE(*store_->ClaimNotification("default", first.id, 0, 400));
  EXPECT_FALSE(*store_->ClaimNotification("default", first.id, 0, 400)) << "claimed twice";
  EXPECT_EQ(store_->ListNotifications("default", UnixTime{150}, 10)->size(), 1u) << "claimed: leased";
  first.attempts = 1;
  first.state = "sent";
  first.sent_at = 160;
  ASSERT_TRUE(store_->FinishNotification(first).ok());
  Notification second = (*due)[1];
  ASSERT_TRUE(*store_->ClaimNotification("default", second.id, 0, 400));
  second.attempts = 1;
  second.last_error = "the webhook answered HTTP 503";
  second.next_at = 220;
  ASSERT_TRUE(store_->FinishNotification(second).ok());
  const auto all = store_->ListNotifications("default", std::nullopt, 0);
  ASSERT_TRUE(all.ok());
  for (const auto& r : *all) {
    if (r.id == first.id) {
      EXPECT_EQ(r.state, "sent");
      EXPECT_EQ(r.sent_at, 160);
      EXPECT_EQ(r.attempts, 1);
    }
    if (r.id == second.id) {
      EXPECT_EQ(r.state, "pending");
      EXPECT_EQ(r.next_at, 220);
      EXPECT_EQ(r.last_error, "the webhook answered HTTP 503");
      EXPECT_FALSE(r.sent_at.has_value());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, Conformance, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sk::store
