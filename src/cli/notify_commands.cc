// notify set|show|clear|test|deliver: the account's notification channels
// (src/notify). Secrets (the webhook URL, the SMTP password) are read from a
// file, standard input or the environment, never from the command line, and
// stored sealed with the connection's secrets. The delivery log is the
// `notifications` report (src/reports/notifications_report.cc).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/context.h"
#include "cli/secrets_input.h"
#include "notify/notify.h"
#include "util/log.h"

namespace sk::cli {
namespace {

struct SetArgs {
  std::string webhook_file;
  bool webhook_env = false;
  std::string smtp_url, smtp_from, smtp_to, smtp_user, smtp_password_file;
  bool smtp_password_env = false;
  bool smtp_plain = false;
  std::string link_base;
  std::optional<std::string> user_notice;  // on | off
};

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : s + ",") {
    if (ch == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else if (ch != ' ') {
      cur += ch;
    }
  }
  return out;
}

void Show(Context& ctx, const notify::Settings& s) {
  const nlohmann::json j = notify::SettingsJson(s);
  if (ctx.json) {
    *ctx.out << j.dump(2) << "\n";
    return;
  }
  *ctx.out << "webhook: " << (j["webhook"].is_null() ? "not set" : j["webhook"].get<std::string>()) << "\n";
  if (j["email"].is_null()) {
    *ctx.out << "e-mail:  not set\n";
  } else {
    const auto& e = j["email"];
    std::string to;
    for (const auto& r : e["to"]) to += (to.empty() ? "" : ", ") + r.get<std::string>();
    *ctx.out << "e-mail:  " << e["smtp_url"].get<std::string>()
             << (e["plain"].get<bool>() ? " (plain)" : " (TLS)") << ", from " << e["from"].get<std::string>()
             << " to " << to
             << (e["user"].get<std::string>().empty() ? "" : ", login " + e["user"].get<std::string>())
             << (e["password_set"].get<bool>() ? " (password set)" : "") << "\n";
  }
  *ctx.out << "links:   " << (s.link_base.empty() ? "none" : s.link_base) << "\n";
  *ctx.out << "notice to users before a reclaim: " << (s.user_notice ? "on (by e-mail)" : "off") << "\n";
}

Result<notify::Settings> Load(Context& ctx, store::Connection* c) {
  SK_ASSIGN_OR_RETURN(*c, ctx.RequireConnection());
  return notify::LoadSettings(*c);
}

Status Save(Context& ctx, store::Connection& c, const notify::Settings& s) {
  SK_RETURN_IF_ERROR(notify::Validate(s));
  notify::SaveSettings(s, &c);
  SK_ASSIGN_OR_RETURN(store::Store * st, ctx.Store());
  return st->PutConnection(c);
}

Status Set(Context& ctx, const SetArgs& a) {
  store::Connection c;
  SK_ASSIGN_OR_RETURN(notify::Settings s, Load(ctx, &c));
  if (!a.webhook_file.empty() || a.webhook_env) {
    SK_ASSIGN_OR_RETURN(s.webhook_url, ReadSecret(a.webhook_file, "SEATKEEPER_WEBHOOK_URL", "webhook URL"));
  }
  if (!a.smtp_url.empty()) s.smtp_url = a.smtp_url;
  if (!a.smtp_from.empty()) s.smtp_from = a.smtp_from;
  if (!a.smtp_to.empty()) s.smtp_to = SplitList(a.smtp_to);
  if (!a.smtp_user.empty()) s.smtp_user = a.smtp_user;
  if (!a.smtp_password_file.empty() || a.smtp_password_env) {
    SK_ASSIGN_OR_RETURN(s.smtp_password,
                        ReadSecret(a.smtp_password_file, "SEATKEEPER_SMTP_PASSWORD", "SMTP password"));
  }
  s.smtp_plain = a.smtp_plain;
  if (!a.link_base.empty()) s.link_base = a.link_base;
  if (a.user_notice) s.user_notice = *a.user_notice == "on";
  log::RegisterSecret(s.webhook_url);
  log::RegisterSecret(s.smtp_password);
  SK_RETURN_IF_ERROR(Save(ctx, c, s));
  Show(ctx, s);
  return Status::Ok();
}

Status Clear(Context& ctx, bool webhook, bool email) {
  store::Connection c;
  SK_ASSIGN_OR_RETURN(notify::Settings s, Load(ctx, &c));
  if (webhook || !email) s.webhook_url.clear();
  if (email || !webhook)
    s = notify::Settings{.webhook_url = s.webhook_url, .link_base = s.link_base};  // and no user notice
  SK_RETURN_IF_ERROR(Save(ctx, c, s));
  Show(ctx, s);
  return Status::Ok();
}

void PrintDelivery(Context& ctx, int queued, const notify::Delivery& d) {
  if (ctx.json) {
    *ctx.out << nlohmann::json{{"queued", queued},
                               {"sent", d.sent},
                               {"retrying", d.retrying},
                               {"failed", d.failed},
                               {"errors", d.errors}}
                    .dump(2)
             << "\n";
    return;
  }
  *ctx.out << queued << " queued, " << d.sent << " sent, " << d.retrying << " to retry, " << d.failed
           << " given up\n";
  for (const auto& e : d.errors) *ctx.out << "  " << e << "\n";
}

// test: one message to every channel now; deliver: what is due (events found first).
Status Send(Context& ctx, bool test) {
  store::Connection c;
  SK_ASSIGN_OR_RETURN(notify::Settings s, Load(ctx, &c));
  if (!s.Webhook() && !s.Email())
    return Refused(
        "no notification channel is set up; run `seatkeeper notify set --webhook-file FILE` or "
        "`--smtp smtp://HOST ...` first");
  SK_ASSIGN_OR_RETURN(store::Store * st, ctx.Store());
  const UnixTime now = NowUnix();
  int queued = 0;
  if (test) {
    notify::Message m{.key = "test:" + std::to_string(now),
                      .kind = "test",
                      .subject = "seatkeeper [" + c.account + "]: test notification",
                      .text = "Notifications from seatkeeper for " + c.url + " reach this channel."};
    SK_ASSIGN_OR_RETURN(queued, notify::Enqueue(*st, c, s, m, now));
  } else {
    SK_ASSIGN_OR_RETURN(queued, notify::CollectEvents(*st, c, s, now));
  }
  auto senders = notify::CurlSenders();
  SK_ASSIGN_OR_RETURN(notify::Delivery d, notify::Deliver(*st, c, s, now, *senders));
  PrintDelivery(ctx, queued, d);
  if (test && d.sent == 0) return Status(Code::kUnavailable, "the test notification was not delivered");
  return Status::Ok();
}

}  // namespace

