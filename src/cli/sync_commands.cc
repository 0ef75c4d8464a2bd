// sync: users and usage, resuming where an earlier run stopped.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <nlohmann/json.hpp>

#include "cli/context.h"
#include "notify/notify.h"
#include "store/sync_queue.h"
#include "sync/coverage.h"
#include "sync/sync.h"
#include "sync/worker.h"
#include "util/process.h"
#include "util/text.h"

namespace sk::cli {
namespace {

std::string Duration(double s) {
  if (s < 0) return "?";
  long v = std::lround(s);
  if (v < 60) return std::to_string(v) + "s";
  if (v < 3600) return std::to_string(v / 60) + "m" + std::to_string(v % 60) + "s";
  return std::to_string(v / 3600) + "h" + std::to_string((v % 3600) / 60) + "m";
}

// Claims the account's lease for a sync run here. A lease left by a process
// of this machine that has died (a killed `seatkeeper sync`) is ended first;
// one a live process holds is a clear error (exit 1): that process is syncing.
Result<store::Lease> ClaimForeground(store::SyncQueue& queue, const std::string& account,
                                     const sync::WorkerOptions& wo) {
  SK_ASSIGN_OR_RETURN(auto lease, queue.ClaimAccount(account, wo.id, wo.lease_seconds));
  if (lease) return std::move(*lease);
  SK_ASSIGN_OR_RETURN(auto entries, queue.List(NowUnix()));
  std::string holder;
  for (const auto& e : entries)
    if (e.account == account) holder = e.owner;
  if (!holder.empty() && LocalProcessIsGone(holder)) {
    SK_RETURN_IF_ERROR(queue.ExpireLease(account, holder));
    SK_ASSIGN_OR_RETURN(lease, queue.ClaimAccount(account, wo.id, wo.lease_seconds));
    if (lease) return std::move(*lease);
  }
  return Status(
      Code::kConflict,
      "account '" + account + "' is being synced by another process (" +
          (holder.empty() ? std::string("one syncing the same Zendesk under another name") : holder) +
          "); its results land in the same store. Wait for it to end, or use `seatkeeper sync --queue`");
}

// A foreground `seatkeeper sync` holds the account's lease as "cli:<host>:<pid>"
// and prints its own error line (no worker "failed ... retry" log line).
sync::WorkerOptions ForegroundWorker() {
  sync::WorkerOptions wo;
  wo.id = ProcessName("cli");
  wo.on_lease_lost = ExitOnLostLease;
  wo.log_failure = false;
  return wo;
}

// sync --json.
nlohmann::json SyncJson(const sync::SyncReport& r, int64_t requests) {
  nlohmann::json skipped = nlohmann::json::array();
  for (const auto& [n, why] : r.sources_skipped) skipped.push_back({{"source", n}, {"reason", why}});
  nlohmann::json walk = nullptr;  // the part of the window read from the account-wide audit list
  if (r.audit_walk) {
    walk = {{"from", FormatIso(r.audit_walk->first)}, {"until", FormatIso(r.audit_walk->second)}};
    if (const auto& h = r.audit_walk_hidden) {
      // Tickets the audit list left out, read from the ticket event export.
      nlohmann::json read = nlohmann::json::array();
      for (const auto& [f, u] : h->read) read.push_back({{"from", FormatIso(f)}, {"until", FormatIso(u)}});
      walk["hidden_tickets"] = {{"tickets", h->tickets}, {"read", read}};
      if (!h->refused.empty()) walk["hidden_tickets"]["refused"] = h->refused;
    }
  } else if (r.audit_walk_off) {
    walk = {{"unavailable", true}};
  } else if (!r.audit_walk_skipped.empty()) {
    walk = {{"skipped", r.audit_walk_skipped}};  // the ticket event export read its part
  }
  nlohmann::json out{{"state", "synced"},
                     {"users", r.users},
                     {"users_marked_deleted", r.users_marked_deleted},
                     {"sources", r.sources_run},
                     {"skipped", skipped},
                     {"requests", requests},
                     {"requests_by_endpoint", r.requests_by_endpoint},
                     {"rate_limited", r.rate_limited},
                     {"ticket_audits", walk},
                     {"coverage", sync::CoverageSummaryJson(r.coverage)},
                     {"seconds", r.seconds}};
  // The first sync's word on the provisional seat verdict: confirmed, or what changed.
  if (r.seat_verdict) out["seat_verdict"] = sync::ConfirmationSummaryJson(*r.seat_verdict);
  return out;
}

// The first sync's confirmation of the provisional seat verdict, in the text summary.
void PrintSeatVerdict(const sync::VerdictConfirmation& c, std::ostream& out) {
  out << "Seat verdict confirmed: " << c.unchanged << " of " << c.compared
      << " provisional verdicts unchanged by the backfill" << sync::ChangesText(c, "; ");
}

Status Sync(Context& ctx, std::optional<int> days, bool queue, bool sequential) {
  SK_ASSIGN_OR_RETURN(auto conn, ctx.RequireConnection());
  if (queue) {  // leave it to `seatkeeper worker`
    SK_ASSIGN_OR_RETURN(auto* st, ctx.Store());
    SK_RETURN_IF_ERROR(st->PutValue(ctx.account, "sync_requested", "1"));
    *ctx.out << "Sync of account '" << ctx.account << "' queued for the workers.\n";
    return Status::Ok();
  }
  SK_ASSIGN_OR_RETURN(auto client, ctx.MakeClient(conn));
  SK_ASSIGN_OR_RETURN(auto* st, ctx.Store());
  sync::SyncOptions opts;
  opts.days = days;
  opts.sequential = sequential;
  bool tty = isatty(STDERR_FILENO);
  std::ostream* err = ctx.err;
  if (tty) {
    opts.on_progress = [err](const sync::Progress& p) {
      *err << "\r\033[K" << p.phase << ": " << p.pages << " requests, " << p.records << " records";
      if (p.fraction > 0) *err << ", " << std::lround(p.fraction * 100) << "%";
      if (p.eta_seconds >= 0) *err << ", ETA " << Duration(p.eta_seconds);
      *err << std::flush;
    };
  }
  // The account's lease, the one workers and web servers take: one process
  // at a time syncs a Zendesk account, so its rate limit is shared.
  SK_ASSIGN_OR_RETURN(auto sync_queue, store::OpenSyncQueue(ctx.home));
  sync::WorkerOptions wo = ForegroundWorker();
  wo.after_sync = [st](const std::string& account) { notify::Flush(*st, account); };
  SK_ASSIGN_OR_RETURN(auto lease, ClaimForeground(*sync_queue, ctx.account, wo));
  Result<sync::SyncReport> report = Internal("sync did not run");
  Status synced = sync::SyncUnderLease(*sync_queue, lease, wo, [&](const std::string& run_id) -> Status {
    opts.run_id = run_id;
    report = sync::RunSync(*client, *st, ctx.account, opts);
    return report.status();
  });
  if (tty) *err << "\r\033[K";
  SK_RETURN_IF_ERROR(synced);
  int64_t requests = 0;
  for (const auto& [k, v] : report->requests_by_endpoint) requests += v;
  if (ctx.json) {
    *ctx.out << SyncJson(*report, requests).dump(2) << "\n";
    return Status::Ok();
  }
  *ctx.out << "Synced " << report->users << " users and usage (" << requests << " requests, "
           << Duration(report->seconds) << ").\n";
  for (const auto& [n, why] : report->sources_skipped)
    *ctx.out << "  skipped " << n << ": " << TerminalSafe(why) << "\n";
  if (report->seat_verdict) PrintSeatVerdict(*report->seat_verdict, *ctx.out);
  *ctx.out << "Next: seatkeeper users | seatkeeper usage | seatkeeper seats --inactive-days 30\n";
  return Status::Ok();
}

}  // namespace

void RegisterSyncCommands(CLI::App& app, Context& ctx) {
  auto days = std::make_shared<std::optional<int>>();
  auto* sync = app.add_subcommand("sync", "Sync users and usage; resumes where it stopped");
  sync->add_option_function<int>(
          "--days", [days](const int& d) { *days = d; }, "Usage window in days (default 90)")
      ->check(CLI::Range(1, 3650));
  auto queue = std::make_shared<bool>(false);
  sync->add_flag("--queue", *queue, "Queue the sync for `seatkeeper worker` instead of running it here");
  auto sequential = std::make_shared<bool>(false);
  sync->add_flag(
      "--sequential", *sequential,
      "Read one source after another on one connection instead of every rate-limit bucket at once");
  sync->add_flag("--json", ctx.json, "JSON output");
  sync->callback([&ctx, days, queue, sequential] { ctx.Finish(Sync(ctx, *days, *queue, *sequential)); });
}

}  // namespace sk::cli
