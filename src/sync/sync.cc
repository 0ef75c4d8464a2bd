// One sync of a connected account.
//
// Overlapped (the default, issue #19): the sources run in lanes, one thread
// per rate-limit bucket (UsageSourceLanes: ticket activity on the incremental
// exports and, for the audit walk, the account budget, with the deleted-ticket
// list between its phases; users on the user export's bucket and the staff
// list; the audit log's sign-ins on the account budget; Help Center articles
// on its own), all at once, so each bucket is kept busy while the others wait
// for answers or for their own limits. Every lane shares the one Client (thread-safe: one
// connection per call in flight, one rate limiter per bucket shared by the
// lanes that draw on it, the account budget among them) and the one Store
// (thread-safe: its writer mutex serialises the page transactions, SQLite and
// PostgreSQL alike; reads go through the SQLite engine's reader pool).
//
// Order kept: within a lane, the steps run one after another as in the
// sequential sync, each with its own checkpoints. Across lanes, the only
// dependency is who changed a user (the audit log), read after the user pass
// has read every user: both are in the users lane, in that order. The
// SyncContext fields a source writes (audit_walk*, ticket_events_read_until,
// coverage) are written by the ticket activity lane alone and read after
// every lane is done. No two lanes write the same activity rows (the event
// export and the deleted-ticket list do, so they share a lane; sign-ins from
// the audit log and last_login_at moves are different kinds), and the store
// moves a user's active days when the user pass stores them after their
// activity, so the result is the sequential sync's, evidence ids included. The provisional
// seat verdict runs before the lanes, its confirmation after them.
//
// A failing lane (an error after its retries, a 401 that cannot be renewed)
// cancels the client: the other lanes stop before their next request (pacing
// and retry waits are cut short), everything already committed stays, and the
// sync fails with the first failure's message and exit code. Ctrl-C ends the
// process as before; every page committed before it stays.
#include "sync/sync.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "store/credential_warnings.h"
#include "sync/after_sync.h"
#include "util/log.h"

