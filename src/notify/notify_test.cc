// Notifications: settings validation and display, the queue's once-per-key
// rule, retries with backoff and giving up, the events read back from the
// store, and the real channels against local servers (a webhook over HTTP
// on 127.0.0.1 and a minimal SMTP relay), with no secret in what is sent.
#include "notify/notify.h"

#include <gtest/gtest.h>

#include "notify/notify_testing.h"
#include "policy/proposals.h"
#include "reports/seats_report.h"
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
  std::vector<std::string> webhook_bodies, email_subjects, email_texts;
  std::vector<std::vector<std::string>> email_to;
  Status Webhook(const Settings&, const std::string& body) override {
    webhook_bodies.push_back(body);
    return Next();
  }
  Status Email(const Settings& s, const std::string& subject, const std::string& text) override {
    email_subjects.push_back(subject);
    email_texts.push_back(text);
    email_to.push_back(s.smtp_to);
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
  // The same cause striking another part of the sync (they run at once) is
  // the same reason; another cause is not.
  broken.error =
      "reading articles: Zendesk rejected the credentials: 401. Check the token "
      "(GET /api/v2/help_center/incremental/articles). Reconnect (seatkeeper connect)";
  EXPECT_EQ(*CollectEvents(*store_, broken, settings_, kNow + 2 * 86400), 1);
  broken.error =
      "reading ticket_activity: Zendesk rejected the credentials: 401. Check the token "
      "(GET /api/v2/incremental/ticket_events). Reconnect (seatkeeper connect)";
  EXPECT_EQ(*CollectEvents(*store_, broken, settings_, kNow + 2 * 86400), 0);
  EXPECT_NE(All()[0].body.find("reading articles"), std::string::npos) << "the message keeps where it struck";
  broken.error =
      "reading ticket_activity: Zendesk answered 500 five times (GET /api/v2/incremental/ticket_events)";
  EXPECT_EQ(*CollectEvents(*store_, broken, settings_, kNow + 2 * 86400), 1);

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

Settings LocalEmail(const std::string& url) {
  Settings s;
  s.smtp_url = url;
  s.smtp_plain = true;
  s.smtp_from = "seatkeeper@example.com";
  s.smtp_to = {"it@example.com"};
  return s;
}

policy::Proposal Proposed(int64_t user, const std::string& state = "pending") {
  policy::Proposal p;
  p.id = "idle-agents-" + std::to_string(user) + "-20261120";
  p.policy = "idle-agents";
  p.user_id = user;
  p.user_name = "Agent\n" + std::to_string(user);
  p.user_email = "agent" + std::to_string(user) + "@acme.test";
  p.action = "downgrade-light";
  p.state = state;
  p.created_at = kNow;
  return p;
}

std::vector<store::Notification> OfKind(const std::vector<store::Notification>& all,
                                        const std::string& kind) {
  std::vector<store::Notification> out;
  for (const auto& n : all)
    if (n.kind == kind) out.push_back(n);
  return out;
}

TEST_F(NotifyStoreTest, NewProposalsAreAnnouncedOnceInOneMessageWithoutAddresses) {
  for (int64_t u = 1; u <= 12; ++u) ASSERT_TRUE(policy::PutProposal(*store_, "default", Proposed(u)).ok());
  ASSERT_TRUE(policy::PutProposal(*store_, "default", Proposed(99, "rejected")).ok());
  EXPECT_EQ(*CollectEvents(*store_, conn_, settings_, kNow), 1) << "12 proposals, one message";
  EXPECT_EQ(*CollectEvents(*store_, conn_, settings_, kNow + 60), 0) << "announced once";
  auto rows = OfKind(All(), "proposals.new");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].subject, "seatkeeper [default]: 12 new reclaim proposals, 12 awaiting approval");
  const json body = json::parse(rows[0].body);
  EXPECT_EQ(body["data"]["proposals"], 12);
  const std::string text = body["text"];
  EXPECT_NE(text.find("- Agent 1 (user 1): downgrade-light by policy idle-agents"), std::string::npos)
      << text;
  EXPECT_NE(text.find("and 2 more"), std::string::npos) << text;
  EXPECT_EQ(text.find("Agent 99"), std::string::npos) << "a rejected proposal is not new: " << text;
  EXPECT_EQ(rows[0].body.find('@'), std::string::npos) << "no address leaves: " << rows[0].body;

  // One more (an automatic policy's, approved at once): a message of its own.
  ASSERT_TRUE(policy::PutProposal(*store_, "default", Proposed(13, "approved")).ok());
  EXPECT_EQ(*CollectEvents(*store_, conn_, settings_, kNow + 120), 1);
  rows = OfKind(All(), "proposals.new");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].subject, "seatkeeper [default]: 1 new reclaim proposal");
  EXPECT_NE(rows[0].body.find("Agent 13 (user 13): downgrade-light by policy idle-agents, automatic"),
            std::string::npos)
      << rows[0].body;
}

