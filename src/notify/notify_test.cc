// Notifications: settings validation and display, the queue's once-per-key
// rule, retries with backoff and giving up, the events read back from the
// store, and the real channels against local servers (a webhook over HTTP
// on 127.0.0.1 and a minimal SMTP relay), with no secret in what is sent.
#include "notify/notify.h"

#include <gtest/gtest.h>

#include "notify/notify_testing.h"
#include "store/store_testing.h"

namespace sk::notify {
namespace {

using nlohmann::json;
using store::testing::ScratchHome;

constexpr UnixTime kNow = 1795186800;  // 2026-11-20T15:00:00Z, a Friday

Settings Hook(const std::string& url = "https://hooks.example.com/services/T0/B0/s3cr3tpath") {
  Settings s;
  s.webhook_url = url;
  return s;
}

TEST(NotifySettings, ValidationRefusesWhatWouldLeakOrNeverArrive) {
  EXPECT_TRUE(Validate(Hook()).ok());
  EXPECT_TRUE(Validate(Hook("http://127.0.0.1:8080/hook")).ok());
  EXPECT_FALSE(Validate(Hook("http://hooks.example.com/x")).ok()) << "plain http to another host";
  EXPECT_FALSE(Validate(Hook("https://user:pw@hooks.example.com/x")).ok());
  EXPECT_FALSE(Validate(Hook("hooks.example.com/x")).ok());
  Settings e;
  e.smtp_url = "smtp://mail.example.com:587";
  e.smtp_from = "seatkeeper@example.com";
  e.smtp_to = {"it@example.com", "ops@example.com"};
  EXPECT_TRUE(Validate(e).ok());
  e.smtp_plain = true;
  EXPECT_FALSE(Validate(e).ok()) << "plain SMTP off the machine";
  e.smtp_url = "smtp://127.0.0.1:2525";
  EXPECT_TRUE(Validate(e).ok());
  e.smtp_to = {"it@example.com\r\nBcc: all@example.com"};
  EXPECT_FALSE(Validate(e).ok()) << "a header injected through a recipient";
  e.smtp_to = {};
  EXPECT_FALSE(Validate(e).ok()) << "no recipient";
  e.smtp_to = {"it@example.com"};
  e.smtp_url = "http://127.0.0.1:2525";
  EXPECT_FALSE(Validate(e).ok());
}

TEST(NotifySettings, ShownWithoutTheWebhookPathOrThePassword) {
  Settings s = Hook();
  s.smtp_url = "smtps://mail.example.com";
  s.smtp_from = "a@example.com";
  s.smtp_to = {"b@example.com"};
  s.smtp_user = "mailer";
  s.smtp_password = "hunter2-smtp-password";
  const std::string shown = SettingsJson(s).dump();
  EXPECT_EQ(shown.find("s3cr3tpath"), std::string::npos) << shown;
  EXPECT_EQ(shown.find("hunter2"), std::string::npos) << shown;
  EXPECT_NE(shown.find("hooks.example.com"), std::string::npos) << shown;
  EXPECT_NE(shown.find("\"password_set\":true"), std::string::npos) << shown;
  // Round trip through the connection: the secrets go to the sealed field only.
  store::Connection c;
  SaveSettings(s, &c);
  EXPECT_EQ(c.notify_json.find("s3cr3tpath"), std::string::npos);
  EXPECT_EQ(c.notify_json.find("hunter2"), std::string::npos);
  auto back = LoadSettings(c);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->webhook_url, s.webhook_url);
  EXPECT_EQ(back->smtp_password, s.smtp_password);
  EXPECT_EQ(back->smtp_to, s.smtp_to);
}

TEST(NotifyBackoff, DoublesFromAMinuteUpToSixHours) {
  EXPECT_EQ(Backoff(1), 60);
  EXPECT_EQ(Backoff(2), 120);
  EXPECT_EQ(Backoff(3), 240);
  EXPECT_EQ(Backoff(9), 256 * 60);
  EXPECT_EQ(Backoff(10), 360 * 60);
  EXPECT_EQ(Backoff(40), 360 * 60);
}

// Senders that record what they were given and fail as told.
class FakeSenders final : public Senders {
 public:
  std::vector<Status> answers;  // consumed in order; then ok
  std::vector<std::string> webhook_bodies, email_subjects;
  Status Webhook(const Settings&, const std::string& body) override {
    webhook_bodies.push_back(body);
    return Next();
  }
  Status Email(const Settings&, const std::string& subject, const std::string&) override {
    email_subjects.push_back(subject);
    return Next();
  }