namespace sk::sync {

Result<SyncContext> MakeContext(zendesk::Client& client, store::Store& store, const store::Connection& conn,
                                UnixTime now, int days) {
  if (days < 1 || days > 3650) return InvalidArgument("--days must be between 1 and 3650");
  SK_ASSIGN_OR_RETURN(Zone zone, Zone::Named(conn.timezone));
  SyncContext ctx;
  ctx.client = &client;
  ctx.store = &store;
  ctx.conn = conn;
  ctx.conn.window_days = days;
  ctx.zone = zone;
  ctx.now = now;
  ctx.today = zone.DayOf(now);
  ctx.first_day = ctx.today - days + 1;
  ctx.window_start = zone.StartOf(ctx.first_day);
  ctx.run_id = std::to_string(now) + "-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  auto caps = nlohmann::json::parse(conn.capabilities_json, nullptr, false);
  bool high_volume = caps.is_object() && caps.value("high_volume", false);
  ctx.incremental_per_minute = (high_volume || conn.plan == "enterprise-plus") ? 30 : 10;
  SK_ASSIGN_OR_RETURN(ctx.own_writes, store.OwnWrites(conn.account));
  return ctx;
}

namespace {

// A source's step: skipped (with why) when the account cannot provide it.
Status RunSource(SyncContext& ctx, Source& source, std::vector<std::string>* run,
                 std::vector<std::pair<std::string, std::string>>* skipped) {
  std::string why;
  if (!source.Available(ctx, &why)) {
    spdlog::info("source {} skipped: {}", source.name(), why);
    skipped->emplace_back(source.name(), why);
    return Status::Ok();
  }
  spdlog::debug("source {} started", source.name());
  Status st = source.Run(ctx);
  if (!st.ok()) return st.With(std::string("reading ") + source.name());
  run->push_back(source.name());
  return Status::Ok();
}

// The user pass, the usage sources, the periodic full user pass: one after another.
Status RunSequential(SyncContext& ctx, SyncReport* report) {
  Status st = SyncUsers(ctx, &report->users, &report->users_marked_deleted);
  spdlog::debug("users synced: {} seen, {} marked deleted", report->users, report->users_marked_deleted);
  if (!st.ok()) return st.With("syncing users");
  for (auto& source : UsageSources())
    SK_RETURN_IF_ERROR(RunSource(ctx, *source, &report->sources_run, &report->sources_skipped));
  // The periodic full user pass comes after the day's usage (issue #19).
  auto full = SyncUsersFullIfDue(ctx, &report->users, &report->users_marked_deleted);
  if (!full.ok()) return full.status().With("syncing users (full pass)");
  return Status::Ok();
}

// Every lane on its own thread (see the top of this file); the first failure.
Status RunOverlapped(SyncContext& ctx, SyncReport* report) {
  std::vector<SourceLane> lanes = UsageSourceLanes();
  struct LaneResult {
    std::vector<std::string> run;
    std::vector<std::pair<std::string, std::string>> skipped;
    int64_t users = 0, marked_deleted = 0;
  };
  std::vector<LaneResult> results(lanes.size());
  std::mutex mu;  // failure, progress
  std::optional<Status> failure;
  auto on_progress = ctx.on_progress;
  if (on_progress)
    ctx.on_progress = [&mu, on_progress](const Progress& p) {
      std::lock_guard lk(mu);
      on_progress(p);
    };
  const auto fields = log::CurrentFields();
  auto run_lane = [&](size_t i) {
    log::Scope scope(fields);
    SourceLane& lane = lanes[i];
    LaneResult& out = results[i];
    auto step = [&]() -> Status {
      if (lane.name == "users") {
        Status st = SyncUsers(ctx, &out.users, &out.marked_deleted);
        spdlog::debug("users synced: {} seen, {} marked deleted", out.users, out.marked_deleted);
        if (!st.ok()) return st.With("syncing users");
      }
      for (auto& source : lane.sources) SK_RETURN_IF_ERROR(RunSource(ctx, *source, &out.run, &out.skipped));
      if (lane.name == "users") {
        auto full = SyncUsersFullIfDue(ctx, &out.users, &out.marked_deleted);
        if (!full.ok()) return full.status().With("syncing users (full pass)");
      }
      return Status::Ok();
    };
    Status st = Status::Ok();
    try {
      st = step();
    } catch (const std::exception& e) {  // on the calling thread it would end the sync the same way
      st = Status(Code::kInternal, std::string("lane ") + lane.name + ": " + e.what());
    }
    if (st.ok()) return;
    std::lock_guard lk(mu);
    if (failure) return;  // stopped by the first failure, or a second one
    failure = st;
    spdlog::debug("lane {} failed: stopping the other lanes", lane.name);
    ctx.client->Cancel("stopped: another part of the sync failed");
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < lanes.size(); ++i) threads.emplace_back(run_lane, i);
  run_lane(0);
  for (auto& t : threads) t.join();
  ctx.client->ClearCancel();
  ctx.on_progress = on_progress;
  if (failure) return *failure;
  // The report lists sources in the sequential order, whichever lane ran them.
  std::vector<std::string> order;
  for (const auto& s : UsageSources()) order.push_back(s->name());
  auto rank = [&](const std::string& name) {
    return std::find(order.begin(), order.end(), name) - order.begin();
  };
  for (auto& r : results) {
    report->users += r.users;
    report->users_marked_deleted += r.marked_deleted;
    for (auto& n : r.run) report->sources_run.push_back(n);
    for (auto& n : r.skipped) report->sources_skipped.push_back(n);
  }
  std::stable_sort(report->sources_run.begin(), report->sources_run.end(),
                   [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
  std::stable_sort(report->sources_skipped.begin(), report->sources_skipped.end(),
                   [&](const auto& a, const auto& b) { return rank(a.first) < rank(b.first); });
  return Status::Ok();
}

}  // namespace

Result<SyncReport> RunSync(zendesk::Client& client, store::Store& store, const std::string& account,
                           const SyncOptions& options) {
  auto started = std::chrono::steady_clock::now();
  SK_ASSIGN_OR_RETURN(auto maybe_conn, store.GetConnection(account));
  if (!maybe_conn) return Refused("no Zendesk account is connected: run `seatkeeper connect` first");
  store::Connection conn = *maybe_conn;
  int days = options.days.value_or(conn.window_days);
  SK_ASSIGN_OR_RETURN(SyncContext ctx, MakeContext(client, store, conn, NowUnix(), days));
  ctx.on_progress = options.on_progress;
  if (!options.run_id.empty()) ctx.run_id = options.run_id;
  log::Scope scope({{"account", account}, {"run_id", ctx.run_id}});
  spdlog::info("sync started: window {} to {} ({}, {} days)", FormatDay(ctx.first_day), FormatDay(ctx.today),
               ctx.zone.name(), days);

  SK_RETURN_IF_ERROR(store.SetState(account, "syncing", ""));
  SyncReport report;
  auto fail = [&](Status s) -> Status {
    // A 400 from Zendesk is not the caller's usage error (exit 2): report it as
    // a failed sync (exit 1).
    if (s.code() == Code::kInvalidArgument) s = Status(Code::kBadResponse, s.message());
    // An API token Zendesk switched off (unused for 30 days, or all of them
    // since 2027-04-30) cannot be turned back on: say so and how to reconnect.
    // The log line keeps the short reason; the hint goes to the state and the caller.
    spdlog::error("sync failed: {}", s.message());
    if (s.code() == Code::kUnauthenticated && conn.auth_kind == "api_token") {
      s = Status(Code::kUnauthenticated, s.message() +
                                             ". The API token may be switched off (unused 30 days; all end "
                                             "2027-04-30): reconnect with OAuth: " +
                                             store::ReconnectCommand(conn));
    }
    (void)store.SetState(account, "error", s.message());
    return s;
  };
  // A first sync answers "which seats are idle" provisionally before its backfill (issue #19).
  ProvisionalVerdictIfFirstSync(ctx);
  const char* env_sequential = std::getenv("SEATKEEPER_SYNC_SEQUENTIAL");
  const bool sequential = options.sequential || (env_sequential && std::string(env_sequential) == "1");
  Status st = sequential ? RunSequential(ctx, &report) : RunOverlapped(ctx, &report);
  if (!st.ok()) return fail(st);
  // Not PutConnection: the tokens may have been rotated meanwhile, by this
  // client or another process, and must stay as stored.
  // The backfill is complete: confirm the provisional seat verdict or say what changed.
  auto confirmed = ConfirmSeatVerdicts(ctx);
  if (!confirmed.ok()) return fail(confirmed.status().With("confirming the seat verdict"));
  report.seat_verdict = std::move(confirmed).value();
  SK_RETURN_IF_ERROR(store.FinishSync(account, ctx.now, days));
  RunAfterSyncHook(client, store, account);  // reclaim policies (src/policy)
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  report.requests_by_endpoint = client.stats().requests_by_endpoint;
  report.rate_limited = client.stats().rate_limited;
  report.audit_walk = ctx.audit_walk;
  report.audit_walk_off = ctx.audit_walk_off;
  report.audit_walk_skipped = ctx.audit_walk_skipped;
  report.coverage = ctx.coverage;
  report.audit_walk_hidden = ctx.audit_walk_hidden;
  int64_t requests = 0;
  for (const auto& [k, v] : report.requests_by_endpoint) requests += v;
  spdlog::info("sync finished: {} users, {} requests, {} rate limited, {:.1f} s", report.users, requests,
               report.rate_limited, report.seconds);
  return report;
}

}  // namespace sk::sync
