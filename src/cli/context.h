// Shared state of one `seatkeeper` invocation: where the home folder is,
// which account, output mode, and lazily opened store and Zendesk client.
// Subcommand files register their commands on the CLI11 app and report
// their outcome through Finish().
#pragma once

#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "store/store.h"
#include "store/sync_queue.h"
#include "util/status.h"
#include "zendesk/client.h"

namespace CLI {
class App;
}
namespace sk::reports {
struct Report;
}

namespace sk::cli {

struct Context {
  std::string home;  // SEATKEEPER_HOME or ~/.seatkeeper
  std::string account = "default";
  std::string actor;  // "cli:<login user>" for the audit trail
  bool json = false;
  std::ostream* out = &std::cout;
  std::ostream* err = &std::cerr;
  int exit_code = 0;
  // `serve`: a long-running process with many concurrent readers (the store
  // maps its file for them, store::OpenOptions); set before Store().
  bool serving = false;

  // Opens (creating if needed) SEATKEEPER_HOME/seatkeeper.db.
  Result<store::Store*> Store();
  // The stored connection; kRefused with a "run seatkeeper connect" hint when absent.
  Result<store::Connection> RequireConnection();
  // A client for the connection; rotated OAuth tokens are persisted to the store.
  Result<std::unique_ptr<zendesk::Client>> MakeClient(const store::Connection& c);

  // Prints the error (if any) to err and sets exit_code from it (spec §6).
  void Finish(const Status& s);
  // A warning for the user on err ("warning: ..."); a log line with --log-format json.
  void Warn(const std::string& w);

 private:
  std::unique_ptr<store::Store> store_;
};

// Each file under src/cli registers its subcommands here (one line in app.cc).
// The lease-lost handler of every syncing command (sync, worker, serve):
// another process owns the account now, so stop writing at once (exit 75).
// Everything committed so far is consistent (pages commit with their
// checkpoints); a supervisor restarts a server or worker.
[[noreturn]] void ExitOnLostLease(const store::Lease& lease);

// The check of --account and --name (CLI11 validator shape): "" when `name`
// can name an account, else why not (the web API refuses other names).
std::string AccountNameError(std::string& name);

// The command that `words` without its last names under `app` (the parent
// of `words`' command): each word an existing command (registered earlier)
// or a new group described by describe(word) that requires a subcommand.
CLI::App* ParentCommand(CLI::App& app, const std::vector<std::string>& words,
                        const std::function<std::string(const std::string&)>& describe);

void RegisterConnectCommands(CLI::App& app, Context& ctx);  // connect, status, capabilities
void RegisterSyncCommands(CLI::App& app, Context& ctx);     // sync
void RegisterReportCommands(CLI::App& app, Context& ctx);   // every report of src/reports/registry.h
// The commands of `reports` (RegisterReportCommands: the registry's); they
// must outlive `app`.
void AddReportCommands(CLI::App& app, Context& ctx, const std::vector<reports::Report>& reports);
void RegisterActionCommands(CLI::App& app, Context& ctx);  // every action of src/actions/registry.h
void RegisterServeCommands(CLI::App& app, Context& ctx);  // serve, admin set-password
void RegisterRekeyCommand(CLI::App& app, Context& ctx);   // rekey
void RegisterWorkerCommand(CLI::App& app, Context& ctx);  // worker, worker status, worker request
void RegisterNotifyCommands(CLI::App& app, Context& ctx);  // notify set, show, clear, test, deliver

}  // namespace sk::cli