TEST_F(NotifyStoreTest, TheUserOfAnApprovedProposalIsNoticedOnlyWhenAskedAndOnlyThem) {
  settings_ = LocalEmail("smtp://127.0.0.1:2525");
  EXPECT_TRUE(Validate(settings_).ok());
  policy::Proposal p = Proposed(7, "approved");
  p.due_at = kNow + 7 * 86400;
  ASSERT_TRUE(policy::PutProposal(*store_, "default", p).ok());
  policy::Proposal injected = Proposed(8, "approved");
  injected.due_at = kNow + 7 * 86400;
  injected.user_email = "agent8@acme.test\r\nBcc: everyone@acme.test";
  ASSERT_TRUE(policy::PutProposal(*store_, "default", injected).ok());
  (void)*CollectEvents(*store_, conn_, settings_, kNow);
  EXPECT_TRUE(OfKind(All(), "user.notice").empty()) << "the notice is off by default";

  Settings without_email = Hook();
  without_email.user_notice = true;
  EXPECT_FALSE(Validate(without_email).ok()) << "the notice needs e-mail";
  settings_.user_notice = true;
  ASSERT_TRUE(Validate(settings_).ok());
  EXPECT_EQ(*CollectEvents(*store_, conn_, settings_, kNow), 1) << "user 7 only: user 8's address is refused";
  EXPECT_EQ(*CollectEvents(*store_, conn_, settings_, kNow + 3600), 0) << "once";
  FakeSenders senders;
  ASSERT_TRUE(Deliver(*store_, conn_, settings_, kNow, senders).ok());
  ASSERT_EQ(senders.email_to.size(), 2u) << "the admins' proposals message and the user's notice";
  const auto notice = std::find(senders.email_subjects.begin(), senders.email_subjects.end(),
                                "Your Zendesk seat will change on 2026-11-27 unless you sign in");
  ASSERT_NE(notice, senders.email_subjects.end());
  const size_t i = static_cast<size_t>(notice - senders.email_subjects.begin());
  EXPECT_EQ(senders.email_to[i], std::vector<std::string>{"agent7@acme.test"}) << "the user alone";
  EXPECT_EQ(senders.email_to[1 - i], settings_.smtp_to) << "the admins get the proposals message";
  EXPECT_NE(senders.email_texts[i].find("Hello Agent 7,"), std::string::npos) << senders.email_texts[i];
  EXPECT_NE(senders.email_texts[i].find("becomes a light-agent seat"), std::string::npos);
  EXPECT_NE(senders.email_texts[i].find("sign in to Zendesk before then"), std::string::npos);

  // Turned off afterwards: a queued notice is given up, never sent.
  policy::Proposal later = Proposed(9, "approved");
  later.due_at = kNow + 86400;
  ASSERT_TRUE(policy::PutProposal(*store_, "default", later).ok());
  (void)*CollectEvents(*store_, conn_, settings_, kNow + 7200);
  settings_.user_notice = false;
  Delivery d = *Deliver(*store_, conn_, settings_, kNow + 7200, senders);
  EXPECT_EQ(d.failed, 1) << "the user notice; the admins' message is sent";
  EXPECT_EQ(std::count(senders.email_to.begin(), senders.email_to.end(),
                       std::vector<std::string>{"agent9@acme.test"}),
            0);
}

TEST_F(NotifyStoreTest, TheDigestCountsRecommendationsProposalsAndTheSaving) {
  ASSERT_TRUE(store_->PutValue("default", reports::kSeatPriceKey, "115").ok());
  ASSERT_TRUE(store_->PutValue("default", reports::kPurchasedSeatsKey, "40").ok());
  for (int64_t u = 1; u <= 3; ++u) ASSERT_TRUE(policy::PutProposal(*store_, "default", Proposed(u)).ok());
  ASSERT_TRUE(policy::PutProposal(*store_, "default", Proposed(4, "approved")).ok());
  ASSERT_TRUE(policy::PutProposal(*store_, "default", Proposed(5, "done")).ok());
  store::Connection synced = conn_;
  synced.last_sync_at = kNow;
  (void)*CollectEvents(*store_, synced, settings_, kNow);
  const auto rows = OfKind(All(), "digest");
  ASSERT_EQ(rows.size(), 1u);
  const json body = json::parse(rows[0].body);
  EXPECT_EQ(body["data"]["proposals_pending"], 3);
  EXPECT_EQ(body["data"]["proposals_approved"], 1);
  EXPECT_EQ(body["data"]["purchased_seats"], 40);
  EXPECT_EQ(body["data"]["monthly_saving"], 0.0) << "a price is set and nothing is recommended";
  const std::string text = body["text"];
  EXPECT_NE(text.find("0 paid seats of 40 purchased"), std::string::npos) << text;
  EXPECT_NE(text.find("0 recommendations would free 0 seats, saving 0.00 a month."), std::string::npos)
      << text;
  EXPECT_NE(text.find("Reclaim proposals: 3 awaiting approval, 1 approved"), std::string::npos) << text;
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
