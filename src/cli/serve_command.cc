// `seatkeeper serve`: the REST API, OAuth connect flow and web UI with the
// daily sync in the background; and `seatkeeper admin set-password`, which
// sets the password of the web UI's admin login.
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "cli/context.h"
#include "cli/secrets_input.h"
#include "server/admin_auth.h"
#include "server/web_server.h"
#include "store/sync_queue.h"
#include "util/config.h"

namespace sk::cli {
namespace {

// Empty = not given: taken from SEATKEEPER_LISTEN / _WEB_ROOT / _SYNC_AT or
// SEATKEEPER_HOME/config (see util/config.h), then the defaults.
struct ServeArgs {
  std::string listen;
  std::string web_root;
  std::string sync_at;
  std::string public_url;
  bool no_schedule = false;
  bool allow_local = false;
  int threads = 16;
};

// The UI's folder: --web-root (or its setting), or a `web` folder next to
// (or above) the binary or in the current directory, holding index.html.
std::string FindWebRoot(const std::string& configured) {
  if (!configured.empty()) return configured;
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> candidates = {fs::current_path(ec) / "web"};
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path dir = exe.parent_path();
    candidates.push_back(dir / "web");
    candidates.push_back(dir / "../share/seatkeeper/web");
    for (int up = 0; up < 3 && dir.has_parent_path(); ++up) {
      dir = dir.parent_path();
      candidates.push_back(dir / "web");
    }
  }
  for (const auto& c : candidates)
    if (fs::exists(c / "index.html", ec)) return fs::weakly_canonical(c, ec).string();
  return "";
}

// HOST:PORT (an IPv6 host in brackets) into the options.
Status ParseListen(const std::string& listen, server::ServerOptions& o) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return InvalidArgument("--listen must be HOST:PORT, for example 127.0.0.1:8080");
  o.host = listen.substr(0, colon);
  if (o.host.size() > 2 && o.host.front() == '[' && o.host.back() == ']')
    o.host = o.host.substr(1, o.host.size() - 2);
  try {
    size_t used = 0;
    o.port = std::stoi(listen.substr(colon + 1), &used);
    if (used != listen.size() - colon - 1 || o.port < 0 || o.port > 65535) throw std::out_of_range("port");
  } catch (...) {
    return InvalidArgument("--listen port must be a number from 0 to 65535 (0 picks a free port)");
  }
  return Status::Ok();
}

// The server's options from the flags, the settings (flags win) and defaults;
// `a` is completed with the settings it did not give.
Result<server::ServerOptions> OptionsOf(Context& ctx, ServeArgs& a) {
  SK_ASSIGN_OR_RETURN(Config config, Config::Load(ctx.home));
  if (!a.listen.empty()) config.SetFlag("listen", a.listen);
  if (!a.web_root.empty()) config.SetFlag("web_root", a.web_root);
  if (!a.sync_at.empty()) config.SetFlag("sync_at", a.sync_at);
  a.listen = config.Get("listen");
  a.web_root = config.Get("web_root");
  a.sync_at = config.Get("sync_at");
  server::ServerOptions o;
  SK_RETURN_IF_ERROR(ParseListen(a.listen, o));
  if (a.no_schedule) {
    o.sync_at.reset();
  } else {
    o.sync_at = server::ParseDailyTime(a.sync_at);
    if (!o.sync_at)
      return InvalidArgument("--sync-at must be HH:MM (24-hour clock, the connection's time zone)");
  }
  o.web_root = FindWebRoot(a.web_root);
  o.account = ctx.account;
  o.allow_local = a.allow_local;
  o.public_url = a.public_url;
  o.threads = a.threads;
  if (const char* ca = std::getenv("SEATKEEPER_CA_FILE")) o.ca_file = ca;
  o.log = [](const std::string& line) {
    if (line.rfind("error", 0) == 0) {
      spdlog::error("{}", line);
    } else if (line.rfind("warning", 0) == 0) {
      spdlog::warn("{}", line);
    } else {
      spdlog::info("{}", line);
    }
  };
  return o;
}

