#include "server/metrics.h"

#include <sstream>

namespace sk::server {
namespace {

const std::map<std::string, std::string>& Help() {
  static const std::map<std::string, std::string> kHelp = {
      {"seatkeeper_http_requests_total", "HTTP requests served, by method, route and status"},
      {"seatkeeper_actions_total", "Actions run through the API, by action and result"},
      {"seatkeeper_syncs_total", "Syncs finished, by result"},
      {"seatkeeper_zendesk_requests_total", "Requests to Zendesk made by syncs, by endpoint"},
      {"seatkeeper_zendesk_responses_total", "Responses from Zendesk during syncs, by HTTP status"},
      {"seatkeeper_zendesk_rate_limited_total", "429 responses from Zendesk during syncs"},
      {"seatkeeper_zendesk_rate_limit_remaining", "Last X-Rate-Limit-Remaining seen by a sync"},
      {"seatkeeper_zendesk_rate_limit", "Last X-Rate-Limit seen by a sync (requests per minute)"},
      {"seatkeeper_sync_running", "1 while a sync runs"},
      {"seatkeeper_sync_progress_ratio", "Progress of the running sync's phase, 0..1"},
      {"seatkeeper_sync_eta_seconds", "Estimated seconds left in the running sync's phase (-1 unknown)"},
      {"seatkeeper_sync_last_duration_seconds", "Duration of the last finished sync"},
      {"seatkeeper_sync_last_success_timestamp_seconds", "Unix time of the last successful sync"},
      {"seatkeeper_sessions", "Admin sessions in memory"},
  };
  return kHelp;
}

std::string Series(const std::string& name, const std::string& labels) {
  return labels.empty() ? name : name + "{" + labels + "}";
}

}  // namespace

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

void Metrics::Add(const std::string& name, const std::string& labels, int64_t n) {
  std::lock_guard lock(mu_);
  counters_[name][labels] += n;
}

void Metrics::Set(const std::string& name, const std::string& labels, double v) {
  std::lock_guard lock(mu_);
  gauges_[name][labels] = v;
}

std::string Metrics::Render() {
  std::lock_guard lock(mu_);
  std::ostringstream out;
  auto head = [&](const std::string& name, const char* type) {
    auto it = Help().find(name);
    if (it != Help().end()) out << "# HELP " << name << " " << it->second << "\n";
    out << "# TYPE " << name << " " << type << "\n";
  };
  for (const auto& [name, series] : counters_) {
    head(name, "counter");
    for (const auto& [labels, v] : series) out << Series(name, labels) << " " << v << "\n";
  }
  for (const auto& [name, series] : gauges_) {
    head(name, "gauge");
    for (const auto& [labels, v] : series) out << Series(name, labels) << " " << v << "\n";
  }
  return out.str();
}

}  // namespace sk::server
