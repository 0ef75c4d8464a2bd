// worker: claims due syncs from the shared store and runs them (issue #8).
//
//   seatkeeper worker [--id NAME] [--lease-seconds 60] [--heartbeat-seconds 20] [--poll-seconds 10]
//                     [--retry-seconds 300] [--until-idle] [--max-syncs N] [--days N] [--json]
//   seatkeeper worker status [--json]       # every account: due, lease holder, successes, failures
//   seatkeeper worker request                # asks for a sync of --account at the next opportunity
//
// With SEATKEEPER_DB=postgresql://... any number of workers on any number of
// machines share the queue (FOR UPDATE SKIP LOCKED leases); with the embedded
// SQLite store, workers on one machine share it through SQLite's single writer.
// SIGTERM/SIGINT: the current sync finishes, then the worker exits.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <nlohmann/json.hpp>

#include "cli/context.h"
#include "cli/table.h"
#include "notify/notify.h"
#include "store/open.h"
#include "store/postgres_store.h"
#include "store/sync_queue.h"
#include "sync/worker.h"

namespace sk::cli {
namespace {

std::atomic<bool> g_stop{false};
extern "C" void OnStopSignal(int) {
  g_stop = true;
}

Status RunWorkerCommand(Context& ctx, sync::WorkerOptions o) {
  SK_ASSIGN_OR_RETURN(auto* st, ctx.Store());
  SK_ASSIGN_OR_RETURN(auto queue, store::OpenSyncQueue(ctx.home));
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  o.should_stop = [] { return g_stop.load(); };
  o.on_lease_lost = ExitOnLostLease;
  o.after_sync = [st](const std::string& account) { notify::Flush(*st, account); };
  o.open_store = [home = ctx.home] { return store::OpenStore(home); };
  auto make_client = [&ctx](const store::Connection& c) { return ctx.MakeClient(c); };
  SK_ASSIGN_OR_RETURN(auto report, sync::RunWorker(*st, *queue, make_client, o));
  if (ctx.json) {
    *ctx.out << nlohmann::json{{"worker", o.id},
                               {"synced", report.synced},
                               {"failed", report.failed},
                               {"accounts", report.accounts}}
                    .dump(2)
             << "\n";
  } else {
    *ctx.out << "Worker " << o.id << ": " << report.synced << " synced, " << report.failed << " failed.\n";
  }
  return Status::Ok();
}

Status ShowStatus(Context& ctx) {
  SK_RETURN_IF_ERROR(ctx.Store().status());
  SK_ASSIGN_OR_RETURN(auto queue, store::OpenSyncQueue(ctx.home));
  SK_ASSIGN_OR_RETURN(auto entries, queue->List(NowUnix()));
  if (ctx.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& e : entries)
      arr.push_back(
          {{"account", e.account},
           {"url", e.url},
           {"state", e.state},
           {"last_sync_at", e.last_sync_at ? nlohmann::json(FormatIso(*e.last_sync_at)) : nlohmann::json()},
           {"due", e.due},
           {"lease_owner", e.owner.empty() ? nlohmann::json() : nlohmann::json(e.owner)},
           {"successes", e.successes},
           {"failures", e.failures},
           {"last_result", e.last_result}});
    *ctx.out << arr.dump(2) << "\n";
    return Status::Ok();
  }
  Table t({"ACCOUNT", "STATE", "LAST SYNC", "DUE", "LEASE", "OK", "FAILED", "LAST RESULT"});
  for (const auto& e : entries)
    t.Add({e.account, e.state, e.last_sync_at ? FormatIso(*e.last_sync_at) : "never", e.due ? "yes" : "no",
           e.owner.empty() ? "-" : e.owner, std::to_string(e.successes), std::to_string(e.failures),
           e.last_result.substr(0, 60)});
  t.Print(*ctx.out);
  return Status::Ok();
}

Status RequestSync(Context& ctx) {
  SK_RETURN_IF_ERROR(ctx.RequireConnection().status());
  SK_ASSIGN_OR_RETURN(auto queue, store::OpenSyncQueue(ctx.home));
  SK_RETURN_IF_ERROR(queue->RequestSync(ctx.account));
  if (ctx.json)
    *ctx.out << nlohmann::json{{"account", ctx.account}, {"queued", true}}.dump(2) << "\n";
  else
    *ctx.out << "Sync of " << ctx.account << " queued; a running `seatkeeper worker` picks it up.\n";
  return Status::Ok();
}

}  // namespace

void RegisterWorkerCommand(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<sync::WorkerOptions>();
  auto days = std::make_shared<int>(0);
  auto* worker =
      app.add_subcommand("worker", "Claim due syncs from the shared store and run them (scale-out)");
  worker->add_option("--id", o->id, "Worker name in leases and logs (default host:pid)");
  worker->add_option("--lease-seconds", o->lease_seconds, "A lease not renewed for this long is taken over")
      ->check(CLI::Range(2, 3600));
  worker->add_option("--heartbeat-seconds", o->heartbeat_seconds, "Lease renewal period")
      ->check(CLI::Range(1, 1800));
  worker->add_option("--poll-seconds", o->poll_seconds, "Wait between looks when nothing is due")
      ->check(CLI::Range(1, 3600));
  worker->add_option("--retry-seconds", o->retry_seconds, "Wait before retrying a failed account")
      ->check(CLI::Range(0, 86400));
  worker->add_flag("--until-idle", o->until_idle, "Exit when no account is due");
  worker
      ->add_option("--concurrency", o->concurrency, "Accounts synced at once, each on its own thread (1..64)")
      ->check(CLI::Range(1, 64));
  worker->add_option("--max-syncs", o->max_syncs, "Exit after this many syncs")
      ->check(CLI::Range(0, 1000000));
  worker->add_option("--days", *days, "Usage window in days (default: each connection's)")
      ->check(CLI::Range(1, 3650));
  worker->add_flag("--json", ctx.json, "JSON output");
  auto* status = worker->add_subcommand("status", "Every account: due, lease holder, results");
  status->add_flag("--json", ctx.json, "JSON output");
  status->callback([&ctx] { ctx.Finish(ShowStatus(ctx)); });
  auto* request = worker->add_subcommand("request", "Queue a sync of --account for the workers");
  request->add_flag("--json", ctx.json, "JSON output");
  request->callback([&ctx] { ctx.Finish(RequestSync(ctx)); });
  worker->require_subcommand(0, 1);
  worker->callback([&ctx, worker, o, days] {
    if (!worker->get_subcommands().empty()) return;
    sync::WorkerOptions opts = *o;
    if (*days > 0) opts.days = *days;
    if (opts.id.empty()) opts.id = sync::DefaultWorkerId();
    ctx.Finish(RunWorkerCommand(ctx, opts));
  });
}

}  // namespace sk::cli
