// Generation and serving options of the simulator.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace zdsim {

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  uint64_t seed = 1;
  int users = 200;
  int agents = 20;
  std::string plan = "enterprise";  // team|professional|enterprise|enterprise-plus
  bool high_volume = false;
  int days = 90;
  int tickets_per_day = 30;
  int articles = 20;
  std::optional<int64_t> now;  // fixed clock when set
  int rate_window_seconds = 60;
  bool rate_limits = true;
  std::string subdomain = "acme";
  std::string edge_zone = "Europe/Berlin";
  bool help_center = true;

  // Zendesk behaviours that are unkind to a client (issue #20), each on by
  // default as Zendesk has it, each with a `--no-...` flag (zdsim --help) so a
  // test can show what the product does without it. Sources: the reference's
  // notes marked "added/corrected 2026-12".
  struct Quirks {
    // Requests with an API token or basic auth move the caller's last_login_at
    // and updated_at (so the connecting user of an API-token connection is
    // always inside the exports' omitted last minute). --no-api-use-touches-user
    bool api_use_touches_user = true;
    // /ticket_audits leaves out the audits of soft-deleted tickets (zenpy
    // recording). --no-audits-omit-deleted
    bool audits_omit_deleted = true;
    // Deleting an agent or downgrading one to end user hands their open
    // tickets to the acting admin; downgrading to light agent/contributor
    // unassigns their non-solved tickets. --no-agent-change-moves-tickets
    bool agent_change_moves_tickets = true;
    // OAuth clients get expiring tokens (access 30 min, refresh 30 days) unless
    // they ask otherwise. --no-expiring-oauth-tokens
    bool expiring_oauth_tokens = true;
    // API tokens unused for 30 days are switched off. --no-api-token-lapse
    bool api_token_lapse = true;
    // Rate-limit headers in every recorded spelling (x-rate-limit, ratelimit-*,
    // rate-limit-*, zendesk-ratelimit-*, zendesk-rate-limit-*), varying by
    // endpoint as recordings show. --no-rate-limit-header-variants
    bool rate_limit_header_variants = true;
    // Search is near real time (reference §9.1: "newly changed records can
    // take a few minutes to be indexed"): /search, /search/count and
    // /search/export see a ticket as it was before its changes of the last
    // search_lag_seconds (its assignee, status, deletion), and not a user
    // created within them. --no-search-index-lag
    bool search_index_lag = true;
  } quirks;
  // The search index's lag in Zendesk's seconds, scaled like the rate limits
  // (rate_window_seconds / 60: a test's 3-second window waits 6 s, not 120);
  // moving the clock (/_sim/advance) by as much catches the index up.
  // --search-lag-seconds
  int search_lag_seconds = 120;
  // Serve exactly these rate-limit header families on every API response,
  // whatever the endpoint (comma list of x-rate-limit, ratelimit, rate-limit,
  // zendesk-ratelimit, zendesk-rate-limit; "none" for no header at all). Empty:
  // as quirks.rate_limit_header_variants says. --rate-limit-headers
  std::string rate_limit_headers;
  // Closed tickets are archived this many days after closing (Zendesk: 120,
  // sooner on very busy accounts, 3 on sandboxes). --archive-after-days
  int archive_after_days = 120;
  // Share of generated tickets soft-deleted by an agent (hours to days after
  // their last update). --deleted-ticket-share
  double deleted_ticket_share = 0.05;
  // Answer times modelled on Zendesk's recorded server times (sim/latency.h):
  // a base plus a cost per KB, per endpoint, with jitter. Scaled by
  // latency_scale; below 0 it follows the rate-limit window
  // (rate_window_seconds / 60), so a test's one-second window gets 1/60 of
  // the time and keeps Zendesk's ratio of latency to rate limits.
  // --no-latency, --latency-scale, --latency-rtt-ms
  bool latency = true;
  double latency_scale = -1;
  double latency_rtt_ms = 0;
};

// The scale the latency model runs at: 0 when off.
inline double LatencyScale(const Options& o) {
  if (!o.latency) return 0;
  return o.latency_scale >= 0 ? o.latency_scale : o.rate_window_seconds / 60.0;
}

inline bool IsEnterprise(const Options& o) { return o.plan == "enterprise" || o.plan == "enterprise-plus"; }

}  // namespace zdsim