 private:
  Status Next() {
    if (answers.empty()) return Status::Ok();
    Status s = answers.front();
    answers.erase(answers.begin());
    return s;
  }
};

class NotifyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto st = home_.OpenStore();
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    store_ = std::move(*st);
    conn_ = store::testing::TestConnection();
    conn_.secret = "zendesk-access-token-must-not-leak";
    settings_ = Hook();
    SaveSettings(settings_, &conn_);
    ASSERT_TRUE(store_->PutConnection(conn_).ok());
  }
  Message Test(const std::string& key) {
    return Message{.key = key, .kind = "test", .subject = "s", .text = "t"};
  }
  std::vector<store::Notification> All() { return *store_->ListNotifications("default", std::nullopt, 0); }

  ScratchHome home_{"notify"};
  std::unique_ptr<store::Store> store_;
  store::Connection conn_;
  Settings settings_;
};

TEST_F(NotifyStoreTest, AKeyIsQueuedOncePerChannel) {
  settings_.smtp_url = "smtp://127.0.0.1:1";
  settings_.smtp_plain = true;
  settings_.smtp_from = "a@example.com";
  settings_.smtp_to = {"b@example.com"};
  EXPECT_EQ(*Enqueue(*store_, conn_, settings_, Test("k1"), kNow), 2);
  EXPECT_EQ(*Enqueue(*store_, conn_, settings_, Test("k1"), kNow + 5), 0);
  EXPECT_EQ(*Enqueue(*store_, conn_, settings_, Test("k2"), kNow), 2);
  EXPECT_EQ(All().size(), 4u);
}

TEST_F(NotifyStoreTest, AFailedDeliveryIsRetriedWithBackoffThenSentOnce) {
  ASSERT_EQ(*Enqueue(*store_, conn_, settings_, Test("k"), kNow), 1);
  FakeSenders senders;
  senders.answers = {Status(Code::kUnavailable, "the webhook answered HTTP 503")};
  Delivery d = *Deliver(*store_, conn_, settings_, kNow, senders);
  EXPECT_EQ(d.sent, 0);
  EXPECT_EQ(d.retrying, 1);
  auto rows = All();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].state, "pending");
  EXPECT_EQ(rows[0].attempts, 1);
  EXPECT_EQ(rows[0].next_at, kNow + 60);
  EXPECT_EQ(rows[0].last_error, "the webhook answered HTTP 503");
  // Not due yet: nothing is sent.
  EXPECT_EQ(Deliver(*store_, conn_, settings_, kNow + 59, senders)->sent, 0);
  EXPECT_EQ(senders.webhook_bodies.size(), 1u);
  // Due: sent, and never again.
  EXPECT_EQ(Deliver(*store_, conn_, settings_, kNow + 60, senders)->sent, 1);
  EXPECT_EQ(Deliver(*store_, conn_, settings_, kNow + 100000, senders)->sent, 0);
  EXPECT_EQ(senders.webhook_bodies.size(), 2u);
  rows = All();
  EXPECT_EQ(rows[0].state, "sent");
  EXPECT_EQ(rows[0].sent_at, kNow + 60);
}

TEST_F(NotifyStoreTest, GivesUpAfterTheLastAttemptOrARefusal) {
  ASSERT_EQ(*Enqueue(*store_, conn_, settings_, Test("retry"), kNow), 1);
  FakeSenders senders;
  for (int i = 0; i < kMaxAttempts; ++i) senders.answers.push_back(Status(Code::kUnavailable, "down"));
  UnixTime t = kNow;
  for (int i = 0; i < kMaxAttempts; ++i) {
    ASSERT_TRUE(Deliver(*store_, conn_, settings_, t, senders).ok());
    t += 7 * 3600;
  }
  EXPECT_EQ(All()[0].state, "failed");
  EXPECT_EQ(All()[0].attempts, kMaxAttempts);
  ASSERT_EQ(*Enqueue(*store_, conn_, settings_, Test("gone"), t), 1);
  senders.answers = {Refused("the webhook answered HTTP 404 (check or replace the webhook URL)")};
  Delivery d = *Deliver(*store_, conn_, settings_, t, senders);
  EXPECT_EQ(d.failed, 1);
  EXPECT_EQ(All()[0].state, "failed");
  EXPECT_EQ(All()[0].attempts, 1);
}

