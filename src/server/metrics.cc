#include "server/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace sk::server {
namespace {

std::string Series(const std::string& name, const std::string& labels) {
  return labels.empty() ? name : name + "{" + labels + "}";
}

// Integers without a decimal point; anything else with enough digits to
// round-trip a timestamp.
std::string Number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
  } else {
    std::snprintf(buf, sizeof(buf), "%.17g", v);
  }
  return buf;
}

}  // namespace

const std::vector<MetricFamily>& Metrics::Families() {
  static const std::vector<MetricFamily> kFamilies = {
      {"seatkeeper_http_requests_total", "counter", "HTTP requests served, by method, route and status"},
      {"seatkeeper_actions_total", "counter", "Actions run through the API, by action and result"},
      {"seatkeeper_syncs_total", "counter", "Syncs finished, by account and result (ok, error)"},
      {"seatkeeper_sync_refused_total", "counter",
       "Syncs not started because another process holds the account's lease, by account"},
      {"seatkeeper_zendesk_requests_total", "counter",
       "Requests to Zendesk, by account, rate-limit bucket and HTTP status (network: no answer)"},
      {"seatkeeper_zendesk_endpoint_requests_total", "counter",
       "Requests to Zendesk, by account and endpoint (method and path without ids)"},
      {"seatkeeper_zendesk_rate_limited_total", "counter", "429 responses from Zendesk, by account"},
      {"seatkeeper_zendesk_wait_seconds_total", "counter",
       "Seconds spent waiting on Zendesk's rate limits (pacing and Retry-After) and retry backoff, by "
       "account"},
      {"seatkeeper_zendesk_rate_limit_requests", "gauge",
       "Last rate limit Zendesk announced, by account and bucket (requests per window)"},
      {"seatkeeper_zendesk_rate_limit_remaining_requests", "gauge",
       "Last remaining requests Zendesk announced, by account and bucket"},
      {"seatkeeper_zendesk_rate_limit_headroom_ratio", "gauge",
       "Remaining share of the rate limit at the last response, by account and bucket (0..1)"},
      {"seatkeeper_sync_running", "gauge", "1 while a sync of the account runs in this process"},
      {"seatkeeper_sync_progress_ratio", "gauge", "Progress of the running sync's phase, 0..1"},
      {"seatkeeper_sync_eta_seconds", "gauge",
       "Estimated seconds left in the running sync's phase (-1 unknown)"},
      {"seatkeeper_sync_last_duration_seconds", "gauge", "Duration of the last finished sync, by account"},
      {"seatkeeper_sync_last_success_timestamp_seconds", "gauge",
       "Unix time of the last successful sync, by account"},
      {"seatkeeper_scheduler_last_tick_timestamp_seconds", "gauge",
       "Unix time the daily-sync scheduler last checked the clock (it does every 20 s)"},
      {"seatkeeper_sessions", "gauge",
       "Admin sessions this server created or served that have not expired (sessions live in the store)"},
  };
  return kFamilies;
}

std::string Metrics::Label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void Metrics::Add(const std::string& name, const std::string& labels, double n) {
  std::lock_guard lock(mu_);
  series_[name][labels] += n;
}

void Metrics::Set(const std::string& name, const std::string& labels, double v) {
  std::lock_guard lock(mu_);
  series_[name][labels] = v;
}

std::string Metrics::Render() {
  std::lock_guard lock(mu_);
  std::ostringstream out;
  for (const MetricFamily& f : Families()) {
    auto it = series_.find(f.name);
    if (it == series_.end()) continue;
    out << "# HELP " << f.name << " " << f.help << "\n# TYPE " << f.name << " " << f.type << "\n";
    for (const auto& [labels, v] : it->second) out << Series(f.name, labels) << " " << Number(v) << "\n";
  }
  // A name missing from Families() still shows, untyped and without help,
  // so that the exposition test notices it.
  for (const auto& [name, series] : series_) {
    bool known = false;
    for (const MetricFamily& f : Families()) known |= f.name == name;
    if (known) continue;
    out << "# TYPE " << name << " untyped\n";
    for (const auto& [labels, v] : series) out << Series(name, labels) << " " << Number(v) << "\n";
  }
  return out.str();
}

void RecordClientStats(Metrics& m, const std::string& account, const zendesk::ClientStats& stats) {
  const std::string a = "account=\"" + Metrics::Label(account) + "\"";
  for (const auto& [key, n] : stats.requests_by_bucket_status)
    m.Add("seatkeeper_zendesk_requests_total",
          a + ",bucket=\"" + Metrics::Label(key.first) + "\",status=\"" + Metrics::Label(key.second) + "\"",
          static_cast<double>(n));
  for (const auto& [endpoint, n] : stats.requests_by_endpoint)
    m.Add("seatkeeper_zendesk_endpoint_requests_total", a + ",endpoint=\"" + Metrics::Label(endpoint) + "\"",
          static_cast<double>(n));
  m.Add("seatkeeper_zendesk_rate_limited_total", a, static_cast<double>(stats.rate_limited));
  m.Add("seatkeeper_zendesk_wait_seconds_total", a, stats.seconds_waited);
  for (const auto& [bucket, window] : stats.rate_limit_by_bucket) {
    const std::string labels = a + ",bucket=\"" + Metrics::Label(bucket) + "\"";
    m.Set("seatkeeper_zendesk_rate_limit_requests", labels, window.first);
    m.Set("seatkeeper_zendesk_rate_limit_remaining_requests", labels, window.second);
    if (window.first > 0)
      m.Set("seatkeeper_zendesk_rate_limit_headroom_ratio", labels,
            std::clamp(static_cast<double>(window.second) / window.first, 0.0, 1.0));
  }
}

}  // namespace sk::server