void RegisterNotifyCommands(CLI::App& app, Context& ctx) {
  auto* notify = app.add_subcommand("notify", "Notification channels: webhook (Slack-compatible) and e-mail");
  notify->require_subcommand(1);

  auto args = std::make_shared<SetArgs>();
  auto* set = notify->add_subcommand("set", "Set up the webhook and/or e-mail (SMTP) channel");
  set->add_option("--webhook-file", args->webhook_file,
                  "File holding the webhook URL, - for stdin (a Slack incoming webhook works)");
  set->add_flag("--webhook-env", args->webhook_env, "Read the webhook URL from SEATKEEPER_WEBHOOK_URL");
  set->add_option("--smtp", args->smtp_url, "smtp://HOST[:587] (STARTTLS required) or smtps://HOST[:465]");
  set->add_option("--smtp-from", args->smtp_from, "Sender address");
  set->add_option("--smtp-to", args->smtp_to, "Recipients, comma-separated");
  set->add_option("--smtp-user", args->smtp_user, "SMTP login");
  set->add_option("--smtp-password-file", args->smtp_password_file,
                  "File holding the SMTP password, - for stdin");
  set->add_flag("--smtp-password-env", args->smtp_password_env,
                "Read the SMTP password from SEATKEEPER_SMTP_PASSWORD");
  set->add_flag("--smtp-plain", args->smtp_plain, "Plain SMTP without TLS (only to a relay on localhost)");
  set->add_option("--link-base", args->link_base, "The web app's URL, for links in messages");
  set->add_option("--user-notice", args->user_notice,
                  "on: e-mail each user of an approved reclaim proposal before it runs (needs SMTP)")
      ->check(CLI::IsMember({"on", "off"}));
  set->add_flag("--json", ctx.json, "JSON output");
  set->callback([&ctx, args] { ctx.Finish(Set(ctx, *args)); });

  auto* show = notify->add_subcommand("show", "The channels as set up (the webhook URL's path is not shown)");
  show->add_flag("--json", ctx.json, "JSON output");
  show->callback([&ctx] {
    store::Connection c;
    auto s = Load(ctx, &c);
    if (s.ok()) Show(ctx, *s);
    ctx.Finish(s.status());
  });

  auto clear_webhook = std::make_shared<bool>(false), clear_email = std::make_shared<bool>(false);
  auto* clear = notify->add_subcommand("clear", "Remove the channels (both unless one is named)");
  clear->add_flag("--webhook", *clear_webhook, "Remove only the webhook");
  clear->add_flag("--email", *clear_email, "Remove only e-mail");
  clear->add_flag("--json", ctx.json, "JSON output");
  clear->callback(
      [&ctx, clear_webhook, clear_email] { ctx.Finish(Clear(ctx, *clear_webhook, *clear_email)); });

  auto* test = notify->add_subcommand("test", "Send a test message to every channel now");
  test->add_flag("--json", ctx.json, "JSON output");
  test->callback([&ctx] { ctx.Finish(Send(ctx, true)); });

  auto* deliver = notify->add_subcommand(
      "deliver",
      "Queue what happened since the last run (actions, sync failures, the weekly digest) and send "
      "what is due, retries included (syncs and actions do this by themselves)");
  deliver->add_flag("--json", ctx.json, "JSON output");
  deliver->callback([&ctx] { ctx.Finish(Send(ctx, false)); });
}

}  // namespace sk::cli
