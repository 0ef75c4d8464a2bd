#include "server/sync_runner.h"

#include <chrono>

#include "sync/connection_client.h"
#include "sync/sync.h"

namespace sk::server {

std::optional<DailyTime> ParseDailyTime(const std::string& s) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  for (int i : {0, 1, 3, 4})
    if (s[static_cast<size_t>(i)] < '0' || s[static_cast<size_t>(i)] > '9') return std::nullopt;
  DailyTime t;
  t.hour = (s[0] - '0') * 10 + (s[1] - '0');
  t.minute = (s[3] - '0') * 10 + (s[4] - '0');
  if (t.hour > 23 || t.minute > 59) return std::nullopt;
  return t;
}

UnixTime NextDailyRun(const Zone& zone, DailyTime at, UnixTime now) {
  const int64_t offset = at.hour * 3600 + at.minute * 60;
  for (DayNumber d = zone.DayOf(now) - 1;; ++d) {
    // StartOf handles a midnight lost to DST; the offset is wall-clock
    // minutes from it (an hour off on the two DST days, which is fine for a
    // daily sync).
    UnixTime t = zone.StartOf(d) + offset;
    if (t > now) return t;
  }
}

SyncRunner::SyncRunner(store::Store* store, std::string account, std::string ca_file, Metrics* metrics)
    : store_(store), account_(std::move(account)), ca_file_(std::move(ca_file)), metrics_(metrics) {}

SyncRunner::~SyncRunner() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
  if (worker_.joinable()) worker_.join();
}

bool SyncRunner::Start(const std::string& reason) {
  std::lock_guard lock(mu_);
  if (running_ || stopping_) return false;
  if (worker_.joinable()) worker_.join();  // the previous run has finished
  running_ = true;
  reason_ = reason;
  started_at_ = NowUnix();
  progress_ = sync::Progress{};
  progress_.phase = "starting";
  worker_ = std::thread([this, reason] { Run(reason); });
  return true;
}

bool SyncRunner::running() {
  std::lock_guard lock(mu_);
  return running_;
}

void SyncRunner::WaitIdle() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return !running_; });
}

void SyncRunner::Run(std::string reason) {
  Status status;
  auto conn = store_->GetConnection(account_);
  if (!conn.ok()) {
    status = conn.status();
  } else if (!*conn || (*conn)->state == "not-connected") {
    status = Refused("no Zendesk account is connected");
  } else {
    auto client = sync::MakeConnectionClient(**conn, store_, {ca_file_, nullptr, nullptr});
    sync::SyncOptions opts;
    opts.on_progress = [this](const sync::Progress& p) {
      std::lock_guard lock(mu_);
      progress_ = p;
    };
    auto started = std::chrono::steady_clock::now();
    auto report = sync::RunSync(*client, *store_, account_, opts);
    status = report.status();
    if (metrics_) {
      const auto& stats = client->stats();
      for (const auto& [endpoint, n] : stats.requests_by_endpoint)
        metrics_->Add("seatkeeper_zendesk_requests_total", "endpoint=\"" + Metrics::Label(endpoint) + "\"",
                      n);
      for (const auto& [code, n] : stats.responses_by_status)
        metrics_->Add("seatkeeper_zendesk_responses_total", "status=\"" + std::to_string(code) + "\"", n);
      metrics_->Add("seatkeeper_zendesk_rate_limited_total", "", stats.rate_limited);
      if (stats.account_remaining)
        metrics_->Set("seatkeeper_zendesk_rate_limit_remaining", "", *stats.account_remaining);
      if (stats.account_limit) metrics_->Set("seatkeeper_zendesk_rate_limit", "", *stats.account_limit);
      metrics_->Set("seatkeeper_sync_last_duration_seconds", "",
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      if (status.ok())
        metrics_->Set("seatkeeper_sync_last_success_timestamp_seconds", "", static_cast<double>(NowUnix()));
    }
  }
  if (metrics_)
    metrics_->Add("seatkeeper_syncs_total", std::string("result=\"") + (status.ok() ? "ok" : "error") + "\"");
  (void)reason;
  std::lock_guard lock(mu_);
  running_ = false;
  last_result_ = status.ok() ? "ok" : "error";
  last_error_ = status.ok() ? "" : status.message();
  last_finished_at_ = NowUnix();
  cv_.notify_all();
}

void SyncRunner::StartSchedule(DailyTime at) {
  std::lock_guard lock(mu_);
  if (scheduler_.joinable()) return;
  scheduler_ = std::thread([this, at] { ScheduleLoop(at); });
}

void SyncRunner::ScheduleLoop(DailyTime at) {
  std::optional<UnixTime> next;
  std::string zone_name;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    // The zone comes from the connection, which may change while we wait.
    auto conn = store_->GetConnection(account_);
    std::optional<Zone> zone;
    bool connected = conn.ok() && *conn && (*conn)->state != "not-connected";
    if (connected) {
      auto z = Zone::Named((*conn)->timezone);
      if (z.ok()) zone = *z;
    }
    const UnixTime now = NowUnix();
    bool due = false;
    if (zone) {
      if (!next || zone->name() != zone_name) {
        next = NextDailyRun(*zone, at, now);
        zone_name = zone->name();
      } else if (now >= *next) {
        due = true;
        next = NextDailyRun(*zone, at, now);
      }
    } else {
      next.reset();
    }
    if (due) Start("schedule");
    lock.lock();
    next_scheduled_at_ = next;
    cv_.wait_for(lock, std::chrono::seconds(20), [this] { return stopping_; });
  }
}

nlohmann::json SyncRunner::Snapshot() {
  std::lock_guard lock(mu_);
  nlohmann::json j = {{"running", running_}};
  if (running_) {
    j["reason"] = reason_;
    j["started_at"] = FormatIso(started_at_);
    j["phase"] = progress_.phase;
    j["pages"] = progress_.pages;
    j["records"] = progress_.records;
    j["fraction"] = progress_.fraction;
    j["eta_seconds"] = progress_.eta_seconds >= 0 ? nlohmann::json(progress_.eta_seconds) : nlohmann::json();
    j["elapsed_seconds"] = NowUnix() - started_at_;
  }
  j["last_result"] = last_result_.empty() ? nlohmann::json() : nlohmann::json(last_result_);
  j["last_error"] = last_error_.empty() ? nlohmann::json() : nlohmann::json(last_error_);
  j["last_finished_at"] = last_finished_at_ ? nlohmann::json(FormatIso(last_finished_at_)) : nlohmann::json();
  j["next_scheduled_at"] =
      next_scheduled_at_ ? nlohmann::json(FormatIso(*next_scheduled_at_)) : nlohmann::json();
  return j;
}

}  // namespace sk::server