TEST_F(NotifyStoreTest, AClaimIsTakenByOneSenderOnly) {
  ASSERT_EQ(*Enqueue(*store_, conn_, settings_, Test("k"), kNow), 1);
  const auto due = *store_->ListNotifications("default", kNow, 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_TRUE(*store_->ClaimNotification("default", due[0].id, 0, kNow + 300));
  EXPECT_FALSE(*store_->ClaimNotification("default", due[0].id, 0, kNow + 300));
  // Claimed: not due again until its lease ends (a sender that died).
  EXPECT_TRUE(store_->ListNotifications("default", kNow + 299, 10)->empty());
  EXPECT_EQ(store_->ListNotifications("default", kNow + 300, 10)->size(), 1u);
}

TEST_F(NotifyStoreTest, EventsComeFromTheAuditTheSyncErrorAndTheWeek) {
  using store::testing::TestAudit;
  const int64_t ok = *store_->AppendAudit(TestAudit(
      "default", "user.suspend", R"({"name":"Ada\nLovelace","email":"ada@example.com"})", "null", "ok"));
  (void)*store_->AppendAudit(TestAudit("default", "user.delete", "null", "null", "dry-run"));
  const int64_t failed = *store_->AppendAudit(TestAudit("default", "user.delete", "null", "null", "failed"));
  EXPECT_EQ(*CollectEvents(*store_, conn_, settings_, kNow), 2);
  EXPECT_EQ(*CollectEvents(*store_, conn_, settings_, kNow), 0) << "the same actions twice";
  auto rows = All();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].key, "action:" + std::to_string(ok));
  EXPECT_EQ(rows[1].kind, "action.done");
  EXPECT_EQ(rows[0].key, "action:" + std::to_string(failed));
  EXPECT_EQ(rows[0].kind, "action.failed");
  // A name becomes one line; the email stays home.
  EXPECT_NE(rows[1].subject.find("Ada Lovelace"), std::string::npos) << rows[1].subject;
  EXPECT_EQ(rows[1].body.find("ada@example.com"), std::string::npos) << rows[1].body;

  // An action still running holds the mark: its end is still reported.
  const int64_t running = *store_->AppendAudit(TestAudit("default", "offboard", "null", "null", "started"));
  EXPECT_EQ(*CollectEvents(*store_, conn_, settings_, kNow), 0);
  ASSERT_TRUE(store_->UpdateAudit(running, "ok", "null", "").ok());
  EXPECT_EQ(*CollectEvents(*store_, conn_, settings_, kNow), 1);

  // A sync error: once a day per reason.
  store::Connection broken = conn_;
  broken.state = "error";
  broken.error = "Zendesk refused the credentials (401): reconnect";
  EXPECT_EQ(*CollectEvents(*store_, broken, settings_, kNow), 1);
  EXPECT_EQ(*CollectEvents(*store_, broken, settings_, kNow + 3600), 0);
  EXPECT_EQ(*CollectEvents(*store_, broken, settings_, kNow + 86400), 1);
  EXPECT_EQ(All()[0].kind, "sync.failed");

  // The digest: once per ISO week, after a sync.
  store::Connection synced = conn_;
  synced.last_sync_at = kNow;
  EXPECT_EQ(*CollectEvents(*store_, synced, settings_, kNow), 1);
  EXPECT_EQ(All()[0].key, "digest:2026-W47");
  EXPECT_EQ(*CollectEvents(*store_, synced, settings_, kNow + 2 * 86400), 0) << "Sunday: the same week";
  EXPECT_EQ(*CollectEvents(*store_, synced, settings_, kNow + 3 * 86400), 1) << "Monday: a new week";
  EXPECT_EQ(All()[0].key, "digest:2026-W48");
  for (const auto& n : All()) EXPECT_EQ(n.body.find(conn_.secret), std::string::npos) << n.body;
}

// --- the real channels against local servers ---

using testing::LocalSmtp;
using testing::LocalWebhook;

