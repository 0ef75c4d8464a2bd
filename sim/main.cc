// zdsim: the Zendesk API simulator.
//   zdsim serve [flags]            serve until interrupted
//   zdsim truth users|usage [...]  print the ground truth as JSON
#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "core.h"
#include "credentials.h"
#include "rate_limit.h"
#include "server.h"
#include "truth.h"
#include "util/time.h"

namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

void AddGenerationFlags(CLI::App* app, zdsim::Options& o, std::string& now, std::string& help_center) {
  app->add_option("--seed", o.seed, "random seed")->capture_default_str();
  app->add_option("--users", o.users, "total users")->capture_default_str();
  app->add_option("--agents", o.agents, "agent-side users (admins, agents, light agents, ...)")->capture_default_str();
  app->add_option("--plan", o.plan, "team|professional|enterprise|enterprise-plus")
      ->check(CLI::IsMember({"team", "professional", "enterprise", "enterprise-plus"}))
      ->capture_default_str();
  app->add_flag("--high-volume", o.high_volume, "High Volume API add-on (2500/min, 30 incremental/min)");
  app->add_option("--days", o.days, "days of history")->capture_default_str();
  app->add_option("--tickets-per-day", o.tickets_per_day, "new tickets per day")->capture_default_str();
  app->add_option("--articles", o.articles, "Help Center articles")->capture_default_str();
  app->add_option("--now", now, "fixed clock: Unix seconds or ISO 8601 (default: real clock)");
  app->add_option("--rate-window-seconds", o.rate_window_seconds, "rate-limit window")->capture_default_str();
  app->add_flag("--no-rate-limits{false}", o.rate_limits, "never answer 429 for rate limits");
  app->add_option("--subdomain", o.subdomain, "account subdomain")->capture_default_str();
  app->add_option("--edge-zone", o.edge_zone, "zone whose window edges get events")->capture_default_str();
  app->add_option("--help-center", help_center, "Help Center enabled (true|false)")
      ->check(CLI::IsMember({"true", "false"}))
      ->capture_default_str();
  app->add_option("--deleted-ticket-share", o.deleted_ticket_share, "share of tickets soft-deleted (0..1)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app->add_option("--archive-after-days", o.archive_after_days, "closed tickets are archived after N days")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app->add_flag("--no-latency{false}", o.latency, "answer at once instead of in Zendesk's recorded times");
  app->add_option("--latency-scale", o.latency_scale,
                  "multiply the modelled answer times (default: rate-window-seconds / 60)")
      ->check(CLI::Range(0.0, 100.0));
  app->add_option("--latency-rtt-ms", o.latency_rtt_ms,
                  "network round trip added to each answer (scaled too)")
      ->check(CLI::Range(0.0, 10000.0))
      ->capture_default_str();
  // Zendesk behaviours (issue #20): on by default, each can be turned off.
  auto& q = o.quirks;
  app->add_flag("--no-api-use-touches-user{false}", q.api_use_touches_user,
                "API-token/basic requests do not move the caller's last_login_at/updated_at");
  app->add_flag("--no-audits-omit-deleted{false}", q.audits_omit_deleted,
                "/ticket_audits keeps the audits of soft-deleted tickets");
  app->add_flag("--no-agent-change-moves-tickets{false}", q.agent_change_moves_tickets,
                "deleting or downgrading an agent leaves their tickets alone");
  app->add_flag("--no-expiring-oauth-tokens{false}", q.expiring_oauth_tokens,
                "OAuth tokens never expire unless the client asks");
  app->add_flag("--no-api-token-lapse{false}", q.api_token_lapse, "API tokens unused for 30 days keep working");
  app->add_flag("--no-rate-limit-header-variants{false}", q.rate_limit_header_variants,
                "every endpoint answers with X-Rate-Limit, ratelimit-* and Zendesk-RateLimit-<bucket>");
  app->add_flag("--no-search-index-lag{false}", q.search_index_lag,
                "search sees every change at once (Zendesk's index lags a few minutes)");
  app->add_option("--search-lag-seconds", o.search_lag_seconds,
                  "how far the search index lags behind changes, in Zendesk's seconds (scaled with "
                  "--rate-window-seconds)")
      ->check(CLI::Range(0, 3600))
      ->capture_default_str();
  app->add_option(
         "--rate-limit-headers", o.rate_limit_headers,
         "serve only these rate-limit header families everywhere: comma list of x-rate-limit, ratelimit, "
         "rate-limit, zendesk-ratelimit, zendesk-rate-limit (or none)")
      ->check([](const std::string& v) {
        return zdsim::ParseHeaderFamilies(v) ? std::string()
                                             : std::string("unknown rate-limit header family in ") + v;
      });
}

bool ResolveNow(const std::string& now, zdsim::Options& o) {
  if (now.empty()) return true;
  if (now.find_first_not_of("0123456789-") == std::string::npos) {
    o.now = std::stoll(now);
    return true;
  }
  auto t = sk::ParseIso(now);
  if (!t) return false;
  o.now = *t;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"zdsim - Zendesk API simulator"};
  app.require_subcommand(1);
  zdsim::Options o;
  std::string now, help_center = "true", port_file;
  CLI::App* serve = app.add_subcommand("serve", "serve the simulated Zendesk API");
  serve->add_option("--host", o.host, "listen address")->capture_default_str();
  serve->add_option("--port", o.port, "port (0 = any free port)")->capture_default_str();
  serve->add_option("--port-file", port_file, "write the bound port to this file");
  AddGenerationFlags(serve, o, now, help_center);

  CLI::App* truth = app.add_subcommand("truth", "print the ground truth as JSON");
  std::string what;
  int window_days = -1;
  std::string tz = "UTC";
  bool assume_served = true;
  truth->add_option("what", what, "users|usage")->required()->check(CLI::IsMember({"users", "usage"}));
  truth->add_option("--window-days", window_days, "usage window in days (default --days)");
  truth->add_option("--tz", tz, "IANA zone of the usage days")->capture_default_str();
  truth->add_option("--assume-served", assume_served,
                    "count every user's current last_login_at as served (what a full sync would read)")
      ->capture_default_str();
  AddGenerationFlags(truth, o, now, help_center);
  CLI11_PARSE(app, argc, argv);

  if (!ResolveNow(now, o)) {
    std::cerr << "zdsim: --now must be Unix seconds or ISO 8601\n";
    return 2;
  }
  o.help_center = help_center == "true";

  if (*truth) {
    zdsim::SimCore core(o);
    const zdsim::ServedLogins served = assume_served ? zdsim::AssumeAllServed(*core.ds) : zdsim::ServedLogins{};
    const int days = window_days > 0 ? window_days : o.days;
    try {
      if (what == "users") {
        std::cout << zdsim::TruthUsersJson(*core.ds, served, core.Now(), days, tz).dump(2) << "\n";
        return 0;
      }
      std::cout << zdsim::TruthUsageJson(*core.ds, served, core.Now(), days, tz).dump(2) << "\n";
    } catch (const std::exception& e) {
      std::cerr << "zdsim: " << e.what() << "\n";
      return 2;
    }
    return 0;
  }

  zdsim::Simulator sim(o);
  int port = 0;
  try {
    port = sim.Start();
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::printf("zdsim listening on %s\n", sim.BaseUrl().c_str());
  std::printf("  admin:  %s  api token %s\n", sim.AdminEmail().c_str(), zdsim::kAdminApiToken);
  std::printf("          oauth tokens %s (read write), %s (read)\n", zdsim::kAdminOauthToken,
              zdsim::kAdminOauthReadToken);
  std::printf("  agent:  %s  api token %s\n", sim.AgentEmail().c_str(), zdsim::kAgentApiToken);
  std::printf("  owner:  %s\n", sim.OwnerEmail().c_str());
  std::printf("  oauth client: client_id %s  client_secret %s\n", zdsim::kOauthClientId, zdsim::kOauthClientSecret);
  std::printf("  plan %s%s, now %s\n", o.plan.c_str(), o.high_volume ? " (high volume)" : "",
              sk::FormatIso(sim.Now()).c_str());
  std::fflush(stdout);
  if (!port_file.empty()) {
    std::ofstream f(port_file + ".tmp");
    f << port << "\n";
    f.close();
    std::rename((port_file + ".tmp").c_str(), port_file.c_str());
  }
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  sim.Stop();
  return 0;
}
