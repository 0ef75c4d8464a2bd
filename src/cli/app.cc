// The `seatkeeper` command line: global options, subcommand registration and
// the mapping of outcomes to exit codes (0 ok, 1 failure, 2 usage, 3 refused).
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <unistd.h>
#include <pwd.h>

#include "cli/context.h"

namespace sk::cli {
namespace {

std::string DefaultHome() {
  if (const char* h = std::getenv("SEATKEEPER_HOME"); h && *h) return h;
  const char* home = std::getenv("HOME");
  if (!home || !*home) {
    if (auto* pw = getpwuid(getuid())) home = pw->pw_dir;
  }
  return std::string(home ? home : ".") + "/.seatkeeper";
}

std::string LoginName() {
  if (const char* u = std::getenv("USER"); u && *u) return u;
  if (auto* pw = getpwuid(getuid())) return pw->pw_name;
  return "unknown";
}

}  // namespace

int Main(int argc, char** argv) {
  Context ctx;
  ctx.home = DefaultHome();
  ctx.actor = "cli:" + LoginName();

  CLI::App app{"seatkeeper — who really uses your Zendesk seats, and safe seat reclaiming and offboarding"};
  app.name("seatkeeper");
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("seatkeeper ") + SK_VERSION + " (commit " + SK_GIT_COMMIT + ")");
  app.add_option("--account", ctx.account, "Which connected Zendesk account (default: default)");

  RegisterConnectCommands(app, ctx);
  RegisterSyncCommands(app, ctx);
  RegisterReportCommands(app, ctx);
  RegisterActionCommands(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    app.exit(e);
    return 0;
  } catch (const CLI::CallForAllHelp& e) {
    app.exit(e);
    return 0;
  } catch (const CLI::CallForVersion& e) {
    app.exit(e);
    return 0;
  } catch (const CLI::ParseError& e) {
    std::cerr << "error: " << e.what() << "\nRun with --help for usage.\n";
    return 2;
  }
  return ctx.exit_code;
}

}  // namespace sk::cli