TEST_F(NotifyStoreTest, TheWebhookGetsSlackTextAndRetriesA500) {
  LocalWebhook hook;
  settings_ = Hook(hook.Url());
  ASSERT_TRUE(Validate(settings_).ok());
  hook.FailNext(1);
  auto senders = CurlSenders();
  ASSERT_EQ(*Enqueue(*store_, conn_, settings_, Test("k"), kNow), 1);
  Delivery d = *Deliver(*store_, conn_, settings_, kNow, *senders);
  EXPECT_EQ(d.retrying, 1);
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_NE(d.errors[0].find("HTTP 500"), std::string::npos) << d.errors[0];
  EXPECT_EQ(d.errors[0].find("s3cr3tpath"), std::string::npos) << d.errors[0];
  EXPECT_EQ(Deliver(*store_, conn_, settings_, kNow + 60, *senders)->sent, 1);
  const auto bodies = hook.Bodies();
  ASSERT_EQ(bodies.size(), 2u);
  const json body = json::parse(bodies[1]);
  EXPECT_EQ(body["text"], "s\nt");
  EXPECT_EQ(body["event"], "test");
  EXPECT_EQ(bodies[1].find(conn_.secret), std::string::npos);
}

Settings LocalEmail(const std::string& url) {
  Settings s;
  s.smtp_url = url;
  s.smtp_plain = true;
  s.smtp_from = "seatkeeper@example.com";
  s.smtp_to = {"it@example.com"};
  return s;
}

TEST_F(NotifyStoreTest, EmailReachesTheRelayWithItsSubject) {
  LocalSmtp relay(250);
  settings_ = LocalEmail(relay.Url());
  ASSERT_TRUE(Validate(settings_).ok());
  auto senders = CurlSenders();
  Message m = Test("mail");
  m.subject = "seatkeeper [default]: Zoë's seat";
  m.text = "one\n.leading dot line";
  ASSERT_EQ(*Enqueue(*store_, conn_, settings_, m, kNow), 1);
  Delivery d = *Deliver(*store_, conn_, settings_, kNow, *senders);
  EXPECT_EQ(d.sent, 1) << (d.errors.empty() ? "" : d.errors[0]);
  const auto msgs = relay.Messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_NE(msgs[0].find("Subject: =?UTF-8?B?"), std::string::npos) << msgs[0];
  EXPECT_NE(msgs[0].find("To: it@example.com"), std::string::npos) << msgs[0];
  EXPECT_NE(msgs[0].find("\n..leading dot line"), std::string::npos) << "dot-stuffed: " << msgs[0];
}

TEST_F(NotifyStoreTest, ARelayThatSaysTryLaterIsRetriedAndOneThatRefusesIsNot) {
  auto senders = CurlSenders();
  {
    LocalSmtp relay(451);
    settings_ = LocalEmail(relay.Url());
    ASSERT_EQ(*Enqueue(*store_, conn_, settings_, Test("later"), kNow), 1);
    Delivery d = *Deliver(*store_, conn_, settings_, kNow, *senders);
    EXPECT_EQ(d.retrying, 1) << (d.errors.empty() ? "" : d.errors[0]);
  }
  {
    LocalSmtp relay(554);
    settings_ = LocalEmail(relay.Url());
    ASSERT_EQ(*Enqueue(*store_, conn_, settings_, Test("never"), kNow), 1);
    Delivery d = *Deliver(*store_, conn_, settings_, kNow, *senders);
    EXPECT_EQ(d.failed, 1) << (d.errors.empty() ? "" : d.errors[0]);
  }
}

TEST_F(NotifyStoreTest, SmtpWithoutStartTlsIsRefusedUnlessPlainWasChosen) {
  LocalSmtp relay(250);
  settings_ = LocalEmail(relay.Url());
  settings_.smtp_plain = false;  // STARTTLS required; the relay offers none
  ASSERT_EQ(*Enqueue(*store_, conn_, settings_, Test("tls"), kNow), 1);
  auto senders = CurlSenders();
  Delivery d = *Deliver(*store_, conn_, settings_, kNow, *senders);
  EXPECT_EQ(d.failed, 1);
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_NE(d.errors[0].find("STARTTLS"), std::string::npos) << d.errors[0];
  EXPECT_TRUE(relay.Messages().empty()) << "sent in the clear";
}

}  // namespace
}  // namespace sk::notify
