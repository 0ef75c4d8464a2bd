// Notifications end to end (issue #18 item 3): the real `seatkeeper` binary
// against zdsim, with a webhook receiver and an SMTP relay on 127.0.0.1.
// Channels are set up from the environment (never the command line) and
// shown without their secrets; a test message, a finished action and a
// failed sync each reach the channels once; nothing sent carries the
// Zendesk token, the webhook's path or a user's email address; the
// delivery log says what became of each.
#include <gtest/gtest.h>

#include "notify/notify_testing.h"
#include "support/account.h"

namespace sk::testing {
namespace {

using nlohmann::json;
using notify::testing::LocalSmtp;
using notify::testing::LocalWebhook;

std::vector<json> Events(LocalWebhook& hook) {
  std::vector<json> out;
  for (const auto& b : hook.Bodies()) out.push_back(json::parse(b));
  return out;
}

int Count(const std::vector<json>& events, const std::string& kind) {
  int n = 0;
  for (const auto& e : events) n += e["event"] == kind;
  return n;
}

TEST(Notifications, TestActionAndSyncFailureReachBothChannelsWithoutSecrets) {
  Account acct(SmallAccount(23), "notify");
  ASSERT_EQ(acct.Connect({"--permission", "read-write"}).exit_code, 0);
  acct.Json({"sync"});
  LocalWebhook hook;
  LocalSmtp relay(250);

  // A secret on the command line is not accepted; from the environment it is.
  EXPECT_EQ(acct.cli().Run({"notify", "set", "--webhook", hook.Url()}).exit_code, 2);
  acct.cli().SetEnv("SEATKEEPER_WEBHOOK_URL", hook.Url());
  CliResult set = acct.cli().Run({"notify", "set", "--webhook-env", "--smtp", relay.Url(), "--smtp-plain",
                                  "--smtp-from", "seatkeeper@example.com", "--smtp-to", "it@example.com",
                                  "--link-base", "https://seatkeeper.example.com", "--json"});
  acct.cli().UnsetEnv("SEATKEEPER_WEBHOOK_URL");
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_EQ(set.out.find("s3cr3tpath"), std::string::npos) << set.out;
  const json shown = acct.Json({"notify", "show"});
  EXPECT_EQ(shown.dump().find("s3cr3tpath"), std::string::npos) << shown.dump();
  EXPECT_EQ(shown["email"]["to"], json::array({"it@example.com"}));
  // Plain SMTP to another host is refused with a usage error.
  EXPECT_EQ(acct.cli().Run({"notify", "set", "--smtp", "smtp://mail.example.com", "--smtp-plain"}).exit_code,
            2);

  CliResult test = acct.cli().Run({"notify", "test"});
  ASSERT_EQ(test.exit_code, 0) << test.out << test.err;
  EXPECT_EQ(Count(Events(hook), "test"), 1);
  EXPECT_EQ(relay.Messages().size(), 1u);

  // A finished action: one message per channel, naming the user, linking to it.
  const std::vector<int64_t> spare = acct.SpareAgents();
  ASSERT_FALSE(spare.empty());
  const std::string id = std::to_string(spare.back());
  ASSERT_EQ(acct.Json({"user", "suspend", id})["result"], "ok");
  std::vector<json> events = Events(hook);
  ASSERT_EQ(Count(events, "action.done"), 1) << json(events).dump();
  json done;
  for (const auto& e : events)
    if (e["event"] == "action.done") done = e;
  EXPECT_NE(done["text"].get<std::string>().find("user " + id), std::string::npos) << done.dump();
  EXPECT_EQ(done["data"]["link"], "https://seatkeeper.example.com/#/user/" + id);
  // The account has synced: the week's digest went out with it, once.
  EXPECT_EQ(Count(events, "digest"), 1) << json(events).dump();
  EXPECT_EQ(relay.Messages().size(), events.size());
  // A dry run is not an action taken.
  acct.Json({"user", "unsuspend", id, "--dry-run"});
  EXPECT_EQ(Events(hook).size(), events.size());

  // A failed sync: reported once, with its reason.
  zdsim::Fault refused;
  refused.status = 401;
  refused.count = 1000;
  refused.retry_after.reset();
  acct.sim().AddFault(refused);
  EXPECT_NE(acct.cli().Run({"sync"}).exit_code, 0);
  EXPECT_NE(acct.cli().Run({"sync"}).exit_code, 0);
  events = Events(hook);
  EXPECT_EQ(Count(events, "sync.failed"), 1) << json(events).dump();

  for (const auto& body : hook.Bodies()) {
    EXPECT_EQ(body.find("zdsim-admin-api-token"), std::string::npos) << body;
    EXPECT_EQ(body.find("s3cr3tpath"), std::string::npos) << body;
    EXPECT_EQ(body.find("@"), std::string::npos) << "no email address: " << body;
  }
  for (const auto& m : relay.Messages()) EXPECT_EQ(m.find("zdsim-admin-api-token"), std::string::npos) << m;

  // The delivery log: every message sent, none failed.
  const json log = acct.Json({"notifications"});
  EXPECT_EQ(log["failed"], 0) << log.dump();
  EXPECT_EQ(log["pending"], 0) << log.dump();
  EXPECT_EQ(log["sent"], static_cast<int>(2 * events.size())) << log.dump();
}

// Reclaim proposals (issue #18): the admins hear of new ones once, in one
// message; with --user-notice on, the user of an approved one gets an e-mail
// of their own (and only they), before it runs.
TEST(Notifications, NewProposalsReachTheAdminsAndAnApprovedOneItsUserAlone) {
  Account acct(SmallAccount(25), "notify-proposals");
  ASSERT_EQ(acct.Connect({"--permission", "read-write"}).exit_code, 0);
  acct.Json({"sync"});
  acct.Advance(20 * 86400, /*activity=*/false);
  LocalWebhook hook;
  LocalSmtp relay(250);
  acct.cli().SetEnv("SEATKEEPER_WEBHOOK_URL", hook.Url());
  CliResult set =
      acct.cli().Run({"notify", "set", "--webhook-env", "--smtp", relay.Url(), "--smtp-plain", "--smtp-from",
                      "seatkeeper@example.com", "--smtp-to", "it@example.com", "--user-notice", "on"});
  acct.cli().UnsetEnv("SEATKEEPER_WEBHOOK_URL");
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_NE(set.out.find("notice to users before a reclaim: on"), std::string::npos) << set.out;
  ASSERT_EQ(acct.cli()
                .Run({"policy", "add", "idle", "--action", "downgrade-end-user", "--license", "agent",
                      "--idle-days", "15", "--let-zendesk-reassign"})
                .exit_code,
            0);
  acct.Json({"sync"});
  const json proposals = acct.Json({"proposals"});
  ASSERT_GE(proposals.size(), 2u) << proposals.dump();
  std::vector<json> events = Events(hook);
  ASSERT_EQ(Count(events, "proposals.new"), 1) << json(events).dump();
  for (const auto& e : events) {
    if (e["event"] == "proposals.new") {
      EXPECT_EQ(e["data"]["proposals"], proposals.size()) << e.dump();
    }
  }
  acct.Json({"sync"});
  EXPECT_EQ(Count(Events(hook), "proposals.new"), 1) << "announced again by the next sync";
  EXPECT_EQ(acct.cli().Run({"notify", "set", "--user-notice", "maybe"}).exit_code, 2);

  // Approved: its user, and no one else, hears when their seat changes.
  const json& first = proposals[0];
  const std::string email = first["user_email"];
  ASSERT_EQ(acct.Json({"proposals", "approve", first["id"]})["result"], "ok");
  int to_user = 0, notices = 0;
  for (const auto& m : relay.Messages()) {
    const bool notice = m.find("Your Zendesk seat will change on") != std::string::npos;
    notices += notice;
    if (m.find("To: " + email) != std::string::npos) {
      ++to_user;
      EXPECT_TRUE(notice) << "the user got an admins' message: " << m;
      EXPECT_EQ(m.find("it@example.com"), std::string::npos) << m;
    }
  }
  EXPECT_EQ(to_user, 1);
  EXPECT_EQ(notices, 1);
  acct.Json({"sync"});
  EXPECT_EQ(relay.Messages().size(), Events(hook).size() + 1) << "the admins' messages and the one notice";
  for (const auto& body : hook.Bodies()) EXPECT_EQ(body.find("@"), std::string::npos) << body;
}

TEST(Notifications, AnUnreachableWebhookIsRetriedAndShownAsPending) {
  Account acct(SmallAccount(24), "notify-retry");
  ASSERT_EQ(acct.Connect().exit_code, 0);
  std::string url;
  {
    LocalWebhook gone;  // a port that no longer answers
    url = gone.Url();
  }
  acct.cli().SetEnv("SEATKEEPER_WEBHOOK_URL", url);
  ASSERT_EQ(acct.cli().Run({"notify", "set", "--webhook-env"}).exit_code, 0);
  acct.cli().UnsetEnv("SEATKEEPER_WEBHOOK_URL");
  CliResult test = acct.cli().Run({"notify", "test"});
  EXPECT_EQ(test.exit_code, 1) << test.out << test.err;
  EXPECT_NE(test.out.find("1 to retry"), std::string::npos) << test.out;
  const json log = acct.Json({"notifications"});
  ASSERT_EQ(log["notifications"].size(), 1u) << log.dump();
  EXPECT_EQ(log["notifications"][0]["state"], "pending");
  EXPECT_EQ(log["notifications"][0]["attempts"], 1);
  EXPECT_FALSE(log["notifications"][0]["next_attempt_at"].is_null());
  EXPECT_EQ(log.dump().find("/hook/"), std::string::npos) << "the webhook's path in the log: " << log.dump();
}

}  // namespace
}  // namespace sk::testing