// Waits for SIGINT or SIGTERM (blocked in `signals`), then stops the server,
// letting running syncs finish; a second signal ends the process at once.
void StopOnSignal(server::WebServer& web, sigset_t signals) {
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("stopping (signal {}){}", sig,
               web.sync_runners().AnyRunning()
                   ? "; waiting for the running syncs to finish (a second signal quits at once)"
                   : "");
  std::thread([signals]() mutable {
    int again = 0;
    sigwait(&signals, &again);
    std::_Exit(130);
  }).detach();
  web.Stop();
}

Status Serve(Context& ctx, ServeArgs a) {
  // Many request threads: glibc's default of 8 malloc arenas per core (Main
  // caps them at 2 for the other commands) and mapped store reads.
  mallopt(M_ARENA_MAX, 0);
  ctx.serving = true;
  SK_ASSIGN_OR_RETURN(server::ServerOptions o, OptionsOf(ctx, a));
  SK_ASSIGN_OR_RETURN(auto* st, ctx.Store());
  SK_ASSIGN_OR_RETURN(bool has_password, server::HasAdminPassword(*st));
  // Syncs run here hold the same per-account lease as `seatkeeper worker`.
  SK_ASSIGN_OR_RETURN(auto queue, store::OpenSyncQueue(ctx.home));
  o.sync_queue = queue.get();
  o.on_lease_lost = ExitOnLostLease;

  // Signals are taken by sigwait; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  server::WebServer web(st, o);
  SK_ASSIGN_OR_RETURN(int port, web.Start());
  std::string shown_host = o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host;
  *ctx.out << "seatkeeper serving on http://" << shown_host << ":" << port << std::endl;
  if (o.web_root.empty()) spdlog::warn("web UI assets not found (use --web-root DIR); serving the API only");
  if (!has_password)
    spdlog::warn("no admin password is set; run `seatkeeper admin set-password --password-file -` to log in");
  if (o.sync_at) spdlog::info("daily sync at {} in each account's time zone", a.sync_at);
  StopOnSignal(web, signals);
  return Status::Ok();
}

Status SetPassword(Context& ctx, const std::string& file) {
  SK_ASSIGN_OR_RETURN(std::string password, ReadSecret(file, "SEATKEEPER_ADMIN_PASSWORD", "admin password"));
  SK_ASSIGN_OR_RETURN(auto* st, ctx.Store());
  SK_RETURN_IF_ERROR(server::SetAdminPassword(*st, password));
  *ctx.out << "Admin password set. Log in to the web UI of `seatkeeper serve` with it.\n";
  return Status::Ok();
}

}  // namespace

void RegisterServeCommands(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<ServeArgs>();
  auto* serve = app.add_subcommand("serve", "Serve the web UI and REST API, and run the daily sync");
  serve->add_option(
      "--listen", a->listen,
      "HOST:PORT to listen on, default 127.0.0.1:8080 (port 0 picks a free port; or SEATKEEPER_LISTEN)");
  serve->add_option("--web-root", a->web_root,
                    "Folder of the web UI (default: the installed web/ folder; or SEATKEEPER_WEB_ROOT)");
  serve->add_option(
      "--sync-at", a->sync_at,
      "Daily sync time HH:MM in the connection's time zone, default 03:00 (or SEATKEEPER_SYNC_AT)");
  serve->add_flag("--no-schedule", a->no_schedule, "Do not run the daily sync");
  serve->add_option(
      "--public-url", a->public_url,
      "URL browsers reach this server at, for the OAuth redirect (default: from the Host header)");
  serve->add_option("--threads", a->threads, "Worker threads (each keep-alive connection holds one)")
      ->check(CLI::Range(2, 256))
      ->capture_default_str();
  serve->add_flag("--allow-local", a->allow_local,
                  "Allow http://127.0.0.1:PORT or localhost account URLs (simulator)");
  serve->callback([&ctx, a] { ctx.Finish(Serve(ctx, *a)); });

  auto file = std::make_shared<std::string>();
  auto* admin = app.add_subcommand("admin", "Administer the web UI");
  admin->require_subcommand(1);
  auto* setpw = admin->add_subcommand("set-password", "Set the web UI's admin password");
  setpw->add_option("--password-file", *file,
                    "File holding the password, - for stdin (or SEATKEEPER_ADMIN_PASSWORD)");
  setpw->callback([&ctx, file] { ctx.Finish(SetPassword(ctx, *file)); });
}

}  // namespace sk::cli
