// connect, status, capabilities.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/context.h"
#include "cli/secrets_input.h"
#include "cli/table.h"
#include "reports/seats_report.h"
#include "store/views.h"
#include "sync/preflight.h"
#include "sync/provisional.h"
#include "sync/sync.h"
#include "util/text.h"
#include "zendesk/url.h"

namespace sk::cli {
namespace {

struct ConnectArgs {
  std::string url, client_id, client_secret_file, oauth_token_file, email, token_file;
  std::string permission = "read";
  std::string timezone = "UTC";
  int api_budget = 100;
  bool allow_local = false;
  std::optional<int64_t> purchased_seats;
};

// Stores the account's purchased paid seats (0 forgets them): Zendesk's API
// documents no seat count (reference §5.3), so the operator gives it.
Status SetPurchasedSeats(Context& ctx, int64_t n) {
  SK_ASSIGN_OR_RETURN(auto* st, ctx.Store());
  return st->PutValue(ctx.account, reports::kPurchasedSeatsKey, n > 0 ? std::to_string(n) : "");
}

// Stores the account's monthly price of one seat (0 forgets it): the
// reports' --seat-price when none is given, and the weekly digest's saving.
Status SetSeatPrice(Context& ctx, double price) {
  SK_ASSIGN_OR_RETURN(auto* st, ctx.Store());
  return st->PutValue(ctx.account, reports::kSeatPriceKey, price > 0 ? FormatAmount(price) : "");
}

// The provisional seat verdict right after connecting (issue #19): a few
// minutes at most; a failure leaves it to the first sync, never fails connect.
nlohmann::json ProvisionalSeatVerdict(Context& ctx, zendesk::Client& client, store::Store& st,
                                      const store::Connection& c) {
  auto made = [&]() -> Result<sync::ProvisionalVerdict> {
    SK_ASSIGN_OR_RETURN(sync::SyncContext sc, sync::MakeContext(client, st, c, NowUnix(), c.window_days));
    return sync::MakeProvisionalVerdict(sc);
  }();
  if (!made.ok()) {
    *ctx.err << "warning: no provisional seat verdict (" << TerminalSafe(made.status().message())
             << "); the first sync makes one\n";
    return nullptr;
  }
  std::map<std::string, int64_t> by;
  for (const auto& s : made->seats) ++by[s.verdict];
  return {{"verdict", "provisional"},
          {"paid_seats", made->seats.size()},
          {"active", by[sync::kVerdictActive]},
          {"idle_candidates", by[sync::kVerdictIdleCandidate]},
          {"probable_integrations", by[sync::kVerdictIntegration]},
          {"requests", made->requests},
          {"seconds", made->seconds}};
}

Status Connect(Context& ctx, const ConnectArgs& a) {
  // Everything is checked before any request leaves the machine.
  SK_ASSIGN_OR_RETURN(std::string url, zendesk::ValidateAccountUrl(a.url, a.allow_local));
  if (a.permission != "read" && a.permission != "read-write")
    return InvalidArgument("--permission must be read or read-write");
  if (a.api_budget < 1 || a.api_budget > 100) return InvalidArgument("--api-budget must be a percentage from 1 to 100");
  SK_RETURN_IF_ERROR(Zone::Named(a.timezone).status());
  int modes = (!a.client_id.empty()) + (!a.oauth_token_file.empty()) + (!a.email.empty());
  if (modes == 0) {
    if (std::getenv("ZENDESK_OAUTH_TOKEN")) modes = 1;
  }
  if (modes != 1)
    return InvalidArgument(
        "give exactly one way to authenticate: --client-id ID --client-secret-file F (OAuth client credentials), "
        "--oauth-token-file F (an OAuth access token), or --email EMAIL --token-file F (legacy API token)");

  store::Connection c;
  c.account = ctx.account;
  c.url = url;
  c.permission = a.permission;
  c.timezone = a.timezone;
  c.api_budget = a.api_budget;
  std::string scope = a.permission == "read-write" ? "read write" : "read";
  if (!a.client_id.empty()) {
    SK_ASSIGN_OR_RETURN(c.client_secret, ReadSecret(a.client_secret_file, "ZENDESK_CLIENT_SECRET", "client secret"));
    c.auth_kind = "client_credentials";
    c.client_id = a.client_id;
    SK_ASSIGN_OR_RETURN(auto tokens, zendesk::ClientCredentialsGrant(url, a.client_id, c.client_secret, scope));
    c.secret = tokens.access_token;
    c.token_expires_at = tokens.expires_at;
  } else if (!a.email.empty()) {
    SK_ASSIGN_OR_RETURN(c.secret, ReadSecret(a.token_file, "ZENDESK_API_TOKEN", "API token"));
    c.auth_kind = "api_token";
    c.email = a.email;
  } else {
    SK_ASSIGN_OR_RETURN(c.secret, ReadSecret(a.oauth_token_file, "ZENDESK_OAUTH_TOKEN", "OAuth access token"));
    c.auth_kind = "oauth";
  }
  SK_ASSIGN_OR_RETURN(auto client, ctx.MakeClient(c));
  SK_ASSIGN_OR_RETURN(auto* st, ctx.Store());
  sync::PreflightResult pf;
  SK_ASSIGN_OR_RETURN(c, sync::ConnectWithPreflight(*client, *st, c, &pf));
  if (a.purchased_seats) SK_RETURN_IF_ERROR(SetPurchasedSeats(ctx, *a.purchased_seats));
  const nlohmann::json verdict = ProvisionalSeatVerdict(ctx, *client, *st, c);
  if (ctx.json) {
    auto j = store::StatusJson(c);
    if (!verdict.is_null()) j["seat_verdict"] = verdict;
    *ctx.out << j.dump(2) << "\n";
  } else {
    // The name and email are the Zendesk user's own choice: made safe.
    *ctx.out << "Connected to " << c.url << " as " << TerminalSafe(pf.me.name) << " <"
             << TerminalSafe(c.connecting_user_email) << "> (" << c.permission << ", plan " << c.plan
             << ").\n";
    for (const auto& chk : pf.checks)
      *ctx.out << "  [" << (chk["ok"].get<bool>() ? "ok" : "!!") << "] " << chk["check"].get<std::string>()
               << ": " << TerminalSafe(chk["detail"].get<std::string>()) << "\n";
    if (!verdict.is_null())
      *ctx.out << "Provisional seat verdict: " << verdict["active"] << " of " << verdict["paid_seats"]
               << " paid seats active, " << verdict["idle_candidates"] << " idle candidates, "
               << verdict["probable_integrations"]
               << " probable integrations (seatkeeper seats); the first sync confirms or corrects it.\n";
    *ctx.out << "Next: seatkeeper sync\n";
  }
  return Status::Ok();
}

Status PrintStatus(Context& ctx) {
  SK_ASSIGN_OR_RETURN(auto* st, ctx.Store());
  SK_ASSIGN_OR_RETURN(auto conn, st->GetConnection(ctx.account));
  auto j = store::StatusJson(conn);
  if (ctx.json) {
    *ctx.out << j.dump(2) << "\n";
    return Status::Ok();
  }
  if (!conn) {
    *ctx.out << "state: not-connected\nNext: seatkeeper connect --url https://<subdomain>.zendesk.com ...\n";
    return Status::Ok();
  }
  *ctx.out << "state:       " << conn->state << (conn->state == "synced" ? " (green)" : conn->state == "error" ? " (red)" : "")
           << "\nurl:         " << conn->url << "\npermission:  " << conn->permission << "\nplan:        " << conn->plan
           << "\nauth:        " << conn->auth_kind << "\ntimezone:    " << conn->timezone
           << "\nlast sync:   " << (conn->last_sync_at ? FormatIso(*conn->last_sync_at) : "never") << "\n";
  if (!conn->error.empty()) *ctx.out << "error:       " << TerminalSafe(conn->error) << "\n";
  for (const auto& w : j["warnings"])
    *ctx.out << (w["severity"] == "error" ? "ERROR:       " : "WARNING:     ")
             << TerminalSafe(w["message"].get<std::string>())
             << "\n             reconnect: " << w["reconnect"]["cli"].get<std::string>() << "\n";
  *ctx.out << "preflight:\n";
  for (const auto& chk : j["preflight"])
    *ctx.out << "  [" << (chk.value("ok", false) ? "ok" : "!!") << "] " << chk.value("check", "") << ": "
             << TerminalSafe(chk.value("detail", "")) << "\n";
  return Status::Ok();
}

Status PrintCapabilities(Context& ctx) {
  SK_ASSIGN_OR_RETURN(auto* st, ctx.Store());
  SK_ASSIGN_OR_RETURN(auto conn, st->GetConnection(ctx.account));
  nlohmann::json rows = conn ? sync::CapabilitiesTable(conn->permission, conn->plan,
                                                       nlohmann::json::parse(conn->capabilities_json, nullptr, false))
                             : sync::CapabilitiesTable("read", "", nlohmann::json::object());
  if (ctx.json) {
    *ctx.out << rows.dump(2) << "\n";
    return Status::Ok();
  }
  Table t({"AREA", "CAPABILITY", "AVAILABLE", "WHY NOT"});
  for (const auto& r : rows)
    t.Add({r["area"], r["capability"], r["available"].get<bool>() ? "yes" : "no", r["reason"]});
  t.Print(*ctx.out);
  return Status::Ok();
}

}  // namespace

void RegisterConnectCommands(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<ConnectArgs>();
  auto* connect = app.add_subcommand("connect", "Connect a Zendesk account and run the preflight checklist");
  connect->add_option("--url", args->url, "https://<subdomain>.zendesk.com")->required();
  connect->add_option("--name", ctx.account, "Name of this account in the store (same as --account)")
      ->check(CLI::Validator(AccountNameError, "NAME"));
  connect->add_option("--client-id", args->client_id, "OAuth client id (client-credentials grant)");
  connect->add_option("--client-secret-file", args->client_secret_file, "File holding the OAuth client secret, - for stdin (or ZENDESK_CLIENT_SECRET)");
  connect->add_option("--oauth-token-file", args->oauth_token_file, "File holding an OAuth access token, - for stdin (or ZENDESK_OAUTH_TOKEN)");
  connect->add_option("--email", args->email, "Agent email for a legacy API token");
  connect->add_option("--token-file", args->token_file, "File holding the legacy API token, - for stdin (or ZENDESK_API_TOKEN)");
  connect->add_option("--permission", args->permission, "read (sync only) or read-write (read and take action)")
      ->check(CLI::IsMember({"read", "read-write"}));
  connect->add_option("--timezone", args->timezone, "IANA time zone for calendar days (default UTC)");
  connect->add_option("--api-budget", args->api_budget, "Share of the account's API rate limit to use, percent")
      ->check(CLI::Range(1, 100));
  connect
      ->add_option("--purchased-seats", args->purchased_seats,
                   "Paid agent seats the account's subscription includes (shown by seats; 0 forgets)")
      ->check(CLI::Range(int64_t{0}, int64_t{10000000}));
  connect->add_flag("--allow-local", args->allow_local, "Allow http://127.0.0.1:PORT or localhost (simulator, tests)");
  connect->add_flag("--json", ctx.json, "JSON output");
  connect->callback([&ctx, args] { ctx.Finish(Connect(ctx, *args)); });

  if (auto* config_cmd = app.get_subcommand("config")) {
    struct SeatsArgs {
      std::optional<int64_t> purchased;
      std::optional<double> price;
    };
    auto seats = std::make_shared<SeatsArgs>();
    auto* set = config_cmd->add_subcommand(
        "seats",
        "Set the account's purchased paid seats and seat price (seats, recommendations, the digest)");
    set->add_option("--purchased-seats", seats->purchased,
                    "Paid agent seats the subscription includes (0 forgets)")
        ->check(CLI::Range(int64_t{0}, int64_t{10000000}));
    set->add_option("--seat-price", seats->price,
                    "Monthly price of one seat, the default of --seat-price in reports (0 forgets)")
        ->check(CLI::Range(0.0, 1e9));
    set->callback([&ctx, seats] {
      if (!seats->purchased && !seats->price)
        return ctx.Finish(InvalidArgument("config seats: give --purchased-seats N and/or --seat-price P"));
      Status s = seats->purchased ? SetPurchasedSeats(ctx, *seats->purchased) : Status::Ok();
      if (s.ok() && seats->price) s = SetSeatPrice(ctx, *seats->price);
      if (s.ok() && seats->purchased)
        *ctx.out << "purchased seats of " << ctx.account << ": "
                 << (*seats->purchased > 0 ? std::to_string(*seats->purchased) : "not set") << "\n";
      if (s.ok() && seats->price)
        *ctx.out << "seat price of " << ctx.account << ": "
                 << (*seats->price > 0 ? FormatAmount(*seats->price) + " a month" : "not set") << "\n";
      ctx.Finish(s);
    });
  }
  auto* status = app.add_subcommand("status", "Connection state, plan, last sync, preflight results");
  status->add_flag("--json", ctx.json, "JSON output");
  status->callback([&ctx] { ctx.Finish(PrintStatus(ctx)); });

  auto* caps = app.add_subcommand("capabilities", "What this connection can and cannot do, and why");
  caps->add_flag("--json", ctx.json, "JSON output");
  caps->callback([&ctx] { ctx.Finish(PrintCapabilities(ctx)); });
}

}  // namespace sk::cli
