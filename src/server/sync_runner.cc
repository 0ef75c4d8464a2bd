#include "server/sync_runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "notify/notify.h"
#include "sync/connection_client.h"
#include "sync/sync.h"
#include "sync/worker.h"
#include "util/log.h"

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

namespace {

std::string AccountLabel(const std::string& account) {
  return "account=\"" + Metrics::Label(account) + "\"";
}

}  // namespace

SyncRunner::SyncRunner(store::Store* store, SyncRunnerOptions options, Metrics* metrics)
    : store_(store), opt_(std::move(options)), metrics_(metrics) {
  if (opt_.lease_owner.empty()) opt_.lease_owner = "web:" + sync::DefaultWorkerId();
}

SyncRunner::~SyncRunner() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

bool SyncRunner::Start(const std::string& reason) {
  std::unique_lock lock(mu_);
  if (running_ || stopping_) return false;
  running_ = true;  // reserved while the lease is claimed without the lock
  lock.unlock();
  std::optional<store::Lease> lease;
  std::string refused;
  auto conn = store_->GetConnection(opt_.account);
  const bool connected = conn.ok() && *conn && (*conn)->state != "not-connected";
  // Not connected: the run fails at once with the reason, as without a queue.
  if (opt_.queue && connected) {
    auto claimed = opt_.queue->ClaimAccount(opt_.account, opt_.lease_owner, opt_.lease_seconds);
    if (!claimed.ok()) {
      refused = "cannot claim the sync lease: " + claimed.status().message();
    } else if (!*claimed) {
      refused = "another process (a worker or web server) is syncing this Zendesk account";
    } else {
      lease = **claimed;
    }
  }
  lock.lock();
  if (!refused.empty()) {
    spdlog::info("{} sync of {} not started: {}", reason, opt_.account, refused);
    if (metrics_) metrics_->Add("seatkeeper_sync_refused_total", AccountLabel(opt_.account));
    running_ = false;
    refused_ = refused;
    cv_.notify_all();
    return false;
  }
  if (worker_.joinable()) worker_.join();  // the previous run has finished
  refused_.clear();
  reason_ = reason;
  started_at_ = NowUnix();
  progress_ = sync::Progress{};
  progress_.phase = "starting";
  worker_ = std::thread([this, reason, lease] { Run(reason, lease); });
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

Status SyncRunner::SyncOnce(const std::string& run_id) {
  SK_ASSIGN_OR_RETURN(auto conn, store_->GetConnection(opt_.account));
  if (!conn || conn->state == "not-connected") return Refused("no Zendesk account is connected");
  auto client = sync::MakeConnectionClient(*conn, store_, {opt_.ca_file, nullptr, nullptr});
  sync::SyncOptions so;
  so.run_id = run_id;
  so.on_progress = [this](const sync::Progress& p) {
    std::lock_guard lock(mu_);
    progress_ = p;
  };
  auto started = std::chrono::steady_clock::now();
  Status status = sync::RunSync(*client, *store_, opt_.account, so).status();
  if (metrics_) {
    const std::string account = AccountLabel(opt_.account);
    RecordClientStats(*metrics_, opt_.account, client->stats());
    metrics_->Set("seatkeeper_sync_last_duration_seconds", account,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    if (status.ok())
      metrics_->Set("seatkeeper_sync_last_success_timestamp_seconds", account,
                    static_cast<double>(store::WallMillis() / 1000));
  }
  return status;
}

void SyncRunner::Run(std::string reason, std::optional<store::Lease> lease) {
  Status status;
  if (lease) {
    sync::WorkerOptions wo;
    wo.lease_seconds = opt_.lease_seconds;
    wo.heartbeat_seconds = opt_.heartbeat_seconds;
    wo.on_lease_lost = opt_.on_lease_lost;
    status = sync::SyncUnderLease(*opt_.queue, *lease, wo,
                                  [this](const std::string& run_id) { return SyncOnce(run_id); });
  } else {
    const std::string run_id = log::NewRunId();
    log::Scope scope({{"account", opt_.account}, {"run_id", run_id}});
    status = SyncOnce(run_id);
  }
  notify::Flush(*store_, opt_.account);
  if (metrics_)
    metrics_->Add("seatkeeper_syncs_total",
                  AccountLabel(opt_.account) + ",result=\"" + (status.ok() ? "ok" : "error") + "\"");
  (void)reason;
  std::lock_guard lock(mu_);
  running_ = false;
  last_result_ = status.ok() ? "ok" : "error";
  last_error_ = status.ok() ? "" : status.message();
  last_finished_at_ = NowUnix();
  cv_.notify_all();
}

void SyncRunner::ScheduleTick(DailyTime at) {
  // The zone comes from the connection, which may change between ticks.
  auto conn = store_->GetConnection(opt_.account);
  std::optional<Zone> zone;
  const bool connected = conn.ok() && *conn && (*conn)->state != "not-connected";
  if (connected) {
    auto z = Zone::Named((*conn)->timezone);
    if (z.ok()) zone = *z;
  }
  const UnixTime now = NowUnix();
  bool due = false;
  {
    std::lock_guard lock(mu_);
    if (zone) {
      if (!next_scheduled_at_ || zone->name() != schedule_zone_) {
        next_scheduled_at_ = NextDailyRun(*zone, at, now);
        schedule_zone_ = zone->name();
      } else if (now >= *next_scheduled_at_) {
        due = true;
        next_scheduled_at_ = NextDailyRun(*zone, at, now);
      }
    } else {
      next_scheduled_at_.reset();
    }
  }
  if (due) Start("schedule");
  // Notifications of actions taken on the web app, and retries, about once a
  // minute (a sync's own outcome is sent when it ends).
  if (connected && now - last_notify_at_ >= 60) {
    last_notify_at_ = now;
    notify::Flush(*store_, opt_.account);
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
  j["refused"] = refused_.empty() ? nlohmann::json() : nlohmann::json(refused_);
  return j;
}

}  // namespace sk::server
