#include "sync/sync.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>

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
  Status st = SyncUsers(ctx, &report.users, &report.users_marked_deleted);
  spdlog::debug("users synced: {} seen, {} marked deleted", report.users, report.users_marked_deleted);
  if (!st.ok()) return fail(st.With("syncing users"));
  for (auto& source : UsageSources()) {
    std::string why;
    if (!source->Available(ctx, &why)) {
      spdlog::info("source {} skipped: {}", source->name(), why);
      report.sources_skipped.emplace_back(source->name(), why);
      continue;
    }
    spdlog::debug("source {} started", source->name());
    st = source->Run(ctx);
    if (!st.ok()) return fail(st.With(std::string("reading ") + source->name()));
    report.sources_run.push_back(source->name());
  }
  // The periodic full user pass comes after the day's usage (issue #19).
  auto full = SyncUsersFullIfDue(ctx, &report.users, &report.users_marked_deleted);
  if (!full.ok()) return fail(full.status().With("syncing users (full pass)"));
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
