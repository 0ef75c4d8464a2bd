#include "cli/context.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cstdlib>

#include "store/postgres_store.h"
#include "sync/connection_client.h"
#include "util/log.h"
#include "util/text.h"

namespace sk::cli {

Result<store::Store*> Context::Store() {
  if (!store_) {
    ::mkdir(home.c_str(), 0700);
    // SEATKEEPER_DB=postgresql://... selects PostgreSQL; else SEATKEEPER_HOME/seatkeeper.db.
    SK_ASSIGN_OR_RETURN(store_, store::OpenStore(home, {.mapped_reads = serving}));
  }
  return store_.get();
}

Result<store::Connection> Context::RequireConnection() {
  SK_ASSIGN_OR_RETURN(auto* st, Store());
  SK_ASSIGN_OR_RETURN(auto conn, st->GetConnection(account));
  if (!conn || conn->state == "not-connected")
    return Refused("no Zendesk account is connected (account '" + account +
                   "'): run `seatkeeper connect --url https://<subdomain>.zendesk.com ...` first");
  return *conn;
}

Result<std::unique_ptr<zendesk::Client>> Context::MakeClient(const store::Connection& c) {
  SK_ASSIGN_OR_RETURN(auto* st, Store());
  sync::ConnectionClientOptions o;
  o.on_warning = [this](const std::string& w) { Warn(w); };
  return sync::MakeConnectionClient(c, st, std::move(o));
}

void Context::Finish(const Status& s) {
  if (!s.ok()) {
    // With --log-format json standard error holds JSON lines only.
    if (log::IsJson() && err == &std::cerr) {
      spdlog::error("{}", s.message());
    } else {
      *err << "error: " << TerminalText(s.message()) << "\n";
    }
    exit_code = ExitCodeFor(s);
  }
}

void Context::Warn(const std::string& w) {
  if (log::IsJson() && err == &std::cerr) {
    spdlog::warn("{}", w);
  } else {
    *err << "warning: " << TerminalText(w) << "\n";
  }
}

std::string AccountNameError(std::string& name) {
  if (store::ValidAccountName(name)) return "";
  return "account names are " + std::string(store::kAccountNameRule);
}

void ExitOnLostLease(const store::Lease& lease) {
  spdlog::critical("lease on {} lost while syncing: exiting so that two processes never sync one account",
                   lease.account);
  spdlog::shutdown();
  std::_Exit(75);
}

CLI::App* ParentCommand(CLI::App& app, const std::vector<std::string>& words,
                        const std::function<std::string(const std::string&)>& describe) {
  CLI::App* parent = &app;
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    CLI::App* next = nullptr;
    for (CLI::App* sub : parent->get_subcommands([&](CLI::App* s) { return s->get_name() == words[i]; }))
      next = sub;
    if (!next) {
      next = parent->add_subcommand(words[i], describe(words[i]));
      next->require_subcommand(1);
    }
    parent = next;
  }
  return parent;
}

}  // namespace sk::cli
