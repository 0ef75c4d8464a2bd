#include "server/sync_runner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "server/admin_auth.h"
#include "store/store.h"

namespace sk::server {
namespace {

TEST(DailyTimeTest, ParsesHoursAndMinutes) {
  auto t = ParseDailyTime("03:00");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->hour, 3);
  EXPECT_EQ(t->minute, 0);
  EXPECT_EQ(ParseDailyTime("23:59")->minute, 59);
  for (const char* bad : {"24:00", "3:00", "03:60", "0300", "ab:cd", "", "03:00 "})
    EXPECT_FALSE(ParseDailyTime(bad)) << bad;
}

TEST(DailyTimeTest, NextRunIsTheNextLocalTimeInTheZone) {
  const UnixTime t = *ParseIso("2026-11-23T10:00:00Z");
  EXPECT_EQ(FormatIso(NextDailyRun(Zone::Utc(), {3, 0}, t)), "2026-11-24T03:00:00Z");
  EXPECT_EQ(FormatIso(NextDailyRun(Zone::Utc(), {11, 30}, t)), "2026-11-23T11:30:00Z");
  // Exactly at the time: the next day's.
  EXPECT_EQ(FormatIso(NextDailyRun(Zone::Utc(), {10, 0}, t)), "2026-11-24T10:00:00Z");
  // 03:00 in Berlin (UTC+1 in November) is 02:00Z.
  auto berlin = Zone::Named("Europe/Berlin");
  ASSERT_TRUE(berlin.ok());
  EXPECT_EQ(FormatIso(NextDailyRun(*berlin, {3, 0}, t)), "2026-11-24T02:00:00Z");
  // 00:30 Berlin on the 23rd was 23:30Z on the 22nd: already past at 10:00Z.
  EXPECT_EQ(FormatIso(NextDailyRun(*berlin, {0, 30}, t)), "2026-11-23T23:30:00Z");
}

TEST(LoginThrottleTest, CountsEveryAttemptPerAddressUnderAGlobalCeiling) {
  LoginThrottle throttle(/*per_address=*/3, /*total=*/5, /*window_seconds=*/60);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(throttle.Begin("10.0.0.1"));
  EXPECT_FALSE(throttle.Begin("10.0.0.1"));  // counted before any check
  EXPECT_TRUE(throttle.Begin("10.0.0.2"));   // another address still gets in
  throttle.Succeeded("10.0.0.1");
  EXPECT_TRUE(throttle.Begin("10.0.0.1"));
  EXPECT_TRUE(throttle.Begin("10.0.0.3"));
  EXPECT_TRUE(throttle.Begin("10.0.0.3"));
  EXPECT_TRUE(throttle.Begin("10.0.0.3"));
  EXPECT_FALSE(throttle.Begin("10.0.0.4"));  // the ceiling over all addresses
  LoginThrottle zero_window(1, 1, 0);
  EXPECT_TRUE(zero_window.Begin("a"));
  EXPECT_TRUE(zero_window.Begin("a"));
}

class SessionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("sk-sessions-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto st = store::OpenSqlite((dir_ / "seatkeeper.db").string(), dir_.string());
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    store_ = std::move(*st);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(SessionStoreTest, PendingConnectStatesAreSingleUseAndPerSession) {
  SessionStore sessions(store_.get());
  Session a = *sessions.Create();
  Session b = *sessions.Create();
  EXPECT_NE(a.id, b.id);
  EXPECT_NE(a.csrf_token, b.csrf_token);
  EXPECT_EQ(a.id.size(), 64u);
  PendingConnect p;
  p.url = "https://acme.zendesk.com";
  ASSERT_TRUE(sessions.AddPending(a.id, "s1", p).ok());
  EXPECT_FALSE(sessions.TakePending(b.id, "s1"));
  EXPECT_TRUE(sessions.TakePending(a.id, "s1"));
  EXPECT_FALSE(sessions.TakePending(a.id, "s1"));
  sessions.Destroy(a.id);
  EXPECT_FALSE(sessions.Find(a.id));
  EXPECT_TRUE(sessions.Find(b.id));
}

TEST_F(SessionStoreTest, IdleSessionsExpire) {
  SessionStore sessions(store_.get(), /*idle_seconds=*/-1, /*absolute_seconds=*/3600);
  Session s = *sessions.Create();
  EXPECT_FALSE(sessions.Find(s.id));
}

// Issue 16: an ended session leaves no row behind (not a blanked one).
TEST_F(SessionStoreTest, EndedSessionsAreDeletedFromTheStore) {
  auto row = [&](const Session& s) {
    return store_->GetValue(kAdminAccount, SessionStore::KeyOf(s.id)).value();
  };
  SessionStore sessions(store_.get());
  Session out = *sessions.Create();
  ASSERT_TRUE(row(out).has_value());
  sessions.Destroy(out.id);  // logout
  EXPECT_FALSE(row(out).has_value());

  SessionStore lapsing(store_.get(), /*idle_seconds=*/-1, /*absolute_seconds=*/3600, /*cache_seconds=*/0);
  Session expired = *lapsing.Create();
  ASSERT_TRUE(row(expired).has_value());
  EXPECT_FALSE(lapsing.Find(expired.id));  // found expired: deleted
  EXPECT_FALSE(row(expired).has_value());
  // Expired sessions nobody presents again go with the next login.
  Session never_seen = *lapsing.Create();
  ASSERT_TRUE(row(never_seen).has_value());
  Session later = *lapsing.Create();
  EXPECT_FALSE(row(never_seen).has_value());
  ASSERT_TRUE(row(later).has_value());
  EXPECT_EQ(*lapsing.Prune(), 1u);  // `later` itself
  EXPECT_FALSE(row(later).has_value());
  Session next = *sessions.Create();

  // A password change deletes every session row.
  Session other = *sessions.Create();
  ASSERT_TRUE(SetAdminPassword(*store_, "a new password 123").ok());
  EXPECT_FALSE(row(next).has_value());
  EXPECT_FALSE(row(other).has_value());
  EXPECT_TRUE(store_->ListValues(kAdminAccount, "session:")->empty());
}

// Issue 16: connect attempts live in the store, sealed, single use across
// every SessionStore (server) on it.
TEST_F(SessionStoreTest, PendingConnectsAreSharedSealedAndSingleUse) {
  SessionStore a(store_.get()), b(store_.get());
  Session s = *a.Create();
  PendingConnect p;
  p.account = "acme";
  p.url = "https://acme.zendesk.com";
  p.permission = "read";
  p.client_id = "seatkeeper";
  p.client_secret = "client-secret-value";
  p.code_verifier = "verifier-value-0123456789";
  p.redirect_uri = "http://127.0.0.1:1/oauth/callback";
  ASSERT_TRUE(a.AddPending(s.id, "state-1", p).ok());
  auto rows = store_->ListValues(kAdminAccount, "oauth_state:");
  ASSERT_EQ(rows->size(), 1u);
  // Neither the state nor the secrets are readable from the store.
  for (const char* secret : {"state-1", "client-secret-value", "verifier-value", "acme.zendesk"})
    EXPECT_EQ((*rows)[0].first.find(secret) + (*rows)[0].second.find(secret), 2 * std::string::npos)
        << secret;
  // The other server finishes it, once.
  auto got = b.TakePending(s.id, "state-1");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->client_secret, "client-secret-value");
  EXPECT_EQ(got->code_verifier, "verifier-value-0123456789");
  EXPECT_EQ(got->account, "acme");
  EXPECT_EQ(got->redirect_uri, p.redirect_uri);
  EXPECT_FALSE(a.TakePending(s.id, "state-1"));
  EXPECT_TRUE(store_->ListValues(kAdminAccount, "oauth_state:")->empty());
  // At most five attempts per session: the oldest goes.
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(a.AddPending(s.id, "s" + std::to_string(i), p).ok());
  EXPECT_EQ(store_->ListValues(kAdminAccount, "oauth_state:")->size(), 5u);
}

TEST_F(SessionStoreTest, SessionsLiveInTheStoreHashedAndEndWithAPasswordChange) {
  Session s = *SessionStore(store_.get()).Create();
  // Another SessionStore on the same store (a second server, or this one
  // restarted) finds it.
  SessionStore other(store_.get());
  auto found = other.Find(s.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->csrf_token, s.csrf_token);
  // The store keeps a hash of the id, never the id itself.
  EXPECT_FALSE(store_->GetValue(kAdminAccount, "session:" + s.id)->has_value());
  ASSERT_TRUE(SetAdminPassword(*store_, "a new password 123").ok());
  EXPECT_FALSE(other.Find(s.id));
  Session t = *other.Create();
  EXPECT_TRUE(SessionStore(store_.get()).Find(t.id));
  other.Destroy(t.id);
  EXPECT_FALSE(SessionStore(store_.get()).Find(t.id));
}

}  // namespace
}  // namespace sk::server
