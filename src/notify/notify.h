// Notifications (issue #18 item 3): a webhook (JSON with a Slack-compatible
// "text") and e-mail over SMTP for finished actions, sync failures, a weekly
// digest and whatever else queues a Message (proposals, user notices).
//
// Events are read back from what the store already records (the audit log,
// the connection's sync error, the usage), so no event is lost when a
// process dies between the action and the message: each becomes one queued
// row per channel and key (Store::EnqueueNotification), delivered by claims
// that hold across processes, retried with backoff (Backoff) and given up
// after kMaxAttempts (state "failed", shown by `seatkeeper notifications`
// and on the web app's overview). Bodies carry names, counts and links only:
// no token, no email address, no evidence ids.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "store/store.h"
#include "util/status.h"
#include "util/time.h"

namespace sk::notify {

struct Settings {
  // Secrets (sealed with the connection's): a Slack-style incoming-webhook
  // URL is a bearer credential, so it is never printed whole.
  std::string webhook_url;
  std::string smtp_password;
  // SMTP: smtp://host[:587] sends only after STARTTLS; smtps://host[:465] is
  // TLS from the start. Plain SMTP is allowed to 127.0.0.1/localhost only,
  // with smtp_plain (a relay on the same machine, tests).
  std::string smtp_url;
  std::string smtp_from;
  std::vector<std::string> smtp_to;
  std::string smtp_user;
  bool smtp_plain = false;
  std::string link_base;  // the web app's URL for links ("" = no links)
  // E-mail the user of an approved reclaim proposal before it runs ("your
  // Zendesk seat will change on DATE unless you sign in"): needs e-mail set up.
  bool user_notice = false;

  bool Webhook() const { return !webhook_url.empty(); }
  bool Email() const { return !smtp_url.empty() && !smtp_to.empty(); }
};

// The connection's notification settings (its notify_json and sealed notify_secret).
Result<Settings> LoadSettings(const store::Connection& c);
// Writes `s` into the connection (non-secret JSON and the secret JSON).
void SaveSettings(const Settings& s, store::Connection* c);
// kInvalidArgument naming what is wrong: a webhook that is not https (http
// only to localhost), an SMTP URL of another scheme, plain SMTP elsewhere
// than localhost, email without a sender or recipients, a bad address.
Status Validate(const Settings& s);
// The settings as shown to an admin: the webhook as its scheme and host
// only, the password as set or not.
nlohmann::json SettingsJson(const Settings& s);

// What happened, once: `key` makes it queue at most once per channel.
struct Message {
  std::string key;   // "action:42", "sync-failed:20431:3f2a", "digest:2026-W49", "proposals:…", "test:…"
  std::string kind;  // "action.done", "action.failed", "sync.failed", "digest", "proposals.new", "test", ...
  std::string subject;  // one line
  std::string text;     // plain text: names, counts and links only
  nlohmann::json data = nlohmann::json::object();  // the same as fields (counts, ids, link)
};

// Queues `m` for every configured channel; returns how many rows were new.
Result<int> Enqueue(store::Store& store, const store::Connection& c, const Settings& s, const Message& m,
                    UnixTime now);

// Queues the events found since the last call: actions finished in the
// audit log, the connection's current sync error (once a day per reason),
// new reclaim proposals (one message per flush listing them), the notice to
// each user of an approved proposal (with user_notice), and the weekly
// digest (once per ISO week, after a sync).
Result<int> CollectEvents(store::Store& store, const store::Connection& c, const Settings& s, UnixTime now);

// Sends one message; an error says why (never the URL's path or a secret).
class Senders {
 public:
  virtual ~Senders() = default;
  virtual Status Webhook(const Settings& s, const std::string& json_body) = 0;
  virtual Status Email(const Settings& s, const std::string& subject, const std::string& text) = 0;
};
// libcurl: HTTPS POST for the webhook, SMTP with STARTTLS for e-mail.
std::unique_ptr<Senders> CurlSenders();

inline constexpr int64_t kMaxAttempts = 8;
// The wait before attempt `attempts` + 1, after `attempts` failed ones: 1,
// 2, 4, ... minutes, at most 6 hours.
int64_t Backoff(int64_t attempts);

struct Delivery {
  int sent = 0;
  int retrying = 0;  // failed this time, tried again later
  int failed = 0;    // gave up
  std::vector<std::string> errors;
};
// Sends every notification of the account due by `now`, each claimed first
// so that two processes never send the same one twice.
Result<Delivery> Deliver(store::Store& store, const store::Connection& c, const Settings& s, UnixTime now,
                         Senders& senders);

// CollectEvents then Deliver, for the account; a no-op without channels.
// Errors are logged, never returned: a notification must not fail a sync
// or an action.
void Flush(store::Store& store, const std::string& account, Senders& senders, UnixTime now);
void Flush(store::Store& store, const std::string& account);

}  // namespace sk::notify
